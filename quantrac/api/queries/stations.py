"""Stations, parameters and series as the caller may see them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, select

from quantrac.auth.principal import Principal
from quantrac.auth.scope import full_access, live_series, visible_series, visible_station
from quantrac.catalog import get_catalog
from quantrac.catalog.text import nearest
from quantrac.errors import UnknownParameter, UnknownStation
from quantrac.store.schema import observation, organization, series, station

STATION_COLUMNS = (
    station.c.id,
    station.c.code,
    station.c.name,
    station.c.kind,
    station.c.medium,
    station.c.latitude,
    station.c.longitude,
    station.c.admin_unit_key,
    station.c.owner_id,
    station.c.network,
    station.c.visibility,
    station.c.regulation,
    station.c.regulation_column,
    station.c.reporting_interval_s,
    station.c.address,
)


@dataclass(frozen=True, slots=True)
class Bbox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float


def station_query(p: Principal) -> Any:
    return (
        select(
            *STATION_COLUMNS,
            organization.c.code.label("owner"),
            full_access(p).label("full_access"),
        )
        .outerjoin(organization, organization.c.id == station.c.owner_id)
        .where(visible_station(p))
    )


def province_keys(text: str) -> list[str]:
    """A province by key, code or name, plus the provinces merged into it."""
    from quantrac.auth.principal import province_keys as keys

    return sorted(keys(get_catalog().admin_units.find(text).key))


def list_stations(
    conn: Connection,
    p: Principal,
    *,
    province: str | None = None,
    medium: str | None = None,
    network: str | None = None,
    kind: str | None = None,
    owner: str | None = None,
    bbox: Bbox | None = None,
) -> list[dict[str, Any]]:
    q = station_query(p).order_by(station.c.code)
    if province:
        q = q.where(station.c.admin_unit_key.in_(province_keys(province)))
    if medium:
        q = q.where(station.c.medium == get_catalog().media.get(medium).code)
    if network:
        q = q.where(station.c.network == network)
    if kind:
        q = q.where(station.c.kind == kind)
    if owner:
        q = q.where(organization.c.code == owner)
    if bbox:
        q = q.where(
            and_(
                station.c.longitude.between(bbox.min_lon, bbox.max_lon),
                station.c.latitude.between(bbox.min_lat, bbox.max_lat),
            )
        )
    return [dict(r) for r in conn.execute(q).mappings()]


def visible_station_row(conn: Connection, p: Principal, code: str) -> dict[str, Any]:
    """The station if the caller may see it; unknown and invisible look the same (404)."""
    row = conn.execute(station_query(p).where(station.c.code == code)).mappings().first()
    if row is None:
        known = list(conn.scalars(select(station.c.code).where(visible_station(p)).limit(5000)))
        raise UnknownStation(code, nearest(code, known))
    return dict(row)


@dataclass(frozen=True, slots=True)
class SeriesRef:
    id: int
    station: dict[str, Any]
    parameter: str
    method: str
    unit: str

    @property
    def full_access(self) -> bool:
        return bool(self.station["full_access"])


def series_ref(conn: Connection, p: Principal, code: str, parameter: str) -> SeriesRef:
    st = visible_station_row(conn, p, code)
    rows = list(
        conn.execute(
            select(series.c.id, series.c.parameter_code, series.c.method, series.c.unit)
            .where(series.c.station_id == st["id"], live_series())
            .order_by(series.c.method)
        )
    )
    matching = [r for r in rows if r.parameter_code == parameter]
    if not matching:
        try:
            resolved = get_catalog().parameter(parameter, st["medium"]).code
        except UnknownParameter:
            resolved = None
        matching = [r for r in rows if r.parameter_code == resolved]
    if not matching:
        raise UnknownParameter(
            parameter,
            [r.parameter_code for r in rows],
            context=f"station {code} has no such series",
        )
    r = matching[0]
    return SeriesRef(r.id, st, r.parameter_code, r.method, r.unit)


def series_by_id(conn: Connection, p: Principal, series_id: int) -> SeriesRef:
    row = conn.execute(
        select(series.c.id, series.c.parameter_code, series.c.method, series.c.unit, station.c.code)
        .join(station, station.c.id == series.c.station_id)
        .where(series.c.id == series_id, visible_series(p))
    ).first()
    if row is None:
        from quantrac.api.errors import not_found

        raise not_found(f"no series {series_id}")
    st = visible_station_row(conn, p, row.code)
    return SeriesRef(row.id, st, row.parameter_code, row.method, row.unit)


def list_series(
    conn: Connection,
    p: Principal,
    *,
    station_code: str | None = None,
    parameter: str | None = None,
    with_range: bool = True,
) -> list[dict[str, Any]]:
    o = observation.c
    cols = [
        series.c.id,
        station.c.code.label("station"),
        series.c.parameter_code.label("parameter"),
        series.c.method,
        series.c.unit,
    ]
    if with_range:
        # One index probe each way per series: (series_id, time) is the primary key.
        cols += [
            select(func.min(o.time))
            .where(o.series_id == series.c.id)
            .scalar_subquery()
            .label("first_time"),
            select(func.max(o.time))
            .where(o.series_id == series.c.id)
            .scalar_subquery()
            .label("last_time"),
        ]
    q = (
        select(*cols)
        .join(station, station.c.id == series.c.station_id)
        .where(visible_series(p))
        .order_by(station.c.code, series.c.parameter_code, series.c.method)
    )
    if station_code:
        q = q.where(station.c.code == station_code)
    if parameter:
        q = q.where(series.c.parameter_code == parameter)
    return [dict(r) for r in conn.execute(q).mappings()]
