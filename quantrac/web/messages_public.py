"""Vietnamese text of the public pages (see messages.py)."""

PUBLIC: dict[str, str] = {}
