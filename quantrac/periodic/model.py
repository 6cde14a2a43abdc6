"""Plain data passed between the import steps: stations, results, issues, exceedances, report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal, NamedTuple

from quantrac.codecs.sheet import SheetResult

Mode = Literal["dry-run", "strict", "accept-valid"]
MODES: tuple[Mode, ...] = ("dry-run", "strict", "accept-valid")
Severity = Literal["error", "warning", "info"]
#: What an error keeps out of the store: whole rows (samples of a wide sheet), single cells,
#: a whole column (a header problem) or the file. Warnings and infos keep nothing out.
Scope = Literal["row", "cell", "column", "file"]
Stage = Literal["read", "standardize", "validate", "compliance"]


@dataclass(frozen=True, slots=True)
class StationInfo:
    """What the importer needs to know about a registered station."""

    id: int
    code: str
    name: str
    medium: str
    regulation: str | None = None
    regulation_column: str | None = None
    kq: float | None = None
    kf: float | None = None
    retired_at: int | None = None


@dataclass(frozen=True, slots=True)
class Issue:
    """One line of the validation report: where, what is wrong, what to do.

    `rows` lists every sheet row concerned (one issue may cover a whole column or all rows of
    an unknown station); `scope` says what an error keeps out of the store.
    """

    message: str
    severity: Severity = "error"
    scope: Scope = "row"
    rows: tuple[int, ...] = ()
    column: str | None = None
    column_name: str | None = None
    value: str | None = None
    suggestion: str | None = None
    stage: Stage = "standardize"

    @property
    def row(self) -> int | None:
        return self.rows[0] if self.rows else None


class ResultValues(NamedTuple):
    """The stored fields of one result, compared to decide whether a re-import changes it."""

    value: float | None
    unit: str
    qualifier: str | None
    detection_limit: float | None
    method: str | None


@dataclass(frozen=True, slots=True)
class SampleFields:
    """Sample metadata that is not part of its key (station, time, sample code)."""

    matrix: str
    depth_m: float | None = None
    layer: str | None = None
    sample_type: str | None = None
    lab: str | None = None
    campaign: str | None = None


SampleKey = tuple[int, int, str]  # station id, sampled_at (UTC epoch s), sample code


@dataclass(frozen=True, slots=True)
class StandardResult:
    """A sheet result resolved against the registry and the catalogue.

    `sampled_at` is UTC epoch seconds; `local_day` is the sampling date as the lab wrote it
    (what regulation validity dates and campaign periods are compared with). `value` and
    `detection_limit` are in the canonical `values.unit`.
    """

    record: SheetResult
    station: StationInfo
    sampled_at: int
    local_day: date
    sample_code: str
    parameter_code: str
    values: ResultValues
    sample: SampleFields

    @property
    def row(self) -> int:
        return self.record.row

    @property
    def column(self) -> str:
        return self.record.column

    @property
    def key(self) -> SampleKey:
        return (self.station.id, self.sampled_at, self.sample_code)


@dataclass(frozen=True, slots=True)
class Exceedance:
    """A result outside the limit of its station's regulation and column.

    `compared` is the value in the rule's unit that decided it (for '>x' the lower bound, for
    '<x' and KPH the upper bound); `limit` is the breached bound, Kq × Kf applied.
    """

    row: int
    column: str
    station_code: str
    sampled_at: int
    parameter_code: str
    value: float | None
    qualifier: str | None
    compared: float
    limit: float
    unit: str
    direction: str  # above_maximum | below_minimum
    ratio: float | None
    regulation: str
    rule_column: str
    confidence: str


@dataclass(frozen=True, slots=True)
class WriteCounts:
    """What a write did (or, in a dry run, would do)."""

    samples_new: int = 0
    samples_updated: int = 0
    samples_unchanged: int = 0
    results_new: int = 0
    results_updated: int = 0
    results_unchanged: int = 0
    campaigns_new: int = 0

    @property
    def changed(self) -> bool:
        return bool(
            self.samples_new + self.samples_updated + self.results_new + self.results_updated
        )


@dataclass(frozen=True, slots=True)
class ImportReport:
    """Everything an import found and did; `written` is False for a dry run or a refusal."""

    filename: str
    mode: Mode
    layout: str
    sheet: str | None
    records_read: int
    samples_read: int
    results_accepted: int
    rejected_rows: tuple[int, ...]
    issues: tuple[Issue, ...]
    exceedances: tuple[Exceedance, ...]
    counts: WriteCounts
    written: bool
    campaigns: tuple[str, ...] = ()
    outcome: str = ""

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity == "error")

    @property
    def warnings(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity == "warning")

    @property
    def results_rejected(self) -> int:
        return self.records_read - self.results_accepted
