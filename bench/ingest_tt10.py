"""End to end: N simulated stations upload a Circular 10/2021 file each over FTP, with their
own login, and the receiver archives and ingests them into stored observations.

Target (issue 3): the national 5-minute cycle — 5,000 stations × 10 parameters — in under
120 s on a 2-core machine. Each cycle is timed from the first connection to the last
observation stored; cycle 1 starts with an empty credential cache (every login pays argon2),
later cycles find the logins cached, as a running server does.

The receiver (FTP server + ingest worker) runs in this process, as `quantrac serve` runs it;
the stations are client processes (ftplib, one login per file). Where the time goes:
client-side login and upload; server-side password check, archive and ingest; the ingest
split into parsing (the TT10 codec, timed apart on the same files) and the rest (standardize,
QC, store).

Usage: python bench/ingest_tt10.py [--stations 1000] [--cycles 2] [--pg-url URL]
                                   [--clients 4] [--concurrency 16] [--workers 1]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import func, select, text
from stores import postgres_store, sqlite_store

from quantrac.archive import Archive
from quantrac.codecs.tt10 import VIETNAM_TZ, read_tt10
from quantrac.receivers.service import ReceiverService
from quantrac.receivers.settings import FtpSettings, IngestSettings
from quantrac.receivers.stats import StageStats
from quantrac.simulator.model import SimStation, make_stations, tt10_file
from quantrac.simulator.provision import ensure_accounts, ensure_stations
from quantrac.simulator.send import FtpSender
from quantrac.store.catalog_sync import sync_catalog
from quantrac.store.db import Store
from quantrac.store.migrate import upgrade
from quantrac.store.schema import observation, raw_file

T0 = datetime(2026, 3, 25, 8, 0, tzinfo=VIETNAM_TZ)


def client_job(
    args: tuple[list[SimStation], dict[str, str], int, datetime, int],
) -> tuple[int, int, float, float, list[str], float]:
    """One client process: its stations' files for one cycle, `concurrency` at a time."""
    from concurrent.futures import ThreadPoolExecutor

    stations, credentials, port, when, concurrency = args
    cpu = time.process_time()
    sender = FtpSender("127.0.0.1", port, credentials, timeout=120)
    files = [
        tt10_file(s, when, np.random.default_rng(i), p_calibrating=0.01, p_error=0.005)
        for i, s in enumerate(stations)
    ]

    def one(pair: tuple[SimStation, tuple[str, bytes]]) -> tuple[float, float, str]:
        station, (name, data) = pair
        for attempt in range(3):
            try:
                login_s, upload_s = sender.send(station, name, data)
                return login_s, upload_s, ""
            except Exception as e:  # counted and reported, then retried
                error = f"{name}: {e!r}"
                time.sleep(0.5 * (attempt + 1))
        return 0.0, 0.0, error

    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(one, zip(stations, files, strict=True)))
    errors = [e for _, _, e in results if e]
    readings = sum(d.count(b"\n") for _, d in files)
    return (
        len(results) - len(errors),
        readings,
        sum(r[0] for r in results),
        sum(r[1] for r in results),
        errors,
        time.process_time() - cpu,
    )


@contextmanager
def database(pg_url: str | None, tmp: Path) -> Iterator[tuple[str, Store]]:
    """The store under test: a throw-away PostgreSQL database, or SQLite when no URL."""
    if pg_url:
        with postgres_store(pg_url) as store:
            yield "PostgreSQL", store
    else:
        with sqlite_store() as store:
            yield "SQLite", store


def parsed_count(store: Store) -> int:
    with store.read() as conn:
        return int(
            conn.scalar(
                select(func.count()).select_from(raw_file).where(raw_file.c.state == "parsed")
            )
        )


