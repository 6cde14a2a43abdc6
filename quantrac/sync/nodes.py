"""Province nodes registered on the national node, each with its own key.

A node key reads like an API key (`qtk_<prefix>_<secret>`, only its SHA-256 stored, shown
once) but lives in `sync_node`, not `api_key`: it opens the sync endpoint and nothing else,
and it binds the node to one province, which decides whose data it may write.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from quantrac.auth import audit
from quantrac.auth.keys import KEY_PREFIX, key_hash
from quantrac.catalog import get_catalog
from quantrac.catalog.text import nearest
from quantrac.errors import ConflictError, LookupFailed, ValidationError
from quantrac.store.db import Store, now_s
from quantrac.store.schema_sync import sync_node
from quantrac.sync.position import Position

NAME_PATTERN = "abcdefghijklmnopqrstuvwxyz0123456789-_."


class UnknownNode(LookupFailed):
    kind = "node"


@dataclass(frozen=True, slots=True)
class Node:
    id: int
    name: str
    admin_unit_key: str
    position: Position


def _new_key() -> tuple[str, str]:
    prefix = secrets.token_hex(6)
    return prefix, f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"


def _node_row(conn: Connection, name: str) -> Any:
    row = conn.execute(select(sync_node).where(sync_node.c.name == name)).mappings().first()
    if row is None:
        known = list(conn.scalars(select(sync_node.c.name)))
        raise UnknownNode(name, nearest(name, known))
    return row


def add_node(store: Store, name: str, province: str, actor: str = "cli") -> tuple[Node, str]:
    """Register a province node; returns it and its key (shown once)."""
    name = name.strip().lower()
    if not name or len(name) > 64 or any(ch not in NAME_PATTERN for ch in name):
        raise ValidationError(
            "invalid node name", [("name", "lower-case letters, digits, '-', '_' or '.'")]
        )
    unit = get_catalog().admin_units.find(province)
    prefix, key = _new_key()
    with store.write() as conn:
        if conn.scalar(select(sync_node.c.id).where(sync_node.c.name == name)):
            raise ConflictError(f"node {name!r} already exists")
        node_id = conn.execute(
            insert(sync_node).values(
                name=name,
                admin_unit_key=unit.key,
                key_prefix=prefix,
                key_hash=key_hash(key),
                created_at=now_s(),
            )
        ).inserted_primary_key[0]
        audit.record(conn, actor, "node.create", f"node:{name}", {"province": unit.key}, None)
    return Node(int(node_id), name, unit.key, Position()), key


def rotate_key(store: Store, name: str, actor: str = "cli") -> str:
    """A new key for a node; the old one stops working at once."""
    prefix, key = _new_key()
    with store.write() as conn:
        row = _node_row(conn, name)
        conn.execute(
            update(sync_node)
            .where(sync_node.c.id == row["id"])
            .values(key_prefix=prefix, key_hash=key_hash(key), revoked_at=None)
        )
        audit.record(conn, actor, "node.rotate_key", f"node:{name}", None, None)
    return key


def reset_node(store: Store, name: str, actor: str = "cli") -> None:
    """Forget how far a node got, so its next push starts from its log's beginning (after
    the province restored its database from a backup and ran `sync reseed`)."""
    with store.write() as conn:
        row = _node_row(conn, name)
        conn.execute(
            update(sync_node).where(sync_node.c.id == row["id"]).values(**Position().columns())
        )
        audit.record(
            conn, actor, "node.reset", f"node:{name}", {"was": str(Position.of_row(row))}, None
        )


def revoke_node(store: Store, name: str, actor: str = "cli") -> None:
    """Refuse the node's pushes from now on; its data stays."""
    with store.write() as conn:
        row = _node_row(conn, name)
        conn.execute(
            update(sync_node).where(sync_node.c.id == row["id"]).values(revoked_at=now_s())
        )
        audit.record(conn, actor, "node.revoke", f"node:{name}", None, None)


def list_nodes(store: Store) -> list[dict[str, Any]]:
    with store.read() as conn:
        rows = conn.execute(select(sync_node).order_by(sync_node.c.name)).mappings().all()
    out = []
    for r in rows:
        d = {k: r[k] for k in r if k != "key_hash"}
        d["position"] = str(Position.of_row(r))
        out.append(d)
    return out


def authenticate(conn: Connection, key: str) -> Node | None:
    """The node a presented key belongs to, or None (unknown, revoked, wrong secret)."""
    if not key.startswith(KEY_PREFIX):
        return None
    prefix = key[len(KEY_PREFIX) :].split("_", 1)[0]
    row = conn.execute(select(sync_node).where(sync_node.c.key_prefix == prefix)).mappings().first()
    if row is None or row["revoked_at"] is not None:
        return None
    if not hmac.compare_digest(row["key_hash"], key_hash(key)):
        return None
    return Node(int(row["id"]), row["name"], row["admin_unit_key"], Position.of_row(row))
