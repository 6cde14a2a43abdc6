"""Honest scoring of 24-hour PM2.5 forecasts: rolling-origin backtests against baselines.

A forecast is judged only on hours that really happened and that the provider kept as valid.
Each fold trains on everything before a calendar year (local time) and forecasts every hour
of that year from every origin with a present value — the model never sees its test year,
not even through the targets of its last training origins (they stop 24 h before the test).

Scores per horizon h = 1…24:

- MAE of the hourly PM2.5 forecast (µg/m³);
- hit rate of the VN_AQI category (Decision 1459 Bảng 1) of the **hourly NowCast** at t+h,
  PM2.5 sub-index only: the NowCast of the forecast path (observed hours up to t, forecast
  hours after) against the NowCast of the observed hours. NowCast is what the hourly VN_AQI
  publishes for PM2.5 (§2.2.1.a), so this is the category a person would have been shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quantrac.analysis.forecast import (
    HORIZON,
    HOUR_S,
    UTC_OFFSET_S,
    DirectForecaster,
    persistence,
    seasonal_naive,
)
from quantrac.catalog.index_tables import aqi_categories
from quantrac.errors import ValidationError
from quantrac.indices.aqi import NOWCAST_HOURS, nowcast_series, round_half_up, sub_index_array

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BASELINES = ("persistence", "seasonal_naive")
#: Horizons shown in the published table.
REPORT_HORIZONS = (1, 3, 6, 12, 24)


def pm25_category(concentration: ArrayLike) -> IntArray:
    """Index (0 = Good … 5 = Hazardous) of the VN_AQI band of a PM2.5 concentration's
    sub-index, −1 where there is none (NaN or negative)."""
    raw, _ = sub_index_array("pm25", concentration)
    value = round_half_up(raw)
    minima = np.array([c.minimum for c in aqi_categories()], dtype=np.float64)
    out = np.searchsorted(minima, np.where(np.isnan(value), -1.0, value), side="right") - 1
    return np.where(np.isnan(value), -1, out).astype(np.int64)


def forecast_nowcast(y: FloatArray, predictions: FloatArray, origins: IntArray) -> FloatArray:
    """(len(origins), H) NowCast at t+1…t+H of the path: observed y up to t, then forecasts."""
    h = predictions.shape[1]
    past = np.full((origins.shape[0], NOWCAST_HOURS), np.nan)
    for k in range(NOWCAST_HOURS):
        idx = origins - (NOWCAST_HOURS - 1 - k)
        ok = idx >= 0
        past[ok, k] = y[idx[ok]]
    path = np.concatenate([past, predictions[origins]], axis=1)
    return nowcast_series(path)[:, NOWCAST_HOURS : NOWCAST_HOURS + h]


@dataclass(frozen=True, eq=False)
class Scores:
    """One model's scores per horizon (index h−1) over one set of origins."""

    model: str
    mae: FloatArray
    n: IntArray
    hit_rate: FloatArray
    n_category: IntArray

    @property
    def mean_mae(self) -> float:
        """MAE over all horizons, each horizon weighted by its number of scored hours."""
        return float(np.sum(self.mae * self.n) / max(int(self.n.sum()), 1))

    @property
    def mean_hit_rate(self) -> float:
        return float(np.sum(self.hit_rate * self.n_category) / max(int(self.n_category.sum()), 1))


