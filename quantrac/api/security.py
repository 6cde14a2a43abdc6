"""Who is calling: credentials → `Principal`, plus the per-key / per-IP rate limit.

Accepted, in this order: `Authorization: Bearer <API key or session token>`, `X-API-Key`,
`Authorization: Basic` (user:password, or any name with an API key as password — what
SensorThings clients such as frost_sta_client send), the `quantrac_session` cookie.
Credentials that are present but wrong are a 401, never a silent fall-back to anonymous.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPBasic, HTTPBearer
from starlette.concurrency import run_in_threadpool

from quantrac.api.context import ApiContext
from quantrac.api.errors import ApiError
from quantrac.auth import keys, tokens, users
from quantrac.auth.principal import ANONYMOUS, Principal
from quantrac.store.schema import app_user

SESSION_COOKIE = "quantrac_session"
CSRF_HEADER = "X-Requested-With"
BASIC_CACHE_S = 60.0
KEY_TOUCH_EVERY_S = 60.0
_SAFE = {"GET", "HEAD", "OPTIONS"}

# Declared for the OpenAPI document; resolution below reads the headers itself.
bearer_scheme = HTTPBearer(auto_error=False, description="API key or session token")
key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False)
basic_scheme = HTTPBasic(auto_error=False)


def ctx_of(request: Request) -> ApiContext:
    return request.app.state.ctx


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, message, headers={"WWW-Authenticate": 'Bearer, Basic realm="quantrac"'})


def _from_key(ctx: ApiContext, key: str) -> Principal:
    with ctx.store.read() as conn:
        p = keys.principal_for_key(conn, key)
    if p is None:
        raise _unauthorized("invalid or revoked API key")
    now = time.monotonic()
    if p.key_id is not None and now - ctx.key_touched.get(p.key_id, -1e9) > KEY_TOUCH_EVERY_S:
        ctx.key_touched[p.key_id] = now
        keys.touch(ctx.store, p.key_id)
    return p


def _from_user_id(ctx: ApiContext, user_id: int) -> Principal | None:
    from sqlalchemy import select

    with ctx.store.read() as conn:
        row = conn.execute(select(app_user).where(app_user.c.id == user_id)).mappings().first()
    if row is None or not row["active"]:
        return None
    return users.principal_for_user(row)


def _from_basic(ctx: ApiContext, value: str) -> Principal:
    try:
        name, _, password = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise _unauthorized("malformed Basic credentials") from None
    if password.startswith(keys.KEY_PREFIX):
        return _from_key(ctx, password)
    digest = hashlib.sha256(f"{name}\0{password}".encode()).hexdigest()
    hit = ctx.basic_cache.get(digest)
    if hit and hit[1] > time.monotonic():
        p = _from_user_id(ctx, hit[0])
        if p is not None:
            return p
    row = users.authenticate(ctx.store, name, password)
    if row is None:
        raise _unauthorized("wrong user name or password")
    if len(ctx.basic_cache) > 10_000:
        ctx.basic_cache.clear()
    ctx.basic_cache[digest] = (row["id"], time.monotonic() + BASIC_CACHE_S)
    return users.principal_for_user(row)


def _from_token(ctx: ApiContext, token: str) -> Principal:
    if token.startswith(keys.KEY_PREFIX):
        return _from_key(ctx, token)
    uid = tokens.verify(ctx.secret, token)
    p = None if uid is None else _from_user_id(ctx, uid)
    if p is None:
        raise _unauthorized("invalid or expired session token")
    return p


def resolve(request: Request) -> Principal:
    ctx = ctx_of(request)
    auth = request.headers.get("authorization")
    api_key = request.headers.get("x-api-key")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return _from_token(ctx, value.strip())
        if scheme.lower() == "basic" and value.strip():
            return _from_basic(ctx, value.strip())
        raise _unauthorized("unsupported Authorization header; use Bearer or Basic")
    if api_key:
        return _from_key(ctx, api_key.strip())
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        # A browser keeps sending a cookie after its session ended: that visitor is simply
        # anonymous again (and can log in), unlike a stale Bearer token, which is an error.
        try:
            p = _from_token(ctx, cookie)
        except ApiError:
            return ctx.anonymous
        if request.method not in _SAFE and not request.headers.get(CSRF_HEADER):
            raise ApiError(403, f"cookie sessions must send the {CSRF_HEADER} header on writes")
        return p
    return ctx.anonymous


def _rate_limit(ctx: ApiContext, request: Request, p: Principal) -> None:
    if not ctx.settings.rate_limit_enabled:
        return
    if p is ANONYMOUS:
        wait = ctx.ip_buckets.take(client_ip(request))
    else:
        wait = ctx.key_buckets.take(p.actor)
    if wait > 0:
        raise ApiError(
            429,
            f"rate limit exceeded; retry in {wait:.1f} s",
            headers={"Retry-After": str(max(1, round(wait)))},
        )


async def current_principal(
    request: Request,
    _bearer: Annotated[object, Security(bearer_scheme)] = None,
    _key: Annotated[object, Security(key_scheme)] = None,
    _basic: Annotated[object, Security(basic_scheme)] = None,
) -> Principal:
    """The dependency every route takes: resolves once per request, then rate-limits.

    Anonymous requests are resolved on the event loop; credentials need the database and
    are checked in the thread pool."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    h = request.headers
    if h.get("authorization") or h.get("x-api-key") or request.cookies.get(SESSION_COOKIE):
        p = await run_in_threadpool(resolve, request)
    else:
        p = ctx_of(request).anonymous
    _rate_limit(ctx_of(request), request, p)
    request.state.principal = p
    return p


def principal_sync(request: Request) -> Principal:
    """For code already in a worker thread (the SensorThings routes)."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    p = resolve(request)
    _rate_limit(ctx_of(request), request, p)
    request.state.principal = p
    return p


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_write(p: Principal) -> None:
    if p is ANONYMOUS:
        raise _unauthorized("writing needs an API key or a login")
    if not p.can_write:
        raise ApiError(403, "this credential may not write (scope 'write' needed)")


def require_admin(p: Principal) -> None:
    if p is ANONYMOUS:
        raise _unauthorized("administration needs a login")
    if not p.is_admin:
        raise ApiError(403, "administrators only")
