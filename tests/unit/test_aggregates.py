"""Time aggregation with completeness — edge cases at every threshold and boundary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from quantrac.indices import aggregates as agg


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    """Epoch seconds of a wall-clock time in Asia/Ho_Chi_Minh (UTC+7)."""
    wall = datetime(year, month, day, tzinfo=UTC) + timedelta(hours=hour, minutes=minute)
    return int((wall - timedelta(hours=7)).timestamp())


@pytest.mark.parametrize(
    ("flags", "accepted", "expected"),
    [
        (None, agg.DEFAULT_ACCEPTED_FLAGS, [True, True, True, True, True, False]),
        ([1, 2, 3, 4, 9, 1], agg.DEFAULT_ACCEPTED_FLAGS, [True, True, False, False, False, False]),
        ([1, 2, 3, 4, 9, 1], {1}, [True, False, False, False, False, False]),
        ([1, 2, 3, 4, 9, 1], {1, 2, 3}, [True, True, True, False, False, False]),
    ],
)
def test_valid_mask(flags: list[int] | None, accepted: set[int], expected: list[bool]) -> None:
    values = [1.0, 2.0, 3.0, 4.0, 5.0, np.nan]  # NaN never counts, whatever its flag
    assert agg.valid_mask(values, flags, accepted).tolist() == expected


def _five_minute_hour(n_valid: int) -> tuple[np.ndarray, np.ndarray]:
    """Samples stamped 00:05 … 01:00 (hour ending 01:00) of which the first n_valid exist."""
    times = np.array([local(2024, 1, 1, 0, 5 * k) for k in range(1, 13)])
    return times[:n_valid], np.arange(1.0, n_valid + 1)


@pytest.mark.parametrize(
    ("n_valid", "min_fraction", "complete"),
    [(12, 0.75, True), (9, 0.75, True), (8, 0.75, False), (1, 0.75, False),
     (6, 0.5, True), (5, 0.5, False), (12, 1.0, True), (11, 1.0, False)],
)  # fmt: skip
def test_hourly_means_completeness(n_valid: int, min_fraction: float, complete: bool) -> None:
    times, values = _five_minute_hour(n_valid)
    result = agg.hourly_means(times, values, interval_s=300, min_fraction=min_fraction)
    assert result.labels.tolist() == [local(2024, 1, 1, 1)]
    assert result.count.tolist() == [n_valid]
    assert result.expected.tolist() == [12]
    assert result.ratio[0] == pytest.approx(n_valid / 12)
    assert result.available[0] == pytest.approx((n_valid + 1) / 2)
    assert bool(result.complete[0]) is complete
    assert np.isnan(result.values[0]) is not complete


def test_hourly_means_flags_and_gaps() -> None:
    times = np.array([local(2024, 1, 1, 0, 30), local(2024, 1, 1, 0, 45), local(2024, 1, 1, 3)])
    values = np.array([10.0, 1000.0, 20.0])
    flags = np.array([1, 4, 2])
    result = agg.hourly_means(times, values, interval_s=900, flags=flags, min_fraction=0.25)
    assert result.labels.tolist() == [local(2024, 1, 1, h) for h in (1, 2, 3)]
    assert result.count.tolist() == [1, 0, 1]  # the bad value is dropped; 02:00 is a gap
    assert result.values[0] == 10.0
    assert np.isnan(result.values[1])
    assert result.values[2] == 20.0


@pytest.mark.parametrize(
    ("stamp", "minute", "hour_end"),
    [("end", 0, 1), ("end", 5, 2), ("end", 60, 2), ("start", 0, 2), ("start", 55, 2),
     ("start", 60, 3)],
)  # fmt: skip
def test_hourly_means_stamp_convention(stamp: str, minute: int, hour_end: int) -> None:
    """'end': a value stamped 01:00 closes the hour ending 01:00; 'start': it opens 01–02."""
    times = np.array([local(2024, 1, 1, 1, minute)])
    result = agg.hourly_means(times, [5.0], interval_s=3600, stamp=stamp)
    assert result.labels.tolist() == [local(2024, 1, 1, hour_end)]


def test_hourly_means_empty_and_errors() -> None:
    empty = agg.hourly_means([], [], interval_s=60)
    assert empty.values.size == 0
    with pytest.raises(ValueError, match="interval_s"):
        agg.hourly_means([0], [1.0], interval_s=0)
    with pytest.raises(ValueError, match="shape"):
        agg.hourly_means([0, 60], [1.0], interval_s=60)
    with pytest.raises(ValueError, match="stamp"):
        agg.hourly_means([0], [1.0], interval_s=60, stamp="middle")
    with pytest.raises(ValueError, match="flags shape"):
        agg.hourly_means([0], [1.0], interval_s=60, flags=[1, 1])


def _day_hours(year: int, month: int, day: int) -> np.ndarray:
    """The 24 hour-end stamps of a local day: 01:00 … 24:00 (00:00 of the next day)."""
    return np.array([local(year, month, day, h) for h in range(1, 25)])


@pytest.mark.parametrize(
    ("n_valid", "min_hours", "complete"),
    [(24, 18, True), (18, 18, True), (17, 18, False), (0, 18, False), (12, 12, True),
     (11, 12, False)],
)  # fmt: skip
def test_daily_means_completeness(n_valid: int, min_hours: int, complete: bool) -> None:
    times = _day_hours(2024, 6, 1)
    values = np.where(np.arange(24) < n_valid, np.arange(24.0), np.nan)
    result = agg.daily_means(times, values, min_hours=min_hours)
    assert result.labels.tolist() == [np.datetime64("2024-06-01").astype(object)]
    assert result.count.tolist() == [n_valid]
    assert result.expected.tolist() == [24]
    assert result.ratio[0] == pytest.approx(n_valid / 24)
    assert bool(result.complete[0]) is complete
    if complete:
        assert result.values[0] == pytest.approx((n_valid - 1) / 2)


def test_daily_day_boundaries() -> None:
    """Decision 1459 §2.2.2.a: the hour ending 00:00 closes the previous day; UTC+7 days."""
    times = np.array([local(2024, 6, 1, 1), local(2024, 6, 2, 0), local(2024, 6, 2, 1)])
    result = agg.daily_means(times, [1.0, 3.0, 100.0], min_hours=1)
    assert [str(d) for d in result.labels] == ["2024-06-01", "2024-06-02"]
    assert result.values.tolist() == [2.0, 100.0]
    # 17:00 UTC is midnight in Hanoi: the hour ending then belongs to the earlier local day.
    utc_midnight_local = int(datetime(2024, 6, 1, 17, tzinfo=UTC).timestamp())
    assert str(agg.daily_means([utc_midnight_local], [1.0], min_hours=1).labels[0]) == "2024-06-01"


def test_daily_maxima() -> None:
    times = _day_hours(2024, 6, 1)
    values = np.arange(24.0)
    values[5] = np.nan
    result = agg.daily_maxima(times, values, min_hours=18)
    assert result.values.tolist() == [23.0]
    assert result.count.tolist() == [23]
    short = agg.daily_maxima(times[:10], values[:10])
    assert np.isnan(short.values[0])
    assert short.available[0] == 9.0


def test_daily_flags_exclude_suspect() -> None:
    times = _day_hours(2024, 6, 1)
    flags = np.array([1] * 18 + [3] * 6)
    result = agg.daily_means(times, np.ones(24), flags=flags)
    assert result.count.tolist() == [18]
    only_good = agg.daily_means(times, np.ones(24), flags=flags, accepted_flags={2})
    assert only_good.count.tolist() == [0]


@pytest.mark.parametrize(
    ("missing", "min_hours", "valid"),
    [((), 6, True), ((0, 1), 6, True), ((0, 1, 2), 6, False), ((0,), 8, False)],
)
def test_rolling_means(missing: tuple[int, ...], min_hours: int, valid: bool) -> None:
    times = np.array([local(2024, 1, 1, h) for h in range(1, 9)])
    values = np.arange(1.0, 9.0)
    values[list(missing)] = np.nan
    result = agg.rolling_means(times, values, min_hours=min_hours)
    assert result.labels[-1] == local(2024, 1, 1, 8)  # labelled by the window's last hour
    assert result.expected[-1] == 8
    assert result.count[-1] == 8 - len(missing)
    assert bool(result.complete[-1]) is valid
    assert result.available[-1] == pytest.approx(np.nanmean(values))
    assert not result.complete[:5].any()  # fewer than 6 hours in the early windows


def test_rolling_grid_means_window_arguments() -> None:
    with pytest.raises(ValueError, match="min_count"):
        agg.rolling_grid_means(np.ones(10), 8, 9)
    means, _, count = agg.rolling_grid_means(np.ones((2, 10)), 3, 3)
    assert means.shape == (2, 10)
    assert count[:, 2:].min() == 3


def test_monthly_means() -> None:
    """February 2024 has 29 days → 696 expected hours; 00:00 on 1 March closes February."""
    hours = np.array([local(2024, 2, 1, 1) + 3600 * k for k in range(29 * 24)])
    values = np.ones(hours.size)
    values[: 29 * 24 // 4 + 1] = np.nan  # just under 75 %
    result = agg.monthly_means(hours, values)
    assert [str(m) for m in result.labels] == ["2024-02"]
    assert result.expected.tolist() == [696]
    assert result.count.tolist() == [696 - 175]
    assert not result.complete[0]
    values[174] = 1.0  # exactly 75 %
    assert agg.monthly_means(hours, values).complete[0]
    two = agg.monthly_means(np.array([local(2024, 1, 31, 23), local(2024, 3, 1, 1)]), [1.0, 2.0])
    assert [str(m) for m in two.labels] == ["2024-01", "2024-02", "2024-03"]
    assert two.expected.tolist() == [744, 696, 744]
    assert two.count.tolist() == [1, 0, 1]


def test_hourly_grid() -> None:
    t0 = local(2024, 1, 1, 1)
    grid = agg.hourly_grid([t0, t0 + 7200], [1.0, 3.0], flags=[1, 1])
    assert (grid.values[0], grid.values[2]) == (1.0, 3.0)
    assert np.isnan(grid.values[1])
    assert grid.times.tolist() == [t0, t0 + 3600, t0 + 7200]
    fixed = agg.hourly_grid([t0], [1.0], start=t0 - 3600, end=t0 + 3600)
    assert fixed.first_hour_end == t0 - 3600
    assert fixed.values.size == 3
    with pytest.raises(ValueError, match="duplicate"):
        agg.hourly_grid([t0, t0], [1.0, 2.0])
    with pytest.raises(ValueError, match="whole hours"):
        agg.hourly_grid([t0 + 60], [1.0])
    with pytest.raises(ValueError, match="start and end"):
        agg.hourly_grid([], [])


def test_day_blocks_padding() -> None:
    """A grid starting at 22:00 local is padded with NaN so each row is one 01:00–24:00 day."""
    grid = agg.HourlyGrid(local(2024, 1, 1, 22), np.arange(6.0))
    days, blocks = agg.day_blocks(grid)
    assert [str(d) for d in days] == ["2024-01-01", "2024-01-02"]
    assert blocks.shape == (2, 24)
    assert blocks[0, 21:].tolist() == [0.0, 1.0, 2.0]  # 22:00, 23:00, 24:00
    assert blocks[1, :3].tolist() == [3.0, 4.0, 5.0]
    assert np.isnan(blocks[0, :21]).all()
    assert np.isnan(blocks[1, 3:]).all()
