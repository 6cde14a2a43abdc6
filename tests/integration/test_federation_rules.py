"""Federation rules on SQLite and PostgreSQL: provinces kept apart, large writes sent in
slices and resumed, lost answers, a busy national node, commit order on PostgreSQL, a
restored province, and the national views."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from quantrac.auth import keys, users
from quantrac.store.db import Store
from quantrac.store.observations import ObservationRow, write_observations
from quantrac.store.registry import StationSpec, create_station, ensure_series
from quantrac.store.schema import observation, station
from quantrac.store.schema_sync import sync_node
from quantrac.sync import changes, nodes, router
from quantrac.sync.client import Pusher, SyncRefused
from quantrac.sync.position import Position
from quantrac.sync.reader import read_entries
from quantrac.sync.settings import SyncSettings

from .test_federation_store import (
    T0,
    assert_same,
    build_province,
    connect,
    national,
    national_pg_url,
    push,
)

__all__ = ["national", "national_pg_url"]  # fixtures, re-exported for pytest


def _station(store: Store, code: str, unit: str | None, params: tuple[str, ...] = ("PM25",)):
    create_station(store, StationSpec(code=code, name=code, kind="automatic",
                                      medium="ambient_air", admin_unit=unit))  # fmt: skip
    return [ensure_series(store, code, p) for p in params]


def _rows(store: Store) -> int:
    with store.read() as conn:
        return int(conn.scalar(select(func.count()).select_from(observation)) or 0)


def test_a_node_writes_only_its_own_province(store: Store, national: Store) -> None:
    _station(store, "HN_KK01", "Hà Nội")
    pusher = connect(store, national, unit="Tuyên Quang")
    with pytest.raises(SyncRefused, match="outside node") as refused:
        pusher.push()
    assert refused.value.status == 403
    with national.read() as conn:
        assert conn.scalar(select(func.count()).select_from(station)) == 0
        node = conn.execute(select(sync_node)).mappings().one()
    assert Position.of_row(node) == Position() and "HN_KK01" in node["last_error"]


def test_a_station_code_of_another_node_is_never_taken_over(
    store: Store, national: Store, tmp_path: Any, sqlite_template: Any
) -> None:
    import shutil

    shutil.copy(sqlite_template, tmp_path / "other.db")
    other = Store(f"sqlite:///{tmp_path / 'other.db'}")
    sid = _station(other, "KK_01", "Hà Giang")[0]
    write_observations(other, [ObservationRow(sid, T0, 1.0)], source="t")
    push(connect(other, national, name="ha-giang", unit="Tuyên Quang"))
    _station(store, "KK_01", "Cao Bằng")
    with pytest.raises(SyncRefused, match="already registered") as refused:
        connect(store, national, name="cao-bang", unit="Cao Bằng").push()
    assert refused.value.status == 409
    with national.read() as conn:
        assert conn.scalar(select(station.c.admin_unit_key)) == "02-2008"
    other.dispose()


def test_a_large_write_goes_in_slices_and_resumes_after_a_stop(
    store: Store, national: Store
) -> None:
    with store.write() as conn:
        changes.expand_seeds(conn)  # the template's seed: nothing stored yet
    sids = _station(store, "TQ_BIG", "Tuyên Quang", ("PM25", "CO", "NO2"))
    rows = [ObservationRow(s, T0 + 300 * k, float(k % 91), 0, 1) for s in sids for k in range(4000)]
    write_observations(store, rows, source="backfill")  # one call: one entry of 12,000 rows
    pusher = connect(store, national, batch_rows=1500, max_batch_rows=1500, min_batch_rows=1500)
    first = pusher.push(max_batches=4)  # the registry, then three slices
    assert not first.caught_up and not first.position.complete  # stopped inside the entry
    assert _rows(national) == 4500
    restarted = Pusher(store, pusher.settings, client=pusher.client)  # a new process, say
    rest = push(restarted)
    assert rest.batches == 5
    assert_same(store, national)


def test_an_answer_lost_after_applying_is_not_applied_twice(store: Store, national: Store) -> None:
    build_province(store, stations=2, days=1)
    pusher = connect(store, national, batch_rows=400, retry_initial_s=0.01)
    post, lost = pusher.client.request, []

    def drop_first_answer(method: str, url: str, **kw: Any) -> httpx.Response:
        response = post(method, url, **kw)
        if method == "POST" and not lost:
            lost.append(response.status_code)
            raise httpx.ReadError("connection reset by peer")
        return response

    pusher.client.request = drop_first_answer  # type: ignore[method-assign]
    report = push(pusher)
    assert lost == [200] and report.retries == 1
    assert_same(store, national)


def test_a_busy_national_node_is_waited_for(
    store: Store, national: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    busy = SyncSettings(max_concurrent_applies=1, retry_after_s=1)
    monkeypatch.setattr(router, "get_sync_settings", lambda: busy)
    _station(store, "TQ_KK", "Tuyên Quang")
    pusher = connect(store, national)
    gate = threading.BoundedSemaphore(1)
    pusher.client.app.state.sync_gate = gate  # type: ignore[attr-defined]
    gate.acquire()  # another batch is being applied
    threading.Timer(0.5, gate.release).start()
    started = time.monotonic()
    report = push(pusher)
    assert report.retries >= 1 and time.monotonic() - started >= 0.9


def test_a_batch_too_large_for_the_national_node_is_made_smaller(
    store: Store, national: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(router, "get_sync_settings", lambda: SyncSettings(max_body_bytes=20_000))
    sid = _station(store, "TQ_KK", "Tuyên Quang")[0]
    rows = [ObservationRow(sid, T0 + 300 * k, k / 7, 0, 1) for k in range(6000)]
    write_observations(store, rows, source="t")
    pusher = connect(store, national, batch_rows=6000, min_batch_rows=500)
    report = push(pusher)
    assert report.retries >= 1 and report.batches > 2  # refused with 413, then halved
    assert_same(store, national)


def test_wrong_or_revoked_keys_are_refused(store: Store, national: Store) -> None:
    pusher = connect(store, national)
    nodes.revoke_node(national, "tuyen-quang")
    with pytest.raises(SyncRefused) as refused:
        pusher.push()
    assert refused.value.status == 401
    key = nodes.rotate_key(national, "tuyen-quang")
    pusher.settings = pusher.settings.model_copy(update={"key": key})
    pusher.client.headers["Authorization"] = f"Bearer {key}"
    assert pusher.push().caught_up


def test_an_existing_database_is_sent_whole_by_a_seed(
    store: Store, national: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(changes, "tracking", lambda: False)  # written before federation
    build_province(store, stations=2, days=1)
    monkeypatch.undo()
    with store.write() as conn:
        changes.request_seed(conn)
    push(connect(store, national))
    assert_same(store, national)


def test_a_province_restored_from_a_backup_is_stopped_then_reset(
    store: Store, national: Store
) -> None:
    sid = _station(store, "TQ_KK", "Tuyên Quang")[0]
    write_observations(store, [ObservationRow(sid, T0, 1.0)], source="t")
    pusher = connect(store, national)
    push(pusher)
    with national.write() as conn:  # the national node is ahead of this log
        conn.execute(sync_node.update().values(pos_seq=10**6))
    with pytest.raises(SyncRefused, match="restored"):
        pusher.push()
    nodes.reset_node(national, "tuyen-quang")
    with store.write() as conn:
        changes.request_seed(conn)
    push(pusher)
    assert_same(store, national)


def test_a_national_restore_older_than_the_pruned_log_gets_everything_again(
    store: Store, national: Store
) -> None:
    build_province(store, stations=2, days=1)
    pusher = connect(store, national, retain_s=0)  # forget acknowledged entries at once
    push(pusher)
    extra = _station(store, "TQ_NEW", "Tuyên Quang")[0]
    write_observations(store, [ObservationRow(extra, T0, 3.0)], source="t")
    push(pusher)
    with national.write() as conn:  # the national node restored to just after the first push
        conn.execute(sync_node.update().values(pos_xid=0, pos_seq=1))
        conn.execute(observation.delete().where(observation.c.time > T0 + 3600))
    push(pusher)
    assert_same(store, national)


def test_an_uncommitted_write_holds_back_later_entries_on_postgresql(
    store: Store, national_pg_url: str | None
) -> None:
    if store.is_sqlite or not national_pg_url:
        pytest.skip("SQLite serialises writers: the sequence is the commit order")
    a, b, c = (_station(store, f"TQ_{x}", "Tuyên Quang")[0] for x in "ABC")
    with store.read() as conn:
        registry = read_entries(conn, Position(), 100)
    start = Position(registry[-1].xid, registry[-1].seq)
    # A long transaction in another database of the same server does not hold anything back.
    neighbour = Store(national_pg_url)
    elsewhere = neighbour.engine.connect()
    elsewhere.execute(text("SELECT pg_current_xact_id()"))
    write_observations(store, [ObservationRow(a, T0, 1.0)], source="t")
    with store.read() as conn:
        (got_a,) = read_entries(conn, start, 100)
    assert got_a.keys == str(a)
    start = Position(got_a.xid, got_a.seq)
    # An open transaction of this database holds back what commits after it.
    slow = store.engine.connect()
    slow.info["write"] = True
    tx = slow.begin()
    write_observations(store, [ObservationRow(b, T0, 1.0)], source="slow", conn=slow)
    write_observations(store, [ObservationRow(c, T0, 2.0)], source="fast")  # commits first
    with store.read() as conn:
        assert read_entries(conn, start, 100) == []  # the later one must wait
    tx.commit()
    slow.close()
    with store.read() as conn:
        got = read_entries(conn, start, 100)
    assert [e.keys for e in got] == [str(b), str(c)]  # in transaction order
    elsewhere.rollback()
    elsewhere.close()
    neighbour.dispose()


def test_the_national_views(store: Store, national: Store) -> None:
    build_province(store, stations=3, days=1)
    pusher = connect(store, national)
    push(pusher)
    users.create_user(national, "admin", "mật khẩu rất dài 1", "admin")
    admin = keys.create_key(national, "admin", username="admin", scopes="read,admin").key
    client: TestClient = pusher.client  # type: ignore[assignment]
    listed = client.get("/api/v1/sync/nodes", headers={"Authorization": f"Bearer {admin}"})
    assert listed.status_code == 200
    (node,) = listed.json()
    assert (node["name"], node["admin_unit_key"], node["pending"]) == ("tuyen-quang", "08-2025", 0)
    by_province = client.get(
        "/api/v1/sync/provinces", headers={"Authorization": f"Bearer {admin}"}
    ).json()
    (tq,) = by_province
    assert tq["province"] == "08-2025" and tq["stations"] == 4
    assert tq["registered_in"] == {"02-2008": 1, "08-2008": 1, "08-2025": 2}
    assert tq["nodes"] == {"tuyen-quang": 4}
    # The REST filter by today's province includes the merged ones, with original codes.
    listed = client.get(
        "/api/v1/stations",
        params={"province": "Tuyên Quang"},
        headers={"Authorization": f"Bearer {admin}"},
    ).json()
    codes = {s["code"]: s["province"] for s in listed}
    assert codes["TQ_KK00"] == "02-2008" and len(codes) == 4
    client.headers.pop("Authorization")
    assert client.get("/api/v1/sync/nodes").status_code == 401
