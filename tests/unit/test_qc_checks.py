"""QC checks: each check flags exactly the planted faults, and each threshold at its boundary."""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantrac.errors import ConfigError, ValidationError
from quantrac.qc.checks import (
    CrossRule,
    align_on_times,
    cross_parameter_test,
    device_status_test,
    do_saturation_mg_l,
    flat_line_test,
    normalise_status,
    range_test,
    rate_of_change_test,
    sampling_interval,
    spike_test,
    timestamp_test,
)
from quantrac.qc.flags import QcFlag, combine_flags, worst

G, N, S, B, M = (int(f) for f in QcFlag)  # 1 good, 2 not evaluated, 3 suspect, 4 bad, 9 missing
T0 = 1_704_042_000  # 2024-01-01 00:00 Vietnam time, in UTC epoch seconds
STEP = 300  # TT10: one reading every 5 minutes
AIRNOW = "data/air/airnow-us-state-dept"


def diurnal(
    n: int = 864,
    seed: int = 0,
    level: float = 55.0,
    amp: float = 10.0,
    noise: float = 1.5,
    decimals: int = 1,
    step: int = STEP,
) -> tuple[np.ndarray, np.ndarray]:
    """A clean, realistic series: a daily cycle plus sensor noise, rounded like an analyser."""
    rng = np.random.default_rng(seed)
    t = T0 + step * np.arange(n, dtype=np.int64)
    hours = ((t + 7 * 3600) % 86400) / 3600
    v = level + amp * np.sin(2 * np.pi * (hours - 8) / 24) + rng.normal(0, noise, n)
    return t, np.round(v, decimals)


def flagged(result) -> set[int]:  # type: ignore[no-untyped-def]
    return {int(i) for i in result.flagged()}


@lru_cache(maxsize=16)
def airnow_rows(path: Path) -> tuple[list[str], ...]:
    """The data rows of an AirNow DOS file (semicolon or comma layout, header or not)."""
    text = path.read_text(encoding="utf-8-sig")
    delimiter = ";" if text.split("\n", 1)[0].count(";") > 2 else ","
    rows = [r for r in csv.reader(text.splitlines(), delimiter=delimiter) if len(r) >= 14]
    return tuple(rows[1:] if rows[0][0] == "Site" else rows)


@lru_cache(maxsize=16)
def load_airnow(path: Path) -> tuple[str, np.ndarray, np.ndarray]:
    """(site, times, raw PM2.5) of an AirNow DOS file; times from Year/Month/Day/Hour, UTC+7,
    hour-ending; -999 → NaN. Handles the semicolon layout and the header-less 2019 file."""
    rows = airnow_rows(path)
    ymd = np.array(
        [f"{int(r[3]):04d}-{int(r[4]):02d}-{int(r[5]):02d}" for r in rows], dtype="datetime64[D]"
    )
    hours = np.array([int(r[6]) for r in rows], dtype=np.int64)
    times = ymd.astype("datetime64[s]").astype(np.int64) + hours * 3600 - 7 * 3600
    values = np.array([float(r[-4]) for r in rows])
    values[values == -999] = np.nan
    return rows[0][0], times, values


# --------------------------------------------------------------------------------------------
# flags
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (G, G, G),
        (G, N, G),
        (N, N, N),
        (G, S, S),
        (N, S, S),
        (S, B, B),
        (G, B, B),
        (B, M, M),
        (G, M, M),
        (N, M, M),
    ],
)
def test_combine_worst_wins_and_not_evaluated_never_overrides(
    a: int, b: int, expected: int
) -> None:
    assert combine_flags([np.array([a]), np.array([b])]).tolist() == [expected]
    assert combine_flags([np.array([b]), np.array([a])]).tolist() == [expected]
    assert worst(QcFlag(a), QcFlag(b)) == expected


def test_combine_marks_nan_values_missing_whatever_the_checks_said() -> None:
    out = combine_flags([np.array([G, B, G])], values=[1.0, np.nan, np.nan])
    assert out.tolist() == [G, M, M]


def test_combine_rejects_codes_off_the_scale() -> None:
    with pytest.raises(ValueError, match="not QC flag codes"):
        combine_flags([np.array([1, 5])])


