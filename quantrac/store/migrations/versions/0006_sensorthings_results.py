"""sensorthings results of any type and deletable derived entities

Revision ID: 0006
Revises: 0005

`sta_datastream.observation_type`: the observationType a Datastream declares (NULL is
OM_Measurement, numbers in `observation.value`). `sta_observation_result`: the result of an
observation that is not a number (its `observation` row keeps value NULL).
`sta_derived_deleted`: a station's derived FeatureOfInterest or registered HistoricalLocation
deleted through SensorThings. `sta_thing_properties`: a Thing's properties beyond the
station registry's own keys. `sta_kept_point`: the last point of a station that lost it, the
geometry of its observations' FeatureOfInterest.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sta_datastream", schema=None) as batch_op:
        batch_op.add_column(sa.Column("observation_type", sa.String(length=255), nullable=True))
    op.create_table(
        "sta_observation_result",
        sa.Column("series_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("time", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("result_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("series_id", "time", name=op.f("pk_sta_observation_result")),
    )
    op.create_table(
        "sta_derived_deleted",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("station_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("deleted_by", sa.String(length=128), nullable=False),
        sa.Column("deleted_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"], ["station.id"], name=op.f("fk_sta_derived_deleted_station_id_station")
        ),
        sa.PrimaryKeyConstraint("kind", "station_id", name=op.f("pk_sta_derived_deleted")),
    )
    op.create_table(
        "sta_thing_properties",
        sa.Column("station_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("properties", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"], ["station.id"], name=op.f("fk_sta_thing_properties_station_id_station")
        ),
        sa.PrimaryKeyConstraint("station_id", name=op.f("pk_sta_thing_properties")),
    )
    op.create_table(
        "sta_kept_point",
        sa.Column("station_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("kept_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"], ["station.id"], name=op.f("fk_sta_kept_point_station_id_station")
        ),
        sa.PrimaryKeyConstraint("station_id", name=op.f("pk_sta_kept_point")),
    )


def downgrade() -> None:
    op.drop_table("sta_kept_point")
    op.drop_table("sta_thing_properties")
    op.drop_table("sta_derived_deleted")
    op.drop_table("sta_observation_result")
    with op.batch_alter_table("sta_datastream", schema=None) as batch_op:
        batch_op.drop_column("observation_type")
