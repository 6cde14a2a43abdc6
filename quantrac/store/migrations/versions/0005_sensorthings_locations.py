"""sensorthings locations and observation times

Revision ID: 0005
Revises: 0004

Locations of their own (`sta_location`) and the links from Things to Locations
(`sta_thing_location`), so a Thing can have several Locations, a Location can stand alone or
be shared, and a station's own Location can carry a name of its own. Existing stations keep
their single derived Location: no rows are needed for them.

An observation's `resultTime` and `validTime` (`sta_observation_time`), and the old keys of
observations whose time was corrected (`sta_observation_moved`). `series.deleted_at`: a
series deleted through the API is hidden with its data (a retired one only stops).
`sta_feature_of_interest.geometry`: features of any GeoJSON geometry.
`sta_datastream.unit_json`: a Datastream's unitOfMeasurement as its client wrote it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sta_datastream", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit_json", sa.Text(), nullable=True))
    with op.batch_alter_table("sta_feature_of_interest", schema=None) as batch_op:
        batch_op.add_column(sa.Column("geometry", sa.Text(), nullable=True))
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", sa.BigInteger(), nullable=True))
    op.create_table(
        "sta_location",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("encoding_type", sa.String(length=255), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("properties", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"], ["station.id"], name=op.f("fk_sta_location_station_id_station")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sta_location")),
        sa.UniqueConstraint("station_id", name=op.f("uq_sta_location_station_id")),
    )
    op.create_table(
        "sta_thing_location",
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"], ["station.id"], name=op.f("fk_sta_thing_location_station_id_station")
        ),
        sa.PrimaryKeyConstraint("station_id", "location_id", name=op.f("pk_sta_thing_location")),
    )
    with op.batch_alter_table("sta_thing_location", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sta_thing_location_location_id"), ["location_id"], unique=False
        )
    op.create_table(
        "sta_observation_time",
        sa.Column("series_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("time", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("result_time", sa.BigInteger(), nullable=True),
        sa.Column("valid_from", sa.BigInteger(), nullable=True),
        sa.Column("valid_to", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("series_id", "time", name=op.f("pk_sta_observation_time")),
    )
    op.create_table(
        "sta_observation_moved",
        sa.Column("series_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("old_time", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("new_time", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("series_id", "old_time", name=op.f("pk_sta_observation_moved")),
    )
    with op.batch_alter_table("sta_observation_moved", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sta_observation_moved_series_id_new_time"),
            ["series_id", "new_time"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("sta_observation_moved", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sta_observation_moved_series_id_new_time"))
    op.drop_table("sta_observation_moved")
    op.drop_table("sta_observation_time")
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.drop_column("deleted_at")
    with op.batch_alter_table("sta_feature_of_interest", schema=None) as batch_op:
        batch_op.drop_column("geometry")
    with op.batch_alter_table("sta_datastream", schema=None) as batch_op:
        batch_op.drop_column("unit_json")
    with op.batch_alter_table("sta_thing_location", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sta_thing_location_location_id"))
    op.drop_table("sta_thing_location")
    op.drop_table("sta_location")
