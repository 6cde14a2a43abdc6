"""The indices job: VN_AQI (hourly, daily) and VN_WQI (daily) from stored data → `index_value`.

An I/O edge around `quantrac.indices`: it reads each station's series as NumPy arrays, builds
the regular hourly grids the pure functions take, and writes one `index_value` row per period
(time = end of the period, UTC; details = JSON with sub-indices, completeness and notes).

- Hourly VN_AQI (Decision 1459 §2.2.1) via `aqi.hourly_aqi_arrays`; daily VN_AQI (§2.2.2) via
  `aqi.daily_aqi_arrays`, per local day (Asia/Ho_Chi_Minh).
- Daily VN_WQI for automatic surface-water stations: `wqi.compute_wqi` on the day's means. The
  decision sets no time-averaging rule (reference pack, vn-wqi-1460-2019.md); the daily mean of
  hourly means with the `aggregates` completeness defaults is our choice.

Incremental: without a range, a station is recomputed only over the local days touched by
observations received since its last run (the newest `computed_at` of the kinds asked for);
the first run covers all its data. Every run replaces the rows of the days it covers in one
transaction, so running twice over the same data changes nothing but `computed_at`.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, and_, delete, func, insert, select

from quantrac.catalog import get_catalog
from quantrac.catalog.index_tables import (
    IndexCategory,
    aqi_breakpoints,
    aqi_categories,
    wqi_tables,
)
from quantrac.catalog.units import conversion
from quantrac.errors import UnitConversionError, ValidationError
from quantrac.indices import aggregates as agg
from quantrac.indices import aqi, wqi
from quantrac.store.db import Store
from quantrac.store.schema import index_value, observation, series, station

AQI_HOURLY = "aqi_hourly"
AQI_DAILY = "aqi_daily"
WQI_DAILY = "wqi_daily"
ALL_KINDS = (AQI_HOURLY, AQI_DAILY, WQI_DAILY)

HOUR_S = agg.HOUR_S
DAY_S = agg.DAY_S
OFFSET_S = agg.VN_UTC_OFFSET_S
#: NowCast reads the 11 hours before the current one and the daily O3 8-h windows reach 7 hours
#: into the previous day (Decision 1459 §2.2.1.a, §2.2.2.a): read 12 hours of context.
CONTEXT_S = 12 * HOUR_S
#: Catalogue code → VN_AQI key (Decision 1459 Bảng 2). Concentrations in µg/m³, CO too.
AQI_PARAMETERS: Mapping[str, str] = {
    "PM25": "pm25",
    "PM10": "pm10",
    "O3": "o3",
    "NO2": "no2",
    "SO2": "so2",
    "CO": "co",
}
AQI_UNIT = "µg/Nm3"
WQI_TEMPERATURE = "TEMP"
#: Groups with data needed for a daily VN_WQI. The default (3, UNVERIFIED, see indices.wqi) is
#: kept: an automatic station measuring only pH and group IV gets no index, with the reason.
WQI_DAILY_MIN_GROUPS = wqi.DEFAULT_MIN_GROUPS
AIR = "ambient_air"
SURFACE_WATER = "surface_water"
_KINDS_BY_MEDIUM: Mapping[str, tuple[str, ...]] = {
    AIR: (AQI_HOURLY, AQI_DAILY),
    SURFACE_WATER: (WQI_DAILY,),
}
_ROW_DTYPE = np.dtype([("time", np.int64), ("value", np.float64)])
_to_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@dataclass(frozen=True, slots=True)
class IndexRow:
    """One computed index value, ready for `index_value` or for a table."""

    station_id: int
    kind: str
    time: int
    value: float | None
    category: str | None
    dominant: str | None
    details: dict[str, Any]


@dataclass
class IndicesReport:
    """What a run did: rows written per kind, the local days recomputed per station, how many
    stations had nothing new, and problems met (unit mismatches, duplicate series)."""

    written: dict[str, int] = field(default_factory=dict)
    days: dict[str, tuple[int, int]] = field(default_factory=dict)  # station → local days
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(self.written.items())) or "no rows"
        return f"{len(self.days)} station(s) computed, {self.unchanged} unchanged; {kinds}"


@dataclass(frozen=True, slots=True)
class _Station:
    id: int
    code: str
    medium: str
    interval_s: int | None
    series: Mapping[int, tuple[str, str]]  # series id → (parameter code, unit)


# --- periods --------------------------------------------------------------------------------
def local_day(epoch: int) -> int:
    """Local day number (days since 1970-01-01, Asia/Ho_Chi_Minh) of the hour ending at `epoch`.

    Decision 1459 §2.2.2: a day is the hours ending 01:00 … 24:00, so 00:00 closes the day before.
    """
    return (int(epoch) + OFFSET_S - 1) // DAY_S


def day_end(day: int) -> int:
    """UTC epoch seconds of 24:00 local at the end of local day `day` (the daily label)."""
    return (day + 1) * DAY_S - OFFSET_S


def local_date(day: int) -> str:
    """dd/mm/yyyy of a local day number."""
    return str(np.datetime64(day, "D").astype(object).strftime("%d/%m/%Y"))


def days_of_range(start: int, end: int) -> tuple[int, int]:
    """Local days holding hours that end in (start, end] — a user's range, days inclusive."""
    if end <= start:
        raise ValidationError("empty range", [("range", f"end {end} is not after start {start}")])
    return local_day(start + 1), local_day(end)


