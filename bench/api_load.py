"""The API under load on loopback: a real uvicorn server in its own process, 50 clients.

Measures (issue 7 targets on a 2-core machine):

1. latest values of 1,000 stations (3 series each) — target p95 < 50 ms: one client at a
   time with the in-process cache off (every request runs the query: the uncached cost), and
   50 concurrent clients (closed loop, and each at 1 request/s) with the cache off and on
   (the default 10 s); anonymous (public view, approved data) and as an administrator;
2. one series, one year of 5-minute data (105,120 points) as JSON — target < 300 ms;
3. SensorThings `$count` over 10 M observations, public (approved data) and administrator —
   target < 1 s, exact (the bench checks the number against what it loaded);
4. write throughput of SensorThings dataArray (`CreateObservations`) and of the REST bulk
   push (`/api/v1/stations/{code}/push`, JSON) — target ≥ 50,000 observations/s.

The 10 M rows are loaded with the store's bulk writer before timing (untimed). Every series
is approved except its last day, as a review office would leave it: the public figures pay
for the approval rules, the unapproved tail included.

Usage: python bench/api_load.py [--pg-url postgresql://postgres@127.0.0.1/postgres]
                                [--rows 10000000] [--clients 50] [--requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from http_measure import hammer, paced, sequential, timed_get, write_rate
from sqlalchemy import insert
from stores import postgres_store, sqlite_store

from quantrac.auth import keys, users
from quantrac.store.catalog_sync import sync_catalog
from quantrac.store.db import Store
from quantrac.store.migrate import upgrade
from quantrac.store.observations import ObservationRow, write_observations
from quantrac.store.registry import StationSpec, create_station, ensure_series
from quantrac.store.schema import review_period

YEAR0 = 1_735_689_600  # 2025-01-01T00:00:00Z
STEP = 300
YEAR_POINTS = 365 * 288  # 105,120
PARAMS = ("PM25", "PM10", "NO2")


# --- the server process ------------------------------------------------------------------------
def serve(url: str, port: int, cache_s: float, archive: str) -> None:
    import uvicorn

    from quantrac.api.app import create_app
    from quantrac.api.settings import ApiSettings

    settings = ApiSettings(
        secret="bench",
        rate_limit_enabled=False,
        latest_cache_s=cache_s,
        archive_dir=Path(archive),
        page_max=200_000,
        max_body_bytes=256 * 1024 * 1024,
    )
    uvicorn.run(
        create_app(Store(url), settings=settings),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """uvicorn in its own process on a free port (never a server someone else runs)."""

    def __init__(self, url: str, cache_s: float, archive: str, port: int = 0) -> None:
        self.url, self.port = url, port or free_port()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--serve",
                url,
                "--port",
                str(self.port),
                "--cache",
                str(cache_s),
                "--archive",
                archive,
            ],
        )
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}")
            try:
                if httpx.get(f"{self.base}/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


# --- data ----------------------------------------------------------------------------------------
def throwaway_store(pg_url: str | None) -> AbstractContextManager[Store]:
    """A fresh database (bench/stores.py): PostgreSQL when a server URL is given."""
    return postgres_store(pg_url) if pg_url else sqlite_store()


def load(store: Store, n_stations: int, total_rows: int) -> dict[str, object]:
    upgrade(store)
    sync_catalog(store)
    series_ids: list[int] = []
    with store.write() as conn:
        for i in range(n_stations):
            code = f"ST{i:04d}"
            create_station(
                store,
                StationSpec(
                    code=code,
                    name=f"Trạm {i}",
                    kind="automatic",
                    medium="ambient_air",
                    admin_unit="01-2025",
                    latitude=20 + i / 1000,
                    longitude=105 + i / 1000,
                    reporting_interval_s=STEP,
                ),
                conn=conn,
            )
            for p in PARAMS:
                series_ids.append(ensure_series(store, code, p, conn=conn))
    # the year series first (ST0000 PM25), then the bulk up to `total_rows` (untimed)
    year = series_ids[0]
    year_rows = [
        ObservationRow(year, YEAR0 + STEP * i, float(i % 500), None, 1) for i in range(YEAR_POINTS)
    ]
    write_observations(store, year_rows, source="bench")
    others = series_ids[1:]
    per_series = max(2, (total_rows - YEAR_POINTS) // len(others))
    batch: list[ObservationRow] = []
    written = YEAR_POINTS
    for i in range(per_series):
        t = YEAR0 + STEP * i
        for sid in others:
            batch.append(ObservationRow(sid, t, float((sid + i) % 300), None, 1))
        if len(batch) >= 1_000_000:
            write_observations(store, batch, source="bench")
            written += len(batch)
            batch = []
            print(f"  loaded {written:,} observations", flush=True)
    if batch:
        write_observations(store, batch, source="bench")
        written += len(batch)
    # approved up to one day before each series' newest value (the year series: its year)
    ends = {sid: YEAR0 + STEP * per_series - 86_400 for sid in others}
    ends[year] = YEAR0 + STEP * YEAR_POINTS
    with store.write() as conn:
        conn.execute(
            insert(review_period),
            [
                {"series_id": sid, "start": 0, "end": end, "state": "approved", "by": "bench",
                 "at": YEAR0}
                for sid, end in ends.items()
            ],
        )  # fmt: skip
    approved = YEAR_POINTS + len(others) * max(0, per_series - 86_400 // STEP)
    if not store.is_sqlite:
        with store.engine.connect() as conn:
            # every table, as autovacuum would have by then: without statistics on the small
            # registry tables the planner mistakes 1,000 stations for one
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    users.create_user(store, "bench", "bench-password", "admin")
    key = keys.create_key(store, "bench", username="bench", scopes="read,write,admin").key
    return {
        "key": key,
        "year_series": year,
        "series": series_ids,
        "rows": written,
        "approved": approved,
    }


# --- measuring -----------------------------------------------------------------------------------
def iso(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def data_array_bodies(
    series_ids: list[int], t0: int, per_request: int, requests: int
) -> Iterator[tuple[bytes, int]]:
    per_series = per_request // len(series_ids)
    for r in range(requests):
        start = t0 + r * per_series * STEP
        body = [
            {
                "Datastream": {"@iot.id": sid},
                "components": ["phenomenonTime", "result"],
                "dataArray": [[iso(start + STEP * i), float(i % 97)] for i in range(per_series)],
            }
            for sid in series_ids
        ]
        yield json.dumps(body).encode(), per_series * len(series_ids)


def push_bodies(t0: int, per_request: int, requests: int) -> Iterator[tuple[bytes, int]]:
    per_time = len(PARAMS)
    times = per_request // per_time
    for r in range(requests):
        start = t0 + r * times * STEP
        body = [
            {
                "time": iso(start + STEP * i),
                "readings": [
                    {"parameter": p, "value": float((i + j) % 97), "unit": "µg/Nm3"}
                    for j, p in enumerate(PARAMS)
                ],
            }
            for i in range(times)
        ]
        yield json.dumps(body).encode(), times * per_time


def measure_reads(
    base: str, cache: float, admin: dict[str, str], world: dict[str, object], args: Any
) -> dict[str, object]:
    results: dict[str, object] = {}
    for who, headers in (("public", {}), ("admin", admin)):
        if not cache:
            res = sequential(base, "/api/v1/latest", headers, 100)
            results[f"latest_{who}_uncached_one_client"] = res
            print(f"latest ({who}, uncached, one client): {res}", flush=True)
        res = asyncio.run(hammer(base, "/api/v1/latest", headers, args.clients, args.requests))
        results[f"latest_{who}_cache{int(cache)}"] = res
        print(f"latest ({who}, cache {cache:.0f} s): {res}", flush=True)
        res = asyncio.run(paced(base, "/api/v1/latest", headers, args.clients, 1.0, 15.0))
        results[f"latest_{who}_cache{int(cache)}_1rps_per_client"] = res
        print(f"latest ({who}, cache {cache:.0f} s, {args.clients} × 1 req/s): {res}", flush=True)
    if cache:
        return results
    ys = world["year_series"]
    path = (
        f"/api/v1/series/{ys}/observations?start=2025-01-01T00:00:00Z"
        "&end=2026-01-01T00:00:00Z&limit=200000"
    )
    for who, headers in (("public", {}), ("admin", admin)):
        res = timed_get(base, path, headers)
        n = len(json.loads(res.pop("body"))["time"])  # type: ignore[arg-type]
        results[f"year_json_{who}"] = {**res, "points": n}
        print(f"one series, one year ({n:,} points, {who}): {res}", flush=True)
    expected = {"admin": world["rows"], "public": world["approved"]}
    for who, headers in (("admin", admin), ("public", {})):
        res = timed_get(base, "/sta/v1.1/Observations?$count=true&$top=1", headers, runs=5)
        doc = json.loads(res.pop("body"))  # type: ignore[arg-type]
        res["count"] = doc["@iot.count"]
        res["estimated"] = bool(doc.get("@quantrac.countEstimated"))
        res["exact"] = doc["@iot.count"] == expected[who]
        results[f"count_{who}"] = res
        print(f"$count ({who}): {res}", flush=True)
    return results


def measure_writes(base: str, admin: dict[str, str], world: dict[str, object], args: Any) -> dict:
    results: dict[str, object] = {}
    sids = world["series"][3:13]  # type: ignore[index]
    res = write_rate(
        base,
        "/sta/v1.1/CreateObservations",
        admin,
        data_array_bodies(sids, 1_800_000_000, 20_000, 10),
        201,
    )
    results["sta_data_array"] = res
    print(f"SensorThings dataArray: {res}", flush=True)
    last = f"/api/v1/stations/ST{args.stations - 1:04d}/push"
    res = write_rate(base, last, admin, push_bodies(1_800_000_000, 20_000, 10), 200)
    results["rest_push"] = res
    print(f"REST bulk push: {res}", flush=True)
    return results


def summary(r: dict[str, Any]) -> str:
    """The issue 7 figures as a table for docs/performance.md."""

    def ms(key: str, field: str = "p95_ms") -> str:
        return f"{r[key][field]:.0f} ms" if key in r else "—"

    lines = ["| measure | public | admin |", "|---|---:|---:|"]
    for label, key, field in (
        ("latest values, one client, uncached: p50", "uncached_one_client", "p50_ms"),
        ("latest values, one client, uncached: p95", "uncached_one_client", "p95_ms"),
        ("latest values, 50 clients × 1 req/s, uncached: p95", "cache0_1rps_per_client", "p95_ms"),
        (
            "latest values, 50 clients × 1 req/s, cache 10 s: p95",
            "cache10_1rps_per_client",
            "p95_ms",
        ),
        ("latest values, 50 clients closed loop, cache 10 s: p95", "cache10", "p95_ms"),
    ):
        lines.append(f"| {label} | {ms(f'latest_public_{key}', field)} | "
                     f"{ms(f'latest_admin_{key}', field)} |")  # fmt: skip
    for who in ("public", "admin"):
        c = r.get(f"count_{who}", {})
        r[f"_count_{who}"] = (
            f"{c.get('p50_ms', 0):.0f} ms ({c.get('count', 0):,}, "
            f"{'exact' if c.get('exact') and not c.get('estimated') else 'NOT exact'})"
        )
    lines.append(f"| `$count` of Observations, p50 | {r['_count_public']} | {r['_count_admin']} |")
    lines.append(
        f"| one year as JSON, p50 | {ms('year_json_public', 'p50_ms')} | "
        f"{ms('year_json_admin', 'p50_ms')} |"
    )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg-url", default=os.environ.get("QUANTRAC_TEST_DATABASE_URL"))
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--stations", type=int, default=1000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--serve")
    ap.add_argument("--port", type=int, default=0, help="0: a free port")
    ap.add_argument("--cache", type=float, default=0.0)
    ap.add_argument("--archive")
    args = ap.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.cache, args.archive)
        return

    with throwaway_store(args.pg_url) as store, tempfile.TemporaryDirectory() as tmp:
        print(f"backend: {store.dialect}; loading {args.stations} stations and {args.rows:,} rows")
        t = time.perf_counter()
        world = load(store, args.stations, args.rows)
        print(f"  loaded in {time.perf_counter() - t:.0f} s (untimed)")
        url = store.engine.url.render_as_string(hide_password=False)
        admin = {"Authorization": f"Bearer {world['key']}"}
        results: dict[str, Any] = {"backend": store.dialect, "rows": world["rows"]}
        for cache in (0.0, 10.0):
            server = Server(url, cache, str(Path(tmp) / "archive"), args.port)
            try:
                results.update(measure_reads(server.base, cache, admin, world, args))
                if not cache:
                    results.update(measure_writes(server.base, admin, world, args))
            finally:
                server.stop()
    print(json.dumps(results, indent=2))
    print(summary(results))


if __name__ == "__main__":
    main()
