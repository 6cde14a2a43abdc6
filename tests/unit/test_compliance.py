"""QCVN comparison (maximum, minimum, range, QCVN 40:2011 scaling) and exceedance episodes."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from quantrac.catalog.limits import LimitRule
from quantrac.indices.compliance import Direction, check, detect_episodes, effective_bounds


def rule(
    minimum: float | None = None, maximum: float | None = None, *, scalable: bool = False
) -> LimitRule:
    return LimitRule(
        regulation="QCVN test",
        medium="test",
        parameter_name="X",
        parameter_code="X",
        unit="mg/L",
        column="A",
        minimum=minimum,
        maximum=maximum,
        averaging="1h",
        valid_from=None,
        valid_to=None,
        scalable=scalable,
        note="",
        confidence="high",
        source="test",
        line=1,
    )


SO2_1H = rule(maximum=350)  # QCVN 05:2023 SO2 1-h
DO_MIN = rule(minimum=5.0)  # a DO floor
PH_RANGE = rule(minimum=6.0, maximum=8.5)  # a pH range
COD_B = rule(maximum=150, scalable=True)  # QCVN 40:2011 column B style
ZERO = rule(maximum=0.0)


@pytest.mark.parametrize(
    ("limit_rule", "value", "exceeded", "direction", "limit", "ratio"),
    [
        (SO2_1H, 100.0, False, Direction.WITHIN, 350, 100 / 350),
        (SO2_1H, 350.0, False, Direction.WITHIN, 350, 1.0),  # equal to the limit complies
        (SO2_1H, 350.1, True, Direction.ABOVE_MAXIMUM, 350, 350.1 / 350),
        (DO_MIN, 4.9, True, Direction.BELOW_MINIMUM, 5.0, 4.9 / 5),
        (DO_MIN, 5.0, False, Direction.WITHIN, 5.0, 1.0),
        (DO_MIN, 8.0, False, Direction.WITHIN, 5.0, 1.6),
        (PH_RANGE, 5.9, True, Direction.BELOW_MINIMUM, 6.0, 5.9 / 6),
        (PH_RANGE, 6.0, False, Direction.WITHIN, 8.5, 6 / 8.5),
        (PH_RANGE, 8.5, False, Direction.WITHIN, 8.5, 1.0),
        (PH_RANGE, 8.6, True, Direction.ABOVE_MAXIMUM, 8.5, 8.6 / 8.5),
        (ZERO, 0.0, False, Direction.WITHIN, 0.0, None),
        (ZERO, 0.01, True, Direction.ABOVE_MAXIMUM, 0.0, None),
    ],
)
def test_check(
    limit_rule: LimitRule,
    value: float,
    *,
    exceeded: bool,
    direction: Direction,
    limit: float,
    ratio: float | None,
) -> None:
    result = check(limit_rule, value)
    assert result.exceeded is exceeded
    assert result.direction is direction
    assert result.limit == limit
    assert result.ratio == (None if ratio is None else pytest.approx(ratio))
    assert result.scale == 1.0
    assert result.rule is limit_rule


@pytest.mark.parametrize(
    ("limit_rule", "kq", "kf", "value", "maximum", "exceeded"),
    [
        (COD_B, 0.9, 1.0, 140.0, 135.0, True),  # Cmax = 150 × 0.9 × 1.0
        (COD_B, 0.9, 1.0, 135.0, 135.0, False),
        (COD_B, 1.1, 1.2, 190.0, 198.0, False),  # Cmax = 150 × 1.1 × 1.2
        (COD_B, 1.0, 1.0, 150.0, 150.0, False),
        (SO2_1H, 0.5, 0.5, 300.0, 350.0, False),  # not scalable: factors ignored
        (PH_RANGE, 0.6, 0.9, 8.4, 8.5, False),
    ],
)
def test_qcvn40_scaling(
    limit_rule: LimitRule, kq: float, kf: float, *, value: float, maximum: float, exceeded: bool
) -> None:
    result = check(limit_rule, value, kq=kq, kf=kf)
    assert result.maximum == pytest.approx(maximum)
    assert result.exceeded is exceeded
    assert result.scale == pytest.approx(kq * kf if limit_rule.scalable else 1.0)


def test_scaling_leaves_minimum_alone() -> None:
    minimum, maximum, scale = effective_bounds(rule(minimum=2.0, maximum=10.0, scalable=True), 0.5)
    assert (minimum, maximum, scale) == (2.0, 5.0, 0.5)


@pytest.mark.parametrize(
    ("limit_rule", "value", "kq", "message"),
    [
        (COD_B, 1.0, 0.0, "kq"),
        (COD_B, 1.0, -1.0, "kq"),
        (COD_B, 1.0, float("nan"), "kq"),
        (SO2_1H, float("nan"), 1.0, "finite"),
        (rule(), 1.0, 1.0, "no numeric limit"),
    ],
)
def test_check_errors(limit_rule: LimitRule, value: float, kq: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check(limit_rule, value, kq=kq)


# ---- Episodes ---------------------------------------------------------------------------

T0 = 1_700_000_000
HOUR = 3600
THREE_CROSSINGS = [10, 20, 60, 80, 55, 30, 40, 70, 20, 10, 90, 95, 92, 40]


def test_three_crossings_give_three_episodes() -> None:
    times = [T0 + HOUR * k for k in range(len(THREE_CROSSINGS))]
    episodes = detect_episodes(times, THREE_CROSSINGS, rule(maximum=50))
    assert [(e.start, e.end, e.peak_value, e.peak_time, e.count) for e in episodes] == [
        (times[2], times[4], 80, times[3], 3),
        (times[7], times[7], 70, times[7], 1),
        (times[10], times[12], 95, times[11], 3),
    ]
    assert all(e.direction is Direction.ABOVE_MAXIMUM for e in episodes)


@pytest.mark.parametrize(
    ("offsets_h", "values", "max_gap", "counts"),
    [
        ([0, 1, 5, 6], [60, 70, 80, 60], 2 * HOUR, [2, 2]),  # the 4-h gap closes the episode
        ([0, 1, 5, 6], [60, 70, 80, 60], None, [4]),  # no max_gap: one episode
        ([0, 1, 3], [60, 70, 80], 2 * HOUR, [3]),  # a gap of exactly max_gap keeps it open
        ([0, 1, 2], [60, float("nan"), 70], None, [2]),  # missing values are skipped
        ([0, 1, 2, 3], [60, float("nan"), float("nan"), 70], 2 * HOUR, [1, 1]),
        ([0, 1, 2], [10, 20, 30], None, []),
        ([], [], None, []),
    ],
)
def test_episode_gaps(
    offsets_h: list[int], values: list[float], max_gap: int | None, counts: list[int]
) -> None:
    times = [T0 + HOUR * h for h in offsets_h]
    episodes = detect_episodes(times, values, rule(maximum=50), max_gap=max_gap)
    assert [e.count for e in episodes] == counts


def test_minimum_and_range_episodes() -> None:
    times = list(range(8))
    do = [6.0, 4.0, 3.0, 3.0, 5.5, 4.5, 6.0, 6.0]
    episodes = detect_episodes(times, do, DO_MIN)
    assert [(e.start, e.end, e.peak_value, e.peak_time) for e in episodes] == [
        (1, 3, 3.0, 2),  # peak = lowest value, first occurrence
        (5, 5, 4.5, 5),
    ]
    assert all(e.direction is Direction.BELOW_MINIMUM for e in episodes)
    ph = [7.0, 5.0, 9.0, 9.5, 7.0]
    directions = [e.direction for e in detect_episodes(list(range(5)), ph, PH_RANGE)]
    assert directions == [Direction.BELOW_MINIMUM, Direction.ABOVE_MAXIMUM]


def test_episodes_with_datetimes_and_scaling() -> None:
    start = datetime(2024, 1, 1, 1)
    times = [start + timedelta(hours=h) for h in (0, 1, 2, 6)]
    values = [140.0, 145.0, 120.0, 160.0]
    episodes = detect_episodes(times, values, COD_B, kq=0.9, max_gap=timedelta(hours=3))
    assert [(e.start, e.peak_value, e.count) for e in episodes] == [
        (times[0], 145.0, 2),
        (times[3], 160.0, 1),
    ]


def test_episode_input_errors() -> None:
    with pytest.raises(ValueError, match="ascending"):
        detect_episodes([2, 1], [60, 60], rule(maximum=50))
    with pytest.raises(ValueError, match="length"):
        detect_episodes([1, 2], [60], rule(maximum=50))


def test_class_bound_and_not_detected_rows() -> None:
    from quantrac.catalog import get_catalog

    cat = get_catalog()
    (bod_d,) = [
        r
        for r in cat.limit_rules(
            regulation="QCVN 08:2023/BTNMT", column="river-D", parameter_code="BOD5"
        )
        if r.kind == "class_bound"
    ]
    with pytest.raises(ValueError, match="not a limit"):
        check(bod_d, 12.0)
    (benzidine,) = [r for r in cat.limits if r.parameter_name == "Benzidine"]
    assert check(benzidine, 0.0).exceeded is False
    assert check(benzidine, 0.001).exceeded is True
