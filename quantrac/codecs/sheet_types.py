"""What the sheet codec returns: results, problems and the header mapping (plain frozen data)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from quantrac.codecs.sheet_headers import Role
from quantrac.codecs.sheet_values import Qualifier

Layout = Literal["wide", "long"]
Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True, slots=True)
class SheetProblem:
    """One thing a person should look at, located like a spreadsheet user would look for it.

    Severity: ``error`` — a value or row was not read, or would be wrong if stored as is
    (duplicates); ``warning`` — read, but check it; ``info`` — how the file was understood.
    """

    message: str
    row: int | None = None
    column: str | None = None
    column_name: str | None = None
    value: str | None = None
    suggestion: str | None = None
    severity: Severity = "error"

    def __str__(self) -> str:
        where = [f"row {self.row}"] if self.row else []
        if self.column:
            name = f" ({self.column_name})" if self.column_name else ""
            where.append(f"column {self.column}{name}")
        value = f" {self.value!r}:" if self.value is not None else ""
        hint = f" — {self.suggestion}" if self.suggestion else ""
        return f"{self.severity}: {', '.join(where) or 'file'}:{value} {self.message}{hint}"


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """How one column was understood: its role, and for results the parameter and unit text."""

    index: int
    letter: str
    header: str
    role: Role
    parameter: str | None = None
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class SheetResult:
    """One sample × parameter result, with names and units exactly as written in the file.

    `value` is None only for a non-detect (``qualifier="ND"``). For ``<0.05`` the value and the
    detection limit are both 0.05 with ``qualifier="<"``; for ``>2400`` the value is 2400.
    `sampled_at` is naive local time; `time_given` tells whether the file gave a time of day.
    """

    row: int
    column: str
    station_code: str
    sampled_at: datetime
    time_given: bool
    parameter: str
    unit: str | None
    value: float | None
    qualifier: Qualifier | None
    detection_limit: float | None
    raw_value: str
    sample_code: str | None = None
    station_name: str | None = None
    campaign: str | None = None
    depth: str | None = None
    layer: str | None = None
    sample_type: str | None = None
    lab: str | None = None
    method: str | None = None
    note: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    elevation: float | None = None


@dataclass(frozen=True, slots=True)
class SheetReadResult:
    """Everything read from one sheet; `problems` is empty for a clean file."""

    filename: str
    layout: Layout
    header_row: int
    unit_row: int | None
    columns: tuple[ColumnMapping, ...]
    records: tuple[SheetResult, ...]
    problems: tuple[SheetProblem, ...]
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None

    @property
    def errors(self) -> tuple[SheetProblem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def sample_count(self) -> int:
        """Samples read: rows in the wide layout (duplicates included, they are still rows);
        distinct station, time, sample code, depth and layer in the long layout."""
        if self.layout == "wide":
            return len({r.row for r in self.records})
        return len(
            {(r.station_code, r.sampled_at, r.sample_code, r.depth, r.layer) for r in self.records}
        )
