"""kill -9 the receiver while stations are uploading, restart it, and show that every file
is archived once and ingested exactly once (SQLite and PostgreSQL).

Three simulated stations upload 25 files each, as dataloggers do: one login per file, and a
failed upload is retried until it succeeds. The receiver service runs as a separate process
and is killed with SIGKILL mid-stream; what the inbox holds at that moment is recorded; then
the service is started again and the uploads carry on.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from quantrac.codecs.tt10 import VIETNAM_TZ
from quantrac.receivers.inbox import in_progress
from quantrac.simulator.model import SimStation, make_stations, tt10_file
from quantrac.simulator.provision import ensure_accounts, ensure_stations
from quantrac.simulator.send import FtpSender
from quantrac.store.db import Store
from quantrac.store.schema import observation, observation_revision, raw_file

FILES_PER_STATION = 25
KILL_AFTER = 20  # acknowledged uploads before the kill
T0 = datetime(2026, 3, 25, 0, 0, tzinfo=VIETNAM_TZ)
DEADLINE_S = 45


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_receiver(
    store: Store, tmp_path: Path, port: int, log_name: str, processes: int
) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUANTRAC_")}
    env.update(
        QUANTRAC_DATA_DIR=str(tmp_path / "data"),
        QUANTRAC_DATABASE_URL=store.url,
        QUANTRAC_FTP_HOST="127.0.0.1",
        QUANTRAC_FTP_PORT=str(port),
        QUANTRAC_INGEST_POLL_S="0.2",
        QUANTRAC_INGEST_PROCESSES=str(processes),
    )
    log = (tmp_path / log_name).open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "quantrac.receivers.service"],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.1)
    proc.kill()
    raise AssertionError((tmp_path / log_name).read_text())


class Uploader:
    """Stations uploading continuously, each retrying a failed upload until it succeeds."""

    def __init__(self, stations: list[SimStation], sender: FtpSender) -> None:
        self.stations, self.sender = stations, sender
        self.acknowledged: list[str] = []
        self.failures = 0
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(s,)) for s in stations]
        self.names: set[str] = set()

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def join(self) -> None:
        for t in self.threads:
            t.join(DEADLINE_S)

    def _run(self, station: SimStation) -> None:
        deadline = time.monotonic() + DEADLINE_S
        for i in range(FILES_PER_STATION):
            stamp = T0.timestamp() + 300 * i
            name, data = tt10_file(
                station,
                datetime.fromtimestamp(stamp, VIETNAM_TZ),
                np.random.default_rng(i),
                p_calibrating=0,
                p_error=0,
            )
            with self.lock:
                self.names.add(name)
            while time.monotonic() < deadline:
                try:
                    self.sender.send(station, name, data)
                except Exception:
                    with self.lock:
                        self.failures += 1
                    time.sleep(0.1)
                    continue
                with self.lock:
                    self.acknowledged.append(name)
                break


@pytest.mark.parametrize("processes", [0, 1], ids=["ingest-thread", "ingest-process"])
def test_kill_9_mid_stream_loses_and_doubles_nothing(
    store: Store, tmp_path: Path, processes: int
) -> None:
    stations = make_stations(3)
    ensure_stations(store, stations)
    credentials = ensure_accounts(store, stations, tmp_path / "credentials.json")
    port = free_port()
    proc = start_receiver(store, tmp_path, port, "first.log", processes)
    uploader = Uploader(stations, FtpSender("127.0.0.1", port, credentials, timeout=5))
    try:
        uploader.start()
        deadline = time.monotonic() + DEADLINE_S
        while len(uploader.acknowledged) < KILL_AFTER and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        acknowledged_before_kill = list(uploader.acknowledged)
        inbox = tmp_path / "data" / "ftp"
        left = [p.name for p in inbox.rglob("*") if p.is_file() and not in_progress(p.name)]
        time.sleep(0.5)  # uploads fail meanwhile and are retried
        proc = start_receiver(store, tmp_path, port, "second.log", processes)
        uploader.join()
        assert len(uploader.acknowledged) == len(stations) * FILES_PER_STATION
        wait_until_processed(store, len(uploader.names))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
    assert proc.returncode == 0, (tmp_path / "second.log").read_text()

    with store.read() as conn:
        names = list(conn.scalars(select(raw_file.c.name)))
        by_state = dict(
            conn.execute(select(raw_file.c.state, func.count()).group_by(raw_file.c.state)).all()
        )
        n_obs = conn.scalar(select(func.count()).select_from(observation))
        per_file = set(
            conn.execute(
                select(func.count()).select_from(observation).group_by(observation.c.raw_file_id)
            ).scalars()
        )
        revisions = conn.scalar(select(func.count()).select_from(observation_revision))
    assert acknowledged_before_kill and uploader.failures > 0  # the kill did hit the stream
    assert len(names) == len(set(names)) == len(uploader.names)  # each file archived once
    assert set(names) == uploader.names  # none lost (acknowledged or retried)
    assert set(left) <= set(names)  # what the inbox held at the kill was archived on restart
    assert by_state == {"parsed": len(names)}
    assert n_obs == 10 * len(names)  # 10 parameters a file, each time once
    assert per_file == {10} and revisions == 0  # no file ingested twice
    assert not [
        p for p in (tmp_path / "data" / "ftp").rglob("*") if p.is_file() and not in_progress(p.name)
    ]


def wait_until_processed(store: Store, expected: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with store.read() as conn:
            parsed = conn.scalar(
                select(func.count()).select_from(raw_file).where(raw_file.c.state == "parsed")
            )
        if parsed == expected:
            return
        time.sleep(0.1)
    pytest.fail(f"only {parsed} of {expected} files processed")
