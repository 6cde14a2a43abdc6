"""The change log a province node pushes: one row per write that changed something.

Writers call these hooks inside their own transaction, so an entry commits (or rolls back)
with the change it describes. The log is coarse on purpose — a write call's series and time
span, not its rows: the pusher re-reads the current rows of that span, and applying them is
idempotent, so re-sending an unchanged row costs a little bandwidth and never correctness.
A national node records nothing (`QUANTRAC_NODE_ROLE=national`): nobody pulls from it.

Entities (column `entity`):

| entity | key / keys | span | what the pusher sends |
|---|---|---|---|
| obs | keys = series ids | t_min…t_max | every row and revision of those series in the span |
| organization, station, series | key = id | — | the entity as it is now |
| review_period | key = id | — | the decision |
| event | keys = event ids | — | each event, or that it was withdrawn |
| events | key = station id | t_min…t_max | the station's events overlapping the span |
| samples | key = station id | t_min…t_max | the station's samples (with results) in the span |
| seed | — | — | expanded by the pusher into entries for everything stored |
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Integer,
    String,
    Text,
    and_,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    null,
    select,
    text,
    tuple_,
)

from quantrac.settings import get_settings
from quantrac.store.db import now_s
from quantrac.store.schema import (
    event,
    observation,
    organization,
    review_period,
    sample,
    series,
    station,
)
from quantrac.store.schema_sync import sync_change
from quantrac.sync.position import Position

#: The end of time for full-span entries (observations.MAX_TIME, 2100-01-01).
END_OF_TIME = 4_102_444_800
_PG_XID = "pg_current_xact_id()::text::bigint"


def tracking() -> bool:
    """Only nodes that push keep a change log."""
    return get_settings().node_role != "national"


def _xid(conn: Connection) -> Any:
    return literal_column(_PG_XID) if conn.dialect.name == "postgresql" else literal(0)


#: One fixed statement per dialect: this runs inside every write call, so it skips building
#: a SQLAlchemy statement each time (measured: ~200 µs → ~20 µs a call).
_INSERT = {
    "sqlite": "INSERT INTO sync_change (xid, entity, key, keys, t_min, t_max, n, at) "
    "VALUES (0, ?, ?, ?, ?, ?, ?, ?)",
    "postgresql": "INSERT INTO sync_change (xid, entity, key, keys, t_min, t_max, n, at) "
    f"VALUES ({_PG_XID}, %s, %s, %s, %s, %s, %s, %s)",
}


def record_change(
    conn: Connection,
    entity: str,
    key: int | None = None,
    *,
    keys: Iterable[int] | None = None,
    t_min: int | None = None,
    t_max: int | None = None,
    n: int | None = None,
) -> None:
    """Add one entry to the change log, in the caller's transaction."""
    if not tracking():
        return
    conn.exec_driver_sql(
        _INSERT[conn.dialect.name],
        (
            entity,
            None if key is None else int(key),
            None if keys is None else ",".join(str(int(k)) for k in keys),
            t_min,
            t_max,
            n,
            now_s(),
        ),
    )


def record_observations(
    conn: Connection, series_ids: Iterable[int], t_min: int, t_max: int, n: int | None = None
) -> None:
    """Values, flags or revisions of these series changed somewhere in [t_min, t_max]."""
    ids = sorted({int(s) for s in series_ids})
    if ids:
        record_change(conn, "obs", keys=ids, t_min=int(t_min), t_max=int(t_max), n=n)


def record_events(conn: Connection, event_ids: Iterable[int]) -> None:
    """These events were opened, changed or withdrawn (deleted)."""
    ids = sorted({int(i) for i in event_ids})
    if ids:
        record_change(conn, "event", keys=ids)


def record_station_events(conn: Connection, station_id: int, at: int) -> None:
    """An event of this station was opened, extended or closed at `at`."""
    record_change(conn, "events", station_id, t_min=int(at), t_max=int(at))


def record_samples(conn: Connection, plan: Any) -> None:
    """Samples or results of a lab import (`quantrac.periodic.plan.WritePlan`) were written."""
    if not tracking():
        return
    spans: dict[int, tuple[int, int]] = {}

    def add(station_id: int, at: int) -> None:
        lo, hi = spans.get(station_id, (at, at))
        spans[station_id] = (min(lo, at), max(hi, at))

    for station_id, at, _code in [*plan.new_samples, *(r.key for r in plan.new_results)]:
        add(int(station_id), int(at))
    ids = sorted(
        {c.sample_id for c in plan.sample_changes} | {c.sample_id for c in plan.result_changes}
    )
    for i in range(0, len(ids), 1000):
        q = select(sample.c.station_id, sample.c.sampled_at).where(
            sample.c.id.in_(ids[i : i + 1000])
        )
        for station_id, at in conn.execute(q):
            add(int(station_id), int(at))
    for station_id, (lo, hi) in sorted(spans.items()):
        record_change(conn, "samples", station_id, t_min=lo, t_max=hi)


# --- seeding: "everything stored is a change" ----------------------------------------------
def request_seed(conn: Connection) -> None:
    """Ask the next push to send everything stored (first push, or a national restore)."""
    conn.execute(insert(sync_change).values(xid=_xid(conn), entity="seed", at=now_s()))


