"""VN_WQI — Vietnam Water Quality Index (Decision 1460/QĐ-TCMT of 12/11/2019).

Pure functions over one sample's concentrations. The sub-index tables and categories are
package data (`quantrac.catalog.index_tables`), reconstructed from three public
implementations that agree; the primary text of the tables and of the aggregation formula was
not read (see the reference `vn-wqi-1460-2019.md`).

Groups: I pH; II pesticides (µg/L); III heavy metals; IV organics and nutrients (DO as %
saturation); V microbiology. Group scores: I = WQI_pH, II and III geometric means, IV and V
arithmetic means. Final index, three variants found in implementations:

    (a) WQI = (I/100)·(II/100)·(III/100)·(IV·V)^(1/2)        — default when group V has data
    (b) WQI = (I/100)·(II/100)·(III/100)·(IV²·V)^(1/3)       — selectable ("weighted")
    (c) WQI = (I/100)·(II/100)·(III/100)·IV                  — default without group V

UNVERIFIED against the decision: which variant is prescribed, treating a group I/II/III without
data as 100, and the data-sufficiency rule (≥ 3 of 5 groups with data, group IV mandatory with
≥ 3 parameters). Every `WqiResult` carries this caveat.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from itertools import pairwise
from types import MappingProxyType

from quantrac.catalog.index_tables import (
    WQI_GROUPS,
    IndexCategory,
    WqiTable,
    category_for,
    wqi_categories,
    wqi_tables,
)
from quantrac.errors import UnknownParameter

METHOD = "VN_WQI (Decision 1460/QĐ-TCMT)"
UNVERIFIED = (
    "VN_WQI aggregation variant, neutral 100 for groups I-III without data and the "
    "data-sufficiency rule are not verified against the text of Decision 1460/QĐ-TCMT"
)
VARIANTS = ("a", "b", "c")
#: Groups counted as 100 (neutral) when they have no data — UNVERIFIED implementation rule.
NEUTRAL_WHEN_ABSENT = ("I", "II", "III")
GEOMETRIC_GROUPS = ("II", "III")
#: Data sufficiency defaults (UNVERIFIED; from the tranxuanthuy/vnwqi implementation).
DEFAULT_MIN_GROUPS = 3
DEFAULT_MIN_GROUP_IV_PARAMETERS = 3

#: Decision 1460 DO saturation polynomial in T (°C), mg/L: 14.652 − 0.41022T + 0.0079910T²
#: − 0.000077774T³ (coefficients lowest power first).
DO_SATURATION_COEFFICIENTS = (14.652, -0.41022, 0.0079910, -0.000077774)

#: Catalogue codes (parameters_catalog.csv) → table names of vn_wqi_tables.csv.
CATALOG_CODES: Mapping[str, str] = MappingProxyType(
    {
        "PH": "pH",
        "ALDRIN": "Aldrin",
        "BHC": "BHC",
        "DIELDRIN": "Dieldrin",
        "DDTS": "DDTs",
        "HEPTA": "Heptachlor & Heptachlorepoxide",
        "AS": "As",
        "CD": "Cd",
        "PB": "Pb",
        "CR6": "Cr6+",
        "CU": "Cu",
        "ZN": "Zn",
        "HG": "Hg",
        "DO": "DO",
        "BOD5": "BOD5",
        "COD": "COD",
        "TOC": "TOC",
        "NH4": "N-NH4",
        "NO3N": "N-NO3",
        "NO2N": "N-NO2",
        "PO4P": "P-PO4",
        "COLIFORM": "Coliform",
        "ECOLI": "E.coli",
    }
)


@dataclass(frozen=True)
class WqiResult:
    """A VN_WQI for one sample, or the reason there is none.

    `group_scores` holds the groups computed from data; `neutral_groups` the groups I–III
    counted as 100 for lack of data; `variant` is "a", "b" or "c" (see module docstring).
    """

    value: int | None
    raw: float | None
    category: IndexCategory | None
    variant: str | None
    sub_indices: Mapping[str, float]
    group_scores: Mapping[str, float]
    neutral_groups: tuple[str, ...] = ()
    do_saturation_percent: float | None = None
    reason: str | None = None
    notes: tuple[str, ...] = ()
    caveat: str = field(default=UNVERIFIED)
    method: str = field(default=METHOD)


def do_saturation(temperature_c: float) -> float:
    """Saturated DO (mg/L) at water temperature T (°C), Decision 1460's cubic in T."""
    return sum(c * temperature_c**k for k, c in enumerate(DO_SATURATION_COEFFICIENTS))


