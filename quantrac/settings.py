"""All settings in one object, read from QUANTRAC_* environment variables (or a .env file).

Defaults work on a laptop: an SQLite file under ./quantrac-data, times shown in
Asia/Ho_Chi_Minh, Vietnamese user-facing text.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QUANTRAC_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=Path("quantrac-data"),
        description="Where the SQLite file, the raw archive and exports live.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default is an "
        "SQLite file in data_dir. postgresql://… for production.",
    )
    timezone: str = "Asia/Ho_Chi_Minh"
    language: str = "vi"
    node_role: str = "province"
    http_host: str = "127.0.0.1"
    http_port: int = 8000

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'quantrac.db').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
