"""What the staff-workspace endpoints share: the stations a caller manages, permission checks,
audit rows and raw request bodies.

"Manages" is full access (quantrac.auth.scope.full_access): an administrator every station, a
province's staff their province (and the provinces merged into it), an enterprise its own
stations. Elsewhere a caller sees what the public sees, and the workspace shows nothing of it.
A station the caller may not even know exists answers 404, exactly like an unknown code; a
visible one outside the caller's reach answers 403 (docs/access-control.md).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy import Connection, Select, select

from quantrac.api.context import ApiContext
from quantrac.api.errors import ApiError
from quantrac.api.security import client_ip
from quantrac.auth import audit
from quantrac.auth.principal import ANONYMOUS, Principal
from quantrac.auth.scope import full_access, visible_station
from quantrac.errors import UnknownStation
from quantrac.store.schema import organization, station

#: How many rows a listing returns at most.
LIST_MAX = 1000


def require_login(p: Principal) -> None:
    if p is ANONYMOUS:
        raise ApiError(
            401,
            "the workspace needs a login or an API key",
            headers={"WWW-Authenticate": 'Bearer, Basic realm="quantrac"'},
        )


def require_writer(p: Principal) -> None:
    require_login(p)
    if not p.can_write:
        raise ApiError(403, "this credential may not write (scope 'write' needed)")


def require_staff(p: Principal, what: str) -> None:
    """Agency staff (admin, or province staff) with the write scope."""
    require_writer(p)
    if not p.is_staff:
        raise ApiError(403, f"only agency staff (admin or province) may {what}")


def managed_query(p: Principal, *, include_retired: bool = False) -> Select[Any]:
    """Stations the caller has full access to, with the owner's code."""
    q = (
        select(station, organization.c.code.label("owner"))
        .outerjoin(organization, organization.c.id == station.c.owner_id)
        .where(full_access(p))
        .order_by(station.c.code)
    )
    if not include_retired:
        q = q.where(station.c.retired_at.is_(None))
    return q


def managed_codes(
    conn: Connection, p: Principal, *, kind: str | None = None, include_retired: bool = False
) -> list[str]:
    q = managed_query(p, include_retired=include_retired).with_only_columns(station.c.code)
    if kind:
        q = q.where(station.c.kind == kind)
    return list(conn.scalars(q))


def managed_station(conn: Connection, p: Principal, code: str) -> dict[str, Any]:
    """A station the caller manages: 404 when unknown or invisible, 403 when only visible."""
    row = conn.execute(managed_query(p).where(station.c.code == code)).mappings().first()
    if row is not None:
        return dict(row)
    visible = conn.scalar(select(station.c.id).where(station.c.code == code, visible_station(p)))
    if visible is None:
        raise UnknownStation(code)
    raise ApiError(403, f"station {code!r} is outside this credential's scope")


def record(
    ctx: ApiContext,
    request: Request,
    p: Principal,
    action: str,
    target: str | None,
    details: dict[str, Any] | None = None,
    conn: Connection | None = None,
) -> None:
    """One audit row: in `conn`'s transaction when given, else in its own."""
    if conn is not None:
        audit.record(conn, p.actor, action, target, details, client_ip(request))
        return
    with ctx.store.write() as c:
        audit.record(c, p.actor, action, target, details, client_ip(request))


async def read_body(request: Request, ctx: ApiContext, what: str) -> bytes:
    """The raw request body (files are sent as bytes: no multipart dependency), bounded."""
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
        raise ApiError(422, "empty body", [("body", f"send {what}")])
    return data


def raw_body_doc(media_types: tuple[str, ...]) -> dict[str, Any]:
    """OpenAPI: a required body of raw bytes in any of `media_types`."""
    return {
        "requestBody": {
            "required": True,
            "content": {m: {"schema": {"type": "string", "format": "binary"}} for m in media_types},
        }
    }