# --------------------------------------------------------------------------------------------
# range
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected", "reason"),
    [
        (-0.01, B, "gross_range"),
        (0.0, S, "plausible_range"),
        (3.99, S, "plausible_range"),
        (4.0, G, None),
        (7.0, G, None),
        (10.0, G, None),
        (10.01, S, "plausible_range"),
        (14.0, S, "plausible_range"),
        (14.01, B, "gross_range"),
        (np.nan, M, None),
    ],
)
def test_range_boundaries_ph(value: float, expected: int, reason: str | None) -> None:
    result = range_test([value], gross=(0, 14), plausible=(4, 10))
    assert result.flags.tolist() == [expected]
    for code, mask in result.reasons.items():
        assert bool(mask[0]) == (code == reason)


def test_range_open_bounds_and_no_plausible_span() -> None:
    result = range_test([-1.0, 0.0, 1e9], gross=(0, None))
    assert result.flags.tolist() == [B, G, G]


def test_range_rejects_inverted_span() -> None:
    with pytest.raises(ConfigError, match="above maximum"):
        range_test([1.0], gross=(10, 0))


# --------------------------------------------------------------------------------------------
# spike
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("series", "expected"),
    [
        ([10, 10, 15.0, 10, 10], [N, G, G, G, N]),  # departure = threshold: not a spike
        ([10, 10, 15.5, 10, 10], [N, G, S, G, N]),
        ([10, 10, 4.5, 10, 10], [N, G, S, G, N]),  # downward spike
        ([10, 10, 16, 11, 10], [N, G, G, G, N]),  # 6 above one side, 5 above the other
        ([0, 6, 12, 18, 24], [N, G, G, G, N]),  # steep ramp: opposite directions
        ([0, 0, 6, 6, 6], [N, G, G, G, N]),  # step
        ([10, 10, 30, 10, 10], [N, G, B, G, N]),  # beyond the bad threshold
    ],
)
def test_spike_threshold_boundary(series: list[float], expected: list[int]) -> None:
    result = spike_test(series, 5.0, bad_threshold=15.0)
    assert result.flags.tolist() == expected


def test_spike_skips_missing_neighbours_and_respects_gaps() -> None:
    v = [10, np.nan, 30, 10, 10]
    assert spike_test(v, 5.0).flags.tolist() == [N, M, S, G, N]
    t = np.array([0, 300, 600, 10_000, 10_300])
    gapped = spike_test([10, 10, 30, 10, 10], 5.0, times=t, max_gap_s=900)
    assert gapped.flags.tolist() == [N, G, N, N, N]


def test_spike_flags_exactly_planted_points_in_realistic_series() -> None:
    t, v = diurnal()
    planted = {50, 300, 301 + 200, 700}
    for i, jump in zip(sorted(planted), (40.0, -35.0, 60.0, 45.0), strict=True):
        v[i] += jump
    result = spike_test(v, 20.0, times=t, max_gap_s=3 * STEP)
    assert flagged(result) == planted


def test_spike_clean_series_has_no_flags() -> None:
    _, v = diurnal(seed=3)
    assert flagged(spike_test(v, 20.0)) == set()


def naive_spike(v: list[float], thr: float) -> list[bool]:
    out = [False] * len(v)
    for i in range(1, len(v) - 1):
        a, b = v[i] - v[i - 1], v[i] - v[i + 1]
        out[i] = (a > thr and b > thr) or (a < -thr and b < -thr)
    return out


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-20, 20), min_size=3, max_size=40), st.integers(1, 10))
def test_spike_matches_the_rule_written_as_a_loop(values: list[int], thr: int) -> None:
    v = [float(x) for x in values]
    assert spike_test(v, float(thr)).reasons["spike"].tolist() == naive_spike(v, thr)


# --------------------------------------------------------------------------------------------
# rate of change
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("dt", "dv", "expected"),
    [
        (3600, 10.0, G),
        (3600, 10.5, S),
        (1800, 5.0, G),
        (1800, 5.25, S),
        (3600, -10.5, S),
        (0, 50.0, N),
    ],
)
def test_rate_of_change_boundary(dt: int, dv: float, expected: int) -> None:
    result = rate_of_change_test([0, dt], [20.0, 20.0 + dv], max_rate_per_hour=10.0)
    assert result.flags.tolist() == [N, expected]


