"""Connectivity and completeness on SQLite and PostgreSQL: online/offline, delay, one event
per outage, completeness per local day — plus the pure definitions, table-driven."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from quantrac.connectivity import (
    ConnectivitySettings,
    completeness_by_day,
    completeness_ratio,
    daily_completeness,
    expected_records,
    local_day_bounds,
    offline_after_s,
    station_connectivity,
    update_offline_events,
)
from quantrac.pipeline.ingest import ingest_readings
from quantrac.pipeline.standardize import Reading
from quantrac.store.db import Store, now_s
from quantrac.store.registry import StationSpec, create_station
from quantrac.store.schema import event, station, station_status

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
SETTINGS = ConnectivitySettings()


# --------------------------------------------------------------------------- definitions


@pytest.mark.parametrize(
    ("interval", "expected"),
    [(300, 900), (60, 600), (3600, 10800), (None, 1800), (0, 1800)],
)
def test_offline_threshold(interval: int | None, expected: int) -> None:
    assert offline_after_s(interval) == expected


@pytest.mark.parametrize(
    ("interval", "hours", "expected"),
    [(300, 24, 288), (60, 24, 1440), (3600, 24, 24), (300, 12, 144), (900, 0.1, 0)],
)
def test_expected_records(interval: int, hours: float, expected: int) -> None:
    assert expected_records(interval, 0, int(hours * 3600)) == expected


@pytest.mark.parametrize(
    ("received", "expected", "ratio"),
    [(288, 288, 1.0), (144, 288, 0.5), (300, 288, 1.0), (0, 288, 0.0), (5, 0, None)],
)
def test_completeness_ratio(received: int, expected: int, ratio: float | None) -> None:
    assert completeness_ratio(received, expected) == ratio


def test_local_day_is_the_vietnamese_day() -> None:
    start, end = local_day_bounds(date(2026, 3, 25), HCM)
    assert datetime.fromtimestamp(start, UTC) == datetime(2026, 3, 24, 17, tzinfo=UTC)
    assert end - start == 86400


# --------------------------------------------------------------------------- against a store


def register(store: Store, code: str, interval: int | None, kind: str = "automatic") -> None:
    create_station(
        store,
        StationSpec(
            code=code, name=code, kind=kind, medium="ambient_air", reporting_interval_s=interval
        ),
    )


def send(store: Store, code: str, times: list[datetime]) -> None:
    """A record per time, two parameters each (a record counts once however many it holds)."""
    readings = [Reading(code, p, t, 10.0, "ug/m3", 0) for t in times for p in ("PM2,5", "PM10")]
    ingest_readings(store, readings, source="test")


def set_status(store: Store, code: str, **values: object) -> None:
    with store.write() as conn:
        sid = conn.scalar(select(station.c.id).where(station.c.code == code))
        conn.execute(
            update(station_status).where(station_status.c.station_id == sid).values(**values)
        )


def offline_events(store: Store, code: str) -> list[dict[str, object]]:
    with store.read() as conn:
        rows = conn.execute(
            select(event)
            .join(station, station.c.id == event.c.station_id)
            .where(station.c.code == code, event.c.kind == "offline")
            .order_by(event.c.id)
        ).mappings()
        return [dict(r) for r in rows]


def test_daily_completeness_counts_records_per_local_day(store: Store) -> None:
    register(store, "HN_A_KK", 300)
    register(store, "HN_B_KK", 3600)
    register(store, "HN_P_NUOC", None, kind="periodic")  # periodic: not reported
    yesterday = datetime.now(HCM).date() - timedelta(days=1)
    start = datetime.combine(yesterday, datetime.min.time(), tzinfo=HCM)
    five_min = [start + timedelta(minutes=5 * i) for i in range(288)]
    send(store, "HN_A_KK", [t for i, t in enumerate(five_min) if i % 24])  # 12 gaps
    send(
        store, "HN_A_KK", [start - timedelta(minutes=5), start + timedelta(days=1)]
    )  # not that day
    send(store, "HN_B_KK", [start + timedelta(hours=h) for h in range(0, 24, 2)])

    result = daily_completeness(store, yesterday)
    assert set(result) == {"HN_A_KK", "HN_B_KK"}
    a, b = result["HN_A_KK"], result["HN_B_KK"]
    assert (a.expected, a.received, a.percent) == (288, 276, 95.8)
    assert (b.expected, b.received, b.percent) == (24, 12, 50.0)
    days = completeness_by_day(store, "HN_A_KK", yesterday - timedelta(days=1), yesterday)
    assert [(d.day, d.received) for d in days] == [
        (yesterday - timedelta(days=1), 1),
        (yesterday, 276),
    ]


def test_online_delay_and_todays_completeness(store: Store) -> None:
    register(store, "HN_A_KK", 300)
    register(store, "HN_SILENT_KK", 300)
    now = now_s()
    last = datetime.fromtimestamp(now - 600, HCM).replace(second=0)
    send(store, "HN_A_KK", [last])
    rows = {r.code: r for r in station_connectivity(store, now=now)}
    a, silent = rows["HN_A_KK"], rows["HN_SILENT_KK"]
    assert a.online is True and a.delay_s == now - int(last.timestamp())
    assert a.offline_after_s == 900 and a.today.received == 1
    midnight = datetime.combine(datetime.now(HCM).date(), datetime.min.time(), tzinfo=HCM)
    assert a.today.expected == (now - int(midnight.timestamp())) // 300
    assert silent.online is None and silent.delay_s is None and silent.today.received == 0
    # Arrival decides online: the newest arrival 20 min ago (> 15 min) means offline.
    set_status(store, "HN_A_KK", last_received_at=now - 1200)
    assert station_connectivity(store, now=now, codes=["HN_A_KK"])[0].online is False


def test_one_event_per_outage_opened_and_closed(store: Store) -> None:
    register(store, "HN_A_KK", 300)
    register(store, "HN_NEVER_KK", 300)
    now = now_s()
    send(store, "HN_A_KK", [datetime.fromtimestamp(now - 300, HCM)])
    assert update_offline_events(store, now=now).opened == []  # both within their threshold

    # The link goes quiet for 20 minutes: one event, kept current while the outage lasts.
    set_status(store, "HN_A_KK", last_received_at=now - 1200)
    assert update_offline_events(store, now=now).opened == ["HN_A_KK"]
    assert update_offline_events(store, now=now + 60).opened == []
    (outage,) = offline_events(store, "HN_A_KK")
    assert outage["status"] == "open" and outage["started_at"] == now - 1200
    assert outage["last_at"] == now + 60
    with store.read() as conn:
        assert conn.scalar(select(station_status.c.online)) is False

    # Data arrives again: the ingest flips it online, the next check closes the event.
    send(store, "HN_A_KK", [datetime.fromtimestamp(now, HCM)])
    changes = update_offline_events(store, now=now_s())
    assert changes.closed == ["HN_A_KK"]
    (outage,) = offline_events(store, "HN_A_KK")
    assert outage["status"] == "closed" and outage["ended_at"] >= now

    # A second outage is a second event.
    set_status(store, "HN_A_KK", last_received_at=now - 5000)
    update_offline_events(store, now=now)
    assert [e["status"] for e in offline_events(store, "HN_A_KK")] == ["closed", "open"]

    # A station that never sent anything goes offline once its threshold has passed since
    # it was registered.
    with store.write() as conn:
        conn.execute(
            update(station).where(station.c.code == "HN_NEVER_KK").values(created_at=now - 7200)
        )
    assert "HN_NEVER_KK" in update_offline_events(store, now=now).opened
    (never,) = offline_events(store, "HN_NEVER_KK")
    assert never["started_at"] == now - 7200 and '"never_sent": true' in never["details"]
