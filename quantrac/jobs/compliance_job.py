"""QCVN compliance of a station over a period, and the exceedance events it gives rise to.

An I/O edge around `quantrac.indices.compliance`: the station's regulation and column come
from the registry, the rules from the catalogue (those in force on each period's local date,
so QCVN 05:2023 PM2.5 24 h switches from 50 to 45 µg/Nm³ on 01/01/2026), and each rule is
compared with the station's values averaged over the period the rule names:

- "1h": hourly means (`aggregates.hourly_means`, 75 % of the expected values);
- "8h": trailing 8-h means of those hours (`aggregates.rolling_means`, 6 of 8);
- "24h": local-day means (`aggregates.daily_means`, 18 of 24 hours);
- "year": the mean of a local calendar year's complete daily means, when at least 75 % of its
  days have one — our rule: QCVN 05:2023 names the annual mean but no completeness;
- "single sample": every stored value as it is.

QCVN 40:2011 / QCVN 14:2008 rules marked scalable use the station's Kq and Kf (Cmax = C × Kq
× Kf). A "not detected" (KPH) rule is breached by any value above zero; a "descriptive" one
cannot be evaluated. Values are converted to the rule's unit first.

Events: one `event` row per exceedance episode (`compliance.detect_episodes`), keyed by
(station, series, rule, start). Re-running over the same data finds the same episodes and
updates their rows in place; an episode still running at the end of the period stays "open" and
is extended (or closed) by the next run. `open_event` / `close_event` are the same bookkeeping
for events without a rule (station offline, data delayed), for the ingest side to reuse.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, RowMapping, and_, delete, func, insert, or_, select, update

from quantrac.catalog import get_catalog
from quantrac.catalog.limits import LimitRule
from quantrac.catalog.units import conversion
from quantrac.errors import UnitConversionError, ValidationError
from quantrac.indices import aggregates as agg
from quantrac.indices.compliance import Direction, Episode, check, detect_episodes
from quantrac.jobs.indices_job import day_end, local_day, read_values
from quantrac.store.db import Store
from quantrac.store.registry import get_station
from quantrac.store.schema import (
    alert_delivery,
    event,
    limit_rule,
    series,
    station,
)
from quantrac.sync.changes import record_events, record_station_events

EXCEEDANCE = "exceedance"
OPEN = "open"
CLOSED = "closed"
HOUR_S = agg.HOUR_S
#: A gap longer than this between two averaged values closes an episode (our choice: the
#: regulations say nothing; a station silent for hours is an "offline" event of its own).
MAX_GAP_S: Mapping[str, int | None] = {
    "single sample": 3 * HOUR_S,
    "1h": 3 * HOUR_S,
    "8h": 3 * HOUR_S,
    "24h": 2 * agg.DAY_S,
    "year": None,
}
#: Share of a year's days that need a complete daily mean for an annual mean (our default).
YEAR_MIN_FRACTION = 0.75
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


# --- results --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class EpisodeRecord:
    """An exceedance episode in epoch seconds: `ended_at` is None while it is still open."""

    started_at: int
    last_at: int
    ended_at: int | None
    peak_value: float
    peak_at: int
    count: int
    direction: Direction

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


@dataclass(frozen=True)
class RuleOutcome:
    """One rule against one series over the period — a row of the compliance table.

    `value` is the averaged value closest to (or furthest beyond) the limit: the worst peak
    when the rule was breached, else the highest value (lowest for a floor such as DO).
    `minimum`/`maximum` are the effective bounds (maximum × Kq × Kf for scalable rules).
    `status` is "pass", "exceed", "no data" or "not evaluated" (`note` says why).
    """

    rule: LimitRule
    limit_rule_id: int | None
    series_id: int
    parameter_code: str
    periods: int
    exceeded: int
    value: float | None
    value_at: int | None
    minimum: float | None
    maximum: float | None
    scale: float
    status: str
    note: str | None = None
    episodes: tuple[EpisodeRecord, ...] = ()

    @classmethod
    def blank(
        cls, rule: LimitRule, rule_id: int | None, sid: int, code: str, note: str | None = None
    ) -> RuleOutcome:
        """An outcome with nothing compared yet ("not evaluated")."""
        return cls(
            rule,
            rule_id,
            sid,
            code,
            0,
            0,
            None,
            None,
            rule.minimum,
            rule.maximum,
            1.0,
            "not evaluated",
            note,
        )


@dataclass(frozen=True)
class ComplianceReport:
    """Every applicable rule of a station over (start, end]."""

    station_id: int
    station_code: str
    regulation: str | None
    column: str | None
    kq: float
    kf: float
    start: int
    end: int
    outcomes: tuple[RuleOutcome, ...]
    notes: tuple[str, ...] = ()


@dataclass
class EventChanges:
    """What `record_exceedances` did to the `event` table."""

    opened: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    withdrawn: list[int] = field(default_factory=list)


# --- averaging ------------------------------------------------------------------------------
Series = tuple[NDArray[np.int64], NDArray[np.float64]]


def _day_labels_to_epoch(labels: NDArray[Any]) -> NDArray[np.int64]:
    return day_end(np.asarray(labels).astype("datetime64[D]").astype(np.int64))  # type: ignore[return-value]


def yearly_means(days: agg.Aggregates) -> Series:
    """Local calendar-year means of complete daily means, labelled by the year's last 24:00.

    A year counts when `YEAR_MIN_FRACTION` of its days have a complete daily mean.
    """
    if days.labels.size == 0:
        return np.empty(0, np.int64), np.empty(0)
    years = np.asarray(days.labels).astype("datetime64[Y]")
    labels, where = np.unique(years, return_inverse=True)
    ok = ~np.isnan(days.values)
    count = np.bincount(where[ok], minlength=labels.size)
    total = np.bincount(where[ok], weights=days.values[ok], minlength=labels.size)
    length = ((labels + 1).astype("datetime64[D]") - labels.astype("datetime64[D]")).astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(count >= YEAR_MIN_FRACTION * length - 1e-9, total / count, np.nan)
    last_day = (labels + 1).astype("datetime64[D]") - 1
    return _day_labels_to_epoch(last_day), means


def averaged(raw: Series, averaging: str, interval_s: int) -> Series:
    """The series averaged the way a rule's `averaging` asks (module docstring)."""
    times, values = raw
    if averaging == "single sample" or times.size == 0:
        return times, values
    hourly = agg.hourly_means(times, values, interval_s=interval_s)
    if averaging == "1h":
        return hourly.labels, hourly.values
    if averaging == "8h":
        eight = agg.rolling_means(hourly.labels, hourly.values)
        return eight.labels, eight.values
    days = agg.daily_means(hourly.labels, hourly.values)
    if averaging == "24h":
        return _day_labels_to_epoch(days.labels), days.values
    if averaging == "year":
        return yearly_means(days)
    raise ValueError(f"unknown averaging period {averaging!r}")


