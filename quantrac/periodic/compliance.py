"""Compliance at import: each result against the QCVN limits of its station's column.

Pure. Which rules apply:

- the station's regulation and column (`station.regulation_column`), plus the regulation's
  tables that always apply (QCVN 08:2023 Bảng 1); with no column only the latter;
- only rules for a single sample; for ambient air (QCVN 05:2023, whose limits are averages)
  the 1-hour rules, assuming a periodic air sample is a 1-hour average;
- not the QCVN 08:2023 rows that mark where a **worse class begins** (level D, and level C
  TSS "> 100"): their minimum is the class's exclusive lower bound, not a limit to stay above,
  and not the classes described in words (level D pH). Level D therefore has no limit of its
  own; its stations are compared with Bảng 1 only.

A result below the detection limit is an interval, not a number: ``<0.05`` is somewhere in
[0, 0.05], KPH in [0, limit], ``>2400`` in [2400, ∞). It exceeds when the whole interval is
outside the limit, complies when the whole interval is inside, and otherwise the report says
it cannot be decided (a detection limit above the QCVN limit). Under a "KPH" rule (must not
be detected) any detected value exceeds.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from quantrac.catalog import Catalog, get_catalog
from quantrac.catalog.limits import LimitRule
from quantrac.catalog.units import conversion
from quantrac.indices.compliance import ComplianceResult, Direction, check
from quantrac.periodic.messages import text
from quantrac.periodic.model import Exceedance, Issue, SampleKey, StandardResult, StationInfo

#: Stand-in for "no upper bound" ('>2400'): `check` takes finite numbers only.
_UNBOUNDED = sys.float_info.max / 1e6
#: Averaging periods a single lab sample is compared with, per medium.
SAMPLE_AVERAGING: dict[str, tuple[str, ...]] = {"ambient_air": ("single sample", "1h")}
_DEFAULT_AVERAGING = ("single sample",)


def is_class_floor(rule: LimitRule) -> bool:
    """True for a QCVN 08:2023 row giving where a worse class starts, not a limit."""
    return rule.kind == "class_bound"


def station_rules(
    catalog: Catalog, station: StationInfo, parameter_code: str, matrix: str
) -> list[LimitRule]:
    """The rules a result of `parameter_code` at `station` is compared with (any date)."""
    if not station.regulation or station.regulation not in catalog.regulations:
        return []
    regulation = catalog.regulations[station.regulation]
    if matrix != regulation.medium:
        return []
    averaging = SAMPLE_AVERAGING.get(matrix, _DEFAULT_AVERAGING)
    rules = catalog.limit_rules(
        regulation=station.regulation,
        column=station.regulation_column,
        parameter_code=parameter_code,
    )
    if station.regulation_column is None:
        rules = [r for r in rules if r.column in regulation.always_applies]
    return [
        r
        for r in rules
        if r.kind != "descriptive" and not is_class_floor(r) and r.averaging in averaging
    ]


@dataclass(frozen=True, slots=True)
class Verdict:
    """One comparison: exceeded, within, or undecidable (`result` is the deciding check)."""

    outcome: str  # exceeded | within | undecided
    result: ComplianceResult | None
    compared: float


def judge(
    rule: LimitRule,
    value: float | None,
    qualifier: str | None,
    detection_limit: float | None,
    *,
    kq: float = 1.0,
    kf: float = 1.0,
) -> Verdict:
    """Compare one result (already in `rule.unit`) with `rule`, qualifiers included."""
    detected = qualifier not in ("<", "ND")
    if rule.kind == "not_detected":
        if detected and value is not None and value > 0:
            return Verdict("exceeded", None, value)
        return Verdict("within", None, 0.0)
    low, high = _interval(value, qualifier, detection_limit)
    at_low, at_high = check(rule, low, kq=kq, kf=kf), check(rule, high, kq=kq, kf=kf)
    if at_low.exceeded and at_high.exceeded and at_low.direction == at_high.direction:
        deciding = at_low if at_low.direction is Direction.ABOVE_MAXIMUM else at_high
        return Verdict("exceeded", deciding, deciding.value)
    if not at_low.exceeded and not at_high.exceeded:
        return Verdict("within", at_high, high)
    return Verdict("undecided", at_high if at_high.exceeded else at_low, high)


def _interval(
    value: float | None, qualifier: str | None, detection_limit: float | None
) -> tuple[float, float]:
    if qualifier == ">" and value is not None:
        return value, _UNBOUNDED
    if qualifier == "<" and value is not None:
        return min(0.0, value), value
    if qualifier == "ND":
        upper = detection_limit if detection_limit is not None else 0.0
        return min(0.0, upper), upper
    exact = value if value is not None else 0.0
    return exact, exact


def assess(
    results: Sequence[StandardResult],
    *,
    catalog: Catalog | None = None,
    lang: str = "vi",
) -> tuple[list[Exceedance], list[Issue]]:
    """Exceedances of the results, and report notes on what could not be compared."""
    return _Assessor(catalog or get_catalog(), lang).run(results)


class _Assessor:
    def __init__(self, catalog: Catalog, lang: str) -> None:
        self.catalog = catalog
        self.lang = lang
        self.rules: dict[tuple[str | None, str | None, str, str], list[LimitRule]] = {}
        self.scales: dict[tuple[str, str, str, str], tuple[float, float]] = {}
        self.undecided: dict[tuple[str, str, str], tuple[Issue, list[int]]] = {}
        self.no_regulation: set[str] = set()
        self.no_column: dict[str, set[str]] = {}
        self.outside: dict[str, set[SampleKey]] = {}
        self.other_matrix: dict[str, set[SampleKey]] = {}
        self.air: set[str] = set()

    def run(self, results: Iterable[StandardResult]) -> tuple[list[Exceedance], list[Issue]]:
        found: list[Exceedance] = []
        for result in results:
            found.extend(self._one(result))
        return found, self._notes()

    def _one(self, result: StandardResult) -> list[Exceedance]:
        station = result.station
        if not self._applies(result):
            return []
        key = (
            station.regulation,
            station.regulation_column,
            result.parameter_code,
            result.sample.matrix,
        )
        rules = self.rules.get(key)
        if rules is None:
            rules = self.rules[key] = station_rules(
                self.catalog, station, result.parameter_code, result.sample.matrix
            )
        out = []
        for rule in rules:
            if not rule.applies_on(result.local_day):
                continue
            exceedance = self._compare(result, rule)
            if exceedance is not None:
                out.append(exceedance)
        return out

    def _applies(self, result: StandardResult) -> bool:
        """Whether the station's regulation can judge this result; notes why not."""
        station = result.station
        regulation = self.catalog.regulations.get(station.regulation or "")
        if regulation is None:
            self.no_regulation.add(station.code)
            return False
        if result.sample.matrix != regulation.medium:
            self.other_matrix.setdefault(regulation.code, set()).add(result.key)
            return False
        if station.regulation_column is None:
            self.no_column.setdefault(regulation.code, set()).add(station.code)
        if regulation.medium == "ambient_air":
            self.air.add(regulation.code)
        if not _in_force(regulation.effective_from, regulation.effective_to, result.local_day):
            self.outside.setdefault(regulation.code, set()).add(result.key)
        return True

    def _compare(self, result: StandardResult, rule: LimitRule) -> Exceedance | None:
        scale, shift = self._scale(result, rule)
        v = result.values

        def to_rule(x: float | None) -> float | None:
            return None if x is None else min(x * scale + shift, _UNBOUNDED)

        station = result.station
        verdict = judge(
            rule,
            to_rule(v.value),
            v.qualifier,
            to_rule(v.detection_limit),
            kq=station.kq or 1.0,
            kf=station.kf or 1.0,
        )
        if verdict.outcome == "undecided":
            self._note_undecided(result, rule, verdict)
            return None
        if verdict.outcome != "exceeded":
            return None
        deciding = verdict.result
        return Exceedance(
            row=result.row,
            column=result.column,
            station_code=station.code,
            sampled_at=result.sampled_at,
            parameter_code=result.parameter_code,
            value=v.value,
            qualifier=v.qualifier,
            compared=verdict.compared,
            limit=deciding.limit if deciding else 0.0,
            unit=rule.unit,
            direction=str(deciding.direction) if deciding else str(Direction.ABOVE_MAXIMUM),
            ratio=deciding.ratio if deciding else None,
            regulation=rule.regulation,
            rule_column=rule.column,
            confidence=rule.confidence,
        )

    def _scale(self, result: StandardResult, rule: LimitRule) -> tuple[float, float]:
        key = (result.parameter_code, result.values.unit, rule.unit, result.sample.matrix)
        found = self.scales.get(key)
        if found is None:
            units = self.catalog.units
            molar_mass = self.catalog.parameters.get(result.parameter_code).molar_mass
            source, target = units.get(result.values.unit), units.get(rule.unit)
            found = self.scales[key] = conversion(source, target, molar_mass)
        return found

    def _note_undecided(self, result: StandardResult, rule: LimitRule, verdict: Verdict) -> None:
        key = (result.parameter_code, rule.regulation, rule.column)
        if key not in self.undecided:
            limit = verdict.result.limit if verdict.result else 0.0
            what = "inconclusive_above" if result.values.qualifier == ">" else "inconclusive"
            shown = verdict.compared
            if what == "inconclusive_above" and result.values.value is not None:
                shown = result.values.value
            issue = Issue(
                text(
                    what,
                    self.lang,
                    code=result.parameter_code,
                    value=shown,
                    unit=rule.unit,
                    limit=limit,
                    rule=f"{rule.regulation} {rule.column}",
                ),
                severity="warning",
                column=result.column,
                value=result.record.raw_value,
                suggestion=text("inconclusive_hint", self.lang),
                stage="compliance",
            )
            self.undecided[key] = (issue, [])
        self.undecided[key][1].append(result.row)

    def _notes(self) -> list[Issue]:
        lang = self.lang
        notes = [_replace_rows(issue, rows) for issue, rows in self.undecided.values()]
        if self.no_regulation:
            codes = sorted(self.no_regulation)
            shown = ", ".join(codes[:10]) + (" …" if len(codes) > 10 else "")
            notes.append(
                _info(
                    text("no_regulation", lang, n=len(codes), codes=shown),
                    text("no_regulation_hint", lang),
                )
            )
        for regulation, codes in self.no_column.items():
            shown = ", ".join(sorted(codes)[:10]) + (" …" if len(codes) > 10 else "")
            notes.append(_info(text("no_column", lang, codes=shown, regulation=regulation)))
        for regulation, keys in self.outside.items():
            reg = self.catalog.regulations[regulation]
            period = _period(reg.effective_from, reg.effective_to)
            n = len(keys)
            notes.append(
                _info(text("outside_regulation", lang, n=n, regulation=regulation, period=period))
            )
        for regulation, keys in self.other_matrix.items():
            matrix = self.catalog.regulations[regulation].medium
            notes.append(_info(text("other_matrix", lang, n=len(keys), matrix=matrix)))
        notes.extend(_info(text("air_averaging", lang, regulation=r)) for r in sorted(self.air))
        return notes


def _in_force(start: date | None, end: date | None, day: date) -> bool:
    return (start is None or day >= start) and (end is None or day <= end)


def _period(start: date | None, end: date | None) -> str:
    fmt = "%d/%m/%Y"
    return f"{start.strftime(fmt) if start else '…'} – {end.strftime(fmt) if end else '…'}"


def _info(message: str, suggestion: str | None = None) -> Issue:
    return Issue(message, severity="info", suggestion=suggestion, stage="compliance")


def _replace_rows(issue: Issue, rows: list[int]) -> Issue:
    return replace(issue, rows=tuple(dict.fromkeys(rows)))
