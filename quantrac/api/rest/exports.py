"""Bulk exports of observations and samples as CSV, XLSX or Parquet, streamed."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from quantrac.api.context import ApiContext
from quantrac.api.queries import exports as q
from quantrac.api.rest.common import Ctx, qc_flags, time_range
from quantrac.api.security import CurrentPrincipal
from quantrac.catalog import get_catalog
from quantrac.exports import MEDIA_TYPES, stream_rows

router = APIRouter(tags=["exports"])
Format = Literal["csv", "xlsx", "parquet"]
_FILE = {
    200: {
        "description": "The file, streamed",
        "content": {m.split(";")[0]: {} for m in MEDIA_TYPES.values()},
    }
}


def _codes(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").split(",") if c.strip()]


@router.get("/exports/observations.{fmt}", response_class=StreamingResponse, responses=_FILE)
def export_observations(
    fmt: Format,
    p: CurrentPrincipal,
    ctx: ApiContext = Ctx,
    station: Annotated[
        str | None, Query(max_length=2000, description="codes, comma-separated")
    ] = None,
    parameter: Annotated[str | None, Query(max_length=32)] = None,
    province: Annotated[str | None, Query(max_length=128)] = None,
    medium: Annotated[str | None, Query(max_length=64)] = None,
    start: Annotated[str | None, Query(max_length=64)] = None,
    end: Annotated[str | None, Query(max_length=64)] = None,
    qc: Annotated[str | None, Query(max_length=32)] = None,
) -> StreamingResponse:
    """Every observation the caller may see that matches, in (series, time) order."""
    s, e = time_range(start, end)
    flags = qc_flags(qc)
    if medium:
        get_catalog().media.get(medium)  # unknown medium → 422 before streaming starts
    if province:
        get_catalog().admin_units.find(province)
    chunks = q.observation_chunks(
        ctx.store,
        p,
        requires_approval=ctx.settings.public_requires_approval,
        stations=_codes(station),
        parameter=parameter,
        province=province,
        medium=medium,
        start=s,
        end=e,
        flags=flags,
    )
    return StreamingResponse(
        stream_rows(fmt, q.OBS_COLUMNS, q.OBS_TYPES, chunks),
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="observations.{fmt}"'},
    )


@router.get("/exports/samples.{fmt}", response_class=StreamingResponse, responses=_FILE)
def export_samples(
    fmt: Format,
    p: CurrentPrincipal,
    ctx: ApiContext = Ctx,
    station: Annotated[str | None, Query(max_length=2000)] = None,
    start: Annotated[str | None, Query(max_length=64)] = None,
    end: Annotated[str | None, Query(max_length=64)] = None,
) -> StreamingResponse:
    """Lab results of visible stations, one row per sample × parameter."""
    s, e = time_range(start, end)
    chunks = q.sample_chunks(ctx.store, p, stations=_codes(station), start=s, end=e)
    return StreamingResponse(
        stream_rows(fmt, q.SAMPLE_COLUMNS, q.SAMPLE_TYPES, chunks),
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="samples.{fmt}"'},
    )
