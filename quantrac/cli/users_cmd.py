"""`quantrac users …` and `quantrac keys …`: people and machine credentials.

Every change is written to the audit log with the actor `cli:<login name>`. A key is printed
once, at creation; only its hash is stored.
"""

from __future__ import annotations

import getpass
import os
from typing import Annotated

import typer

from quantrac.auth import keys, users
from quantrac.cli.common import console, local_time, open_store, table

users_app = typer.Typer(help="Người dùng (users) and their roles.", no_args_is_help=True)
keys_app = typer.Typer(help="Khóa API (API keys) for stations and agencies.", no_args_is_help=True)


def _actor() -> str:
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = os.environ.get("USER", "unknown")
    return f"cli:{name}"


def _password(password: str | None) -> str:
    if password:
        return password
    first = getpass.getpass("Mật khẩu / password: ")
    if getpass.getpass("Nhập lại / again: ") != first:
        raise typer.BadParameter("the two passwords differ / hai mật khẩu không khớp")
    return first


@users_app.command("add")
def add_user(
    username: str,
    role: Annotated[str, typer.Option(help="admin | province | enterprise | public")],
    province: Annotated[str | None, typer.Option(help="Province staff: key, code or name")] = None,
    organization: Annotated[str | None, typer.Option(help="Enterprise: organization code")] = None,
    full_name: Annotated[str | None, typer.Option()] = None,
    password: Annotated[
        str | None, typer.Option(help="Prompted when not given (keeps it out of shell history)")
    ] = None,
) -> None:
    """Add a user with an argon2-hashed password."""
    uid = users.create_user(
        open_store(),
        username,
        _password(password),
        role,
        admin_unit=province,
        organization_code=organization,
        full_name=full_name,
        actor=_actor(),
    )
    console.print(f"[green]Đã tạo người dùng / user created[/]: {username} (id {uid}, {role})")


@users_app.command("list")
def list_users() -> None:
    """List users, their role and scope."""
    rows = users.list_users(open_store())
    console.print(
        table(
            f"Người dùng / users ({len(rows)})",
            ["user", "name", "role", "province", "organization", "active", "created"],
            (
                [
                    r["username"],
                    r["full_name"],
                    r["role"],
                    r["admin_unit_key"],
                    r["organization"],
                    "✓" if r["active"] else "✗",
                    local_time(r["created_at"]),
                ]
                for r in rows
            ),
        )
    )


@users_app.command("disable")
def disable_user(username: str) -> None:
    """Disable a user: logins, sessions and the user's keys stop working at once."""
    users.set_active(open_store(), username, False, actor=_actor())
    console.print(f"[yellow]Đã khóa / disabled[/]: {username}")


@users_app.command("enable")
def enable_user(username: str) -> None:
    users.set_active(open_store(), username, True, actor=_actor())
    console.print(f"[green]Đã mở khóa / enabled[/]: {username}")


@users_app.command("passwd")
def passwd(
    username: str,
    password: Annotated[str | None, typer.Option(help="Prompted when not given")] = None,
) -> None:
    """Set a user's password."""
    users.set_password(open_store(), username, _password(password), actor=_actor())
    console.print(f"[green]Đã đổi mật khẩu / password changed[/]: {username}")


@keys_app.command("create")
def create_key(
    name: Annotated[str, typer.Argument(help="What the key is for, e.g. 'trạm HN_BKHN'")],
    user: Annotated[str | None, typer.Option(help="Act as this user (its role and scope)")] = None,
    organization: Annotated[
        str | None, typer.Option(help="Act for this organization (an enterprise's stations)")
    ] = None,
    scopes: Annotated[str, typer.Option(help="read, write, admin (comma-separated)")] = "read",
) -> None:
    """Create an API key; it is shown once — store it now."""
    new = keys.create_key(
        open_store(),
        name,
        username=user,
        organization_code=organization,
        scopes=scopes,
        actor=_actor(),
    )
    console.print("Khóa API (chỉ hiện một lần) / API key (shown once):")
    print(new.key)


@keys_app.command("list")
def list_keys() -> None:
    """List keys (prefix only; the secret is never stored)."""
    rows = keys.list_keys(open_store())
    console.print(
        table(
            f"Khóa API / API keys ({len(rows)})",
            ["prefix", "name", "user", "organization", "scopes", "created", "last used", "revoked"],
            (
                [
                    r["prefix"],
                    r["name"],
                    r["user"],
                    r["organization"],
                    r["scopes"],
                    local_time(r["created_at"]),
                    local_time(r["last_used_at"]),
                    local_time(r["revoked_at"]) if r["revoked_at"] else "",
                ]
                for r in rows
            ),
        )
    )


@keys_app.command("revoke")
def revoke_key(
    prefix: Annotated[str, typer.Argument(help="The key's prefix (or the key)")],
) -> None:
    """Revoke a key at once."""
    keys.revoke_key(open_store(), prefix, actor=_actor())
    console.print(f"[yellow]Đã thu hồi / revoked[/]: {prefix}")
