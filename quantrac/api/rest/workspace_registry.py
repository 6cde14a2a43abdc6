"""Workspace: the stations a caller manages, and registry editing by agency staff.

Changes go through `quantrac.store.registry` (validated against the catalogue there); this
module only decides who may make them and writes the audit row. Province staff create and keep
stations inside their province; enterprises read their own stations but do not edit the
registry (docs/access-control.md).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Path, Request, Response

from quantrac.api.context import ApiContext
from quantrac.api.errors import ApiError
from quantrac.api.rest.common import Ctx
from quantrac.api.rest.workspace_common import (
    managed_query,
    managed_station,
    record,
    require_login,
    require_staff,
)
from quantrac.api.rest.workspace_models import (
    Organization,
    StationFields,
    StationIn,
    WsStation,
    dump,
)
from quantrac.api.security import CurrentPrincipal
from quantrac.api.timeparse import iso
from quantrac.auth.principal import Principal
from quantrac.catalog import get_catalog
from quantrac.errors import LookupFailed
from quantrac.store import registry
from quantrac.store.schema import station

router = APIRouter(prefix="/workspace", tags=["workspace"])

CodePath = Annotated[str, Path(min_length=1, max_length=64)]
T = TypeVar("T")


def station_out(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: row.get(k) for k in WsStation.model_fields}
    out["province"] = row.get("admin_unit_key")
    out["updated_at"] = iso(row.get("updated_at"))
    return out


def _unit_key(text: str | None) -> str | None:
    if not text:
        return None
    try:
        return get_catalog().admin_units.find(text).key
    except LookupFailed as e:
        raise ApiError(422, str(e), [("admin_unit", str(e))]) from None


def _check_province(p: Principal, unit_key: str | None) -> None:
    if p.role == "province" and (unit_key or "") not in p.admin_unit_keys:
        raise ApiError(
            403,
            "province staff keep stations in their province "
            f"({', '.join(sorted(p.admin_unit_keys))})",
            [("admin_unit", unit_key or "(none)")],
        )


def _read(ctx: ApiContext, p: Principal, code: str) -> dict[str, Any]:
    with ctx.store.read() as conn:
        return station_out(managed_station(conn, p, code))


@router.get("/stations", response_model=list[WsStation])
def my_stations(
    p: CurrentPrincipal,
    ctx: ApiContext = Ctx,
    kind: Literal["automatic", "periodic"] | None = None,
) -> list[dict[str, Any]]:
    """Stations the caller manages (admin: all; province staff: their province; enterprise:
    its own) — the pickers of the workspace. Retired stations are left out."""
    require_login(p)
    q = managed_query(p)
    if kind:
        q = q.where(station.c.kind == kind)
    with ctx.store.read() as conn:
        return [station_out(dict(r)) for r in conn.execute(q).mappings()]


@router.get("/organizations", response_model=list[Organization])
def organizations(p: CurrentPrincipal, ctx: ApiContext = Ctx) -> list[dict[str, Any]]:
    """Owners a station form may name: every organization for staff, one's own otherwise."""
    require_login(p)
    rows = registry.list_organizations(ctx.store)
    if not p.is_staff:
        rows = [r for r in rows if p.organization_id is not None and r["id"] == p.organization_id]
    return [{"code": r["code"], "name": r["name"], "kind": r["kind"]} for r in rows]


@router.post("/stations", response_model=WsStation, status_code=201)
def create_station(
    body: StationIn, request: Request, p: CurrentPrincipal, ctx: ApiContext = Ctx
) -> dict[str, Any]:
    """Register a station. Province staff: in their province (their own by default)."""
    require_staff(p, "add stations")
    values = dump(body)
    values.setdefault("admin_unit", p.home_unit)
    values["admin_unit"] = _unit_key(values.get("admin_unit"))
    _check_province(p, values["admin_unit"])
    spec = registry.StationSpec.model_validate(values)
    with ctx.store.write() as conn:
        sid = registry.create_station(ctx.store, spec, conn=conn)
        record(
            ctx,
            request,
            p,
            "station.create",
            f"station:{spec.code}",
            {"id": sid, "fields": sorted(values)},
            conn=conn,
        )
    ctx.bump()
    return _read(ctx, p, spec.code)


@router.patch("/stations/{code}", response_model=WsStation)
def update_station(
    code: CodePath,
    body: StationFields,
    request: Request,
    p: CurrentPrincipal,
    ctx: ApiContext = Ctx,
) -> dict[str, Any]:
    """Change some fields of a station (only those sent); the code never changes."""
    require_staff(p, "edit the station registry")
    with ctx.store.read() as conn:
        current = managed_station(conn, p, code)
    changes = dump(body)
    if "admin_unit" in changes:
        changes["admin_unit"] = _unit_key(changes["admin_unit"])
    _check_province(p, changes.get("admin_unit", current["admin_unit_key"]))
    if changes:
        registry.update_station(ctx.store, code, changes)
    old = {k: current.get("admin_unit_key" if k == "admin_unit" else k) for k in changes}
    record(
        ctx,
        request,
        p,
        "station.update",
        f"station:{code}",
        {"fields": sorted(changes), "old": old, "new": changes},
    )
    ctx.bump()
    return _read(ctx, p, code)


@router.post("/stations/{code}/retire", status_code=204)
def retire_station(
    code: CodePath, request: Request, p: CurrentPrincipal, ctx: ApiContext = Ctx
) -> Response:
    """Retire a station: gone from every list and answer, its history kept."""
    require_staff(p, "retire stations")
    with ctx.store.read() as conn:
        managed_station(conn, p, code)
    registry.retire_station(ctx.store, code)
    record(ctx, request, p, "station.retire", f"station:{code}")
    ctx.bump()
    return Response(status_code=204)
