"""Standardize readings: parameter alias → code, unit → canonical, local time → UTC.

Pure (catalogue only). Each problem names the record it came from, so a caller can report
"file X, line 12, field unit: unknown unit 'mg/LL' (did you mean mg/L?)".
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from quantrac.catalog import Catalog, get_catalog
from quantrac.errors import QuantracError


@dataclass(frozen=True, slots=True)
class Reading:
    """A value as received: names and units as written, an aware timestamp."""

    station: str
    parameter: str
    time: datetime
    value: float | None
    unit: str = ""
    device_status: int | None = None
    where: str = ""  # e.g. "HN_X_Y_20260101.txt line 4"


@dataclass(frozen=True, slots=True)
class StandardReading:
    station: str
    parameter_code: str
    time: int  # epoch seconds UTC
    value: float | None
    device_status: int | None
    where: str


@dataclass(frozen=True, slots=True)
class Problem:
    where: str
    field: str
    message: str


def standardize(
    readings: Iterable[Reading], medium_of: dict[str, str], catalog: Catalog | None = None
) -> tuple[list[StandardReading], list[Problem]]:
    """Resolve each reading against the station's medium; collect every problem."""
    catalog = catalog or get_catalog()
    out: list[StandardReading] = []
    problems: list[Problem] = []
    conversions: dict[tuple[str, str, str], tuple[str, float, float]] = {}
    for r in readings:
        medium = medium_of.get(r.station)
        if medium is None:
            problems.append(Problem(r.where, "station", f"unknown station {r.station!r}"))
            continue
        if r.time.tzinfo is None or r.time.utcoffset() is None:
            problems.append(
                Problem(
                    r.where,
                    "time",
                    f"timestamp {r.time.isoformat()} has no "
                    "time zone; give an offset (e.g. +07:00)",
                )
            )
            continue
        if r.value is not None and not math.isfinite(r.value):
            problems.append(Problem(r.where, "value", f"{r.value!r} is not a finite number"))
            continue
        key = (r.parameter, r.unit, medium)
        if key not in conversions:
            try:
                code = catalog.parameter(r.parameter, medium).code
                scale, shift = catalog.conversion(r.unit, code, medium)
                conversions[key] = (code, scale, shift)
            except QuantracError as e:
                field = (
                    "unit"
                    if "unit" in type(e).__name__.lower() or "convert" in str(e)
                    else "parameter"
                )
                problems.append(Problem(r.where, field, str(e)))
                continue
        code, scale, shift = conversions[key]
        value = None if r.value is None else r.value * scale + shift
        out.append(
            StandardReading(
                r.station, code, int(r.time.timestamp()), value, r.device_status, r.where
            )
        )
    return out, problems
