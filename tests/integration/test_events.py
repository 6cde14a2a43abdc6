"""QCVN compliance and exceedance events on SQLite and PostgreSQL, and the CLI on top."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from quantrac.cli import indices_cmd
from quantrac.indices.compliance import Direction
from quantrac.jobs.compliance_job import (
    CLOSED,
    OPEN,
    EventKey,
    close_event,
    evaluate_station,
    list_events,
    open_event,
    run_compliance,
)
from quantrac.store.db import Store
from quantrac.store.observations import ObservationRow, write_observations
from quantrac.store.registry import StationSpec, create_station, ensure_series, get_station
from quantrac.store.schema import event

VN = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = int(datetime(2025, 3, 1, tzinfo=VN).timestamp())  # 01/03/2025 00:00 local
HOUR = 3600
#: QCVN 40:2011 column B COD 150 mg/L × Kq 0.9 × Kf 1.0 = 135 mg/L.
COD_LIMIT = 135.0
#: Three episodes above 135: hours 5–7 (peak 160 at 6), 20–21 (peak 200 at 21), 40–42 (170 at 40).
EXCEEDING = {5: 140.0, 6: 160.0, 7: 150.0, 20: 136.0, 21: 200.0, 40: 170.0, 41: 150.0, 42: 140.0}


def t(hour: int) -> int:
    return T0 + hour * HOUR


def wastewater(store: Store) -> int:
    create_station(
        store,
        StationSpec(
            code="TB_NT",
            name="Nước thải sau xử lý",
            kind="automatic",
            medium="nước thải",
            regulation="QCVN 40:2011/BTNMT",
            regulation_column="B",
            kq=0.9,
            kf=1.0,
            reporting_interval_s=HOUR,
        ),
    )
    return ensure_series(store, "TB_NT", "COD")


def write_cod(store: Store, sid: int, hours: range, values: dict[int, float]) -> None:
    rows = [ObservationRow(sid, t(h), values.get(h, 100.0)) for h in hours]
    write_observations(store, rows, source="test")


def events_of(store: Store) -> list:
    with store.read() as conn:
        return list(conn.execute(select(event).order_by(event.c.started_at)))


def test_a_series_crossing_the_limit_three_times_gives_three_events(store: Store) -> None:
    sid = wastewater(store)
    write_cod(store, sid, range(1, 49), EXCEEDING)
    report, changes = run_compliance(store, "TB_NT", T0, t(48))
    (cod,) = [o for o in report.outcomes if o.parameter_code == "COD"]
    assert (cod.status, cod.maximum, cod.scale, cod.periods) == ("exceed", COD_LIMIT, 0.9, 48)
    assert (cod.value, cod.value_at, cod.exceeded) == (200.0, t(21), 8)
    assert len(changes.opened) == 3
    got = [
        (e.started_at, e.last_at, e.ended_at, e.peak_value, e.peak_at, e.status)
        for e in events_of(store)
    ]
    assert got == [
        (t(5), t(7), t(8), 160.0, t(6), CLOSED),
        (t(20), t(21), t(22), 200.0, t(21), CLOSED),
        (t(40), t(42), t(43), 170.0, t(40), CLOSED),
    ]
    assert all(e.kind == "exceedance" and e.series_id == sid for e in events_of(store))
    assert all(e.limit_rule_id is not None for e in events_of(store))

    # Running again over the same data changes nothing.
    before = events_of(store)
    _, again = run_compliance(store, "TB_NT", T0, t(48))
    assert (again.opened, again.withdrawn, len(again.updated)) == ([], [], 3)
    assert events_of(store) == before


def test_an_open_episode_is_extended_by_new_data_and_then_closed(store: Store) -> None:
    sid = wastewater(store)
    write_cod(store, sid, range(1, 43), EXCEEDING)  # data ends inside the third episode
    run_compliance(store, "TB_NT", T0, t(42))
    third = events_of(store)[-1]
    assert (third.status, third.last_at, third.ended_at) == (OPEN, t(42), None)

    write_cod(store, sid, range(43, 47), {43: 180.0, 44: 210.0, 45: 140.0})  # 46 back within
    _, changes = run_compliance(store, "TB_NT", t(42), t(46))  # only the new hours asked for
    assert changes.opened == [] and third.id in changes.updated
    now = events_of(store)
    assert len(now) == 3
    assert (now[-1].id, now[-1].status) == (third.id, CLOSED)
    assert (now[-1].started_at, now[-1].last_at, now[-1].ended_at) == (t(40), t(45), t(46))
    assert (now[-1].peak_value, now[-1].peak_at) == (210.0, t(44))


def test_revised_data_withdraws_an_episode(store: Store) -> None:
    sid = wastewater(store)
    write_cod(store, sid, range(1, 49), EXCEEDING)
    run_compliance(store, "TB_NT", T0, t(48))
    write_cod(store, sid, range(20, 22), {})  # hours 20–21 corrected to 100
    _, changes = run_compliance(store, "TB_NT", T0, t(48))
    assert len(changes.withdrawn) == 1
    assert [e.started_at for e in events_of(store)] == [t(5), t(40)]


def test_ph_range_is_not_scaled_and_a_floor_breach_is_below(store: Store) -> None:
    sid = wastewater(store)
    ph = ensure_series(store, "TB_NT", "PH")
    write_cod(store, sid, range(1, 5), {})
    values = {1: 7.0, 2: 5.2, 3: 5.0, 4: 7.1}
    write_observations(store, [ObservationRow(ph, t(h), v) for h, v in values.items()], source="t")
    report = evaluate_station(store, "TB_NT", T0, t(4))
    (o,) = [o for o in report.outcomes if o.parameter_code == "PH"]
    assert (o.minimum, o.maximum, o.scale) == (5.5, 9.0, 1.0)
    assert o.status == "exceed" and o.value == 5.0
    (episode,) = o.episodes
    assert episode.direction is Direction.BELOW_MINIMUM
    assert (episode.started_at, episode.ended_at, episode.peak_value) == (t(2), t(4), 5.0)
    assert "not in force after 31/08/2025" not in " ".join(report.notes)


def test_24h_rule_switches_on_its_validity_date(store: Store) -> None:
    """QCVN 05:2023 PM2.5 24 h: 50 µg/Nm³ until 31/12/2025, 45 from 01/01/2026."""
    create_station(
        store,
        StationSpec(
            code="HN_KK",
            name="Không khí",
            kind="automatic",
            medium="ambient_air",
            regulation="QCVN 05:2023/BTNMT",
            reporting_interval_s=HOUR,
        ),
    )
    sid = ensure_series(store, "HN_KK", "PM25")
    start = int(datetime(2025, 12, 31, tzinfo=VN).timestamp())
    rows = [ObservationRow(sid, start + h * HOUR, 47.0) for h in range(1, 49)]
    write_observations(store, rows, source="t")
    report = evaluate_station(store, "HN_KK", start, start + 48 * HOUR)
    daily = {
        o.rule.maximum: o
        for o in report.outcomes
        if o.rule.averaging == "24h" and o.parameter_code == "PM25"
    }
    assert (daily[50.0].status, daily[50.0].periods) == ("pass", 1)
    assert (daily[45.0].status, daily[45.0].periods, daily[45.0].value) == ("exceed", 1, 47.0)
    (year,) = [o for o in report.outcomes if o.rule.averaging == "year"]
    assert year.status == "no data"
    assert any("no series for" in n for n in report.notes)


def test_open_and_close_event_helpers_are_idempotent(store: Store) -> None:
    wastewater(store)
    station_id = get_station(store, "TB_NT")["id"]
    key = EventKey("offline", station_id)
    with store.write() as conn:
        first = open_event(conn, key, t(1))
        assert open_event(conn, key, t(3)) == first  # still offline: same event, extended
        assert close_event(conn, key, t(4)) == first
        assert close_event(conn, key, t(5)) is None  # nothing open any more
        second = open_event(conn, key, t(9))
    assert second != first
    rows = {e.id: e for e in events_of(store)}
    assert (rows[first].started_at, rows[first].last_at, rows[first].ended_at) == (t(1), t(3), t(4))
    assert rows[second].status == OPEN
    assert [e["id"] for e in list_events(store, station_code="TB_NT", open_only=True)] == [second]


def test_cli_compliance_and_events_end_to_end(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from quantrac.settings import get_settings

    sid = wastewater(store)
    write_cod(store, sid, range(1, 49), EXCEEDING)
    monkeypatch.setenv("QUANTRAC_DATABASE_URL", store.url)
    monkeypatch.setenv("QUANTRAC_LANGUAGE", "en")
    monkeypatch.setenv("COLUMNS", "220")
    get_settings.cache_clear()
    app = typer.Typer()
    app.command("compliance")(indices_cmd.compliance)
    app.command("events")(indices_cmd.events)
    app.command("aqi")(indices_cmd.aqi)
    runner = CliRunner()
    try:
        out = runner.invoke(
            app, ["compliance", "TB_NT", "--from", "01/03/2025", "--to", "02/03/2025", "--record"]
        )
        assert out.exit_code == 0, out.output
        assert "Events: +3" in out.output
        cod = next(line for line in out.output.splitlines() if line.strip("│ ").startswith("COD"))
        assert "≤ 135 (150 × 0.9) mg/L" in cod and "Exceeds" in cod and "01/03/2025 21:00" in cod
        out = runner.invoke(app, ["events", "--station", "TB_NT"])
        assert out.exit_code == 0, out.output
        assert out.output.count("exceedance") == 3 and "01/03/2025 05:00" in out.output
        with store.read() as conn:
            assert conn.scalar(select(func.count()).select_from(event)) == 3
        bad = runner.invoke(app, ["aqi", "TB_NT", "--from", "01/03/2025"])
        assert bad.exit_code != 0  # a wastewater station has no VN_AQI
    finally:
        get_settings.cache_clear()
