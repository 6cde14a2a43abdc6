"""Time aggregation with completeness: hourly, rolling 8-h, 24-h and monthly statistics.

Pure NumPy. Times are epoch seconds (UTC). Every averaged value is labelled by the **end** of
its period, as Decision 1459/QĐ-TCMT labels its hours ("the 24 hourly values from 01:00 to
00:00 of the next day"; the 8-h mean labelled 01:00 averages 18:00 → 01:00). Local days and
months are those of Asia/Ho_Chi_Minh (UTC+7, no daylight saving), so a fixed offset is exact.

Completeness: the decision asks only for QA/QC'd data and states no minimum number of hours
for 24-h or 8-h means (only the NowCast 2-of-3 rule). The thresholds here — 75 % of the
expected sub-hourly values per hour, 18 of 24 hours per day, 6 of 8 hours per 8-h window,
75 % of the hours of a month — are **configurable implementation defaults**, not regulation.
Each result carries count, expected and ratio so a report can show how complete it was.

QC flags follow the project vocabulary (`quantrac.qc.flags.QcFlag`, QARTOD style): 1 good,
2 not evaluated, 3 suspect, 4 bad, 9 missing. By default flags 1 and 2 count: most station
data arrives without a QC verdict, and dropping it would leave no index at all; suspect and
bad data never count unless the caller says so.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quantrac.qc.flags import QcFlag

#: QC flags whose values take part in an aggregate unless the caller chooses otherwise.
DEFAULT_ACCEPTED_FLAGS: frozenset[int] = frozenset({QcFlag.GOOD, QcFlag.NOT_EVALUATED})

HOUR_S = 3600
DAY_S = 86400
HOURS_PER_DAY = 24
#: Asia/Ho_Chi_Minh is UTC+7 all year (no daylight saving).
VN_UTC_OFFSET_S = 7 * HOUR_S

#: Implementation defaults (Decision 1459 sets none) — see module docstring.
DEFAULT_MIN_FRACTION_HOUR = 0.75
DEFAULT_MIN_HOURS_DAY = 18
DEFAULT_WINDOW_HOURS = 8
DEFAULT_MIN_HOURS_WINDOW = 6
DEFAULT_MIN_FRACTION_MONTH = 0.75

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class Aggregates:
    """Aggregated values with their completeness, one element per period.

    `values` is NaN where the period is not complete enough; `available` is the statistic of
    whatever valid inputs there were (NaN when none), for reports that show partial data
    marked as such. `labels` are hour-end epoch seconds (hourly, rolling), local dates
    (`datetime64[D]`, daily) or local months (`datetime64[M]`, monthly).
    """

    labels: NDArray[np.generic]
    values: FloatArray
    available: FloatArray
    count: IntArray
    expected: IntArray

    @property
    def ratio(self) -> FloatArray:
        """count / expected — the completeness of each period."""
        return self.count / np.maximum(self.expected, 1)

    @property
    def complete(self) -> NDArray[np.bool_]:
        return ~np.isnan(self.values)


@dataclass(frozen=True, eq=False)
class HourlyGrid:
    """Hourly values on a regular grid: element k ends at `first_hour_end + k·3600` (UTC).

    Leading axes (e.g. stations) are allowed; time is the last axis. NaN = no usable value.
    """

    first_hour_end: int
    values: FloatArray

    @property
    def times(self) -> IntArray:
        n = self.values.shape[-1]
        return self.first_hour_end + HOUR_S * np.arange(n, dtype=np.int64)


def valid_mask(
    values: ArrayLike,
    flags: ArrayLike | None = None,
    accepted_flags: Collection[int] = DEFAULT_ACCEPTED_FLAGS,
) -> NDArray[np.bool_]:
    """True where a value may enter an aggregate: finite, and its QC flag is accepted."""
    data = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(data)
    if flags is not None:
        flag_array = np.asarray(flags)
        if flag_array.shape != data.shape:
            raise ValueError(f"flags shape {flag_array.shape} differs from values {data.shape}")
        ok &= np.isin(flag_array, np.array([int(f) for f in accepted_flags], dtype=np.int64))
    return ok


def _enough(count: NDArray[np.int64], needed: float) -> NDArray[np.bool_]:
    # A small tolerance so that e.g. 0.75 × 12 = 9 values is enough despite float error.
    return count >= needed - 1e-9


def _times(times: ArrayLike) -> IntArray:
    array = np.asarray(times)
    if array.ndim != 1:
        raise ValueError("times must be one-dimensional epoch seconds")
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)):
            raise ValueError("times contain NaN or infinity")
        array = np.rint(array)
    return array.astype(np.int64)


def _pair(times: ArrayLike, values: ArrayLike) -> tuple[IntArray, FloatArray]:
    t = _times(times)
    v = np.asarray(values, dtype=np.float64)
    if v.shape != t.shape:
        raise ValueError(f"times {t.shape} and values {v.shape} differ in shape")
    return t, v


def hourly_means(
    times: ArrayLike,
    values: ArrayLike,
    *,
    interval_s: int,
    flags: ArrayLike | None = None,
    accepted_flags: Collection[int] = DEFAULT_ACCEPTED_FLAGS,
    min_fraction: float = DEFAULT_MIN_FRACTION_HOUR,
    stamp: str = "end",
) -> Aggregates:
    """Hourly means from sub-hourly values sampled every `interval_s` seconds.

    `stamp="end"` (default) means each timestamp ends its sample's interval (a 5-min value
    stamped 01:00 covers 00:55–01:00 and belongs to the hour ending 01:00); `"start"` means
    it begins it. The result covers every hour from the first to the last sample, gaps
    included (count 0). An hour is complete when its valid values reach `min_fraction` of
    3600 / interval_s (default 75 %, an implementation choice). Duplicate timestamps are
    counted twice: deduplicate upstream.
    """
    if not 0 < interval_s <= HOUR_S:
        raise ValueError("interval_s must be in (0, 3600]")
    if not 0 < min_fraction <= 1:
        raise ValueError("min_fraction must be in (0, 1]")
    if stamp not in ("end", "start"):
        raise ValueError("stamp must be 'end' or 'start'")
    t, v = _pair(times, values)
    expected_per_hour = max(1, round(HOUR_S / interval_s))
    if t.size == 0:
        empty = np.array([], dtype=np.float64)
        none = np.array([], dtype=np.int64)
        return Aggregates(none, empty, empty, none, none)
    hour_end = -(-t // HOUR_S) * HOUR_S if stamp == "end" else (t // HOUR_S + 1) * HOUR_S
    first = int(hour_end.min())
    slot = (hour_end - first) // HOUR_S
    n = int(slot.max()) + 1
    ok = valid_mask(v, flags, accepted_flags)
    count = np.bincount(slot[ok], minlength=n).astype(np.int64)
    total = np.bincount(slot[ok], weights=v[ok], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        available = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    values_out = np.where(_enough(count, min_fraction * expected_per_hour), available, np.nan)
    labels = first + HOUR_S * np.arange(n, dtype=np.int64)
    expected = np.full(n, expected_per_hour, dtype=np.int64)
    return Aggregates(labels, values_out, available, count, expected)


def hourly_grid(
    times: ArrayLike,
    values: ArrayLike,
    *,
    flags: ArrayLike | None = None,
    accepted_flags: Collection[int] = DEFAULT_ACCEPTED_FLAGS,
    start: int | None = None,
    end: int | None = None,
) -> HourlyGrid:
    """Place hourly values (stamped at the end of their hour) on a regular grid.

    Rejected or missing values become NaN. `start`/`end` (hour-end epoch seconds, inclusive)
    fix the grid span; by default it runs from the first to the last timestamp. Timestamps
    must fall on whole hours and be unique — an ambiguous duplicate is an upstream error.
    """
    t, v = _pair(times, values)
    if np.any(t % HOUR_S):
        raise ValueError("hourly timestamps must fall on whole hours (hour-end convention)")
    if t.size == 0 and (start is None or end is None):
        raise ValueError("an empty series needs start and end")
    first = int(t.min()) if start is None else int(start)
    last = int(t.max()) if end is None else int(end)
    if first % HOUR_S or last % HOUR_S or last < first:
        raise ValueError("start/end must be whole hours with start <= end")
    inside = (t >= first) & (t <= last)
    slot = (t[inside] - first) // HOUR_S
    if np.unique(slot).size != slot.size:
        raise ValueError("duplicate hourly timestamps")
    grid = np.full((last - first) // HOUR_S + 1, np.nan)
    ok = valid_mask(v, flags, accepted_flags)[inside]
    grid[slot[ok]] = v[inside][ok]
    return HourlyGrid(first, grid)


def day_blocks(
    grid: HourlyGrid, utc_offset_s: int = VN_UTC_OFFSET_S
) -> tuple[NDArray[np.datetime64], FloatArray]:
    """Reshape a grid into local days of 24 hours: (…, n_days, 24).

    Decision 1459 §2.2.2: a day is the 24 hourly values ending 01:00 … 24:00 (00:00 of the next
    day) local time. Hours outside the grid are NaN padding.
    """
    if utc_offset_s % HOUR_S:
        raise ValueError("utc_offset_s must be a whole number of hours")
    local_first = grid.first_hour_end + utc_offset_s
    first_day = (local_first - HOUR_S) // DAY_S
    lead = (local_first - HOUR_S - first_day * DAY_S) // HOUR_S
    n = grid.values.shape[-1]
    n_days = -(-(lead + n) // HOURS_PER_DAY)
    trail = n_days * HOURS_PER_DAY - lead - n
    pad = [(0, 0)] * (grid.values.ndim - 1) + [(int(lead), int(trail))]
    padded = np.pad(grid.values, pad, constant_values=np.nan)
    blocks = padded.reshape(*grid.values.shape[:-1], n_days, HOURS_PER_DAY)
    days = (np.datetime64(int(first_day), "D") + np.arange(n_days)).astype("datetime64[D]")
    return days, blocks


def block_means(blocks: FloatArray, min_count: int) -> tuple[FloatArray, FloatArray, IntArray]:
    """Mean over the last axis: (values masked below `min_count`, mean of available, count)."""
    ok = ~np.isnan(blocks)
    count = ok.sum(axis=-1).astype(np.int64)
    total = np.where(ok, blocks, 0.0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        available = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return np.where(_enough(count, min_count), available, np.nan), available, count


def block_maxima(blocks: FloatArray, min_count: int) -> tuple[FloatArray, FloatArray, IntArray]:
    """Maximum over the last axis, masked like `block_means`."""
    ok = ~np.isnan(blocks)
    count = ok.sum(axis=-1).astype(np.int64)
    available = np.where(count > 0, np.where(ok, blocks, -np.inf).max(axis=-1), np.nan)
    return np.where(_enough(count, min_count), available, np.nan), available, count


def rolling_grid_means(
    values: FloatArray,
    window: int = DEFAULT_WINDOW_HOURS,
    min_count: int = DEFAULT_MIN_HOURS_WINDOW,
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Trailing means over `window` consecutive grid hours, labelled by the last hour.

    Decision 1459 §2.2.2.a: an 8-h mean is the mean of 8 consecutive 1-h means; the value
    labelled 01:00 covers 18:00 → 01:00. Windows reaching before the grid start see the
    missing hours as gaps. Cumulative sums keep this O(n) for any window.
    """
    if not 0 < min_count <= window:
        raise ValueError("need 0 < min_count <= window")
    ok = ~np.isnan(values)
    pad = [(0, 0)] * (values.ndim - 1) + [(1, 0)]
    csum = np.pad(np.cumsum(np.where(ok, values, 0.0), axis=-1), pad)
    ccount = np.pad(np.cumsum(ok, axis=-1, dtype=np.int64), pad)
    n = values.shape[-1]
    upper = np.arange(1, n + 1)
    lower = np.maximum(upper - window, 0)
    total = csum[..., upper] - csum[..., lower]
    count = ccount[..., upper] - ccount[..., lower]
    with np.errstate(invalid="ignore", divide="ignore"):
        available = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return np.where(_enough(count, min_count), available, np.nan), available, count


