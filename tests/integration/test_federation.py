"""Issue 9 acceptance: two real nodes as separate processes on loopback — a province on
SQLite pushing with `quantrac sync push`, the national node on PostgreSQL behind
`quantrac serve` — a month of 5-minute data for 50 stations, the link cut mid-sync, each side
killed with SIGKILL once mid-sync and restarted; the national copy must then equal the
province value by value (no loss, no duplicate), and a correction made afterwards must arrive
as the province's revision.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from quantrac.review.edits import correct_value
from quantrac.store.catalog_sync import sync_catalog
from quantrac.store.db import Store, normalize_url
from quantrac.store.migrate import upgrade
from quantrac.store.schema import observation, observation_revision
from quantrac.store.schema_sync import sync_node
from quantrac.sync import nodes
from tests.conftest import PG_ENV, need

from .test_federation_store import T0, assert_same, build_province

STATIONS, DAYS = 50, 30
DEADLINE_S = 150


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Proxy:
    """A TCP relay between the nodes whose link can be cut (connections reset, new ones
    refused for a while)."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.down_until = 0.0
        self.cuts = 0
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if time.monotonic() < self.down_until:
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target), timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.sockets |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(1 << 16):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            self._drop(s)

    def _drop(self, s: socket.socket) -> None:
        with self.lock:
            self.sockets.discard(s)
        with contextlib.suppress(OSError):
            s.shutdown(socket.SHUT_RDWR)
        s.close()

    def cut(self, down_s: float) -> None:
        self.down_until = time.monotonic() + down_s
        self.cuts += 1
        with self.lock:
            live = list(self.sockets)
        for s in live:
            self._drop(s)

    def close(self) -> None:
        self.server.close()
        self.cut(0)


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUANTRAC_")}
    env.update(QUANTRAC_DATA_DIR=str(tmp), QUANTRAC_API_SECRET="federation-test", **extra)
    return env


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "quantrac", *args],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        cwd=Path(__file__).resolve().parents[2],
    )


def _wait_for(condition: Callable[[], bool], what: str, logs: list[Path]) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}\n" + "\n".join(p.read_text() for p in logs))


@pytest.fixture
def national_url() -> Iterator[str]:
    base = os.environ.get(PG_ENV)
    need(bool(base), f"the national node runs on PostgreSQL: set {PG_ENV}")
    assert base is not None
    admin = create_engine(normalize_url(base), isolation_level="AUTOCOMMIT")
    name = f"quantrac_fed_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield admin.url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.slow
def test_two_nodes_survive_a_cut_link_and_a_kill_on_each_side(
    tmp_path: Path, national_url: str, sqlite_template: Path
) -> None:
    shutil.copy(sqlite_template, tmp_path / "province.db")
    province = Store(f"sqlite:///{tmp_path / 'province.db'}")
    world = build_province(province, stations=STATIONS, days=DAYS)
    national = Store(national_url)
    upgrade(national)
    sync_catalog(national)
    _node, key = nodes.add_node(national, "tuyen-quang", "Tuyên Quang")

    def applied() -> int:
        with national.read() as conn:
            return int(conn.scalar(select(sync_node.c.batches)) or 0)

    port = free_port()
    proxy = Proxy(port)
    nat_log, prov_log = tmp_path / "national.log", tmp_path / "province.log"
    nat_env = _env(tmp_path / "nat", QUANTRAC_DATABASE_URL=national.url,
                   QUANTRAC_NODE_ROLE="national")  # fmt: skip
    prov_env = _env(
        tmp_path / "prov",
        QUANTRAC_DATABASE_URL=province.url,
        QUANTRAC_SYNC_NATIONAL_URL=f"http://127.0.0.1:{proxy.port}",
        QUANTRAC_SYNC_KEY=key,
        QUANTRAC_SYNC_BATCH_ROWS="15000",
        QUANTRAC_SYNC_MAX_BATCH_ROWS="15000",
        QUANTRAC_SYNC_RETRY_INITIAL_S="0.1",
        QUANTRAC_SYNC_RETRY_MAX_S="0.5",
        QUANTRAC_SYNC_TIMEOUT_S="20",
    )
    serve = ["serve", "--no-receivers", "--port", str(port)]
    procs: list[subprocess.Popen] = []
    try:
        procs.append(_spawn(serve, nat_env, nat_log))
        procs.append(_spawn(["sync", "push", "--quiet"], prov_env, prov_log))
        logs = [nat_log, prov_log]
        _wait_for(lambda: applied() >= 8, "8 batches", logs)
        proxy.cut(down_s=1.0)  # the link drops mid-sync
        _wait_for(lambda: applied() >= 20, "20 batches", logs)
        procs[1].send_signal(signal.SIGKILL)  # the province dies mid-sync
        procs[1].wait(10)
        procs[1] = _spawn(["sync", "push", "--quiet"], prov_env, prov_log)
        _wait_for(lambda: applied() >= 32, "32 batches", logs)
        killed_at = applied()
        procs[0].send_signal(signal.SIGKILL)  # the national node dies mid-sync
        procs[0].wait(10)
        procs[0] = _spawn(serve, nat_env, nat_log)
        _wait_for(lambda: procs[1].poll() is not None, "the push to finish", logs)
        assert procs[1].returncode == 0, prov_log.read_text()
        assert killed_at < applied(), "the national node was killed after the sync ended"
        assert proxy.cuts == 1
        assert_same(province, national)
        with national.read() as conn:
            stored = conn.scalar(select(func.count()).select_from(observation))
        assert stored == STATIONS * 2 * DAYS * 288

        # A correction made in the province after the sync arrives as its revision.
        sid = world["series"][7]
        correct_value(province, sid, T0 + 3000, 1.5, by="vu.e", reason="lỗi truyền")
        again = _spawn(["sync", "push", "--quiet"], prov_env, prov_log)
        assert again.wait(60) == 0, prov_log.read_text()
        assert_same(province, national)
        with national.read() as conn:
            rev = conn.execute(
                select(observation_revision).where(observation_revision.c.changed_by == "vu.e")
            ).mappings().one()  # fmt: skip
        assert (rev["new_value"], rev["source"], rev["reason"]) == (1.5, "review:correct",
                                                                    "lỗi truyền")  # fmt: skip
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(10)
        proxy.close()
        province.dispose()
        national.dispose()
