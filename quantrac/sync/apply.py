"""Applying one batch on the national node: all of it with the node's new position in one
transaction, or nothing.

A batch must start exactly where the node's applied position is; anything else (a retry of
a batch that was applied but whose answer was lost, a batch from a rewound province) is
refused with the national position, and the province continues from there. Applying is
idempotent anyway, so the check is about order, not about safety.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from sqlalchemy import Connection, select, update

from quantrac.errors import ConflictError, PermissionDenied
from quantrac.store.db import Store, now_s
from quantrac.store.schema_sync import sync_node
from quantrac.sync import apply_records as records
from quantrac.sync import apply_registry as registry
from quantrac.sync.position import Position
from quantrac.sync.protocol import BatchFormatError
from quantrac.sync.replica import apply_observations, check_spans


class PositionMismatch(ConflictError):
    """The batch does not start at the node's applied position."""

    def __init__(self, position: Position, sent: Position) -> None:
        self.position = position
        super().__init__(
            f"the batch starts at {sent}, but the national node has applied up to {position}"
        )


@dataclass(frozen=True, slots=True)
class ApplyResult:
    position: Position
    observations: int
    appended: int
    merged: int
    deleted: int
    revisions: int
    registry_changes: int
    events: int
    samples_revised: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__slots__}  # type: ignore[attr-defined]
        out["position"] = self.position.as_list()
        return out


def _lock_node(conn: Connection, node_id: int) -> Any:
    q = select(sync_node).where(sync_node.c.id == node_id)
    if conn.dialect.name == "postgresql":
        q = q.with_for_update()  # one batch of a node at a time
    return conn.execute(q).mappings().one()


def _map_series(table: pa.Table, series_map: dict[int, int]) -> pa.Table:
    """Replace the province's series ids by national ones (vectorised)."""
    if not table.num_rows:
        return table
    origin = table.column("sid").to_numpy()
    keys = np.array(sorted(series_map), dtype=np.int64)
    values = np.array([series_map[k] for k in keys], dtype=np.int64)
    pos = np.searchsorted(keys, origin)
    pos[pos >= len(keys)] = 0
    if len(keys) == 0 or not np.array_equal(keys[pos], origin):
        raise BatchFormatError("observations of a series the batch does not describe")
    return table.set_column(0, "sid", pa.array(values[pos]))


def apply_batch(store: Store, node_id: int, header: dict[str, Any], table: pa.Table) -> ApplyResult:
    started = time.perf_counter()
    start = Position.from_list(header.get("from", ()))
    end = Position.from_list(header.get("to", ()))
    spans = [tuple(int(x) for x in r) for r in header.get("ranges", [])]
    if any(len(s) != 4 for s in spans):
        raise BatchFormatError("a range is [series, from, to, rows]")
    check_spans(spans, table.column("time").to_numpy())  # type: ignore[arg-type]
    now = now_s()
    with store.write() as conn:
        row = _lock_node(conn, node_id)
        if row["revoked_at"] is not None:
            raise PermissionDenied(f"node {row['name']} is revoked")
        current = Position.of_row(row)
        if start != current:
            raise PositionMismatch(current, start)
        node = registry.NodeRef(int(row["id"]), row["name"], row["admin_unit_key"])
        ids = registry.RegistryIds()
        registry.apply_parameters(conn, header.get("parameters", []))
        registry.apply_organizations(conn, node, header.get("organizations", []), ids)
        registry.apply_stations(conn, node, header.get("stations", []), ids)
        registry.apply_series(conn, node, header.get("series", []), ids)
        referenced = {s[0] for s in spans}
        referenced |= {int(r[1]) for r in header.get("revisions", [])}
        referenced |= {int(r[1]) for r in header.get("review_periods", [])}
        referenced |= {int(e["series"]) for e in header.get("events", []) if e["series"]}
        registry.series_ids(conn, node, sorted(referenced), ids)
        national_spans = [(ids.series[s[0]], s[1], s[2], s[3]) for s in spans]
        obs = apply_observations(conn, national_spans, _map_series(table, ids.series), now)
        revisions = records.apply_revisions(conn, node, header.get("revisions", []), ids)
        records.apply_review_periods(conn, node, header.get("review_periods", []), ids)
        events = records.apply_events(
            conn, node, header.get("events", []), header.get("events_withdrawn", []), ids
        )
        samples = records.apply_samples(conn, node, header.get("samples", []), ids, now)
        records.delete_series(conn, node, header.get("series_deleted", []))
        waiting = header.get("pending") or {}
        conn.execute(
            update(sync_node)
            .where(sync_node.c.id == node.id)
            .values(
                **end.columns(),
                batches=sync_node.c.batches + 1,
                rows=sync_node.c.rows + table.num_rows,
                last_batch_at=now,
                pending=waiting.get("entries"),
                pending_since=waiting.get("oldest_at"),
                last_error=None,
            )
        )
    return ApplyResult(
        position=end,
        observations=table.num_rows,
        appended=obs.appended,
        merged=obs.merged,
        deleted=obs.deleted,
        revisions=revisions,
        registry_changes=ids.changed,
        events=events,
        samples_revised=samples,
        seconds=round(time.perf_counter() - started, 3),
    )


def record_failure(store: Store, node_id: int, message: str) -> None:
    """Keep the reason a batch was refused, for `quantrac nodes list`."""
    with store.write() as conn:
        conn.execute(
            update(sync_node)
            .where(sync_node.c.id == node_id)
            .values(last_error=message[:2000], last_error_at=now_s())
        )
