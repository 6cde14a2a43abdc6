"""sensorthings entities

Revision ID: 0004
Revises: 0003

The tables of `quantrac/store/schema_sta.py`. On PostgreSQL also the statement-level triggers
that keep `series_observation_count` exact: every INSERT and DELETE on `observation` adds or
subtracts its rows per series in the same transaction (an INSERT … ON CONFLICT DO UPDATE
counts only the rows it inserted); a TRUNCATE empties the counts; an UPDATE that would move
an observation to another key is refused. Existing observations are counted once here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COUNT_TRIGGERS = """
CREATE FUNCTION series_observation_count_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO series_observation_count AS c (series_id, n)
    SELECT series_id, count(*) FROM observation_inserted GROUP BY series_id ORDER BY series_id
    ON CONFLICT (series_id) DO UPDATE SET n = c.n + excluded.n;
    RETURN NULL;
END $$;

CREATE FUNCTION series_observation_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE series_observation_count AS c SET n = c.n - d.k
    FROM (SELECT series_id, count(*) AS k FROM observation_deleted GROUP BY series_id) AS d
    WHERE c.series_id = d.series_id;
    RETURN NULL;
END $$;

CREATE FUNCTION series_observation_count_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM series_observation_count;
    RETURN NULL;
END $$;

CREATE FUNCTION series_observation_count_rekey() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the key (series_id, time) of an observation does not change: '
        'delete it and insert the new one';
END $$;

CREATE TRIGGER series_observation_count_insert AFTER INSERT ON observation
    REFERENCING NEW TABLE AS observation_inserted
    FOR EACH STATEMENT EXECUTE FUNCTION series_observation_count_insert();
CREATE TRIGGER series_observation_count_delete AFTER DELETE ON observation
    REFERENCING OLD TABLE AS observation_deleted
    FOR EACH STATEMENT EXECUTE FUNCTION series_observation_count_delete();
CREATE TRIGGER series_observation_count_truncate AFTER TRUNCATE ON observation
    FOR EACH STATEMENT EXECUTE FUNCTION series_observation_count_truncate();
CREATE TRIGGER series_observation_count_rekey BEFORE UPDATE OF series_id, time ON observation
    FOR EACH ROW WHEN (OLD.series_id IS DISTINCT FROM NEW.series_id
                       OR OLD.time IS DISTINCT FROM NEW.time)
    EXECUTE FUNCTION series_observation_count_rekey();

INSERT INTO series_observation_count (series_id, n)
SELECT series_id, count(*) FROM observation GROUP BY series_id;
"""

DROP_COUNT_TRIGGERS = """
DROP TRIGGER IF EXISTS series_observation_count_rekey ON observation;
DROP TRIGGER IF EXISTS series_observation_count_truncate ON observation;
DROP TRIGGER IF EXISTS series_observation_count_delete ON observation;
DROP TRIGGER IF EXISTS series_observation_count_insert ON observation;
DROP FUNCTION IF EXISTS series_observation_count_rekey();
DROP FUNCTION IF EXISTS series_observation_count_truncate();
DROP FUNCTION IF EXISTS series_observation_count_delete();
DROP FUNCTION IF EXISTS series_observation_count_insert();
"""


def upgrade() -> None:
    op.create_table(
        "series_observation_count",
        sa.Column("series_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("series_id", name=op.f("pk_series_observation_count")),
    )
    op.create_table(
        "sta_feature_of_interest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("encoding_type", sa.String(length=255), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("properties", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sta_feature_of_interest")),
    )
    op.create_table(
        "sta_sensor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("encoding_type", sa.String(length=255), nullable=False),
        sa.Column("meta", sa.Text(), nullable=False),
        sa.Column("properties", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sta_sensor")),
    )
    op.create_table(
        "sta_observation_foi",
        sa.Column("series_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("time", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("foi_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["foi_id"],
            ["sta_feature_of_interest.id"],
            name=op.f("fk_sta_observation_foi_foi_id_sta_feature_of_interest"),
        ),
        sa.PrimaryKeyConstraint("series_id", "time", name=op.f("pk_sta_observation_foi")),
    )
    with op.batch_alter_table("sta_observation_foi", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sta_observation_foi_foi_id"), ["foi_id"], unique=False)

    op.create_table(
        "sta_observed_property",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("properties", sa.Text(), nullable=True),
        sa.Column("parameter_code", sa.String(length=32), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parameter_code"],
            ["parameter.code"],
            name=op.f("fk_sta_observed_property_parameter_code_parameter"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sta_observed_property")),
    )
    op.create_table(
        "sta_historical_location",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("time", sa.BigInteger(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["station.id"],
            name=op.f("fk_sta_historical_location_station_id_station"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sta_historical_location")),
    )
    with op.batch_alter_table("sta_historical_location", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sta_historical_location_station_id_time"),
            ["station_id", "time"],
            unique=False,
        )

    op.create_table(
        "sta_datastream",
        sa.Column("series_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sensor_id", sa.Integer(), nullable=True),
        sa.Column("observed_property_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["observed_property_id"],
            ["sta_observed_property.id"],
            name=op.f("fk_sta_datastream_observed_property_id_sta_observed_property"),
        ),
        sa.ForeignKeyConstraint(
            ["sensor_id"], ["sta_sensor.id"], name=op.f("fk_sta_datastream_sensor_id_sta_sensor")
        ),
        sa.ForeignKeyConstraint(
            ["series_id"], ["series.id"], name=op.f("fk_sta_datastream_series_id_series")
        ),
        sa.PrimaryKeyConstraint("series_id", name=op.f("pk_sta_datastream")),
    )
    with op.batch_alter_table("sta_datastream", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sta_datastream_observed_property_id"),
            ["observed_property_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_sta_datastream_sensor_id"), ["sensor_id"], unique=False
        )

    if op.get_bind().dialect.name == "postgresql":
        op.execute(COUNT_TRIGGERS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(DROP_COUNT_TRIGGERS)
    with op.batch_alter_table("sta_datastream", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sta_datastream_sensor_id"))
        batch_op.drop_index(batch_op.f("ix_sta_datastream_observed_property_id"))

    op.drop_table("sta_datastream")
    with op.batch_alter_table("sta_historical_location", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sta_historical_location_station_id_time"))

    op.drop_table("sta_historical_location")
    op.drop_table("sta_observed_property")
    with op.batch_alter_table("sta_observation_foi", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sta_observation_foi_foi_id"))

    op.drop_table("sta_observation_foi")
    op.drop_table("sta_sensor")
    op.drop_table("sta_feature_of_interest")
    op.drop_table("series_observation_count")
