"""The QC job: every automatic check over stored windows, flags and reasons written back.

Ingest judges each file alone (range, device status, timestamps). Spike, rate of change, flat
line and cross-parameter rules need neighbours, so this job reads a window of a series with
enough context on both sides (`context_seconds`: the longest flat-line span, the spike
neighbours' reach, at least a day), runs `quantrac.qc.run.run_qc` with every check, and
updates `qc_flag` / `qc_reasons` of the rows inside the window only. The verdict replaces the
ingest one, except what only ingest could see — the order rows arrived in a file
(`duplicate_time`, `out_of_order_time`) — which is kept.

Staff decisions win: a row whose latest revision is a staff override or correction
(`observation_revision.source` starting with ``review:``) is never re-flagged. A new value
from the station (an ingest revision) ends that lock, because the staff decision was about a
value that is no longer there.

Automatic flag updates are NOT written to `observation_revision`: that table is the trail of
changed *evidence* (values, device status) and of *human* decisions, which is what an auditor
asks for. A flag is derived data — a pure function of the stored value, its neighbours and the
versioned thresholds — and re-running the job reproduces it; recording every re-evaluation
would bury the human trail under millions of "not evaluated → good" rows (the store's merge
path likewise records no flag-only change). Each run writes one `audit_log` row instead
(action ``qc.run``: per series judged, the window, rows evaluated and changed, and the flag
transitions such as ``2→3``), so when and why a flag moved can still be told.

Writes are optimistic: a row is updated only if its value and status are still those that
were judged, so an ingest that lands mid-run is never given a flag computed on the old value.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sqlalchemy import Connection, and_, bindparam, func, select, update

from quantrac.errors import LookupFailed
from quantrac.qc.checks import CheckResult, sampling_interval
from quantrac.qc.config import QcConfig, Thresholds, config_for
from quantrac.qc.flags import QcFlag, combine_flags
from quantrac.qc.run import Series, run_qc
from quantrac.review.reasons import ML_ANOMALY, SOURCE_FLAG, join_reasons, split_reasons
from quantrac.review.window import (
    SeriesInfo,
    Window,
    audit,
    read_window,
    series_info,
    station_series,
)
from quantrac.store.db import Store, now_s
from quantrac.store.schema import audit_log, observation, observation_revision, series
from quantrac.sync.changes import record_observations

if TYPE_CHECKING:
    from quantrac.analysis.anomaly import IsolationForestDetector

HOUR_S = 3600
DAY_S = 86400
JOB_ACTOR = "qc-job"
ACTION = "qc.run"
#: `observation_revision.source` of staff decisions (see quantrac.review.edits).
STAFF_SOURCE_PREFIX = "review:"
#: Reasons about the order rows arrived in, which only the ingest pass can see.
INGEST_ONLY_REASONS = frozenset({"duplicate_time", "out_of_order_time"})
#: Windows are processed in chunks of this span (bounded memory, short write transactions).
DEFAULT_CHUNK_S = 31 * DAY_S
#: History the anomaly model learns from, before the window.
ML_HISTORY_S = 90 * DAY_S
ML_MIN_HISTORY = 500
#: An incremental run looks for new rows with times at most this far before its last run;
#: older late data (a backfill) needs an explicit window (`quantrac qc run --from … --to …`).
INCREMENTAL_LOOKBACK_S = 90 * DAY_S


def context_seconds(th: Thresholds, step: int | None, spike_gap_steps: float = 3.0) -> int:
    """How far before and after a window the checks must see so that every row inside it is
    judged as it would be in the whole series: the longest flat-line span (by duration or by
    count × step), the spike check's neighbour reach — and at least one day."""
    s = step or HOUR_S
    spans = [DAY_S, int(spike_gap_steps * s) + s]
    if th.flat_bad_seconds or th.flat_suspect_seconds:
        spans.append(int(max(th.flat_bad_seconds or 0, th.flat_suspect_seconds or 0)))
    if th.flat_bad_count or th.flat_suspect_count:
        spans.append(int(max(th.flat_bad_count or 0, th.flat_suspect_count or 0) * s))
    return max(spans) + s


