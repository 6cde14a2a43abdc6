"""QCVN compliance: compare a value with a `LimitRule`, and find exceedance episodes.

Pure functions. The caller converts the value to the rule's unit and averages it over the
rule's period (QCVN 05:2023: 1 h, 8 h, 24 h, year) — this module only compares.

- A rule with a maximum is breached when the value is **above** it ("không vượt quá": equal
  to the limit complies); a rule with a minimum (DO) when the value is **below** it; a rule
  with both (pH) when it falls outside the range.
- QCVN 40:2011 industrial wastewater: Cmax = C × Kq × Kf, where Kq depends on the receiving
  water and Kf on the discharge flow. The factors come from the discharge permit (their QCVN
  40:2011 tables were not verified, see qcvn-limits.md), and apply only to rules marked
  `scalable` (pH and coliforms, among others, are exempt). QCVN 14:2008's single K is passed
  as `kq` with `kf` = 1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, cast

from quantrac.catalog.limits import LimitRule


class Direction(StrEnum):
    """Where a value stands against a rule."""

    WITHIN = "within"
    ABOVE_MAXIMUM = "above_maximum"
    BELOW_MINIMUM = "below_minimum"


@dataclass(frozen=True, slots=True)
class ComplianceResult:
    """The outcome of one comparison.

    `limit` is the bound that decided the outcome: the breached bound, or — when within — the
    maximum if the rule has one, else the minimum. `ratio` = value / limit (None when the limit
    is 0). `minimum`/`maximum` are the effective bounds, the maximum already scaled by
    `scale` (= Kq × Kf for scalable rules, 1 otherwise).
    """

    exceeded: bool
    direction: Direction
    value: float
    limit: float
    ratio: float | None
    minimum: float | None
    maximum: float | None
    scale: float
    rule: LimitRule


def _factor(name: str, value: float) -> float:
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value}")
    return value


def effective_bounds(
    rule: LimitRule, kq: float = 1.0, kf: float = 1.0
) -> tuple[float | None, float | None, float]:
    """(minimum, maximum, scale) after QCVN 40:2011 scaling Cmax = C × Kq × Kf.

    Only the maximum of a `scalable` rule is scaled; for other rules the factors are ignored
    and the scale is 1, so a caller may pass a permit's Kq/Kf for every parameter.
    """
    if rule.kind == "not_detected":
        # "KPH": must not be detected, so any measured amount above zero exceeds.
        return None, 0.0, 1.0
    if not rule.is_limit:
        raise ValueError(
            f"{rule.regulation} {rule.parameter_name} ({rule.column}): a {rule.kind} row "
            "describes a class, it is not a limit a value can exceed"
        )
    scale = _factor("kq", kq) * _factor("kf", kf) if rule.scalable else 1.0
    if rule.minimum is None and rule.maximum is None:
        raise ValueError(f"{rule.regulation} {rule.parameter_name}: rule has no numeric limit")
    maximum = rule.maximum * scale if rule.maximum is not None else None
    return rule.minimum, maximum, scale


def _ratio(value: float, limit: float) -> float | None:
    return value / limit if limit != 0 else None


def check(rule: LimitRule, value: float, *, kq: float = 1.0, kf: float = 1.0) -> ComplianceResult:
    """Compare one value (in `rule.unit`, averaged over `rule.averaging`) with `rule`."""
    if not math.isfinite(value):
        raise ValueError(f"value must be a finite number, got {value}")
    minimum, maximum, scale = effective_bounds(rule, kq, kf)
    if maximum is not None and value > maximum:
        direction, limit = Direction.ABOVE_MAXIMUM, maximum
    elif minimum is not None and value < minimum:
        direction, limit = Direction.BELOW_MINIMUM, minimum
    elif maximum is not None:
        direction, limit = Direction.WITHIN, maximum
    else:
        # effective_bounds guarantees a minimum when there is no maximum.
        direction, limit = Direction.WITHIN, cast(float, minimum)
    return ComplianceResult(
        direction is not Direction.WITHIN,
        direction,
        value,
        limit,
        _ratio(value, limit),
        minimum,
        maximum,
        scale,
        rule,
    )


@dataclass(frozen=True, slots=True)
class Episode:
    """One contiguous run of values outside a rule.

    `peak_value` is the worst value (highest above a maximum, lowest below a minimum) and
    `peak_time` its first occurrence; `count` is the number of values in the run.
    """

    start: Any
    end: Any
    peak_value: float
    peak_time: Any
    count: int
    direction: Direction


def detect_episodes(
    times: Sequence[Any],
    values: Sequence[float],
    rule: LimitRule,
    *,
    max_gap: Any = None,
    kq: float = 1.0,
    kf: float = 1.0,
) -> list[Episode]:
    """Exceedance episodes of a time-ordered series against `rule`.

    An episode opens at the first value outside the limits and closes at the last one before
    a value back within limits. It also closes when the time between two consecutive values
    exceeds `max_gap` (same type as time differences: seconds for epoch numbers, `timedelta`
    for datetimes; None = never), or when the series jumps from one side of a range to the
    other. NaN values are missing data: skipped, neither opening nor closing an episode (the
    gap rule still sees the time they leave).
    """
    if len(times) != len(values):
        raise ValueError("times and values differ in length")
    minimum, maximum, _ = effective_bounds(rule, kq, kf)
    episodes: list[Episode] = []
    run: list[tuple[Any, float]] = []
    run_direction = Direction.WITHIN
    previous_time: Any = None
    last_seen: Any = None

    def close() -> None:
        if not run:
            return
        worst = max if run_direction is Direction.ABOVE_MAXIMUM else min
        peak_time, peak_value = worst(run, key=lambda item: item[1])
        episodes.append(
            Episode(run[0][0], run[-1][0], peak_value, peak_time, len(run), run_direction)
        )
        run.clear()

    for time, value in zip(times, values, strict=True):
        if last_seen is not None and time < last_seen:
            raise ValueError("times must be in ascending order")
        last_seen = time
        if value is None or math.isnan(value):
            continue
        if max_gap is not None and previous_time is not None and time - previous_time > max_gap:
            close()
        previous_time = time
        if maximum is not None and value > maximum:
            direction = Direction.ABOVE_MAXIMUM
        elif minimum is not None and value < minimum:
            direction = Direction.BELOW_MINIMUM
        else:
            close()
            continue
        if run and direction is not run_direction:
            close()
        run_direction = direction
        run.append((time, value))
    close()
    return episodes
