"""Stations, parameters and series."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from quantrac.api.context import ApiContext
from quantrac.api.errors import not_found
from quantrac.api.queries import stations as q
from quantrac.api.rest import models
from quantrac.api.rest.common import Ctx, bbox, with_iso
from quantrac.api.security import CurrentPrincipal
from quantrac.catalog import get_catalog

router = APIRouter(tags=["stations"])

_STATION_FIELDS = tuple(models.Station.model_fields)


def _station_out(row: dict) -> dict:
    row = dict(row)
    row["province"] = row.pop("admin_unit_key")
    return {k: row.get(k) for k in _STATION_FIELDS}


@router.get("/stations", response_model=list[models.Station])
def stations(
    p: CurrentPrincipal,
    ctx: ApiContext = Ctx,
    province: Annotated[str | None, Query(max_length=128, description="key, code or name")] = None,
    medium: Annotated[str | None, Query(max_length=64)] = None,
    network: Annotated[str | None, Query(max_length=64)] = None,
    kind: Literal["automatic", "periodic"] | None = None,
    owner: Annotated[str | None, Query(max_length=64, description="organization code")] = None,
    bbox_: Annotated[
        str | None, Query(alias="bbox", description="min_lon,min_lat,max_lon,max_lat")
    ] = None,
) -> list[dict]:
    """Stations the caller may see; a merged province includes its predecessors."""
    with ctx.store.read() as conn:
        rows = q.list_stations(
            conn,
            p,
            province=province,
            medium=medium,
            network=network,
            kind=kind,
            owner=owner,
            bbox=bbox(bbox_),
        )
    return [_station_out(r) for r in rows]


@router.get("/stations/{code}", response_model=models.Station)
def station(code: str, p: CurrentPrincipal, ctx: ApiContext = Ctx) -> dict:
    with ctx.store.read() as conn:
        return _station_out(q.visible_station_row(conn, p, code))


@router.get("/stations/{code}/series", response_model=list[models.Series])
def station_series(code: str, p: CurrentPrincipal, ctx: ApiContext = Ctx) -> list[dict]:
    with ctx.store.read() as conn:
        q.visible_station_row(conn, p, code)
        return with_iso(q.list_series(conn, p, station_code=code), "first_time", "last_time")


@router.get("/series", response_model=list[models.Series])
def series_list(
    p: CurrentPrincipal,
    ctx: ApiContext = Ctx,
    station: Annotated[str | None, Query(max_length=64)] = None,
    parameter: Annotated[str | None, Query(max_length=32)] = None,
) -> list[dict]:
    with ctx.store.read() as conn:
        rows = q.list_series(conn, p, station_code=station, parameter=parameter)
    return with_iso(rows, "first_time", "last_time")


@router.get("/series/{series_id}", response_model=models.Series)
def series_one(
    series_id: Annotated[int, Path(ge=1, le=2**31 - 1)], p: CurrentPrincipal, ctx: ApiContext = Ctx
) -> dict:
    with ctx.store.read() as conn:
        ref = q.series_by_id(conn, p, series_id)
        rows = q.list_series(conn, p, station_code=ref.station["code"], parameter=ref.parameter)
    row = next(r for r in rows if r["id"] == series_id)
    return with_iso([row], "first_time", "last_time")[0]


def _parameter_out(code: str) -> dict:
    par = get_catalog().parameters.get(code)
    return {
        "code": par.code,
        "name_vi": par.name_vi,
        "name_en": par.name_en,
        "unit": par.unit,
        "media": list(par.media),
    }


@router.get("/parameters", response_model=list[models.Parameter], tags=["catalogue"])
def parameters(
    _p: CurrentPrincipal,
    medium: Annotated[str | None, Query(max_length=64)] = None,
) -> list[dict]:
    catalog = get_catalog()
    wanted = catalog.media.get(medium).code if medium else None
    return [
        _parameter_out(code)
        for code, par in sorted(catalog.parameters.by_code.items())
        if wanted is None or wanted in par.media
    ]


@router.get("/parameters/{code}", response_model=models.Parameter, tags=["catalogue"])
def parameter(code: str, _p: CurrentPrincipal) -> dict:
    if code not in get_catalog().parameters.by_code:
        raise not_found(f"no parameter {code!r}")
    return _parameter_out(code)