@dataclass(frozen=True, slots=True)
class SeriesOutcome:
    """What one run did to one series."""

    series_id: int
    station: str
    parameter: str
    start: int | None
    end: int | None
    evaluated: int
    changed: int
    staff_kept: int  # rows left alone because staff decided their flag
    raced: int  # rows whose value changed during the run (left for the next run)
    transitions: dict[str, int] = field(default_factory=dict)  # "2→1": rows
    flags: dict[int, int] = field(default_factory=dict)  # final flag counts in the window
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class QcJobResult:
    now: int
    series: tuple[SeriesOutcome, ...]

    @property
    def evaluated(self) -> int:
        return sum(s.evaluated for s in self.series)

    @property
    def changed(self) -> int:
        return sum(s.changed for s in self.series)


# --------------------------------------------------------------------------------------------
# pure part: one verdict per row
# --------------------------------------------------------------------------------------------
def merge_verdicts(
    flags: NDArray[np.uint8],
    reasons: Sequence[Sequence[str]],
    stored_reasons: Sequence[str],
    ml: CheckResult | None = None,
    stored_flags: ArrayLike | None = None,
) -> tuple[NDArray[np.uint8], list[str | None]]:
    """Combine the checks' verdict with what must survive a re-run.

    Kept from what is stored:

    - the ingest-only codes, and `ml_anomaly` when the model did not run this time (a run
      without the model does not undo its earlier verdicts) — SUSPECT, as their checks made
      them;
    - a suspect or bad flag that came with no reason (or with `source_flag`): no quantrac
      check writes one, so it is the data source's own verdict (a provider's "Invalid", a
      flag in an imported file). It keeps its flag and is marked `source_flag`.

    `ml` (the model's result, when it ran) joins as one more check. Returns the final flags
    and '|'-joined reasons (None where there are none).
    """
    n = flags.shape[0]
    keep = INGEST_ONLY_REASONS if ml is not None else INGEST_ONLY_REASONS | {ML_ANOMALY}
    stored_codes = [split_reasons(s) for s in stored_reasons]
    kept = [[c for c in codes if c in keep] for codes in stored_codes]
    layers = [
        flags,
        np.array(
            [QcFlag.SUSPECT if k else QcFlag.NOT_EVALUATED for k in kept], dtype=np.uint8
        ).reshape(n),
    ]
    if stored_flags is not None:
        old = np.asarray(stored_flags, dtype=np.int64)
        external = np.isin(old, [QcFlag.SUSPECT, QcFlag.BAD]) & np.array(
            [not codes or SOURCE_FLAG in codes for codes in stored_codes], dtype=bool
        ).reshape(n)
        layers.append(np.where(external, old, QcFlag.NOT_EVALUATED).astype(np.uint8))
        for i in np.flatnonzero(external).tolist():
            kept[i].append(SOURCE_FLAG)
    ml_mask = np.zeros(n, dtype=bool)
    if ml is not None:
        layers.append(ml.flags)
        ml_mask = ml.reasons.get(ML_ANOMALY, ml_mask)
    missing = flags == QcFlag.MISSING
    final = combine_flags(layers)
    final[missing] = QcFlag.MISSING
    out_reasons: list[str | None] = []
    for i in range(n):
        codes = [*reasons[i], *kept[i]]
        if ml_mask[i]:
            codes.append(ML_ANOMALY)
        out_reasons.append(join_reasons(codes))
    return final.astype(np.uint8), out_reasons


def qc_config(info: SeriesInfo, now: int) -> QcConfig:
    """Every check for the series' parameter and medium; a parameter without catalogue
    thresholds still gets device status, timestamps and cross-parameter rules."""
    interval = info.reporting_interval_s
    try:
        return config_for(info.parameter, info.medium, now=now, expected_interval_s=interval)
    except LookupFailed:
        empty = Thresholds(info.parameter, info.medium, info.unit)
        return QcConfig(thresholds=empty, now=now, expected_interval_s=interval)


