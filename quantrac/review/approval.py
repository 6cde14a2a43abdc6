"""Review and approval of periods: staff mark a series' period reviewed, approved or rejected.

A decision covers [start, end) of one series and is never edited: a later decision over the
same instants supersedes it (the latest by `at`, then by id, wins), so the whole history of
who approved what and when stays in `review_period` and `audit_log`. Approved data is what
the public sees by default; the API filters with `approved_clause` (SQL) or `approved_mask`
(arrays), which apply the same rule:

    an instant is approved ⇔ the latest decision covering it says "approved".

A period re-opened as "reviewed" or "rejected" after approval is therefore withdrawn from
the public until it is approved again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sqlalchemy import ColumnElement, Connection, and_, exists, func, insert, or_, select

from quantrac.errors import ValidationError
from quantrac.review.window import audit, require_text, series_info
from quantrac.store.db import Store, now_s
from quantrac.store.schema import observation, review_period
from quantrac.sync.changes import record_change

STATES = ("reviewed", "approved", "rejected")
APPROVED = "approved"
ACTION_PREFIX = "review."


@dataclass(frozen=True, slots=True)
class ReviewPeriod:
    id: int
    series_id: int
    start: int
    end: int
    state: str
    by: str
    at: int
    note: str | None


def _flag_counts(conn: Connection, series_id: int, start: int, end: int) -> dict[int, int]:
    o = observation.c
    rows = conn.execute(
        select(o.qc_flag, func.count())
        .where(o.series_id == series_id, o.time >= start, o.time < end)
        .group_by(o.qc_flag)
    ).all()
    return {int(f): int(n) for f, n in rows}


def mark_period(
    store: Store,
    series_id: int,
    start: int,
    end: int,
    state: str,
    *,
    by: str,
    note: str | None = None,
    now: int | None = None,
    remote_addr: str | None = None,
) -> ReviewPeriod:
    """Record a staff decision on [start, end) of a series, with an audit row.

    The audit details carry the period's flag counts at decision time, so one can later see
    what the approver had in front of them (e.g. "approved with 3 suspect values").
    """
    if state not in STATES:
        raise ValidationError(f"state must be one of {', '.join(STATES)}", [("state", state)])
    if not (isinstance(start, int) and isinstance(end, int)) or start >= end:
        raise ValidationError(
            "need integer epoch seconds with start < end", [("period", f"{start}…{end}")]
        )
    who = require_text("by", by)
    at = now_s() if now is None else now
    with store.write() as conn:
        info = series_info(conn, series_id)
        counts = _flag_counts(conn, series_id, start, end)
        new_id = conn.execute(
            insert(review_period)
            .values(
                series_id=series_id, start=start, end=end, state=state, by=who, at=at, note=note
            )
            .returning(review_period.c.id)
        ).scalar_one()
        record_change(conn, "review_period", new_id)
        audit(
            conn,
            at=at,
            actor=who,
            action=ACTION_PREFIX + state,
            target=f"series:{series_id}",
            details={
                "review_period_id": int(new_id),
                "station": info.station,
                "parameter": info.parameter,
                "start": start,
                "end": end,
                "note": note,
                "flags": counts,
            },
            remote_addr=remote_addr,
        )
    return ReviewPeriod(int(new_id), series_id, start, end, state, who, at, note)


def list_periods(
    store: Store, series_id: int, start: int | None = None, end: int | None = None
) -> list[ReviewPeriod]:
    """Decisions on a series (those overlapping [start, end) when given), oldest first."""
    rp = review_period.c
    q = select(rp.id, rp.series_id, rp.start, rp.end, rp.state, rp.by, rp.at, rp.note).where(
        rp.series_id == series_id
    )
    if start is not None:
        q = q.where(rp.end > start)
    if end is not None:
        q = q.where(rp.start < end)
    with store.read() as conn:
        rows = conn.execute(q.order_by(rp.at, rp.id)).all()
    return [ReviewPeriod(*r) for r in rows]


def review_states(times: ArrayLike, periods: Sequence[ReviewPeriod]) -> NDArray[np.str_]:
    """The state of each instant under the decisions ('' = never reviewed); pure.

    Decisions are applied oldest first (by `at`, then id), so the latest covering one wins.
    """
    t = np.asarray(times, dtype=np.int64)
    out = np.full(t.shape[0], "", dtype="<U8")
    for p in sorted(periods, key=lambda p: (p.at, p.id)):
        out[(t >= p.start) & (t < p.end)] = p.state
    return out


def approved_mask(store: Store, series_id: int, times: ArrayLike) -> NDArray[np.bool_]:
    """True where the instant of `series_id` is approved (latest covering decision)."""
    t = np.asarray(times, dtype=np.int64)
    if t.size == 0:
        return np.zeros(0, dtype=bool)
    periods = list_periods(store, series_id, int(t.min()), int(t.max()) + 1)
    return review_states(t, periods) == APPROVED


def approved_clause(series_id: ColumnElement[int], time: ColumnElement[int]) -> ColumnElement[bool]:
    """SQL condition: the row (series_id, time) is approved — for the public API filter.

    Use it in a WHERE on any query that has the two columns, e.g.
    ``select(observation).where(approved_clause(observation.c.series_id, observation.c.time))``.
    It reads: an approved decision covers the instant, and no later non-approved decision
    covers it. With `review_period`'s (series_id, start) index this is an index probe per row.
    """
    rp = review_period.alias("rp_ok")
    later = review_period.alias("rp_later")
    covers = and_(rp.c.series_id == series_id, rp.c.start <= time, rp.c.end > time)
    # correlate_except: the outer query's columns (observation, rp_ok) are references to
    # the enclosing rows, never new FROM entries of the subquery.
    superseded = exists(
        select(later.c.id)
        .where(
            later.c.series_id == series_id,
            later.c.start <= time,
            later.c.end > time,
            later.c.state != APPROVED,
            or_(later.c.at > rp.c.at, and_(later.c.at == rp.c.at, later.c.id > rp.c.id)),
        )
        .correlate_except(later)
    )
    return exists(
        select(rp.c.id).where(covers, rp.c.state == APPROVED, ~superseded).correlate_except(rp)
    )