@pytest.mark.parametrize(("dv", "expected"), [(10.0, G), (10.5, S)])
def test_rate_over_short_steps_counts_a_full_min_interval(dv: float, expected: int) -> None:
    result = rate_of_change_test([0, 300], [20.0, 20.0 + dv], 10.0, min_interval_s=3600)
    assert result.flags.tolist() == [N, expected]


def test_rate_of_change_flags_planted_steps_only() -> None:
    t, v = diurnal(noise=0.5)
    v[400:] += 30.0  # an analyser re-ranged: a step that a real effluent cannot make in 5 min
    v[100] = np.nan
    result = rate_of_change_test(t, v, max_rate_per_hour=120.0)
    assert flagged(result) == {400}
    assert result.flags[100] == M
    assert result.flags[101] == G  # compared with value 99 over 10 minutes


# --------------------------------------------------------------------------------------------
# flat line
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("run", "expected"),
    [(4, None), (5, S), (9, S), (10, B), (30, B)],
)
def test_flat_line_count_boundaries(run: int, expected: int | None) -> None:
    t, v = diurnal(n=200, noise=2.0)
    v[80 : 80 + run] = 47.3
    result = flat_line_test(t, v, 0.0, suspect_count=5, bad_count=10)
    planted = set(range(80, 80 + run)) if expected else set()
    assert flagged(result) == planted
    if expected:
        assert set(result.flags[80 : 80 + run].tolist()) == {expected}


def test_flat_line_tolerance_boundary() -> None:
    t = np.arange(6, dtype=np.int64) * 300
    within = flat_line_test(t, [7.10, 7.11, 7.10, 7.11, 7.10, 7.11], 0.01, suspect_count=6)
    beyond = flat_line_test(t, [7.10, 7.12, 7.10, 7.12, 7.10, 7.12], 0.01, suspect_count=6)
    assert flagged(within) == set(range(6))
    assert flagged(beyond) == set()


def test_flat_line_slow_drift_does_not_chain() -> None:
    t = np.arange(50, dtype=np.int64) * 300
    v = 20 + 0.004 * np.arange(50)  # each step within 0.01, but 0.2 over the run
    assert flagged(flat_line_test(t, v, 0.01, suspect_count=5)) == set()


def test_flat_line_by_duration_on_hourly_data_and_missing_values_inside() -> None:
    t, v = diurnal(n=120, step=3600, noise=3.0)
    v[30:36] = 61.0  # 6 readings over 5 hours
    v[33] = np.nan  # a dropped reading inside the stuck run
    result = flat_line_test(t, v, 0.0, suspect_count=12, suspect_seconds=5 * 3600)
    assert flagged(result) == {30, 31, 32, 34, 35}
    assert result.flags[33] == M


def test_flat_line_duration_needs_three_readings_across_an_outage() -> None:
    t = np.array([0, 300, 600, 90_000, 90_300], dtype=np.int64)
    v = [5.0, 6.0, 7.0, 7.0, 8.0]
    assert flagged(flat_line_test(t, v, 0.0, suspect_seconds=3600)) == set()


def naive_flat(v: list[float], tol: float, count: int) -> list[bool]:
    out = [False] * len(v)
    for end in range(count - 1, len(v)):
        window = v[end - count + 1 : end + 1]
        if max(window) - min(window) <= tol:
            for i in range(end - count + 1, end + 1):
                out[i] = True
    return out


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 3), min_size=1, max_size=60),
    st.integers(2, 6),
    st.sampled_from([0.0, 1.0]),
)
def test_flat_line_matches_the_rule_written_as_a_loop(
    values: list[int], count: int, tol: float
) -> None:
    v = [float(x) for x in values]
    t = np.arange(len(v), dtype=np.int64) * 60
    got = flat_line_test(t, v, tol, suspect_count=count).reasons["flat_line"].tolist()
    assert got == naive_flat(v, tol, count)


def test_flat_line_rejects_bad_configuration() -> None:
    with pytest.raises(ConfigError):
        flat_line_test([0, 1], [1.0, 1.0], 0.0)
    with pytest.raises(ConfigError):
        flat_line_test([0, 1], [1.0, 1.0], 0.0, suspect_count=10, bad_count=5)
    with pytest.raises(ValidationError, match="time order"):
        flat_line_test([5, 1], [1.0, 1.0], 0.0, suspect_count=2)


