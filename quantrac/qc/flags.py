"""The QC flag scale and how flags from several checks combine into one.

The scale is the five-value vocabulary used by QARTOD/IOOS sensor QC, so flags we publish can be
read by tools that already know it: 1 good, 2 not evaluated, 3 suspect, 4 bad, 9 missing.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: numpy dtype of every flag array (the codes fit in one byte).
FLAG_DTYPE = np.uint8


class QcFlag(IntEnum):
    """One value's quality after automatic QC.

    NOT_EVALUATED means "no check could judge this value" (e.g. the first reading has no
    neighbour for the spike check); it is not a verdict and never overrides one.
    """

    GOOD = 1
    NOT_EVALUATED = 2
    SUSPECT = 3
    BAD = 4
    MISSING = 9


# Severity rank per flag code: a higher rank wins when flags combine. NOT_EVALUATED ranks below
# GOOD so that one check passing a value is enough to call it good; MISSING ranks above BAD so a
# value that is not there is always reported as missing, whatever else was said about its row.
_RANK = np.zeros(10, dtype=np.int8)
_RANK[QcFlag.NOT_EVALUATED] = 0
_RANK[QcFlag.GOOD] = 1
_RANK[QcFlag.SUSPECT] = 2
_RANK[QcFlag.BAD] = 3
_RANK[QcFlag.MISSING] = 4
_BY_RANK = np.array(
    [QcFlag.NOT_EVALUATED, QcFlag.GOOD, QcFlag.SUSPECT, QcFlag.BAD, QcFlag.MISSING],
    dtype=FLAG_DTYPE,
)
_VALID_CODES = frozenset(int(f) for f in QcFlag)


def full_flags(n: int, flag: QcFlag) -> NDArray[np.uint8]:
    """An array of `n` copies of `flag` (the starting point of every check)."""
    return np.full(n, int(flag), dtype=FLAG_DTYPE)


def as_flags(flags: ArrayLike) -> NDArray[np.uint8]:
    """`flags` as a flag array; raises ValueError when a code is not on the scale."""
    arr = np.asarray(flags)
    if arr.size and not set(np.unique(arr).tolist()) <= _VALID_CODES:
        bad = sorted(set(np.unique(arr).tolist()) - _VALID_CODES)
        raise ValueError(f"not QC flag codes: {bad}; the scale is 1, 2, 3, 4, 9")
    return arr.astype(FLAG_DTYPE, copy=False)


def combine_flags(
    flag_arrays: Iterable[ArrayLike], values: ArrayLike | None = None
) -> NDArray[np.uint8]:
    """Combine per-check flags into one flag per value: the worst verdict wins.

    Order of precedence: MISSING > BAD > SUSPECT > GOOD > NOT_EVALUATED. A value is only
    NOT_EVALUATED when no check could judge it. When `values` is given, every NaN value is
    MISSING whatever the checks said (a check cannot pass a value that does not exist).
    """
    arrays = [as_flags(a) for a in flag_arrays]
    if not arrays:
        if values is None:
            raise ValueError("combine_flags needs at least one flag array or the values")
        n = np.asarray(values).shape[0]
        out = full_flags(n, QcFlag.NOT_EVALUATED)
    else:
        shapes = {a.shape for a in arrays}
        if len(shapes) != 1:
            raise ValueError(f"flag arrays differ in shape: {sorted(shapes)}")
        ranks = np.max(np.stack([_RANK[a] for a in arrays]), axis=0)
        out = _BY_RANK[ranks]
    if values is not None:
        missing = np.isnan(np.asarray(values, dtype=np.float64))
        if missing.shape != out.shape:
            raise ValueError(f"values shape {missing.shape} != flags shape {out.shape}")
        out = np.where(missing, FLAG_DTYPE(QcFlag.MISSING), out).astype(FLAG_DTYPE)
    return out


def worst(*flags: QcFlag) -> QcFlag:
    """The combined verdict of single flags (same precedence as `combine_flags`)."""
    if not flags:
        raise ValueError("worst() needs at least one flag")
    return QcFlag(int(_BY_RANK[max(int(_RANK[int(f)]) for f in flags)]))
