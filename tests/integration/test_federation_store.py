"""Federation in one process: a province store (SQLite and PostgreSQL, the `store` fixture)
pushes through the national node's real HTTP routes (FastAPI test client) into a national
store on the other backend, and both are compared value by value by natural keys.

`build_province` and `snapshot` are shared with the two-process test (test_federation.py).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, delete, func, insert, select, text

from quantrac.api.app import create_app
from quantrac.api.settings import ApiSettings
from quantrac.jobs.compliance_job import EventKey, close_event, open_event
from quantrac.periodic import import_sheet
from quantrac.review.approval import mark_period
from quantrac.review.edits import correct_value, override_flags
from quantrac.store.db import Store, normalize_url
from quantrac.store.observations import ObservationRow, write_observations
from quantrac.store.registry import (
    OrganizationSpec,
    StationSpec,
    create_organization,
    create_station,
    ensure_series,
    retire_station,
    update_station,
)
from quantrac.store.schema import (
    campaign,
    event,
    metadata,
    observation,
    observation_revision,
    organization,
    review_period,
    sample,
    sample_result,
    series,
    station,
)
from quantrac.sync import nodes
from quantrac.sync.changes import record_events, record_observations
from quantrac.sync.client import Pusher, PushReport
from quantrac.sync.settings import SyncSettings

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
DAY = 86_400
PARAMS = ("PM25", "CO")
o_ = observation.c
SAMPLES_CSV = "Ma tram,Ngay,COD,BOD5\nTQ_SONG_01,5/1/2026,12.5,<2\nTQ_SONG_01,6/1/2026,9,3.1\n"


# --- the province ------------------------------------------------------------------------
def build_province(store: Store, stations: int = 3, days: int = 2) -> dict[str, Any]:
    """Registry, a month-like series of 5-minute data, revisions, staff corrections, flags,
    an approval, events (one withdrawn) and lab samples with a revised result."""
    create_organization(
        store, OrganizationSpec(code="STNMT_TQ", name="Sở TNMT Tuyên Quang", admin_unit="08-2025")
    )
    create_organization(
        store,
        OrganizationSpec(
            code="XM_TQ", name="Xi măng Tân Quang", kind="enterprise", admin_unit="08-2025"
        ),
    )
    sids: list[int] = []
    for i in range(stations):
        code = f"TQ_KK{i:02d}"
        unit = ("02-2008", "08-2008", None)[i % 3]  # Hà Giang, old Tuyên Quang, none given
        create_station(
            store,
            StationSpec(
                code=code,
                name=f"Trạm không khí {i}",
                kind="automatic",
                medium="ambient_air",
                admin_unit=unit,
                reporting_interval_s=300,
                owner="XM_TQ" if i == 1 else "STNMT_TQ",
                visibility="public",
            ),
        )
        sids += [ensure_series(store, code, p) for p in PARAMS]
    rng = np.random.default_rng(1)
    for day in range(days):
        times = (T0 + day * DAY + 300 * np.arange(288)).tolist()
        for i in range(stations):
            mine = sids[i * len(PARAMS) : (i + 1) * len(PARAMS)]
            values = np.round(rng.gamma(3, 9, (len(mine), 288)), 2).tolist()
            rows = [
                ObservationRow(s, t, v, 0, 1, "range" if k % 97 == 0 else None)
                for s, vs in zip(mine, values, strict=True)
                for k, (t, v) in enumerate(zip(times, vs, strict=True))
            ]
            write_observations(store, rows, source=f"ftp:day{day}")
    # A logger re-sends a file with other values: revisions with the file as source.
    resent = [ObservationRow(sids[0], T0 + 300 * k, 500.0 + k, 1, 3) for k in range(5)]
    write_observations(store, resent, source="ftp:resent.txt", reason="logger re-sent")
    correct_value(store, sids[0], T0 + 300, 42.0, by="nguyen.van.a", reason="sai số thiết bị")
    override_flags(store, sids[1], T0, T0 + 3600, 4, by="tran.thi.b", reason="hiệu chuẩn")
    mark_period(store, sids[0], T0, T0 + DAY, "approved", by="le.van.c", note="đã duyệt")
    with store.write() as conn:
        st0 = conn.scalar(select(station.c.id).where(station.c.code == "TQ_KK00"))
        open_event(conn, EventKey("offline", st0), T0 + 7200, details={"threshold_s": 900})
        open_event(conn, EventKey("offline", st0), T0 + 9000)
        close_event(conn, EventKey("offline", st0), T0 + 9300)
        kept = _exceedance(conn, st0, sids[0], T0 + 3600)
        gone = _exceedance(conn, st0, sids[1], T0 + 7200)
        record_events(conn, [kept, gone])
    create_station(
        store,
        StationSpec(
            code="TQ_SONG_01",
            name="Sông Lô",
            kind="periodic",
            medium="surface_water",
            admin_unit="08-2025",
        ),
    )
    import_sheet(store, SAMPLES_CSV.encode(), "kq.csv", campaign="DOT1-2026")
    return {"series": sids, "withdrawable_event": gone}


def _exceedance(conn: Any, station_id: int, series_id: int, at: int) -> int:
    return int(
        conn.execute(
            insert(event).values(
                kind="exceedance",
                station_id=station_id,
                series_id=series_id,
                status="closed",
                started_at=at,
                last_at=at + 3600,
                ended_at=at + 3600,
                peak_value=88.5,
                peak_at=at + 600,
                details='{"regulation": "QCVN 05:2023/BTNMT"}',
            )
        ).inserted_primary_key[0]
    )


def withdraw_event(store: Store, event_id: int) -> None:
    """As compliance_job._withdraw does, with its hook."""
    with store.write() as conn:
        conn.execute(delete(event).where(event.c.id == event_id))
        record_events(conn, [event_id])


def delete_observation(store: Store, series_id: int, time: int) -> None:
    """As a SensorThings DELETE does (revision + delete), plus the change-log hook."""
    with store.write() as conn:
        old = (
            conn.execute(
                select(observation).where(
                    observation.c.series_id == series_id, observation.c.time == time
                )
            )
            .mappings()
            .one()
        )
        conn.execute(
            insert(observation_revision).values(
                series_id=series_id,
                time=time,
                old_value=old["value"],
                new_value=None,
                old_status=old["device_status"],
                old_flag=old["qc_flag"],
                source="sta:delete",
                changed_by="user:x",
                reason="deleted through SensorThings",
                changed_at=T0 + 99,
            )
        )
        conn.execute(
            delete(observation).where(
                observation.c.series_id == series_id, observation.c.time == time
            )
        )
        record_observations(conn, [series_id], time, time)


# --- comparing by natural keys --------------------------------------------------------------
def snapshot(store: Store, default_unit: str | None = None) -> dict[str, Any]:
    """Everything federation carries, keyed without any database id. A station without a
    province counts as `default_unit` (the national node files it under the node's)."""
    s, st, o = series.c, station.c, organization.c
    out: dict[str, Any] = {}
    with store.read() as conn:
        skey = {
            r.id: (r.code, r.parameter_code, r.method)
            for r in conn.execute(
                select(s.id, st.code, s.parameter_code, s.method).join(
                    station, st.id == s.station_id
                )
            )
        }
        scode = dict(conn.execute(select(st.id, st.code)).all())
        ocode = dict(conn.execute(select(o.id, o.code)).all())
        out["organizations"] = _sorted(tuple(r[1:]) for r in conn.execute(select(organization)))
        out["stations"] = _sorted(
            (
                *(
                    r[c.name]
                    for c in station.c
                    if c.name not in ("id", "owner_id", "admin_unit_key")
                ),
                ocode.get(r["owner_id"]),
                r["admin_unit_key"] or default_unit,
            )
            for r in conn.execute(select(station)).mappings()
        )
        out["series"] = _sorted(
            (skey[r.id], r.unit, r.created_at, r.retired_at) for r in conn.execute(select(series))
        )
        # By key, not sorted: a month of 50 stations is close to a million rows.
        cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cur.execute(
            "SELECT series_id, time, value, device_status, qc_flag, qc_reasons FROM observation"
        )
        out["observations"] = {(skey[r[0]], r[1]): r[2:] for r in cur.fetchall()}
        cur.close()
        r_ = observation_revision.c
        out["revisions"] = _sorted(
            (skey[r[0]], *r[1:])
            for r in conn.execute(
                select(
                    r_.series_id,
                    r_.time,
                    r_.old_value,
                    r_.new_value,
                    r_.old_status,
                    r_.new_status,
                    r_.old_flag,
                    r_.new_flag,
                    r_.source,
                    r_.changed_by,
                    r_.reason,
                    r_.changed_at,
                )
            )
        )
        rp = review_period.c
        out["review_periods"] = _sorted(
            (skey[r[0]], *r[1:])
            for r in conn.execute(
                select(rp.series_id, rp.start, rp.end, rp.state, rp.by, rp.at, rp.note)
            )
        )
        e = event.c
        out["events"] = _sorted(
            (scode[r[0]], skey.get(r[1]), *r[2:])
            for r in conn.execute(
                select(
                    e.station_id,
                    e.series_id,
                    e.kind,
                    e.status,
                    e.started_at,
                    e.last_at,
                    e.ended_at,
                    e.peak_value,
                    e.peak_at,
                    e.details,
                )
            )
        )
        camp = dict(conn.execute(select(campaign.c.id, campaign.c.code)).all())
        results: dict[int, list] = {}
        for r in conn.execute(select(sample_result)):
            results.setdefault(r[0], []).append(tuple(r[1:]))
        out["samples"] = _sorted(
            (
                scode[r.station_id],
                r.sampled_at,
                r.sample_code,
                r.matrix,
                r.lab,
                camp.get(r.campaign_id),
                tuple(_sorted(results.get(r.id, []))),
            )
            for r in conn.execute(select(sample))
        )
    return out


def _sorted(items: Any) -> list:
    """Sorted so that None sorts too (by representation; only equality matters here)."""
    return sorted(items, key=repr)


def assert_same(province: Store, national: Store, unit: str = "08-2025") -> None:
    a, b = snapshot(province, unit), snapshot(national, unit)
    for part in a:
        assert a[part] == b[part], part


# --- the national node ----------------------------------------------------------------------
@pytest.fixture(scope="session")
def national_pg_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str | None]:
    """A second PostgreSQL database for the national side (None without PostgreSQL)."""
    base = os.environ.get("QUANTRAC_TEST_DATABASE_URL")
    if not base:
        yield None
        return
    from quantrac.store.catalog_sync import sync_catalog
    from quantrac.store.migrate import upgrade

    admin = create_engine(normalize_url(base), isolation_level="AUTOCOMMIT")
    name = f"quantrac_national_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    s = Store(url)
    upgrade(s)
    sync_catalog(s)
    s.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def national(
    store: Store, national_pg_url: str | None, sqlite_template: Path, tmp_path: Path
) -> Iterator[Store]:
    """The national store, on the other backend than the province when PostgreSQL is here."""
    import shutil

    if store.is_sqlite and national_pg_url:
        n = Store(national_pg_url)
        keep = {"admin_unit", "parameter", "limit_rule"}
        tables = [t.name for t in metadata.sorted_tables if t.name not in keep]
        with n.engine.begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    else:
        shutil.copy(sqlite_template, tmp_path / "national.db")
        n = Store(f"sqlite:///{tmp_path / 'national.db'}")
    yield n
    n.dispose()