# --------------------------------------------------------------------------------------------
# device status
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "flag", "reason"),
    [
        ("00", G, None),
        ("01", B, "status_calibrating"),
        ("02", B, "status_device_error"),
        ("03", S, "status_unknown"),
        ("", S, "status_unknown"),
        ("XX", S, "status_unknown"),
        (0, G, None),
        (1, B, "status_calibrating"),
        (2, B, "status_device_error"),
        (" 01 ", B, "status_calibrating"),
    ],
)
def test_device_status_codes(status: object, flag: int, reason: str | None) -> None:
    result = device_status_test(np.array([status], dtype=object))
    assert result.flags.tolist() == [flag]
    assert {code for code, mask in result.reasons.items() if mask[0]} == (
        {reason} if reason else set()
    )


def test_device_status_flags_exactly_calibration_and_error_periods() -> None:
    status = np.array(["00"] * 288)
    status[100:112] = "01"  # one hour of calibration
    status[200:203] = "02"  # a fault
    result = device_status_test(status)
    assert flagged(result) == set(range(100, 112)) | {200, 201, 202}
    assert set(np.flatnonzero(result.reasons["status_calibrating"])) == set(range(100, 112))


def test_normalise_status_keeps_empty_cells_empty() -> None:
    assert normalise_status(["", "1", "02", " 0 "]).tolist() == ["", "01", "02", "00"]


# --------------------------------------------------------------------------------------------
# timestamps
# --------------------------------------------------------------------------------------------
def reasons_at(result, code: str) -> set[int]:  # type: ignore[no-untyped-def]
    return {int(i) for i in np.flatnonzero(result.reasons[code])}


def test_timestamps_clean_series_and_gaps_are_not_flagged() -> None:
    t = T0 + STEP * np.concatenate((np.arange(100), np.arange(130, 200)))  # a 2.5 h outage
    result = timestamp_test(t, now=int(t[-1]) + 60)
    assert flagged(result) == set()


@pytest.mark.parametrize(("ahead", "expected"), [(299, G), (300, G), (301, B)])
def test_future_timestamp_tolerance_boundary(ahead: int, expected: int) -> None:
    now = T0 + 10 * STEP
    t = np.array([T0, T0 + STEP, now + ahead])
    result = timestamp_test(t, now=now, future_tolerance_s=300, expected_interval_s=STEP)
    assert result.flags[-1] == expected


def test_timestamps_flag_exactly_the_planted_faults() -> None:
    t = T0 + STEP * np.arange(300, dtype=np.int64)
    v = np.arange(300, dtype=np.float64)
    # duplicates: a re-sent record (same value) and a conflicting one (different value)
    t[50], v[50] = t[49], v[49]
    t[120] = t[119]
    # a late packet: the reading of slot 80 arrives after slot 85
    late = np.concatenate((np.arange(80), np.arange(81, 86), [80], np.arange(86, 300)))
    t, v = t[late], v[late]
    # one early stamp: a reading stamped 2 hours ahead, onto the slot of row 224
    t[200] += 24 * STEP
    # clock jump: from row 250 the logger clock runs 100 s ahead
    t[250:] += 100
    # future readings (3 days ahead: still on the sampling grid)
    now = int(t[294])
    t[295:] += 3 * 86400
    result = timestamp_test(t, now=now, values=v, expected_interval_s=STEP)
    assert reasons_at(result, "duplicate_time") == {50, 119, 120, 200, 224}
    assert reasons_at(result, "out_of_order_time") == {85, 200}
    assert reasons_at(result, "clock_jump") == {250}
    assert reasons_at(result, "future_time") == set(range(295, 300))
    assert flagged(result) == {50, 85, 119, 120, 200, 224, 250} | set(range(295, 300))


def test_out_of_order_block_delivered_late() -> None:
    t = T0 + STEP * np.concatenate(
        (np.arange(10), np.arange(15, 20), np.arange(10, 15), np.arange(20, 30))
    )
    result = timestamp_test(t, expected_interval_s=STEP)
    # rows 15–19 carry slots 10–14, older than rows already received: the late block
    assert reasons_at(result, "out_of_order_time") == set(range(15, 20))


