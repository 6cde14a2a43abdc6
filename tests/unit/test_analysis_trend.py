"""Trend tests on series with known trends, with none, with seasons and with gaps."""

from __future__ import annotations

import numpy as np
import pytest

from quantrac.analysis.trend import mann_kendall, monthly_grid, seasonal_kendall
from quantrac.errors import ValidationError


def monthly(years: int, slope_per_year: float, seed: int, noise: float = 2.0) -> np.ndarray:
    """Monthly means with a strong dry-season cycle (Hà Nội PM2.5-like) and a linear trend."""
    rng = np.random.default_rng(seed)
    m = np.arange(12 * years)
    season = 20 * np.cos(2 * np.pi * m / 12)  # January high, July low
    return 45 + season + slope_per_year * m / 12 + rng.normal(0, noise, m.size)


@pytest.mark.parametrize("slope", [-3.0, -1.5, 1.5, 3.0])
def test_seasonal_kendall_finds_a_known_trend_and_its_size(slope: float) -> None:
    result = seasonal_kendall(monthly(8, slope, seed=1))
    assert result.trend == ("increasing" if slope > 0 else "decreasing")
    assert result.significant and result.p_value < 0.001
    assert result.slope_per_year == pytest.approx(slope, abs=0.35)
    assert result.method == "seasonal_kendall" and result.n == 96


@pytest.mark.parametrize("seed", range(5))
def test_no_trend_is_not_reported_as_one(seed: int) -> None:
    result = seasonal_kendall(monthly(6, 0.0, seed=seed))
    assert not result.significant and result.trend == "no trend"
    assert abs(result.slope_per_year) < 0.6


def test_seasonal_kendall_with_missing_months() -> None:
    """Incomplete months are NaN (monthly_means drops them): the test uses what is left."""
    x = monthly(8, -2.0, seed=4)
    rng = np.random.default_rng(9)
    x[rng.choice(x.size, size=20, replace=False)] = np.nan
    result = seasonal_kendall(x)
    assert result.n == 76 and result.trend == "decreasing" and result.significant
    assert result.slope_per_year == pytest.approx(-2.0, abs=0.5)


def test_mann_kendall_on_annual_means_with_a_gap() -> None:
    years = np.array([60.0, 57.5, np.nan, 52.0, 50.5, 47.0, 45.5, 43.0])
    result = mann_kendall(years)
    assert result.trend == "decreasing" and result.significant
    assert result.n == 7
    # Sen's slope uses the real spacing: the gap year is not squeezed out.
    assert result.slope_per_year == pytest.approx(-2.5, abs=0.3)
    low, high = result.slope_ci  # type: ignore[misc]
    assert low < result.slope_per_year < high < 0


def test_ties_and_a_flat_series() -> None:
    flat = mann_kendall([5.0] * 10)
    assert flat.trend == "no trend" and flat.slope_per_year == 0.0 and flat.s == 0


def test_summary_in_vietnamese_and_english() -> None:
    r = seasonal_kendall(monthly(8, -2.0, seed=3))
    assert r.summary("µg/m³").startswith("giảm (-")
    assert "µg/m³/năm" in r.summary("µg/m³") and "có ý nghĩa thống kê" in r.summary("µg/m³")
    assert r.summary("µg/m³", "en").startswith("decreasing (-")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: mann_kendall([1.0, 2.0, np.nan, 3.0]), "at least 4 values"),
        (lambda: mann_kendall([[1.0, 2.0]]), "one series"),
        (lambda: mann_kendall([1.0, 2.0, 3.0, np.inf]), "infinity"),
        (lambda: mann_kendall(np.arange(10.0), alpha=1.5), "alpha"),
        (lambda: seasonal_kendall(np.arange(20.0)), "two cycles"),
        (lambda: seasonal_kendall(np.arange(30.0), period=1), "period"),
    ],
)
def test_bad_input_is_refused(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match=message):
        call()


def test_monthly_grid_starts_in_january_and_fills_gaps() -> None:
    months = np.array(["2019-03", "2019-05", "2020-01"], dtype="datetime64[M]")
    labels, values = monthly_grid(months, [1.0, 2.0, 3.0])
    assert labels[0] == np.datetime64("2019-01") and labels.size == 13
    assert values[2] == 1.0 and values[4] == 2.0 and values[12] == 3.0
    assert np.isnan(values[[0, 1, 3, 5, 11]]).all()
