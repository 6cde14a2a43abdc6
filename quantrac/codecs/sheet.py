"""Periodic (lab) monitoring results from CSV and XLSX sheets → one record per sample × parameter.

Pure: bytes and a file name in, `SheetReadResult` out. Parameter and unit text are reported
exactly as written (split apart); resolving them to catalogue codes is the standardizer's job.
A bad cell never stops the other cells: each becomes a `SheetProblem` naming row and column.
Only an unreadable file or a sheet without a usable table raises `CodecError`.

Layouts: **wide** (one row per sample, one column per parameter) and **long** (one row per
sample × parameter with 'Thông số' and 'Kết quả' columns), detected from the header. Cell rules
are in `sheet_values` (numbers, non-detects, dates), header rules in `sheet_headers`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, time
from typing import Literal

from quantrac.codecs.sheet_checks import (
    collapse_text_columns,
    duplicate_parameter_columns,
    duplicate_samples,
    headerless_columns,
)
from quantrac.codecs.sheet_grid import Cell, Grid, load_grid
from quantrac.codecs.sheet_headers import Role, header_key, split_unit
from quantrac.codecs.sheet_layout import (
    apply_unit_row,
    cell_text,
    classify_columns,
    fill_merged,
    find_header_row,
    header_texts,
    is_unit_row,
)
from quantrac.codecs.sheet_types import (
    ColumnMapping,
    Layout,
    SheetProblem,
    SheetReadResult,
    SheetResult,
)
from quantrac.codecs.sheet_values import (
    CellValue,
    NumberStyle,
    parse_value,
    parse_when,
    resolve_ambiguous,
)
from quantrac.errors import CodecError

__all__ = [
    "ColumnMapping",
    "SheetProblem",
    "SheetReadResult",
    "SheetResult",
    "read_sheet",
]

#: Rows whose first cell starts like this repeat regulation limits or detection limits under the
#: data ("QCVN 08:2023 cột A", "Giới hạn phát hiện"); they are not samples.
_LIMIT_ROW = re.compile(
    r"(?:qcvn|tcvn)(?:\d| |$)|(?:gioi han|ghcp|gia tri gioi han|lod|mdl)(?: |$)"
)
_TEXT_FIELDS: tuple[Role, ...] = (
    "sample_code", "station_name", "campaign", "depth", "layer", "sample_type", "lab", "method",
    "note",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Sample:
    """Metadata shared by every result of one row."""

    station_code: str
    sampled_at: datetime
    time_given: bool
    fields: dict[str, str | float | None]


def read_sheet(
    data: bytes,
    filename: str,
    *,
    sheet: str | None = None,
    layout: Literal["auto", "wide", "long"] = "auto",
    number_style: NumberStyle = "auto",
    station: str | None = None,
) -> SheetReadResult:
    """Read lab results from CSV (',' ';' TAB; UTF-8 or cp1258) or XLSX (first or named sheet).

    `number_style` settles ``30.000``-style numbers (see `sheet_values`); `station` is the
    station code for a sheet of one station that has no station column.
    """
    grid = load_grid(data, filename, sheet)
    return _Reader(grid, filename, number_style, station).read(None if layout == "auto" else layout)


class _Reader:
    def __init__(self, grid: Grid, filename: str, style: NumberStyle, station: str | None) -> None:
        self.grid = grid
        self.filename = filename
        self.style = style
        self.default_station = station
        self.problems: list[SheetProblem] = []
        self.records: list[SheetResult | None] = []
        self.pending: list[tuple[int, ColumnMapping, CellValue, dict[str, object]]] = []
        self.marks: dict[int, set[str]] = {}
        self.column_errors: dict[int, list[SheetProblem]] = {}
        self.column_hits: set[int] = set()
        self.columns: list[ColumnMapping] = []
        self.by_role: dict[Role, ColumnMapping] = {}

    def read(self, layout: Layout | None) -> SheetReadResult:
        grid = self.grid
        if grid.encoding_fallback:
            self.problems.append(
                SheetProblem(
                    f"the file is not UTF-8; it was read as {grid.encoding}",
                    suggestion="check Vietnamese letters, or save the file as CSV UTF-8",
                    severity="warning",
                )
            )
        header, unit_row, start, layout = self._locate_table(layout)
        self.problems += duplicate_parameter_columns(self.columns)
        fill_merged(grid.rows, grid.merges, self.columns, start + 1, self.problems)
        read_row = self._wide_row if layout == "wide" else self._long_row
        for index in range(start, len(grid.rows)):
            row = grid.rows[index]
            if any(c is not None and c != "" for c in row):
                read_row(row, index + 1)
        self._settle_pending()
        self.problems = collapse_text_columns(
            self.problems, self.column_errors, self.column_hits, self.columns
        )
        self.problems += headerless_columns(grid.rows, self.columns, start)
        records = tuple(r for r in self.records if r is not None)
        self.problems += duplicate_samples(records)
        return SheetReadResult(
            filename=self.filename,
            layout=layout,
            header_row=header + 1,
            unit_row=unit_row,
            columns=tuple(self.columns),
            records=records,
            problems=tuple(self.problems),
            sheet=grid.sheet,
            encoding=grid.encoding,
            delimiter=grid.delimiter,
        )

    def _locate_table(self, layout: Layout | None) -> tuple[int, int | None, int, Layout]:
        """Header row (0-based), unit row (1-based or None), first data row (0-based), layout."""
        rows = self.grid.rows
        header = find_header_row(rows)
        if header is None:
            raise CodecError("no header row found in the first rows", file=self.filename)
        texts, header_rows = header_texts(rows, header, self.grid.merges)
        try:
            columns, layout = classify_columns(texts, layout, self.problems)
        except CodecError as exc:
            raise CodecError(exc.message, file=self.filename, line=header + 1) from exc
        start = header + header_rows
        unit_row = None
        if layout == "wide" and start < len(rows) and is_unit_row(rows[start], columns):
            unit_row = start + 1
            columns = apply_unit_row(rows[start], unit_row, columns, self.problems)
            start += 1
        self.columns = columns
        self.by_role = {c.role: c for c in reversed(columns)}
        self._check_required()
        return header, unit_row, start, layout

    def _check_required(self) -> None:
        if "station" not in self.by_role and self.default_station is None:
            raise CodecError(
                "no station column (e.g. 'Mã trạm', 'Mã điểm', 'station_id') and no station "
                "given for the whole file",
                file=self.filename,
            )
        if "date" not in self.by_role and "time" not in self.by_role:
            raise CodecError(
                "no sampling date column (e.g. 'Ngày lấy mẫu', 'Thời gian lấy mẫu', 'date')",
                file=self.filename,
            )

    # --- rows --------------------------------------------------------------------------------

    def _wide_row(self, row: list[Cell], number: int) -> None:
        results = [
            (c, row[c.index])
            for c in self.columns
            if c.role == "parameter" and c.index < len(row) and row[c.index] not in (None, "")
        ]
        if not results or self._is_limit_row(row, number):
            return
        sample = self._sample(row, number)
        if sample is None:
            return
        for column, raw in results:
            self._result(
                sample, number, column, raw, parameter=column.parameter or "", unit=column.unit
            )

    def _long_row(self, row: list[Cell], number: int) -> None:
        name_column, value_column = self.by_role["parameter_name"], self.by_role["value"]
        name_text = self._text(row, name_column)
        raw = row[value_column.index] if value_column.index < len(row) else None
        limit = self._text(row, self.by_role.get("detection_limit"))
        if raw in (None, "") and not limit:
            return
        if not name_text:
            self._problem(number, value_column, raw, "a result without a parameter name")
            return
        sample = self._sample(row, number)
        if sample is None:
            return
        parameter, unit = split_unit(name_text)
        unit = self._text(row, self.by_role.get("unit")) or unit
        self._result(
            sample, number, value_column, raw, parameter=parameter, unit=unit, limit_text=limit
        )

    def _is_limit_row(self, row: list[Cell], number: int) -> bool:
        first = next((cell_text(c) for c in row if cell_text(c)), "")
        if not _LIMIT_ROW.match(header_key(first)) or self._text(row, self.by_role.get("date")):
            return False
        self.problems.append(
            SheetProblem(
                "a row of regulation or detection limits, not a sample; skipped",
                row=number,
                value=first,
                severity="info",
            )
        )
        return True

    def _sample(self, row: list[Cell], number: int) -> _Sample | None:
        station = self._text(row, self.by_role.get("station"))
        if not station and "station" not in self.by_role:
            station = self.default_station or ""
        if not station:
            self._problem(
                number,
                self.by_role["station"],
                None,
                "no station code",
                suggestion="write the station code in every row (a merged cell saved as CSV "
                "keeps it only in the first row)",
            )
            return None
        moment = self._when(row, number)
        if moment is None:
            return None
        fields: dict[str, str | float | None] = {
            role: self._text(row, self.by_role.get(role)) or None for role in _TEXT_FIELDS
        }
        for role in ("latitude", "longitude", "elevation"):
            fields[role] = self._coordinate(row, number, role)
        return _Sample(station, moment[0], moment[1], fields)

    def _when(self, row: list[Cell], number: int) -> tuple[datetime, bool] | None:
        date_column, time_column = self.by_role.get("date"), self.by_role.get("time")
        parts = []
        for column in (date_column, time_column):
            if column is None or column.index >= len(row):
                continue
            when = parse_when(row[column.index])
            if when.error:
                self._problem(
                    number, column, row[column.index], when.error, suggestion=when.suggestion
                )
                return None
            parts.append(when)
        days = {p.day for p in parts if p.day}
        clocks = {p.clock for p in parts if p.clock}
        if len(days) > 1 or len(clocks) > 1:
            self._problem(number, time_column, None, "the date and time columns disagree")
            return None
        if not days:
            self._problem(
                number,
                date_column or time_column,
                None,
                "no sampling date",
                suggestion="write the date in every row (a merged cell saved as CSV keeps it "
                "only in the first row)",
            )
            return None
        clock = clocks.pop() if clocks else None
        return datetime.combine(days.pop(), clock or time(0)), clock is not None

    def _coordinate(self, row: list[Cell], number: int, role: Role) -> float | None:
        column = self.by_role.get(role)
        if column is None or column.index >= len(row) or row[column.index] in (None, ""):
            return None
        # Degrees are never grouped in thousands, so '105.680' is read as a decimal.
        style: NumberStyle = "en" if role in ("latitude", "longitude") else self.style
        cell = parse_value(row[column.index], style)
        if cell.ambiguous:
            cell = resolve_ambiguous(cell, set())
        bound = {"latitude": 90.0, "longitude": 180.0}.get(role)
        value = cell.value if cell.qualifier is None else None
        if value is None or (bound is not None and abs(value) > bound):
            self._problem(
                number,
                column,
                row[column.index],
                f"not a valid {role}" + (f": {cell.error}" if cell.error else ""),
                suggestion=cell.suggestion,
                severity="warning",
            )
            return None
        return value

    # --- results -----------------------------------------------------------------------------

    def _result(
        self,
        sample: _Sample,
        number: int,
        column: ColumnMapping,
        raw: Cell,
        *,
        parameter: str,
        unit: str | None,
        limit_text: str = "",
    ) -> None:
        cell = parse_value(raw, self.style)
        if cell.is_empty:
            return
        if cell.error:
            problem = self._problem(number, column, raw, cell.error, suggestion=cell.suggestion)
            self.column_errors.setdefault(column.index, []).append(problem)
            return
        self.column_hits.add(column.index)
        if limit_text:
            cell = self._with_limit_column(cell, limit_text, number)
        args = {
            "row": number,
            "column": column.letter,
            "station_code": sample.station_code,
            "sampled_at": sample.sampled_at,
            "time_given": sample.time_given,
            "parameter": parameter,
            "unit": unit,
            "raw_value": cell_text(raw),
            **sample.fields,
        }
        if cell.ambiguous:
            self.pending.append((len(self.records), column, cell, args))
            self.records.append(None)
            return
        if cell.decimal_mark:
            self.marks.setdefault(column.index, set()).add(cell.decimal_mark)
        self.records.append(_record(cell, args))

    def _with_limit_column(self, cell: CellValue, limit_text: str, number: int) -> CellValue:
        """A long sheet's detection-limit column fills the limit of 'KPH' and plain values."""
        limit = parse_value(limit_text.lstrip("<≤ "), self.style)
        if limit.value is None:
            column = self.by_role["detection_limit"]
            self._problem(number, column, limit_text, "not a detection limit", severity="warning")
            return cell
        if cell.detection_limit is not None:
            return cell
        return replace(cell, detection_limit=limit.value)

    def _settle_pending(self) -> None:
        for position, column, cell, args in self.pending:
            settled = resolve_ambiguous(cell, self.marks.get(column.index, set()))
            if settled.error:
                self._problem(
                    int(args["row"]),
                    column,
                    args["raw_value"],
                    settled.error,
                    suggestion=settled.suggestion,
                )
            else:
                self.records[position] = _record(settled, args)

    # --- problems ----------------------------------------------------------------------------

    def _problem(
        self,
        number: int | None,
        column: ColumnMapping | None,
        raw: Cell,
        message: str,
        *,
        suggestion: str | None = None,
        severity: Literal["error", "warning", "info"] = "error",
    ) -> SheetProblem:
        problem = SheetProblem(
            message,
            row=number,
            column=column.letter if column else None,
            column_name=column.header if column else None,
            value=None if raw is None else cell_text(raw),
            suggestion=suggestion,
            severity=severity,
        )
        self.problems.append(problem)
        return problem

    @staticmethod
    def _text(row: list[Cell], column: ColumnMapping | None) -> str:
        if column is None or column.index >= len(row):
            return ""
        return cell_text(row[column.index])


def _record(cell: CellValue, args: dict[str, object]) -> SheetResult:
    return SheetResult(
        value=cell.value,
        qualifier=cell.qualifier,
        detection_limit=cell.detection_limit,
        **args,
    )
