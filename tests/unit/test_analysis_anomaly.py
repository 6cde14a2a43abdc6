"""Anomaly detectors on planted anomalies, and the evaluation code that scores them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from quantrac.analysis import anomaly, evaluation
from quantrac.analysis.airnow import read_airnow
from quantrac.errors import ValidationError
from quantrac.qc.flags import QcFlag

H = 3600
T0 = 1_704_042_000


def hourly_pm25(days: int = 120, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Hourly PM2.5: lognormal level drifting over days, a daily cycle, multiplicative noise."""
    rng = np.random.default_rng(seed)
    n = 24 * days
    t = T0 + H * np.arange(n, dtype=np.int64)
    hour = ((t + 7 * H) % 86400) / H
    slow = np.repeat(rng.normal(0, 0.35, days), 24)
    slow = np.convolve(slow, np.ones(48) / 48, mode="same")
    log = np.log(45) + slow + 0.25 * np.sin(2 * np.pi * (hour - 20) / 24) + rng.normal(0, 0.1, n)
    return t, np.round(np.exp(log), 1)


@pytest.fixture(scope="module")
def planted() -> tuple[np.ndarray, np.ndarray, evaluation.Planted, np.ndarray]:
    t, v = hourly_pm25()
    train = np.arange(t.size) < 24 * 60
    p = evaluation.plant_faults(
        np.where(train, np.nan, v), {"spike": 30, "dropout": 30, "stuck": 4}, seed=2
    )
    return t, np.where(train, v, p.values), p, train


# --------------------------------------------------------------------------------------------
# evaluation code
# --------------------------------------------------------------------------------------------
def test_plant_faults_places_exactly_what_was_asked_without_overlap() -> None:
    v = np.full(500, 50.0)
    v[200:230] = np.nan
    counts = {"spike": 10, "dropout": 10, "stuck": 3, "offset": 2}
    p = evaluation.plant_faults(v, counts, seed=0)
    sizes = {k: int(m.sum()) for k, m in p.truth.items()}
    assert sizes == {"spike": 10, "dropout": 10, "stuck": 36, "offset": 48}
    assert int(p.any_fault.sum()) == sum(sizes.values())  # no overlap
    assert not np.isnan(v[p.any_fault]).any()  # only on present values
    assert (p.values[p.truth["spike"]] >= 125).all() and (p.values[p.truth["dropout"]] <= 7.5).all()
    assert np.allclose(p.values[p.truth["offset"]], 80.0)
    untouched = ~p.any_fault & ~np.isnan(v)
    assert (p.values[untouched] == 50.0).all()
    faults = np.flatnonzero(p.any_fault)
    spans = np.split(faults, np.flatnonzero(np.diff(faults) > 1) + 1)
    assert len(spans) == 25  # no two faults touch, each is its own span


def test_plant_faults_refuses_what_does_not_fit() -> None:
    with pytest.raises(ValidationError, match="room for only"):
        evaluation.plant_faults(np.full(30, 50.0), {"offset": 3})
    with pytest.raises(ValidationError, match="unknown fault kinds"):
        evaluation.plant_faults(np.full(30, 50.0), {"drift": 1})


def test_detection_counts() -> None:
    flagged = np.array([1, 1, 0, 0, 1, 0], dtype=bool)
    truth = np.array([1, 0, 1, 0, 0, 0], dtype=bool)
    judged = np.array([1, 1, 1, 1, 1, 0], dtype=bool)
    d = evaluation.detection("x", flagged, truth, judged)
    assert (d.true_positives, d.false_positives, d.false_negatives, d.negatives) == (1, 2, 1, 3)
    assert (d.precision, d.recall, d.false_positive_rate) == (1 / 3, 0.5, 2 / 3)
    empty = evaluation.detection("y", np.zeros(3, bool), np.zeros(3, bool), np.ones(3, bool))
    assert np.isnan(empty.precision) and np.isnan(empty.recall)


