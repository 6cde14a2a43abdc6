"""Reading the catalogue's CSV package data with errors that name the file and line."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from datetime import date
from importlib import resources

from quantrac.errors import CatalogError


def read_rows(
    name: str, required: Sequence[str], text: str | None = None, label: str | None = None
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) for a package-data CSV, skipping '#' comment lines.

    `text` lets tests (and a province's local files) go through the same validation as the
    shipped file; `label` is the file name errors then report.
    """
    if text is None:
        text = resources.files("quantrac.catalog").joinpath("data", name).read_text("utf-8")
    name = label or name
    numbered = [
        (n, line)
        for n, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not numbered:
        raise CatalogError(name, 1, "file has no header row")
    header_line, header = numbered[0]
    columns = next(csv.reader([header]))
    missing = [c for c in required if c not in columns]
    if missing:
        raise CatalogError(name, header_line, f"missing column(s): {', '.join(missing)}")
    # Feed each physical line separately so errors keep their own line number; quoted
    # fields in these files never span lines.
    for n, line in numbered[1:]:
        cells = next(csv.reader([line]))
        if len(cells) != len(columns):
            raise CatalogError(
                name, n, f"expected {len(columns)} fields ({', '.join(columns)}), got {len(cells)}"
            )
        yield n, {c: v.strip() for c, v in zip(columns, cells, strict=True)}


def split_list(cell: str) -> list[str]:
    """'a|b|c' → ['a', 'b', 'c']; the reference pack separates list items with '|'."""
    return [item.strip() for item in cell.split("|") if item.strip()]


def parse_float(file: str, line: int, field: str, cell: str) -> float | None:
    if cell == "":
        return None
    try:
        return float(cell)
    except ValueError:
        raise CatalogError(file, line, f"{field}: {cell!r} is not a number") from None


def parse_date(file: str, line: int, field: str, cell: str) -> date | None:
    if cell == "":
        return None
    try:
        return date.fromisoformat(cell)
    except ValueError:
        raise CatalogError(file, line, f"{field}: {cell!r} is not a date (YYYY-MM-DD)") from None