# --- reading --------------------------------------------------------------------------------
def _stations(
    conn: Connection, media: Sequence[str], codes: Sequence[str] | None
) -> list[_Station]:
    params = set(AQI_PARAMETERS) | set(wqi.CATALOG_CODES) | {WQI_TEMPERATURE}
    q = (
        select(station.c.id, station.c.code, station.c.medium, station.c.reporting_interval_s)
        .where(station.c.medium.in_(media), station.c.kind == "automatic")
        .order_by(station.c.code)
    )
    q = q.where(station.c.code.in_(codes)) if codes else q.where(station.c.retired_at.is_(None))
    found = list(conn.execute(q))
    s = series.c
    rows = conn.execute(
        select(s.station_id, s.id, s.parameter_code, s.unit).where(
            s.station_id.in_([r.id for r in found]), s.parameter_code.in_(params)
        )
    )
    by_station: dict[int, dict[int, tuple[str, str]]] = {}
    for r in rows:
        by_station.setdefault(r.station_id, {})[r.id] = (r.parameter_code, r.unit)
    return [
        _Station(r.id, r.code, r.medium, r.reporting_interval_s, by_station.get(r.id, {}))
        for r in found
    ]


def read_values(
    conn: Connection, series_ids: Iterable[int], after: int, until: int
) -> dict[int, tuple[NDArray[np.int64], NDArray[np.float64]]]:
    """(times, values) per series for after < time ≤ until, QC-accepted values only.

    The flags `aggregates.DEFAULT_ACCEPTED_FLAGS` count (1 good, 2 not evaluated); the filter
    runs in SQL so rejected rows never reach Python. The statement is built and bound by
    SQLAlchemy, but rows come straight from the DBAPI cursor into one flat array: per-row
    `Row` objects would cost more than the whole index computation.
    """
    o = observation.c
    flags = sorted(int(f) for f in agg.DEFAULT_ACCEPTED_FLAGS)
    out: dict[int, tuple[NDArray[np.int64], NDArray[np.float64]]] = {}
    for sid in sorted(series_ids):
        q = (
            select(o.time, o.value)
            .where(
                o.series_id == sid,
                o.time > after,
                o.time <= until,
                o.value.is_not(None),
                o.qc_flag.in_(flags),
            )
            .order_by(o.time)
        )
        result = conn.execute(q)
        try:
            rows = result.cursor.fetchall()
        finally:
            result.close()
        if rows:
            table = np.fromiter(rows, dtype=_ROW_DTYPE, count=len(rows))
            out[sid] = (table["time"], table["value"])
    return out


def _interval(st: _Station, times: NDArray[np.int64]) -> int:
    """Sampling interval for hourly means: the station's declared one, else the median step."""
    if st.interval_s:
        return min(st.interval_s, HOUR_S)
    if times.size > 1:
        return int(min(max(np.median(np.diff(times)), 1), HOUR_S))
    return HOUR_S


