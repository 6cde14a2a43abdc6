"""Measuring an HTTP service from loopback clients: latency percentiles under a closed loop
(as fast as the clients can), an open loop (each client at a steady rate, as maps refresh),
one request at a time, and the write rate of bulk bodies. Used by bench/api_load.py.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Iterator

import httpx


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


def sequential(base: str, path: str, headers: dict[str, str], runs: int) -> dict[str, float]:
    """One client, one request at a time: what a request costs when nothing queues."""
    times = []
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        client.get(path).raise_for_status()
        for _ in range(runs):
            t = time.perf_counter()
            client.get(path).raise_for_status()
            times.append(time.perf_counter() - t)
    return {
        "requests": runs,
        "p50_ms": 1000 * pct(times, 0.5),
        "p95_ms": 1000 * pct(times, 0.95),
        "p99_ms": 1000 * pct(times, 0.99),
    }
