"""The QCVN limits that apply to a station's series, in the series' own unit.

A chart needs the limit line of the regulation the station names (its QCVN and column, plus
the tables that always apply), scaled by the station's Kq × Kf where the rule allows it and
converted to the unit the values are stored in — the same rules, bounds and scaling the
compliance job uses (`compliance_job.applicable_rules`, `compliance.effective_bounds`), so the
line on the chart is the line the exceedance events were measured against.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from quantrac.api.context import ApiContext
from quantrac.api.queries.stations import list_series, visible_station_row
from quantrac.api.rest.common import Ctx
from quantrac.api.security import CurrentPrincipal
from quantrac.catalog import get_catalog
from quantrac.catalog.limits import LimitRule
from quantrac.catalog.units import conversion
from quantrac.errors import UnitConversionError
from quantrac.indices.compliance import effective_bounds
from quantrac.jobs.compliance_job import applicable_rules
from quantrac.store.schema import station

router = APIRouter(tags=["stations"])


class Limit(BaseModel):
    """One limit rule as it applies to one series of the station."""

    parameter: str
    regulation: str
    column: str
    averaging: str = Field(description="1h | 8h | 24h | year | single sample")
    kind: str = Field(description="limit | not_detected")
    minimum: float | None = Field(description="effective lower bound, in `unit`")
    maximum: float | None = Field(description="effective upper bound (× Kq × Kf), in `unit`")
    unit: str = Field(description="the series' storage unit")
    scale: float = Field(description="Kq × Kf applied to the maximum (1 when not scalable)")
    rule_minimum: float | None
    rule_maximum: float | None
    rule_unit: str
    valid_from: str | None = Field(description="first local date in force (ISO), if limited")
    valid_to: str | None = Field(description="last local date in force (ISO), if limited")
    confidence: str
    note: str


def _unit_factor(rule_unit: str, series_unit: str, parameter: str) -> tuple[float, float] | None:
    """(scale, shift) from the rule's unit to the series' unit; None when they cannot be
    compared (the chart then draws no line rather than a wrong one)."""
    catalog = get_catalog()
    source, target = catalog.units.find(rule_unit), catalog.units.find(series_unit)
    if source is None or target is None:
        return None
    try:
        return conversion(source, target, catalog.parameters.get(parameter).molar_mass)
    except UnitConversionError:
        return None


def limit_rows(
    rules: list[LimitRule], series_units: dict[str, str], kq: float, kf: float
) -> list[dict[str, Any]]:
    """The rules of each series' parameter, bounds scaled and converted to its unit.

    Descriptive rows (a class described in words) and class bounds cannot be drawn as a line
    and are left out; "KPH / not detected" becomes a maximum of 0, as compliance treats it."""
    out: list[dict[str, Any]] = []
    for rule in rules:
        unit = series_units.get(rule.parameter_code or "")
        if unit is None or not rule.is_limit:
            continue
        factor = _unit_factor(rule.unit, unit, rule.parameter_code or "")
        if factor is None:
            continue
        low, high, scale = effective_bounds(rule, kq, kf)
        a, b = factor
        out.append(
            {
                "parameter": rule.parameter_code,
                "regulation": rule.regulation,
                "column": rule.column,
                "averaging": rule.averaging,
                "kind": rule.kind,
                "minimum": None if low is None else round(low * a + b, 9),
                "maximum": None if high is None else round(high * a + b, 9),
                "unit": unit,
                "scale": scale,
                "rule_minimum": rule.minimum,
                "rule_maximum": rule.maximum,
                "rule_unit": rule.unit,
                "valid_from": rule.valid_from.isoformat() if rule.valid_from else None,
                "valid_to": rule.valid_to.isoformat() if rule.valid_to else None,
                "confidence": rule.confidence,
                "note": rule.note,
            }
        )
    return out


@router.get("/stations/{code}/limits", response_model=list[Limit])
def station_limits(
    code: str,
    p: CurrentPrincipal,
    ctx: ApiContext = Ctx,
    parameter: Annotated[str | None, Query(max_length=32, description="catalogue code")] = None,
) -> list[dict[str, Any]]:
    """QCVN limits of the station's regulation for each of its series (for limit lines).

    Empty when the station names no regulation or the catalogue has no values for it."""
    with ctx.store.read() as conn:
        st = visible_station_row(conn, p, code)
        series = list_series(conn, p, station_code=code, with_range=False)
        kq, kf = conn.execute(
            select(station.c.kq, station.c.kf).where(station.c.id == st["id"])
        ).one()
    regulation = st.get("regulation")
    if not regulation:
        return []
    units = {s["parameter"]: s["unit"] for s in series}
    if parameter:
        units = {k: v for k, v in units.items() if k == parameter}
    rules = applicable_rules(regulation, st.get("regulation_column"))
    return limit_rows(rules, units, float(kq or 1.0), float(kf or 1.0))