def run_cycle(
    pool: mp.pool.Pool,
    store: Store,
    stations: list[SimStation],
    credentials: dict[str, str],
    port: int,
    when: datetime,
    clients: int,
    concurrency: int,
    already: int,
    stats: StageStats,
    collect: Callable[[], None],
) -> dict[str, float]:
    stats.reset()
    chunks = [stations[i::clients] for i in range(clients)]
    jobs = [
        ([*c], {s.username: credentials[s.username] for s in c}, port, when, concurrency)
        for c in chunks
    ]
    busy, cpu, db_cpu = machine_busy_s(), time.process_time(), database_cpu_s(store)
    start = time.perf_counter()
    results = pool.map(client_job, jobs)
    uploaded_at = time.perf_counter() - start
    sent = sum(r[0] for r in results)
    readings = sum(r[1] for r in results)
    errors = [e for r in results for e in r[4]]
    deadline = time.monotonic() + 900
    while parsed_count(store) < already + sent and time.monotonic() < deadline:
        time.sleep(0.05)
    done_at = time.perf_counter() - start
    server_cpu, busy = time.process_time() - cpu, machine_busy_s() - busy
    client_cpu = sum(r[5] for r in results)
    db_after = database_cpu_s(store)
    database_cpu = sum(v - db_cpu.get(pid, 0.0) for pid, v in db_after.items())
    with store.read() as conn:
        n_obs = int(conn.scalar(select(func.count()).select_from(observation)))
    collect()
    figures = stats.snapshot()
    return {
        "sent": sent,
        "errors": len(errors),
        "readings": readings,
        "uploaded_s": uploaded_at,
        "done_s": done_at,
        "observations": n_obs,
        "client_login_s": sum(r[2] for r in results),
        "client_upload_s": sum(r[3] for r in results),
        **{f"{k}_s": v.seconds for k, v in figures.items()},
        **{f"{k}_n": v.count for k, v in figures.items()},
        "first_error": errors[0] if errors else "",
        "server_cpu_s": server_cpu,
        "client_cpu_s": client_cpu,
        "database_cpu_s": database_cpu,
        "other_cpu_s": max(0.0, busy - server_cpu - client_cpu - database_cpu),
    }


