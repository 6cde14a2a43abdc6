"""Which province node owns which national row (table `sync_key_map`).

A province's rows are found again by the province's natural key (station or organization
code) or, for rows without one, by the province's own id — kept here under that province,
never used as a national id. Each national row has at most one owner, which is how the
national node refuses to let one province write another's data.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, and_, delete, insert, select, update

from quantrac.store.schema_sync import sync_key_map
from quantrac.sync.describe import chunks

k = sync_key_map.c


def lookup(conn: Connection, node_id: int, entity: str, origin_keys: Iterable[object]) -> dict:
    """origin key (as text) → national id, for the keys this node has mapped."""
    out: dict[str, int] = {}
    for part in chunks(str(x) for x in origin_keys):
        q = select(k.origin_key, k.local_id).where(
            k.node_id == node_id, k.entity == entity, k.origin_key.in_(part)
        )
        out.update({o: int(i) for o, i in conn.execute(q)})
    return out


def owner(conn: Connection, entity: str, local_id: int) -> tuple[int, str] | None:
    """(node id, origin key) owning a national row, or None (a national row of its own)."""
    row = conn.execute(
        select(k.node_id, k.origin_key).where(k.entity == entity, k.local_id == local_id)
    ).first()
    return None if row is None else (int(row[0]), str(row[1]))


def owners(conn: Connection, entity: str, local_ids: Iterable[int]) -> dict[int, int]:
    """national id → owning node id, for the rows that have an owner."""
    out: dict[int, int] = {}
    for part in chunks(int(i) for i in local_ids):
        q = select(k.local_id, k.node_id).where(k.entity == entity, k.local_id.in_(part))
        out.update({int(i): int(n) for i, n in conn.execute(q)})
    return out


def bind(conn: Connection, node_id: int, entity: str, origin_key: object, local_id: int) -> None:
    conn.execute(
        insert(sync_key_map).values(
            node_id=node_id, entity=entity, origin_key=str(origin_key), local_id=int(local_id)
        )
    )


def bind_many(conn: Connection, node_id: int, entity: str, pairs: Iterable[tuple]) -> None:
    rows = [
        {"node_id": node_id, "entity": entity, "origin_key": str(o), "local_id": int(i)}
        for o, i in pairs
    ]
    if rows:
        conn.execute(insert(sync_key_map), rows)


def rebind(conn: Connection, node_id: int, entity: str, local_id: int, origin_key: object) -> None:
    """The province recreated a row under a new id (same natural key): follow it."""
    conn.execute(
        update(sync_key_map)
        .where(and_(k.node_id == node_id, k.entity == entity, k.local_id == local_id))
        .values(origin_key=str(origin_key))
    )


def unbind(conn: Connection, node_id: int, entity: str, origin_key: object) -> None:
    conn.execute(
        delete(sync_key_map).where(
            k.node_id == node_id, k.entity == entity, k.origin_key == str(origin_key)
        )
    )
