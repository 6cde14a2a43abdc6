"""VN_AQI / VN_WQI values, events, connectivity, campaigns and samples."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from quantrac.api.context import ApiContext
from quantrac.api.queries import records as q
from quantrac.api.queries.stations import visible_station_row
from quantrac.api.rest import models
from quantrac.api.rest.common import Ctx, page_limit, time_range, with_iso
from quantrac.api.security import CurrentPrincipal

router = APIRouter()

IndexKind = Literal["aqi_hourly", "aqi_daily", "wqi_daily", "wqi_sample"]


@router.get("/indices", response_model=list[models.IndexValue], tags=["indices"])
def indices(
    p: CurrentPrincipal,
    ctx: ApiContext = Ctx,
    station: Annotated[str | None, Query(max_length=64)] = None,
    kind: IndexKind | None = None,
    start: Annotated[str | None, Query(max_length=64)] = None,
    end: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int | None, Query(ge=1, le=10**9)] = None,
) -> list[dict]:
    """VN_AQI (Decision 1459/QĐ-TCMT) and VN_WQI (Decision 1460/QĐ-TCMT) values as computed
    by the indices job; `time` is the end of the period (UTC)."""
    s, e = time_range(start, end)
    with ctx.store.read() as conn:
        if station:
            visible_station_row(conn, p, station)
        rows = q.index_values(
            conn, p, station_code=station, kind=kind, start=s, end=e, limit=page_limit(ctx, limit)
        )
    return with_iso(rows, "time")


@router.get("/indices/latest", response_model=list[models.LatestIndex], tags=["indices"])
def latest_indices(
    p: CurrentPrincipal,
    ctx: ApiContext = Ctx,
    kind: IndexKind = "aqi_hourly",
    medium: Annotated[str | None, Query(max_length=64)] = None,
    province: Annotated[str | None, Query(max_length=128)] = None,
) -> list[dict]:
    """The newest index of one kind per visible station (colours of the public map)."""
    with ctx.store.read() as conn:
        rows = q.latest_indices(conn, p, kind=kind, medium=medium, province=province)
    return with_iso(rows, "time")


@router.get("/events", response_model=list[models.Event], tags=["events"])
def events(
    p: CurrentPrincipal,
    ctx: ApiContext = Ctx,
    station: Annotated[str | None, Query(max_length=64)] = None,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    status: Literal["open", "closed"] | None = None,
    start: Annotated[str | None, Query(max_length=64)] = None,
    end: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int | None, Query(ge=1, le=10**9)] = None,
) -> list[dict]:
    """Exceedances, offline/delayed stations and QC failures, newest first."""
    s, e = time_range(start, end)
    with ctx.store.read() as conn:
        rows = q.events(
            conn,
            p,
            station_code=station,
            kind=kind,
            status=status,
            start=s,
            end=e,
            limit=page_limit(ctx, limit),
        )
    return with_iso(rows, "started_at", "last_at", "ended_at", "peak_at")


@router.get("/connectivity", response_model=list[models.Connectivity], tags=["events"])
def connectivity(
    p: CurrentPrincipal,
    ctx: ApiContext = Ctx,
    province: Annotated[str | None, Query(max_length=128)] = None,
) -> list[dict]:
    """Every visible automatic station: online or not, newest data, delay in seconds."""
    with ctx.store.read() as conn:
        rows = q.connectivity(conn, p, province=province)
    return with_iso(rows, "last_data_at", "last_received_at", "changed_at")


@router.get("/campaigns", response_model=list[models.Campaign], tags=["samples"])
def campaigns(_p: CurrentPrincipal, ctx: ApiContext = Ctx) -> list[dict]:
    with ctx.store.read() as conn:
        rows = q.campaigns(conn)
    for r in rows:
        for f in ("period_start", "period_end"):
            r[f] = None if r[f] is None else r[f].isoformat()
    return rows


@router.get("/samples", response_model=list[models.Sample], tags=["samples"])
def samples(
    p: CurrentPrincipal,
    ctx: ApiContext = Ctx,
    station: Annotated[str | None, Query(max_length=64)] = None,
    campaign: Annotated[str | None, Query(max_length=64)] = None,
    start: Annotated[str | None, Query(max_length=64)] = None,
    end: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int | None, Query(ge=1, le=10**9)] = None,
) -> list[dict]:
    """Periodic (lab) samples with their results; detection-limit qualifiers kept."""
    s, e = time_range(start, end)
    with ctx.store.read() as conn:
        if station:
            visible_station_row(conn, p, station)
        rows = q.samples(
            conn,
            p,
            station_code=station,
            campaign_code=campaign,
            start=s,
            end=e,
            limit=page_limit(ctx, limit),
        )
    return with_iso(rows, "sampled_at")
