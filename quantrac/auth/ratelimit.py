"""Rate limiting: an in-process token bucket per API key / user and per client IP.

Each bucket holds up to `burst` tokens and refills at `rate` per second; a request takes one.
In-process means per server process: behind several workers the effective limit is the sum,
and a proxy (nginx `limit_req`) should enforce the global one. Buckets idle long enough to be
full again are dropped, so memory stays bounded by the number of active clients.
"""

from __future__ import annotations

import threading
import time


class TokenBuckets:
    def __init__(self, rate: float, burst: int, max_entries: int = 100_000) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst ≥ 1")
        self.rate = rate
        self.burst = burst
        self.max_entries = max_entries
        self._buckets: dict[str, tuple[float, float]] = {}  # key → (tokens, last refill)
        self._lock = threading.Lock()

    def take(self, key: str, now: float | None = None) -> float:
        """Take a token; returns 0 when allowed, else seconds until one is available."""
        t = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), t))
            tokens = min(float(self.burst), tokens + (t - last) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, t)
                if len(self._buckets) > self.max_entries:
                    self._prune(t)
                return 0.0
            self._buckets[key] = (tokens, t)
            return (1 - tokens) / self.rate

    def _prune(self, now: float) -> None:
        full_after = self.burst / self.rate
        for k, (_, last) in list(self._buckets.items()):
            if now - last > full_after:
                del self._buckets[k]