# --------------------------------------------------------------------------------------------
# store part
# --------------------------------------------------------------------------------------------
def _staff_locked(conn: Connection, series_id: int, start: int, end: int) -> set[int]:
    """Times in [start, end) whose latest revision is a staff decision."""
    r = observation_revision.c
    rows = conn.execute(
        select(r.time, r.source)
        .where(r.series_id == series_id, r.time >= start, r.time < end)
        .order_by(r.time, r.id)
    ).all()
    latest: dict[int, str] = {}
    for t, source in rows:
        latest[int(t)] = source
    return {t for t, s in latest.items() if s.startswith(STAFF_SOURCE_PREFIX)}


def _last_run(conn: Connection, info: SeriesInfo) -> int | None:
    """When a run last covered this series: a run over everything, over its station, or
    over the series itself."""
    targets = ["all", f"station:{info.station}", f"series:{info.id}"]
    return conn.scalar(
        select(func.max(audit_log.c.at)).where(
            audit_log.c.action == ACTION, audit_log.c.target.in_(targets)
        )
    )


def _bounds(conn: Connection, series_id: int, since: int | None) -> tuple[int | None, int | None]:
    """[first, last + 1) of the series' rows — of those received since `since` when given,
    looking back at most `INCREMENTAL_LOOKBACK_S` before it (a range scan of the primary key,
    not of the whole series)."""
    o = observation.c
    q = select(func.min(o.time), func.max(o.time)).where(o.series_id == series_id)
    if since is not None:
        q = q.where(o.received_at >= since, o.time >= since - INCREMENTAL_LOOKBACK_S)
    lo, hi = conn.execute(q).one()
    return (None, None) if lo is None else (int(lo), int(hi) + 1)


def _step(conn: Connection, info: SeriesInfo, start: int) -> int | None:
    if info.reporting_interval_s:
        return info.reporting_interval_s
    o = observation.c
    sample = conn.scalars(
        select(o.time).where(o.series_id == info.id, o.time >= start).order_by(o.time).limit(500)
    ).all()
    return sampling_interval(np.asarray(sample, dtype=np.int64)) if len(sample) > 2 else None


def _others(
    conn: Connection, info: SeriesInfo, config: QcConfig, start: int, end: int
) -> dict[str, Series]:
    """The series at the same station that the cross-parameter rules compare this one with."""
    wanted = set()
    for rule in config.cross_rules:
        if not rule.applies(info.medium):
            continue
        if info.parameter == rule.subject:
            wanted.add(rule.reference)
        elif info.parameter == rule.reference and rule.flag_reference:
            wanted.add(rule.subject)
    if not wanted:
        return {}
    found = conn.execute(
        select(series.c.id, series.c.parameter_code).where(
            series.c.station_id == info.station_id, series.c.parameter_code.in_(sorted(wanted))
        )
    ).all()
    out = {}
    for sid, code in found:
        w = read_window(conn, int(sid), start, end)
        out[code] = Series(code, info.medium, w.time, w.value, station=info.station)
    return out


def _fit_detector(
    store: Store, info: SeriesInfo, start: int, end: int, step: int | None
) -> tuple[IsolationForestDetector | None, str | None]:
    """The anomaly model for this series, trained on the 90 days before the window (or the
    window's first 90 days when there is no history) on values not flagged bad; None with a
    note when there are too few."""
    from quantrac.analysis.anomaly import IsolationForestDetector

    with store.read() as conn:
        history = read_window(conn, info.id, start - ML_HISTORY_S, start)
        if np.count_nonzero(~np.isnan(history.value)) < ML_MIN_HISTORY:
            history = read_window(conn, info.id, start, min(end, start + ML_HISTORY_S))
    good = np.isin(history.flag, [QcFlag.GOOD, QcFlag.NOT_EVALUATED])
    values = np.where(good, history.value, np.nan)
    if np.count_nonzero(~np.isnan(values)) < ML_MIN_HISTORY:
        return None, f"anomaly model not run: fewer than {ML_MIN_HISTORY} usable values"
    return IsolationForestDetector().fit(history.time, values, step), None


