"""The audit log: one row for every write and every admin action — who, what, when, from where.

Rows are written in the caller's transaction, so an action and its audit row land together
or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, insert, select

from quantrac.store.db import Store, now_s
from quantrac.store.schema import audit_log


def record(
    conn: Connection,
    actor: str,
    action: str,
    target: str | None = None,
    details: Mapping[str, Any] | None = None,
    remote_addr: str | None = None,
) -> None:
    conn.execute(
        insert(audit_log).values(
            at=now_s(),
            actor=actor[:128],
            action=action[:64],
            target=None if target is None else target[:255],
            details=None if details is None else json.dumps(details, ensure_ascii=False),
            remote_addr=None if remote_addr is None else remote_addr[:64],
        )
    )


def recent(store: Store, limit: int = 100, actor: str | None = None) -> list[dict[str, Any]]:
    q = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if actor:
        q = q.where(audit_log.c.actor == actor)
    with store.read() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]
