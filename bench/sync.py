"""Federation throughput: a month of 5-minute data for 100 stations (≈ 8.6 M observations)
pushed from a province node (SQLite) to a national node (PostgreSQL) over HTTP on loopback.

The national node runs as its own process (`quantrac serve --no-receivers`); the province
pushes from this process with the same code `quantrac sync push` uses. Loading the province
is not timed; the push is, from the first request to "up to date". Afterwards every series is
compared (row count, sum of values and flags) on both sides.

Usage: python bench/sync.py [--stations 100] [--parameters 10] [--days 30] [--pg-url URL]
                            [--files] [--seed] [--compression zstd|lz4|none]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import func, select
from stores import postgres_store

from quantrac.store.catalog_sync import sync_catalog
from quantrac.store.db import Store
from quantrac.store.migrate import upgrade
from quantrac.store.observations import ObservationRow, write_observations
from quantrac.store.registry import StationSpec, create_station, ensure_series
from quantrac.store.schema import observation, series, station
from quantrac.store.schema_sync import sync_change
from quantrac.sync import nodes
from quantrac.sync.changes import expand_seeds
from quantrac.sync.client import Pusher
from quantrac.sync.settings import SyncSettings

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
PARAMETERS = ["PM25", "PM10", "CO", "NO2", "SO2", "O3", "TSP", "TEMP", "RH", "PRESS"]


def load_province(store: Store, n_stations: int, n_params: int, days: int, files: bool) -> int:
    """Stations of Tuyên Quang and Hà Giang (merged in 2025). One write per station-day, or
    with `files` one per station and 5-minute cycle, as the ingest of TT10 files does (the
    change log then holds one entry per file)."""
    rng = np.random.default_rng(7)
    ids: dict[str, list[int]] = {}
    for i in range(n_stations):
        code = f"TQ_KK{i:03d}"
        unit = "08-2008" if i % 2 else "02-2008"
        spec = StationSpec(
            code=code,
            name=f"Trạm {i}",
            kind="automatic",
            medium="ambient_air",
            admin_unit=unit,
            reporting_interval_s=300,
        )
        create_station(store, spec)
        ids[code] = [ensure_series(store, code, p) for p in PARAMETERS[:n_params]]
    total = 0
    for day in range(days):
        times = (T0 + day * 86_400 + 300 * np.arange(288)).tolist()
        for sids in ids.values():
            values = np.round(rng.gamma(4, 8, (len(sids), 288)), 2).tolist()
            if files:
                for k, t in enumerate(times):
                    rows = [
                        ObservationRow(sid, t, vs[k], 0, 1)
                        for sid, vs in zip(sids, values, strict=True)
                    ]
                    total += write_observations(store, rows, source="bench").inserted
                continue
            rows = [
                ObservationRow(sid, t, v, 0, 1)
                for sid, vs in zip(sids, values, strict=True)
                for t, v in zip(times, vs, strict=True)
            ]
            total += write_observations(store, rows, source="bench").inserted
    return total


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_national(url: str, data_dir: Path, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUANTRAC_")}
    env.update(
        QUANTRAC_DATABASE_URL=url,
        QUANTRAC_DATA_DIR=str(data_dir),
        QUANTRAC_NODE_ROLE="national",
        QUANTRAC_API_SECRET="bench",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "quantrac", "serve", "--no-receivers", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(data_dir / "national.log").open("wb"),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.2)
    proc.kill()
    raise SystemExit((data_dir / "national.log").read_text())


def fingerprint(store: Store) -> dict[tuple[str, str], tuple[int, float, int]]:
    """(station, parameter) → (rows, sum of values, sum of flags)."""
    o, s, st = observation.c, series.c, station.c
    q = (
        select(st.code, s.parameter_code, func.count(), func.sum(o.value), func.sum(o.qc_flag))
        .select_from(observation)
        .join(series, s.id == o.series_id)
        .join(station, st.id == s.station_id)
        .group_by(st.code, s.parameter_code)
    )
    with store.read() as conn:
        return {
            (a, b): (int(n), round(float(v or 0), 4), int(f)) for a, b, n, v, f in conn.execute(q)
        }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stations", type=int, default=100)
    ap.add_argument("--parameters", type=int, default=10)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--pg-url", default=os.environ.get("QUANTRAC_TEST_DATABASE_URL"))
    ap.add_argument("--compression", default="zstd", choices=["zstd", "lz4", "none"])
    ap.add_argument(
        "--files", action="store_true", help="load one write per station and 5-minute cycle"
    )
    ap.add_argument(
        "--seed",
        action="store_true",
        help="first push of a database loaded before federation (everything sent by the seed)",
    )
    args = ap.parse_args()
    if not args.pg_url:
        raise SystemExit(
            "the national node needs PostgreSQL: --pg-url or QUANTRAC_TEST_DATABASE_URL"
        )
    with tempfile.TemporaryDirectory() as tmp, postgres_store(args.pg_url) as national:
        tmpdir = Path(tmp)
        province = Store(f"sqlite:///{tmpdir / 'province.db'}")
        upgrade(province)
        sync_catalog(province)
        upgrade(national)
        sync_catalog(national)
        if not args.seed:
            with province.write() as conn:  # federation on from the start: no seed to expand
                expand_seeds(conn)
        t = time.perf_counter()
        n = load_province(province, args.stations, args.parameters, args.days, args.files)
        print(f"province loaded: {n:,} observations in {time.perf_counter() - t:.1f} s")
        _node, key = nodes.add_node(national, "tuyen-quang", "Tuyên Quang")
        with province.read() as conn:
            entries = int(conn.scalar(select(func.count()).select_from(sync_change)) or 0)
        port = free_port()
        server = start_national(national.url, tmpdir, port)
        try:
            settings = SyncSettings(
                national_url=f"http://127.0.0.1:{port}", key=key, compression=args.compression
            )
            applied: list[float] = []
            pusher = Pusher(
                province, settings, progress=lambda _r, res: applied.append(res["seconds"])
            )
            t = time.perf_counter()
            report = pusher.push()
            elapsed = time.perf_counter() - t
            pusher.close()
        finally:
            server.terminate()
            server.wait(30)
        same = fingerprint(province) == fingerprint(national)
        print(
            f"\n{report.rows:,} observations of {args.stations} stations × {args.parameters} "
            f"parameters × {args.days} days, {os.cpu_count()} cores\n"
        )
        print("| measure | value |")
        print("|---|---:|")
        print(f"| push, first request to up to date | **{elapsed:.1f} s** |")
        print(f"| observations/s | {report.rows / elapsed:,.0f} |")
        print(f"| of which the national node applying batches | {sum(applied):.1f} s |")
        print(f"| batches | {report.batches} ({report.retries} retried) |")
        unit = "a seed, then one per series" if args.seed else "one per station-day"
        unit = "one per file" if args.files and not args.seed else unit
        print(f"| change-log entries before the push | {entries:,} ({unit}) |")
        print(f"| national copy identical (count, sum, flags per series) | {same} |")
        province.dispose()


if __name__ == "__main__":
    main()
