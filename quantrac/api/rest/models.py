"""Response bodies of /api/v1, declared so the OpenAPI document says exactly what comes back."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: str
    version: str
    database: str


class Station(BaseModel):
    code: str
    name: str
    kind: str
    medium: str
    latitude: float | None
    longitude: float | None
    province: str | None = Field(description="admin_unit key (province) the station is in")
    owner: str | None
    network: str | None
    visibility: str
    regulation: str | None
    regulation_column: str | None
    reporting_interval_s: int | None
    address: str | None


class Parameter(BaseModel):
    code: str
    name_vi: str
    name_en: str
    unit: str
    media: list[str]


class Series(BaseModel):
    id: int
    station: str
    parameter: str
    method: str
    unit: str
    first_time: str | None = None
    last_time: str | None = None


class Observations(BaseModel):
    """Columnar: time[i], value[i], qc_flag[i] belong together (compact for long series)."""

    station: str
    parameter: str
    series_id: int
    unit: str
    aggregation: str
    time: list[str]
    value: list[float | None]
    qc_flag: list[int] | None = None
    available: list[float | None] | None = None
    count: list[int] | None = None
    expected: list[int] | None = None
    next_cursor: str | None = None


class LatestValue(BaseModel):
    parameter: str
    unit: str
    time: str
    value: float | None
    qc_flag: int


class LatestStation(BaseModel):
    station: str
    name: str
    medium: str
    kind: str
    latitude: float | None
    longitude: float | None
    province: str | None
    values: list[LatestValue]


class Latest(BaseModel):
    generated_at: str
    stations: list[LatestStation]


class IndexValue(BaseModel):
    station: str
    kind: str
    time: str
    value: float | None
    category: str | None
    dominant: str | None
    details: Any = None


class LatestIndex(BaseModel):
    station: str
    name: str
    medium: str
    latitude: float | None
    longitude: float | None
    kind: str
    time: str
    value: float | None
    category: str | None
    dominant: str | None


class Event(BaseModel):
    id: int
    kind: str
    station: str
    parameter: str | None
    status: str
    started_at: str
    last_at: str
    ended_at: str | None
    peak_value: float | None
    peak_at: str | None
    details: Any = None


class Connectivity(BaseModel):
    station: str
    name: str
    kind: str
    reporting_interval_s: int | None
    online: bool | None
    last_data_at: str | None
    last_received_at: str | None
    changed_at: str | None
    delay_s: int | None


class Campaign(BaseModel):
    code: str
    name: str
    network: str | None
    medium: str | None
    period_start: str | None
    period_end: str | None


class SampleResult(BaseModel):
    parameter: str
    value: float | None
    unit: str
    qualifier: str | None
    detection_limit: float | None
    method: str | None
    qc_flag: int


class Sample(BaseModel):
    id: int
    station: str
    campaign: str | None
    sample_code: str
    sampled_at: str
    matrix: str
    depth_m: float | None
    layer: str | None
    sample_type: str | None
    lab: str | None
    results: list[SampleResult]


class PushResult(BaseModel):
    raw_file_id: int
    duplicate: bool
    state: str = Field(description="parsed | quarantined")
    stored: int
    unchanged: int
    problems: list[str]
    reason: str | None


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class Session(BaseModel):
    token: str
    expires_at: str
    username: str
    role: str


class Me(BaseModel):
    actor: str
    role: str
    scopes: list[str]
    provinces: list[str]
    organization_id: int | None


class UserIn(BaseModel):
    username: str = Field(min_length=2, max_length=64)
    password: str = Field(min_length=8, max_length=256)
    role: str = Field(pattern="^(admin|province|enterprise|public)$")
    admin_unit: str | None = None
    organization: str | None = None
    full_name: str | None = None


class User(BaseModel):
    id: int
    username: str
    full_name: str | None
    role: str
    admin_unit_key: str | None
    organization: str | None
    active: bool
    created_at: str


class KeyIn(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    user: str | None = None
    organization: str | None = None
    scopes: str = Field(default="read", pattern="^[a-z, ]{1,64}$")


class NewKey(BaseModel):
    prefix: str
    key: str = Field(description="Shown once; only its hash is stored.")


class Key(BaseModel):
    id: int
    prefix: str
    name: str
    user: str | None
    organization: str | None
    scopes: str
    created_at: str
    last_used_at: str | None
    revoked_at: str | None


class AuditEntry(BaseModel):
    id: int
    at: str
    actor: str
    action: str
    target: str | None
    details: Any = None
    remote_addr: str | None