def _judge(
    span: Window,
    info: SeriesInfo,
    config: QcConfig,
    others: Mapping[str, Series],
    detector: IsolationForestDetector | None,
    step: int | None,
) -> tuple[NDArray[np.uint8], list[str | None]]:
    s = Series(info.parameter, info.medium, span.time, span.value, span.tt10_status(), info.station)
    result = run_qc(s, config, others)
    ml = detector.check(span.time, span.value, step) if detector is not None else None
    return merge_verdicts(result.flags, result.reasons, span.reasons, ml, span.flag)


_UPDATE = (
    update(observation)
    .where(
        and_(
            observation.c.series_id == bindparam("sid"),
            observation.c.time == bindparam("t"),
            observation.c.value.is_not_distinct_from(bindparam("v")),
            observation.c.device_status.is_not_distinct_from(bindparam("s")),
        )
    )
    .values(qc_flag=bindparam("f"), qc_reasons=bindparam("r"))
)


@dataclass
class _Tally:
    evaluated: int = 0
    changed: int = 0
    staff_kept: int = 0
    raced: int = 0
    flags: Counter[int] = field(default_factory=Counter)
    transitions: Counter[str] = field(default_factory=Counter)


def _qc_chunk(
    store: Store,
    info: SeriesInfo,
    config: QcConfig,
    window: tuple[int, int],
    ctx: int,
    detector: IsolationForestDetector | None,
    step: int | None,
    tally: _Tally,
) -> None:
    """Judge [c0, c1) with `ctx` seconds of context on both sides; write what changed."""
    c0, c1 = window
    with store.read() as conn:
        span = read_window(conn, info.id, c0 - ctx, c1 + ctx)
        others = _others(conn, info, config, c0 - ctx, c1 + ctx)
        locked = _staff_locked(conn, info.id, c0, c1)
    if len(span) == 0:
        return
    flags, reasons = _judge(span, info, config, others, detector, step)
    params = []
    for i in np.flatnonzero((span.time >= c0) & (span.time < c1)):
        t, old_flag = int(span.time[i]), int(span.flag[i])
        if t in locked:
            tally.staff_kept += 1
            tally.flags[old_flag] += 1
            continue
        new_flag, new_reasons = int(flags[i]), reasons[i]
        tally.evaluated += 1
        tally.flags[new_flag] += 1
        if new_flag == old_flag and (new_reasons or "") == span.reasons[i]:
            continue
        tally.transitions[f"{old_flag}→{new_flag}"] += 1
        v = span.value[i]
        params.append(
            {
                "sid": info.id,
                "t": t,
                "v": None if np.isnan(v) else float(v),
                "s": span.status[i],
                "f": new_flag,
                "r": new_reasons,
            }
        )
    if not params:
        return
    with store.write() as conn:
        written = conn.execute(_UPDATE, params).rowcount
        record_observations(conn, [info.id], params[0]["t"], params[-1]["t"])
    if written is None or written < 0:  # a driver that cannot count executemany rows
        written = len(params)
    tally.changed += written
    tally.raced += len(params) - written


def _series_window(
    conn: Connection, info: SeriesInfo, start: int | None, end: int | None
) -> tuple[int | None, int | None, bool]:
    """(first, end, incremental) of what to judge; see `qc_series`."""
    if start is None and end is None:
        since = _last_run(conn, info)
        lo, hi = _bounds(conn, info.id, since)
        return lo, hi, since is not None
    lo, hi = _bounds(conn, info.id, None)
    return (start if start is not None else lo), (end if end is not None else hi), False


