"""Short-term PM2.5 forecasts for the next 24 hours, and the baselines they must beat.

Every forecaster works on a regular hourly grid (NaN = no valid value) and predicts, at each
origin hour t, the values at t+1 … t+24. Pure: arrays in, arrays out; nothing is stored.

- `persistence`: every future hour equals the last observed value — hard to beat at 1–3 h.
- `seasonal_naive`: the value at the same hour yesterday (t+h−24), persistence where that is
  missing — strong at 24 h because PM2.5 follows a daily cycle (traffic, boundary layer).
- `DirectForecaster`: one regression per horizon ("direct" strategy: no error feedback through
  recursive steps) on the log of the last 24 hourly values, their 6-h and 24-h means and
  spread, the local hour of day and the season. Log scale because PM2.5 is skewed and its
  errors grow with its level. Histogram gradient boosting with absolute-error loss (it
  predicts the median, which minimises MAE, and handles gaps natively), or ridge regression.

`quantrac.analysis.backtest` scores them on the real AirNow series; a model is only used when
the backtest shows it beats both baselines.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quantrac.errors import ValidationError

FloatArray = NDArray[np.float64]
HOUR_S = 3600
DAY_S = 86400
HORIZON = 24
LAGS = 24
#: Short gaps (≤ this many hours) are bridged with the last value when building features.
FFILL_HOURS = 3
UTC_OFFSET_S = 7 * HOUR_S
MODEL_KINDS = ("hgb", "ridge")


def forward_fill(y: ArrayLike, limit: int = FFILL_HOURS) -> FloatArray:
    """NaN replaced by the last present value when it is at most `limit` steps back."""
    x = np.asarray(y, dtype=np.float64)
    idx = np.where(~np.isnan(x), np.arange(x.shape[0]), -1)
    last = np.maximum.accumulate(idx) if x.shape[0] else idx
    ok = (last >= 0) & (np.arange(x.shape[0]) - last <= limit)
    out = np.full(x.shape, np.nan)
    out[ok] = x[last[ok]]
    return out


def lagged(x: FloatArray, lags: int) -> FloatArray:
    """(n, lags) matrix whose column k holds x[i − k] (NaN before the start)."""
    n = x.shape[0]
    out = np.full((n, lags), np.nan)
    for k in range(lags):
        out[k:, k] = x[: n - k]
    return out


def leading(x: FloatArray, horizon: int) -> FloatArray:
    """(n, horizon) matrix whose column h−1 holds x[i + h] (NaN past the end)."""
    n = x.shape[0]
    out = np.full((n, horizon), np.nan)
    for h in range(1, horizon + 1):
        out[: n - h, h - 1] = x[h:]
    return out


def to_log(y: ArrayLike) -> FloatArray:
    """log(1 + max(y, 0)): PM2.5 on a scale where errors are roughly proportional."""
    return np.log1p(np.clip(np.asarray(y, dtype=np.float64), 0.0, None))


def from_log(z: ArrayLike) -> FloatArray:
    return np.expm1(np.asarray(z, dtype=np.float64))


def origin_features(hour_ends: ArrayLike, y: ArrayLike) -> FloatArray:
    """Features at every origin of an hourly grid: (n, LAGS + 8).

    Columns: log value at lags 0…23 (gaps ≤ 3 h bridged), mean of the last 6 h and 24 h,
    spread (std) and count of present hours in the last 24 h, sin/cos of the local hour of
    the origin and of the day of year. Only values at or before the origin are used.
    """
    t = np.asarray(hour_ends, dtype=np.int64)
    lags = lagged(to_log(forward_fill(y)), LAGS)
    with warnings.catch_warnings():
        # An all-NaN window (a long gap) gives NaN by design: nothing to warn about.
        warnings.simplefilter("ignore", category=RuntimeWarning)
        mean6 = np.nanmean(lags[:, :6], axis=1)
        mean24 = np.nanmean(lags, axis=1)
        std24 = np.nanstd(lags, axis=1)
    present = np.sum(~np.isnan(lags), axis=1).astype(np.float64)
    local = t + UTC_OFFSET_S
    hour = 2 * np.pi * ((local % DAY_S) / DAY_S)
    doy = 2 * np.pi * (((local // DAY_S) % 365.25) / 365.25)
    return np.column_stack(
        [lags, mean6, mean24, std24, present, np.sin(hour), np.cos(hour), np.sin(doy), np.cos(doy)]
    )


# --------------------------------------------------------------------------------------------
# baselines
# --------------------------------------------------------------------------------------------
def persistence(y: ArrayLike, horizon: int = HORIZON) -> FloatArray:
    """(n, horizon): the last observed value (gaps ≤ 3 h bridged) at every horizon."""
    last = forward_fill(y)
    return np.repeat(last[:, None], horizon, axis=1)


def seasonal_naive(y: ArrayLike, horizon: int = HORIZON, period: int = 24) -> FloatArray:
    """(n, horizon): the value one `period` before the target hour (same hour yesterday),
    persistence where that value is missing. Needs horizon ≤ period (no future values)."""
    if horizon > period:
        raise ValidationError(f"seasonal naive needs horizon ≤ period, got {horizon} > {period}")
    x = np.asarray(y, dtype=np.float64)
    past = lagged(x, period)  # column k = x[i − k]; target i+h needs x[i + h − period]
    cols = [period - h for h in range(1, horizon + 1)]
    out = past[:, cols]
    fallback = persistence(x, horizon)
    return np.where(np.isnan(out), fallback, out)


# --------------------------------------------------------------------------------------------
# the learned model
# --------------------------------------------------------------------------------------------
def _make_regressor(kind: str, seed: int) -> Any:
    if kind == "hgb":
        from sklearn.ensemble import HistGradientBoostingRegressor

        return HistGradientBoostingRegressor(
            loss="absolute_error",
            learning_rate=0.08,
            max_iter=150,
            max_leaf_nodes=31,
            min_samples_leaf=40,
            l2_regularization=1.0,
            early_stopping=False,
            random_state=seed,
        )
    if kind == "ridge":
        from sklearn.linear_model import Ridge

        return Ridge(alpha=1.0)
    raise ValidationError(f"unknown forecast model {kind!r}; known: {', '.join(MODEL_KINDS)}")


def _make_preprocessing(kind: str) -> Any:
    """Ridge needs gaps filled and features on one scale; trees take NaN and raw scales.
    Fitted once and shared by the 24 horizons (the features are the same for all)."""
    if kind != "ridge":
        return None
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(SimpleImputer(strategy="median"), StandardScaler())


@dataclass
class DirectForecaster:
    """One regressor per horizon on `origin_features`, trained on log PM2.5.

    Training rows are origins whose own value and target are present; `max_rows` keeps the
    most recent origins to bound the fitting time on a shared machine.
    """

    kind: str = "ridge"
    horizon: int = HORIZON
    seed: int = 0
    max_rows: int | None = 40_000
    models: list[Any] = field(default_factory=list)
    preprocessing: Any = None

    def _features(self, hour_ends: ArrayLike, x: FloatArray) -> FloatArray:
        """`origin_features`, through the preprocessing when there is one; rows whose origin
        has no recent value stay NaN in their first column (nothing to forecast from)."""
        features = origin_features(hour_ends, x)
        if self.preprocessing is None:
            return features
        ok = ~np.isnan(features[:, 0])
        if ok.any():
            features[ok] = self.preprocessing.transform(features[ok])
        return features

    def fit(self, hour_ends: ArrayLike, y: ArrayLike) -> DirectForecaster:
        """Fit on one station's hourly grid (NaN = no valid value)."""
        if self.kind not in MODEL_KINDS:
            raise ValidationError(f"unknown forecast model {self.kind!r}; known: {MODEL_KINDS}")
        x = np.asarray(y, dtype=np.float64)
        usable = ~np.isnan(x)
        self.preprocessing = _make_preprocessing(self.kind)
        if self.preprocessing is not None:
            if not usable.any():
                raise ValidationError("no values to train on")
            self.preprocessing.fit(origin_features(hour_ends, x)[usable])
        features = self._features(hour_ends, x)
        targets = leading(to_log(x), self.horizon)
        self.models = []
        for h in range(self.horizon):
            rows = np.flatnonzero(usable & ~np.isnan(targets[:, h]))
            if self.max_rows is not None and rows.shape[0] > self.max_rows:
                rows = rows[-self.max_rows :]
            if rows.shape[0] < 10 * features.shape[1]:
                raise ValidationError(
                    f"too little training data for horizon {h + 1}: {rows.shape[0]} rows"
                )
            model = _make_regressor(self.kind, self.seed)
            model.fit(features[rows], targets[rows, h])
            self.models.append(model)
        return self

    def predict(self, hour_ends: ArrayLike, y: ArrayLike) -> FloatArray:
        """(n, horizon) forecasts in µg/m³ for every origin of the grid (NaN where the origin
        has no recent value: nothing to forecast from)."""
        if not self.models:
            raise ValidationError("the forecaster is not fitted")
        x = np.asarray(y, dtype=np.float64)
        features = self._features(hour_ends, x)
        out = np.full((x.shape[0], self.horizon), np.nan)
        ok = ~np.isnan(features[:, 0])
        if ok.any():
            for h, model in enumerate(self.models):
                out[ok, h] = from_log(model.predict(features[ok]))
        return np.clip(out, 0.0, None)


def forecast_next(
    hour_ends: ArrayLike, y: ArrayLike, model: DirectForecaster | None = None
) -> tuple[NDArray[np.int64], FloatArray, str]:
    """Forecast the 24 hours after the last grid hour: (target hour ends, values, method).

    Without a fitted model this is the seasonal-naive baseline — the method says which.
    """
    t = np.asarray(hour_ends, dtype=np.int64)
    x = np.asarray(y, dtype=np.float64)
    if t.shape[0] == 0:
        raise ValidationError("no data to forecast from")
    horizon = model.horizon if model is not None else HORIZON
    targets = t[-1] + HOUR_S * np.arange(1, horizon + 1, dtype=np.int64)
    if model is not None:
        return targets, model.predict(t, x)[-1], f"direct-{model.kind}"
    return targets, seasonal_naive(x, horizon)[-1], "seasonal_naive"


def horizons_label(horizons: Sequence[int]) -> str:
    return ", ".join(f"{h} h" for h in horizons)