def rolling_means(
    times: ArrayLike,
    values: ArrayLike,
    *,
    window_hours: int = DEFAULT_WINDOW_HOURS,
    min_hours: int = DEFAULT_MIN_HOURS_WINDOW,
    flags: ArrayLike | None = None,
    accepted_flags: Collection[int] = DEFAULT_ACCEPTED_FLAGS,
) -> Aggregates:
    """Rolling `window_hours` means of hourly values, one per grid hour (default 8 h, ≥ 6 valid).

    The minimum of 6 of 8 hours is a configurable default: Decision 1459 states none.
    """
    grid = hourly_grid(times, values, flags=flags, accepted_flags=accepted_flags)
    means, available, count = rolling_grid_means(grid.values, window_hours, min_hours)
    expected = np.full(count.shape, window_hours, dtype=np.int64)
    return Aggregates(grid.times, means, available, count, expected)


def _daily(
    times: ArrayLike,
    values: ArrayLike,
    *,
    statistic: str,
    min_hours: int,
    flags: ArrayLike | None,
    accepted_flags: Collection[int],
    utc_offset_s: int,
) -> Aggregates:
    if not 0 < min_hours <= HOURS_PER_DAY:
        raise ValueError("min_hours must be in 1..24")
    grid = hourly_grid(times, values, flags=flags, accepted_flags=accepted_flags)
    days, blocks = day_blocks(grid, utc_offset_s)
    reducer = block_means if statistic == "mean" else block_maxima
    out, available, count = reducer(blocks, min_hours)
    expected = np.full(count.shape, HOURS_PER_DAY, dtype=np.int64)
    return Aggregates(days, out, available, count, expected)


