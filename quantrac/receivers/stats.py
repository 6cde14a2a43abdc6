"""Where the receive path spends its time: per-stage counts and seconds, thread-safe.

The benchmark (bench/ingest_tt10.py) reads these to say how a cycle's time splits between the
password check, the upload, archiving and ingest; the service logs them on shutdown.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StageFigure:
    count: int
    seconds: float

    @property
    def mean_ms(self) -> float:
        return 1000 * self.seconds / self.count if self.count else 0.0


class StageStats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._figures: dict[str, tuple[int, float]] = {}

    def add(self, stage: str, seconds: float, count: int = 1) -> None:
        with self._lock:
            n, total = self._figures.get(stage, (0, 0.0))
            self._figures[stage] = (n + count, total + seconds)

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(stage, time.perf_counter() - start)

    def snapshot(self) -> dict[str, StageFigure]:
        with self._lock:
            return {k: StageFigure(n, s) for k, (n, s) in sorted(self._figures.items())}

    def reset(self) -> None:
        with self._lock:
            self._figures.clear()
