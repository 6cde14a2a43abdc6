"""Periodic import throughput: a wide lab CSV of 100,000 results into a fresh SQLite store.

The file has 5,000 samples × 20 parameters at 250 stations (QCVN 08:2023 level B), with the
mix real files have: units to convert (µg/L), comma decimals, '<x' and 'KPH' cells. It is
imported twice — new rows, then the same file again (the idempotent path) — and the time of
each step of `import_sheet` is reported (read, standardize, validate, compliance, plan +
write). Target (issue 4): 100,000 result rows in under 30 s on SQLite.

Usage: python bench/import_sheet.py [--samples 5000] [--stations 250] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import os
import random
import time

from stores import bench_stores

from quantrac.periodic import ImportReport, import_sheet
from quantrac.store.catalog_sync import sync_catalog
from quantrac.store.db import Store
from quantrac.store.migrate import upgrade
from quantrac.store.registry import StationSpec, create_station

#: (header, typical value): 20 QCVN 08:2023 parameters as labs write them.
COLUMNS = [
    ("pH", 7.2), ("DO (mg/L)", 6.0), ("BOD5 (mg/L)", 4.0), ("COD (mg/L)", 12.0),
    ("TSS (mg/L)", 30.0), ("N-NH4+ (mg/L)", 0.2), ("N-NO2- (mg/L)", 0.03),
    ("N-NO3- (mg/L)", 1.5), ("P-PO4 (mg/L)", 0.1), ("Tổng Nitơ (mg/L)", 1.2),
    ("Tổng Phốt pho (mg/L)", 0.2), ("As (µg/L)", 5.0), ("Cd (mg/L)", 0.002),
    ("Pb (mg/L)", 0.01), ("Cu (mg/L)", 0.05), ("Zn (mg/L)", 0.2), ("Fe (mg/L)", 0.4),
    ("Hg (mg/L)", 0.0005), ("Coliform (MPN/100mL)", 2400.0), ("Clorua (mg/L)", 40.0),
]  # fmt: skip


def make_csv(samples: int, stations: int, seed: int = 4) -> bytes:
    """A semicolon CSV with Vietnamese headers and comma decimals, one row per sample."""
    rng = random.Random(seed)
    lines = ["Mã điểm quan trắc;Ngày lấy mẫu;Giờ lấy mẫu;" + ";".join(h for h, _ in COLUMNS)]
    for i in range(samples):
        station = f"BENCH-{i % stations:03d}"
        day = 1 + (i // stations) % 28
        month = 1 + (i // (stations * 28)) % 12
        cells = []
        for j, (_, typical) in enumerate(COLUMNS):
            draw = rng.random()
            if draw < 0.03:
                cells.append(f"<{typical / 10:g}".replace(".", ","))
            elif draw < 0.05 and j >= 11:
                cells.append("KPH")
            else:
                value = typical * rng.uniform(0.3, 1.8)
                cells.append(f"{value:.4g}".replace(".", ","))
        lines.append(
            f"{station};{day:02d}/{month:02d}/2025;{8 + i % 9:02d}:{i % 60:02d};" + ";".join(cells)
        )
    return ("\n".join(lines) + "\n").encode("utf-8")


def prepare(store: Store, stations: int) -> None:
    upgrade(store)
    sync_catalog(store)
    with store.write() as conn:
        for n in range(stations):
            spec = StationSpec(
                code=f"BENCH-{n:03d}", name=f"Điểm {n}", kind="periodic", medium="surface_water",
                regulation="QCVN 08:2023/BTNMT", regulation_column="river-B",
            )  # fmt: skip
            create_station(store, spec, conn=conn)


def timed_import(store: Store, data: bytes) -> tuple[float, dict[str, float], ImportReport]:
    """Total seconds, seconds per step, and the report."""
    marks: dict[str, float] = {}
    start = time.perf_counter()

    def progress(stage: str, done: int, total: int) -> None:
        marks[stage] = time.perf_counter()

    report = import_sheet(store, data, "bench.csv", mode="strict", progress=progress)
    end = time.perf_counter()
    steps, previous = {}, start
    for stage in ("read", "standardize", "validate", "compliance"):
        steps[stage] = marks[stage] - previous
        previous = marks[stage]
    steps["plan + write"] = end - previous
    return end - start, steps, report


def run_backend(name: str, store: Store, data: bytes, stations: int) -> list[str]:
    prepare(store, stations)
    lines = []
    for label in ("new rows", "same file again"):
        total, steps, report = timed_import(store, data)
        if report.errors:
            raise SystemExit(f"unexpected errors: {report.errors[:3]}")
        n = report.records_read
        parts = ", ".join(f"{k} {v:.2f}" for k, v in steps.items())
        lines.append(f"| {name} | {label} | {n:,} | {total:.2f} | {n / total:,.0f} | {parts} |")
    c = report.counts
    assert not c.changed and c.results_unchanged == report.records_read
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=5_000)
    ap.add_argument("--stations", type=int, default=250)
    ap.add_argument("--pg-url", default=os.environ.get("QUANTRAC_TEST_DATABASE_URL"))
    args = ap.parse_args()
    data = make_csv(args.samples, args.stations)
    lines: list[str] = []
    for name, store in bench_stores(args.pg_url):
        lines += run_backend(name, store, data, args.stations)
    size = len(data) / 1e6
    print(
        f"\n{args.samples:,} samples × {len(COLUMNS)} parameters, {args.stations} stations, "
        f"{size:.1f} MB CSV, {os.cpu_count()} cores\n"
    )
    print("| backend | import | results | seconds | results/s | seconds per step |")
    print("|---|---|---:|---:|---:|---|")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
