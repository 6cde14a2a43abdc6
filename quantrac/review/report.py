"""What QC and review say about a station: flag counts, reasons in words, approval coverage,
and the flagged values themselves — the staff's worklist (`quantrac qc report`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from quantrac.qc.flags import QcFlag
from quantrac.review.approval import approved_clause
from quantrac.review.reasons import describe, split_reasons
from quantrac.review.window import station_series
from quantrac.store.db import Store
from quantrac.store.schema import observation


@dataclass(frozen=True, slots=True)
class ReasonCount:
    code: str
    description: str
    count: int


@dataclass(frozen=True, slots=True)
class SeriesQcReport:
    """One series over the period: rows per flag, the reasons for them, rows approved."""

    series_id: int
    parameter: str
    unit: str
    total: int
    flags: dict[int, int]
    reasons: tuple[ReasonCount, ...]
    approved: int

    @property
    def flagged(self) -> int:
        return self.flags.get(QcFlag.SUSPECT, 0) + self.flags.get(QcFlag.BAD, 0)


@dataclass(frozen=True, slots=True)
class FlaggedValue:
    time: int
    value: float | None
    flag: int
    codes: tuple[str, ...]
    descriptions: tuple[str, ...]


def _window(q: Select[Any], start: int | None, end: int | None) -> Select[Any]:
    if start is not None:
        q = q.where(observation.c.time >= start)
    if end is not None:
        q = q.where(observation.c.time < end)
    return q


def qc_report(
    store: Store,
    station: str,
    *,
    start: int | None = None,
    end: int | None = None,
    lang: str = "vi",
) -> list[SeriesQcReport]:
    """Per series of `station`: counts per flag and per reason (described in `lang`), and
    how many rows are approved for the public, over [start, end)."""
    o = observation.c
    out = []
    with store.read() as conn:
        for info in station_series(conn, station):
            base = select().where(o.series_id == info.id)
            by_flag = conn.execute(
                _window(base.add_columns(o.qc_flag, func.count()), start, end).group_by(o.qc_flag)
            ).all()
            by_reason = conn.execute(
                _window(base.add_columns(o.qc_reasons, func.count()), start, end)
                .where(o.qc_reasons.is_not(None))
                .group_by(o.qc_reasons)
            ).all()
            approved = conn.scalar(
                _window(base.add_columns(func.count()), start, end).where(
                    approved_clause(o.series_id, o.time)
                )
            )
            reasons: Counter[str] = Counter()
            for text, n in by_reason:
                for code in split_reasons(text):
                    reasons[code] += int(n)
            flags = {int(f): int(n) for f, n in by_flag}
            out.append(
                SeriesQcReport(
                    info.id,
                    info.parameter,
                    info.unit,
                    sum(flags.values()),
                    flags,
                    tuple(ReasonCount(c, describe(c, lang), n) for c, n in reasons.most_common()),
                    int(approved or 0),
                )
            )
    return out


def flagged_values(
    store: Store,
    series_id: int,
    *,
    start: int | None = None,
    end: int | None = None,
    minimum: QcFlag = QcFlag.SUSPECT,
    limit: int = 200,
    lang: str = "vi",
) -> list[FlaggedValue]:
    """The values flagged `minimum` or worse (missing excluded), oldest first, with reasons."""
    o = observation.c
    q = _window(
        select(o.time, o.value, o.qc_flag, o.qc_reasons).where(
            o.series_id == series_id, o.qc_flag >= int(minimum), o.qc_flag != QcFlag.MISSING
        ),
        start,
        end,
    )
    with store.read() as conn:
        rows = conn.execute(q.order_by(o.time).limit(limit)).all()
    out = []
    for t, v, f, r in rows:
        codes = tuple(split_reasons(r))
        out.append(FlaggedValue(int(t), v, int(f), codes, tuple(describe(c, lang) for c in codes)))
    return out
