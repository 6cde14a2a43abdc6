"""Per-station connectivity and daily completeness, read from the store (rules.py defines them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Connection, RowMapping, distinct, func, select

from quantrac.connectivity.rules import (
    DEFAULT_INTERVAL_S,
    completeness_ratio,
    expected_records,
    is_online,
    local_day_bounds,
    offline_after_s,
)
from quantrac.settings import get_settings
from quantrac.store.db import Store, now_s
from quantrac.store.schema import observation, series, station, station_status


class ConnectivitySettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="QUANTRAC_CONNECTIVITY_", env_file=".env", extra="ignore"
    )

    offline_factor: float = Field(default=3.0, gt=0, description="× reporting interval")
    offline_default_s: int = Field(default=1800, gt=0, description="when no interval is known")
    offline_min_s: int = Field(default=600, ge=0, description="floor for short intervals")
    default_interval_s: int = Field(default=DEFAULT_INTERVAL_S, gt=0)
    check_every_s: float = Field(default=60.0, gt=0, description="offline check period")

    def threshold(self, interval_s: int | None) -> int:
        return offline_after_s(
            interval_s,
            factor=self.offline_factor,
            default_s=self.offline_default_s,
            minimum_s=self.offline_min_s,
        )

    @property
    def zone(self) -> ZoneInfo:
        """The local day of completeness: QUANTRAC_TIMEZONE (Asia/Ho_Chi_Minh)."""
        return ZoneInfo(get_settings().timezone)


@dataclass(frozen=True, slots=True)
class Completeness:
    day: date
    expected: int
    received: int

    @property
    def ratio(self) -> float | None:
        return completeness_ratio(self.received, self.expected)

    @property
    def percent(self) -> float | None:
        r = self.ratio
        return None if r is None else round(100 * r, 1)


@dataclass(frozen=True, slots=True)
class StationConnectivity:
    code: str
    name: str
    interval_s: int  # the station's, else the default
    last_data_at: int | None
    last_received_at: int | None
    delay_s: int | None  # now − newest measurement time
    online: bool | None  # None: never sent anything
    offline_after_s: int
    today: Completeness


def automatic_stations(conn: Connection, codes: Sequence[str] | None = None) -> list[RowMapping]:
    """Active automatic stations with their status row (None fields if never heard from)."""
    q = (
        select(
            station.c.id,
            station.c.code,
            station.c.name,
            station.c.reporting_interval_s,
            station.c.created_at,
            station_status.c.last_data_at,
            station_status.c.last_received_at,
            station_status.c.online,
            station_status.c.changed_at,
        )
        .outerjoin(station_status, station_status.c.station_id == station.c.id)
        .where(station.c.kind == "automatic", station.c.retired_at.is_(None))
        .order_by(station.c.code)
    )
    if codes:
        q = q.where(station.c.code.in_(list(codes)))
    return list(conn.execute(q).mappings())


def _record_counts(conn: Connection, start: int, end: int, ids: list[int]) -> dict[int, int]:
    """Distinct record times per station in [start, end): one record = one file/message time,
    however many parameters it carried."""
    if not ids:
        return {}
    q = (
        select(series.c.station_id, func.count(distinct(observation.c.time)))
        .join(observation, observation.c.series_id == series.c.id)
        .where(series.c.station_id.in_(ids), observation.c.time >= start, observation.c.time < end)
        .group_by(series.c.station_id)
    )
    return {int(sid): int(n) for sid, n in conn.execute(q)}


def _completeness(
    day: date, interval_s: int, received: int, start: int, end: int, now: int
) -> Completeness:
    expected = expected_records(interval_s, start, min(end, now)) if start < now else 0
    return Completeness(day, expected, received)


def station_connectivity(
    store: Store,
    *,
    now: int | None = None,
    codes: Sequence[str] | None = None,
    settings: ConnectivitySettings | None = None,
) -> list[StationConnectivity]:
    """Every active automatic station (or `codes`), with today's completeness so far."""
    settings = settings or ConnectivitySettings()
    now = now_s() if now is None else now
    today = datetime.fromtimestamp(now, UTC).astimezone(settings.zone).date()
    start, end = local_day_bounds(today, settings.zone)
    with store.read() as conn:
        rows = automatic_stations(conn, codes)
        counts = _record_counts(conn, start, min(end, now + 1), [r["id"] for r in rows])
    out = []
    for r in rows:
        interval = r["reporting_interval_s"] or settings.default_interval_s
        threshold = settings.threshold(r["reporting_interval_s"])
        last_data = r["last_data_at"]
        out.append(
            StationConnectivity(
                code=r["code"],
                name=r["name"],
                interval_s=interval,
                last_data_at=last_data,
                last_received_at=r["last_received_at"],
                delay_s=None if last_data is None else max(0, now - last_data),
                online=is_online(r["last_received_at"], now, threshold),
                offline_after_s=threshold,
                today=_completeness(today, interval, counts.get(r["id"], 0), start, end, now),
            )
        )
    return out


def daily_completeness(
    store: Store,
    day: date,
    *,
    codes: Sequence[str] | None = None,
    now: int | None = None,
    settings: ConnectivitySettings | None = None,
) -> dict[str, Completeness]:
    """Completeness of one local day for each station (a day in progress: so far)."""
    settings = settings or ConnectivitySettings()
    now = now_s() if now is None else now
    start, end = local_day_bounds(day, settings.zone)
    with store.read() as conn:
        rows = automatic_stations(conn, codes)
        counts = _record_counts(conn, start, end, [r["id"] for r in rows])
    return {
        r["code"]: _completeness(
            day,
            r["reporting_interval_s"] or settings.default_interval_s,
            counts.get(r["id"], 0),
            start,
            end,
            now,
        )
        for r in rows
    }


def completeness_by_day(
    store: Store,
    code: str,
    first: date,
    last: date,
    *,
    now: int | None = None,
    settings: ConnectivitySettings | None = None,
) -> list[Completeness]:
    """One station's completeness for each local day from `first` to `last` inclusive."""
    days = (last - first).days + 1
    return [
        daily_completeness(
            store, first + timedelta(days=i), codes=[code], now=now, settings=settings
        ).get(code, Completeness(first + timedelta(days=i), 0, 0))
        for i in range(max(0, days))
    ]
