"""The catalogue: parameters and aliases, units and conversion, media, QCVN limits, index
tables and administrative units — package data loaded once, validated, queryable."""

from quantrac.catalog.catalog import Catalog, get_catalog

__all__ = ["Catalog", "get_catalog"]
