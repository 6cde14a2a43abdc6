"""The folder watcher (a province's own FTP server writes, quantrac polls): a file written
slowly is taken once, complete; names outside the convention take the folder's station."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from quantrac.archive import Archive
from quantrac.receivers.watcher import FolderWatcher
from quantrac.receivers.worker import IngestWorker
from quantrac.store.db import Store
from quantrac.store.registry import StationSpec, create_station
from quantrac.store.schema import observation, raw_file

AIR = "HN_BKHN_KHIKXQ_20260325000500.txt"
CODE = "HN_BKHN_KHIKXQ"


def wait_for(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def count(store: Store, table: object) -> int:
    with store.read() as conn:
        return int(conn.scalar(select(func.count()).select_from(table)))  # type: ignore[arg-type]


def parsed(store: Store) -> int:
    with store.read() as conn:
        return int(
            conn.scalar(select(func.count()).where(raw_file.c.state == "parsed"))  # type: ignore[arg-type]
        )


@pytest.fixture
def watched(store: Store, tmp_path: Path):
    create_station(
        store, StationSpec(code=CODE, name="Bách Khoa", kind="automatic", medium="ambient_air")
    )
    archive = Archive(store, tmp_path / "archive")
    worker = IngestWorker(store, archive, poll_s=0.2)
    root = tmp_path / "vsftpd"
    (root / CODE / "2026" / "03" / "25").mkdir(parents=True)
    watcher = FolderWatcher(store, archive, root, settle_s=1.0, poll_s=0.1, on_archived=worker.wake)
    worker.start()
    watcher.start()
    yield root, watcher
    watcher.stop()
    worker.stop()


def test_a_file_written_slowly_is_ingested_once_and_complete(
    store: Store, watched: tuple[Path, FolderWatcher], tt10_dir: Path
) -> None:
    root, _ = watched
    data = (tt10_dir / AIR).read_bytes()
    lines = data.splitlines(keepends=True)
    target = root / CODE / "2026" / "03" / "25" / AIR

    def slow_writer() -> None:
        with target.open("wb") as fh:
            for line in lines:
                fh.write(line)
                fh.flush()
                time.sleep(0.12)  # ~3 s in all: many polls see it growing

    writer = threading.Thread(target=slow_writer)
    writer.start()
    time.sleep(1.5)
    assert count(store, raw_file) == 0  # seen, but still growing
    writer.join()
    wait_for(lambda: parsed(store) == 1)
    time.sleep(0.5)  # a few more polls: nothing taken twice
    assert count(store, raw_file) == 1
    assert count(store, observation) == 26
    assert not target.exists()
    with store.read() as conn:
        assert conn.scalar(select(raw_file.c.size)) == len(data)
        assert conn.scalar(select(raw_file.c.station_code)) == CODE
        assert conn.scalar(select(raw_file.c.source)) == "folder"


def test_a_non_standard_name_takes_the_station_of_its_folder(
    store: Store, watched: tuple[Path, FolderWatcher], tt10_dir: Path
) -> None:
    root, _ = watched
    (root / CODE / "latest.txt").write_bytes((tt10_dir / AIR).read_bytes())
    wait_for(lambda: parsed(store) == 1)
    assert count(store, observation) == 26


def test_keep_mode_takes_each_file_once(store: Store, tmp_path: Path, tt10_dir: Path) -> None:
    create_station(
        store, StationSpec(code=CODE, name="Bách Khoa", kind="automatic", medium="ambient_air")
    )
    root = tmp_path / "kept"
    (root / CODE).mkdir(parents=True)
    (root / CODE / AIR).write_bytes((tt10_dir / AIR).read_bytes())
    now = [0.0]
    watcher = FolderWatcher(
        store, Archive(store, tmp_path / "a"), root, settle_s=5, delete=False, clock=lambda: now[0]
    )
    assert watcher.poll() == 0  # first sight
    now[0] = 4.9
    assert watcher.poll() == 0  # not settled yet
    now[0] = 5.0
    assert watcher.poll() == 1
    now[0] = 60.0
    assert watcher.poll() == 0  # remembered: not taken again
    assert (root / CODE / AIR).exists()
    assert count(store, raw_file) == 1
