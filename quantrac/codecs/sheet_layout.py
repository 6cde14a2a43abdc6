"""Where the table sits in a sheet: header row, column roles, unit row, merged cells.

Labs put titles and notes above the header, sometimes a unit row under it, and merge station
or date cells over the rows of one sampling point; these functions find the table in spite of
that so `sheet.read_sheet` only sees one header and plain data rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, time

from openpyxl.utils.cell import get_column_letter

from quantrac.codecs.sheet_grid import Cell, Merge
from quantrac.codecs.sheet_headers import (
    LONG_ROLES,
    SAMPLE_ROLES,
    Role,
    demote_weak_station,
    header_key,
    is_weak_station,
    looks_like_unit,
    role_of,
    split_unit,
)
from quantrac.codecs.sheet_types import ColumnMapping, Layout, SheetProblem
from quantrac.codecs.sheet_values import parse_value, parse_when
from quantrac.errors import CodecError

#: Labs rarely put more than a dozen title and note lines above the table.
HEADER_SCAN_ROWS = 50
_UNIT_LABELS = frozenset({"don vi", "don vi tinh", "dvt", "unit", "units"})
_RESULT_ROLES: frozenset[Role] = frozenset({"parameter", "value"})


def cell_text(raw: Cell) -> str:
    """Text of a cell as a person reads it: 12.0 → '12', a date → ISO date, None → ''."""
    if raw is None:
        return ""
    if isinstance(raw, str):
        return " ".join(raw.split())
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, datetime) and raw.time() == time(0):
        return raw.date().isoformat()
    if isinstance(raw, date | time):
        return raw.isoformat()
    return str(raw).strip()


def is_label(raw: Cell) -> bool:
    """Text that is neither a number, a non-detect nor a date: what headers are made of."""
    if not isinstance(raw, str) or not raw.strip():
        return False
    value = parse_value(raw)
    if value.error is None:
        return False
    when = parse_when(raw)
    return when.day is None and when.clock is None


def find_header_row(rows: Sequence[Sequence[Cell]]) -> int | None:
    """Index of the header: the row of labels with the most known headers, then the most labels.

    Title and note lines have one cell (merged titles too), data rows hold numbers or dates.
    """
    best: int | None = None
    best_score = (0, 0)
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        filled = [c for c in row if cell_text(c)]
        if len(filled) < 2 or not all(is_label(c) for c in filled):
            continue
        known = sum(role_of(split_unit(cell_text(c))[0]) is not None for c in filled)
        score = (known, len(filled))
        if score > best_score:
            best, best_score = index, score
    return best


def header_texts(
    rows: Sequence[Sequence[Cell]], header: int, merges: Sequence[Merge]
) -> tuple[list[str], int]:
    """Header texts and how many header rows there are (2 when a merged group has sub-headers).

    A merged "Kết quả phân tích" over several columns with "pH", "COD"… beneath is common in lab
    reports; the sub-headers then name those columns.
    """
    texts = [cell_text(c) for c in rows[header]]
    spans = [(c1, c2) for r1, c1, r2, c2 in merges if r1 == r2 == header + 1 and c2 > c1]
    if not spans or header + 1 >= len(rows):
        return texts, 1
    below = rows[header + 1]
    used = False
    for c1, c2 in spans:
        for col in range(c1 - 1, min(c2, len(below))):
            if is_label(below[col]):
                texts.extend([""] * (col + 1 - len(texts)))
                texts[col] = cell_text(below[col])
                used = True
    return texts, 2 if used else 1


def classify_columns(
    headers: Sequence[str], layout: Layout | None, problems: list[SheetProblem]
) -> tuple[list[ColumnMapping], Layout]:
    """Roles for every column, and the layout: long when a parameter and a value column exist."""
    columns = []
    for index, text in enumerate(headers):
        letter = get_column_letter(index + 1)
        if not text:
            columns.append(ColumnMapping(index, letter, "", "ignored"))
            continue
        name, unit = split_unit(text)
        role = role_of(name) or "parameter"
        columns.append(
            ColumnMapping(index, letter, text, role, name if role == "parameter" else None, unit)
        )
    columns = _settle_station(columns)
    roles = {c.role for c in columns}
    is_long = {"parameter_name", "value"} <= roles
    if layout is None:
        if "parameter_name" in roles and not is_long:
            raise CodecError(
                "this sheet lists parameters in rows and samples in columns; only one row per "
                "sample (wide) or per sample and parameter (long) can be read — add a "
                "'Kết quả' column per sample or transpose the table"
            )
        layout = "long" if is_long else "wide"
    if layout == "long" and not is_long:
        raise CodecError("a long layout needs a parameter column ('Thông số') and a value column")
    return _drop_misplaced(columns, layout, problems), layout


def _settle_station(columns: list[ColumnMapping]) -> list[ColumnMapping]:
    """'Ký hiệu mẫu' / 'Điểm quan trắc' hold the station only when no explicit code column does."""
    weak = [c for c in columns if c.role == "station" and is_weak_station(c.header)]
    if not weak:
        return columns
    strong = any(c.role == "station" and not is_weak_station(c.header) for c in columns)
    chosen = None
    if not strong:
        codes = [c for c in weak if demote_weak_station(c.header) == "sample_code"]
        chosen = (codes or weak)[0]
    return [
        replace(c, role=demote_weak_station(c.header)) if c in weak and c is not chosen else c
        for c in columns
    ]


def _drop_misplaced(
    columns: list[ColumnMapping], layout: Layout, problems: list[SheetProblem]
) -> list[ColumnMapping]:
    """Ignore a second column with the same role, long-only columns in a wide sheet and unknown
    headers in a long sheet, saying so."""
    seen: dict[Role, ColumnMapping] = {}
    result = []
    for column in columns:
        role = column.role
        why = None
        if role in SAMPLE_ROLES or role in LONG_ROLES:
            if role in seen:
                why = f"a second {role} column (column {seen[role].letter} is used)"
            seen.setdefault(role, column)
        if layout == "wide" and role in LONG_ROLES:
            why = f"a {role} column has no meaning in a wide sheet"
        if layout == "long" and role == "parameter":
            why = "not a known column of a long sheet"
        if why:
            severity = "info" if layout == "long" and role == "parameter" else "warning"
            problems.append(
                SheetProblem(
                    f"column ignored: {why}",
                    column=column.letter,
                    column_name=column.header,
                    severity=severity,
                )
            )
            result.append(replace(column, role="ignored", parameter=None))
        else:
            result.append(column)
    return result


def is_unit_row(row: Sequence[Cell], columns: Sequence[ColumnMapping]) -> bool:
    """A row right under the header giving units: 'mg/L', 'MPN/100mL', '-' under the parameters,
    and nothing but an optional 'Đơn vị' label under the sample columns."""
    cells = [row[c.index] for c in columns if c.role == "parameter" and c.index < len(row)]
    cells = [c for c in cells if cell_text(c)]
    if not cells or not all(is_label(c) or cell_text(c) == "-" for c in cells):
        return False
    first = next((cell_text(c) for c in row if cell_text(c)), "")
    labelled = header_key(first) in _UNIT_LABELS
    for column in columns:
        if column.role in SAMPLE_ROLES and column.index < len(row):
            text = cell_text(row[column.index])
            if text and not (labelled and text == first):
                return False
    unitish = sum(looks_like_unit(cell_text(c)) for c in cells)
    return labelled or unitish * 2 >= len(cells)


def apply_unit_row(
    row: Sequence[Cell], row_number: int, columns: list[ColumnMapping], problems: list[SheetProblem]
) -> list[ColumnMapping]:
    """Units from the unit row; a header unit that disagrees is kept and reported."""
    result = []
    for column in columns:
        text = cell_text(row[column.index]) if column.index < len(row) else ""
        if column.role == "parameter" and text and column.unit is None:
            result.append(replace(column, unit=text))
            continue
        if column.role == "parameter" and text and column.unit.casefold() != text.casefold():
            problems.append(
                SheetProblem(
                    f"the header says unit {column.unit!r} but the unit row says {text!r}; "
                    "the header unit is used",
                    row=row_number,
                    column=column.letter,
                    column_name=column.header,
                    value=text,
                    severity="warning",
                )
            )
        result.append(column)
    return result


def fill_merged(
    rows: list[list[Cell]],
    merges: Sequence[Merge],
    columns: Sequence[ColumnMapping],
    first_data_row: int,
    problems: list[SheetProblem],
) -> None:
    """Copy a merged station/date/… value into every row it spans; flag merged result cells.

    `first_data_row` is 1-based; merges above it belong to titles and headers.
    """
    by_index = {c.index: c for c in columns}
    for r1, c1, r2, c2 in merges:
        if r1 < first_data_row or r1 > len(rows):
            continue
        anchor_column = by_index.get(c1 - 1)
        spanned = [by_index[c] for c in range(c1 - 1, c2) if c in by_index]
        if anchor_column is not None and anchor_column.role in SAMPLE_ROLES and r2 > r1:
            anchor_row = rows[r1 - 1]
            anchor = anchor_row[c1 - 1] if c1 - 1 < len(anchor_row) else None
            for row in rows[r1 : min(r2, len(rows))]:
                row.extend([None] * (c1 - len(row)))
                row[c1 - 1] = anchor
        elif any(c.role in _RESULT_ROLES for c in spanned):
            ref = f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}"
            problems.append(
                SheetProblem(
                    f"merged cell {ref} covers result cells; only its first cell was read",
                    row=r1,
                    column=get_column_letter(c1),
                    suggestion="unmerge the cells and write a value in each",
                    severity="warning",
                )
            )
