"""Jobs: the I/O edges that read stored observations, call the pure `indices` functions and
write what they derive (index values, exceedance events) back to the store."""
