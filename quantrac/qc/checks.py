"""QC checks as pure vectorised functions: arrays in, one flag per value (and why) out.

Every check takes plain numpy arrays — times as int64 epoch seconds (UTC), values as float64
with NaN for a missing value — and returns a `CheckResult`: a flag array on the scale of
`quantrac.qc.flags` and, per reason code, a boolean mask of the values that reason applies to.
Which checks run, with which thresholds, is configuration (`quantrac.qc.config`); running them
on a series is `quantrac.qc.run`. No check changes its inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quantrac.errors import ConfigError, ValidationError
from quantrac.qc.flags import FLAG_DTYPE, QcFlag, full_flags

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Flags of one check over a series, and the values each reason code applies to."""

    flags: NDArray[np.uint8]
    reasons: Mapping[str, BoolArray] = field(default_factory=dict)

    def flagged(self) -> NDArray[np.intp]:
        """Indices the check called suspect or bad."""
        return np.flatnonzero((self.flags == QcFlag.SUSPECT) | (self.flags == QcFlag.BAD))


# --------------------------------------------------------------------------------------------
# input normalisation: real errors, never assert
# --------------------------------------------------------------------------------------------
def as_values(values: ArrayLike, name: str = "values") -> FloatArray:
    """`values` as a 1-D float64 array (NaN = missing)."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValidationError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def as_times(times: ArrayLike, n: int | None = None, name: str = "times") -> IntArray:
    """`times` as a 1-D int64 array of epoch seconds, of length `n` when given."""
    arr = np.asarray(times)
    if arr.ndim != 1:
        raise ValidationError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValidationError(f"{name} must be integer epoch seconds, got dtype {arr.dtype}")
    if n is not None and arr.shape[0] != n:
        raise ValidationError(f"{name} has {arr.shape[0]} items but the values have {n}")
    return arr.astype(np.int64, copy=False)


def _positive(name: str, value: float | None, *, allow_none: bool = True) -> None:
    if value is None:
        if not allow_none:
            raise ConfigError(f"{name} is required")
        return
    if not np.isfinite(value) or value <= 0:
        raise ConfigError(f"{name} must be a positive number, got {value!r}")


def _start_flags(values: FloatArray, base: QcFlag) -> NDArray[np.uint8]:
    """`base` for every value, MISSING where the value is NaN."""
    flags = full_flags(values.shape[0], base)
    flags[np.isnan(values)] = QcFlag.MISSING
    return flags


# --------------------------------------------------------------------------------------------
# range
# --------------------------------------------------------------------------------------------
def _outside(values: FloatArray, low: float | None, high: float | None) -> BoolArray:
    out = np.zeros(values.shape, dtype=bool)
    if low is not None:
        out |= values < low
    if high is not None:
        out |= values > high
    return out


def _check_span(name: str, span: tuple[float | None, float | None]) -> None:
    low, high = span
    if low is not None and high is not None and low > high:
        raise ConfigError(f"{name}: minimum {low} is above maximum {high}")


def range_test(
    values: ArrayLike,
    gross: tuple[float | None, float | None],
    plausible: tuple[float | None, float | None] | None = None,
) -> CheckResult:
    """Gross range (outside → BAD) and plausible range (outside → SUSPECT).

    The gross span is what the sensor or physics allows (pH 0–14, DO ≥ 0, a BAM PM2.5 monitor
    up to 1000 µg/m³): a value outside it cannot be a measurement. The plausible span is what
    the climate or process makes credible; a value outside it may be real but needs a look.
    Bounds are inclusive (a value equal to a bound passes); None means no bound on that side.
    """
    v = as_values(values)
    _check_span("gross range", gross)
    if plausible is not None:
        _check_span("plausible range", plausible)
    gross_fail = _outside(v, *gross)
    suspect = _outside(v, *plausible) & ~gross_fail if plausible else np.zeros(v.shape, bool)
    flags = _start_flags(v, QcFlag.GOOD)
    flags[suspect] = QcFlag.SUSPECT
    flags[gross_fail] = QcFlag.BAD
    return CheckResult(flags, {"gross_range": gross_fail, "plausible_range": suspect})


# --------------------------------------------------------------------------------------------
# spike and rate of change
# --------------------------------------------------------------------------------------------
def spike_test(
    values: ArrayLike,
    threshold: float,
    *,
    bad_threshold: float | None = None,
    times: ArrayLike | None = None,
    max_gap_s: float | None = None,
) -> CheckResult:
    """A spike is a value that departs from BOTH its neighbours by more than `threshold`, in
    the same direction (above both or below both).

    Requiring both sides and one direction separates a spike (up then straight back down)
    from a step or a steep ramp, which a real process can make. Missing values are skipped:
    the neighbours are the nearest present values. With `times` and `max_gap_s`, a neighbour
    further away than `max_gap_s` is no neighbour (the series was interrupted), so the value is
    not evaluated on that side. Spike → SUSPECT; departure beyond `bad_threshold` → BAD; the
    first and last values (and values with no neighbour) are NOT_EVALUATED.
    """
    v = as_values(values)
    _positive("spike threshold", threshold, allow_none=False)
    _positive("spike bad threshold", bad_threshold)
    present = np.flatnonzero(~np.isnan(v))
    x = v[present]
    prev = np.concatenate(([np.nan], x[:-1]))
    nxt = np.concatenate((x[1:], [np.nan]))
    if times is not None and max_gap_s is not None:
        t = as_times(times, v.shape[0])[present]
        gap_before = np.concatenate(([True], np.diff(t) > max_gap_s))
        gap_after = np.concatenate((gap_before[1:], [True]))
        prev[gap_before] = np.nan
        nxt[gap_after] = np.nan
    up, down = x - prev, x - nxt
    # How far the value stands out on the side where it is closest to a neighbour, signed so
    # that a departure in opposite directions (a ramp) is never positive.
    departure = np.maximum(np.minimum(up, down), np.minimum(-up, -down))
    evaluated = ~np.isnan(departure)
    spike = evaluated & (departure > threshold)
    bad = spike & (departure > bad_threshold) if bad_threshold is not None else np.zeros_like(spike)
    flags = _start_flags(v, QcFlag.NOT_EVALUATED)
    sub = np.where(evaluated, QcFlag.GOOD, QcFlag.NOT_EVALUATED).astype(FLAG_DTYPE)
    sub[spike] = QcFlag.SUSPECT
    sub[bad] = QcFlag.BAD
    flags[present] = sub
    mask = np.zeros(v.shape, dtype=bool)
    mask[present] = spike
    return CheckResult(flags, {"spike": mask})


def rate_of_change_test(
    times: ArrayLike,
    values: ArrayLike,
    max_rate_per_hour: float,
    *,
    min_interval_s: float = 0.0,
) -> CheckResult:
    """Rate of change: |Δvalue| / Δt, per hour, above `max_rate_per_hour` → SUSPECT.

    The rate is taken from the previous present value to this one, and the later value of the
    pair is flagged (the earlier one was judged against its own predecessor). Using the time
    difference, not the index, keeps the threshold meaningful across gaps and sampling rates.
    A Δt shorter than `min_interval_s` counts as `min_interval_s`: a physical rate limit holds
    over an hour, while over 5 minutes the sensor's own noise would exceed it (run_qc uses
    3600 s, so between 5-minute readings the change may reach one hour's worth).
    A pair with Δt ≤ 0 (duplicated or out-of-order times) is not evaluated here; the timestamp
    check reports it. The first present value is NOT_EVALUATED.
    """
    v = as_values(values)
    t = as_times(times, v.shape[0])
    _positive("max rate per hour", max_rate_per_hour, allow_none=False)
    if not np.isfinite(min_interval_s) or min_interval_s < 0:
        raise ConfigError(f"min_interval_s must be ≥ 0, got {min_interval_s!r}")
    present = np.flatnonzero(~np.isnan(v))
    dt = np.diff(t[present]).astype(np.float64)
    dv = np.abs(np.diff(v[present]))
    evaluated = np.concatenate(([False], dt > 0))
    rate = np.full(present.shape[0], np.nan)
    span = np.maximum(dt[evaluated[1:]], min_interval_s)
    rate[evaluated] = dv[evaluated[1:]] / span * 3600.0
    too_fast = evaluated & (rate > max_rate_per_hour)
    flags = _start_flags(v, QcFlag.NOT_EVALUATED)
    sub = np.where(evaluated, QcFlag.GOOD, QcFlag.NOT_EVALUATED).astype(FLAG_DTYPE)
    sub[too_fast] = QcFlag.SUSPECT
    flags[present] = sub
    mask = np.zeros(v.shape, dtype=bool)
    mask[present] = too_fast
    return CheckResult(flags, {"rate_of_change": mask})


# --------------------------------------------------------------------------------------------
# flat line
# --------------------------------------------------------------------------------------------
def _sparse_tables(x: FloatArray, longest: int) -> tuple[FloatArray, FloatArray]:
    """Min/max over every [p, p + 2^k) block, k = 0…log2(longest): O(1) range queries."""
    n = x.shape[0]
    levels = max(1, int(np.floor(np.log2(max(longest, 1)))) + 1)
    mins = np.empty((levels, n))
    maxs = np.empty((levels, n))
    mins[0] = maxs[0] = x
    for k in range(1, levels):
        half = 1 << (k - 1)
        mins[k] = mins[k - 1]
        maxs[k] = maxs[k - 1]
        mins[k, : n - half] = np.minimum(mins[k - 1, : n - half], mins[k - 1, half:])
        maxs[k, : n - half] = np.maximum(maxs[k - 1, : n - half], maxs[k - 1, half:])
    return mins, maxs


def _window_spread(tables: tuple[FloatArray, FloatArray], lo: IntArray, hi: IntArray) -> FloatArray:
    """max − min of x[lo..hi] (inclusive) for each pair of bounds."""
    mins, maxs = tables
    k = np.floor(np.log2(hi - lo + 1)).astype(np.int64)
    right = hi - (1 << k) + 1
    top = np.maximum(maxs[k, lo], maxs[k, right])
    bottom = np.minimum(mins[k, lo], mins[k, right])
    return top - bottom


def _members(n: int, lo: IntArray, hi: IntArray) -> BoolArray:
    """True for every index inside at least one [lo, hi] window."""
    delta = np.zeros(n + 1, dtype=np.int64)
    np.add.at(delta, lo, 1)
    np.add.at(delta, hi + 1, -1)
    return np.cumsum(delta[:n]) > 0


#: A duration-based flat run needs at least this many readings: two equal readings either
#: side of a long outage say nothing about a stuck sensor.
_MIN_TIMED_RUN = 3


Windows = tuple[IntArray, IntArray]


def _count_windows(n: int, count: int | None) -> Windows:
    """[i − count + 1, i] for every i with enough readings before it."""
    if count is None or n < count:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    hi = np.arange(count - 1, n, dtype=np.int64)
    return hi - (count - 1), hi


def _timed_windows(t: IntArray, seconds: float | None) -> Windows:
    """The shortest window ending at each reading that spans at least `seconds`."""
    if seconds is None:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    hi = np.arange(t.shape[0], dtype=np.int64)
    lo = np.searchsorted(t, t - seconds, side="right").astype(np.int64) - 1
    ok = (lo >= 0) & (hi - lo + 1 >= _MIN_TIMED_RUN)
    return lo[ok], hi[ok]


def _flat_members(
    n: int, windows: list[Windows], tolerance: float, tables: tuple[FloatArray, FloatArray]
) -> BoolArray:
    """Readings inside at least one window whose spread is within `tolerance`."""
    lo = np.concatenate([w[0] for w in windows])
    hi = np.concatenate([w[1] for w in windows])
    scale = max(1.0, float(np.max(np.abs(tables[1][0]))))
    # Equal within floating-point rounding: 7.11 − 7.10 must pass a 0.01 tolerance.
    flat = _window_spread(tables, lo, hi) <= tolerance + 1e-9 * scale
    return _members(n, lo[flat], hi[flat])


def flat_line_test(
    times: ArrayLike,
    values: ArrayLike,
    tolerance: float,
    *,
    suspect_count: int | None = None,
    bad_count: int | None = None,
    suspect_seconds: float | None = None,
    bad_seconds: float | None = None,
) -> CheckResult:
    """Flat line (stuck sensor): the same value, within `tolerance`, for too long.

    A run is flat when max − min of its values is ≤ `tolerance` (0 = exactly equal), so a slow
    drift never chains into one long "flat" run. Runs of at least `suspect_count` readings or
    spanning at least `suspect_seconds` → SUSPECT; at least `bad_count` readings or
    `bad_seconds` → BAD. Every value of the run is flagged: once a sensor is known stuck, none of
    its repeated readings can be told apart from the others. Missing values are skipped (a
    stuck sensor with a dropped reading is still stuck); a duration-based run needs at least 3
    readings. Values must be in time order.
    """
    v = as_values(values)
    t = as_times(times, v.shape[0])
    if not np.isfinite(tolerance) or tolerance < 0:
        raise ConfigError(f"flat-line tolerance must be ≥ 0, got {tolerance!r}")
    for name, c in (("suspect_count", suspect_count), ("bad_count", bad_count)):
        if c is not None and (int(c) != c or c < 2):
            raise ConfigError(f"flat-line {name} must be an integer ≥ 2, got {c!r}")
    _positive("flat-line suspect_seconds", suspect_seconds)
    _positive("flat-line bad_seconds", bad_seconds)
    if all(c is None for c in (suspect_count, bad_count, suspect_seconds, bad_seconds)):
        raise ConfigError("flat-line test needs a count or a duration")
    if suspect_count is not None and bad_count is not None and bad_count < suspect_count:
        raise ConfigError(f"flat-line bad_count {bad_count} < suspect_count {suspect_count}")
    if suspect_seconds is not None and bad_seconds is not None and bad_seconds < suspect_seconds:
        raise ConfigError(f"flat-line bad_seconds {bad_seconds} < suspect_seconds")

    present = np.flatnonzero(~np.isnan(v))
    x, tp = v[present], t[present]
    if np.any(np.diff(tp) < 0):
        raise ValidationError("flat-line test needs the values in time order")
    flags = _start_flags(v, QcFlag.GOOD)
    mask = np.zeros(v.shape, dtype=bool)
    if x.shape[0] < 2:
        flags[present] = QcFlag.NOT_EVALUATED
        return CheckResult(flags, {"flat_line": mask})
    n = x.shape[0]
    bad_windows = [_count_windows(n, bad_count), _timed_windows(tp, bad_seconds)]
    suspect_windows = [_count_windows(n, suspect_count), _timed_windows(tp, suspect_seconds)]
    longest = max(
        (int(np.max(hi - lo)) + 1 for lo, hi in bad_windows + suspect_windows if lo.size), default=1
    )
    tables = _sparse_tables(x, longest)
    bad = _flat_members(n, bad_windows, tolerance, tables)
    suspect = _flat_members(n, suspect_windows, tolerance, tables) & ~bad
    sub = np.full(x.shape[0], QcFlag.GOOD, dtype=FLAG_DTYPE)
    sub[suspect] = QcFlag.SUSPECT
    sub[bad] = QcFlag.BAD
    flags[present] = sub
    mask[present] = suspect | bad
    return CheckResult(flags, {"flat_line": mask})


# --------------------------------------------------------------------------------------------
# device status (TT10/2021 field 5)
# --------------------------------------------------------------------------------------------
#: TT10/2021 device status codes: 00 measuring, 01 calibrating, 02 device fault (Art. 39;
#: see the reference pack's tt10-2021-data-transmission.md). A value measured while the
#: analyser calibrates or reports a fault is not a measurement of the sample.
TT10_STATUS: Mapping[str, tuple[QcFlag, str | None]] = {
    "00": (QcFlag.GOOD, None),
    "01": (QcFlag.BAD, "status_calibrating"),
    "02": (QcFlag.BAD, "status_device_error"),
}


def normalise_status(status: ArrayLike) -> NDArray[np.str_]:
    """Status codes as 2-character strings: 0 → '00', '1' → '01', ' 02 ' → '02'.

    Empty cells stay empty (and are unknown): zero-padding '' would invent a '00'.
    """
    s = np.char.strip(np.asarray(status).astype(str))
    return np.where(s == "", "", np.char.zfill(s, 2))


def device_status_test(
    status: ArrayLike,
    meanings: Mapping[str, tuple[QcFlag, str | None]] = TT10_STATUS,
) -> CheckResult:
    """Device status: each code maps to a flag and a reason; an unknown code → SUSPECT.

    Under TT10, '01' (calibrating) and '02' (device fault) are never good → BAD. Codes outside
    the mapping — '03' "maintenance" written by one datalogger, empty cells, typos — are
    SUSPECT with reason "status_unknown": the value may be fine, but nobody said so.
    """
    codes = normalise_status(status)
    if codes.ndim != 1:
        raise ValidationError(f"status must be one-dimensional, got shape {codes.shape}")
    flags = full_flags(codes.shape[0], QcFlag.SUSPECT)
    known = np.zeros(codes.shape, dtype=bool)
    reasons: dict[str, BoolArray] = {}
    for code, (flag, reason) in meanings.items():
        hit = codes == code
        known |= hit
        flags[hit] = flag
        if reason is not None:
            reasons[reason] = reasons.get(reason, np.zeros(codes.shape, dtype=bool)) | hit
    reasons["status_unknown"] = ~known
    return CheckResult(flags, reasons)


# --------------------------------------------------------------------------------------------
# timestamp sanity
# --------------------------------------------------------------------------------------------
def _duplicates(t: IntArray, values: FloatArray | None) -> BoolArray:
    """Rows whose time another row also has.

    Repeats of a row (same time, same value: a re-sent record) are flagged, the first copy
    is kept. When the rows of one time disagree on the value, every one of them is flagged:
    nothing says which is right (the US-DST artefact in the AirNow files is such a case).
    """
    n = t.shape[0]
    order = np.argsort(t, kind="stable")
    ts = t[order]
    same_as_prev = np.concatenate(([False], ts[1:] == ts[:-1]))
    dup = np.zeros(n, dtype=bool)
    dup[order] = same_as_prev
    if values is None or not same_as_prev.any():
        return dup
    starts = np.flatnonzero(~same_as_prev)
    group = np.cumsum(~same_as_prev) - 1
    vs = values[order]
    with np.errstate(invalid="ignore"):
        lo = np.fmin.reduceat(vs, starts)
        hi = np.fmax.reduceat(vs, starts)
    size = np.diff(np.append(starts, n))
    nans = np.add.reduceat(np.isnan(vs).astype(np.int64), starts)
    conflict = (hi > lo) | ((nans > 0) & (nans < size))
    dup[order] |= conflict[group] & (size[group] > 1)
    return dup


def _out_of_order(t: IntArray) -> BoolArray:
    """Rows whose time is out of sequence.

    First the isolated displacements: a row that breaks the order while its two neighbours are
    in order with each other (a late packet, or one early stamp) — only that row is flagged,
    not everything after it. Then, among the remaining rows, any row older than a row before it
    (a block delivered late).
    """
    n = t.shape[0]
    lo_pad = np.iinfo(np.int64).min
    hi_pad = np.iinfo(np.int64).max
    prev = np.concatenate(([lo_pad], t[:-1]))
    nxt = np.concatenate((t[1:], [hi_pad]))
    isolated = (prev <= nxt) & ((t < prev) | (t > nxt))
    rest = np.flatnonzero(~isolated)
    tr = t[rest]
    newest_before = np.maximum.accumulate(tr)
    late = np.zeros(n, dtype=bool)
    late[rest[1:]] = tr[1:] < newest_before[:-1]
    return isolated | late


def sampling_interval(times: ArrayLike) -> int | None:
    """The series' sampling interval: the median step between distinct times, or None when the
    steps are irregular (fewer than half of them equal that median), as for manual sampling."""
    t = np.unique(as_times(times))
    if t.shape[0] < 3:
        return None
    steps = np.diff(t)
    step = int(np.median(steps))
    if step <= 0 or np.mean(steps % step == 0) < 0.5:
        return None
    return step


def _off_grid(delta: IntArray, step: int, tolerance: float) -> BoolArray:
    r = np.mod(delta, step)
    return np.minimum(r, step - r) > tolerance


def _clock_jumps(t: IntArray, step: int, tolerance: float) -> BoolArray:
    """Rows where the sampling grid shifts: the time is off the grid of BOTH previous rows.

    A gap moves a series by whole steps and keeps it on its grid; a clock that jumps moves
    it by a fraction of a step. Checking against the two previous rows flags the first row of
    the new grid once, and a single stray time once (the row after it is back on the grid of
    the row before the stray).
    """
    n = t.shape[0]
    jump = np.zeros(n, dtype=bool)
    if n < 2:
        return jump
    off1 = _off_grid(t[1:] - t[:-1], step, tolerance)
    jump[1:] = off1
    if n > 2:
        jump[2:] &= _off_grid(t[2:] - t[:-2], step, tolerance)
    return jump


def timestamp_test(
    times: ArrayLike,
    *,
    now: int | None = None,
    future_tolerance_s: float = 300.0,
    values: ArrayLike | None = None,
    expected_interval_s: int | None = None,
    grid_tolerance_s: float | None = None,
) -> CheckResult:
    """Timestamp sanity, on the rows in the order they arrived.

    - future_time (BAD): later than `now` + `future_tolerance_s`; a reading cannot come from
      the future, so its time (and the value's place in the series) is wrong. Not evaluated
      when `now` is None — the caller passes the reception time, the check reads no clock.
    - duplicate_time (SUSPECT): see `_duplicates`.
    - out_of_order_time (SUSPECT): see `_out_of_order`.
    - clock_jump (SUSPECT): the time leaves the sampling grid (see `_clock_jumps`); the grid
      step is `expected_interval_s`, or inferred with `sampling_interval` (not evaluated when
      irregular); the tolerance defaults to 10 % of the step (logger jitter).
    """
    t = as_times(times)
    n = t.shape[0]
    v = as_values(values, "values") if values is not None else None
    if v is not None and v.shape[0] != n:
        raise ValidationError(f"values has {v.shape[0]} items but times has {n}")
    if not np.isfinite(future_tolerance_s) or future_tolerance_s < 0:
        raise ConfigError(f"future tolerance must be ≥ 0 s, got {future_tolerance_s!r}")
    _positive("expected interval", expected_interval_s)
    future = t > now + future_tolerance_s if now is not None else np.zeros(n, dtype=bool)
    duplicate = _duplicates(t, v)
    out_of_order = _out_of_order(t) if n > 1 else np.zeros(n, dtype=bool)
    step = expected_interval_s if expected_interval_s is not None else sampling_interval(t)
    if step is not None:
        tol = 0.1 * step if grid_tolerance_s is None else grid_tolerance_s
        jump = _clock_jumps(t, int(step), tol)
    else:
        jump = np.zeros(n, dtype=bool)
    flags = full_flags(n, QcFlag.GOOD)
    flags[duplicate | out_of_order | jump] = QcFlag.SUSPECT
    flags[future] = QcFlag.BAD
    return CheckResult(
        flags,
        {
            "future_time": future,
            "duplicate_time": duplicate,
            "out_of_order_time": out_of_order,
            "clock_jump": jump,
        },
    )


# --------------------------------------------------------------------------------------------
# cross-parameter rules
# --------------------------------------------------------------------------------------------
def do_saturation_mg_l(temperature_c: ArrayLike) -> FloatArray:
    """Dissolved-oxygen saturation of fresh water at 1 atm, mg/L, from water temperature °C.

    DO_sat = 14.652 − 0.41022 T + 0.0079910 T² − 0.000077774 T³ (the cubic fit used for DO %
    saturation in water-quality indices). Outside 0–50 °C the fit is not trusted → NaN.
    """
    temp = np.asarray(temperature_c, dtype=np.float64)
    sat = 14.652 - 0.41022 * temp + 0.0079910 * temp**2 - 0.000077774 * temp**3
    return np.where((temp >= 0) & (temp <= 50), sat, np.nan)


#: Named transforms a cross-parameter rule may apply to its reference series.
TRANSFORMS: Mapping[str, Callable[[FloatArray], FloatArray]] = {
    "identity": lambda x: x,
    "do_saturation": do_saturation_mg_l,
}


@dataclass(frozen=True, slots=True)
class CrossRule:
    """subject ≤ factor × transform(reference) + margin, at the same time.

    Rules are data (see `quantrac.qc.config.DEFAULT_CROSS_RULES`): adding one is one more row.
    `flag_reference` says the reference's value is as much in doubt as the subject's (PM2.5
    above PM10: either monitor may be wrong), so QC of the reference series flags it too.
    `media` limits the rule to stations of those media (empty = all).
    """

    code: str
    subject: str
    reference: str
    transform: str = "identity"
    factor: float = 1.0
    margin: float = 0.0
    flag: QcFlag = QcFlag.SUSPECT
    flag_reference: bool = False
    media: frozenset[str] = frozenset()
    description_vi: str = ""
    description_en: str = ""

    def __post_init__(self) -> None:
        if self.transform not in TRANSFORMS:
            raise ConfigError(
                f"cross rule {self.code!r}: unknown transform {self.transform!r}; "
                f"known: {', '.join(sorted(TRANSFORMS))}"
            )
        if not np.isfinite(self.factor) or self.factor <= 0:
            raise ConfigError(f"cross rule {self.code!r}: factor must be > 0")
        if not np.isfinite(self.margin):
            raise ConfigError(f"cross rule {self.code!r}: margin must be finite")
        if self.flag not in (QcFlag.SUSPECT, QcFlag.BAD):
            raise ConfigError(f"cross rule {self.code!r}: flag must be SUSPECT or BAD")
        if not self.code or self.subject == self.reference:
            raise ConfigError(f"cross rule {self.code!r}: needs a code and two parameters")

    def applies(self, medium: str) -> bool:
        return not self.media or medium in self.media


def align_on_times(times: ArrayLike, other_times: ArrayLike, other_values: ArrayLike) -> FloatArray:
    """The other series' value at each of `times` (exact match), NaN where it has none.

    When the other series repeats a time, its first row counts.
    """
    t = as_times(times)
    ov = as_values(other_values, "other values")
    ot = as_times(other_times, ov.shape[0], "other times")
    out = np.full(t.shape[0], np.nan)
    if ot.shape[0] == 0:
        return out
    uniq, first = np.unique(ot, return_index=True)
    pos = np.clip(np.searchsorted(uniq, t), 0, uniq.shape[0] - 1)
    hit = uniq[pos] == t
    out[hit] = ov[first[pos[hit]]]
    return out


def cross_parameter_test(subject: ArrayLike, reference: ArrayLike, rule: CrossRule) -> CheckResult:
    """Apply `rule` to two aligned series (same length, same times; see `align_on_times`).

    subject > factor × transform(reference) + margin → `rule.flag`, reason `rule.code`. Where
    either value is missing the rule is NOT_EVALUATED; flags are reported per row of the
    aligned arrays and apply to both parameters' values at that time.
    """
    s = as_values(subject, "subject")
    r = as_values(reference, "reference")
    if s.shape != r.shape:
        raise ValidationError(f"subject has {s.shape[0]} items but reference has {r.shape[0]}")
    bound = rule.factor * TRANSFORMS[rule.transform](r) + rule.margin
    evaluated = ~np.isnan(s) & ~np.isnan(bound)
    violated = np.zeros(s.shape, dtype=bool)
    violated[evaluated] = s[evaluated] > bound[evaluated]
    flags = np.where(evaluated, QcFlag.GOOD, QcFlag.NOT_EVALUATED).astype(FLAG_DTYPE)
    flags[violated] = rule.flag
    return CheckResult(flags, {rule.code: violated})
