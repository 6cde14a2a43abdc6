"""Upgrading a database that an earlier release built: nothing stored is lost, and what a new
revision derives from stored rows (the per-series observation totals) is right at once."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, insert, inspect, select, text
from sqlalchemy.engine import make_url

from quantrac.api.queries.counts import totals_maintained
from quantrac.store.catalog_sync import sync_catalog
from quantrac.store.db import Store, normalize_url
from quantrac.store.migrate import current_revision, head_revision, upgrade
from quantrac.store.registry import StationSpec, create_station, ensure_series
from quantrac.store.schema import observation
from quantrac.store.schema_sta import series_observation_count
from tests.conftest import PG_ENV, need

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
BEFORE_STA = "0003"  # the head of the release before the SensorThings tables


@pytest.fixture(params=["sqlite", "postgresql"])
def old_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty database migrated only as far as the previous release went."""
    if request.param == "sqlite":
        store = Store(f"sqlite:///{tmp_path / 'old.db'}")
        upgrade(store, BEFORE_STA)
        yield store
        store.engine.dispose()
        return
    base = os.environ.get(PG_ENV)
    need(bool(base), f"PostgreSQL tests need {PG_ENV}=postgresql://user@host/db")
    assert base is not None
    admin_url = make_url(normalize_url(base))
    name = f"quantrac_old_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    store = Store(admin_url.set(database=name).render_as_string(hide_password=False))
    try:
        upgrade(store, BEFORE_STA)
        yield store
    finally:
        store.engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_a_database_of_the_previous_release_upgrades_with_its_data(old_store: Store) -> None:
    sync_catalog(old_store)
    create_station(
        old_store,
        StationSpec(
            code="HN_OLD", name="Trạm cũ", kind="automatic", medium="ambient_air", admin_unit="01"
        ),
    )
    pm25 = ensure_series(old_store, "HN_OLD", "PM25")
    no2 = ensure_series(old_store, "HN_OLD", "NO2")
    with old_store.engine.begin() as conn:
        conn.execute(
            insert(observation),
            [
                {
                    "series_id": sid,
                    "time": T0 + 300 * i,
                    "value": float(i),
                    "qc_flag": 1,
                    "received_at": T0,
                }
                for sid, n in ((pm25, 120), (no2, 45))
                for i in range(n)
            ],
        )
    assert "sta_sensor" not in inspect(old_store.engine).get_table_names()

    upgrade(old_store)

    assert current_revision(old_store) == head_revision(old_store)
    with old_store.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(observation)) == 165
        tables = set(inspect(conn).get_table_names())
        assert {"sta_sensor", "sta_datastream", "sta_feature_of_interest"} <= tables
        if conn.dialect.name == "postgresql":
            totals = dict(conn.execute(select(series_observation_count)).all())
            assert totals == {pm25: 120, no2: 45}
            assert totals_maintained(conn)
