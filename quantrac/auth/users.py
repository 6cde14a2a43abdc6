"""People who log in: argon2-hashed passwords, a role and its scope (province or enterprise)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, RowMapping, insert, select, update

from quantrac.auth import audit
from quantrac.auth.passwords import hash_password, verify_password
from quantrac.auth.principal import ROLES, Principal, make_principal
from quantrac.catalog import get_catalog
from quantrac.catalog.text import nearest
from quantrac.errors import ConflictError, LookupFailed, UnknownOrganization, ValidationError
from quantrac.store.db import Store, now_s
from quantrac.store.schema import app_user, organization

USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@\-]{1,63}$"


class UnknownUser(LookupFailed):
    kind = "user"


def _check_username(username: str) -> None:
    import re

    if not re.match(USERNAME_PATTERN, username):
        raise ValidationError(
            "invalid user name",
            [("username", "2–64 letters, digits, '_', '.', '@' or '-'")],
        )


def _org_id(conn: Connection, code: str) -> int:
    oid = conn.scalar(select(organization.c.id).where(organization.c.code == code))
    if oid is None:
        raise UnknownOrganization(
            code, nearest(code, list(conn.scalars(select(organization.c.code))))
        )
    return int(oid)


def create_user(
    store: Store,
    username: str,
    password: str,
    role: str,
    *,
    admin_unit: str | None = None,
    organization_code: str | None = None,
    full_name: str | None = None,
    actor: str = "cli",
    remote_addr: str | None = None,
) -> int:
    """Province staff need their province; enterprise users their organization."""
    _check_username(username)
    if role not in ROLES:
        raise ValidationError("invalid role", [("role", f"one of {', '.join(ROLES)}")])
    unit_key = get_catalog().admin_units.find(admin_unit).key if admin_unit else None
    if role == "province" and unit_key is None:
        raise ValidationError("province staff need a province", [("admin_unit", "required")])
    if role == "enterprise" and not organization_code:
        raise ValidationError(
            "enterprise users need their organization", [("organization", "required")]
        )
    password_hash = hash_password(password)
    with store.write() as conn:
        if conn.scalar(select(app_user.c.id).where(app_user.c.username == username)):
            raise ConflictError(f"user {username!r} already exists")
        org_id = _org_id(conn, organization_code) if organization_code else None
        uid = conn.execute(
            insert(app_user).values(
                username=username,
                password_hash=password_hash,
                full_name=full_name,
                role=role,
                admin_unit_key=unit_key,
                organization_id=org_id,
                active=True,
                created_at=now_s(),
            )
        ).inserted_primary_key[0]
        audit.record(
            conn,
            actor,
            "user.create",
            f"user:{username}",
            {"role": role, "admin_unit": unit_key, "organization": organization_code},
            remote_addr,
        )
    return int(uid)


def get_user(conn: Connection, username: str) -> RowMapping:
    row = conn.execute(select(app_user).where(app_user.c.username == username)).mappings().first()
    if row is None:
        raise UnknownUser(
            username, nearest(username, list(conn.scalars(select(app_user.c.username))))
        )
    return row


def list_users(store: Store) -> list[dict[str, Any]]:
    q = (
        select(
            app_user.c.id,
            app_user.c.username,
            app_user.c.full_name,
            app_user.c.role,
            app_user.c.admin_unit_key,
            organization.c.code.label("organization"),
            app_user.c.active,
            app_user.c.created_at,
        )
        .outerjoin(organization, organization.c.id == app_user.c.organization_id)
        .order_by(app_user.c.username)
    )
    with store.read() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def set_active(
    store: Store, username: str, active: bool, actor: str = "cli", remote_addr: str | None = None
) -> None:
    with store.write() as conn:
        get_user(conn, username)
        conn.execute(update(app_user).where(app_user.c.username == username).values(active=active))
        action = "user.enable" if active else "user.disable"
        audit.record(conn, actor, action, f"user:{username}", None, remote_addr)


def set_password(
    store: Store, username: str, password: str, actor: str = "cli", remote_addr: str | None = None
) -> None:
    password_hash = hash_password(password)
    with store.write() as conn:
        get_user(conn, username)
        conn.execute(
            update(app_user)
            .where(app_user.c.username == username)
            .values(password_hash=password_hash)
        )
        audit.record(conn, actor, "user.passwd", f"user:{username}", None, remote_addr)


def authenticate(store: Store, username: str, password: str) -> RowMapping | None:
    """The active user with this name and password, else None (same cost either way)."""
    with store.read() as conn:
        row = (
            conn.execute(select(app_user).where(app_user.c.username == username)).mappings().first()
        )
    ok = verify_password(row["password_hash"] if row else None, password)
    if row is None or not ok or not row["active"]:
        return None
    return row


def principal_for_user(row: RowMapping, scopes: frozenset[str] | None = None) -> Principal:
    return make_principal(
        actor=f"user:{row['username']}",
        role=row["role"],
        scopes=scopes,
        user_id=row["id"],
        admin_unit_key=row["admin_unit_key"],
        organization_id=row["organization_id"],
    )
