"""Tamper indicators: each planted pattern fires; natural series and real PM2.5 stay quiet."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.signal import lfilter

from quantrac.errors import ConfigError
from quantrac.qc.tamper import (
    ALARM_THRESHOLD,
    MIN_VALUES,
    TamperFinding,
    constant_values,
    identical_series,
    period_labels,
    pinned_below_limit,
    repeating_pattern,
    screen_pair,
    screen_series,
    too_smooth,
)
from tests.unit.test_qc_checks import AIRNOW, STEP, T0, load_airnow

DAY = 86400 // STEP  # readings per day at 5 minutes

# parameter: level, diurnal amplitude, slow process variation (sd), analyser noise (sd),
# decimals written, a limit (QCVN 40:2011 column A for COD/TSS/NH4; a permit flow).
PROFILES = {
    "COD": (55.0, 8.0, 6.0, 1.0, 1, 75.0),
    "TSS": (30.0, 5.0, 5.0, 1.0, 1, 50.0),
    "NH4": (4.0, 0.8, 0.8, 0.08, 2, 5.0),
    "PH": (7.2, 0.15, 0.15, 0.02, 2, 9.0),
    "FLOW_OUT": (40.0, 10.0, 4.0, 0.5, 1, 80.0),
}


def enterprise(param: str, seed: int = 0, days: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """A month of 5-minute readings from an enterprise station: daily production cycle,
    slow process drift (AR(1), time constant ~8 h) and analyser noise, written like the
    analyser writes it."""
    level, amp, process, noise, decimals, _ = PROFILES[param]
    rng = np.random.default_rng(seed)
    t = T0 + STEP * np.arange(days * DAY, dtype=np.int64)
    hours = ((t + 7 * 3600) % 86400) / 3600
    phi = 0.99
    drift = lfilter([1.0], [1.0, -phi], rng.normal(0, process * np.sqrt(1 - phi**2), t.size))
    v = level + amp * np.sin(2 * np.pi * (hours - 8) / 24) + drift + rng.normal(0, noise, t.size)
    return t, np.round(np.maximum(v, 0.0), decimals)


def all_indicators(t: np.ndarray, v: np.ndarray, param: str) -> dict[str, float]:
    limit = PROFILES[param][5]
    band = 0.01 if param == "PH" else 0.05
    return {
        "constant_values": constant_values(v).score,
        "repeating_pattern": repeating_pattern(t, v).score,
        "too_smooth": too_smooth(v, expected_decimals=PROFILES[param][4]).score,
        "pinned_below_limit": pinned_below_limit(v, limit, band=band).score,
        "pinned_at_q80": pinned_below_limit(v, float(np.quantile(v, 0.8)), band=band).score,
    }


# --------------------------------------------------------------------------------------------
# natural series stay quiet
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("param", list(PROFILES))
def test_natural_enterprise_series_raise_no_alarm(param: str, seed: int) -> None:
    t, v = enterprise(param, seed)
    scores = all_indicators(t, v, param)
    assert max(scores.values()) < ALARM_THRESHOLD, scores


# --------------------------------------------------------------------------------------------
# each planted pattern fires
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("param", list(PROFILES))
def test_constant_values_fire(param: str) -> None:
    _, v = enterprise(param, seed=11)
    doctored = v.copy()
    doctored[DAY:] = doctored[DAY]  # frozen after the first day
    result = constant_values(doctored)
    assert result.score >= 0.9
    assert result.evidence["longest_run"] == v.size - DAY
    assert result.evidence["longest_run_value"] == v[DAY]


def test_constant_values_ignore_a_plant_that_does_not_discharge() -> None:
    t, v = enterprise("FLOW_OUT", seed=3)
    night = ((t + 7 * 3600) % 86400) < 12 * 3600
    v = np.where(night, 0.0, v)  # no discharge at night: exactly 0 for 12 h a day
    assert constant_values(v).score == 0.0


@pytest.mark.parametrize("param", list(PROFILES))
def test_repeating_daily_cycle_fires(param: str) -> None:
    t, v = enterprise(param, seed=12)
    doctored = np.tile(v[:DAY], 30)  # the first day replayed all month
    result = repeating_pattern(t, doctored)
    assert result.score == 1.0
    assert result.evidence["copied_days"] == 29
    assert result.evidence["share_identical_at_period_plus_step"] < 0.2  # chance level


def test_one_copied_day_is_already_worth_a_look() -> None:
    t, v = enterprise("COD", seed=13)
    doctored = v.copy()
    doctored[10 * DAY : 11 * DAY] = doctored[9 * DAY : 10 * DAY]
    result = repeating_pattern(t, doctored)
    assert result.score == 0.5 and result.evidence["first_copied_days"] == "2024-01-11"


@pytest.mark.parametrize("param", list(PROFILES))
def test_pinned_below_limit_fires(param: str) -> None:
    _, v = enterprise(param, seed=14)
    decimals = PROFILES[param][4]
    band = 0.01 if param == "PH" else 0.05
    limit = float(np.round(np.quantile(v, 0.8), decimals))  # ~20 % of readings exceed it
    rng = np.random.default_rng(15)
    over = v > limit
    doctored = v.copy()
    doctored[over] = np.round(limit * (1 - rng.uniform(0.1, 0.9, over.sum()) * band), decimals)
    result = pinned_below_limit(doctored, limit, band=band)
    assert result.score >= 0.9, result.evidence
    assert result.evidence["share_beyond_limit"] == 0.0
    assert result.evidence["share_in_band"] > 2 * result.evidence["expected_in_band"]
    assert pinned_below_limit(v, limit, band=band).score < ALARM_THRESHOLD


def test_pinned_above_a_minimum_limit_fires() -> None:
    _, v = enterprise("PH", seed=16)
    limit = float(np.round(np.quantile(v, 0.2), 2))
    doctored = np.where(v < limit, np.round(limit + np.abs(v - limit) % 0.06, 2), v)
    assert pinned_below_limit(doctored, limit, band=0.01, side="min").score >= 0.9
    assert pinned_below_limit(v, limit, band=0.01, side="min").score < ALARM_THRESHOLD


def test_pinned_not_judged_when_the_band_is_wider_than_the_data() -> None:
    _, v = enterprise("PH", seed=17)
    result = pinned_below_limit(v, 7.6, band=0.05)  # 0.38 pH units: wider than the spread
    assert result.score == 0.0 and "narrower band" in str(result.evidence["note"])


@pytest.mark.parametrize("param", ["COD", "NH4", "FLOW_OUT"])
def test_identical_series_fires_for_copies_and_scaled_copies(param: str) -> None:
    t, a = enterprise(param, seed=20)
    decimals = PROFILES[param][4]
    assert identical_series(t, a, t, a.copy()).score == 1.0
    scaled = identical_series(t, a, t, np.round(1.08 * a + 2.0, decimals))
    assert scaled.score >= 0.9
    assert scaled.evidence["slope"] == pytest.approx(1.08, abs=0.01)
    assert scaled.evidence["offset"] == pytest.approx(2.0, abs=0.3)


@pytest.mark.parametrize("param", ["COD", "NH4", "FLOW_OUT"])
def test_different_plants_and_colocated_analysers_are_not_identical(param: str) -> None:
    t, a = enterprise(param, seed=21)
    _, b = enterprise(param, seed=22)
    noise = PROFILES[param][3]
    twin = np.round(a + np.random.default_rng(23).normal(0, noise, a.size), PROFILES[param][4])
    assert identical_series(t, a, t, b).score < ALARM_THRESHOLD
    assert identical_series(t, a, t, twin).score < ALARM_THRESHOLD  # same pipe, own noise


@pytest.mark.parametrize("param", ["COD", "TSS", "NH4", "FLOW_OUT"])
def test_too_smooth_fires_for_a_generated_curve(param: str) -> None:
    t, _ = enterprise(param)
    level, amp, _, _, decimals, _ = PROFILES[param]
    hours = ((t + 7 * 3600) % 86400) / 3600
    curve = (
        level
        + amp * np.sin(2 * np.pi * (hours - 8) / 24)
        + 0.3 * amp * np.sin(2 * np.pi * (t - T0) / (7.3 * 86400))
    )
    result = too_smooth(np.round(curve, decimals))
    assert result.score >= 0.9 and result.evidence["roughness_ratio"] < 1e-4


@pytest.mark.parametrize(
    ("values", "expected_decimals", "score"),
    [
        ([7.1, 7.2] * 100, None, 1.0),  # two distinct values all month
        ([7.1, 7.2, 7.3] * 100, None, 0.5),
        ([7.1, 7.2, 7.3, 7.4] * 100, None, 0.0),
    ],
)
def test_too_few_distinct_values(
    values: list[float], expected_decimals: int | None, score: float
) -> None:
    shuffled = np.random.default_rng(0).permutation(values)
    assert too_smooth(shuffled, expected_decimals=expected_decimals).score == pytest.approx(score)


def test_too_few_decimals_for_the_instrument() -> None:
    _, v = enterprise("NH4", seed=30)  # the analyser writes 2 decimals
    assert too_smooth(v, expected_decimals=2).score < ALARM_THRESHOLD
    typed = np.round(v, 1)
    result = too_smooth(typed, expected_decimals=2)
    assert result.score == 1.0 and result.evidence["max_decimals"] == 1


# --------------------------------------------------------------------------------------------
# contract: evidence, no data changed, small samples
# --------------------------------------------------------------------------------------------
def test_indicators_never_change_data_and_report_evidence() -> None:
    t, v = enterprise("COD", seed=40)
    v[100] = np.nan
    t.flags.writeable = False
    v.flags.writeable = False
    results = [
        constant_values(v),
        repeating_pattern(t, v),
        pinned_below_limit(v, 75.0),
        identical_series(t, v, t, v),
        too_smooth(v),
    ]
    for r in results:
        assert 0.0 <= r.score <= 1.0 and r.evidence
        assert all(isinstance(x, int | float | str) or x is None for x in r.evidence.values())


@pytest.mark.parametrize(
    "indicator",
    [
        lambda t, v: constant_values(v),
        repeating_pattern,
        lambda t, v: pinned_below_limit(v, 75.0),
        lambda t, v: identical_series(t, v, t, v),
        lambda t, v: too_smooth(v),
    ],
)
def test_too_few_values_are_not_judged(indicator) -> None:  # type: ignore[no-untyped-def]
    t, v = enterprise("COD")
    result = indicator(t[: MIN_VALUES - 1], v[: MIN_VALUES - 1])
    assert result.score == 0.0 and "fewer than" in str(result.evidence["note"])


def test_pinned_rejects_bad_arguments() -> None:
    with pytest.raises(ConfigError):
        pinned_below_limit([1.0] * 60, 0.0)
    with pytest.raises(ConfigError):
        pinned_below_limit([1.0] * 60, 5.0, side="middle")


def test_screen_series_reports_per_month_in_vietnam_time() -> None:
    t, v = enterprise("COD", days=40)
    v[-DAY * 8 :] = 60.0  # frozen for the last 8 of February's 9 days
    findings = screen_series("BD-KCN-01", "COD", t, v, limit=75.0)
    assert [f.period for f in findings] == ["2024-01", "2024-02"]
    assert not findings[0].alarm
    assert "constant_values" in findings[1].alarms()
    assert period_labels([T0 - 1, T0]).tolist() == ["2023-12", "2024-01"]


# --------------------------------------------------------------------------------------------
# real data: false-positive rate on the AirNow PM2.5 series
# --------------------------------------------------------------------------------------------
QCVN05_PM25_24H = 50.0  # µg/Nm³, QCVN 05:2023 Bảng 1 (until 31/12/2025)


def real_findings(shared_dir: Path) -> list[TamperFinding]:
    folder = shared_dir / AIRNOW
    by_site: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    findings: list[TamperFinding] = []
    for path in sorted(folder.glob("*.csv")):
        site, t, v = load_airnow(path)
        by_site.setdefault(site, []).append((t, v))
        findings += screen_series(site, "PM25", t, v, limit=QCVN05_PM25_24H, expected_decimals=0)
    (ta, va), (tb, vb) = (
        (np.concatenate([x[0] for x in parts]), np.concatenate([x[1] for x in parts]))
        for parts in by_site.values()
    )
    findings += screen_pair(tuple(by_site), "PM25", ta, va, tb, vb)  # type: ignore[arg-type]
    return findings


def test_false_positive_rate_on_real_pm25_is_low(
    shared_dir: Path, record_property: pytest.RecordProperty
) -> None:
    findings = real_findings(shared_dir)
    judged = [f for f in findings if any("note" not in i.evidence for i in f.indicators)]
    alarms = [f for f in judged if f.alarm]
    rate = len(alarms) / len(judged)
    record_property("tamper_false_positive_rate", rate)
    print(
        f"\ntamper indicators on real PM2.5: {len(alarms)}/{len(judged)} station-months "
        f"alarm (false-positive rate {rate:.1%}); highest score "
        f"{max(f.max_score for f in judged):.2f}"
    )
    assert len(judged) >= 80
    assert rate <= 0.05, [(f.station, f.period, f.alarms()) for f in alarms]