def _place(
    st: _Station, times: NDArray[np.int64], values: NDArray[np.float64], first: int, n: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Hourly means on the grid ending `first`, `first`+1h, … (n hours), and their completeness.

    `aggregates.hourly_means` with the station's interval (75 % rule); hourly data passes
    through unchanged (one value per hour is complete).
    """
    grid = np.full(n, np.nan)
    ratio = np.zeros(n)
    if times.size == 0:
        return grid, ratio
    means = agg.hourly_means(times, values, interval_s=_interval(st, times))
    slot = (means.labels - first) // HOUR_S
    inside = (slot >= 0) & (slot < n)
    grid[slot[inside]] = means.values[inside]
    ratio[slot[inside]] = np.minimum(means.ratio[inside], 1.0)
    return grid, ratio


def _convert(values: NDArray[np.float64], unit: str, target: str, code: str) -> NDArray[np.float64]:
    catalog = get_catalog()
    source, wanted = catalog.units.find(unit), catalog.units.find(target)
    if source is None or wanted is None:
        return values
    scale, shift = conversion(source, wanted, catalog.parameters.get(code).molar_mass)
    return values if (scale, shift) == (1.0, 0.0) else values * scale + shift


@dataclass(frozen=True, slots=True)
class _Grids:
    first: int  # end of the first grid hour, UTC
    values: dict[str, NDArray[np.float64]]  # key → hourly means
    ratio: dict[str, NDArray[np.float64]]  # key → completeness of each hour


def _grids(
    conn: Connection,
    st: _Station,
    keys: Mapping[str, str],
    target_units: Mapping[str, str],
    days: tuple[int, int],
    problems: list[str],
) -> _Grids | None:
    """Hourly grids over `days` plus 12 h of context, cut at the last hour holding data."""
    wanted = {sid: p for sid, p in st.series.items() if p[0] in keys}
    after = day_end(days[0] - 1) - CONTEXT_S
    data = read_values(conn, wanted, after, day_end(days[1]))
    if not data:
        return None
    last = max(int(t[-1]) for t, _ in data.values())
    first = after + HOUR_S
    n = (-(-last // HOUR_S) * HOUR_S - first) // HOUR_S + 1
    values: dict[str, NDArray[np.float64]] = {}
    ratio: dict[str, NDArray[np.float64]] = {}
    for sid, (times, vals) in sorted(data.items()):
        code, unit = wanted[sid]
        key = keys[code]
        if key in values:
            problems.append(f"{st.code}: several series of {code}; using the first")
            continue
        try:
            converted = _convert(vals, unit, target_units.get(code, unit), code)
        except UnitConversionError as e:
            problems.append(f"{st.code} {code}: {e}")
            continue
        values[key], ratio[key] = _place(st, times, converted, first, n)
    return _Grids(first, values, ratio) if values else None


# --- VN_AQI ---------------------------------------------------------------------------------
def _category_labels(value: NDArray[np.float64], categories: Sequence[IndexCategory]) -> list[str]:
    """English Bảng 1 label per value ("" where none): the stable key stored in `category`."""
    labels = np.full(value.shape, "", dtype=object)
    for c in categories:
        labels[(value >= c.minimum) & (value <= c.maximum)] = c.label_en
    return labels.tolist()


def _needs_notes(arrays: aqi.AqiArrays) -> NDArray[np.bool_]:
    """Periods where some Cx lies beyond the last breakpoint of its column (a capped or an
    undefined AQIx): only those need the full `AqiResult` and its notes."""
    tables = aqi_breakpoints()
    out = np.zeros(arrays.value.shape, dtype=bool)
    for key, cx in arrays.concentrations.items():
        column = "o3_1h" if key == "o3" and arrays.kind == "hourly" else key
        with np.errstate(invalid="ignore"):
            out |= cx > tables[column].breakpoints[-1]
    return out


def _round(x: float, digits: int = 3) -> float | None:
    return None if math.isnan(x) else round(x, digits)


def _aqi_rows(
    st: _Station,
    arrays: aqi.AqiArrays,
    times: NDArray[np.int64],
    keep: NDArray[np.bool_],
    completeness: Mapping[str, NDArray[np.float64]],
    kind: str,
) -> list[IndexRow]:
    """One row per kept period: value, Bảng 1 category, dominant pollutant, details JSON.

    Details: `sub` the rounded AQIx, `cx` the concentration each was computed from (NowCast
    for hourly PM, the daily statistic for daily), `completeness` (hourly: share of the
    expected sub-hourly values; daily: valid hours of 24), `notes`/`reason` where any.
    """
    idx = np.flatnonzero(keep)
    categories = _category_labels(arrays.value[idx], aqi_categories())
    notes = _needs_notes(arrays)[idx].tolist()
    subs = {k: v[idx].tolist() for k, v in arrays.sub_indices.items()}
    cxs = {k: np.round(v[idx], 3).tolist() for k, v in arrays.concentrations.items()}
    done = {k: np.round(v[idx], 3).tolist() for k, v in completeness.items()}
    values = arrays.value[idx].tolist()
    dominant = arrays.dominant[idx].tolist()
    rows: list[IndexRow] = []
    for j, i in enumerate(idx.tolist()):
        value = values[j]
        missing = math.isnan(value)
        details: dict[str, Any] = {
            "sub": {k: int(v[j]) for k, v in subs.items() if not math.isnan(v[j])},
            "cx": {k: v[j] for k, v in cxs.items() if not math.isnan(v[j])},
            "completeness": {k: v[j] for k, v in done.items()},
        }
        if notes[j] or missing:  # say why there is no AQI, or what was capped
            result = arrays.result(i)
            details["notes"] = list(result.notes)
            if result.reason:
                details["reason"] = result.reason
        rows.append(
            IndexRow(
                st.id,
                kind,
                int(times[i]),
                None if missing else value,
                categories[j] or None,
                dominant[j] or None,
                details,
            )
        )
    return rows


def _day_counts(first: int, hourly: Mapping[str, NDArray[np.float64]]) -> dict[str, Any]:
    """Share of the 24 hours of each local day with a valid hourly mean, per pollutant."""
    out: dict[str, NDArray[np.float64]] = {}
    for key, values in hourly.items():
        _, blocks = agg.day_blocks(agg.HourlyGrid(first, values))
        out[key] = agg.block_means(blocks, 1)[2] / agg.HOURS_PER_DAY
    return out


def compute_aqi(
    conn: Connection, st: _Station, days: tuple[int, int], kinds: Sequence[str], problems: list[str]
) -> list[IndexRow]:
    """Hourly and/or daily VN_AQI rows of one station over local days `days` (inclusive)."""
    units = dict.fromkeys(AQI_PARAMETERS, AQI_UNIT)
    grids = _grids(conn, st, AQI_PARAMETERS, units, days, problems)
    if grids is None:
        return []
    rows: list[IndexRow] = []
    lo, hi = day_end(days[0] - 1), day_end(days[1])
    if AQI_HOURLY in kinds:
        arrays = aqi.hourly_aqi_arrays(grids.first, grids.values)
        times = np.asarray(arrays.labels, dtype=np.int64)
        seen = np.zeros(times.shape, dtype=bool)
        for cx in arrays.concentrations.values():
            seen |= ~np.isnan(cx)
        keep = seen & (times > lo) & (times <= hi)
        rows += _aqi_rows(st, arrays, times, keep, grids.ratio, AQI_HOURLY)
    if AQI_DAILY in kinds:
        arrays = aqi.daily_aqi_arrays(grids.first, grids.values)
        day = np.asarray(arrays.labels).astype(np.int64)
        counts = _day_counts(grids.first, grids.values)
        seen = np.zeros(day.shape, dtype=bool)
        for c in counts.values():
            seen |= c > 0
        keep = seen & (day >= days[0]) & (day <= days[1])
        rows += _aqi_rows(st, arrays, day_end(day), keep, counts, AQI_DAILY)  # type: ignore[arg-type]
    return rows


# --- VN_WQI ---------------------------------------------------------------------------------
def _wqi_keys(st: _Station) -> dict[str, str]:
    codes = {code for code, _ in st.series.values()}
    keys = {c: c for c in codes if c in wqi.CATALOG_CODES}
    if WQI_TEMPERATURE in codes:
        keys[WQI_TEMPERATURE] = WQI_TEMPERATURE
    return keys


def compute_wqi_daily(
    conn: Connection, st: _Station, days: tuple[int, int], problems: list[str]
) -> list[IndexRow]:
    """Daily VN_WQI rows (Decision 1460, UNVERIFIED aggregation) from daily means.

    Each parameter's day value is the mean of its hourly means when at least
    `aggregates.DEFAULT_MIN_HOURS_DAY` hours are valid (our default; the decision sets none).
    DO goes in as mg/L with the day's mean water temperature for the % saturation.
    """
    keys = _wqi_keys(st)
    tables = wqi_tables()
    units = {
        code: tables[name].unit
        for code, name in wqi.CATALOG_CODES.items()
        if code in keys and name not in ("pH", "DO")
    }
    grids = _grids(conn, st, keys, units, days, problems)
    if grids is None:
        return []
    means: dict[str, list[float]] = {}
    hours: dict[str, list[int]] = {}
    labels = np.array([], dtype=np.int64)
    for key, values in grids.values.items():
        day_labels, blocks = agg.day_blocks(agg.HourlyGrid(grids.first, values))
        mean, _, count = agg.block_means(blocks, agg.DEFAULT_MIN_HOURS_DAY)
        means[key], hours[key] = mean.tolist(), count.tolist()
        labels = np.asarray(day_labels).astype(np.int64)
    rows: list[IndexRow] = []
    for i, day in enumerate(labels.tolist()):
        if not days[0] <= day <= days[1] or not any(h[i] for h in hours.values()):
            continue
        inputs = {
            k: m[i] for k, m in means.items() if not math.isnan(m[i]) and k != WQI_TEMPERATURE
        }
        temperature = means.get(WQI_TEMPERATURE, [math.nan] * (i + 1))[i]
        try:
            result = wqi.compute_wqi(
                inputs,
                temperature_c=None if math.isnan(temperature) else temperature,
                min_groups=WQI_DAILY_MIN_GROUPS,
            )
        except ValueError as e:  # e.g. a negative daily mean: no index, and say why
            problems.append(f"{st.code} {local_date(day)}: {e}")
            continue
        details = {
            "inputs": {k: round(v, 4) for k, v in inputs.items()},
            "temperature_c": _round(temperature, 2),
            "hours": {k: h[i] for k, h in hours.items()},
            "sub": {k: round(v, 2) for k, v in result.sub_indices.items()},
            "groups": {k: round(v, 2) for k, v in result.group_scores.items()},
            "variant": result.variant,
            "neutral_groups": list(result.neutral_groups),
            "do_saturation_percent": _round(result.do_saturation_percent or math.nan, 1),
            "notes": list(result.notes),
            "reason": result.reason,
            "caveat": result.caveat,
        }
        rows.append(
            IndexRow(
                st.id,
                WQI_DAILY,
                day_end(day),
                None if result.value is None else float(result.value),
                result.category.label_en if result.category else None,
                None,
                details,
            )
        )
    return rows


# --- the job --------------------------------------------------------------------------------
def _last_runs(conn: Connection, kinds: Sequence[str]) -> dict[int, dict[str, int]]:
    iv = index_value.c
    rows = conn.execute(
        select(iv.station_id, iv.kind, func.max(iv.computed_at))
        .where(iv.kind.in_(kinds))
        .group_by(iv.station_id, iv.kind)
    )
    out: dict[int, dict[str, int]] = {}
    for station_id, kind, at in rows:
        out.setdefault(station_id, {})[kind] = int(at)
    return out


def touched_days(
    conn: Connection, st: _Station, since: int | None, series_ids: Iterable[int]
) -> tuple[int, int] | None:
    """Local days whose indices change with observations received at or after `since`
    (all data when None). A changed hour moves the NowCast of the next 11 hours and the O3
    8-h windows of the next 7, so the range reaches 12 hours past the last change."""
    o = observation.c
    bounds: list[int] = []
    for sid in series_ids:
        # Without `since`, min and max in separate statements are one index probe each.
        for end in (func.min(o.time), func.max(o.time)):
            q = select(end).where(o.series_id == sid)
            if since is not None:
                q = q.where(o.received_at >= since)
            found = conn.scalar(q)
            if found is not None:
                bounds.append(int(found))
    if not bounds:
        return None
    return local_day(min(bounds)), local_day(max(bounds) + CONTEXT_S)


def write_rows(
    conn: Connection,
    station_id: int,
    kind: str,
    days: tuple[int, int],
    rows: Sequence[IndexRow],
    computed_at: int,
) -> int:
    """Replace the station's `kind` rows over `days` by `rows` (idempotent by construction)."""
    iv = index_value.c
    conn.execute(
        delete(index_value).where(
            and_(
                iv.station_id == station_id,
                iv.kind == kind,
                iv.time > day_end(days[0] - 1),
                iv.time <= day_end(days[1]),
            )
        )
    )
    mine = [r for r in rows if r.kind == kind]
    if mine:
        conn.execute(
            insert(index_value),
            [
                {
                    "station_id": r.station_id,
                    "kind": r.kind,
                    "time": r.time,
                    "value": r.value,
                    "category": r.category,
                    "dominant": r.dominant,
                    "details": _to_json(r.details),
                    "computed_at": computed_at,
                }
                for r in mine
            ],
        )
    return len(mine)


def run_indices(
    store: Store,
    *,
    stations: Sequence[str] | None = None,
    start: int | None = None,
    end: int | None = None,
    kinds: Sequence[str] = ALL_KINDS,
    now: int | None = None,
) -> IndicesReport:
    """Compute and store indices for every automatic air / surface-water station (or `stations`).

    With `start`/`end` (UTC epoch seconds) the local days holding hours ending in (start, end]
    are recomputed; without them, only the days touched since each station's last run.
    """
    unknown = set(kinds) - set(ALL_KINDS)
    if unknown:
        raise ValidationError("unknown index kind", [(k, f"one of {ALL_KINDS}") for k in unknown])
    if (start is None) != (end is None):
        raise ValidationError("a range needs both ends", [("range", "give start and end")])
    fixed = days_of_range(start, end) if start is not None and end is not None else None
    report = IndicesReport()
    computed_at = int(time.time()) if now is None else now
    media = [m for m in (AIR, SURFACE_WATER) if set(_KINDS_BY_MEDIUM[m]) & set(kinds)]
    with store.read() as conn:
        todo = _stations(conn, media, stations)
        last_runs = _last_runs(conn, kinds)
    for st in todo:
        mine = [k for k in kinds if k in _KINDS_BY_MEDIUM[st.medium]]
        inputs = AQI_PARAMETERS if st.medium == AIR else _wqi_keys(st)
        ids = [sid for sid, (code, _) in st.series.items() if code in inputs]
        if not ids:
            continue
        runs = last_runs.get(st.id, {})
        since = min(runs[k] for k in mine) if all(k in runs for k in mine) else None
        with store.read() as conn:
            days = fixed or touched_days(conn, st, since, ids)
            if days is None:
                report.unchanged += 1
                continue
            if st.medium == AIR:
                rows = compute_aqi(conn, st, days, mine, report.problems)
            else:
                rows = compute_wqi_daily(conn, st, days, report.problems)
        with store.write() as conn:
            for kind in mine:
                n = write_rows(conn, st.id, kind, days, rows, computed_at)
                report.written[kind] = report.written.get(kind, 0) + n
        report.days[st.code] = days
    return report


def station_rows(
    store: Store, station_code: str, kind: str, start: int, end: int
) -> list[IndexRow]:
    """Compute (without storing) one station's `kind` rows for the local days holding hours
    that end in (start, end] — what the CLI shows."""
    days = days_of_range(start, end)
    problems: list[str] = []
    medium = SURFACE_WATER if kind == WQI_DAILY else AIR
    with store.read() as conn:
        found = _stations(conn, [medium], [station_code])
        if not found:
            from quantrac.store.registry import get_station

            get_station(store, station_code, conn)  # UnknownStation, with suggestions
            raise ValidationError(
                f"{station_code}: {kind} needs an automatic {medium} station",
                [("station", "check its kind and medium with `quantrac stations show`")],
            )
        if kind == WQI_DAILY:
            return compute_wqi_daily(conn, found[0], days, problems)
        return compute_aqi(conn, found[0], days, [kind], problems)
