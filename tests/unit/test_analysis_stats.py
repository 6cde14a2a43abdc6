"""Descriptive statistics per period and exceedance frequency."""

from __future__ import annotations

import numpy as np
import pytest

from quantrac.analysis.stats import (
    describe_by_period,
    describe_values,
    exceedance_frequency,
    exceedances,
    period_labels,
)
from quantrac.errors import ValidationError

H = 3600
JAN1 = 1_704_042_000  # 2024-01-01 00:00 Vietnam time (UTC+7)


@pytest.mark.parametrize(
    ("offset_h", "day", "month", "year"),
    [
        (1, "2024-01-01", "2024-01", "2024"),  # the hour ending 01:00 on 1 January
        (24, "2024-01-01", "2024-01", "2024"),  # the hour ending 00:00 on the 2nd: still the 1st
        (25, "2024-01-02", "2024-01", "2024"),
        (0, "2023-12-31", "2023-12", "2023"),  # ending at midnight: the old year
        (31 * 24, "2024-01-31", "2024-01", "2024"),
        (31 * 24 + 1, "2024-02-01", "2024-02", "2024"),
    ],
)
def test_period_labels_follow_the_hour_ending_convention(
    offset_h: int, day: str, month: str, year: str
) -> None:
    t = [JAN1 + offset_h * H]
    assert period_labels(t, "day")[0] == day
    assert period_labels(t, "month")[0] == month
    assert period_labels(t, "year")[0] == year
    assert period_labels(t, "all")[0] == "all"


def test_describe_by_day_counts_completeness_and_percentiles() -> None:
    t = JAN1 + H * np.arange(1, 49)  # two full local days of hourly values
    v = np.arange(1.0, 49.0)
    v[5] = np.nan  # missing
    flags = np.ones(48, dtype=int)
    flags[30] = 4  # bad: does not count
    days = describe_by_period(t, v, period="day", flags=flags)
    assert [d.period for d in days] == ["2024-01-01", "2024-01-02"]
    first, second = days
    assert (first.count, first.expected) == (23, 24)
    assert first.completeness == pytest.approx(23 / 24)
    kept = np.delete(np.arange(1.0, 25.0), 5)
    assert first.mean == pytest.approx(kept.mean())
    assert (first.minimum, first.maximum) == (1.0, 24.0)
    assert first.percentiles[50.0] == pytest.approx(np.percentile(kept, 50))
    assert first.percentiles[98.0] == pytest.approx(np.percentile(kept, 98))
    assert first.std == pytest.approx(np.std(kept, ddof=1))
    assert (second.count, second.minimum) == (23, 25.0)


def test_months_expect_their_own_length_and_irregular_data_no_completeness() -> None:
    t = JAN1 + H * np.arange(1, 24 * 60 + 1)  # 1 January → 29 February 2024 (leap year)
    months = describe_by_period(t, np.ones(t.size), period="month")
    assert [(m.period, m.count, m.expected) for m in months] == [
        ("2024-01", 744, 744),
        ("2024-02", 696, 696),
    ]
    samples = JAN1 + np.array([0, 5, 17, 40, 41]) * 86400 + 9 * H  # lab samples
    (all_,) = describe_by_period(samples, [1.0, 2.0, 3.0, 4.0, 5.0], period="all")
    assert all_.expected is None and all_.completeness is None and all_.count == 5


def test_a_period_without_accepted_values_is_listed_empty() -> None:
    t = JAN1 + H * np.arange(1, 25)
    (day,) = describe_by_period(t, np.ones(24), period="day", flags=np.full(24, 3))
    assert day.count == 0 and np.isnan(day.mean) and np.isnan(day.percentiles[50.0])


def test_describe_values_ignores_nan_and_infinity() -> None:
    mean, lo, hi, std, pct = describe_values([1.0, np.nan, 3.0, np.inf], (50.0,))
    assert (mean, lo, hi, pct[50.0]) == (2.0, 1.0, 3.0, 2.0)
    assert std == pytest.approx(np.sqrt(2))


@pytest.mark.parametrize(
    ("side", "values", "expected"),
    [
        ("max", [49.9, 50.0, 50.1, np.nan], [False, False, True, False]),  # equal complies
        ("min", [4.9, 5.0, 5.1, np.nan], [True, False, False, False]),  # DO floor
    ],
)
def test_exceedances_at_the_limit(side: str, values: list[float], expected: list[bool]) -> None:
    limit = 50.0 if side == "max" else 5.0
    assert exceedances(values, limit, side).tolist() == expected


def test_exceedance_frequency_per_month_counts_only_valid_values() -> None:
    days = JAN1 + 86400 * np.arange(1, 61)  # daily means labelled at the end of each day
    means = np.where(np.arange(60) % 4 == 0, 60.0, 30.0)
    flags = np.ones(60, dtype=int)
    flags[0] = 4  # a bad day above the limit is not an exceedance
    result = exceedance_frequency(days, means, 50.0, period="month", flags=flags)
    assert [(r.period, r.n, r.count) for r in result] == [("2024-01", 30, 7), ("2024-02", 29, 7)]
    assert result[0].frequency == pytest.approx(7 / 30)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: period_labels([0], "week"), "period must be"),
        (lambda: exceedances([1.0], 1.0, "above"), "side must be"),
        (lambda: exceedances([1.0], float("nan")), "limit must be finite"),
    ],
)
def test_bad_arguments_raise(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match=message):
        call()