def score(model: str, y: FloatArray, predictions: FloatArray, origins: IntArray) -> Scores:
    """MAE and NowCast-category hit rate per horizon of `predictions` made at `origins`."""
    horizon = predictions.shape[1]
    idx = origins[:, None] + np.arange(1, horizon + 1)[None, :]
    inside = idx < y.shape[0]
    truth = np.full(idx.shape, np.nan)
    truth[inside] = y[idx[inside]]
    pred = predictions[origins]
    ok = ~np.isnan(truth) & ~np.isnan(pred)
    err = np.where(ok, np.abs(pred - truth), 0.0)
    n = ok.sum(axis=0).astype(np.int64)
    mae = err.sum(axis=0) / np.maximum(n, 1)
    actual_nc = nowcast_series(y)
    nc_truth = np.full(idx.shape, np.nan)
    nc_truth[inside] = actual_nc[idx[inside]]
    cat_true = pm25_category(nc_truth)
    cat_pred = pm25_category(forecast_nowcast(y, predictions, origins))
    judged = (cat_true >= 0) & (cat_pred >= 0)
    n_cat = judged.sum(axis=0).astype(np.int64)
    hits = ((cat_true == cat_pred) & judged).sum(axis=0) / np.maximum(n_cat, 1)
    return Scores(model, np.where(n > 0, mae, np.nan), n, hits, n_cat)


@dataclass(frozen=True, eq=False)
class Fold:
    """One backtest fold: the test year, its origins and every model's scores."""

    site: str
    test_year: int
    train_hours: int
    origins: int
    scores: Mapping[str, Scores]


def local_years(hour_ends: ArrayLike) -> IntArray:
    """Local calendar year of each hour-end time (the hour ending 00:00 on 1 January belongs
    to the year before)."""
    t = np.asarray(hour_ends, dtype=np.int64) + UTC_OFFSET_S - HOUR_S
    return t.astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64) + 1970


Predictor = Callable[[FloatArray], FloatArray]


def run_fold(
    site: str,
    hour_ends: IntArray,
    y: FloatArray,
    test_year: int,
    *,
    kinds: Sequence[str] = ("hgb",),
    horizon: int = HORIZON,
    seed: int = 0,
) -> Fold:
    """Train on hours before `test_year`, score on origins inside it (see module docstring)."""
    years = local_years(hour_ends)
    test = years == test_year
    if not test.any():
        raise ValidationError(f"{site}: no hours in {test_year}")
    first_test = int(np.flatnonzero(test)[0])
    # Training targets must end before the test year starts: cut the grid `horizon` hours
    # earlier so no training row has a target inside the test year.
    train_end = max(first_test - horizon, 0)
    origins = np.flatnonzero(test & ~np.isnan(y)).astype(np.int64)
    predictions: dict[str, FloatArray] = {
        "persistence": persistence(y, horizon),
        "seasonal_naive": seasonal_naive(y, horizon),
    }
    for kind in kinds:
        model = DirectForecaster(kind=kind, horizon=horizon, seed=seed)
        model.fit(hour_ends[:train_end], y[:train_end])
        # Predict on the full grid so test origins see their own past; the fit never did.
        predictions[kind] = model.predict(hour_ends, y)
    scores = {name: score(name, y, pred, origins) for name, pred in predictions.items()}
    return Fold(
        site, test_year, int(np.count_nonzero(~np.isnan(y[:train_end]))), origins.size, scores
    )


def backtest_site(
    site: str,
    hour_ends: ArrayLike,
    y: ArrayLike,
    *,
    min_train_hours: int = 6000,
    kinds: Sequence[str] = ("hgb",),
    horizon: int = HORIZON,
    years: Sequence[int] | None = None,
) -> list[Fold]:
    """One fold per test year after at least `min_train_hours` of valid training data."""
    t = np.asarray(hour_ends, dtype=np.int64)
    x = np.asarray(y, dtype=np.float64)
    if t.shape != x.shape or np.any(np.diff(t) != HOUR_S):
        raise ValidationError("backtest needs a regular hourly grid (use hourly_grid first)")
    all_years = local_years(t)
    folds = []
    for year in years if years is not None else np.unique(all_years).tolist():
        before = np.count_nonzero(~np.isnan(x[all_years < year]))
        if before < min_train_hours or not np.any(all_years == year):
            continue
        folds.append(run_fold(site, t, x, int(year), kinds=kinds, horizon=horizon))
    return folds


