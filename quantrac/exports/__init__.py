"""Bulk exports: rows in, bytes out, a chunk at a time (CSV, XLSX, Parquet) — one registry."""

from quantrac.exports.writers import MEDIA_TYPES, WRITERS, stream_rows

__all__ = ["MEDIA_TYPES", "WRITERS", "stream_rows"]
