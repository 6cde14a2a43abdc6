"""Federation settings, read from QUANTRAC_SYNC_* variables (or .env).

The node's role is `QUANTRAC_NODE_ROLE` (quantrac.settings: `province`, the default, or
`national`); everything else about federation lives here.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SyncSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QUANTRAC_SYNC_", env_file=".env", extra="ignore")

    # --- province: where and how to push ---------------------------------------------------
    national_url: str | None = Field(
        default=None, description="Base URL of the national node, e.g. https://quantrac.gov.vn"
    )
    key: str | None = Field(default=None, description="This node's key (`quantrac nodes add`).")
    batch_rows: int = Field(
        default=200_000, ge=1, description="Observations per batch at the start."
    )
    max_batch_rows: int = Field(default=1_000_000, ge=1)
    min_batch_rows: int = Field(default=5_000, ge=1)
    max_entries: int = Field(
        default=20_000, ge=1, description="Change-log entries per batch at most."
    )
    target_apply_s: float = Field(
        default=4.0,
        gt=0,
        description="Batches are resized so the national node applies one "
        "in about this long (back-pressure).",
    )
    compression: str = Field(default="zstd", pattern="^(zstd|lz4|none)$")
    timeout_s: float = Field(default=300.0, gt=0)
    retry_initial_s: float = Field(default=0.5, gt=0)
    retry_max_s: float = Field(default=60.0, gt=0)
    max_attempts: int = Field(
        default=0, ge=0, description="Failed attempts in a row before `push` gives up (0: never)."
    )
    ca_file: str | None = Field(default=None, description="CA bundle for a private national CA.")
    retain_s: int = Field(
        default=7 * 86_400,
        ge=0,
        description="Acknowledged change-log entries are kept this long (a national restore "
        "from backup can then be refilled).",
    )
    follow_interval_s: float = Field(default=30.0, gt=0)
    settle_wait_s: float = Field(
        default=30.0,
        ge=0,
        description="PostgreSQL: how long a push waits for changes of transactions still "
        "open before it reports that it is not up to date.",
    )

    # --- national: how much to accept --------------------------------------------------------
    max_concurrent_applies: int = Field(
        default=2, ge=1, description="Batches applied at once; more are told to retry later."
    )
    max_body_bytes: int = Field(default=512 * 1024 * 1024, ge=1024)
    retry_after_s: int = Field(default=2, ge=1)


@lru_cache(maxsize=1)
def get_sync_settings() -> SyncSettings:
    return SyncSettings()
