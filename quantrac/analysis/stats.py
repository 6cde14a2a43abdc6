"""Descriptive statistics per period and exceedance frequency — what a monitoring report states.

Pure NumPy over (times, values[, flags]). Periods are local (Asia/Ho_Chi_Minh, UTC+7) days,
months or years, and a value stamped at the end of its averaging interval belongs to the
period that interval lies in (the hour ending 00:00 closes the previous day), as in
`quantrac.indices.aggregates`. Only values whose QC flag is accepted count (default: good and
not evaluated, the same default as the aggregates); completeness compares the count with what
the sampling interval promises for the period.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quantrac.errors import ValidationError
from quantrac.indices.aggregates import DEFAULT_ACCEPTED_FLAGS, VN_UTC_OFFSET_S, valid_mask
from quantrac.qc.checks import as_times, sampling_interval

FloatArray = NDArray[np.float64]
PERIODS = ("day", "month", "year", "all")
#: Percentiles reported by default: the quartiles, and the 90/95/98th used by air-quality
#: reporting (WHO guideline statistics use the 99th of daily means; pass it when needed).
DEFAULT_PERCENTILES: tuple[float, ...] = (5.0, 25.0, 50.0, 75.0, 90.0, 95.0, 98.0)
_UNIT = {"day": "D", "month": "M", "year": "Y"}


@dataclass(frozen=True, slots=True)
class PeriodStats:
    """Statistics of one period. `mean`…`percentiles` are NaN when the period has no value."""

    period: str
    count: int
    expected: int | None
    mean: float
    minimum: float
    maximum: float
    std: float
    percentiles: dict[float, float] = field(default_factory=dict)

    @property
    def completeness(self) -> float | None:
        """count / expected (None when the sampling interval is unknown)."""
        if not self.expected:
            return None
        return self.count / self.expected


def period_labels(
    times: ArrayLike, period: str, utc_offset_s: int = VN_UTC_OFFSET_S
) -> NDArray[np.str_]:
    """The local period of each time ('2020-01-31', '2020-01', '2020' or 'all')."""
    if period not in PERIODS:
        raise ValidationError(f"period must be one of {', '.join(PERIODS)}, got {period!r}")
    t = as_times(times)
    if period == "all":
        return np.full(t.shape[0], "all")
    local = (t + utc_offset_s - 1).astype("datetime64[s]")
    return local.astype(f"datetime64[{_UNIT[period]}]").astype(str)


def _expected(label: str, period: str, step: int | None) -> int | None:
    """Readings a period holds at one every `step` seconds (leap years and month lengths
    included); None when the step is unknown."""
    if step is None or period == "all":
        return None
    bounds = np.array([label, label], dtype=f"datetime64[{_UNIT[period]}]") + np.array([0, 1])
    seconds = int(np.diff(bounds.astype("datetime64[s]").astype(np.int64))[0])
    return seconds // step


def describe_values(
    values: ArrayLike, percentiles: Sequence[float] = DEFAULT_PERCENTILES
) -> tuple[float, float, float, float, dict[float, float]]:
    """(mean, min, max, std, {p: value}) of the finite values; NaN when there are none."""
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0:
        nan = float("nan")
        return nan, nan, nan, nan, {float(p): nan for p in percentiles}
    qs: list[float] = np.percentile(x, list(percentiles)).tolist() if percentiles else []
    return (
        float(x.mean()),
        float(x.min()),
        float(x.max()),
        float(x.std(ddof=1)) if x.size > 1 else 0.0,
        {float(p): float(q) for p, q in zip(percentiles, qs, strict=True)},
    )


def describe_by_period(
    times: ArrayLike,
    values: ArrayLike,
    *,
    period: str = "month",
    flags: ArrayLike | None = None,
    accepted_flags: Collection[int] = DEFAULT_ACCEPTED_FLAGS,
    interval_s: int | None = None,
    percentiles: Sequence[float] = DEFAULT_PERCENTILES,
    utc_offset_s: int = VN_UTC_OFFSET_S,
) -> list[PeriodStats]:
    """Count, mean, min, max, std, percentiles and completeness per local period.

    `interval_s` is the sampling interval that sets the expected count (inferred from the
    times when None; no completeness for irregular, e.g. periodic, sampling). Periods with
    rows but no accepted value are listed with count 0.
    """
    v = np.asarray(values, dtype=np.float64)
    t = as_times(times, v.shape[0])
    ok = valid_mask(v, flags, accepted_flags)
    step = interval_s if interval_s is not None else sampling_interval(t)
    labels = period_labels(t, period, utc_offset_s)
    out = []
    for label in np.unique(labels):
        sel = (labels == label) & ok
        mean, lo, hi, std, pct = describe_values(v[sel], percentiles)
        out.append(
            PeriodStats(
                str(label),
                int(sel.sum()),
                _expected(str(label), period, step),
                mean,
                lo,
                hi,
                std,
                pct,
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class Exceedance:
    """How often values broke a limit: `count` of `n` valid values (frequency = count / n)."""

    period: str
    n: int
    count: int
    limit: float
    side: str

    @property
    def frequency(self) -> float:
        return self.count / self.n if self.n else float("nan")


def exceedances(values: ArrayLike, limit: float, side: str = "max") -> NDArray[np.bool_]:
    """True where a value breaks the limit: above a maximum ("không vượt quá": equal
    complies), below a minimum (DO) — the rule of `quantrac.indices.compliance`."""
    if side not in ("max", "min"):
        raise ValidationError(f"side must be 'max' or 'min', got {side!r}")
    if not np.isfinite(limit):
        raise ValidationError(f"limit must be finite, got {limit!r}")
    x = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return (x > limit) if side == "max" else (x < limit)


def exceedance_frequency(
    times: ArrayLike,
    values: ArrayLike,
    limit: float,
    *,
    side: str = "max",
    period: str = "all",
    flags: ArrayLike | None = None,
    accepted_flags: Collection[int] = DEFAULT_ACCEPTED_FLAGS,
    utc_offset_s: int = VN_UTC_OFFSET_S,
) -> list[Exceedance]:
    """Share of valid values beyond `limit` per period.

    The caller passes values averaged as the limit requires (24-h means against a 24-h limit:
    `quantrac.indices.aggregates.daily_means`): comparing hourly values with a daily limit
    would overstate exceedances.
    """
    v = np.asarray(values, dtype=np.float64)
    t = as_times(times, v.shape[0])
    ok = valid_mask(v, flags, accepted_flags)
    over = exceedances(v, limit, side) & ok
    labels = period_labels(t, period, utc_offset_s)
    return [
        Exceedance(
            str(lab),
            int(np.sum(ok & (labels == lab))),
            int(np.sum(over & (labels == lab))),
            float(limit),
            side,
        )
        for lab in np.unique(labels)
    ]
