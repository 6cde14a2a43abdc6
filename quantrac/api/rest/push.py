"""HTTP push for stations that cannot use FTP: TT10 text files and JSON readings.

The bytes are archived (durable, hash-chained) before anything parses them, then go through
the same pipeline as FTP files (`pipeline.files.process_file`): standardize → QC → store.
Permission is checked before archiving from what needs no parsing: the station in the path,
or the station code in a TT10 file name.
"""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from quantrac.api.context import ApiContext
from quantrac.api.errors import ApiError
from quantrac.api.queries.stations import visible_station_row
from quantrac.api.rest import models
from quantrac.api.rest.common import Ctx
from quantrac.api.security import CurrentPrincipal, client_ip, require_write
from quantrac.auth import audit
from quantrac.auth.principal import Principal
from quantrac.codecs.tt10 import parse_filename
from quantrac.errors import CodecError
from quantrac.pipeline.files import process_file

router = APIRouter(tags=["push"])

_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "text/plain": {"schema": {"type": "string"}},
        },
    }
}


async def _read_body(request: Request, ctx: ApiContext) -> bytes:
    limit = ctx.settings.max_body_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"body larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"body larger than {limit} bytes")
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data:
        raise ApiError(422, "empty body", [("body", "send a TT10 file or JSON readings")])
    return data


def _check_station(ctx: ApiContext, p: Principal, code: str) -> None:
    require_write(p)
    with ctx.store.read() as conn:
        st = visible_station_row(conn, p, code)
    if not p.has_full_access(st["admin_unit_key"], st["owner_id"]):
        raise ApiError(403, f"this credential may not write to station {code!r}")


def _ingest(
    ctx: ApiContext, request: Request, p: Principal, data: bytes, name: str, code: str
) -> JSONResponse:
    archive = ctx.archive
    received = archive.receive(data, name, "http", sender=p.actor, station_code=code)
    row = archive.get(received.raw_file_id)
    if received.duplicate and row["state"] != "received":
        result = {
            "raw_file_id": row["id"],
            "duplicate": True,
            "state": row["state"],
            "stored": 0,
            "unchanged": 0,
            "problems": [],
            "reason": row["error"],
        }
    else:
        outcome = process_file(ctx.store, archive, row)
        result = {
            "raw_file_id": outcome.raw_file_id,
            "duplicate": received.duplicate,
            "state": outcome.state,
            "stored": outcome.stored,
            "unchanged": outcome.unchanged,
            "problems": outcome.problems[:200],
            "reason": outcome.reason,
        }
        ctx.bump()
    with ctx.store.write() as conn:
        audit.record(
            conn,
            p.actor,
            "observations.push",
            f"station:{code}",
            {
                "raw_file_id": result["raw_file_id"],
                "name": name,
                "state": result["state"],
                "stored": result["stored"],
            },
            client_ip(request),
        )
    status = 200 if result["state"] == "parsed" else 422
    if status == 422:
        from quantrac.api.errors import body

        content = body(
            422,
            f"file quarantined: {result['reason']}",
            [("body", m) for m in [result["reason"] or "", *result["problems"]] if m],
        )
        content["raw_file_id"] = result["raw_file_id"]
        return JSONResponse(content, status_code=422)
    return JSONResponse(result)


@router.post("/stations/{code}/push", response_model=models.PushResult, openapi_extra=_BODY_DOC)
async def push_to_station(
    code: str,
    request: Request,
    p: CurrentPrincipal,
    ctx: ApiContext = Ctx,
    filename: Annotated[str | None, Query(max_length=255)] = None,
) -> JSONResponse:
    """Push JSON readings (`Content-Type: application/json`, docs/ingest.md) or one TT10 file
    (`text/plain`; `filename` keeps its conventional name). 200 when stored (with any
    per-line problems), 422 when nothing could be stored (the file is kept in quarantine)."""
    from starlette.concurrency import run_in_threadpool

    await run_in_threadpool(_check_station, ctx, p, code)
    data = await _read_body(request, ctx)
    is_json = request.headers.get("content-type", "").split(";")[0].strip().endswith("json")
    digest = hashlib.sha256(data).hexdigest()[:16]
    if is_json:
        name = f"http_{code}_{digest}.json"
    elif filename:
        _tt10_station(filename, expect=code)
        name = filename
    else:
        name = f"http_{code}_{digest}.txt"
    return await run_in_threadpool(_ingest, ctx, request, p, data, name, code)


def _tt10_station(filename: str, expect: str | None = None) -> str:
    try:
        code = parse_filename(filename).station_key
    except CodecError as e:
        raise ApiError(
            422, f"not a TT10 file name: {e.message}", [("filename", filename)]
        ) from None
    if expect is not None and code != expect:
        raise ApiError(
            422, f"file name is for station {code!r}, not {expect!r}", [("filename", filename)]
        )
    return code


@router.post("/push/tt10", response_model=models.PushResult, openapi_extra=_BODY_DOC)
async def push_tt10(
    request: Request,
    p: CurrentPrincipal,
    filename: Annotated[str, Query(min_length=5, max_length=255)],
    ctx: ApiContext = Ctx,
) -> JSONResponse:
    """Push one TT10 file under its conventional name (<Province>_<Facility>_<Station>_
    <YYYYMMDDhhmmss>.txt); the station is the one the name gives."""
    from starlette.concurrency import run_in_threadpool

    code = _tt10_station(filename)
    await run_in_threadpool(_check_station, ctx, p, code)
    data = await _read_body(request, ctx)
    return await run_in_threadpool(_ingest, ctx, request, p, data, filename, code)
