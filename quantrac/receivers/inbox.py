"""Folders as a durable queue: a file stays where it landed until the archive holds it.

Shared by the FTP server (its account homes) and the folder watcher (a province's own FTP
tree). A file is read, archived (`Archive.receive` returns only once the bytes are durable and
registered) and only then removed, so a crash at any point leaves either the file in the folder
(taken again on restart) or the file in the archive (a second take is recognised as a
duplicate) — never neither.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

from quantrac.archive import Archive, Received

log = logging.getLogger(__name__)

#: Suffix of our own in-progress uploads (see ftp.py): never archived, removed when stale.
PART_SUFFIX = ".quantrac-part"
#: Names clients give files they are still writing (and rename when done): left alone.
IN_PROGRESS_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".filepart", ".upload", "~")
STALE_PART_S = 24 * 3600


def in_progress(name: str) -> bool:
    """Hidden or temporary names: a client is still writing, or will rename when done."""
    lower = name.lower()
    return lower.startswith(".") or lower.endswith(IN_PROGRESS_SUFFIXES)


def take_file(
    archive: Archive,
    path: Path,
    *,
    source: str,
    sender: str | None,
    station_code: str | None,
    remove: bool = True,
) -> Received:
    """Archive one file under its base name, then (by default) remove it from the folder."""
    received = archive.receive(
        path.read_bytes(), path.name, source, sender=sender, station_code=station_code
    )
    if remove:
        path.unlink(missing_ok=True)
    return received


def waiting_files(root: Path, min_age_s: float = 0.0) -> Iterator[Path]:
    """Complete files under `root` (recursively) last modified at least `min_age_s` ago,
    skipping in-progress names; stale leftovers of our interrupted uploads are deleted."""
    now = time.time()
    for path in sorted(root.rglob("*")):
        try:
            if path.is_symlink() or not path.is_file():
                continue
            age = now - path.stat().st_mtime
        except OSError:
            continue  # gone meanwhile
        if path.name.endswith(PART_SUFFIX):
            if age > STALE_PART_S:
                path.unlink(missing_ok=True)
        elif not in_progress(path.name) and age >= min_age_s:
            yield path
