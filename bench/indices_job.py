"""Daily VN_AQI for 100 air stations over one year of hourly data, end to end.

Issue 5 acceptance: "computing daily VN_AQI for 100 stations over one year of hourly data
takes under 5 s". Untimed: a fresh SQLite store is filled with 100 ambient-air stations ×
6 pollutants (PM2.5, PM10, O3, NO2, SO2, CO) × 8 760 hourly values (≈ 5.3 million rows, ~2 %
gaps). Timed: `run_indices` for kind `aqi_daily` — read every series from the store, build the
hourly grids, compute with `daily_aqi_arrays`, write `index_value` — as the job runs in
production. A second timing re-runs it incrementally (nothing changed: a no-op) and a third
adds the hourly AQI to show its cost.

Usage: python bench/indices_job.py [--stations 100] [--days 365] [--db FILE] [--pg-url URL]
(`--db` keeps the loaded file between runs; `--pg-url` runs the same on PostgreSQL.)
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import func, select

from quantrac.jobs.indices_job import AQI_DAILY, AQI_HOURLY, run_indices
from quantrac.store.catalog_sync import sync_catalog
from quantrac.store.db import Store
from quantrac.store.migrate import upgrade
from quantrac.store.observations import ObservationRow, write_observations
from quantrac.store.registry import StationSpec, create_station, ensure_series
from quantrac.store.schema import index_value, observation

#: 01/01/2025 00:00 Asia/Ho_Chi_Minh, as UTC epoch seconds: the first hour ends an hour later.
START = 1_735_664_400
HOUR = 3600
#: (catalogue code, typical level µg/m³, diurnal amplitude) of each synthetic pollutant.
POLLUTANTS = (
    ("PM25", 45.0, 20.0),
    ("PM10", 70.0, 30.0),
    ("O3", 60.0, 50.0),
    ("NO2", 40.0, 25.0),
    ("SO2", 20.0, 8.0),
    ("CO", 1500.0, 600.0),
)


def synthetic(rng: np.random.Generator, hours: int, level: float, amplitude: float) -> np.ndarray:
    """A diurnal cycle with red noise and ~2 % missing hours (NaN)."""
    t = np.arange(hours)
    noise = np.cumsum(rng.normal(0, 0.05, hours))
    noise -= np.convolve(noise, np.ones(72) / 72, mode="same")
    values = level + amplitude * np.sin(2 * np.pi * (t % 24) / 24) + level * noise
    values = np.clip(values, 0.5, None)
    values[rng.random(hours) < 0.02] = np.nan
    return np.round(values, 1)


def load(store: Store, n_stations: int, days: int) -> int:
    upgrade(store)
    sync_catalog(store)
    rng = np.random.default_rng(5)
    hours = days * 24
    times = START + HOUR * np.arange(1, hours + 1)
    total = 0
    for s in range(n_stations):
        code = f"KK{s:03d}"
        create_station(
            store,
            StationSpec(
                code=code,
                name=f"Trạm không khí {s}",
                kind="automatic",
                medium="ambient_air",
                regulation="QCVN 05:2023/BTNMT",
                reporting_interval_s=HOUR,
            ),
        )
        rows: list[ObservationRow] = []
        for parameter, level, amplitude in POLLUTANTS:
            sid = ensure_series(store, code, parameter)
            values = synthetic(rng, hours, level, amplitude)
            keep = ~np.isnan(values)
            rows.extend(
                ObservationRow(sid, int(t), float(v))
                for t, v in zip(times[keep], values[keep], strict=True)
            )
        total += write_observations(store, rows, source="bench").inserted
    return total


def timed(label: str, store: Store, kinds: tuple[str, ...]) -> float:
    t0 = time.perf_counter()
    report = run_indices(store, kinds=kinds)
    elapsed = time.perf_counter() - t0
    print(f"{label}: {elapsed:.2f} s — {report.summary()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=100)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--db", type=Path, help="SQLite file to reuse (loaded if absent)")
    parser.add_argument("--pg-url", help="run on this (empty) PostgreSQL database instead")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        if args.pg_url:
            store = Store(args.pg_url)
            fresh = True
        else:
            path = args.db or Path(tmp) / "bench.db"
            fresh = not path.exists()
            store = Store(f"sqlite:///{path}")
        if fresh:
            t0 = time.perf_counter()
            rows = load(store, args.stations, args.days)
            print(f"loaded {rows:,} observations in {time.perf_counter() - t0:.1f} s (untimed)")
        with store.write() as conn:
            conn.execute(index_value.delete())
        with store.read() as conn:
            n = conn.scalar(select(func.count()).select_from(observation))
        print(f"{args.stations} stations × {args.days} days, {n:,} hourly observations")
        daily = timed("daily VN_AQI, full run", store, (AQI_DAILY,))
        timed("daily VN_AQI, incremental re-run (no new data)", store, (AQI_DAILY,))
        with store.write() as conn:
            conn.execute(index_value.delete())
        timed("hourly + daily VN_AQI, full run", store, (AQI_HOURLY, AQI_DAILY))
        store.dispose()
        verdict = "PASS" if daily < 5 else "FAIL"
        print(f"daily VN_AQI for {args.stations} stations: {daily:.2f} s (< 5 s: {verdict})")


if __name__ == "__main__":
    main()
