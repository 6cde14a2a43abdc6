"""Federation bookkeeping: change sequence, node registry, sync cursors.

- `sync_change` (every province node): one row per write that changed something — a write
  call's series and time span, a registry entity, an event window — numbered in commit order
  (see docs/federation.md: SQLite serialises writers; on PostgreSQL the row carries its
  transaction id and readers only take rows below the oldest running transaction).
- `sync_push_state` (province): what the national node acknowledged last, for `sync status`.
- `sync_node` (national): registered province nodes, their key and their applied position.
- `sync_key_map` (national): which node owns which national row, by the node's natural key
  (station code, organization code) or the node's own id (series, events, revisions, review
  periods). One owner per national row.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from quantrac.store.schema import metadata

#: SQLite only numbers rows itself (and never reuses a number, with AUTOINCREMENT) when the
#: key is declared INTEGER; PostgreSQL gets a 64-bit identity.
_SEQ = BigInteger().with_variant(Integer(), "sqlite")

sync_change = Table(
    "sync_change",
    metadata,
    Column("seq", _SEQ, primary_key=True),
    Column("xid", BigInteger, nullable=False, server_default="0"),  # PostgreSQL xact id, else 0
    Column("entity", String(16), nullable=False),  # obs | station | series | events | …
    Column("key", BigInteger),  # the entity's id (station id for events and samples)
    Column("keys", Text),  # obs: comma-separated series ids; event: event ids
    Column("t_min", BigInteger),  # time span touched, inclusive
    Column("t_max", BigInteger),
    Column("n", Integer),  # rows written by the call, when known (sizes batches)
    Column("at", BigInteger, nullable=False),  # wall clock, for showing lag only
    Index(None, "xid", "seq"),
    sqlite_autoincrement=True,
)

sync_push_state = Table(
    "sync_push_state",
    metadata,
    Column("target", String(255), primary_key=True),  # the national endpoint
    Column("pos_xid", BigInteger, nullable=False, server_default="0"),
    Column("pos_seq", BigInteger, nullable=False, server_default="0"),
    Column("pos_sid", BigInteger, nullable=False, server_default="-1"),
    Column("pos_t", BigInteger, nullable=False, server_default="0"),
    Column("batches", BigInteger, nullable=False, server_default="0"),
    Column("rows", BigInteger, nullable=False, server_default="0"),
    # The newest entry pruned: a national node behind it needs everything sent again.
    Column("pruned_xid", BigInteger, nullable=False, server_default="0"),
    Column("pruned_seq", BigInteger, nullable=False, server_default="0"),
    Column("last_attempt_at", BigInteger),
    Column("last_success_at", BigInteger),
    Column("last_error", Text),
    Column("last_error_at", BigInteger),
)

sync_node = Table(
    "sync_node",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("admin_unit_key", String(16), ForeignKey("admin_unit.key"), nullable=False),
    Column("key_prefix", String(16), nullable=False, unique=True),
    Column("key_hash", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger),
    # Position applied so far (docs/federation.md, "Positions").
    Column("pos_xid", BigInteger, nullable=False, server_default="0"),
    Column("pos_seq", BigInteger, nullable=False, server_default="0"),
    Column("pos_sid", BigInteger, nullable=False, server_default="-1"),
    Column("pos_t", BigInteger, nullable=False, server_default="0"),
    Column("batches", BigInteger, nullable=False, server_default="0"),
    Column("rows", BigInteger, nullable=False, server_default="0"),
    Column("last_batch_at", BigInteger),
    # What the province said was still waiting after its last batch (the lag).
    Column("pending", BigInteger),
    Column("pending_since", BigInteger),
    Column("last_error", Text),
    Column("last_error_at", BigInteger),
)

sync_key_map = Table(
    "sync_key_map",
    metadata,
    Column("node_id", Integer, ForeignKey("sync_node.id"), primary_key=True),
    Column("entity", String(16), primary_key=True),
    Column("origin_key", String(128), primary_key=True),
    Column("local_id", BigInteger, nullable=False),
    UniqueConstraint("entity", "local_id"),
)
