"""`$count` of Observations is exact for every role: counted over the time ranges a caller may
see (approved periods for the public), with PostgreSQL's trigger-kept per-series totals —
always equal to counting the visible rows one by one."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.exc import DBAPIError

from quantrac.api.queries.counts import ALL, Part, count_visible, merge, plan
from quantrac.api.sta import count as counting
from quantrac.api.sta.model import SETS, StaScope
from quantrac.api.sta.odata import Options, parse_expression
from quantrac.api.sta.read import Reader
from quantrac.auth.principal import ANONYMOUS, Principal, make_principal
from quantrac.auth.scope import visible_observation
from quantrac.store.db import Store
from quantrac.store.observations import ObservationRow, write_observations
from quantrac.store.schema import observation, review_period, series, station
from quantrac.store.schema_sta import series_observation_count
from tests.integration.api_world import (
    STEP,
    T0,
    World,
    build_world,
    cheap_password_hashing,
)

STA = "/sta/v1.1"
WHO = (None, "citizen", "ent_a", "ent_b", "hn", "tq", "admin")


@pytest.fixture
def world(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    cheap_password_hashing(monkeypatch)
    w = build_world(store, tmp_path)
    pub, a_pub = w.series["PUB_AIR"], w.series["A_PUB"]
    with store.write() as conn:  # overlapping, touching, gapped and rejected periods
        rows = [
            (pub, T0 + 6 * STEP, T0 + 14 * STEP, "approved"),
            (pub, T0 + 14 * STEP, T0 + 15 * STEP, "approved"),
            (pub, T0 + 18 * STEP, T0 + 20 * STEP, "approved"),
            (a_pub, T0 + 30 * STEP, T0 + 99 * STEP, "approved"),
            (a_pub, T0, T0 + 3 * STEP, "rejected"),
        ]
        conn.execute(
            insert(review_period),
            [
                {"series_id": s, "start": a, "end": b, "state": st, "by": "r", "at": T0}
                for s, a, b, st in rows
            ],
        )
    return w


def row_by_row(store: Store, p: Principal, requires_approval: bool, flt: str = "") -> int:
    """The definition: count the rows the scope lets through, one by one."""
    with store.read() as conn:
        q = (
            select(func.count())
            .select_from(
                observation.join(series, series.c.id == observation.c.series_id).join(
                    station, station.c.id == series.c.station_id
                )
            )
            .where(
                visible_observation(
                    p, observation.c.series_id, observation.c.time, requires_approval
                )
            )
        )
        if flt:
            q = q.where(text(flt))
        return int(conn.scalar(q))


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        (Part(1, ALL), (0, 1, ALL)),  # no totals: count the whole series by range
        (Part(1, ALL, total=50, first=0, last=9), (50, 1, ())),  # seen in full: the total
        (Part(1, (), total=50, first=0, last=9), (0, 1, ())),  # nothing approved
        (Part(1, ((0, 3),), total=50, first=0, last=9), (0, 1, ((0, 3),))),  # small inside
        (Part(1, ((0, 8),), total=50, first=0, last=9), (50, -1, ((8, 10),))),  # small rest
        (Part(1, ((-5, 2), (4, 20)), total=9, first=0, last=9), (9, -1, ((2, 4),))),
        (Part(1, ((20, 30),), total=9, first=0, last=9), (0, 1, ())),  # after the data
        (Part(1, ((2, 5),), total=0, first=None, last=None), (0, 1, ())),  # empty series
    ],
)
def test_plan_counts_the_shorter_side(part: Part, expected: tuple) -> None:
    assert plan(part) == expected


def test_merge_joins_overlapping_and_touching_periods() -> None:
    assert merge([(5, 9), (0, 3), (3, 4), (8, 12), (20, 20), (15, 16)]) == (
        (0, 4),
        (5, 12),
        (15, 16),
    )


@pytest.mark.parametrize("who", WHO)
def test_count_equals_the_visible_rows_for_every_role(world: World, who: str | None) -> None:
    c, h = world.client, world.h(who)
    body = c.get(f"{STA}/Observations?$count=true&$top=10000", headers=h).json()
    assert body["@iot.count"] == len(body["value"])
    assert "@quantrac.countEstimated" not in body
    filtered = c.get(
        f"{STA}/Observations?$count=true&$top=10000&$filter=result gt 20", headers=h
    ).json()
    assert filtered["@iot.count"] == len(filtered["value"]) < body["@iot.count"]
    for code, sid in world.series.items():
        page = c.get(f"{STA}/Datastreams({sid})/Observations?$count=true&$top=1000", headers=h)
        if page.status_code == 404:
            continue
        assert page.json()["@iot.count"] == len(page.json()["value"]), code
    expanded = c.get(
        f"{STA}/Datastreams?$expand=Observations($count=true;$top=1000)", headers=h
    ).json()
    for ds in expanded["value"]:
        assert ds["Observations@iot.count"] == len(ds["Observations"])


def test_counts_match_the_row_by_row_definition(world: World) -> None:
    for p in (
        ANONYMOUS,
        make_principal(actor="a", role="enterprise", organization_id=2),
        make_principal(actor="h", role="province", admin_unit_key="01-2025"),
        make_principal(actor="x", role="admin"),
    ):
        for approval in (True, False):
            with world.store.read() as conn:
                got = sum(count_visible(conn, p, approval).values())
            assert got == row_by_row(world.store, p, approval), (p.role, approval)
    # public, approved: PUB_AIR 0…14 and 18…20 → 17; A_PUB 0…12 and 30…99 → 12
    with world.store.read() as conn:
        per = count_visible(conn, ANONYMOUS, True)
    assert per == {world.series["PUB_AIR"]: 17, world.series["A_PUB"]: 12}


def test_totals_stay_exact_through_every_kind_of_write(world: World) -> None:
    store, sid = world.store, world.series["PUB_AIR"]
    rows = [ObservationRow(sid, T0 + 100 * STEP + i, float(i), None, 1) for i in range(5)]
    write_observations(store, rows, source="t")  # append path
    mixed = [ObservationRow(sid, T0 + i * STEP + 1, 1.0) for i in range(3)] + [
        ObservationRow(sid, T0, 99.0)  # a revision of an existing row
    ]
    write_observations(store, mixed, source="t")  # merge path
    oid = sid * 2**32 + T0 + STEP
    assert (
        world.client.delete(f"{STA}/Observations({oid})", headers=world.h("hn")).status_code == 200
    )
    with store.write() as conn:
        conn.execute(delete(observation).where(observation.c.time >= T0 + 100 * STEP + 3))
    with store.read() as conn:
        actual = dict(
            conn.execute(
                select(observation.c.series_id, func.count()).group_by(observation.c.series_id)
            ).all()
        )
        kept = dict(conn.execute(select(series_observation_count)).all())
    if store.is_sqlite:
        assert kept == {}  # SQLite counts from the index; nothing to keep
        return
    assert {k: v for k, v in kept.items() if v} == actual
    with pytest.raises(DBAPIError, match="does not change"), store.write() as conn:
        conn.execute(observation.update().where(observation.c.series_id == sid).values(time=1))
    with store.write() as conn:
        conn.exec_driver_sql("TRUNCATE observation")
    with store.read() as conn:
        assert conn.scalar(select(func.count()).select_from(series_observation_count)) == 0


def test_a_count_past_its_budget_is_the_marked_estimate(world: World) -> None:
    """PostgreSQL: past `count_budget_ms` the planner's estimate answers, marked as such;
    SQLite counts exactly, without a budget."""
    with world.store.read() as conn:
        reader = Reader(StaScope(ANONYMOUS, True, world.store.dialect), conn, "http://x", 10, 10, 0)
        es = SETS["Observations"]
        view = es.build(reader.scope)
        n, estimated = counting.collection(reader, es, view, view.select(), Options(), None)
        if world.store.is_sqlite:
            assert (n, estimated) == (29, False)
            return
        assert estimated and n > 0
        flt = Options(filter=parse_expression("result gt 20"))
        assert counting.collection(reader, es, view, view.select(), flt, None)[1]
        slow = select(func.count()).select_from(select(func.pg_sleep(0.2).label("x")).subquery())
        assert counting.exact(conn, slow, 20) is None
        assert counting.exact(conn, select(func.count()), 20) == 1
