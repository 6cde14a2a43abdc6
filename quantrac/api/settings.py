"""Settings of the web API, read from QUANTRAC_API_* variables (or .env).

Kept apart from `quantrac.settings` so the API's knobs live with the API; defaults suit one
office on a laptop.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QUANTRAC_API_", env_file=".env", extra="ignore")

    public_requires_approval: bool = Field(
        default=True,
        description="Issue 6: the public sees only observations inside approved review periods.",
    )
    secret: str | None = Field(
        default=None,
        description="Signs session tokens. Default: a random secret kept in <data_dir>/api_secret.",
    )
    session_ttl_s: int = Field(default=8 * 3600, gt=0)
    cookie_secure: bool = False

    rate_limit_enabled: bool = True
    rate_ip_per_s: float = Field(default=20.0, gt=0)
    rate_ip_burst: int = Field(default=200, ge=1)
    rate_key_per_s: float = Field(default=200.0, gt=0)
    rate_key_burst: int = Field(default=2000, ge=1)

    page_default: int = Field(default=10_000, ge=1)
    page_max: int = Field(default=200_000, ge=1)
    sta_top_default: int = Field(default=100, ge=1)
    sta_top_max: int = Field(default=10_000, ge=1)
    #: Exact counts give up after this long and answer the planner's estimate instead.
    count_budget_ms: int = Field(default=800, ge=10)
    latest_cache_s: float = Field(default=10.0, ge=0)
    max_body_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)

    gc_threshold: int = Field(
        default=50_000,
        ge=0,
        description="CPython gen-0 GC threshold set at start (0 keeps Python's 700): a "
        "20,000-row push allocates ~10⁵ short-lived objects, and the default runs dozens of "
        "collections over them (measured: 2× the ingest time).",
    )
    archive_dir: Path | None = Field(default=None, description="Default <data_dir>/archive.")
    base_url: str | None = Field(
        default=None, description="Public base URL for SensorThings links; default from request."
    )
