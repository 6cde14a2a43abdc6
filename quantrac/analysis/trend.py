"""Trend tests: Mann-Kendall with Sen's slope, and the seasonal Kendall test for monthly data.

The tests come from pymannkendall (Hussain & Mahmud 2019), a small maintained implementation
of the standard formulas: Mann-Kendall (Mann 1945, Kendall 1975) with tie-corrected variance,
Sen's slope (Sen 1968), and the seasonal test (Hirsch, Slack & Smith 1982) with its seasonal
Sen slope. Non-parametric tests are what monitoring agencies use for concentration trends:
they need no normality, tolerate gaps and are not pulled by a few extreme values.

Inputs are regular series with NaN for gaps (annual or monthly means — see
`quantrac.indices.aggregates.monthly_means`). Monthly data carry a seasonal cycle (the dry
season in the north is far more polluted) that breaks the plain test's assumptions: use
`seasonal_kendall`, which compares each month only with the same month of other years.
Slopes are returned per year; the plain test also gives the 95 % confidence interval of
Sen's slope (scipy's `theilslopes`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import theilslopes

from quantrac.errors import ValidationError

FloatArray = NDArray[np.float64]
#: Fewer present values than this and a test says nothing worth printing.
MIN_VALUES = 4


@dataclass(frozen=True, slots=True)
class TrendResult:
    """One trend test. `slope_per_year` is Sen's slope in the data's unit per year."""

    method: str  # mann_kendall | seasonal_kendall
    n: int
    trend: str  # increasing | decreasing | no trend
    significant: bool
    p_value: float
    z: float
    tau: float
    s: float
    slope_per_year: float
    intercept: float
    alpha: float
    slope_ci: tuple[float, float] | None = None

    def summary(self, unit: str = "", lang: str = "vi") -> str:
        """One sentence for a report."""
        per_year = (
            f"{self.slope_per_year:+.3g} {unit}/năm"
            if lang == "vi"
            else (f"{self.slope_per_year:+.3g} {unit}/year")
        )
        if lang == "vi":
            words = {"increasing": "tăng", "decreasing": "giảm", "no trend": "không có xu hướng"}
            sig = "có ý nghĩa thống kê" if self.significant else "không có ý nghĩa thống kê"
            return f"{words[self.trend]} ({per_year}), p = {self.p_value:.3g}, {sig} (n = {self.n})"
        sig = "significant" if self.significant else "not significant"
        return f"{self.trend} ({per_year}), p = {self.p_value:.3g}, {sig} (n = {self.n})"


def _series(values: ArrayLike) -> FloatArray:
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1:
        raise ValidationError(f"a trend test needs one series, got shape {x.shape}")
    if np.isinf(x).any():
        raise ValidationError("values contain infinity")
    n = int(np.count_nonzero(~np.isnan(x)))
    if n < MIN_VALUES:
        raise ValidationError(f"a trend test needs at least {MIN_VALUES} values, got {n}")
    return x


def _check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise ValidationError(f"alpha must be in (0, 1), got {alpha}")


def mann_kendall(
    values: ArrayLike, *, steps_per_year: float = 1.0, alpha: float = 0.05
) -> TrendResult:
    """Mann-Kendall test and Sen's slope of an equally spaced series (NaN = gap).

    `steps_per_year` converts the slope: 1 for annual values, 12 for monthly ones (but see
    `seasonal_kendall` for those), 365.25 for daily.
    """
    import pymannkendall as mk

    _check_alpha(alpha)
    if steps_per_year <= 0:
        raise ValidationError("steps_per_year must be > 0")
    x = _series(values)
    r = mk.original_test(x, alpha=alpha)
    present = ~np.isnan(x)
    idx = np.flatnonzero(present).astype(np.float64)
    _, _, low, high = theilslopes(x[present], idx, alpha=1 - alpha)
    return TrendResult(
        "mann_kendall",
        int(present.sum()),
        str(r.trend),
        bool(r.h),
        float(r.p),
        float(r.z),
        float(r.Tau),
        float(r.s),
        float(r.slope) * steps_per_year,
        float(r.intercept),
        alpha,
        (float(low) * steps_per_year, float(high) * steps_per_year),
    )


def seasonal_kendall(values: ArrayLike, *, period: int = 12, alpha: float = 0.05) -> TrendResult:
    """Seasonal Kendall test and seasonal Sen slope of a regular monthly series (NaN = gap).

    `values[0]` must be the first season (any month: seasons are positions modulo `period`).
    The slope is per cycle, i.e. per year for monthly data. Needs at least two years.
    """
    import pymannkendall as mk

    _check_alpha(alpha)
    if period < 2:
        raise ValidationError("period must be ≥ 2")
    x = _series(values)
    if x.shape[0] < 2 * period:
        raise ValidationError(
            f"a seasonal test needs at least two cycles ({2 * period} values), got {x.shape[0]}"
        )
    r = mk.seasonal_test(x, period=period, alpha=alpha)
    return TrendResult(
        "seasonal_kendall",
        int(np.count_nonzero(~np.isnan(x))),
        str(r.trend),
        bool(r.h),
        float(r.p),
        float(r.z),
        float(r.Tau),
        float(r.s),
        float(r.slope),
        float(r.intercept),
        alpha,
    )


def monthly_grid(months: ArrayLike, values: ArrayLike) -> tuple[NDArray[np.datetime64], FloatArray]:
    """Monthly values (labels `datetime64[M]`, any order, gaps allowed) on a full grid of
    consecutive months starting in January of the first year, NaN where none."""
    m = np.asarray(months, dtype="datetime64[M]")
    v = np.asarray(values, dtype=np.float64)
    if m.shape != v.shape:
        raise ValidationError(f"months {m.shape} and values {v.shape} differ in shape")
    if m.size == 0:
        raise ValidationError("no monthly values")
    first = m.min().astype("datetime64[Y]").astype("datetime64[M]")
    slot = (m - first).astype(np.int64)
    grid = np.full(int(slot.max()) + 1, np.nan)
    grid[slot] = v
    return first + np.arange(grid.shape[0]), grid
