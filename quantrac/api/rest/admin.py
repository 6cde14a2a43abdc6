"""Logging in (session tokens), who am I, and the admin surface: users, API keys, audit log."""

from __future__ import annotations

import contextlib
import json
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from quantrac.api.context import ApiContext
from quantrac.api.errors import ApiError
from quantrac.api.rest import models
from quantrac.api.rest.common import Ctx, with_iso
from quantrac.api.security import (
    SESSION_COOKIE,
    CurrentPrincipal,
    client_ip,
    require_admin,
)
from quantrac.api.timeparse import iso
from quantrac.auth import audit, keys, tokens, users

router = APIRouter()


@router.post("/auth/login", response_model=models.Session, tags=["auth"])
def login(body: models.Login, request: Request, response: Response, ctx: ApiContext = Ctx) -> dict:
    """Exchange a user name and password for a session token (also set as an HttpOnly
    cookie for the portal). Cookie sessions must send `X-Requested-With` on writes."""
    row = users.authenticate(ctx.store, body.username, body.password)
    with ctx.store.write() as conn:
        audit.record(
            conn,
            f"user:{body.username}",
            "auth.login" if row else "auth.login_failed",
            None,
            None,
            client_ip(request),
        )
    if row is None:
        raise ApiError(401, "wrong user name or password / sai tên đăng nhập hoặc mật khẩu")
    token, exp = tokens.issue(ctx.secret, row["id"], ctx.settings.session_ttl_s)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=ctx.settings.session_ttl_s,
        httponly=True,
        samesite="lax",
        secure=ctx.settings.cookie_secure,
    )
    return {
        "token": token,
        "expires_at": iso(exp),
        "username": row["username"],
        "role": row["role"],
    }


@router.post("/auth/logout", status_code=204, tags=["auth"])
def logout(response: Response) -> Response:
    response.delete_cookie(SESSION_COOKIE)
    response.status_code = 204
    return response


@router.get("/auth/me", response_model=models.Me, tags=["auth"])
def me(p: CurrentPrincipal) -> dict:
    return {
        "actor": p.actor,
        "role": p.role,
        "scopes": sorted(p.scopes),
        "provinces": sorted(p.admin_unit_keys),
        "organization_id": p.organization_id,
    }


@router.get("/admin/users", response_model=list[models.User], tags=["admin"])
def list_users(p: CurrentPrincipal, ctx: ApiContext = Ctx) -> list[dict]:
    require_admin(p)
    return with_iso(users.list_users(ctx.store), "created_at")


@router.post("/admin/users", response_model=models.User, status_code=201, tags=["admin"])
def create_user(
    body: models.UserIn, request: Request, p: CurrentPrincipal, ctx: ApiContext = Ctx
) -> dict:
    require_admin(p)
    users.create_user(
        ctx.store,
        body.username,
        body.password,
        body.role,
        admin_unit=body.admin_unit,
        organization_code=body.organization,
        full_name=body.full_name,
        actor=p.actor,
        remote_addr=client_ip(request),
    )
    row = next(u for u in users.list_users(ctx.store) if u["username"] == body.username)
    return with_iso([row], "created_at")[0]


@router.post("/admin/users/{username}/disable", status_code=204, tags=["admin"])
def disable_user(
    username: str, request: Request, p: CurrentPrincipal, ctx: ApiContext = Ctx
) -> Response:
    require_admin(p)
    users.set_active(ctx.store, username, False, p.actor, client_ip(request))
    ctx.basic_cache.clear()
    return Response(status_code=204)


@router.get("/admin/keys", response_model=list[models.Key], tags=["admin"])
def list_keys(p: CurrentPrincipal, ctx: ApiContext = Ctx) -> list[dict]:
    require_admin(p)
    return with_iso(keys.list_keys(ctx.store), "created_at", "last_used_at", "revoked_at")


@router.post("/admin/keys", response_model=models.NewKey, status_code=201, tags=["admin"])
def create_key(
    body: models.KeyIn, request: Request, p: CurrentPrincipal, ctx: ApiContext = Ctx
) -> dict:
    """The key is in this answer only; store it now."""
    require_admin(p)
    new = keys.create_key(
        ctx.store,
        body.name,
        username=body.user,
        organization_code=body.organization,
        scopes=body.scopes,
        actor=p.actor,
        remote_addr=client_ip(request),
    )
    return {"prefix": new.prefix, "key": new.key}


@router.delete("/admin/keys/{prefix}", status_code=204, tags=["admin"])
def revoke_key(
    prefix: str, request: Request, p: CurrentPrincipal, ctx: ApiContext = Ctx
) -> Response:
    require_admin(p)
    keys.revoke_key(ctx.store, prefix, p.actor, client_ip(request))
    return Response(status_code=204)


@router.get("/admin/audit", response_model=list[models.AuditEntry], tags=["admin"])
def audit_log(
    p: CurrentPrincipal,
    ctx: ApiContext = Ctx,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    actor: Annotated[str | None, Query(max_length=128)] = None,
) -> list[dict]:
    require_admin(p)
    rows = audit.recent(ctx.store, limit, actor)
    for r in rows:
        if r["details"]:
            with contextlib.suppress(ValueError):
                r["details"] = json.loads(r["details"])
    return with_iso(rows, "at")
