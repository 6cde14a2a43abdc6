"""Receiver settings, read from the environment like the rest of quantrac (settings.py).

Each receiver has its own prefix so a province can turn one on without touching the others:
QUANTRAC_FTP_* (FTP server and the folder watcher, which replaces it where a province keeps its
own FTP server), QUANTRAC_MQTT_* (subscriber; off until a broker URL is given),
QUANTRAC_INGEST_* (the worker that parses what the receivers archived).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from quantrac.errors import ConfigError


class FtpSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QUANTRAC_FTP_", env_file=".env", extra="ignore")

    enabled: bool = Field(default=True, description="Start the FTP server with `serve`.")
    host: str = "127.0.0.1"
    port: int = Field(default=2121, description="21 needs root; put a port forward in front.")
    root: Path | None = Field(
        default=None, description="Folder holding every account's home; default DATA_DIR/ftp."
    )
    passive_ports: str | None = Field(
        default=None,
        description='Passive data ports, e.g. "60000-60199" (open them in the '
        "firewall); default: any free port.",
    )
    masquerade_address: str | None = Field(
        default=None, description="Public address sent in PASV replies when behind NAT."
    )
    tls_cert: Path | None = Field(default=None, description="PEM certificate: enables FTPS.")
    tls_key: Path | None = Field(default=None, description="PEM key (if not in tls_cert).")
    tls_required: bool = Field(
        default=False, description="Refuse logins and transfers not protected by TLS."
    )
    max_connections: int = 1024
    max_connections_per_ip: int = 0
    max_upload_bytes: int = Field(default=16 * 1024 * 1024, gt=0)
    credential_cache_size: int = Field(default=20_000, ge=0)
    credential_cache_ttl_s: int = Field(default=6 * 3600, ge=0)
    watch_dir: Path | None = Field(
        default=None, description="Folder tree of an existing FTP server (e.g. vsftpd) to poll."
    )
    watch_settle_s: float = Field(
        default=5.0, ge=0, description="A file is taken once size and mtime are this old."
    )
    watch_poll_s: float = Field(default=1.0, gt=0)
    watch_delete: bool = Field(
        default=True, description="Remove a watched file once archived (else leave it)."
    )

    @field_validator("passive_ports")
    @classmethod
    def _port_range(cls, v: str | None) -> str | None:
        if v:
            try:
                parse_port_range(v)
            except ConfigError as e:
                raise ValueError(str(e)) from None
        return v or None

    def passive_port_list(self) -> list[int] | None:
        return parse_port_range(self.passive_ports) if self.passive_ports else None

    def resolved_root(self, data_dir: Path) -> Path:
        return (self.root or data_dir / "ftp").resolve()


class MqttSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QUANTRAC_MQTT_", env_file=".env", extra="ignore")

    url: str | None = Field(
        default=None,
        description="mqtt://[user:password@]host[:port] or mqtts://…; unset = no subscriber.",
    )
    client_id: str = Field(
        default="quantrac-ingest",
        description="Fixed, so the broker keeps this subscriber's session across restarts.",
    )
    topic_prefix: str = "quantrac"
    session_expiry_s: int = Field(
        default=7 * 86400, gt=0, description="How long the broker queues for us while we are down."
    )
    keepalive_s: int = Field(default=60, gt=0)
    ca_file: Path | None = None


class IngestSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="QUANTRAC_INGEST_", env_file=".env", extra="ignore"
    )

    workers: int = Field(default=1, ge=1, le=16, description="Parallel ingest threads.")
    processes: int = Field(
        default=0,
        ge=0,
        le=16,
        description="Ingest in this many child processes instead of threads (uses more cores).",
    )
    poll_s: float = Field(
        default=5.0, gt=0, description="Look for pending files this often even unwoken."
    )


def parse_port_range(text: str) -> list[int]:
    """``"60000-60199"`` → the ports; a single port is a range of one."""
    try:
        first, _, last = text.strip().partition("-")
        low, high = int(first), int(last or first)
    except ValueError:
        raise ConfigError(f"passive ports {text!r}: expected FIRST-LAST (60000-60199)") from None
    if not 1024 <= low <= high <= 65535:
        raise ConfigError(f"passive ports {text!r}: need 1024 ≤ FIRST ≤ LAST ≤ 65535")
    return list(range(low, high + 1))