def daily_means(
    times: ArrayLike,
    values: ArrayLike,
    *,
    min_hours: int = DEFAULT_MIN_HOURS_DAY,
    flags: ArrayLike | None = None,
    accepted_flags: Collection[int] = DEFAULT_ACCEPTED_FLAGS,
    utc_offset_s: int = VN_UTC_OFFSET_S,
) -> Aggregates:
    """24-h means of hourly values per local day (hours ending 01:00 … 24:00).

    Decision 1459 §2.2.2.a defines the 24-h mean as the mean of the day's 1-h means but sets no
    minimum number of hours; `min_hours` (default 18 = 75 %) is a configurable default.
    """
    return _daily(
        times,
        values,
        statistic="mean",
        min_hours=min_hours,
        flags=flags,
        accepted_flags=accepted_flags,
        utc_offset_s=utc_offset_s,
    )


def daily_maxima(
    times: ArrayLike,
    values: ArrayLike,
    *,
    min_hours: int = DEFAULT_MIN_HOURS_DAY,
    flags: ArrayLike | None = None,
    accepted_flags: Collection[int] = DEFAULT_ACCEPTED_FLAGS,
    utc_offset_s: int = VN_UTC_OFFSET_S,
) -> Aggregates:
    """Daily maximum of hourly values per local day, with the same completeness rule.

    Used for the daily AQI of SO2, NO2, CO and O3 (Decision 1459 §2.2.2): a maximum over a
    few hours would understate the day, hence the same configurable `min_hours`.
    """
    return _daily(
        times,
        values,
        statistic="max",
        min_hours=min_hours,
        flags=flags,
        accepted_flags=accepted_flags,
        utc_offset_s=utc_offset_s,
    )


