"""Bulk-write throughput of the observation store, against the floor on the same machine.

For each backend (SQLite always; PostgreSQL when --pg-url or QUANTRAC_TEST_DATABASE_URL is
set) it measures, in one run:

- floor: the same rows into a bare table with no keys (SQLite executemany in one
  transaction; PostgreSQL COPY) — the fastest the database can take these rows;
- store, new rows: `write_observations` into an empty observation table;
- store, same rows again: the idempotent path (nothing changes);
- store, 10 % changed: revisions recorded for the changed rows.

Usage: python bench/ingest_store.py [--rows 1000000] [--series 100] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

from sqlalchemy import text
from stores import bench_stores

from quantrac.store.db import Store
from quantrac.store.migrate import upgrade
from quantrac.store.observations import ObservationRow, write_observations
from quantrac.store.schema import series, station

T0 = 1_767_225_600


def make_rows(n: int, n_series: int, bump: float = 0.0) -> list[ObservationRow]:
    per_series = n // n_series
    return [
        ObservationRow(s + 1, T0 + 300 * i, float((s * 7 + i) % 997) + bump, 0, 2)
        for i in range(per_series)
        for s in range(n_series)
    ]


def prepare(store: Store, n_series: int) -> None:
    upgrade(store)
    with store.write() as conn:
        conn.execute(
            text(
                "INSERT INTO parameter (code, name_vi, name_en, unit, media) "
                "VALUES ('PM25', 'Bụi PM2,5', 'PM2.5', 'µg/Nm3', 'ambient_air')"
            )
        )
        conn.execute(
            station.insert().values(
                id=1,
                code="BENCH",
                name="bench",
                kind="automatic",
                medium="ambient_air",
                visibility="public",
                created_at=0,
                updated_at=0,
            )
        )
        conn.execute(
            series.insert(),
            [
                dict(
                    id=i + 1,
                    station_id=1,
                    parameter_code="PM25",
                    method=f"m{i}",
                    unit="µg/Nm3",
                    created_at=0,
                )
                for i in range(n_series)
            ],
        )


def floor(store: Store, rows: list[ObservationRow]) -> float:
    cols = "series_id, time, value, device_status, qc_flag, qc_reasons, raw_file_id"
    with store.write() as conn:
        raw = conn.connection.dbapi_connection
        cur = raw.cursor()
        if store.is_sqlite:
            cur.execute(
                "CREATE TABLE floor_obs (series_id INTEGER, time INTEGER, value REAL, "
                "device_status INTEGER, qc_flag INTEGER, qc_reasons TEXT, "
                "raw_file_id INTEGER)"
            )
            t = time.perf_counter()
            cur.executemany(f"INSERT INTO floor_obs ({cols}) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        else:
            cur.execute(
                "CREATE TABLE floor_obs (series_id integer, time bigint, value "
                "double precision, device_status smallint, qc_flag smallint, "
                "qc_reasons text, raw_file_id integer)"
            )
            t = time.perf_counter()
            with cur.copy(f"COPY floor_obs ({cols}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(r)
    return time.perf_counter() - t


def timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def run_backend(name: str, store: Store, n: int, n_series: int) -> list[tuple[str, ...]]:
    prepare(store, n_series)
    rows = make_rows(n, n_series)
    changed = make_rows(n, n_series)
    for i in range(0, len(changed), 10):
        changed[i] = changed[i]._replace(value=changed[i].value + 0.5)
    f = floor(store, rows)
    new = timed(lambda: write_observations(store, rows, source="bench"))
    same = timed(lambda: write_observations(store, rows, source="bench"))
    rev = timed(lambda: write_observations(store, changed, source="bench"))
    m = len(rows)
    out = [(name, "floor (bare table)", f"{m / f:,.0f}", "1.00")]
    for label, secs in (
        ("store: new rows", new),
        ("store: same rows again", same),
        ("store: 10 % changed → revisions", rev),
    ):
        out.append((name, label, f"{m / secs:,.0f}", f"{secs / f:.2f}"))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--series", type=int, default=100)
    ap.add_argument("--pg-url", default=os.environ.get("QUANTRAC_TEST_DATABASE_URL"))
    args = ap.parse_args()
    results: list[tuple[str, ...]] = []
    for name, store in bench_stores(args.pg_url):
        results += run_backend(name, store, args.rows, args.series)
    print(f"\n{args.rows:,} observations, {args.series} series, {os.cpu_count()} cores\n")
    print("| backend | path | observations/s | time ÷ floor |")
    print("|---|---|---:|---:|")
    for row in results:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