def machine_busy_s() -> float:
    """Core-seconds the whole machine has spent busy (Linux /proc/stat), for the CPU split."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0
    ticks = [int(x) for x in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def database_cpu_s(store: Store) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend serving this database, by pid (Linux /proc)."""
    if store.is_sqlite:
        return {}
    with store.read() as conn:
        pids = list(
            conn.scalars(
                text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            )
        )
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def codec_seconds(stations: list[SimStation], when: datetime) -> tuple[float, int]:
    files = [tt10_file(s, when, np.random.default_rng(i)) for i, s in enumerate(stations)]
    start = time.perf_counter()
    lines = sum(len(read_tt10(data, name).readings) for name, data in files)
    return time.perf_counter() - start, lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stations", type=int, default=1000)
    ap.add_argument("--cycles", type=int, default=2)
    ap.add_argument("--clients", type=int, default=4, help="client processes")
    ap.add_argument("--concurrency", type=int, default=16, help="sessions per client process")
    ap.add_argument("--workers", type=int, default=1, help="ingest threads")
    ap.add_argument("--processes", type=int, default=0, help="ingest processes (0: threads)")
    ap.add_argument("--pg-url", default=None, help="PostgreSQL server (a scratch DB is made)")
    ap.add_argument(
        "--warmup",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run one unreported cycle first (series created, statistics gathered)",
    )
    args = ap.parse_args()

    ctx = mp.get_context("spawn")
    with (
        tempfile.TemporaryDirectory() as tmp_name,
        database(args.pg_url, Path(tmp_name)) as (
            backend,
            store,
        ),
        ctx.Pool(args.clients) as pool,
    ):
        tmp = Path(tmp_name)
        upgrade(store)
        sync_catalog(store)
        stations = make_stations(args.stations, province="BENCH")
        t = time.perf_counter()
        ensure_stations(store, stations)
        credentials = ensure_accounts(store, stations, tmp / "credentials.json")
        setup_s = time.perf_counter() - t
        stats = StageStats()

        def start_service() -> tuple[ReceiverService, int]:
            service = ReceiverService(
                store,
                Archive(store, tmp / "archive"),
                ftp=FtpSettings(host="127.0.0.1", port=0, root=tmp / "ftp", max_connections=4096),
                ingest=IngestSettings(workers=args.workers, processes=args.processes, poll_s=1.0),
                data_dir=tmp,
                stats=stats,
            )
            service.start()
            assert service.ftp is not None
            return service, service.ftp.address[1]

        print(
            f"\n{backend}: {args.stations} stations, {os.cpu_count()} cores, "
            f"{args.clients}×{args.concurrency} client sessions, ingest in "
            + (f"{args.processes} process(es)" if args.processes else f"{args.workers} thread(s)")
            + f"; setup (stations + accounts) {setup_s:.1f} s"
        )
        rows = []
        cycle = 0

        def one_cycle(service: ReceiverService, port: int) -> dict[str, float]:
            nonlocal cycle
            when = T0 + timedelta(minutes=5 * cycle)
            figures = run_cycle(
                pool,
                store,
                stations,
                credentials,
                port,
                when,
                args.clients,
                args.concurrency,
                cycle * args.stations,
                stats,
                service.worker.collect_stats,
            )
            cycle += 1
            return figures

        if args.warmup:
            # The first cycle on an empty database creates every series; then the tables get
            # planner statistics, as autovacuum gives a live system within a minute.
            service, port = start_service()
            try:
                warm = one_cycle(service, port)
            finally:
                service.stop()
            print(f"warm-up cycle on the empty database: stored in {warm['done_s']:.1f} s")
            if not store.is_sqlite:
                with store.engine.connect() as conn:
                    conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
        service, port = start_service()  # a fresh process state: the credential cache is empty
        try:
            for _ in range(args.cycles):
                rows.append(one_cycle(service, port))
        finally:
            service.stop()
        parse_s, lines = codec_seconds(stations, T0)

    print("\n| cycle | files | errors | uploaded in | stored in | files/s | observations/s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for i, f in enumerate(rows, 1):
        label = f"{i} ({'cold' if i == 1 else 'warm'} logins)"
        print(
            f"| {label} | {f['sent']:.0f} | {f['errors']:.0f} | {f['uploaded_s']:.1f} s | "
            f"{f['done_s']:.1f} s | {f['sent'] / f['done_s']:.0f} | "
            f"{f['readings'] / f['done_s']:,.0f} |"
        )
    print("\nWhere the time goes (per file, mean; server stages are summed over threads):\n")
    print(
        "| cycle | client: login | client: upload | server: password check | "
        "server: archive | ingest: parse | ingest: rest (standardize, QC, store) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    per_file_parse = 1000 * parse_s / args.stations
    for i, f in enumerate(rows, 1):
        n = max(f["sent"], 1)
        ingest_ms = 1000 * f.get("ingest_s", 0.0) / max(f.get("ingest_n", 1), 1)
        print(
            f"| {i} | {1000 * f['client_login_s'] / n:.1f} ms | "
            f"{1000 * f['client_upload_s'] / n:.1f} ms | "
            f"{1000 * f.get('login_s', 0.0) / max(f.get('login_n', 1), 1):.2f} ms | "
            f"{1000 * f.get('archive_s', 0.0) / max(f.get('archive_n', 1), 1):.2f} ms | "
            f"{per_file_parse:.3f} ms | {ingest_ms - per_file_parse:.2f} ms |"
        )
    print("\nCPU per file (core-ms): the receiver process (FTP sessions, archive, ingest), the")
    print("client processes, PostgreSQL backends of this database, everything else on the")
    print("machine (kernel, other processes):\n")
    print("| cycle | receiver | clients | database | other | cores busy |")
    print("|---|---:|---:|---:|---:|---:|")
    for i, f in enumerate(rows, 1):
        n = max(f["sent"], 1)
        total = f["server_cpu_s"] + f["client_cpu_s"] + f["database_cpu_s"] + f["other_cpu_s"]
        print(
            f"| {i} | {1000 * f['server_cpu_s'] / n:.1f} | {1000 * f['client_cpu_s'] / n:.1f} | "
            f"{1000 * f['database_cpu_s'] / n:.1f} | {1000 * f['other_cpu_s'] / n:.1f} | "
            f"{total / f['done_s']:.2f} |"
        )
    print(f"\nTT10 codec alone: {lines / parse_s:,.0f} lines/s")
    for i, f in enumerate(rows, 1):
        if f["first_error"]:
            print(f"cycle {i} first error: {f['first_error']}")


if __name__ == "__main__":
    main()