def connect(
    province: Store,
    national: Store,
    name: str = "tuyen-quang",
    unit: str = "Tuyên Quang",
    **options: Any,
) -> Pusher:
    """A province pusher talking to the national node's app through the test client."""
    _node, key = nodes.add_node(national, name, unit)
    client = TestClient(
        create_app(national, settings=ApiSettings(secret="t")), base_url="http://national"
    )
    settings = SyncSettings(national_url="http://national", key=key, **options)
    return Pusher(province, settings, client=client)


def push(pusher: Pusher) -> PushReport:
    report = pusher.push()
    assert report.caught_up
    return report


# --- tests ------------------------------------------------------------------------------------
def test_a_province_arrives_exactly(store: Store, national: Store) -> None:
    build_province(store)
    report = push(connect(store, national, batch_rows=700))
    assert report.batches > 3
    assert_same(store, national)
    with national.read() as conn:
        units = dict(conn.execute(select(station.c.code, station.c.admin_unit_key)).all())
    # Original provinces kept across the merger; a station without one is filed under the node's.
    assert (units["TQ_KK00"], units["TQ_KK01"], units["TQ_KK02"]) == (
        "02-2008",
        "08-2008",
        "08-2025",
    )


def test_corrections_deletions_and_retirements_propagate(store: Store, national: Store) -> None:
    world = build_province(store)
    pusher = connect(store, national)
    push(pusher)
    sid = world["series"][2]
    correct_value(store, sid, T0 + 600, 7.25, by="pham.d", reason="nhiễu điện")
    override_flags(store, sid, T0 + DAY, T0 + DAY + 1800, 3, by="pham.d", reason="nghi ngờ")
    delete_observation(store, sid, T0 + 900)
    update_station(store, "TQ_KK02", {"name": "Trạm đổi tên"})
    retire_station(store, "TQ_KK01")
    withdraw_event(store, world["withdrawable_event"])
    with store.write() as conn:  # an outage opens and ends after the first push
        st1 = conn.scalar(select(station.c.id).where(station.c.code == "TQ_KK01"))
        open_event(conn, EventKey("offline", st1), T0 + DAY, details={"threshold_s": 900})
        close_event(conn, EventKey("offline", st1), T0 + DAY + 1800)
    import_sheet(
        store, SAMPLES_CSV.replace("12.5", "13.0").encode(), "kq2.csv", campaign="DOT1-2026"
    )
    report = push(pusher)
    assert report.batches >= 1
    assert_same(store, national)
    with national.read() as conn:
        rev = (
            conn.execute(
                select(observation_revision).where(
                    observation_revision.c.changed_by == "pham.d",
                    observation_revision.c.new_value == 7.25,
                )
            )
            .mappings()
            .one()
        )
    assert (rev["source"], rev["reason"]) == ("review:correct", "nhiễu điện")


