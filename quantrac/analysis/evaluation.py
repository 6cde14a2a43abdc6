"""Measuring anomaly detectors: planted faults with known positions, and the provider's labels.

Planting on real data keeps the background honest (real noise, real pollution episodes that a
detector must *not* flag) while the truth about the planted values is exact. The fault kinds
mirror what breaks in automatic PM2.5 monitors:

- `spike`: one value multiplied by 2.5–4 (a burst of dust on the inlet, a transmission glitch);
- `dropout`: one value falling to 0–15 % of itself (a blocked inlet, a filter-tape change);
- `stuck`: 12 readings repeating the first one (a frozen analyser or logger);
- `offset`: 24 readings raised by 60 % (a calibration step).

A detector is scored per value: precision, recall, and the share of untouched values it flags
(false-positive rate), which is what staff would have to wade through.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quantrac.errors import ValidationError

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
FAULT_KINDS = ("spike", "dropout", "stuck", "offset")
_LENGTH = {"spike": 1, "dropout": 1, "stuck": 12, "offset": 24}


@dataclass(frozen=True, eq=False)
class Planted:
    """A series with planted faults: the new values, and where each kind was planted."""

    values: FloatArray
    truth: Mapping[str, BoolArray]

    @property
    def any_fault(self) -> BoolArray:
        out = np.zeros(self.values.shape, dtype=bool)
        for mask in self.truth.values():
            out |= mask
        return out


def plant_faults(
    values: ArrayLike,
    counts: Mapping[str, int],
    *,
    seed: int = 0,
    min_value: float = 5.0,
) -> Planted:
    """Plant `counts[kind]` faults of each kind at random places where every value of the
    fault's span is present and ≥ `min_value`, spans never overlapping (nor touching: a
    detector judges each value by its neighbours)."""
    v = np.asarray(values, dtype=np.float64).copy()
    unknown = set(counts) - set(FAULT_KINDS)
    if unknown:
        raise ValidationError(f"unknown fault kinds {sorted(unknown)}; known: {FAULT_KINDS}")
    rng = np.random.default_rng(seed)
    taken = np.zeros(v.shape, dtype=bool)
    usable = ~np.isnan(v) & (np.nan_to_num(v) >= min_value)
    truth = {kind: np.zeros(v.shape, dtype=bool) for kind in counts}
    for kind, count in counts.items():
        length = _LENGTH[kind]
        placed = 0
        for start in rng.permutation(max(v.shape[0] - length - 1, 0)) + 1:
            if placed == count:
                break
            span = slice(start, start + length)
            guard = slice(start - 1, start + length + 1)
            if not usable[span].all() or taken[guard].any():
                continue
            _apply(v, kind, span, rng)
            taken[span] = True
            truth[kind][span] = True
            placed += 1
        if placed < count:
            raise ValidationError(f"room for only {placed} of {count} {kind} faults")
    return Planted(v, truth)


def _apply(v: FloatArray, kind: str, span: slice, rng: np.random.Generator) -> None:
    if kind == "spike":
        v[span] *= rng.uniform(2.5, 4.0)
    elif kind == "dropout":
        v[span] *= rng.uniform(0.0, 0.15)
    elif kind == "stuck":
        v[span] = v[span.start]
    else:  # offset
        v[span] *= 1.6


@dataclass(frozen=True, slots=True)
class Detection:
    """Per-value detection scores of one detector against a truth mask."""

    detector: str
    true_positives: int
    false_positives: int
    false_negatives: int
    negatives: int  # values judged that are not faults

    @property
    def precision(self) -> float:
        flagged = self.true_positives + self.false_positives
        return self.true_positives / flagged if flagged else float("nan")

    @property
    def recall(self) -> float:
        faults = self.true_positives + self.false_negatives
        return self.true_positives / faults if faults else float("nan")

    @property
    def false_positive_rate(self) -> float:
        return self.false_positives / self.negatives if self.negatives else float("nan")


def detection(detector: str, flagged: ArrayLike, truth: ArrayLike, judged: ArrayLike) -> Detection:
    """Count hits and misses over the `judged` values (present values, usually)."""
    f = np.asarray(flagged, dtype=bool)
    y = np.asarray(truth, dtype=bool)
    j = np.asarray(judged, dtype=bool)
    if not f.shape == y.shape == j.shape:
        raise ValidationError(f"shapes differ: {f.shape}, {y.shape}, {j.shape}")
    return Detection(
        detector,
        int(np.sum(f & y & j)),
        int(np.sum(f & ~y & j)),
        int(np.sum(~f & y & j)),
        int(np.sum(~y & j)),
    )


def recall_by_kind(flagged: ArrayLike, planted: Planted) -> dict[str, float]:
    """Share of each fault kind's values that were flagged."""
    f = np.asarray(flagged, dtype=bool)
    return {
        kind: float(f[mask].mean()) if mask.any() else float("nan")
        for kind, mask in planted.truth.items()
    }


def summarise(rows: Sequence[Detection]) -> list[tuple[str, float, float, float]]:
    """(detector, precision, recall, false-positive rate) for a table."""
    return [(d.detector, d.precision, d.recall, d.false_positive_rate) for d in rows]
