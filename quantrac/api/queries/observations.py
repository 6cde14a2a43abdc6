"""Observations of one series: a time range, QC flags, keyset pages, aggregates.

Pages are keyset ("after this time"), never OFFSET, so page 1,000 costs what page 1 costs:
one range scan of the (series_id, time) primary key. For a caller who sees a series only as
the public does, the approved review periods are read first (a handful of rows) and become
plain time ranges on that same index scan.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Connection, and_, false, or_, select

from quantrac.api.errors import ApiError
from quantrac.api.queries.counts import merge
from quantrac.api.queries.fast import fetch_all
from quantrac.api.queries.stations import SeriesRef
from quantrac.api.timeparse import iso_many
from quantrac.indices import aggregates as agg
from quantrac.store.schema import observation, review_period

AGGREGATIONS = ("raw", "1h", "24h", "month")
#: Aggregates are computed from raw values in memory; past this a caller must narrow the range.
MAX_AGGREGATE_ROWS = 5_000_000


def encode_cursor(after: int) -> str:
    return base64.urlsafe_b64encode(f"t{after}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith("t"):
            raise ValueError
        return int(text[1:])
    except (ValueError, UnicodeDecodeError):
        raise ApiError(
            400,
            "invalid cursor; pass back the next_cursor of the previous page",
            [("cursor", cursor)],
        ) from None


def approved_ranges(
    conn: Connection, series_id: int, start: int | None, end: int | None
) -> list[tuple[int, int]]:
    """Approved periods of a series overlapping [start, end), merged where they touch."""
    rp = review_period.c
    q = select(rp.start, rp.end).where(rp.series_id == series_id, rp.state == "approved")
    if start is not None:
        q = q.where(rp.end > start)
    if end is not None:
        q = q.where(rp.start < end)
    return list(merge([(int(s), int(e)) for s, e in conn.execute(q)]))


def _range_clause(ranges: Sequence[tuple[int, int]]) -> Any:
    if not ranges:
        return false()
    t = observation.c.time
    return or_(*(and_(t >= s, t < e) for s, e in ranges))


@dataclass(frozen=True, slots=True)
class Page:
    time: list[int]
    value: list[float | None]
    qc_flag: list[int]
    next_after: int | None


def read_page(
    conn: Connection,
    ref: SeriesRef,
    *,
    start: int | None,
    end: int | None,
    flags: Sequence[int] | None,
    after: int | None,
    limit: int,
    requires_approval: bool,
    descending: bool = False,
) -> Page:
    o = observation.c
    q = select(o.time, o.value, o.qc_flag).where(o.series_id == ref.id)
    if start is not None:
        q = q.where(o.time >= start)
    if end is not None:
        q = q.where(o.time < end)
    if after is not None:
        q = q.where(o.time < after if descending else o.time > after)
    if flags:
        q = q.where(o.qc_flag.in_(sorted(set(flags))))
    if requires_approval and not ref.full_access:
        q = q.where(_range_clause(approved_ranges(conn, ref.id, start, end)))
    q = q.order_by(o.time.desc() if descending else o.time).limit(limit + 1)
    rows = fetch_all(conn, q)
    more = len(rows) > limit
    rows = rows[:limit]
    if not rows:
        return Page([], [], [], None)
    t, v, f = (list(c) for c in zip(*rows, strict=True))
    return Page(t, v, f, t[-1] if more else None)


@dataclass(frozen=True, slots=True)
class Aggregated:
    labels: list[str]
    value: list[float | None]
    available: list[float | None]
    count: list[int]
    expected: list[int]


def _interval(times: np.ndarray, configured: int | None) -> int:
    if configured:
        return int(min(max(configured, 1), agg.HOUR_S))
    if len(times) < 2:
        return agg.HOUR_S
    step = int(np.median(np.diff(times)))
    return int(min(max(step, 1), agg.HOUR_S))


def _floats(a: np.ndarray) -> list[float | None]:
    return [None if np.isnan(x) else float(x) for x in a.tolist()]


def aggregate(
    conn: Connection,
    ref: SeriesRef,
    aggregation: str,
    *,
    start: int | None,
    end: int | None,
    flags: Sequence[int] | None,
    requires_approval: bool,
) -> Aggregated:
    """Hourly, local-day (Asia/Ho_Chi_Minh) or local-month means with their completeness,
    by the rules of `quantrac.indices.aggregates` (same numbers as the indices jobs)."""
    page = read_page(
        conn,
        ref,
        start=start,
        end=end,
        flags=None,
        after=None,
        limit=MAX_AGGREGATE_ROWS,
        requires_approval=requires_approval,
    )
    if page.next_after is not None:
        raise ApiError(
            422,
            "too many values to aggregate at once; narrow start/end",
            [("start", "range too long")],
        )
    if not page.time:
        return Aggregated([], [], [], [], [])
    times = np.asarray(page.time, dtype=np.int64)
    values = np.asarray([np.nan if v is None else v for v in page.value], dtype=np.float64)
    qc = np.asarray(page.qc_flag, dtype=np.int64)
    accepted = frozenset(flags) if flags else agg.DEFAULT_ACCEPTED_FLAGS
    hourly = agg.hourly_means(
        times,
        values,
        interval_s=_interval(times, ref.station.get("reporting_interval_s")),
        flags=qc,
        accepted_flags=accepted,
    )
    if aggregation == "1h":
        result = hourly
        labels = iso_many(result.labels)
    else:
        if aggregation == "24h":
            result = agg.daily_means(hourly.labels, hourly.values)
        else:
            result = agg.monthly_means(hourly.labels, hourly.values)
        labels = [str(x) for x in np.asarray(result.labels).astype(str).tolist()]
    return Aggregated(
        labels,
        _floats(result.values),
        _floats(result.available),
        [int(x) for x in result.count.tolist()],
        [int(x) for x in result.expected.tolist()],
    )