def pooled(folds: Sequence[Fold], model: str) -> Scores:
    """One model's scores over several folds, each hour counted once."""
    parts = [f.scores[model] for f in folds if model in f.scores]
    if not parts:
        raise ValidationError(f"no fold scored model {model!r}")
    n = np.sum([p.n for p in parts], axis=0)
    n_cat = np.sum([p.n_category for p in parts], axis=0)
    mae = np.sum([np.nan_to_num(p.mae) * p.n for p in parts], axis=0) / np.maximum(n, 1)
    hits = np.sum([p.hit_rate * p.n_category for p in parts], axis=0) / np.maximum(n_cat, 1)
    return Scores(model, mae, n, hits, n_cat)


@dataclass(frozen=True, slots=True)
class Verdict:
    """Does `model` beat both baselines? On mean MAE and on mean category hit rate."""

    model: str
    beats_on_mae: bool
    beats_on_category: bool
    mae_gain: float  # relative to the better baseline, > 0 is better
    hit_gain: float  # percentage points over the better baseline

    @property
    def keep(self) -> bool:
        return self.beats_on_mae and self.beats_on_category


def verdict(scores: Mapping[str, Scores], model: str) -> Verdict:
    """Compare `model` with the best baseline on each measure (the lowest MAE, the highest
    hit rate — not necessarily the same baseline)."""
    best_mae = min(scores[b].mean_mae for b in BASELINES)
    best_hit = max(scores[b].mean_hit_rate for b in BASELINES)
    mine = scores[model]
    return Verdict(
        model,
        mine.mean_mae < best_mae,
        mine.mean_hit_rate > best_hit,
        1.0 - mine.mean_mae / best_mae if best_mae > 0 else 0.0,
        100.0 * (mine.mean_hit_rate - best_hit),
    )


def backtest_sites(
    sites: Mapping[str, tuple[ArrayLike, ArrayLike]],
    *,
    kinds: Sequence[str] = ("ridge", "hgb"),
    min_train_hours: int = 6000,
) -> dict[str, list[Fold]]:
    """`backtest_site` for each site's (hour ends, valid values) — any regular hourly grid."""
    return {
        site: backtest_site(site, t, y, kinds=kinds, min_train_hours=min_train_hours)
        for site, (t, y) in sites.items()
    }


def markdown_table(
    folds_by_site: Mapping[str, Sequence[Fold]],
    models: Sequence[str],
    horizons: Sequence[int] = REPORT_HORIZONS,
) -> str:
    """The published table: per site (folds pooled) and model, MAE per horizon and over
    1–24 h, and the NowCast VN_AQI category hit rate at 1 h, 24 h and over 1–24 h."""
    head = (
        ["site", "test years", "model"]
        + [f"MAE {h} h" for h in horizons]
        + ["MAE 1–24 h", "hit 1 h", "hit 24 h", "hit 1–24 h"]
    )
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for site, folds in folds_by_site.items():
        if not folds:
            continue
        years = ", ".join(str(f.test_year) for f in folds)
        for model in (*BASELINES, *models):
            s = pooled(folds, model)
            cells = [site, years, model]
            cells += [f"{s.mae[h - 1]:.1f}" for h in horizons]
            cells += [f"{s.mean_mae:.2f}", f"{s.hit_rate[0]:.1%}", f"{s.hit_rate[-1]:.1%}"]
            cells += [f"{s.mean_hit_rate:.1%}"]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def verdict_lines(folds_by_site: Mapping[str, Sequence[Fold]], models: Sequence[str]) -> list[str]:
    """One plain sentence per site and model: does it beat both baselines?"""
    out = []
    for site, folds in folds_by_site.items():
        if not folds:
            continue
        pooled_scores = {m: pooled(folds, m) for m in (*BASELINES, *models)}
        for model in models:
            v = verdict(pooled_scores, model)
            word = "beats" if v.keep else "does NOT beat"
            lower = "lower" if v.mae_gain >= 0 else "higher"
            out.append(
                f"{site}: {model} {word} both baselines (mean MAE {abs(v.mae_gain):.1%} "
                f"{lower} than the better baseline, category hit rate {v.hit_gain:+.1f} points)"
            )
    return out