def _interval(declared: int | None, times: NDArray[np.int64]) -> int:
    if declared:
        return min(declared, HOUR_S)
    if times.size > 1:
        return int(min(max(np.median(np.diff(times)), 1), HOUR_S))
    return HOUR_S


def _as_date(epoch: int) -> date:
    return date.fromordinal(local_day(epoch) + _EPOCH_ORDINAL)


# --- rules ----------------------------------------------------------------------------------
def applicable_rules(regulation: str, column: str | None) -> list[LimitRule]:
    """The regulation's rules for the station's column (plus tables that always apply),
    duplicates of the source table removed."""
    seen: set[tuple[Any, ...]] = set()
    out: list[LimitRule] = []
    for rule in get_catalog().limit_rules(regulation=regulation, column=column):
        key = (
            rule.parameter_code,
            rule.column,
            rule.averaging,
            rule.minimum,
            rule.maximum,
            rule.valid_from,
            rule.valid_to,
            rule.kind,
        )
        if rule.parameter_code and key not in seen:
            seen.add(key)
            out.append(rule)
    return out


def limit_rule_ids(conn: Connection, regulation: str) -> dict[tuple[Any, ...], int]:
    """Database ids of the catalogue's rules (the `limit_rule` copy made by sync_catalog)."""
    lr = limit_rule.c
    ids: dict[tuple[Any, ...], int] = {}
    for r in conn.execute(select(limit_rule).where(lr.regulation == regulation).order_by(lr.id)):
        key = (
            r.parameter_name,
            r.column_class,
            r.averaging,
            r.minimum,
            r.maximum,
            r.valid_from,
            r.valid_to,
        )
        ids.setdefault(key, r.id)
    return ids


