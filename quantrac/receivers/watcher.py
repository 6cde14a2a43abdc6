"""Folder watcher: for provinces that already run an FTP server (vsftpd, FileZilla Server…).

Their server writes each station's uploads under its own folder; this polls that tree and
archives each file once it is complete. "Complete" cannot be known from outside the writing
process, so a file is taken only when its size and modification time have not changed for
`settle_s` seconds (and again do not change while it is read) — a logger writing slowly over
a poor link is waited for. Polling (not inotify) works on every OS and on network shares.

A file under ``<root>/<station_code>/…`` whose first folder is a registered station is
archived with that station, so non-standard names still find their station; otherwise the
TT10 file name decides. Once archived the file is removed (or, with ``delete=False``,
remembered for this run; after a restart the archive recognises it as a duplicate).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from quantrac.archive import Archive
from quantrac.receivers.inbox import waiting_files
from quantrac.receivers.stats import StageStats
from quantrac.store.db import Store
from quantrac.store.schema import station

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Seen:
    size: int
    mtime_ns: int
    stable_since: float


class FolderWatcher:
    name = "watcher"

    def __init__(
        self,
        store: Store,
        archive: Archive,
        root: Path,
        *,
        settle_s: float = 5.0,
        poll_s: float = 1.0,
        delete: bool = True,
        on_archived: Callable[[], None] | None = None,
        stats: StageStats | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.archive = archive
        self.root = Path(root).resolve()
        self.settle_s = settle_s
        self.poll_s = poll_s
        self.delete = delete
        self.on_archived = on_archived or (lambda: None)
        self.stats = stats or StageStats()
        self.clock = clock
        self._seen: dict[Path, _Seen] = {}
        self._done: dict[Path, tuple[int, int]] = {}  # delete=False: taken (size, mtime)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if not self.root.is_dir():
            raise FileNotFoundError(f"watched folder {self.root} does not exist")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="folder-watcher", daemon=True)
        self._thread.start()
        log.info("watching %s (settle %.1f s)", self.root, self.settle_s)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll()
            except Exception:
                log.exception("folder watcher: poll failed")
            self._stop.wait(self.poll_s)

    def poll(self) -> int:
        """One pass over the tree; returns how many files were archived."""
        now = self.clock()
        present: set[Path] = set()
        taken = 0
        for path in waiting_files(self.root):
            present.add(path)
            if self._settled(path, now) and self._take(path):
                taken += 1
        for gone in self._seen.keys() - present:
            del self._seen[gone]
        for gone in self._done.keys() - present:
            del self._done[gone]
        if taken:
            self.on_archived()
        return taken

    def _settled(self, path: Path, now: float) -> bool:
        try:
            st = path.stat()
        except OSError:
            return False
        if self._done.get(path) == (st.st_size, st.st_mtime_ns):
            return False
        seen = self._seen.get(path)
        if seen is None or (seen.size, seen.mtime_ns) != (st.st_size, st.st_mtime_ns):
            self._seen[path] = _Seen(st.st_size, st.st_mtime_ns, now)
            return self.settle_s == 0
        return now - seen.stable_since >= self.settle_s

    def _take(self, path: Path) -> bool:
        try:
            before = path.stat()
            data = path.read_bytes()
            after = path.stat()
        except OSError:
            return False
        if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or len(
            data
        ) != after.st_size:
            self._seen.pop(path, None)  # still being written after all: wait again
            return False
        with self.stats.timed("archive"):
            self.archive.receive(
                data,
                path.name,
                "folder",
                sender=str(path.parent.relative_to(self.root))[-128:],
                station_code=self._station_of(path),
            )
        self._seen.pop(path, None)
        if self.delete:
            path.unlink(missing_ok=True)
        else:
            self._done[path] = (after.st_size, after.st_mtime_ns)
        return True

    def _station_of(self, path: Path) -> str | None:
        parts = path.relative_to(self.root).parts
        if len(parts) < 2:
            return None
        with self.store.read() as conn:
            found = conn.scalar(select(station.c.code).where(station.c.code == parts[0]))
        return str(found) if found is not None else None
