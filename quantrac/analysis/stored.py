"""Analysis over stored series: the I/O edge that reads the store and calls the pure modules
(`stats`, `trend`, `forecast`). Nothing here writes.

Values enter only with an accepted QC flag (good or not evaluated, as in the aggregates) and
sub-hourly data are first averaged to hourly means with the aggregates' completeness rule.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from quantrac.analysis import forecast as fc
from quantrac.analysis.backtest import BASELINES, pm25_category, score
from quantrac.analysis.stats import PeriodStats, describe_by_period
from quantrac.analysis.trend import TrendResult, mann_kendall, monthly_grid, seasonal_kendall
from quantrac.catalog.index_tables import aqi_categories
from quantrac.errors import ValidationError
from quantrac.indices import aggregates as agg
from quantrac.indices.aqi import nowcast_series
from quantrac.qc.checks import sampling_interval
from quantrac.review.window import SeriesInfo, find_series, read_window
from quantrac.store.db import Store

HOUR_S = 3600
DAY_S = 86400


@dataclass(frozen=True, eq=False)
class HourlySeries:
    info: SeriesInfo
    hour_ends: NDArray[np.int64]
    values: NDArray[np.float64]  # NaN = no accepted value that hour


def hourly_series(
    store: Store,
    station: str,
    parameter: str,
    *,
    start: int | None = None,
    end: int | None = None,
    accepted_flags: Collection[int] = agg.DEFAULT_ACCEPTED_FLAGS,
) -> HourlySeries:
    """A stored series as a regular hourly grid of accepted values."""
    with store.read() as conn:
        info = find_series(conn, station, parameter)
        w = read_window(conn, info.id, start, end)
    ok = np.isin(w.flag, list(accepted_flags)) & ~np.isnan(w.value)
    if not ok.any():
        raise ValidationError(f"{station} {parameter}: no accepted values in the period")
    step = info.reporting_interval_s or sampling_interval(w.time) or HOUR_S
    t, v = w.time[ok], w.value[ok]
    if step < HOUR_S or np.any(t % HOUR_S):
        hourly = agg.hourly_means(t, v, interval_s=min(step, HOUR_S))
        grid = agg.hourly_grid(hourly.labels, hourly.values)
    else:
        grid = agg.hourly_grid(t, v)
    return HourlySeries(info, grid.times, grid.values)


def statistics(
    store: Store,
    station: str,
    parameter: str,
    *,
    period: str = "month",
    start: int | None = None,
    end: int | None = None,
) -> tuple[SeriesInfo, list[PeriodStats]]:
    """Descriptive statistics of the stored values per period (accepted flags only)."""
    with store.read() as conn:
        info = find_series(conn, station, parameter)
        w = read_window(conn, info.id, start, end)
    return info, describe_by_period(
        w.time, w.value, period=period, flags=w.flag, interval_s=info.reporting_interval_s
    )


@dataclass(frozen=True, eq=False)
class TrendReport:
    """Monthly means and the trend tests run on them."""

    info: SeriesInfo
    months: NDArray[np.datetime64]
    monthly: NDArray[np.float64]  # NaN = month missing or under the completeness minimum
    seasonal: TrendResult | None
    annual: TrendResult | None
    notes: tuple[str, ...]


def trend(
    store: Store,
    station: str,
    parameter: str,
    *,
    start: int | None = None,
    end: int | None = None,
    min_fraction: float = agg.DEFAULT_MIN_FRACTION_MONTH,
    alpha: float = 0.05,
) -> TrendReport:
    """Seasonal Kendall on complete monthly means; Mann-Kendall on annual means of years
    with at least 9 complete months (four such years needed)."""
    hs = hourly_series(store, station, parameter, start=start, end=end)
    monthly = agg.monthly_means(hs.hour_ends, hs.values, min_fraction=min_fraction)
    months, values = monthly_grid(monthly.labels, monthly.values)
    notes = []
    seasonal = None
    try:
        seasonal = seasonal_kendall(values, alpha=alpha)
    except ValidationError as exc:
        notes.append(f"seasonal Kendall not run: {exc}")
    # The grid starts in January, so rows of 12 are calendar years.
    years = np.pad(values, (0, (-values.size) % 12), constant_values=np.nan).reshape(-1, 12)
    months_present = np.sum(~np.isnan(years), axis=1)
    sums = np.nansum(years, axis=1)
    annual_means = np.where(months_present >= 9, sums / np.maximum(months_present, 1), np.nan)
    annual = None
    try:
        annual = mann_kendall(annual_means, alpha=alpha)
    except ValidationError as exc:
        notes.append(f"Mann-Kendall on annual means not run: {exc}")
    return TrendReport(hs.info, months, values, seasonal, annual, tuple(notes))


@dataclass(frozen=True, eq=False)
class Forecast:
    """The next 24 hours at a station: PM2.5, its hourly NowCast VN_AQI category, and which
    method made it (the model only when it beat both baselines on the station's own recent
    data — `holdout` holds the mean MAEs that decided)."""

    info: SeriesInfo
    hour_ends: NDArray[np.int64]
    values: NDArray[np.float64]
    categories: tuple[str, ...]
    method: str
    holdout: dict[str, float]
    notes: tuple[str, ...]


#: History the forecaster is trained on, and the most recent part held out to decide whether
#: it beats the baselines at this station.
TRAIN_DAYS = 730
HOLDOUT_DAYS = 60
MIN_TRAIN_HOURS = 24 * 180


def forecast(
    store: Store, station: str, *, end: int | None = None, kind: str = "ridge"
) -> Forecast:
    """Forecast the station's PM2.5 for the 24 hours after its newest stored hour (or `end`).

    The model is trained on up to two years before the last 60 days and scored on those 60
    days against persistence and seasonal naive; it makes the forecast only if its mean MAE
    beats both, otherwise the better baseline does (and the result says so). It is then
    refitted on all the history for the forecast itself.
    """
    start = None if end is None else end - (TRAIN_DAYS + HOLDOUT_DAYS) * DAY_S
    hs = hourly_series(store, station, "PM25", start=start, end=end)
    t, y = hs.hour_ends, hs.values
    notes: list[str] = []
    holdout: dict[str, float] = {}
    cut = int(np.searchsorted(t, t[-1] - HOLDOUT_DAYS * DAY_S))
    method = "seasonal_naive"
    model: fc.DirectForecaster | None = None
    if np.count_nonzero(~np.isnan(y[: max(cut - fc.HORIZON, 0)])) < MIN_TRAIN_HOURS:
        notes.append(f"less than {MIN_TRAIN_HOURS // 24} days of history: baseline only")
    else:
        trial = fc.DirectForecaster(kind=kind).fit(t[: cut - fc.HORIZON], y[: cut - fc.HORIZON])
        origins = np.flatnonzero(~np.isnan(y) & (np.arange(y.size) >= cut)).astype(np.int64)
        preds = {
            "persistence": fc.persistence(y),
            "seasonal_naive": fc.seasonal_naive(y),
            kind: trial.predict(t, y),
        }
        holdout = {name: score(name, y, p, origins).mean_mae for name, p in preds.items()}
        best_baseline = min(BASELINES, key=lambda b: holdout[b])
        if holdout[kind] < holdout[best_baseline]:
            method = kind
            model = fc.DirectForecaster(kind=kind).fit(t, y)
        else:
            method = best_baseline
            notes.append(f"the model did not beat {best_baseline} on the last {HOLDOUT_DAYS} days")
    targets = t[-1] + HOUR_S * np.arange(1, fc.HORIZON + 1, dtype=np.int64)
    if model is not None:
        values = model.predict(t, y)[-1]
    elif method == "persistence":
        values = fc.persistence(y)[-1]
    else:
        values = fc.seasonal_naive(y)[-1]
    path = np.concatenate([y[-12:], values])
    nowcast = nowcast_series(path)[12:]
    labels = [c.label_vi for c in aqi_categories()]
    cats = tuple(labels[c] if c >= 0 else "" for c in pm25_category(nowcast))
    return Forecast(hs.info, targets, values, cats, method, holdout, tuple(notes))
