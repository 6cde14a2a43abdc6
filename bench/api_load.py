"""The API under load on loopback: a real uvicorn server in its own process, 50 clients.

Measures (issue 7 targets on a 2-core machine):

1. latest values of 1,000 stations (3 series each), 50 concurrent clients — p50/p95/p99 and
   requests/s; anonymous (public view, approved data) and as an administrator; with the
   in-process cache off (every request runs the query) and on (the default 10 s);
2. one series, one year of 5-minute data (105,120 points) as JSON — target < 300 ms;
3. SensorThings `$count` over 10 M observations — target < 1 s (PostgreSQL if --pg-url);
4. write throughput of SensorThings dataArray (`CreateObservations`) and of the REST bulk
   push (`/api/v1/stations/{code}/push`, JSON) — target ≥ 50,000 observations/s.

The 10 M rows are loaded with the store's bulk writer before timing (untimed).

Usage: python bench/api_load.py [--pg-url postgresql://postgres@127.0.0.1/postgres]
                                [--rows 10000000] [--clients 50] [--requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import create_engine, insert, text

from quantrac.auth import keys, users
from quantrac.store.catalog_sync import sync_catalog
from quantrac.store.db import Store, normalize_url
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


class Server:
    def __init__(self, url: str, cache_s: float, archive: str, port: int = 8765) -> None:
        self.url, self.port = url, port
        self.proc = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--serve",
                url,
                "--port",
                str(port),
                "--cache",
                str(cache_s),
                "--archive",
                archive,
            ],
        )
        self.base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


# --- data ----------------------------------------------------------------------------------------
def fresh_store(pg_url: str | None, tmp: Path) -> Store:
    if not pg_url:
        return Store(f"sqlite:///{tmp / 'bench.db'}")
    admin_url = normalize_url(pg_url)
    name = f"quantrac_bench_{uuid.uuid4().hex[:6]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    base, _, _ = admin_url.rpartition("/")
    return Store(f"{base}/{name}")


def drop_store(store: Store, pg_url: str | None) -> None:
    store.dispose()
    if pg_url:
        admin = create_engine(normalize_url(pg_url), isolation_level="AUTOCOMMIT")
        name = store.engine.url.database
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


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
    per_series = max(1, (total_rows - YEAR_POINTS) // len(others))
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
    with store.write() as conn:
        conn.execute(
            insert(review_period),
            [
                {
                    "series_id": sid,
                    "start": 0,
                    "end": 4_102_444_800,
                    "state": "approved",
                    "by": "bench",
                    "at": YEAR0,
                }
                for sid in series_ids
            ],
        )
    if not store.is_sqlite:
        with store.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE observation"
            )
    users.create_user(store, "bench", "bench-password", "admin")
    key = keys.create_key(store, "bench", username="bench", scopes="read,write,admin").key
    return {"key": key, "year_series": year, "series": series_ids, "rows": written}


# --- measuring -----------------------------------------------------------------------------------
def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


async def hammer(
    base: str, path: str, headers: dict[str, str], clients: int, requests: int
) -> dict[str, float]:
    latencies: list[float] = []
    per_client = max(1, requests // clients)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=60
    ) as client:
        r = await client.get(path)
        r.raise_for_status()

        async def one() -> None:
            for _ in range(per_client):
                t = time.perf_counter()
                resp = await client.get(path)
                resp.raise_for_status()
                latencies.append(time.perf_counter() - t)

        start = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(clients)))
        wall = time.perf_counter() - start
    return {
        "requests": len(latencies),
        "rps": len(latencies) / wall,
        "p50_ms": 1000 * pct(latencies, 0.5),
        "p95_ms": 1000 * pct(latencies, 0.95),
        "p99_ms": 1000 * pct(latencies, 0.99),
        "bytes": len(r.content),
    }


async def paced(
    base: str, path: str, headers: dict[str, str], clients: int, per_client_s: float, seconds: float
) -> dict[str, float]:
    """Open loop: each client asks once every `per_client_s` (a map refreshing), so the
    latency is the service time, not the queue a saturating closed loop builds."""
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=60
    ) as client:
        (await client.get(path)).raise_for_status()

        async def one(offset: float) -> None:
            await asyncio.sleep(offset)
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                t = time.perf_counter()
                (await client.get(path)).raise_for_status()
                dt = time.perf_counter() - t
                latencies.append(dt)
                await asyncio.sleep(max(0.0, per_client_s - dt))

        await asyncio.gather(*(one(i * per_client_s / clients) for i in range(clients)))
    return {
        "requests": len(latencies),
        "rps": len(latencies) / seconds,
        "p50_ms": 1000 * pct(latencies, 0.5),
        "p95_ms": 1000 * pct(latencies, 0.95),
        "p99_ms": 1000 * pct(latencies, 0.99),
    }


def timed_get(base: str, path: str, headers: dict[str, str], runs: int = 10) -> dict[str, float]:
    times, size, body = [], 0, b""
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        client.get(path).raise_for_status()
        for _ in range(runs):
            t = time.perf_counter()
            r = client.get(path)
            r.raise_for_status()
            times.append(time.perf_counter() - t)
            size, body = len(r.content), r.content
    return {
        "p50_ms": 1000 * statistics.median(times),
        "max_ms": 1000 * max(times),
        "bytes": size,
        "body": body,
    }  # type: ignore[dict-item]


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


def write_rate(
    base: str, path: str, headers: dict[str, str], bodies: Iterator[tuple[bytes, int]], expect: int
) -> dict[str, float]:
    total, elapsed = 0, 0.0
    with httpx.Client(
        base_url=base, headers={**headers, "Content-Type": "application/json"}, timeout=600
    ) as client:
        for body, n in bodies:
            t = time.perf_counter()
            r = client.post(path, content=body)
            elapsed += time.perf_counter() - t
            if r.status_code != expect:
                raise RuntimeError(f"{path}: {r.status_code} {r.text[:300]}")
            total += n
    return {"observations": total, "seconds": elapsed, "per_s": total / elapsed}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg-url", default=os.environ.get("QUANTRAC_TEST_DATABASE_URL"))
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--stations", type=int, default=1000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--serve")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--cache", type=float, default=0.0)
    ap.add_argument("--archive")
    args = ap.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.cache, args.archive)
        return

    tmp = Path(tempfile.mkdtemp(prefix="quantrac-bench-"))
    store = fresh_store(args.pg_url, tmp)
    print(f"backend: {store.dialect}; loading {args.stations} stations and {args.rows:,} rows")
    t = time.perf_counter()
    world = load(store, args.stations, args.rows)
    print(f"  loaded in {time.perf_counter() - t:.0f} s (untimed)")
    url = store.engine.url.render_as_string(hide_password=False)
    admin = {"Authorization": f"Bearer {world['key']}"}
    results: dict[str, object] = {"backend": store.dialect, "rows": world["rows"]}
    try:
        for cache in (0.0, 10.0):
            server = Server(url, cache, str(tmp / "archive"), args.port)
            try:
                for who, headers in (("public", {}), ("admin", admin)):
                    res = asyncio.run(
                        hammer(server.base, "/api/v1/latest", headers, args.clients, args.requests)
                    )
                    results[f"latest_{who}_cache{int(cache)}"] = res
                    print(f"latest ({who}, cache {cache:.0f} s): {res}", flush=True)
                    res = asyncio.run(
                        paced(server.base, "/api/v1/latest", headers, args.clients, 1.0, 15.0)
                    )
                    results[f"latest_{who}_cache{int(cache)}_1rps_per_client"] = res
                    print(
                        f"latest ({who}, cache {cache:.0f} s, {args.clients} clients × "
                        f"1 req/s): {res}",
                        flush=True,
                    )
                if cache:
                    continue
                ys = world["year_series"]
                path = (
                    f"/api/v1/series/{ys}/observations?start=2025-01-01T00:00:00Z"
                    "&end=2026-01-01T00:00:00Z&limit=200000"
                )
                for who, headers in (("public", {}), ("admin", admin)):
                    res = timed_get(server.base, path, headers)
                    n = len(json.loads(res.pop("body"))["time"])  # type: ignore[arg-type]
                    results[f"year_json_{who}"] = {**res, "points": n}
                    print(f"one series, one year ({n:,} points, {who}): {res}", flush=True)
                for who, headers in (("admin", admin), ("public", {})):
                    res = timed_get(
                        server.base, "/sta/v1.1/Observations?$count=true&$top=1", headers, runs=5
                    )
                    doc = json.loads(res.pop("body"))  # type: ignore[arg-type]
                    res["count"] = doc["@iot.count"]
                    res["estimated"] = bool(doc.get("@quantrac.countEstimated"))
                    results[f"count_{who}"] = res
                    print(f"$count ({who}): {res}", flush=True)
                sids = world["series"][3:13]  # type: ignore[index]
                res = write_rate(
                    server.base,
                    "/sta/v1.1/CreateObservations",
                    admin,
                    data_array_bodies(sids, 1_800_000_000, 20_000, 10),
                    201,
                )
                results["sta_data_array"] = res
                print(f"SensorThings dataArray: {res}", flush=True)
                last = f"/api/v1/stations/ST{args.stations - 1:04d}/push"
                res = write_rate(
                    server.base, last, admin, push_bodies(1_800_000_000, 20_000, 10), 200
                )
                results["rest_push"] = res
                print(f"REST bulk push: {res}", flush=True)
            finally:
                server.stop()
    finally:
        drop_store(store, args.pg_url)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
