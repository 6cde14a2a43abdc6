"""The /sta/v1.1 routes: one catch-all per method, resource paths parsed by `paths.py`.

SensorThings paths (`Things(1)/Datastreams`) do not fit FastAPI's path templates, and the
OpenAPI document describes /api/v1 only; the SensorThings service document at /sta/v1.1
lists the entity sets and the conformance classes served.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from quantrac.api.context import ApiContext
from quantrac.api.errors import ApiError
from quantrac.api.rest.common import FastJSON
from quantrac.api.security import client_ip, ctx_of, principal_sync
from quantrac.api.sta.model import SETS, StaScope
from quantrac.api.sta.odata import parse_options
from quantrac.api.sta.paths import not_found, parse_path
from quantrac.api.sta.read import Reader, property_value
from quantrac.api.sta.write import Writer
from quantrac.auth.principal import Principal

PREFIX = "/sta/v1.1"
router = APIRouter(prefix=PREFIX, include_in_schema=False)

CONFORMANCE = [
    "http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/resource-path/resource-path-to-entities",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/request-data",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/create-update-delete",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/data-array/data-array",
]


def base_url(ctx: ApiContext, request: Request) -> str:
    root = ctx.settings.base_url or str(request.base_url)
    return root.rstrip("/") + PREFIX


def _scope(ctx: ApiContext, p: Principal) -> StaScope:
    return StaScope(p, ctx.settings.public_requires_approval, ctx.store.dialect)


@router.get("")
@router.get("/")
def service_root(request: Request) -> JSONResponse:  # sync: runs in the thread pool
    ctx = ctx_of(request)
    principal_sync(request)
    base = base_url(ctx, request)
    return JSONResponse(
        {
            "value": [{"name": name, "url": f"{base}/{name}"} for name in SETS],
            "serverSettings": {"conformance": CONFORMANCE},
        }
    )


def _get(request: Request, path: str) -> Response:
    ctx = ctx_of(request)
    p = principal_sync(request)
    rp = parse_path(path)
    params = dict(request.query_params)
    opts = parse_options(params)
    base = base_url(ctx, request)
    url = f"{base}/{path.strip('/')}"
    s = ctx.settings
    with ctx.store.read() as conn:
        reader = Reader(
            _scope(ctx, p), conn, base, s.sta_top_default, s.sta_top_max, s.count_budget_ms
        )
        row: Any = None
        prev = None
        for i, step in enumerate(rp.steps):
            constraint = None
            if prev is not None:
                nav = prev[0].navs[step.nav or ""]
                constraint = (nav.dst, prev[1][nav.src])
            if not step.single:
                if i != len(rp.steps) - 1:
                    raise not_found("a collection must end the path")
                return FastJSON(
                    reader.collection(step.es, opts, url, params, constraint, ref=rp.ref)
                )
            row = reader.one(step.es, step.ident, constraint=constraint)
            if row is None:
                ident = "" if step.ident is None else f"({step.ident!r})"
                raise not_found(f"no {step.es.singular}{ident} here")
            prev = (step.es, row)
        es = rp.last.es
        if rp.ref:
            from quantrac.api.sta.model import row_id, self_link

            return FastJSON({"@iot.selfLink": self_link(base, es.name, row_id(es, row))})
        if rp.prop:
            doc = reader.entity(es, row, parse_options({}))
            value = property_value(doc, rp.prop, es)
            if rp.value:
                if value is None:
                    return Response(status_code=204)
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                return PlainTextResponse(text)
            return FastJSON({rp.prop: value})
        return FastJSON(reader.one_json(es, row, opts))


async def _body(request: Request) -> Any:
    ctx = ctx_of(request)
    data = await request.body()
    if len(data) > ctx.settings.max_body_bytes:
        raise ApiError(413, f"body larger than {ctx.settings.max_body_bytes} bytes")
    try:
        return json.loads(data or b"null")
    except (ValueError, UnicodeDecodeError) as e:
        raise ApiError(400, f"the body is not JSON: {e}", [("body", str(e))]) from None


def _writer(request: Request) -> Writer:
    ctx = ctx_of(request)
    return Writer(ctx, principal_sync(request), client_ip(request), base_url(ctx, request))


def _post(request: Request, path: str, body: Any) -> Response:
    w = _writer(request)
    if path.strip("/") == "CreateObservations":
        if not isinstance(body, list):
            raise ApiError(
                400,
                "CreateObservations takes a JSON array of {Datastream, components, dataArray}",
                [("body", "not an array")],
            )
        keys = w.create_observations_body(json.dumps(body).encode())
        from quantrac.api.sta.model import observation_id, self_link

        links = [self_link(w.base, "Observations", observation_id(*k)) for k in keys]
        return FastJSON(links, status_code=201)
    rp = parse_path(path)
    link, _ = w.create(rp, body)
    with w.ctx.store.read() as conn:
        reader = Reader(_scope(w.ctx, w.p), conn, w.base, 1, 1, w.ctx.settings.count_budget_ms)
        row = reader.one(rp.last.es, _)
        doc = reader.entity(rp.last.es, row, parse_options({})) if row else {"@iot.selfLink": link}
    return FastJSON(doc, status_code=201, headers={"Location": link})


def _patch(request: Request, path: str, body: Any) -> Response:
    w = _writer(request)
    rp = parse_path(path)
    w.update(rp, body)
    return _get(request, path)


def _delete(request: Request, path: str) -> Response:
    w = _writer(request)
    w.delete(parse_path(path))
    return Response(status_code=200)


@router.get("/{path:path}")
async def get_resource(path: str, request: Request) -> Response:
    return await run_in_threadpool(_get, request, path)


@router.post("/{path:path}")
async def post_resource(path: str, request: Request) -> Response:
    body = await _body(request)
    return await run_in_threadpool(_post, request, path, body)


@router.patch("/{path:path}")
async def patch_resource(path: str, request: Request) -> Response:
    body = await _body(request)
    if isinstance(body, list):
        raise ApiError(415, "JSON Patch is not supported; send a JSON object (merge patch)")
    return await run_in_threadpool(_patch, request, path, body)


@router.put("/{path:path}")
async def put_resource(path: str, request: Request) -> Response:
    body = await _body(request)
    return await run_in_threadpool(_patch, request, path, body)


@router.delete("/{path:path}")
async def delete_resource(path: str, request: Request) -> Response:
    return await run_in_threadpool(_delete, request, path)
