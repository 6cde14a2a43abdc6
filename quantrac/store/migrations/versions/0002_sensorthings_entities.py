"""sensorthings entities

Revision ID: 0002
Revises: 0001

Kept empty: it was released as a placeholder, so databases already stand past it. The
SensorThings tables came with revision 0004.
"""

from __future__ import annotations

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
