"""federation

Revision ID: 0003
Revises: 0002

Change log, push state, province nodes and their key map (quantrac/store/schema_sync.py).
The change log starts with one `seed` entry: the first push sends everything stored before
federation existed (docs/federation.md).
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_change",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("xid", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("key", sa.BigInteger(), nullable=True),
        sa.Column("keys", sa.Text(), nullable=True),
        sa.Column("t_min", sa.BigInteger(), nullable=True),
        sa.Column("t_max", sa.BigInteger(), nullable=True),
        sa.Column("n", sa.Integer(), nullable=True),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_sync_change")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("sync_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_change_xid_seq"), ["xid", "seq"], unique=False)

    op.create_table(
        "sync_push_state",
        sa.Column("target", sa.String(length=255), nullable=False),
        sa.Column("pos_xid", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("pos_seq", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("pos_sid", sa.BigInteger(), server_default="-1", nullable=False),
        sa.Column("pos_t", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("batches", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("rows", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("pruned_xid", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("pruned_seq", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("last_attempt_at", sa.BigInteger(), nullable=True),
        sa.Column("last_success_at", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("target", name=op.f("pk_sync_push_state")),
    )
    op.create_table(
        "sync_node",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("admin_unit_key", sa.String(length=16), nullable=False),
        sa.Column("key_prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.Column("pos_xid", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("pos_seq", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("pos_sid", sa.BigInteger(), server_default="-1", nullable=False),
        sa.Column("pos_t", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("batches", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("rows", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("last_batch_at", sa.BigInteger(), nullable=True),
        sa.Column("pending", sa.BigInteger(), nullable=True),
        sa.Column("pending_since", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["admin_unit_key"],
            ["admin_unit.key"],
            name=op.f("fk_sync_node_admin_unit_key_admin_unit"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_node")),
        sa.UniqueConstraint("key_prefix", name=op.f("uq_sync_node_key_prefix")),
        sa.UniqueConstraint("name", name=op.f("uq_sync_node_name")),
    )
    op.create_table(
        "sync_key_map",
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("origin_key", sa.String(length=128), nullable=False),
        sa.Column("local_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["node_id"], ["sync_node.id"], name=op.f("fk_sync_key_map_node_id_sync_node")
        ),
        sa.PrimaryKeyConstraint("node_id", "entity", "origin_key", name=op.f("pk_sync_key_map")),
        sa.UniqueConstraint("entity", "local_id", name=op.f("uq_sync_key_map_entity_local_id")),
    )
    # Everything stored before this migration is sent by the first push.
    op.execute(
        sa.text("INSERT INTO sync_change (xid, entity, at) VALUES (0, 'seed', :at)").bindparams(
            at=int(time.time())
        )
    )


def downgrade() -> None:
    op.drop_table("sync_key_map")
    op.drop_table("sync_node")
    op.drop_table("sync_push_state")
    with op.batch_alter_table("sync_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_change_xid_seq"))
    op.drop_table("sync_change")
