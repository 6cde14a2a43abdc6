"""The indices job on SQLite and PostgreSQL: what it stores equals the pure functions' answer,
and it is idempotent and incremental."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import select, update

from quantrac.indices.aqi import daily_aqi_arrays, hourly_aqi_arrays
from quantrac.indices.wqi import compute_wqi
from quantrac.jobs.indices_job import (
    AQI_DAILY,
    AQI_HOURLY,
    WQI_DAILY,
    day_end,
    local_day,
    run_indices,
    station_rows,
)
from quantrac.store.db import Store
from quantrac.store.observations import ObservationRow, write_observations
from quantrac.store.registry import StationSpec, create_station, ensure_series
from quantrac.store.schema import index_value, observation

VN = ZoneInfo("Asia/Ho_Chi_Minh")
#: 01/03/2025 00:00 local: the first hour of day 1 ends one hour later.
MIDNIGHT = int(datetime(2025, 3, 1, tzinfo=VN).timestamp())
DAY1 = local_day(MIDNIGHT + 3600)
HOUR = 3600
AIR = {"PM25": 45.0, "PM10": 70.0, "O3": 90.0, "NO2": 40.0, "SO2": 20.0, "CO": 1500.0}


def air_station(store: Store, code: str = "HN_KK", interval_s: int = HOUR) -> dict[str, int]:
    create_station(
        store,
        StationSpec(
            code=code,
            name="Trạm không khí",
            kind="automatic",
            medium="ambient_air",
            regulation="QCVN 05:2023/BTNMT",
            reporting_interval_s=interval_s,
        ),
    )
    return {p: ensure_series(store, code, p) for p in AIR}


def hourly_values(days: int, level: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(days * 24)
    return np.round(level * (1 + 0.6 * np.sin(2 * np.pi * t / 24)) + rng.normal(0, 3, t.size), 1)


def load_air(store: Store, ids: dict[str, int], days: int, first_day: int = 0) -> dict:
    data = {}
    start = MIDNIGHT + first_day * 86400
    for i, (code, level) in enumerate(AIR.items()):
        values = np.abs(hourly_values(days, level, seed=i + 10 * first_day))
        times = start + HOUR * np.arange(1, days * 24 + 1)
        rows = [
            ObservationRow(ids[code], int(t), float(v)) for t, v in zip(times, values, strict=True)
        ]
        write_observations(store, rows, source="test")
        data[code] = values
    return data


def stored(store: Store, kind: str) -> list:
    iv = index_value.c
    with store.read() as conn:
        return list(
            conn.execute(
                select(iv.time, iv.value, iv.category, iv.dominant, iv.details)
                .where(iv.kind == kind)
                .order_by(iv.time)
            )
        )


def age_observations(store: Store, seconds: int = 3600) -> None:
    """Pretend everything stored so far arrived `seconds` ago (before the job's last run)."""
    with store.write() as conn:
        conn.execute(update(observation).values(received_at=observation.c.received_at - seconds))


def test_daily_and_hourly_aqi_equal_the_pure_functions(store: Store) -> None:
    data = load_air(store, air_station(store), days=3)
    report = run_indices(store)
    assert report.days == {"HN_KK": (DAY1, DAY1 + 3)}  # 12 h past the data: day 4 has none
    grid = {code.lower(): values for code, values in data.items()}
    expected = daily_aqi_arrays(MIDNIGHT + HOUR, grid)
    rows = stored(store, AQI_DAILY)
    assert [r.time for r in rows] == [day_end(DAY1 + d) for d in range(3)]
    assert [r.value for r in rows] == expected.value.tolist()
    assert [r.dominant for r in rows] == expected.dominant.tolist()
    first = json.loads(rows[0].details)
    assert first["sub"] == {k: int(v[0]) for k, v in expected.sub_indices.items()}
    assert first["completeness"]["pm25"] == 1.0
    assert rows[0].category == expected.result(0).category.label_en

    hourly = hourly_aqi_arrays(MIDNIGHT + HOUR, grid)
    rows = stored(store, AQI_HOURLY)
    assert len(rows) == 72
    # The first hour has no NowCast (2 of the 3 latest hours needed): a row without a value.
    assert [r.value for r in rows] == [None if np.isnan(v) else v for v in hourly.value]
    assert json.loads(rows[5].details)["cx"]["pm25"] == pytest.approx(
        hourly.concentrations["pm25"][5], abs=1e-3
    )


def test_rerun_is_idempotent_and_incremental(store: Store) -> None:
    ids = air_station(store)
    load_air(store, ids, days=3)
    run_indices(store)
    before = stored(store, AQI_DAILY), stored(store, AQI_HOURLY)
    again = run_indices(store, start=MIDNIGHT, end=MIDNIGHT + 3 * 86400)
    assert (stored(store, AQI_DAILY), stored(store, AQI_HOURLY)) == before
    assert again.written == {AQI_DAILY: 3, AQI_HOURLY: 72}

    age_observations(store)
    assert run_indices(store).unchanged == 1  # nothing arrived since the last run

    load_air(store, ids, days=1, first_day=3)  # day 4 arrives
    report = run_indices(store)
    assert report.days["HN_KK"][0] == DAY1 + 3
    assert report.written[AQI_DAILY] == 1
    assert stored(store, AQI_DAILY)[:3] == before[0]
    assert len(stored(store, AQI_DAILY)) == 4

    age_observations(store)
    # A revised PM2.5 value on day 2 recomputes day 2 onwards, and only that.
    write_observations(
        store, [ObservationRow(ids["PM25"], MIDNIGHT + 86400 + 10 * HOUR, 900.0)], source="fix"
    )
    report = run_indices(store)
    assert report.days["HN_KK"] == (DAY1 + 1, DAY1 + 1)
    daily = stored(store, AQI_DAILY)
    assert daily[0] == before[0][0] and daily[1].value > before[0][1].value


def test_rejected_values_do_not_count(store: Store) -> None:
    ids = air_station(store)
    rows = [
        ObservationRow(ids["PM25"], MIDNIGHT + HOUR * h, 30.0, qc_flag=4 if h == 5 else 1)
        for h in range(1, 25)
    ]
    write_observations(store, rows, source="test")
    run_indices(store, kinds=[AQI_DAILY])
    (row,) = stored(store, AQI_DAILY)
    details = json.loads(row.details)
    assert details["completeness"] == {"pm25": round(23 / 24, 3)}
    assert details["cx"]["pm25"] == 30.0


def test_too_few_hours_give_a_row_without_value_and_the_reason(store: Store) -> None:
    ids = air_station(store)
    rows = [ObservationRow(ids["PM25"], MIDNIGHT + HOUR * h, 30.0) for h in range(1, 11)]
    write_observations(store, rows, source="test")
    run_indices(store, kinds=[AQI_DAILY])
    (row,) = stored(store, AQI_DAILY)
    assert row.value is None and row.category is None
    assert "PM2.5 or PM10" in json.loads(row.details)["reason"]


def test_sub_hourly_data_is_averaged_per_hour_first(store: Store) -> None:
    ids = air_station(store, interval_s=300)
    times = MIDNIGHT + 300 * np.arange(1, 12 * 24 + 1)
    values = 20.0 + (np.arange(times.size) % 12)  # 20…31 within each hour: mean 25.5
    keep = np.arange(times.size) % 12 != 0  # 11 of 12 values per hour: complete (≥ 75 %)
    write_observations(
        store,
        [
            ObservationRow(ids["PM25"], int(t), float(v))
            for t, v in zip(times[keep], values[keep], strict=True)
        ],
        source="test",
    )
    rows = station_rows(store, "HN_KK", AQI_DAILY, MIDNIGHT, MIDNIGHT + 86400)
    assert len(rows) == 1
    assert rows[0].details["cx"]["pm25"] == pytest.approx(np.mean(np.arange(1, 12)) + 20)
    assert rows[0].details["completeness"]["pm25"] == 1.0


def test_daily_wqi_of_an_automatic_river_station(store: Store) -> None:
    create_station(
        store,
        StationSpec(
            code="SONG_1",
            name="Sông",
            kind="automatic",
            medium="surface_water",
            reporting_interval_s=HOUR,
        ),
    )
    levels = {
        "PH": 7.2,
        "DO": 6.5,
        "TEMP": 27.0,
        "BOD5": 4.0,
        "COD": 12.0,
        "NH4": 0.2,
        "PO4P": 0.1,
        "COLIFORM": 2500.0,
    }
    rows = []
    for code, level in levels.items():
        sid = ensure_series(store, "SONG_1", code)
        rows += [
            ObservationRow(sid, MIDNIGHT + HOUR * h, level * (1 + 0.01 * (h % 3)))
            for h in range(1, 49)
        ]
    write_observations(store, rows, source="test")
    run_indices(store)
    got = stored(store, WQI_DAILY)
    assert [r.time for r in got] == [day_end(DAY1), day_end(DAY1 + 1)]
    means = {
        c: np.mean([v * (1 + 0.01 * (h % 3)) for h in range(1, 25)]) for c, v in levels.items()
    }
    temperature = means.pop("TEMP")
    expected = compute_wqi(means, temperature_c=temperature)
    assert got[0].value == expected.value
    assert got[0].category == expected.category.label_en
    details = json.loads(got[0].details)
    assert details["variant"] == "a" and "not verified" in details["caveat"]
    assert stored(store, AQI_DAILY) == []


def test_daily_grid_uses_local_days(store: Store) -> None:
    """The hour ending 00:00 local closes the day before (Decision 1459 §2.2.2)."""
    ids = air_station(store)
    local = datetime(2025, 3, 2, 0, 0, tzinfo=VN)
    write_observations(
        store, [ObservationRow(ids["PM25"], int(local.timestamp()), 10.0)], source="t"
    )
    rows = station_rows(store, "HN_KK", AQI_DAILY, MIDNIGHT, MIDNIGHT + 2 * 86400)
    assert [r.time for r in rows] == [day_end(DAY1)] == [int(local.timestamp())]