def test_pushing_again_changes_nothing(store: Store, national: Store) -> None:
    build_province(store)
    pusher = connect(store, national)
    push(pusher)
    before = snapshot(national)
    assert push(pusher).batches == 0
    # The whole province again (as after a national restore): still exactly one copy.
    from quantrac.sync.changes import request_seed

    with store.write() as conn:
        request_seed(conn)
    assert push(pusher).batches >= 1
    assert snapshot(national) == before


def test_writes_record_one_entry_per_call_only_when_something_changed(store: Store) -> None:
    from quantrac.store.schema_sync import sync_change

    def entries() -> list[tuple]:
        with store.read() as conn:
            c = sync_change.c
            return conn.execute(
                select(c.entity, c.key, c["keys"], c.t_min, c.t_max, c.n)
                .where(c.entity != "seed")
                .order_by(c.xid, c.seq)
            ).all()

    create_station(
        store,
        StationSpec(code="X1", name="x", kind="automatic", medium="ambient_air", admin_unit="01"),
    )
    a, b = ensure_series(store, "X1", "PM25"), ensure_series(store, "X1", "CO")
    rows = [ObservationRow(s, T0 + 300 * k, 1.0 + k, 0) for s in (a, b) for k in range(100)]
    write_observations(store, rows, source="t")
    write_observations(store, rows, source="t")  # identical: nothing changed, nothing recorded
    write_observations(store, [rows[5]._replace(value=-1.0)], source="t")
    got = entries()
    assert got[:3] == [
        ("station", got[0][1], None, None, None, None),
        ("series", a, None, None, None, None),
        ("series", b, None, None, None, None),
    ]
    assert got[3:] == [
        ("obs", None, f"{a},{b}", T0, T0 + 300 * 99, 200),
        ("obs", None, str(a), T0 + 1500, T0 + 1500, 1),
    ]
    with store.read() as conn:
        assert conn.scalar(select(func.count()).select_from(observation)) == 200
