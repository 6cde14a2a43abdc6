"""The catalogue: parameters and aliases, units and conversion, media, QCVN limits, index
tables and administrative units — package data loaded once, validated, queryable."""
