"""Anomaly detection on automatic series: values that do not fit their own context.

The rule-based checks (`quantrac.qc`) use fixed thresholds per parameter — a 100 µg/m³ spike
threshold is right for a polluted winter night and blind on a clean monsoon afternoon. These
detectors judge each value against its own series instead, on a log scale (errors in
concentrations grow with the level):

- `RobustResidualDetector` (a robust seasonal model): the deviation of log(1 + x) from the
  centred rolling median of the surrounding 25 samples, divided by a robust local spread
  (1.4826 × median absolute deviation over a week). A value more than `k` spreads away, and
  at least `min_abs` away in the series' own unit, is anomalous. No training, explainable.
- `IsolationForestDetector` (scikit-learn IsolationForest) on the same context features plus
  the jumps to both neighbours and the local hour, trained on the series' own history; the
  `contamination` share of the least typical training values sets the threshold.

Either returns a `CheckResult` with reason `ml_anomaly` (SUSPECT, never BAD: a model's
surprise is a reason to look, not proof of a fault), so QC can combine it with the rules.
`quantrac.analysis.evaluation` measures both on planted anomalies and on the provider's
Invalid labels; the QC job only runs one when asked.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike, NDArray

from quantrac.errors import ValidationError
from quantrac.qc.checks import CheckResult, as_times, as_values, sampling_interval
from quantrac.qc.flags import FLAG_DTYPE, QcFlag

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
REASON = "ml_anomaly"
HOUR_S = 3600
DAY_S = 86400
UTC_OFFSET_S = 7 * HOUR_S
#: Context windows in hours (converted to samples with the series' step).
MEDIAN_HOURS = 12  # each side: a 25-sample window on hourly data
SPREAD_HOURS = 84  # each side: one week
#: Floor of the robust spread on the log scale: a very quiet week must not make 1 µg/m³ of
#: noise look like an anomaly.
MIN_SPREAD = 0.05


def _rolling_nanmedian(x: FloatArray, half: int) -> FloatArray:
    """Centred rolling median over 2·half + 1 samples, ignoring NaN (NaN when all are)."""
    padded = np.pad(x, half, constant_values=np.nan)
    windows = sliding_window_view(padded, 2 * half + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        return np.nanmedian(windows, axis=1)


def _rolling_nanmedian_coarse(x: FloatArray, half: int, stride: int) -> FloatArray:
    """Like `_rolling_nanmedian` for long windows, computed every `stride` samples and held:
    a week's spread changes slowly, and this keeps it O(n·window/stride)."""
    if stride <= 1:
        return _rolling_nanmedian(x, half)
    centres = np.arange(0, x.shape[0], stride)
    padded = np.pad(x, half, constant_values=np.nan)
    windows = np.stack([padded[c : c + 2 * half + 1] for c in centres]) if centres.size else None
    if windows is None:
        return np.full(x.shape, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        coarse = np.nanmedian(windows, axis=1)
    return np.repeat(coarse, stride)[: x.shape[0]]


@dataclass(frozen=True, eq=False)
class Context:
    """Per-value context on the series' own regular grid, mapped back to the input rows."""

    log_value: FloatArray
    residual: FloatArray  # log value − rolling median
    spread: FloatArray  # robust local spread of the residuals (log scale)
    jump_prev: FloatArray  # log value − previous present log value (NaN at a gap)
    jump_next: FloatArray
    hour: FloatArray  # local hour of day, 0…24
    median_value: FloatArray  # the rolling median back in the series' unit

    @property
    def robust_z(self) -> FloatArray:
        return self.residual / self.spread


def context(times: ArrayLike, values: ArrayLike, step_s: int | None = None) -> Context:
    """Context features of every value (see the module docstring).

    Values are placed on a regular grid of the series' sampling step so windows mean the same
    time span whatever is missing; rows off the grid keep NaN features (not evaluated).
    """
    v = as_values(values)
    t = as_times(times, v.shape[0])
    n = v.shape[0]
    step = step_s or sampling_interval(t) or HOUR_S
    nan = np.full(n, np.nan)
    if n == 0:
        return Context(nan, nan, nan, nan, nan, nan, nan)
    start = int(t.min())
    slot = (t - start) // step
    on_grid = ((t - start) % step == 0) & ~np.isnan(v)
    size = int(slot.max()) + 1
    z = np.full(size, np.nan)
    z[slot[on_grid]] = np.log1p(np.clip(v[on_grid], 0.0, None))
    med = _rolling_nanmedian(z, max(1, round(MEDIAN_HOURS * HOUR_S / step)))
    resid = z - med
    half_spread = max(2, round(SPREAD_HOURS * HOUR_S / step))
    spread = 1.4826 * _rolling_nanmedian_coarse(
        np.abs(resid), half_spread, max(1, half_spread // 12)
    )
    spread = np.fmax(spread, MIN_SPREAD)
    prev = np.concatenate(([np.nan], z[:-1]))
    nxt = np.concatenate((z[1:], [np.nan]))
    idx = np.where(on_grid, slot, 0)

    def back(a: FloatArray) -> FloatArray:
        return np.where(on_grid, a[idx], np.nan)

    hour = ((t + UTC_OFFSET_S) % DAY_S) / HOUR_S
    return Context(
        back(z),
        back(resid),
        back(spread),
        back(z - prev),
        back(z - nxt),
        hour.astype(np.float64),
        back(np.expm1(med)),
    )


def _result(v: FloatArray, anomalous: BoolArray, evaluated: BoolArray) -> CheckResult:
    flags = np.where(evaluated, QcFlag.GOOD, QcFlag.NOT_EVALUATED).astype(FLAG_DTYPE)
    flags[anomalous] = QcFlag.SUSPECT
    flags[np.isnan(v)] = QcFlag.MISSING
    return CheckResult(flags, {REASON: anomalous})


@dataclass(frozen=True, slots=True)
class RobustResidualDetector:
    """|log value − rolling median| > k × robust spread, and ≥ `min_abs` in the unit."""

    k: float = 6.0
    min_abs: float = 10.0

    def __post_init__(self) -> None:
        if not (self.k > 0 and self.min_abs >= 0):
            raise ValidationError(f"need k > 0 and min_abs ≥ 0, got {self.k}, {self.min_abs}")

    def check(self, times: ArrayLike, values: ArrayLike, step_s: int | None = None) -> CheckResult:
        v = as_values(values)
        ctx = context(times, v, step_s)
        evaluated = ~np.isnan(ctx.residual) & ~np.isnan(ctx.spread)
        away = np.abs(v - ctx.median_value)
        with np.errstate(invalid="ignore"):
            anomalous = evaluated & (np.abs(ctx.robust_z) > self.k) & (away >= self.min_abs)
        return _result(v, anomalous, evaluated)


def _forest_features(ctx: Context) -> FloatArray:
    """Robust z, the jumps to both neighbours in spreads, and the local hour (sin, cos).

    The level itself is left out on purpose: a real pollution episode is rare but not a
    fault, and a forest that sees the level isolates episodes as readily as faults.
    """
    jump_prev = np.nan_to_num(ctx.jump_prev / ctx.spread)
    jump_next = np.nan_to_num(ctx.jump_next / ctx.spread)
    angle = 2 * np.pi * ctx.hour / 24
    return np.column_stack([ctx.robust_z, jump_prev, jump_next, np.sin(angle), np.cos(angle)])


@dataclass
class IsolationForestDetector:
    """IsolationForest on `_forest_features`, thresholded at the training `contamination`.

    Fit on a series' history (NaN rows skipped); `check` then flags values whose anomaly
    score is below the threshold learned there, so a window is judged against its past.
    """

    contamination: float = 0.002
    n_estimators: int = 200
    max_samples: int = 512
    seed: int = 0
    model: Any = field(default=None, repr=False)
    threshold: float = float("nan")

    def fit(
        self, times: ArrayLike, values: ArrayLike, step_s: int | None = None
    ) -> IsolationForestDetector:
        from sklearn.ensemble import IsolationForest

        if not 0 < self.contamination < 0.5:
            raise ValidationError(f"contamination must be in (0, 0.5), got {self.contamination}")
        features = _forest_features(context(times, values, step_s))
        rows = ~np.isnan(features).any(axis=1)
        if rows.sum() < 200:
            raise ValidationError(f"too little history to train on: {int(rows.sum())} values")
        self.model = IsolationForest(
            n_estimators=self.n_estimators,
            max_samples=min(self.max_samples, int(rows.sum())),
            random_state=self.seed,
        ).fit(features[rows])
        scores = self.model.score_samples(features[rows])
        self.threshold = float(np.quantile(scores, self.contamination))
        return self

    def scores(self, times: ArrayLike, values: ArrayLike, step_s: int | None = None) -> FloatArray:
        """IsolationForest score per value (lower = more anomalous; NaN = not evaluated)."""
        if self.model is None:
            raise ValidationError("the detector is not fitted")
        features = _forest_features(context(times, values, step_s))
        rows = ~np.isnan(features).any(axis=1)
        out = np.full(features.shape[0], np.nan)
        if rows.any():
            out[rows] = self.model.score_samples(features[rows])
        return out

    def check(self, times: ArrayLike, values: ArrayLike, step_s: int | None = None) -> CheckResult:
        v = as_values(values)
        s = self.scores(times, v, step_s)
        evaluated = ~np.isnan(s)
        anomalous = evaluated & (np.where(evaluated, s, np.inf) < self.threshold)
        return _result(v, anomalous, evaluated)
