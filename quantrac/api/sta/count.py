"""`$count` of SensorThings collections: exact, and for Observations fast.

Observations are counted per visible series over the time ranges the caller may see
(`quantrac.api.queries.counts`): on the primary key, with maintained totals on PostgreSQL,
never with an approval test per row. Other sets are small and counted directly.

On PostgreSQL a count that outlasts `count_budget_ms` is replaced by the planner's estimate
of the same query without the approval test (an upper bound the planner can estimate), and the
answer says so (`@quantrac.countEstimated`) — never a silently wrong number.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select
from sqlalchemy.exc import DBAPIError

from quantrac.api.queries.counts import CountTimeout, RangeCount, count_visible
from quantrac.api.sta.compile import Compiler
from quantrac.api.sta.core import EntitySet, StaScope, View, stored_row
from quantrac.api.sta.model import SETS
from quantrac.api.sta.odata import Options
from quantrac.store.schema_sta import sta_observation_foi

if TYPE_CHECKING:
    from quantrac.api.sta.read import Reader

#: Constraints (from a navigation path) that select whole series or stations.
_BY_SERIES = "series_id"
_BY_STATION = "station_id"
_BY_FEATURE = "foi_key"


def exact(conn: Connection, q: Any, budget_ms: int) -> int | None:
    """count(*) of a query; on PostgreSQL None past the budget."""
    cq = q.order_by(None).with_only_columns(func.count(), maintain_column_froms=True)
    if conn.dialect.name != "postgresql":
        return int(conn.scalar(cq) or 0)
    try:
        with conn.begin_nested():
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(budget_ms)}")
            n = int(conn.scalar(cq) or 0)
        conn.exec_driver_sql("SET LOCAL statement_timeout = 0")
        return n
    except DBAPIError as e:
        if "statement timeout" not in str(e.orig) and "canceling" not in str(e.orig):
            raise
    return None


def estimate(conn: Connection, q: Any) -> int:
    """The PostgreSQL planner's row estimate for a query."""
    compiled = q.order_by(None).compile(dialect=conn.dialect)
    plan = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled), compiled.params).scalar()
    doc = plan if isinstance(plan, list) else json.loads(plan)
    return int(doc[0]["Plan"]["Plan Rows"])


def _loose(scope: StaScope) -> StaScope:
    """The caller's scope without the approval test (visibility of stations kept)."""
    return StaScope(scope.principal, False, scope.dialect)


def _range_count(
    reader: Reader, es: EntitySet, opts: Options, constraint: tuple[str, Any] | None
) -> RangeCount | None:
    """What to count inside one series' time range when a $filter (or a constraint that is
    not a series or station) narrows it; None: every row."""
    other = constraint if constraint and constraint[0] not in (_BY_SERIES, _BY_STATION) else None
    if opts.filter is None and other is None:
        return None

    def count_of(sid: Any, start: Any, end: Any) -> Any:
        view = es.build(_loose(reader.scope))
        q = view.select(func.count())
        if opts.filter is not None:
            q = q.where(Compiler(reader.scope, reader.conn).condition(opts.filter, view))
        if other is not None:
            q = q.where(view.match(*other))
        t = view.props["_time"].sql
        q = q.where(view.keys[_BY_SERIES] == sid, t >= start, t < end)
        return q.scalar_subquery()

    return count_of


def observations(
    reader: Reader,
    opts: Options,
    constraint: tuple[str, Any] | None = None,
    series_ids: Sequence[int] | None = None,
    *,
    budget: bool = True,
) -> dict[int, int]:
    """Visible observations per series (raises CountTimeout past the budget)."""
    es = SETS["Observations"]
    stations = None
    key, value = constraint if constraint is not None else (None, None)
    if key == _BY_SERIES:
        series_ids = [value] if isinstance(value, int) else []
    elif key == _BY_STATION:
        stations = [value] if isinstance(value, int) else []
    elif key == _BY_FEATURE and isinstance(value, int):
        # only the series that can hold observations of this feature are scanned
        row = stored_row(value)
        if row is None:
            stations = [value]
        else:
            lk = sta_observation_foi.c
            found = select(lk.series_id).where(lk.foi_id == row).distinct()
            series_ids = list(reader.conn.scalars(found))
    pg = reader.conn.dialect.name == "postgresql"
    budget_ms = reader.count_budget_ms if budget and pg else None
    return count_visible(
        reader.conn,
        reader.scope.principal,
        reader.scope.requires_approval,
        series_ids=series_ids,
        station_ids=stations,
        count_of=_range_count(reader, es, opts, constraint),
        budget_ms=budget_ms,
    )


def collection(
    reader: Reader,
    es: EntitySet,
    view: View,
    q: Any,
    opts: Options,
    constraint: tuple[str, Any] | None,
) -> tuple[int, bool]:
    """(count, estimated) of a collection query `q` built on `view`."""
    if es.name != "Observations":
        n = exact(reader.conn, q, reader.count_budget_ms)
        return (n, False) if n is not None else (estimate(reader.conn, q), True)
    try:
        return sum(observations(reader, opts, constraint).values()), False
    except CountTimeout:
        pass
    loose = es.build(_loose(reader.scope))
    lq = loose.select()
    if opts.filter is not None:
        lq = lq.where(Compiler(reader.scope, reader.conn).condition(opts.filter, loose))
    if constraint is not None:
        lq = lq.where(loose.match(*constraint))
    return estimate(reader.conn, lq), True


def grouped(reader: Reader, q: Any, key_col: Any) -> dict[Any, int]:
    """count(*) per key of an expanded collection (small sets)."""
    cq = q.with_only_columns(key_col, func.count(), maintain_column_froms=True).group_by(key_col)
    return {k: int(n) for k, n in reader.conn.execute(cq)}
