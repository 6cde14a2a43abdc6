"""The ingest worker: turns what the receivers archived into stored observations.

Receivers only archive; parsing and storing happen here, in the background, so an upload or
an MQTT message is acknowledged as soon as its bytes are safe and never waits for the
database to digest it. A receiver calls `wake()` after archiving; the worker also looks every
`poll_s` seconds, and on start it drains whatever a previous run left `received` (crash
recovery: `process_file` is idempotent, so a file processed twice is stored once).

The queue is split by ``raw_file.id % parts`` so no file is taken by two parts at once. Parts
run as threads (the default: one process, nothing to set up) or as child processes
(``processes``): ingest is Python work, and in its own process it no longer shares one
interpreter lock with the FTP sessions — the difference between one busy core and two at a
national 5-minute cycle (bench/ingest_tt10.py). A child whose parent died (kill -9) stops by
itself, and the restarted receiver takes over its share.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import threading
import time
from collections.abc import Callable
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any

from sqlalchemy import RowMapping, select

from quantrac.archive import Archive
from quantrac.pipeline.files import FileOutcome, process_file
from quantrac.receivers.stats import StageStats
from quantrac.store.db import Store
from quantrac.store.schema import raw_file

log = logging.getLogger(__name__)

#: A file whose processing raises this many times (not a quarantine: a crash of the code or
#: the database) is quarantined with the error, so one bad file cannot stall the queue.
MAX_ATTEMPTS = 3


class QueuePart:
    """One share of the queue (ids ≡ index mod parts), drained oldest first."""

    def __init__(
        self,
        store: Store,
        archive: Archive,
        index: int,
        parts: int,
        *,
        batch: int,
        should_stop: Callable[[], bool],
        on_done: Callable[[float, FileOutcome], None],
    ) -> None:
        self.store, self.archive = store, archive
        self.index, self.parts, self.batch = index, parts, batch
        self.should_stop = should_stop
        self.on_done = on_done
        self._failures: dict[int, int] = {}

    def pending(self) -> list[RowMapping]:
        q = select(raw_file).where(raw_file.c.state == "received")
        if self.parts > 1:
            q = q.where(raw_file.c.id % self.parts == self.index)
        with self.store.read() as conn:
            return list(conn.execute(q.order_by(raw_file.c.id).limit(self.batch)).mappings())

    def drain(self) -> int:
        done = 0
        while not self.should_stop():
            rows = self.pending()
            if not rows:
                return done
            for row in rows:
                if self.should_stop():
                    return done
                self.process(row)
                done += 1
        return done

    def process(self, row: RowMapping) -> None:
        start = time.perf_counter()
        try:
            outcome = process_file(self.store, self.archive, row)
        except Exception as exc:
            attempts = self._failures.get(row["id"], 0) + 1
            self._failures[row["id"]] = attempts
            log.exception("ingest: %s (id %d) failed, attempt %d", row["name"], row["id"], attempts)
            if attempts >= MAX_ATTEMPTS:
                self.archive.mark(row["id"], "quarantined", f"processing failed: {exc!r}")
                self._failures.pop(row["id"], None)
            else:
                time.sleep(1.0)
            return
        self._failures.pop(row["id"], None)
        self.on_done(time.perf_counter() - start, outcome)


class IngestWorker:
    name = "ingest"

    def __init__(
        self,
        store: Store,
        archive: Archive,
        *,
        threads: int = 1,
        processes: int = 0,
        poll_s: float = 5.0,
        batch: int = 200,
        stats: StageStats | None = None,
        on_outcome: Callable[[FileOutcome], None] | None = None,
    ) -> None:
        if threads < 1 or processes < 0:
            raise ValueError("threads must be ≥ 1 and processes ≥ 0")
        self.store = store
        self.archive = archive
        self.processes = processes
        self.threads = processes or threads
        self.poll_s = poll_s
        self.batch = batch
        self.stats = stats or StageStats()
        self.on_outcome = on_outcome
        self._stop = threading.Event()
        self._wakes: list[Any] = []
        self._running: list[Any] = []
        self._ctx = mp.get_context("spawn")
        self._mp_stop: Any = None
        self._shared: list[tuple[Synchronized, Synchronized, Synchronized]] = []

    # lifecycle ----------------------------------------------------------------------------------
    def start(self) -> None:
        self._stop.clear()
        if self.processes:
            self._start_processes()
            return
        self._wakes = [threading.Event() for _ in range(self.threads)]
        for i in range(self.threads):
            t = threading.Thread(target=self._run, args=(i,), name=f"ingest-{i}", daemon=True)
            t.start()
            self._running.append(t)

    def _start_processes(self) -> None:
        self._mp_stop = self._ctx.Event()
        self._wakes = [self._ctx.Event() for _ in range(self.processes)]
        for i in range(self.processes):
            shared = (self._ctx.Value("d", 0.0), self._ctx.Value("q", 0), self._ctx.Value("q", 0))
            self._shared.append(shared)
            p = self._ctx.Process(
                target=_child_main,
                args=(
                    self.store.url,
                    str(self.archive.root),
                    i,
                    self.processes,
                    self.poll_s,
                    self.batch,
                    self._wakes[i],
                    self._mp_stop,
                    shared,
                    os.getpid(),
                ),
                name=f"quantrac-ingest-{i}",
                daemon=True,
            )
            p.start()
            self._running.append(p)

    def stop(self) -> None:
        """Finish the file in hand and stop; what is left stays queued for the next start."""
        self._stop.set()
        if self._mp_stop is not None:
            self._mp_stop.set()
        self.wake()
        for worker in self._running:
            worker.join(timeout=60)
            if isinstance(worker, mp.process.BaseProcess) and worker.is_alive():
                worker.terminate()
        self._running.clear()
        self.collect_stats()

    def wake(self) -> None:
        for event in self._wakes:
            event.set()

    def drain(self) -> int:
        """Process everything pending in the calling thread (CLI, tests); returns the count."""
        part = self._part(0, 1)
        return part.drain()

    def collect_stats(self) -> None:
        """Bring the child processes' counters into `stats` (threads report directly)."""
        for seconds, files, stored in self._shared:
            with seconds.get_lock(), files.get_lock(), stored.get_lock():
                if files.value:
                    self.stats.add("ingest", seconds.value, files.value)
                    self.stats.add("stored", 0.0, stored.value)
                seconds.value, files.value, stored.value = 0.0, 0, 0

    # threads ------------------------------------------------------------------------------------
    def _part(self, index: int, parts: int) -> QueuePart:
        return QueuePart(
            self.store,
            self.archive,
            index,
            parts,
            batch=self.batch,
            should_stop=self._stop.is_set,
            on_done=self._done,
        )

    def _done(self, seconds: float, outcome: FileOutcome) -> None:
        self.stats.add("ingest", seconds)
        self.stats.add("stored", 0.0, outcome.stored)
        if self.on_outcome is not None:
            self.on_outcome(outcome)

    def _run(self, index: int) -> None:
        wake = self._wakes[index]
        part = self._part(index, self.threads)
        while not self._stop.is_set():
            wake.clear()
            try:
                part.drain()
            except Exception:  # the database went away: log, wait, try again
                log.exception("ingest worker %d: cannot read the queue", index)
                self._stop.wait(min(self.poll_s, 5.0))
                continue
            wake.wait(self.poll_s)


def _child_main(
    url: str,
    root: str,
    index: int,
    parts: int,
    poll_s: float,
    batch: int,
    wake: Any,
    stop: Any,
    shared: tuple[Synchronized, Synchronized, Synchronized],
    parent: int,
) -> None:
    """An ingest process: its own connection pool, its share of the queue, until told to stop
    or until its parent is gone."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    seconds, files, stored = shared

    def should_stop() -> bool:
        return stop.is_set() or os.getppid() != parent

    def done(elapsed: float, outcome: FileOutcome) -> None:
        with seconds.get_lock(), files.get_lock(), stored.get_lock():
            seconds.value += elapsed
            files.value += 1
            stored.value += outcome.stored

    store = Store(url)
    part = QueuePart(
        store,
        Archive(store, Path(root)),
        index,
        parts,
        batch=batch,
        should_stop=should_stop,
        on_done=done,
    )
    try:
        while not should_stop():
            wake.clear()
            try:
                part.drain()
            except Exception:
                log.exception("ingest process %d: cannot read the queue", index)
                time.sleep(min(poll_s, 5.0))
                continue
            wake.wait(min(poll_s, 1.0))  # short, so an orphan notices its parent is gone
    finally:
        store.dispose()
