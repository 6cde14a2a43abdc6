"""Forecasts and their evaluation: baselines, scoring, the no-leak fold, the keep/reject verdict,
and a backtest smoke test on a slice of the real AirNow data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from quantrac.analysis import backtest as bt
from quantrac.analysis import forecast as fc
from quantrac.analysis.airnow import read_airnow
from quantrac.errors import ValidationError
from quantrac.indices.aggregates import hourly_grid

H = 3600
T0 = 1_704_042_000 + H  # hour ending 01:00, 1 January 2024 (Vietnam)


def test_forward_fill_bridges_short_gaps_only() -> None:
    y = np.array([1.0, np.nan, np.nan, np.nan, np.nan, 2.0, np.nan])
    filled = fc.forward_fill(y, 3)
    assert filled[:4].tolist() == [1.0, 1.0, 1.0, 1.0]
    assert np.isnan(filled[4])  # four hours after the last value: too far
    assert filled[5:].tolist() == [2.0, 2.0]


def test_lagged_and_leading_matrices() -> None:
    x = np.arange(5.0)
    lag = fc.lagged(x, 3)
    assert lag[4].tolist() == [4.0, 3.0, 2.0] and np.isnan(lag[1, 2])
    lead = fc.leading(x, 2)
    assert lead[0].tolist() == [1.0, 2.0] and np.isnan(lead[4]).all()


def test_baselines_on_a_toy_series() -> None:
    y = np.arange(48.0)
    y[30] = np.nan
    p = fc.persistence(y, 3)
    assert p[10].tolist() == [10.0, 10.0, 10.0] and p[30].tolist() == [29.0, 29.0, 29.0]
    s = fc.seasonal_naive(y, 3)
    assert s[30].tolist() == [7.0, 8.0, 9.0]  # same hour yesterday
    assert s[5].tolist() == [5.0, 5.0, 5.0]  # no yesterday yet: persistence
    assert s[26, 2] == 5.0  # target hour 29: hour 5 the day before
    with pytest.raises(ValidationError, match="horizon ≤ period"):
        fc.seasonal_naive(y, 25)


def test_origin_features_use_only_the_past() -> None:
    t = T0 + H * np.arange(100, dtype=np.int64)
    y = np.random.default_rng(0).uniform(10, 100, 100)
    full = fc.origin_features(t, y)
    changed = y.copy()
    changed[60:] = 999.0
    cut = fc.origin_features(t, changed)
    assert np.array_equal(full[:60], cut[:60], equal_nan=True)
    assert full.shape == (100, fc.LAGS + 8)


@pytest.mark.parametrize(
    ("concentration", "category"),
    [(0.0, 0), (25.0, 0), (25.3, 1), (50.0, 1), (50.4, 2), (80.0, 2), (150.0, 3), (250.0, 4),
     (250.5, 5), (700.0, 5), (np.nan, -1), (-1.0, -1)],
)  # fmt: skip
def test_pm25_category_at_the_breakpoints(concentration: float, category: int) -> None:
    """Decision 1459 Bảng 2: 25 µg/m³ → AQI 50 (Good); AQI is rounded half up before banding
    (25.3 → 50.6 → 51, Moderate)."""
    assert bt.pm25_category([concentration]).tolist() == [category]


def test_score_mae_and_hit_rate_on_known_arrays() -> None:
    y = np.full(60, 20.0)  # Good all along (NowCast 20 → AQI 40)
    y[45] = np.nan
    truth_pred = fc.leading(y, 2)  # an oracle
    off = truth_pred + 10.0  # 10 µg/m³ too high: 30 → Moderate once NowCast reaches it
    origins = np.arange(24, 44, dtype=np.int64)
    oracle = bt.score("oracle", y, truth_pred, origins)
    assert oracle.mae.tolist() == [0.0, 0.0] and oracle.hit_rate.tolist() == [1.0, 1.0]
    biased = bt.score("biased", y, off, origins)
    assert biased.mae.tolist() == [10.0, 10.0]
    assert biased.n.tolist() == [20, 19]  # origin 43 + 2 h is the missing hour 45
    assert biased.mean_hit_rate < 1.0
    gap = bt.score("gap", y, truth_pred, np.array([44], dtype=np.int64))
    assert gap.n.tolist() == [0, 1]  # the target hour 45 never happened: not scored


def test_forecast_nowcast_mixes_observed_and_forecast_hours() -> None:
    y = np.full(30, 40.0)
    pred = np.full((30, 3), 40.0)
    nc = bt.forecast_nowcast(y, pred, np.array([20], dtype=np.int64))
    assert nc.shape == (1, 3) and np.allclose(nc, 40.0)


def test_verdict_keeps_only_a_model_that_beats_both_baselines() -> None:
    def scores(mae: float, hit: float) -> bt.Scores:
        return bt.Scores("m", np.array([mae]), np.array([10]), np.array([hit]), np.array([10]))

    base = {"persistence": scores(10.0, 0.6), "seasonal_naive": scores(12.0, 0.65)}
    assert bt.verdict({**base, "good": scores(8.0, 0.7)}, "good").keep
    worse_mae = bt.verdict({**base, "m": scores(10.5, 0.9)}, "m")
    assert not worse_mae.keep and not worse_mae.beats_on_mae and worse_mae.beats_on_category
    # The hit rate must beat the better baseline on hit rate (seasonal naive here).
    assert not bt.verdict({**base, "m": scores(9.0, 0.62)}, "m").keep


def _synthetic(days: int, seed: int, predictable: bool) -> tuple[np.ndarray, np.ndarray]:
    """Hourly values: a strong daily cycle plus a slow AR(1) level (predictable), or a pure
    random walk in the log (nothing to learn beyond the last value)."""
    rng = np.random.default_rng(seed)
    n = 24 * days
    t = T0 + H * np.arange(n, dtype=np.int64)
    hour = ((t + 7 * H) % 86400) / H
    if predictable:
        level = np.zeros(n)
        for i in range(1, n):
            level[i] = 0.97 * level[i - 1] + rng.normal(0, 0.05)
        log = np.log(40) + level + 0.5 * np.sin(2 * np.pi * (hour - 20) / 24)
    else:
        log = np.log(40) + np.cumsum(rng.normal(0, 0.05, n))
    return t, np.exp(log + rng.normal(0, 0.03, n))


def test_the_model_beats_the_baselines_where_there_is_something_to_learn() -> None:
    t, y = _synthetic(400, 1, predictable=True)
    years = bt.local_years(t)
    fold = bt.run_fold("synthetic", t, y, int(years.max()), kinds=("ridge",))
    v = bt.verdict(fold.scores, "ridge")
    assert v.keep and v.mae_gain > 0.2


def test_the_evaluation_says_so_when_the_model_cannot_win() -> None:
    """A random walk: persistence is the best possible forecast; a learned model can at best
    tie it, and must not be kept on the strength of noise."""
    t, y = _synthetic(400, 2, predictable=False)
    fold = bt.run_fold("walk", t, y, int(bt.local_years(t).max()), kinds=("ridge",))
    v = bt.verdict(fold.scores, "ridge")
    assert abs(v.mae_gain) < 0.05  # no real gain either way
    persistence = fold.scores["persistence"].mean_mae
    assert persistence < fold.scores["seasonal_naive"].mean_mae


def test_a_fold_never_trains_on_its_test_year(monkeypatch: pytest.MonkeyPatch) -> None:
    t, y = _synthetic(400, 3, predictable=True)
    test_year = int(bt.local_years(t).max())
    first_test = int(np.flatnonzero(bt.local_years(t) == test_year)[0])
    seen: list[int] = []
    real_fit = fc.DirectForecaster.fit

    def spy(self, hour_ends, values):  # type: ignore[no-untyped-def]
        seen.append(int(np.asarray(hour_ends)[-1]))
        return real_fit(self, hour_ends, values)

    monkeypatch.setattr(fc.DirectForecaster, "fit", spy)
    fold = bt.run_fold("spy", t, y, test_year, kinds=("ridge",))
    # The last training origin's farthest target (origin + 24 h) is still before the test.
    assert seen == [int(t[first_test - fc.HORIZON - 1])]
    assert fold.origins == int(np.count_nonzero(bt.local_years(t) == test_year))


def test_forecast_next_falls_back_to_the_baseline_without_a_model() -> None:
    t, y = _synthetic(30, 4, predictable=True)
    targets, values, method = fc.forecast_next(t, y)
    assert method == "seasonal_naive" and targets[0] == t[-1] + H and values.shape == (24,)
    assert values.tolist() == y[-24:].tolist()
    model = fc.DirectForecaster(kind="ridge").fit(t, y)
    _, predicted, method = fc.forecast_next(t, y, model)
    assert method == "direct-ridge" and np.all(predicted > 0)


def test_backtest_smoke_on_real_data(shared_dir: Path) -> None:
    """HCMC 2016 → 2017 with ridge: the pipeline runs end to end on real data and the table
    and verdict are produced from its own numbers."""
    folder = shared_dir / "data/air/airnow-us-state-dept"
    s = read_airnow(
        [folder / "HoChiMinhCity_PM2.5_2016_YTD.csv", folder / "HoChiMinhCity_PM2.5_2017_YTD.csv"]
    )
    keep = s.times < 1_488_326_400  # up to the end of February 2017: a small slice
    grid = hourly_grid(s.times[keep], s.valid_values[keep])
    folds = bt.backtest_sites({"HCMC": (grid.times, grid.values)}, kinds=("ridge",))
    (fold,) = folds["HCMC"]
    assert fold.test_year == 2017 and fold.origins > 1000
    for name in ("persistence", "seasonal_naive", "ridge"):
        s_ = fold.scores[name]
        assert s_.mae.shape == (24,) and np.all(s_.mae > 0) and np.all(s_.n > 1000)
        assert 0.0 < s_.mean_hit_rate <= 1.0
    # Persistence is near-perfect an hour ahead and worse a day ahead: sanity of the scoring.
    p = fold.scores["persistence"]
    assert p.mae[0] < p.mae[23] and p.hit_rate[0] > p.hit_rate[23]
    table = bt.markdown_table(folds, ("ridge",))
    assert table.count("| HCMC | 2017 |") == 3
    (line,) = bt.verdict_lines(folds, ("ridge",))
    v = bt.verdict(fold.scores, "ridge")
    assert ("does NOT beat" in line) is (not v.keep)
