"""Turning a province's change log into batches (the pushing side).

A batch takes whole log entries after a position until its row budget is used, merges the
time spans of each series (per-file writes of consecutive 5-minute files become one span),
reads the rows of those spans as they are *now*, and carries every registry entity they
refer to, so it applies on its own whatever the national node has seen before. One `obs`
entry larger than the budget (a backfill, a seed) is sent in slices: the position then stops
inside it and the next batch continues from there.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
from sqlalchemy import Connection, select

from quantrac.store.db import Store
from quantrac.store.schema import series
from quantrac.store.schema_sync import sync_change
from quantrac.sync import describe
from quantrac.sync.changes import END_OF_TIME, after, pending, settled
from quantrac.sync.position import COMPLETE, Position
from quantrac.sync.protocol import OBS_SCHEMA, VERSION

#: Spans of one series closer than this are read as one (fewer queries, a few extra rows).
MERGE_GAP_S = 6 * 3600
#: An entry's span is assumed to hold at least one row per series per this step.
SPARSE_STEP_S = 3600
SMALL_ENTRY_COST = {"events": 50, "samples": 50}


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    xid: int
    entity: str
    key: int | None
    keys: str | None
    t_min: int | None
    t_max: int | None
    n: int | None

    @property
    def series_ids(self) -> list[int]:
        return sorted({int(k) for k in (self.keys or "").split(",") if k})

    def estimate(self) -> int:
        """Rows this entry will read. A span is read whole, so a write of a few rows far
        apart costs what lies between them: count at least hourly data over the span (a
        seed's full-history entries say exactly how many rows they cover)."""
        if self.entity != "obs":
            return SMALL_ENTRY_COST.get(self.entity, 1)
        if self.n is not None and (self.t_min, self.t_max) == (0, END_OF_TIME):
            return max(self.n, 1)
        span = (self.t_max or 0) - (self.t_min or 0)
        return max(self.n or 0, len(self.series_ids) * (span // SPARSE_STEP_S + 1), 1)


@dataclass(slots=True)
class OutgoingBatch:
    start: Position
    end: Position
    header: dict[str, Any]
    table: pa.Table
    entries: int

    @property
    def rows(self) -> int:
        return int(self.table.num_rows)


class SeedPending(Exception):
    """The next entry is a `seed`: expand it (changes.expand_seeds) and build again."""


@dataclass
class _Plan:
    """What one batch will carry, before reading it."""

    budget: int
    spans: dict[int, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    #: One large entry sent in slices, and its (series, from, to) still to send.
    sliced: Entry | None = None
    todo: list[tuple[int, int, int]] = field(default_factory=list)
    ids: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    windows: dict[str, list[tuple[int, int, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    entries: int = 0


def read_entries(conn: Connection, position: Position, limit: int) -> list[Entry]:
    c = sync_change.c
    q = (
        select(c.seq, c.xid, c.entity, c["key"], c["keys"], c.t_min, c.t_max, c.n)
        .where(after(position), settled(conn))
        .order_by(c.xid, c.seq)
        .limit(limit)
    )
    return [Entry(*row) for row in conn.execute(q)]


def build_batch(
    store: Store, start: Position, budget: int, max_entries: int
) -> OutgoingBatch | None:
    """The next batch after `start`, or None when nothing is pending."""
    with store.read() as conn:
        entries = read_entries(conn, start, max_entries)
        if not entries:
            return None
        plan, end = _plan(entries, start, budget)
        _drop_missing_series(conn, plan)
        table, ranges, stop = _read_observations(conn, plan)
        if plan.sliced is not None and stop is not None:
            end = Position(plan.sliced.xid, plan.sliced.seq, stop[0], stop[1])
        header: dict[str, Any] = {"version": VERSION, "from": start.as_list(), "to": end.as_list()}
        header["ranges"] = ranges
        _describe(conn, plan, ranges, header)
        left, oldest, rows = pending(conn, end)
        header["pending"] = {"entries": left, "oldest_at": oldest, "rows": rows}
    return OutgoingBatch(start, end, header, table, plan.entries)


def _plan(entries: Sequence[Entry], start: Position, budget: int) -> tuple[_Plan, Position]:
    plan, used, end = _Plan(budget), 0, start
    for e in entries:
        if e.entity == "seed":
            if plan.entries:
                break
            raise SeedPending
        partial = (e.xid, e.seq) == (start.xid, start.seq) and not start.complete
        cost = e.estimate()
        if e.entity == "obs" and (partial or (not plan.entries and cost > budget)):
            plan.sliced, plan.todo = e, _slice_plan(e, (start.sid, start.t) if partial else None)
            plan.entries = 1
            return plan, Position(e.xid, e.seq, COMPLETE, 0)  # narrowed after reading
        if plan.entries and used + cost > budget:
            break
        used += cost
        plan.entries += 1
        end = Position(e.xid, e.seq, COMPLETE, 0)
        _add(plan, e)
    return plan, end


def _drop_missing_series(conn: Connection, plan: _Plan) -> None:
    """Series deleted since their entry was written: send the deletion, not their spans."""
    wanted = set(plan.spans) | {t[0] for t in plan.todo}
    existing: set[int] = set()
    for part in describe.chunks(wanted):
        existing.update(conn.scalars(select(series.c.id).where(series.c.id.in_(part))))
    gone = wanted - existing
    for sid in gone:
        plan.spans.pop(sid, None)
    plan.todo = [t for t in plan.todo if t[0] in existing]
    plan.ids["series"] |= gone


def _add(plan: _Plan, e: Entry) -> None:
    if e.entity == "obs" and e.t_min is not None and e.t_max is not None:
        for sid in e.series_ids:
            plan.spans[sid].append((e.t_min, e.t_max))
    elif e.entity == "event":
        plan.ids["event"].update(e.series_ids)  # keys hold event ids here
    elif e.entity in ("events", "samples") and e.key is not None:
        plan.windows[e.entity].append((e.key, e.t_min or 0, e.t_max or 0))
    elif e.key is not None:
        plan.ids[e.entity].add(int(e.key))


def _slice_plan(e: Entry, resume: tuple[int, int] | None) -> list[tuple[int, int, int]]:
    """(series, from, to) for every series of one large entry still to send."""
    out = []
    for sid in e.series_ids:
        lo = int(e.t_min or 0)
        if resume is not None:
            if sid < resume[0]:
                continue
            if sid == resume[0]:
                lo = max(lo, resume[1] + 1)
        if lo <= int(e.t_max or 0):
            out.append((sid, lo, int(e.t_max or 0)))
    return out


def merge_spans(spans: Sequence[tuple[int, int]], gap: int = MERGE_GAP_S) -> list[tuple[int, int]]:
    """Union of time spans, joining those less than `gap` apart."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if out and lo <= out[-1][1] + gap:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


_OBS_SQL = (
    "SELECT time, value, device_status, qc_flag, qc_reasons FROM observation "
    "WHERE series_id = {p} AND time >= {p} AND time <= {p} ORDER BY time"
)


def _read_observations(
    conn: Connection, plan: _Plan
) -> tuple[pa.Table, list[list[int]], tuple[int, int] | None]:
    """Rows of the planned spans, `ranges` as [series, from, to, rows] in table order, and —
    for a sliced entry — where the budget stopped it (None: the entry is complete)."""
    dbapi = conn.connection.dbapi_connection
    if dbapi is None:
        raise RuntimeError("connection is closed")
    p = "?" if conn.dialect.name == "sqlite" else "%s"
    sql = _OBS_SQL.format(p=p)
    cur = dbapi.cursor()
    rows: list[tuple[Any, ...]] = []
    ranges: list[list[int]] = []
    stop = None
    try:
        if plan.sliced is not None:
            stop = _read_slices(cur, sql + f" LIMIT {p}", plan, rows, ranges)
        else:
            for sid in sorted(plan.spans):
                for lo, hi in merge_spans(plan.spans[sid]):
                    cur.execute(sql, (sid, lo, hi))
                    got = cur.fetchall()
                    rows += got
                    ranges.append([sid, lo, hi, len(got)])
    finally:
        cur.close()
    return _table(rows, ranges), ranges, stop


def _read_slices(
    cur: Any, sql: str, plan: _Plan, rows: list[Any], ranges: list[list[int]]
) -> tuple[int, int] | None:
    """Fill the budget from one large entry; where it stopped, or None when it is done."""
    for sid, lo, hi in plan.todo:
        room = plan.budget - len(rows)
        if room <= 0:
            return sid, lo - 1
        cur.execute(sql, (sid, lo, hi, room + 1))
        got = cur.fetchall()
        if len(got) > room:
            got = got[:room]
            last = int(got[-1][0])
            rows += got
            ranges.append([sid, lo, last, len(got)])
            return sid, last
        rows += got
        ranges.append([sid, lo, hi, len(got)])
    return None


def _table(rows: list[tuple[Any, ...]], ranges: list[list[int]]) -> pa.Table:
    if not rows:
        return OBS_SCHEMA.empty_table()
    sids = np.repeat(
        np.array([r[0] for r in ranges], dtype=np.int64),
        np.array([r[3] for r in ranges], dtype=np.int64),
    )
    t, v, s, f, q = zip(*rows, strict=True)
    return pa.Table.from_arrays(
        [
            pa.array(sids),
            pa.array(t, pa.int64()),
            pa.array(v, pa.float64()),
            pa.array(s, pa.int16()),
            pa.array(f, pa.int16()),
            pa.array(q, pa.string()),
        ],
        schema=OBS_SCHEMA,
    )


def _describe(conn: Connection, plan: _Plan, ranges: list[list[int]], header: dict) -> None:
    """Everything the batch refers to, as natural-key descriptors."""
    series_ids = {r[0] for r in ranges} | plan.ids["series"]
    header["revisions"] = describe.revisions_in(conn, [(r[0], r[1], r[2]) for r in ranges])
    header["review_periods"] = describe.review_periods(conn, plan.ids["review_period"])
    events, gone = describe.events_by_id(conn, plan.ids["event"])
    for station_id, lo, hi in plan.windows["events"]:
        events += describe.events_in(conn, station_id, lo, hi)
    header["events_withdrawn"] = sorted(gone)
    samples = []
    for station_id, lo, hi in plan.windows["samples"]:
        samples += describe.samples_in(conn, station_id, lo, hi)
    series_ids |= {r[1] for r in header["revisions"]} | {r[1] for r in header["review_periods"]}
    series_ids |= {e["series"] for e in events if e["series"] is not None}
    series, station_ids, codes = describe.series_rows(conn, series_ids)
    header["series_deleted"] = sorted(plan.ids["series"] - {s["id"] for s in series})
    station_ids |= plan.ids["station"] | {e["station_id"] for e in events}
    station_ids |= {s["station_id"] for s in samples}
    stations, owners, code_of = describe.stations(conn, station_ids)
    for item in (*events, *samples):
        item["station"] = code_of[item.pop("station_id")]
    header["organizations"] = describe.organizations(conn, owners | plan.ids["organization"])
    header["stations"] = stations
    header["parameters"] = describe.parameters(conn, codes)
    header["series"] = series
    header["events"] = list({e["id"]: e for e in events}.values())
    header["samples"] = samples