# --------------------------------------------------------------------------------------------
# detectors on planted anomalies
# --------------------------------------------------------------------------------------------
def test_isolation_forest_finds_planted_spikes_and_dropouts(planted) -> None:  # type: ignore[no-untyped-def]
    t, v, p, train = planted
    detector = anomaly.IsolationForestDetector().fit(t[train], v[train])
    result = detector.check(t, v)
    found = result.reasons[anomaly.REASON]
    recall = evaluation.recall_by_kind(found, p)
    assert recall["spike"] >= 0.8 and recall["dropout"] >= 0.9
    judged = ~train & ~np.isnan(v)
    d = evaluation.detection("forest", found, p.any_fault, judged)
    assert d.false_positive_rate < 0.01
    assert set(np.unique(result.flags[found]).tolist()) == {QcFlag.SUSPECT}  # never BAD


def test_robust_residual_finds_dropouts_with_few_false_alarms(planted) -> None:  # type: ignore[no-untyped-def]
    t, v, p, train = planted
    found = anomaly.RobustResidualDetector().check(t, v).reasons[anomaly.REASON]
    assert evaluation.recall_by_kind(found, p)["dropout"] >= 0.8
    d = evaluation.detection("robust", found, p.any_fault, ~train & ~np.isnan(v))
    assert d.false_positive_rate < 0.005


def test_neither_model_calls_a_stuck_sensor_an_anomaly(planted) -> None:  # type: ignore[no-untyped-def]
    """A run of equal values is in context by construction: that is the flat-line rule's job,
    and the evaluation says so instead of hiding it."""
    t, v, p, train = planted
    forest = anomaly.IsolationForestDetector().fit(t[train], v[train])
    found = forest.check(t, v).reasons[anomaly.REASON]
    assert evaluation.recall_by_kind(found, p)["stuck"] < 0.2


def test_clean_data_raises_about_the_contamination_share() -> None:
    t, v = hourly_pm25(seed=4)
    detector = anomaly.IsolationForestDetector(contamination=0.002).fit(t[:2000], v[:2000])
    share = detector.check(t[2000:], v[2000:]).reasons[anomaly.REASON].mean()
    assert share < 0.01


def test_missing_values_and_gaps_are_not_judged() -> None:
    t, v = hourly_pm25(days=20)
    v[100:130] = np.nan
    result = anomaly.RobustResidualDetector().check(t, v)
    assert (result.flags[100:130] == QcFlag.MISSING).all()
    assert not result.reasons[anomaly.REASON][100:130].any()
    off_grid = t.copy()
    off_grid[200] += 600  # a reading off the hourly grid has no context to be judged in
    assert np.isnan(anomaly.context(off_grid, v, H).residual[200])


def test_context_works_on_five_minute_data() -> None:
    t = T0 + 300 * np.arange(12 * 24 * 10, dtype=np.int64)
    v = np.round(50 + 5 * np.sin(np.arange(t.size) / 50), 1)
    v[1000] = 5.0
    found = anomaly.RobustResidualDetector().check(t, v).reasons[anomaly.REASON]
    assert np.flatnonzero(found).tolist() == [1000]


def test_detector_arguments_are_checked() -> None:
    with pytest.raises(ValidationError, match="not fitted"):
        anomaly.IsolationForestDetector().scores([T0], [1.0])
    with pytest.raises(ValidationError, match="contamination"):
        anomaly.IsolationForestDetector(contamination=0.6).fit(*hourly_pm25(days=20))
    with pytest.raises(ValidationError, match="too little history"):
        anomaly.IsolationForestDetector().fit(*hourly_pm25(days=5))
    with pytest.raises(ValidationError, match="k > 0"):
        anomaly.RobustResidualDetector(k=0)


# --------------------------------------------------------------------------------------------
# real data: the provider's Invalid labels
# --------------------------------------------------------------------------------------------
def test_on_real_data_the_models_flag_few_valid_hours(shared_dir: Path) -> None:
    """Hà Nội 2017 (trained on 2016): what share of the hours the provider kept Valid would a
    model send to review? Honest bound, not a tuned score: under 1 %."""
    folder = shared_dir / "data/air/airnow-us-state-dept"
    s = read_airnow([folder / "Hanoi_PM2.5_2016_YTD.csv", folder / "Hanoi_PM2.5_2017_YTD.csv"])
    year = s.times >= 1_483_203_600  # 2017-01-01 01:00 local
    detector = anomaly.IsolationForestDetector().fit(s.times[~year], s.valid_values[~year])
    found = detector.check(s.times[year], s.values[year]).reasons[anomaly.REASON]
    valid = (s.qc[year] == "Valid") & ~np.isnan(s.values[year])
    assert found[valid].mean() < 0.01
