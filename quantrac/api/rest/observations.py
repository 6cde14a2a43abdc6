"""Observations of one series (raw pages or aggregates, JSON or CSV) and the latest values."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy import Connection

from quantrac.api.context import ApiContext
from quantrac.api.queries import latest as latest_q
from quantrac.api.queries import observations as obs
from quantrac.api.queries.stations import SeriesRef, series_by_id, series_ref
from quantrac.api.rest import models
from quantrac.api.rest.common import Ctx, FastJSON, page_limit, qc_flags, time_range
from quantrac.api.security import CurrentPrincipal, ctx_of
from quantrac.api.timeparse import iso, iso_many

router = APIRouter(tags=["observations"])

Aggregation = Literal["raw", "1h", "24h", "month"]
CSV_RESPONSE = {200: {"content": {"text/csv": {}}, "description": "JSON or CSV"}}


@dataclass(frozen=True, slots=True)
class ObservationParams:
    """The query parameters both observation routes take (one series, either way named)."""

    start: str | None
    end: str | None
    aggregation: str
    qc: str | None
    cursor: str | None
    limit: int | None
    order: str
    format: str


def observation_params(
    start: Annotated[str | None, Query(max_length=64)] = None,
    end: Annotated[str | None, Query(max_length=64)] = None,
    aggregation: Aggregation = "raw",
    qc: Annotated[str | None, Query(max_length=32, description="e.g. 1,2")] = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int | None, Query(ge=1, le=10**9)] = None,
    order: Literal["asc", "desc"] = "asc",
    format: Literal["json", "csv"] = "json",
) -> ObservationParams:
    return ObservationParams(start, end, aggregation, qc, cursor, limit, order, format)


Params = Annotated[ObservationParams, Depends(observation_params)]


def _serve(
    ctx: ApiContext,
    request: Request,
    ref_of: Callable[[Connection], SeriesRef],
    q: ObservationParams,
) -> Response:
    s, e = time_range(q.start, q.end)
    flags = qc_flags(q.qc)
    n = page_limit(ctx, q.limit)
    after = obs.decode_cursor(q.cursor) if q.cursor else None
    approval = ctx.settings.public_requires_approval
    aggregation = q.aggregation
    with ctx.store.read() as conn:
        ref = ref_of(conn)
        head = {
            "station": ref.station["code"],
            "parameter": ref.parameter,
            "series_id": ref.id,
            "unit": ref.unit,
            "aggregation": aggregation,
        }
        if aggregation != "raw":
            a = obs.aggregate(
                conn, ref, aggregation, start=s, end=e, flags=flags, requires_approval=approval
            )
            body = {
                **head,
                "time": a.labels,
                "value": a.value,
                "available": a.available,
                "count": a.count,
                "expected": a.expected,
                "next_cursor": None,
            }
            rows = zip(a.labels, a.value, a.count, strict=True)
            header = ("time", "value", "count")
        else:
            page = obs.read_page(
                conn,
                ref,
                start=s,
                end=e,
                flags=flags,
                after=after,
                limit=n,
                requires_approval=approval,
                descending=q.order == "desc",
            )
            times = iso_many(page.time)
            nxt = None if page.next_after is None else obs.encode_cursor(page.next_after)
            body = {
                **head,
                "time": times,
                "value": page.value,
                "qc_flag": page.qc_flag,
                "next_cursor": nxt,
            }
            rows = zip(times, page.value, page.qc_flag, strict=True)
            header = ("time", "value", "qc_flag")
    headers = {}
    if body.get("next_cursor"):
        url = request.url.include_query_params(cursor=body["next_cursor"])
        headers["Link"] = f'<{url}>; rel="next"'
    if q.format == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        w.writerows(("" if x is None else x for x in r) for r in rows)
        name = f"{head['station']}_{head['parameter']}_{aggregation}.csv"
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return Response(buf.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
    return FastJSON(body, headers=headers)


_DOC = (
    "Times are ISO 8601 with an offset; `start` inclusive, `end` exclusive. Raw pages are "
    "keyset-paginated: pass `next_cursor` back as `cursor`. Aggregates (1h, 24h = local day, "
    "month = local month, Asia/Ho_Chi_Minh) carry count/expected for completeness."
)


@router.get(
    "/stations/{code}/observations/{parameter}",
    response_model=models.Observations,
    responses=CSV_RESPONSE,
    description=_DOC,
)
def station_observations(
    code: str,
    parameter: str,
    request: Request,
    p: CurrentPrincipal,
    q: Params,
    ctx: ApiContext = Ctx,
) -> Response:
    return _serve(ctx, request, lambda conn: series_ref(conn, p, code, parameter), q)


@router.get(
    "/series/{series_id}/observations",
    response_model=models.Observations,
    responses=CSV_RESPONSE,
    description=_DOC,
)
def series_observations(
    series_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    request: Request,
    p: CurrentPrincipal,
    q: Params,
    ctx: ApiContext = Ctx,
) -> Response:
    return _serve(ctx, request, lambda conn: series_by_id(conn, p, series_id), q)


@router.get(
    "/latest",
    response_model=models.Latest,
    responses={304: {"description": "Not modified (If-None-Match)"}},
)
async def latest(
    request: Request,
    p: CurrentPrincipal,
    medium: Annotated[str | None, Query(max_length=64)] = None,
    province: Annotated[str | None, Query(max_length=128)] = None,
    parameter: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    """The newest value of every series of every visible station, grouped by station.

    Cached in the process for `QUANTRAC_API_LATEST_CACHE_S` seconds (default 10) per scope;
    a write through this process invalidates it at once. Answers carry an ETag, so a map
    that polls gets 304 Not Modified while nothing changed."""
    from starlette.concurrency import run_in_threadpool

    from quantrac.store.db import now_s

    ctx = ctx_of(request)
    key = (p.role, p.admin_unit_keys, p.organization_id, medium, province, parameter)

    def compute() -> tuple[bytes, str]:
        with ctx.store.read() as conn:
            values = latest_q.latest_json(
                conn,
                p,
                requires_approval=ctx.settings.public_requires_approval,
                medium=medium,
                province=province,
                parameter=parameter,
            )
        # The ETag is of the stations, not of `generated_at`: it holds while nothing changes.
        stamp = hashlib.sha256(values).hexdigest()[:20]
        content = b'{"generated_at":"%s","stations":%s}' % (iso(now_s()).encode(), values)
        return content, f'"{stamp}"'

    hit = ctx.latest_cache.peek(key, ctx.data_version)
    content, etag = (
        hit
        if hit is not None
        else await run_in_threadpool(
            ctx.latest_cache.get_or_compute, key, ctx.data_version, compute
        )
    )
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(content, media_type="application/json", headers=headers)
