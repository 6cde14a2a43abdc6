"""Request and response bodies of the staff-workspace endpoints (/api/v1/workspace/…).

Input models refuse NaN and infinities (`allow_inf_nan=False`): a value that JSON cannot carry
back must never reach the store, and every answer stays valid JSON.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

_IN = ConfigDict(extra="forbid", allow_inf_nan=False, str_strip_whitespace=True)
Short = Field(default=None, max_length=255)


# --- stations (registry) -------------------------------------------------------------------
class WsStation(BaseModel):
    """A station the caller manages, with every registry field a form needs."""

    code: str
    name: str
    kind: str
    medium: str
    latitude: float | None
    longitude: float | None
    province: str | None = Field(description="admin_unit key")
    owner: str | None
    network: str | None
    visibility: str
    regulation: str | None
    regulation_column: str | None
    kq: float | None
    kf: float | None
    reporting_interval_s: int | None
    address: str | None
    notes: str | None
    updated_at: str | None


class StationFields(BaseModel):
    """Registry fields that may change (all optional: a PATCH sends only what changes)."""

    model_config = _IN

    name: str | None = Field(default=None, min_length=1, max_length=255)
    kind: Literal["automatic", "periodic"] | None = None
    medium: str | None = Field(default=None, max_length=64)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    admin_unit: str | None = Field(default=None, max_length=128)
    owner: str | None = Field(default=None, max_length=64)
    network: str | None = Field(default=None, max_length=64)
    visibility: Literal["public", "restricted"] | None = None
    regulation: str | None = Field(default=None, max_length=128)
    regulation_column: str | None = Field(default=None, max_length=64)
    kq: float | None = Field(default=None, gt=0, le=100)
    kf: float | None = Field(default=None, gt=0, le=100)
    reporting_interval_s: int | None = Field(default=None, gt=0, le=31 * 86400)
    address: str | None = Short
    notes: str | None = Field(default=None, max_length=2000)


class StationIn(StationFields):
    """A new station: code, name, kind and medium are required."""

    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=255)  # type: ignore[assignment]
    kind: Literal["automatic", "periodic"]  # type: ignore[assignment]
    medium: str = Field(min_length=1, max_length=64)  # type: ignore[assignment]


class Organization(BaseModel):
    code: str
    name: str
    kind: str


# --- ingest ---------------------------------------------------------------------------------
class WsConnectivity(BaseModel):
    station: str
    name: str
    interval_s: int
    online: bool | None = Field(description="null: never sent anything")
    last_data_at: str | None
    last_received_at: str | None
    delay_s: int | None
    offline_after_s: int
    today_expected: int
    today_received: int
    today_percent: float | None


class RawFile(BaseModel):
    id: int
    name: str
    source: str
    sender: str | None
    station: str | None
    size: int
    received_at: str
    state: str = Field(description="received | parsed | quarantined")
    reason: str | None = Field(description="why quarantined, or the problems found")
    line: int | None
    field: str | None
    processed_at: str | None


class RawFiles(BaseModel):
    counts: dict[str, int]
    files: list[RawFile]


class ReplayResult(BaseModel):
    raw_file_id: int
    state: str
    stored: int
    unchanged: int
    reason: str | None
    problems: list[str]


# --- periodic import ------------------------------------------------------------------------
class ReportIssue(BaseModel):
    severity: str = Field(description="error | warning | info")
    scope: str
    rows: list[int] = Field(description="first 50 rows concerned")
    row_count: int
    column: str | None
    column_name: str | None
    value: str | None
    message: str
    suggestion: str | None


class ReportExceedance(BaseModel):
    row: int
    station: str
    sampled_at: str
    parameter: str
    value: float | None
    qualifier: str | None
    compared: float
    limit: float
    unit: str
    direction: str
    ratio: float | None
    regulation: str
    column: str


class ImportCounts(BaseModel):
    samples_new: int
    samples_updated: int
    samples_unchanged: int
    results_new: int
    results_updated: int
    results_unchanged: int
    campaigns_new: int


class ImportReportOut(BaseModel):
    """The validation report (dry run) or the outcome of a commit, row by row."""

    raw_file_id: int
    filename: str
    mode: str
    layout: str
    sheet: str | None
    records_read: int
    samples_read: int
    results_accepted: int
    rows_rejected: int
    errors: int
    warnings: int
    issues: list[ReportIssue]
    exceedances: list[ReportExceedance]
    counts: ImportCounts
    written: bool
    campaigns: list[str]
    stations: list[str] = Field(description="the caller's stations the file has rows for")
    outcome: str
    committable: bool = Field(description="a commit could store something")


# --- review ---------------------------------------------------------------------------------
class PeriodIn(BaseModel):
    model_config = _IN

    state: Literal["reviewed", "approved", "rejected"]
    start: str = Field(max_length=64, description="ISO 8601 with offset, inclusive")
    end: str = Field(max_length=64, description="ISO 8601 with offset, exclusive")
    note: str | None = Field(default=None, max_length=1000)


class OverrideIn(BaseModel):
    model_config = _IN

    start: str = Field(max_length=64)
    end: str = Field(max_length=64)
    flag: Literal[1, 3, 4]
    reason: str = Field(min_length=1, max_length=1000)


class CorrectionIn(BaseModel):
    model_config = _IN

    time: str = Field(max_length=64, description="the stored value's time (ISO 8601)")
    value: float | None = Field(description="null removes the value (flag 9)")
    reason: str = Field(min_length=1, max_length=1000)
    flag: Literal[1, 3, 4] = 1


class Period(BaseModel):
    id: int
    series_id: int
    start: str
    end: str
    state: str
    by: str
    at: str
    note: str | None


class RevisionOut(BaseModel):
    id: int
    time: str
    old_value: float | None
    new_value: float | None
    old_flag: int | None
    new_flag: int | None
    source: str
    changed_by: str | None
    reason: str | None
    changed_at: str


class ReviewTrail(BaseModel):
    series_id: int
    station: str
    parameter: str
    unit: str
    can_approve: bool
    can_correct: bool
    periods: list[Period]
    revisions: list[RevisionOut]


class OverrideResult(BaseModel):
    changed: int


# --- alert rules ----------------------------------------------------------------------------
class AlertRuleIn(BaseModel):
    model_config = _IN

    name: str = Field(min_length=1, max_length=128)
    event_kinds: list[Literal["exceedance", "offline", "delayed", "qc_failure"]] = Field(
        min_length=1, max_length=4
    )
    stations: list[str] | None = Field(default=None, max_length=500)
    channel: Literal["webhook", "email"]
    target: str = Field(min_length=3, max_length=2000)
    secret: str | None = Field(default=None, max_length=255)


class AlertRule(BaseModel):
    id: int
    name: str
    event_kinds: list[str]
    stations: list[str] | None
    channel: str
    target: str
    has_secret: bool
    active: bool
    created_at: str


def dump(model: BaseModel) -> dict[str, Any]:
    """Only the fields the client sent (a PATCH must not clear what it left out)."""
    return model.model_dump(exclude_unset=True)