def _rule_key(rule: LimitRule) -> tuple[Any, ...]:
    return (
        rule.parameter_name,
        rule.column,
        rule.averaging,
        rule.minimum,
        rule.maximum,
        rule.valid_from,
        rule.valid_to,
    )


def _comparable(rule: LimitRule) -> LimitRule | None:
    """The rule as `compliance.check` takes it: KPH → maximum 0; descriptive → None."""
    if rule.kind == "not_detected":
        return replace(rule, maximum=0.0, scalable=False)
    if rule.kind == "descriptive":
        return None
    return rule


# --- evaluation -----------------------------------------------------------------------------
def _episodes(
    times: NDArray[np.int64],
    values: NDArray[np.float64],
    rule: LimitRule,
    kq: float,
    kf: float,
    end: int,
) -> list[EpisodeRecord]:
    """Episodes with their closing time: the first value back within limits, or the last
    exceeding one when a gap closed it. An episode with no later value stays open unless the
    period runs on past the gap allowed — then the silence closed it."""
    gap = MAX_GAP_S[rule.averaging]
    found: list[Episode] = detect_episodes(
        times.tolist(), values.tolist(), rule, max_gap=gap, kq=kq, kf=kf
    )
    valid = times[~np.isnan(values)]
    records: list[EpisodeRecord] = []
    for ep in found:
        after = valid[valid > ep.end]
        following = int(after[0]) if after.size else end
        if gap is not None and following - ep.end > gap:
            ended: int | None = int(ep.end)
        else:
            ended = following if after.size else None
        records.append(
            EpisodeRecord(
                int(ep.start),
                int(ep.end),
                ended,
                float(ep.peak_value),
                int(ep.peak_time),
                ep.count,
                ep.direction,
            )
        )
    return records


def _severity(rule: LimitRule, value: float, kq: float, kf: float) -> float:
    """How far beyond its bound a value is, as a ratio ≥ 1 (inf at a zero bound)."""
    result = check(rule, value, kq=kq, kf=kf)
    if result.direction is Direction.BELOW_MINIMUM:
        return result.limit / value if value > 0 else math.inf
    return result.ratio if result.ratio is not None else math.inf