def do_percent_saturation(do_mg_l: float, temperature_c: float) -> float:
    """DO% = DO measured / DO_sat(T) × 100 — the DO sub-index works on % saturation."""
    saturation = do_saturation(temperature_c)
    if saturation <= 0:
        raise ValueError(f"no DO saturation at {temperature_c} °C")
    return do_mg_l / saturation * 100


def resolve_parameter(name: str) -> str:
    """Table name for a table name (any case) or a catalogue code; UnknownParameter otherwise."""
    tables = wqi_tables()
    if name in tables:
        return name
    by_fold = {t.casefold(): t for t in tables}
    if name.casefold() in by_fold:
        return by_fold[name.casefold()]
    if name.upper() in CATALOG_CODES:
        return CATALOG_CODES[name.upper()]
    known = [*tables, *CATALOG_CODES]
    raise UnknownParameter(name, difflib.get_close_matches(name, known), "VN_WQI")


def _evaluate(table: WqiTable, value: float) -> float:
    """Piecewise-linear curve of one table, with the bounds of its first and last rows.

    Below the first breakpoint (or at it for "le") → first q; above the last (or at it for
    "ge") → last q. A first row "lt" whose breakpoint repeats on the next row is a jump
    (N-NH4, Cd, Pb, Hg: < x → 100, at x → 75); a last row "gt" repeating the previous
    breakpoint is a jump the other way (N-NO3, As, coliforms, N-NO2: at x → node q, above → 10).
    """
    first, last = table.rows[0], table.rows[-1]
    if value < first.bp or (value == first.bp and first.op == "le"):
        return first.q
    if value > last.bp or (value == last.bp and last.op == "ge"):
        return last.q
    for a, b in pairwise(table.rows):
        if a.bp < b.bp and a.bp <= value <= b.bp:
            return a.q + (b.q - a.q) * (value - a.bp) / (b.bp - a.bp)
    raise AssertionError(f"{table.parameter}: table does not cover {value}")  # pragma: no cover


def sub_index(parameter: str, value: float) -> float:
    """WQI_SI of one parameter (Decision 1460 formulas 1 and 2 = linear interpolation).

    `value` is in the table's unit; for DO it is % saturation (see `do_percent_saturation`).
    """
    if math.isnan(value):
        raise ValueError(f"{parameter}: value is NaN")
    name = resolve_parameter(parameter)
    if value < 0:
        raise ValueError(f"{name}: negative concentration {value}")
    return _evaluate(wqi_tables()[name], value)


def group_scores(sub_indices: Mapping[str, float]) -> dict[str, float]:
    """Group scores from sub-indices keyed by table name: I = pH; II, III geometric means;
    IV, V arithmetic means. Groups without any sub-index are left out."""
    tables = wqi_tables()
    members: dict[str, list[float]] = {}
    for name, si in sub_indices.items():
        members.setdefault(tables[name].group, []).append(si)
    scores: dict[str, float] = {}
    for group in WQI_GROUPS:
        values = members.get(group)
        if not values:
            continue
        if group in GEOMETRIC_GROUPS:
            scores[group] = math.prod(values) ** (1 / len(values))
        else:
            scores[group] = sum(values) / len(values)
    return scores


