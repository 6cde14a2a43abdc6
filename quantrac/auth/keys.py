"""API keys for machines: stations pushing data, agencies pulling it.

A key reads `qtk_<prefix>_<secret>`. Only the prefix (to find the row) and a SHA-256 of the
whole key are stored; the key itself is shown once, at creation. A fast hash is right here:
the secret is 256 random bits, so there is nothing to brute-force, and every request can be
checked without the tens of milliseconds a password hash costs.

A key acts for a user (that user's role and scope) or for an organization (an enterprise's
stations; an agency's province), narrowed to its scopes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from quantrac.auth import audit
from quantrac.auth.principal import SCOPES, Principal, make_principal
from quantrac.auth.users import _org_id, get_user
from quantrac.errors import LookupFailed, ValidationError
from quantrac.store.db import Store, now_s
from quantrac.store.schema import api_key, app_user, organization

KEY_PREFIX = "qtk_"


class UnknownKey(LookupFailed):
    kind = "API key"


@dataclass(frozen=True, slots=True)
class NewKey:
    id: int
    prefix: str
    key: str  # shown once


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def parse_scopes(text: str) -> frozenset[str]:
    scopes = frozenset(s.strip() for s in text.replace(";", ",").split(",") if s.strip())
    bad = sorted(scopes - set(SCOPES))
    if bad or not scopes:
        raise ValidationError(
            "invalid scopes", [("scopes", f"comma-separated subset of {', '.join(SCOPES)}")]
        )
    return scopes


def create_key(
    store: Store,
    name: str,
    *,
    username: str | None = None,
    organization_code: str | None = None,
    scopes: str = "read",
    actor: str = "cli",
    remote_addr: str | None = None,
) -> NewKey:
    if bool(username) == bool(organization_code):
        raise ValidationError(
            "a key acts for exactly one user or one organization",
            [("user/organization", "give one of them")],
        )
    scope_set = parse_scopes(scopes)
    prefix = secrets.token_hex(6)
    key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    with store.write() as conn:
        user_id = get_user(conn, username)["id"] if username else None
        org_id = _org_id(conn, organization_code) if organization_code else None
        kid = conn.execute(
            insert(api_key).values(
                prefix=prefix,
                key_hash=key_hash(key),
                name=name[:128],
                user_id=user_id,
                organization_id=org_id,
                scopes=",".join(sorted(scope_set)),
                created_at=now_s(),
            )
        ).inserted_primary_key[0]
        audit.record(
            conn,
            actor,
            "key.create",
            f"key:{prefix}",
            {
                "name": name,
                "user": username,
                "organization": organization_code,
                "scopes": sorted(scope_set),
            },
            remote_addr,
        )
    return NewKey(int(kid), prefix, key)


def list_keys(store: Store) -> list[dict[str, Any]]:
    q = (
        select(
            api_key.c.id,
            api_key.c.prefix,
            api_key.c.name,
            app_user.c.username.label("user"),
            organization.c.code.label("organization"),
            api_key.c.scopes,
            api_key.c.created_at,
            api_key.c.last_used_at,
            api_key.c.revoked_at,
        )
        .outerjoin(app_user, app_user.c.id == api_key.c.user_id)
        .outerjoin(organization, organization.c.id == api_key.c.organization_id)
        .order_by(api_key.c.id)
    )
    with store.read() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def revoke_key(
    store: Store, prefix: str, actor: str = "cli", remote_addr: str | None = None
) -> None:
    prefix = prefix.removeprefix(KEY_PREFIX).split("_")[0]
    with store.write() as conn:
        found = conn.scalar(select(api_key.c.id).where(api_key.c.prefix == prefix))
        if found is None:
            known = list(conn.scalars(select(api_key.c.prefix)))
            from quantrac.catalog.text import nearest

            raise UnknownKey(prefix, nearest(prefix, known))
        conn.execute(
            update(api_key)
            .where(api_key.c.prefix == prefix, api_key.c.revoked_at.is_(None))
            .values(revoked_at=now_s())
        )
        audit.record(conn, actor, "key.revoke", f"key:{prefix}", None, remote_addr)


def principal_for_key(conn: Connection, key: str) -> Principal | None:
    """The principal a presented key stands for, or None (unknown, revoked, wrong secret,
    disabled user)."""
    if not key.startswith(KEY_PREFIX):
        return None
    prefix = key[len(KEY_PREFIX) :].split("_", 1)[0]
    row = (
        conn.execute(
            select(
                api_key,
                app_user.c.username,
                app_user.c.role,
                app_user.c.active,
                app_user.c.admin_unit_key.label("user_unit"),
                app_user.c.organization_id.label("user_org"),
                organization.c.kind.label("org_kind"),
                organization.c.admin_unit_key.label("org_unit"),
            )
            .outerjoin(app_user, app_user.c.id == api_key.c.user_id)
            .outerjoin(organization, organization.c.id == api_key.c.organization_id)
            .where(api_key.c.prefix == prefix)
        )
        .mappings()
        .first()
    )
    if row is None or row["revoked_at"] is not None:
        return None
    if not hmac.compare_digest(row["key_hash"], key_hash(key)):
        return None
    scopes = frozenset(row["scopes"].split(","))
    actor = f"key:{prefix}"
    if row["user_id"] is not None:
        if not row["active"]:
            return None
        return make_principal(
            actor=actor,
            role=row["role"],
            scopes=scopes,
            user_id=row["user_id"],
            key_id=row["id"],
            admin_unit_key=row["user_unit"],
            organization_id=row["user_org"],
        )
    if row["org_kind"] == "enterprise":
        role = "enterprise"
    elif row["org_unit"]:
        role = "province"
    else:
        role = "public"
    return make_principal(
        actor=actor,
        role=role,
        scopes=scopes,
        key_id=row["id"],
        admin_unit_key=row["org_unit"],
        organization_id=row["organization_id"],
    )


def touch(store: Store, key_id: int) -> None:
    with store.write() as conn:
        conn.execute(update(api_key).where(api_key.c.id == key_id).values(last_used_at=now_s()))
