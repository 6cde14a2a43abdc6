"""The newest value of every visible series, in one statement (the map layer).

Per series the newest row is found by a backward probe of the (series_id, time) primary key —
one index lookup, however long the history. For a series
the caller sees as the public does, the newest *approved* value is wanted: the backward scan
starts at the end of the latest approved period and stops at the first approved row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, case, func, select

from quantrac.api.queries.stations import province_keys
from quantrac.auth.principal import Principal
from quantrac.auth.scope import approved, full_access, visible_station
from quantrac.catalog import get_catalog
from quantrac.store.schema import observation, review_period, series, station


def _newest(column: str, p: Principal, requires_approval: bool) -> Any:
    """Correlated scalar subquery: `column` of the newest row of the outer series (one
    backward probe of the primary key; the approved variant stops at the first approved row
    before the end of the latest approved period)."""
    o2 = observation.alias()
    q = (
        select(o2.c[column])
        .where(o2.c.series_id == series.c.id)
        .order_by(o2.c.time.desc())
        .limit(1)
    )
    if not requires_approval or p.role == "admin":
        return q.scalar_subquery()
    rp = review_period.alias()
    bound = (
        select(func.max(rp.c.end))
        .where(rp.c.series_id == series.c.id, rp.c.state == "approved")
        .scalar_subquery()
    )
    public = q.where(o2.c.time < bound, approved(o2.c.series_id, o2.c.time)).scalar_subquery()
    return case((full_access(p), q.scalar_subquery()), else_=public)


def latest_values(
    conn: Connection,
    p: Principal,
    *,
    requires_approval: bool,
    medium: str | None = None,
    province: str | None = None,
    parameter: str | None = None,
) -> list[dict[str, Any]]:
    inner = (
        select(
            series.c.parameter_code,
            series.c.unit,
            station.c.code,
            station.c.name,
            station.c.medium,
            station.c.kind,
            station.c.latitude,
            station.c.longitude,
            station.c.admin_unit_key,
            _newest("time", p, requires_approval).label("t"),
            _newest("value", p, requires_approval).label("value"),
            _newest("qc_flag", p, requires_approval).label("qc_flag"),
        )
        .select_from(series)
        .join(station, station.c.id == series.c.station_id)
        .where(visible_station(p))
        .order_by(station.c.code, series.c.parameter_code)
    )
    if medium:
        inner = inner.where(station.c.medium == get_catalog().media.get(medium).code)
    if province:
        inner = inner.where(station.c.admin_unit_key.in_(province_keys(province)))
    if parameter:
        inner = inner.where(series.c.parameter_code == parameter)
    out: dict[str, dict[str, Any]] = {}
    for r in conn.execute(inner).mappings():
        if r["t"] is None:
            continue
        st = out.get(r["code"])
        if st is None:
            st = out[r["code"]] = {
                "station": r["code"],
                "name": r["name"],
                "medium": r["medium"],
                "kind": r["kind"],
                "latitude": r["latitude"],
                "longitude": r["longitude"],
                "province": r["admin_unit_key"],
                "values": [],
            }
        st["values"].append(
            {
                "parameter": r["parameter_code"],
                "unit": r["unit"],
                "time": r["t"],
                "value": r["value"],
                "qc_flag": r["qc_flag"],
            }
        )
    return list(out.values())