def combine(scores: Mapping[str, float], variant: str) -> float:
    """Final VN_WQI (unrounded) from group scores — formulas (a)/(b)/(c), UNVERIFIED.

    Groups I–III absent from `scores` count as 100 (neutral). Group IV is required, and
    group V for variants a and b.
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}")
    if "IV" not in scores:
        raise ValueError("group IV is required")
    if variant in ("a", "b") and "V" not in scores:
        raise ValueError(f"variant {variant} needs group V")
    factor = math.prod(scores.get(g, 100.0) / 100 for g in NEUTRAL_WHEN_ABSENT)
    iv = scores["IV"]
    if variant == "a":
        return factor * (iv * scores["V"]) ** (1 / 2)
    if variant == "b":
        return factor * (iv**2 * scores["V"]) ** (1 / 3)
    return factor * iv


def round_half_up(value: float) -> int:
    """Half-up to an integer (JS Math.round); Python's round() would round 0.5 to even."""
    return math.floor(round(value, 9) + 0.5)


def wqi_category(value: int) -> IndexCategory | None:
    """Decision 1460 Bảng 1 band of an integer VN_WQI (None outside the scale)."""
    return category_for(value, wqi_categories())


def _sub_indices(
    values: Mapping[str, float | None], temperature_c: float | None
) -> tuple[dict[str, float], float | None, list[str]]:
    subs: dict[str, float] = {}
    notes: list[str] = []
    do_percent: float | None = None
    for key, value in values.items():
        name = resolve_parameter(key)
        if name in subs:
            raise ValueError(f"{name} given twice")
        if value is None or math.isnan(value):
            continue
        if name == "DO":
            if temperature_c is None or math.isnan(temperature_c):
                notes.append("DO skipped: DO % saturation needs the water temperature")
                continue
            do_percent = do_percent_saturation(value, temperature_c)
            subs[name] = sub_index(name, do_percent)
        else:
            subs[name] = sub_index(name, value)
    return subs, do_percent, notes


def compute_wqi(
    values: Mapping[str, float | None],
    *,
    temperature_c: float | None = None,
    variant: str = "auto",
    min_groups: int = DEFAULT_MIN_GROUPS,
    min_group_iv_parameters: int = DEFAULT_MIN_GROUP_IV_PARAMETERS,
) -> WqiResult:
    """VN_WQI of one sample (Decision 1460/QĐ-TCMT, as reconstructed).

    `values` are keyed by table name ("pH", "BOD5", "N-NH4", …) or catalogue code ("NH4",
    "PO4P", …), in the table units; DO in mg/L with `temperature_c` (°C) of the same sample.
    `variant` "auto" uses (a) when group V has data and (c) otherwise; "a", "b", "c" force one.
    Sufficiency (UNVERIFIED): at least `min_groups` groups with data, and group IV with at
    least `min_group_iv_parameters` parameters; otherwise `value` is None and `reason` says why.
    """
    if variant not in ("auto", *VARIANTS):
        raise ValueError(f"variant must be 'auto' or one of {VARIANTS}")
    subs, do_percent, notes = _sub_indices(values, temperature_c)
    scores = group_scores(subs)
    base = WqiResult(
        value=None,
        raw=None,
        category=None,
        variant=None,
        sub_indices=MappingProxyType(subs),
        group_scores=MappingProxyType(scores),
        neutral_groups=tuple(g for g in NEUTRAL_WHEN_ABSENT if g not in scores),
        do_saturation_percent=do_percent,
        notes=tuple(notes),
    )

    def without(reason: str, chosen: str | None = None) -> WqiResult:
        return replace(base, variant=chosen, reason=reason)

    n_iv = sum(1 for name in subs if wqi_tables()[name].group == "IV")
    if n_iv < max(min_group_iv_parameters, 1):
        return without(
            f"group IV has {n_iv} parameter(s), at least {max(min_group_iv_parameters, 1)} needed"
        )
    if len(scores) < min_groups:
        return without(f"{len(scores)} group(s) with data, at least {min_groups} needed")
    chosen = ("a" if "V" in scores else "c") if variant == "auto" else variant
    if chosen in ("a", "b") and "V" not in scores:
        return without(f"variant {chosen} needs group V (coliform/E.coli) data", chosen)
    raw = combine(scores, chosen)
    value = round_half_up(raw)
    return replace(base, value=value, raw=raw, category=wqi_category(value), variant=chosen)
