"""The national node's federation endpoint, under /api/v1/sync.

- `GET  /api/v1/sync/position` (node key): where this node's applied data stands;
- `POST /api/v1/sync/batches` (node key): apply one batch (protocol.py); 409 with the
  national position when the batch does not start there; 503 + Retry-After when the node is
  applying as many batches as it is configured for (back-pressure);
- `GET  /api/v1/sync/nodes` (admin): every province node, its position and lag;
- `GET  /api/v1/sync/provinces` (admin): stations by current province (2025 merger) and by
  the original province they were registered in.

Node keys are checked here, not by the API's own credentials: they open nothing else.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Security
from fastapi.responses import JSONResponse
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from quantrac.api.errors import ERROR_RESPONSES, ApiError, body
from quantrac.api.security import bearer_scheme, current_principal, key_scheme, require_admin
from quantrac.auth.principal import Principal
from quantrac.catalog import get_catalog
from quantrac.errors import QuantracError
from quantrac.store.db import Store
from quantrac.store.schema import station
from quantrac.store.schema_sync import sync_key_map, sync_node
from quantrac.sync import nodes
from quantrac.sync.apply import PositionMismatch, apply_batch, record_failure
from quantrac.sync.protocol import decode
from quantrac.sync.settings import get_sync_settings

router = APIRouter(prefix="/api/v1/sync", tags=["federation"], responses=ERROR_RESPONSES)
_gate_lock = threading.Lock()


def _store(request: Request) -> Store:
    return request.app.state.ctx.store


def _gate(request: Request) -> threading.BoundedSemaphore:
    state = request.app.state
    with _gate_lock:
        if getattr(state, "sync_gate", None) is None:
            state.sync_gate = threading.BoundedSemaphore(get_sync_settings().max_concurrent_applies)
        return state.sync_gate


def _presented_key(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("x-api-key")


def _node(request: Request) -> nodes.Node:
    key = _presented_key(request)
    if not key:
        raise ApiError(401, "a node key is required", headers={"WWW-Authenticate": "Bearer"})
    with _store(request).read() as conn:
        node = nodes.authenticate(conn, key)
    if node is None:
        raise ApiError(401, "invalid or revoked node key", headers={"WWW-Authenticate": "Bearer"})
    return node


#: Declared for the OpenAPI document (node keys come as Bearer or X-API-Key); `_node` reads
#: the headers itself.
NodeKey = Annotated[object, Security(bearer_scheme)]
NodeKeyHeader = Annotated[object, Security(key_scheme)]


@router.get("/position")
def position(request: Request, _b: NodeKey = None, _k: NodeKeyHeader = None) -> dict[str, Any]:
    """Where the calling node's data stands on the national node."""
    node = _node(request)
    return {"node": node.name, "province": node.admin_unit_key, "position": node.position.as_list()}


@router.post(
    "/batches",
    responses={503: {"description": "Busy applying other batches: retry after Retry-After"}},
)
async def batches(request: Request, _b: NodeKey = None, _k: NodeKeyHeader = None) -> JSONResponse:
    """Apply one batch of the calling node, atomically. The body is a sync batch
    (`application/vnd.quantrac.sync-batch`, docs/federation.md), not JSON."""
    settings = get_sync_settings()
    node = await run_in_threadpool(_node, request)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > settings.max_body_bytes:
        raise ApiError(413, f"batch larger than {settings.max_body_bytes} bytes")
    gate = _gate(request)
    if not gate.acquire(blocking=False):
        raise ApiError(
            503,
            "the national node is busy applying other batches; retry later",
            headers={"Retry-After": str(settings.retry_after_s)},
        )
    try:
        data = await request.body()
        if len(data) > settings.max_body_bytes:
            raise ApiError(413, f"batch larger than {settings.max_body_bytes} bytes")
        result = await run_in_threadpool(_apply, _store(request), node, data)
    except PositionMismatch as e:
        payload = body(409, str(e)) | {"position": e.position.as_list()}
        return JSONResponse(payload, status_code=409)
    finally:
        gate.release()
    return JSONResponse(result)


def _apply(store: Store, node: nodes.Node, data: bytes) -> dict[str, Any]:
    try:
        header, table = decode(data)
        return apply_batch(store, node.id, header, table).as_dict()
    except PositionMismatch:
        raise
    except QuantracError as e:
        record_failure(store, node.id, str(e))
        raise


def _admin(p: Annotated[Principal, Depends(current_principal)]) -> Principal:
    require_admin(p)
    return p


@router.get("/nodes")
def list_nodes(request: Request, _p: Annotated[Principal, Depends(_admin)]) -> list[dict]:
    """Every province node: province, applied position, batches, lag, last error."""
    return nodes.list_nodes(_store(request))


@router.get("/provinces")
def provinces(request: Request, _p: Annotated[Principal, Depends(_admin)]) -> list[dict]:
    """Stations by today's province, split by the province each was registered in.

    A station keeps its original province and code; the merger only changes how it is
    grouped. The REST filter `?province=` already follows the same successor links.
    """
    units = get_catalog().admin_units
    with _store(request).read() as conn:
        counts = Counter(
            dict(
                conn.execute(
                    select(station.c.admin_unit_key, func.count()).group_by(
                        station.c.admin_unit_key
                    )
                ).all()
            )
        )
        node_of = dict(
            conn.execute(
                select(sync_key_map.c.local_id, sync_node.c.name)
                .join(sync_node, sync_node.c.id == sync_key_map.c.node_id)
                .where(sync_key_map.c.entity == "station")
            ).all()
        )
        by_unit = Counter(
            (unit, node_of.get(sid))
            for sid, unit in conn.execute(select(station.c.id, station.c.admin_unit_key))
        )
    out: dict[str, dict[str, Any]] = {}
    for unit_key, n in counts.items():
        if unit_key is None:
            continue
        current = units.current_unit(unit_key)
        entry = out.setdefault(
            current.key,
            {
                "province": current.key,
                "name": current.name,
                "stations": 0,
                "registered_in": {},
                "nodes": {},
            },
        )
        entry["stations"] += n
        entry["registered_in"][unit_key] = n
    for (unit_key, node), n in by_unit.items():
        if unit_key is not None and node is not None:
            nodes_of = out[units.current_unit(unit_key).key]["nodes"]
            nodes_of[node] = nodes_of.get(node, 0) + n
    return sorted(out.values(), key=lambda e: e["province"])