def _in_force(rule: LimitRule, times: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Whether the rule applies on each period's local date (validity dates inclusive)."""
    days = (times + agg.VN_UTC_OFFSET_S - 1) // agg.DAY_S
    ok = np.ones(times.shape, dtype=bool)
    if rule.valid_from:
        ok &= days >= rule.valid_from.toordinal() - _EPOCH_ORDINAL
    if rule.valid_to:
        ok &= days <= rule.valid_to.toordinal() - _EPOCH_ORDINAL
    return ok


def _outcome(
    rule: LimitRule,
    rule_id: int | None,
    sid: int,
    code: str,
    data: Series,
    factors: tuple[float, float],
    end: int,
) -> RuleOutcome:
    kq, kf = factors
    comparable = _comparable(rule)
    base = RuleOutcome.blank(rule, rule_id, sid, code)
    if comparable is None:
        return replace(base, note="descriptive class: no numeric limit to compare")
    times, values = data
    values = np.where(_in_force(rule, times), values, np.nan)
    ok = ~np.isnan(values)
    if not ok.any():
        return replace(base, status="no data", note="no complete averaged value in the period")
    episodes = _episodes(times, values, comparable, kq, kf, end)
    if episodes:
        worst = max(episodes, key=lambda e: _severity(comparable, e.peak_value, kq, kf))
        value, at = worst.peak_value, worst.peak_at
    else:
        pick = np.nanargmin if comparable.maximum is None else np.nanargmax
        i = int(pick(values))
        value, at = float(values[i]), int(times[i])
    result = check(comparable, value, kq=kq, kf=kf)
    return replace(
        base,
        periods=int(ok.sum()),
        exceeded=sum(e.count for e in episodes),
        value=value,
        value_at=at,
        minimum=result.minimum,
        maximum=result.maximum,
        scale=result.scale,
        status="exceed" if episodes else "pass",
        episodes=tuple(episodes),
    )


def _series_outcomes(
    rules: Sequence[LimitRule],
    ids: Mapping[tuple[Any, ...], int],
    found: Any,
    data: Series,
    interval_s: int | None,
    factors: tuple[float, float],
    period: tuple[int, int],
) -> list[RuleOutcome]:
    """Every rule of one series' parameter, each on the average its period names."""
    interval = _interval(interval_s, data[0])
    cache: dict[tuple[str, str], Series] = {}
    out: list[RuleOutcome] = []
    first, last = _as_date(period[0] + 1), _as_date(period[1])
    for rule in rules:
        if (rule.valid_from and rule.valid_from > last) or (
            rule.valid_to and rule.valid_to < first
        ):
            continue  # not in force at any time in the period
        rule_id = ids.get(_rule_key(rule))
        key = (rule.averaging, rule.unit)
        if key not in cache:
            try:
                converted = _to_rule_unit(data, found.unit, rule, found.parameter_code)
            except UnitConversionError as e:
                out.append(RuleOutcome.blank(rule, rule_id, found.id, found.parameter_code, str(e)))
                continue
            t, v = averaged(converted, rule.averaging, interval)
            keep = (t > period[0]) & (t <= period[1])
            cache[key] = (t[keep], v[keep])
        out.append(
            _outcome(rule, rule_id, found.id, found.parameter_code, cache[key], factors, period[1])
        )
    return out


def evaluate_station(store: Store, station_code: str, start: int, end: int) -> ComplianceReport:
    """Compare a station's data over (start, end] (UTC epoch seconds) with its regulation."""
    if end <= start:
        raise ValidationError("empty period", [("period", "the end must come after the start")])
    with store.read() as conn:
        st = get_station(store, station_code, conn)
        regulation, column = st["regulation"], st["regulation_column"]
        factors = (float(st["kq"] or 1.0), float(st["kf"] or 1.0))
        head = (st["id"], st["code"], regulation, column, *factors, start, end)
        if not regulation:
            return ComplianceReport(*head, (), ("the station names no regulation",))
        rules = applicable_rules(regulation, column)
        ids = limit_rule_ids(conn, regulation)
        wanted = {r.parameter_code for r in rules}
        s = series.c
        found = conn.execute(
            select(s.id, s.parameter_code, s.unit)
            .where(s.station_id == st["id"], s.parameter_code.in_(wanted))
            .order_by(s.parameter_code, s.id)
        ).all()
        raw = read_values(conn, [f.id for f in found], _lookback(rules, start), end)
    outcomes: list[RuleOutcome] = []
    for f in found:
        outcomes += _series_outcomes(
            [r for r in rules if r.parameter_code == f.parameter_code],
            ids,
            f,
            raw.get(f.id, (np.empty(0, np.int64), np.empty(0))),
            st["reporting_interval_s"],
            factors,
            (start, end),
        )
    notes = _regulation_notes(regulation, start, end)
    missing = sorted(wanted - {f.parameter_code for f in found})
    if missing:
        notes += (f"no series for {', '.join(missing)}",)
    return ComplianceReport(*head, tuple(outcomes), notes)


def _lookback(rules: Sequence[LimitRule], start: int) -> int:
    """Where reading must begin so the first period's average is whole: the local year's start
    for annual rules, one local day (covers 8 h and 24 h windows) otherwise."""
    first = local_day(start + 1)
    if any(r.averaging == "year" for r in rules):
        jan1 = date.fromordinal(first + _EPOCH_ORDINAL).replace(month=1, day=1)
        return day_end(jan1.toordinal() - _EPOCH_ORDINAL - 1)
    return day_end(first - 2)


def _to_rule_unit(data: Series, unit: str, rule: LimitRule, code: str) -> Series:
    catalog = get_catalog()
    source, target = catalog.units.find(unit), catalog.units.find(rule.unit)
    if source is None or target is None or source.symbol == target.symbol:
        return data
    scale, shift = conversion(source, target, catalog.parameters.get(code).molar_mass)
    return data[0], data[1] * scale + shift


def _regulation_notes(code: str, start: int, end: int) -> tuple[str, ...]:
    """Say so when the regulation was not in force for the whole period (it is still applied:
    the station names it, and a replacement may have no limits in the catalogue yet)."""
    reg = get_catalog().regulations.get(code)
    if reg is None:
        return ()
    first, last = _as_date(start + 1), _as_date(end)
    if reg.effective_to and last > reg.effective_to:
        by = f", replaced by {reg.replaced_by}" if reg.replaced_by else ""
        return (
            f"{code} is not in force after {reg.effective_to:%d/%m/%Y}{by}; "
            "its limits are applied because the station names it",
        )
    if reg.effective_from and first < reg.effective_from:
        return (f"{code} is in force from {reg.effective_from:%d/%m/%Y} only",)
    return ()


# --- events ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class EventKey:
    """What makes events the same thing: kind, station and, when they apply, series and rule."""

    kind: str
    station_id: int
    series_id: int | None = None
    limit_rule_id: int | None = None

    def where(self) -> Any:
        e = event.c
        return and_(
            e.kind == self.kind,
            e.station_id == self.station_id,
            e.series_id.is_(None) if self.series_id is None else e.series_id == self.series_id,
            e.limit_rule_id.is_(None)
            if self.limit_rule_id is None
            else e.limit_rule_id == self.limit_rule_id,
        )


def _dumps(details: Mapping[str, Any] | None) -> str | None:
    return None if details is None else json.dumps(details, ensure_ascii=False, sort_keys=True)


def open_event(
    conn: Connection,
    key: EventKey,
    at: int,
    *,
    peak_value: float | None = None,
    peak_at: int | None = None,
    details: Mapping[str, Any] | None = None,
) -> int:
    """Open an event at `at`, or extend the open one with the same key (idempotent).

    Extending moves `last_at` forward and keeps the highest `peak_value`. For offline / delayed
    / QC-failure events: call on every check that finds the condition, `close_event` on the
    first that does not.
    """
    record_station_events(conn, key.station_id, at)
    e = event.c
    row = conn.execute(
        select(e.id, e.last_at, e.peak_value).where(key.where(), e.status == OPEN)
    ).first()
    if row is None:
        return int(
            conn.execute(
                insert(event).values(
                    kind=key.kind,
                    station_id=key.station_id,
                    series_id=key.series_id,
                    limit_rule_id=key.limit_rule_id,
                    status=OPEN,
                    started_at=at,
                    last_at=at,
                    peak_value=peak_value,
                    peak_at=peak_at,
                    details=_dumps(details),
                )
            ).inserted_primary_key[0]
        )
    values: dict[str, Any] = {"last_at": max(int(row.last_at), at)}
    if peak_value is not None and (row.peak_value is None or peak_value > row.peak_value):
        values.update(peak_value=peak_value, peak_at=peak_at)
    if details is not None:
        values["details"] = _dumps(details)
    conn.execute(update(event).where(e.id == row.id).values(**values))
    return int(row.id)


def close_event(conn: Connection, key: EventKey, at: int) -> int | None:
    """Close the open event with this key at `at`; None when none is open (idempotent)."""
    record_station_events(conn, key.station_id, at)
    e = event.c
    found = conn.scalar(select(e.id).where(key.where(), e.status == OPEN))
    if found is None:
        return None
    conn.execute(update(event).where(e.id == found).values(status=CLOSED, ended_at=at))
    return int(found)


def _episode_details(report: ComplianceReport, o: RuleOutcome, ep: EpisodeRecord) -> str:
    r = o.rule
    return json.dumps(
        {
            "regulation": r.regulation,
            "column": r.column,
            "parameter": o.parameter_code,
            "parameter_name": r.parameter_name,
            "averaging": r.averaging,
            "unit": r.unit,
            "minimum": o.minimum,
            "maximum": o.maximum,
            "scale": o.scale,
            "kq": report.kq,
            "kf": report.kf,
            "direction": str(ep.direction),
            "count": ep.count,
            "confidence": r.confidence,
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def record_exceedances(store: Store, report: ComplianceReport) -> EventChanges:
    """Write one `event` per episode of `report`, idempotently.

    An episode overlapping stored events of the same series and rule updates the first of
    them (re-runs, an open episode growing); stored events inside the period that no episode
    overlaps any more (the data was revised) are withdrawn — deleted, or closed and marked
    when an alert already went out for them.
    """
    changes = EventChanges()
    e = event.c
    with store.write() as conn:
        for o in report.outcomes:
            if o.limit_rule_id is None:
                continue
            key = EventKey(EXCEEDANCE, report.station_id, o.series_id, o.limit_rule_id)
            stored = list(
                conn.execute(
                    select(e.id, e.started_at, e.last_at, e.status)
                    .where(key.where(), e.last_at > report.start, e.started_at <= report.end)
                    .order_by(e.started_at)
                )
            )
            matched: set[int] = set()
            for ep in o.episodes:
                values = {
                    "status": OPEN if ep.is_open else CLOSED,
                    "started_at": ep.started_at,
                    "last_at": ep.last_at,
                    "ended_at": ep.ended_at,
                    "peak_value": ep.peak_value,
                    "peak_at": ep.peak_at,
                    "details": _episode_details(report, o, ep),
                }
                hits = [
                    s for s in stored if s.started_at <= ep.last_at and s.last_at >= ep.started_at
                ]
                if hits:
                    conn.execute(update(event).where(e.id == hits[0].id).values(**values))
                    matched.add(hits[0].id)
                    changes.updated.append(hits[0].id)
                    continue
                new = conn.execute(
                    insert(event).values(
                        kind=EXCEEDANCE,
                        station_id=report.station_id,
                        series_id=o.series_id,
                        limit_rule_id=o.limit_rule_id,
                        **values,
                    )
                ).inserted_primary_key[0]
                changes.opened.append(int(new))
            for s in stored:
                if s.id not in matched and s.started_at > report.start:
                    _withdraw(conn, s.id)
                    changes.withdrawn.append(s.id)
        record_events(conn, [*changes.opened, *changes.updated, *changes.withdrawn])
    return changes


def _withdraw(conn: Connection, event_id: int) -> None:
    delivered = conn.scalar(
        select(func.count())
        .select_from(alert_delivery)
        .where(alert_delivery.c.event_id == event_id)
    )
    if delivered:
        conn.execute(
            update(event)
            .where(event.c.id == event_id)
            .values(
                status=CLOSED,
                ended_at=func.coalesce(event.c.ended_at, event.c.last_at),
                details=json.dumps({"withdrawn": "data revised"}),
            )
        )
    else:
        conn.execute(delete(event).where(event.c.id == event_id))


def run_compliance(
    store: Store, station_code: str, start: int, end: int
) -> tuple[ComplianceReport, EventChanges]:
    """Evaluate (start, end] and record the exceedance events.

    The period is first widened back to the start of any episode still open or reaching into
    it, so an episode is always seen whole and keeps its event.
    """
    with store.read() as conn:
        st = get_station(store, station_code, conn)
        e = event.c
        earliest = conn.scalar(
            select(func.min(e.started_at)).where(
                e.kind == EXCEEDANCE,
                e.station_id == st["id"],
                or_(e.status == OPEN, e.last_at > start),
                e.started_at <= end,
            )
        )
    if earliest is not None and earliest <= start:
        start = int(earliest) - 1
    report = evaluate_station(store, station_code, start, end)
    return report, record_exceedances(store, report)


def list_events(
    store: Store, *, station_code: str | None = None, open_only: bool = False, limit: int = 200
) -> list[RowMapping]:
    """Events newest first, with station code, parameter and rule for display."""
    e, s, lr = event.c, series.c, limit_rule.c
    q = (
        select(
            event,
            station.c.code.label("station_code"),
            s.parameter_code,
            lr.regulation,
            lr.averaging,
        )
        .join(station, station.c.id == e.station_id)
        .outerjoin(series, s.id == e.series_id)
        .outerjoin(limit_rule, lr.id == e.limit_rule_id)
        .order_by(e.started_at.desc(), e.id.desc())
        .limit(limit)
    )
    if station_code:
        q = q.where(station.c.code == station_code)
    if open_only:
        q = q.where(e.status == OPEN)
    with store.read() as conn:
        return list(conn.execute(q).mappings())
