"""The public map with 1,000 stations: time from navigation to markers drawn, in Chromium.

Issue 8: "the map with 1,000 stations must load in < 1 s on loopback". Untimed: a fresh store
gets 1,000 public stations spread over Viet Nam (70 % air with an hourly VN_AQI of every
category, 30 % rivers with yesterday's VN_WQI and today's still-empty row), served by uvicorn
in its own process. Timed: Debian's Chromium (Playwright) opens `/` in a new browser context
each run (empty cache, no cookies) and the page's own `performance.mark("qt-markers-drawn")`
— set after the last circle is on the map — is read; that is navigation start → 1,000
coloured markers drawn, including HTML, scripts, CSS and the API calls (/stations and the
index kinds). The province boundaries load in parallel and are drawn right after the
markers (`qt-boundaries-drawn`), reported apart.

Usage: python bench/portal_map.py [--stations 1000] [--runs 9] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import time

import httpx
from sqlalchemy import insert
from stores import bench_stores

from quantrac.store.catalog_sync import sync_catalog
from quantrac.store.db import Store
from quantrac.store.migrate import upgrade
from quantrac.store.registry import StationSpec, create_station
from quantrac.store.schema import index_value

HOUR, DAY, VN = 3600, 86400, 7 * 3600
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PROVINCES = ("01-2025", "31-2025", "38-2025", "48-2025", "56-2025", "79-2025", "92-2025")


def add_stations(store: Store, n: int) -> None:
    now = int(time.time())
    hour = now // HOUR * HOUR
    today_end = ((now + VN) // DAY + 1) * DAY - VN
    aqi_values, wqi_values = (25, 75, 125, 175, 250, 400), (95, 80, 60, 40, 20, 5)
    rows: list[dict[str, object]] = []

    def index(sid: int, kind: str, t: int, value: float | None) -> None:
        rows.append(
            {"station_id": sid, "kind": kind, "time": t, "value": value, "computed_at": now}
        )

    with store.write() as conn:
        for i in range(n):
            water = i % 10 >= 7
            sid = create_station(
                store,
                StationSpec(
                    code=f"B{i:04d}_{'NM' if water else 'KK'}",
                    name=f"Trạm đo {i}",
                    kind="automatic",
                    medium="surface_water" if water else "ambient_air",
                    latitude=8.8 + (i * 7919 % 1400) / 100,
                    longitude=104.5 + (i * 104729 % 450) / 100,
                    admin_unit=PROVINCES[i % len(PROVINCES)],
                    reporting_interval_s=HOUR,
                ),
                conn,
            )
            if water:
                index(sid, "wqi_daily", today_end - DAY, wqi_values[i % 6])
                index(sid, "wqi_daily", today_end, None)
            else:
                index(sid, "aqi_hourly", hour, aqi_values[i % 6])
        conn.execute(insert(index_value), rows)


def serve(url: str, port: int) -> None:
    import uvicorn

    from quantrac.api.app import create_app
    from quantrac.api.settings import ApiSettings

    settings = ApiSettings(secret="bench", rate_limit_enabled=False)
    app = create_app(Store(url), settings=settings)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--serve", url, "--port", str(port)])
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("server did not start")


def measure(base: str, runs: int, expected: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    out: dict[str, list[float]] = {"markers": [], "boundaries": [], "api": []}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(runs + 1):  # the first run warms the server up and is not counted
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            page = context.new_page()
            page.goto(base + "/")
            page.wait_for_selector("#map[data-ready='1']", timeout=30_000)
            page.wait_for_function("performance.getEntriesByName('qt-boundaries-drawn').length > 0")
            got = page.evaluate(
                """() => {
                  const mark = performance.getEntriesByName('qt-markers-drawn')[0].startTime;
                  const res = performance.getEntriesByType('resource');
                  const api = res.filter(r => r.name.includes('/api/v1/'));
                  const geo = performance.getEntriesByName('qt-boundaries-drawn')[0].startTime;
                  const markers = document.querySelectorAll('path[data-station]').length;
                  return {mark, geo, markers,
                          api: Math.max(...api.map(r => r.responseEnd)) -
                               Math.min(...api.map(r => r.startTime))};
                }"""
            )
            if got["markers"] != expected:
                raise RuntimeError(f"{got['markers']} markers drawn, {expected} expected")
            if _ > 0:
                out["markers"].append(got["mark"])
                out["api"].append(got["api"])
                out["boundaries"].append(got["geo"])
            context.close()
        browser.close()
    return out


def summary(values: list[float]) -> str:
    values = sorted(values)
    p90 = values[min(len(values) - 1, round(0.9 * (len(values) - 1)))]
    return f"median {statistics.median(values):.0f} ms, p90 {p90:.0f} ms, max {values[-1]:.0f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stations", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--pg-url")
    ap.add_argument("--serve", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    for name, store in bench_stores(args.pg_url):
        upgrade(store)
        sync_catalog(store)
        t0 = time.perf_counter()
        add_stations(store, args.stations)
        print(f"{name}: {args.stations} stations registered in {time.perf_counter() - t0:.1f} s")
        url = store.engine.url.render_as_string(hide_password=False)
        proc, base = start_server(url)
        try:
            result = measure(base, args.runs, args.stations)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        print(f"{name}: markers drawn   {summary(result['markers'])}  ({args.runs} cold loads)")
        print(f"{name}: API calls       {summary(result['api'])}  (first request → last answer)")
        print(f"{name}: boundaries drawn {summary(result['boundaries'])}")


if __name__ == "__main__":
    main()