def monthly_means(
    times: ArrayLike,
    values: ArrayLike,
    *,
    min_fraction: float = DEFAULT_MIN_FRACTION_MONTH,
    flags: ArrayLike | None = None,
    accepted_flags: Collection[int] = DEFAULT_ACCEPTED_FLAGS,
    utc_offset_s: int = VN_UTC_OFFSET_S,
) -> Aggregates:
    """Monthly means of hourly values per local calendar month.

    An hour belongs to the month of its local day (the hour ending 00:00 on the 1st closes the
    previous month). Expected = 24 × days in the month; complete when the valid hours reach
    `min_fraction` (default 75 %, an implementation choice).
    """
    if not 0 < min_fraction <= 1:
        raise ValueError("min_fraction must be in (0, 1]")
    grid = hourly_grid(times, values, flags=flags, accepted_flags=accepted_flags)
    local_day = (grid.times + utc_offset_s - HOUR_S) // DAY_S
    months = local_day.astype("datetime64[D]").astype("datetime64[M]")
    first_month = months.min()
    slot = (months - first_month).astype(np.int64)
    n = int(slot.max()) + 1
    ok = ~np.isnan(grid.values)
    count = np.bincount(slot[ok], minlength=n).astype(np.int64)
    total = np.bincount(slot[ok], weights=grid.values[ok], minlength=n)
    labels = first_month + np.arange(n)
    month_days = ((labels + 1).astype("datetime64[D]") - labels.astype("datetime64[D]")).astype(
        np.int64
    )
    expected = month_days * HOURS_PER_DAY
    with np.errstate(invalid="ignore", divide="ignore"):
        available = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    out = np.where(_enough(count, min_fraction * expected), available, np.nan)
    return Aggregates(labels, out, available, count, expected)
