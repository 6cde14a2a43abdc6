"""Vietnamese text of the staff workspace (see messages.py)."""

STAFF: dict[str, str] = {}
