"""Checks over a whole sheet once its rows are read: duplicates, stray and text-only columns.

Each returns the problems it finds, so `sheet.read_sheet` stays a plain sequence of steps.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from openpyxl.utils.cell import get_column_letter

from quantrac.codecs.sheet_grid import Cell
from quantrac.codecs.sheet_layout import cell_text
from quantrac.codecs.sheet_types import ColumnMapping, SheetProblem, SheetResult

#: A column whose every value is text is reported once, not once per row.
TEXT_COLUMN_MIN = 3
_SHOWN = 6


def _same_name(text: str) -> str:
    return " ".join(text.casefold().split())


def duplicate_samples(records: Iterable[SheetResult]) -> list[SheetProblem]:
    """One problem per pair of rows that hold the same station, time, sample and parameter.

    Both records are kept: which one is right is for a person (or the importer's policy) to say.
    """
    first: dict[tuple[object, ...], int] = {}
    pairs: dict[tuple[int, int], list[str]] = {}
    for record in records:
        key = (
            record.station_code, record.sampled_at, record.sample_code, record.depth,
            record.layer, _same_name(record.parameter),
        )  # fmt: skip
        earlier = first.setdefault(key, record.row)
        if earlier != record.row:  # the same row twice is a duplicate column, reported apart
            pairs.setdefault((earlier, record.row), []).append(record.parameter)
    problems = []
    for (earlier, later), names in pairs.items():
        more = f" … ({len(names)} parameters)" if len(names) > _SHOWN else ""
        problems.append(
            SheetProblem(
                f"rows {earlier} and {later} hold the same sample (same station, time, "
                f"sample code, depth and layer) for {', '.join(names[:_SHOWN])}{more}; "
                "both were kept",
                row=later,
                suggestion="delete one row, or give the samples different times or codes",
            )
        )
    return problems


def duplicate_parameter_columns(columns: Iterable[ColumnMapping]) -> list[SheetProblem]:
    """Two columns for one parameter would store two values for every sample."""
    first: dict[str, ColumnMapping] = {}
    problems = []
    for column in columns:
        if column.role != "parameter" or column.parameter is None:
            continue
        key = _same_name(column.parameter)
        if key in first:
            problems.append(
                SheetProblem(
                    f"columns {first[key].letter} and {column.letter} both hold "
                    f"{column.parameter!r}; both were read",
                    column=column.letter,
                    column_name=column.header,
                    suggestion="delete or rename one of the columns",
                )
            )
        first.setdefault(key, column)
    return problems


def headerless_columns(
    rows: Sequence[Sequence[Cell]], columns: Iterable[ColumnMapping], start: int
) -> list[SheetProblem]:
    """Values in a column without a header are ignored; say so once per column."""
    named = {c.index for c in columns if c.header}
    seen: set[int] = set()
    problems = []
    for number, row in enumerate(rows[start:], start + 1):
        for index, raw in enumerate(row):
            if index in named or index in seen or raw is None or raw == "":
                continue
            seen.add(index)
            problems.append(
                SheetProblem(
                    "the column has values but no header; it was ignored",
                    row=number,
                    column=get_column_letter(index + 1),
                    value=cell_text(raw),
                    suggestion="give the column a header",
                    severity="warning",
                )
            )
    return problems


def collapse_text_columns(
    problems: list[SheetProblem],
    column_errors: dict[int, list[SheetProblem]],
    column_hits: set[int],
    columns: Sequence[ColumnMapping],
) -> list[SheetProblem]:
    """A column of nothing but text ('Khu vực', 'Thời tiết') is probably a description column:
    replace its per-row problems by one."""
    collapsed: set[int] = set()
    summaries = []
    for index, found in column_errors.items():
        if index in column_hits or len(found) < TEXT_COLUMN_MIN:
            continue
        collapsed.update(id(p) for p in found)
        column = columns[index]
        rows = ", ".join(str(p.row) for p in found[:5]) + (", …" if len(found) > 5 else "")
        summaries.append(
            SheetProblem(
                f"the column holds text, not results, in all {len(found)} rows "
                f"(rows {rows}); nothing was read from it",
                column=column.letter,
                column_name=column.header,
                value=found[0].value,
                suggestion="if it is a description column this is fine; if it holds results, "
                "write numbers, '<0.05' or 'KPH'",
                severity="warning",
            )
        )
    if not collapsed:
        return problems
    return [p for p in problems if id(p) not in collapsed] + summaries