@pytest.mark.parametrize(("shift", "expected"), [(29, set()), (30, set()), (31, {40})])
def test_clock_jump_grid_tolerance_boundary(shift: int, expected: set[int]) -> None:
    t = T0 + STEP * np.arange(80, dtype=np.int64)
    t[40:] += shift
    result = timestamp_test(t, expected_interval_s=STEP, grid_tolerance_s=30)
    assert reasons_at(result, "clock_jump") == expected


def test_clock_jump_not_evaluated_on_irregular_manual_samples() -> None:
    t = T0 + np.cumsum(np.random.default_rng(1).integers(20, 40, 24)) * 86400 + 3571
    assert sampling_interval(t) is None
    assert flagged(timestamp_test(t)) == set()


def test_real_us_dst_artefact_is_flagged_as_duplicates(shared_dir: Path) -> None:
    _, t, v = load_airnow(shared_dir / AIRNOW / "Hanoi_PM2.5_2017_YTD.csv")
    result = timestamp_test(t, values=v)
    dup = reasons_at(result, "duplicate_time")
    stamps = {str(np.datetime64(int(t[i]) + 7 * 3600, "s")) for i in dup}
    assert stamps == {"2017-03-12T03:00:00"}
    assert len(dup) == 2  # the two rows disagree (26.9 vs 25.2): both are in doubt
    assert reasons_at(result, "out_of_order_time") == set()
    assert reasons_at(result, "clock_jump") == set()


# --------------------------------------------------------------------------------------------
# cross-parameter rules
# --------------------------------------------------------------------------------------------
PM_RULE = CrossRule("pm25_gt_pm10", "PM25", "PM10", flag_reference=True)
DO_RULE = CrossRule("do_gt_saturation", "DO", "TEMP", transform="do_saturation", factor=1.5)


@pytest.mark.parametrize(
    ("pm25", "pm10", "expected"),
    [(30.0, 30.0, G), (30.1, 30.0, S), (10.0, 30.0, G), (np.nan, 30.0, N), (30.0, np.nan, N)],
)
def test_pm25_not_above_pm10_boundary(pm25: float, pm10: float, expected: int) -> None:
    assert cross_parameter_test([pm25], [pm10], PM_RULE).flags.tolist() == [expected]


def test_do_saturation_formula() -> None:
    expected = 14.652 - 0.41022 * 20 + 0.0079910 * 400 - 0.000077774 * 8000
    assert do_saturation_mg_l([20.0])[0] == pytest.approx(expected)
    assert do_saturation_mg_l([20.0])[0] == pytest.approx(9.0218, abs=1e-4)
    assert np.isnan(do_saturation_mg_l([-1.0, 51.0])).all()


def test_do_above_one_and_a_half_saturation_boundary() -> None:
    bound = 1.5 * float(do_saturation_mg_l([28.0])[0])
    result = cross_parameter_test([bound, bound + 0.01, 7.0], [28.0, 28.0, 28.0], DO_RULE)
    assert result.flags.tolist() == [G, S, G]


def test_align_on_times_exact_matches_only() -> None:
    out = align_on_times([0, 300, 600, 900], [300, 900, 900, 1200], [1.0, 2.0, 3.0, 4.0])
    assert np.array_equal(out, [np.nan, 1.0, np.nan, 2.0], equal_nan=True)


@pytest.mark.parametrize(
    "kwargs",
    [{"transform": "cube"}, {"factor": 0.0}, {"flag": QcFlag.GOOD}, {"reference": "PM25"}],
)
def test_cross_rule_validation(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        CrossRule(**{"code": "x", "subject": "PM25", "reference": "PM10", **kwargs})  # type: ignore[arg-type]


def test_inputs_are_never_modified() -> None:
    t, v = diurnal()
    v[10] = np.nan
    t.flags.writeable = False
    v.flags.writeable = False
    spike_test(v, 5.0, times=t, max_gap_s=900)
    rate_of_change_test(t, v, 10.0)
    flat_line_test(t, v, 0.0, suspect_count=3, suspect_seconds=600)
    range_test(v, (0, 100), (10, 90))
    timestamp_test(t, now=int(t[-1]), values=v)