def _qc_one(
    store: Store,
    series_id: int,
    start: int | None,
    end: int | None,
    now: int,
    ml: bool,
    chunk_s: int,
) -> tuple[SeriesOutcome, QcConfig]:
    with store.read() as conn:
        info = series_info(conn, series_id)
        config = qc_config(info, now)
        lo, hi, incremental = _series_window(conn, info, start, end)
        step = _step(conn, info, lo) if lo is not None else None
    ctx = context_seconds(config.thresholds, step, config.spike_max_gap_steps)
    tally = _Tally()
    notes: list[str] = []
    if lo is not None and hi is not None and lo < hi:
        if incremental:
            lo -= ctx  # the new rows' neighbours are judged again with them
        detector = None
        if ml:
            detector, note = _fit_detector(store, info, lo, hi, step)
            notes += [note] if note else []
        for c0 in range(lo, hi, chunk_s):
            window = (c0, min(c0 + chunk_s, hi))
            _qc_chunk(store, info, config, window, ctx, detector, step, tally)
    outcome = SeriesOutcome(
        info.id,
        info.station,
        info.parameter,
        lo,
        hi,
        tally.evaluated,
        tally.changed,
        tally.staff_kept,
        tally.raced,
        dict(sorted(tally.transitions.items())),
        dict(sorted(tally.flags.items())),
        tuple(notes),
    )
    return outcome, config


def _summary(outcomes: Sequence[SeriesOutcome], ml: bool) -> dict[str, Any]:
    """The audit details of a run: totals, and each series that had rows to judge."""
    return {
        "ml": ml,
        "series": len(outcomes),
        "evaluated": sum(o.evaluated for o in outcomes),
        "changed": sum(o.changed for o in outcomes),
        "judged": [
            {
                "series": o.series_id,
                "station": o.station,
                "parameter": o.parameter,
                "start": o.start,
                "end": o.end,
                "evaluated": o.evaluated,
                "changed": o.changed,
                "staff_kept": o.staff_kept,
                "raced": o.raced,
                "transitions": o.transitions,
                "notes": list(o.notes),
            }
            for o in outcomes
            if o.start is not None
        ],
    }


def qc_series(
    store: Store,
    series_id: int,
    *,
    start: int | None = None,
    end: int | None = None,
    now: int | None = None,
    ml: bool = False,
    actor: str = JOB_ACTOR,
    chunk_s: int = DEFAULT_CHUNK_S,
) -> SeriesOutcome:
    """Run every check over one series' window and write the verdicts (see module docstring),
    with one audit row (target ``series:ID``).

    With neither `start` nor `end`, the window is incremental: the rows received since the
    last run that covered the series, widened backwards by the context (their neighbours'
    verdicts may change too); on the first run, all of the series. Otherwise a missing bound
    means "from the first" / "to the last" stored row.
    """
    now = now_s() if now is None else now
    outcome, config = _qc_one(store, series_id, start, end, now, ml, chunk_s)
    details = _summary([outcome], ml) | {"thresholds": config.thresholds.source[:200]}
    with store.write() as conn:
        audit(
            conn, at=now, actor=actor, action=ACTION, target=f"series:{series_id}", details=details
        )
    return outcome


def run_qc_job(
    store: Store,
    *,
    station: str | None = None,
    start: int | None = None,
    end: int | None = None,
    now: int | None = None,
    ml: bool = False,
    actor: str = JOB_ACTOR,
    chunk_s: int = DEFAULT_CHUNK_S,
) -> QcJobResult:
    """Every series of `station`, or of every station, as `qc_series` does each — with one
    audit row for the whole run (target ``station:CODE`` or ``all``), so a national run
    every hour does not write a row per series."""
    now = now_s() if now is None else now
    with store.read() as conn:
        if station is not None:
            ids = [s.id for s in station_series(conn, station)]
        else:
            ids = list(conn.scalars(select(series.c.id).order_by(series.c.id)))
    outcomes = tuple(_qc_one(store, sid, start, end, now, ml, chunk_s)[0] for sid in ids)
    with store.write() as conn:
        audit(
            conn,
            at=now,
            actor=actor,
            action=ACTION,
            target=f"station:{station}" if station is not None else "all",
            details=_summary(outcomes, ml),
        )
    return QcJobResult(now, outcomes)