def _typed(value: Any, type_: Any) -> Any:
    """A typed NULL or literal for INSERT … SELECT (PostgreSQL must know each column's type)."""
    if value is None:
        return cast(null(), type_)
    if isinstance(value, ColumnElement):
        return value
    return literal(value, type_)


def expand_seeds(conn: Connection) -> int:
    """Replace a pending `seed` entry by one entry per stored entity; returns how many
    entries it replaced.

    A seed is never passed by a push (the reader stops at it), so every entry after it is
    still unsent — and describes a change already in the stored state the seed is about to
    list: those entries are dropped with it. The new entries land at the end of the log.
    Set-based: one statement per table.
    """
    c = sync_change.c
    first = conn.execute(
        select(c.xid, c.seq).where(c.entity == "seed").order_by(c.xid, c.seq).limit(1)
    ).first()
    if first is None:
        return 0
    found = conn.execute(
        delete(sync_change).where(tuple_(c.xid, c.seq) >= tuple_(first[0], first[1]))
    ).rowcount
    now, xid = now_s(), _xid(conn)
    cols = [c.xid, c.entity, c["key"], c["keys"], c.t_min, c.t_max, c.n, c.at]

    def add(entity: str, key: Any = None, keys: Any = None, span: bool = False, n: Any = None,
            source: Any = None, distinct: bool = False) -> None:  # fmt: skip
        values = [
            xid,
            literal(entity, String),
            _typed(key, BigInteger),
            _typed(keys, Text),
            _typed(0 if span else None, BigInteger),
            _typed(END_OF_TIME if span else None, BigInteger),
            _typed(n, Integer),
            literal(now, BigInteger),
        ]
        query = select(*values)
        if source is not None:
            query = query.select_from(source)
        conn.execute(insert(sync_change).from_select(cols, query.distinct() if distinct else query))

    add("organization", organization.c.id)
    add("station", station.c.id)
    add("series", series.c.id)
    counts = (
        select(observation.c.series_id, func.count().label("n"))
        .group_by(observation.c.series_id)
        .subquery()
    )
    add(
        "obs",
        keys=cast(series.c.id, Text),
        span=True,
        n=func.coalesce(counts.c.n, 0),
        source=series.outerjoin(counts, counts.c.series_id == series.c.id),
    )
    add("review_period", review_period.c.id)
    add("events", event.c.station_id, span=True, distinct=True)
    add("samples", sample.c.station_id, span=True, distinct=True)
    return int(found)


# --- reading the log ------------------------------------------------------------------------
def after(position: Position) -> Any:
    """Entries not yet pushed from `position` (the partial entry itself included)."""
    c = sync_change.c
    here = tuple_(c.xid, c.seq)
    there = tuple_(literal(position.xid), literal(position.seq))
    return here >= there if not position.complete else here > there


#: The oldest transaction of *this* database still running (or the next to be numbered):
#: entries below it are final. Transactions other sessions run in other databases of the
#: same server are left out — they cannot write this log, and counting them (as the plain
#: snapshot xmin does) would hold federation back whenever a neighbour runs a long job. A
#: transaction whose database is not known for sure is counted, which is the safe side.
_SETTLED_BELOW = text(
    "WITH s AS (SELECT pg_current_snapshot() AS snap), "
    "elsewhere AS (SELECT backend_xid::text::bigint AS x FROM pg_stat_activity "
    "  WHERE backend_xid IS NOT NULL AND datname IS DISTINCT FROM current_database()) "
    "SELECT least(pg_snapshot_xmax(snap)::text::bigint, "
    "  (SELECT min(x::text::bigint) FROM pg_snapshot_xip(snap) AS x "
    "   WHERE x::text::bigint % 4294967296 NOT IN (SELECT x FROM elsewhere))) FROM s"
)


def settled(conn: Connection) -> Any:
    """Entries whose transaction can no longer be overtaken by an earlier one."""
    if conn.dialect.name != "postgresql":
        return literal(True)
    return sync_change.c.xid < literal(int(conn.scalar(_SETTLED_BELOW)), BigInteger)


def pending(conn: Connection, position: Position) -> tuple[int, int | None, int]:
    """(entries, oldest wall-clock `at`, rows written) still to push after `position`."""
    c = sync_change.c
    row = conn.execute(
        select(func.count(), func.min(c.at), func.coalesce(func.sum(c.n), 0)).where(after(position))
    ).one()
    return int(row[0]), (None if row[1] is None else int(row[1])), int(row[2])


def head(conn: Connection) -> Position:
    """The last entry of the log (START when it is empty)."""
    c = sync_change.c
    row = conn.execute(select(c.xid, c.seq).order_by(c.xid.desc(), c.seq.desc()).limit(1)).first()
    return Position() if row is None else Position(int(row[0]), int(row[1]))


def prune(conn: Connection, acknowledged: Position, retain_s: int) -> Position | None:
    """Forget entries the national node acknowledged more than `retain_s` ago; returns the
    newest entry forgotten (None: none)."""
    c = sync_change.c
    before = tuple_(c.xid, c.seq) < tuple_(literal(acknowledged.xid), literal(acknowledged.seq))
    if retain_s > 0:
        before = and_(before, c.at < now_s() - retain_s)
    last = conn.execute(
        select(c.xid, c.seq).where(before).order_by(c.xid.desc(), c.seq.desc()).limit(1)
    ).first()
    if last is None:
        return None
    conn.execute(delete(sync_change).where(before))
    return Position(int(last[0]), int(last[1]))
