"""The store on SQLite and PostgreSQL: schema, idempotent bulk writes, revisions, queries."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select

from quantrac.errors import UnknownParameter, UnknownStation, UnknownUnit, ValidationError
from quantrac.pipeline.ingest import store_readings
from quantrac.pipeline.standardize import Reading
from quantrac.store.db import Store
from quantrac.store.observations import ObservationRow, read_series, write_observations
from quantrac.store.registry import StationSpec, create_station, ensure_series
from quantrac.store.schema import metadata, observation, observation_revision, station

VN = timezone(timedelta(hours=7))
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z


def _station(
    store: Store,
    code: str = "HN_TEST_KK",
    medium: str = "ambient_air",
    name: str = "Trạm thử nghiệm Hoàn Kiếm",
) -> int:
    create_station(
        store, StationSpec(code=code, name=name, kind="automatic", medium=medium, admin_unit="01")
    )
    return ensure_series(store, code, "PM25" if medium == "ambient_air" else "COD")


def _count(store: Store, table=observation) -> int:
    with store.read() as conn:
        return int(conn.scalar(select(func.count()).select_from(table)))


def test_migrations_build_exactly_the_declared_schema(store: Store) -> None:
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_rewriting_the_same_batch_changes_nothing(store: Store) -> None:
    sid = _station(store)
    rows = [ObservationRow(sid, T0 + 300 * i, float(i), 0) for i in range(1000)]
    first = write_observations(store, rows, source="test")
    again = write_observations(store, rows, source="test")
    assert (first.inserted, first.unchanged) == (1000, 0)
    assert (again.inserted, again.revised, again.unchanged) == (0, 0, 1000)
    assert _count(store) == 1000
    assert _count(store, observation_revision) == 0


def test_a_different_value_is_kept_as_a_revision(store: Store) -> None:
    sid = _station(store)
    write_observations(
        store,
        [ObservationRow(sid, T0, 10.0, 0), ObservationRow(sid, T0 + 300, 11.0, 0)],
        source="ftp:a.txt",
    )
    result = write_observations(
        store,
        [ObservationRow(sid, T0, 12.5, 0), ObservationRow(sid, T0 + 300, 11.0, 0)],
        source="ftp:b.txt",
        changed_by="nguyen.van.a",
        reason="logger resent",
    )
    assert (result.revised, result.unchanged) == (1, 1)
    assert read_series(store, sid).value.tolist() == [12.5, 11.0]
    with store.read() as conn:
        rev = conn.execute(select(observation_revision)).mappings().one()
    assert (
        rev["old_value"],
        rev["new_value"],
        rev["source"],
        rev["changed_by"],
        rev["reason"],
    ) == (10.0, 12.5, "ftp:b.txt", "nguyen.van.a", "logger resent")


def test_device_status_change_is_a_revision_and_none_is_a_value(store: Store) -> None:
    sid = _station(store)
    write_observations(store, [ObservationRow(sid, T0, None, 2)], source="a")
    r = write_observations(store, [ObservationRow(sid, T0, None, 2)], source="a")
    assert r.unchanged == 1
    r = write_observations(store, [ObservationRow(sid, T0, 5.0, 0)], source="b")
    assert r.revised == 1
    with store.read() as conn:
        rev = conn.execute(select(observation_revision)).mappings().one()
    assert (rev["old_value"], rev["new_value"], rev["old_status"], rev["new_status"]) == (
        None,
        5.0,
        2,
        0,
    )


def test_duplicate_keys_in_one_batch_keep_the_last(store: Store) -> None:
    sid = _station(store)
    r = write_observations(
        store,
        [
            ObservationRow(sid, T0, 1.0),
            ObservationRow(sid, T0, 2.0),
            ObservationRow(sid, T0 + 60, 3.0),
        ],
        source="t",
    )
    assert (r.received, r.duplicates_in_batch, r.inserted) == (2, 1, 2)
    assert read_series(store, sid).value.tolist() == [2.0, 3.0]


def test_time_range_queries(store: Store) -> None:
    sid = _station(store)
    write_observations(
        store, [ObservationRow(sid, T0 + 3600 * h, float(h)) for h in range(48)], source="t"
    )
    day2 = read_series(store, sid, T0 + 86400, T0 + 2 * 86400)
    assert day2.value.tolist() == [float(h) for h in range(24, 48)]
    assert (day2.time[0], day2.time[-1]) == (T0 + 86400, T0 + 86400 + 23 * 3600)
    assert len(read_series(store, sid, T0 + 10**8)) == 0


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_values_refuse_the_whole_batch(store: Store, bad: float) -> None:
    sid = _station(store)
    rows = [ObservationRow(sid, T0, 1.0), ObservationRow(sid, T0 + 300, bad)]
    with pytest.raises(ValidationError, match="row 1") as err:
        write_observations(store, rows, source="t")
    assert "nothing was written" in str(err.value)
    assert _count(store) == 0


def test_timestamps_that_are_not_epoch_seconds_are_refused(store: Store) -> None:
    sid = _station(store)
    with pytest.raises(ValidationError, match="epoch seconds"):
        write_observations(store, [ObservationRow(sid, T0 * 1000, 1.0)], source="t")


def test_vietnamese_names_round_trip(store: Store) -> None:
    name = "Trạm quan trắc Hồ Gươm – Phường Hoàn Kiếm, Thành phố Hà Nội ‘đặc biệt’"
    _station(store, name=name)
    with store.read() as conn:
        assert conn.scalar(select(station.c.name)) == name


def _reading(**kw: object) -> Reading:
    base = dict(
        station="HN_TEST_KK",
        parameter="PM2,5",
        time=datetime(2026, 3, 25, 0, 5, tzinfo=VN),
        value=27.81,
        unit="ug/m3",
        device_status=0,
        where="f.txt line 7",
    )
    base.update(kw)
    return Reading(**base)  # type: ignore[arg-type]


def test_readings_are_standardized_to_codes_units_and_utc(store: Store) -> None:
    _station(store)
    result = store_readings(
        store, [_reading(), _reading(parameter="CO", value=3.0, unit="mg/m3 (air)")], source="t"
    )
    assert result.inserted == 2
    with store.read() as conn:
        rows = conn.execute(
            select(observation.c.time, observation.c.value).order_by(observation.c.value)
        ).all()
    when = int(datetime(2026, 3, 24, 17, 5, tzinfo=UTC).timestamp())
    assert rows == [(when, 27.81), (when, 3000.0)]


@pytest.mark.parametrize(
    ("reading", "field", "error"),
    [
        (dict(time=datetime(2026, 3, 25, 0, 5)), "time", "no time zone"),
        (dict(value=math.nan), "value", "not a finite number"),
        (dict(parameter="PM2,55"), "parameter", "Did you mean"),
        (dict(unit="ug/m4"), "unit", "Unknown unit"),
        (dict(station="HN_NOPE"), "station", "unknown station"),
    ],
)
def test_bad_readings_are_named_and_nothing_is_written(
    store: Store, reading: dict, field: str, error: str
) -> None:
    _station(store)
    with pytest.raises(ValidationError) as err:
        store_readings(store, [_reading(value=1.0), _reading(**reading)], source="t")
    assert f"f.txt line 7 [{field}]" in str(err.value)
    assert error in str(err.value)
    assert _count(store) == 0


def test_unknown_names_in_the_registry_suggest(store: Store) -> None:
    _station(store)
    with pytest.raises(UnknownStation) as err:
        ensure_series(store, "HN_TEST_K", "PM25")
    assert err.value.suggestions == ["HN_TEST_KK"]
    with pytest.raises(UnknownParameter):
        ensure_series(store, "HN_TEST_KK", "PM2")
    with pytest.raises(UnknownUnit):
        from quantrac.catalog import get_catalog

        get_catalog().unit("ugm")


WRITER = textwrap.dedent("""
    import sys
    from quantrac.store.db import Store
    from quantrac.store.observations import ObservationRow, write_observations
    store = Store(sys.argv[1])
    offset, sid = int(sys.argv[2]), int(sys.argv[3])
    for batch in range(20):
        rows = [ObservationRow(sid, 1_767_225_600 + 60 * (offset + batch * 500 + i), 1.0)
                for i in range(500)]
        write_observations(store, rows, source=f"writer{offset}")
""")


def test_two_writer_processes_on_sqlite_do_not_lock_each_other(
    tmp_path: Path, sqlite_template: Path
) -> None:
    import shutil

    path = tmp_path / "q.db"
    shutil.copy(sqlite_template, path)
    store = Store(f"sqlite:///{path}")
    sid = _station(store)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, store.url, str(offset), str(sid)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for offset in (0, 1_000_000)
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    assert _count(store) == 20_000


def test_catalogue_sync_keeps_limit_rule_ids_that_events_refer_to(store: Store) -> None:
    from quantrac.store.catalog_sync import sync_catalog
    from quantrac.store.schema import event, limit_rule

    sid = _station(store)
    with store.read() as conn:
        ids = {i: m for i, m in conn.execute(select(limit_rule.c.id, limit_rule.c.maximum))}
        rule_id = next(iter(ids))
        station_id = conn.scalar(select(station.c.id))
    with store.write() as conn:
        conn.execute(
            event.insert().values(
                kind="exceedance",
                station_id=station_id,
                series_id=sid,
                limit_rule_id=rule_id,
                status="open",
                started_at=T0,
                last_at=T0,
            )
        )
    sync_catalog(store)
    sync_catalog(store)
    with store.read() as conn:
        assert {i: m for i, m in conn.execute(select(limit_rule.c.id, limit_rule.c.maximum))} == ids


def test_a_staff_correction_is_not_undone_by_a_resent_file(store: Store) -> None:
    from quantrac.review.edits import correct_value

    sid = _station(store)
    original = [ObservationRow(sid, T0, 950.0, 0), ObservationRow(sid, T0 + 300, 20.0, 0)]
    write_observations(store, original, source="ftp:a.txt")
    correct_value(store, sid, T0, 95.0, by="tran.thi.b", reason="decimal point slipped")
    again = write_observations(store, original, source="ftp:a.txt")
    assert (again.protected, again.revised, again.unchanged) == (1, 0, 1)
    assert read_series(store, sid).value.tolist() == [95.0, 20.0]
    other = write_observations(store, [ObservationRow(sid, T0, 951.0, 0)], source="mqtt:x")
    assert other.protected == 1 and read_series(store, sid).value.tolist()[0] == 95.0
    # A person may still change it again.
    staff = write_observations(
        store,
        [ObservationRow(sid, T0, 96.0, 0)],
        source="review:correct",
        changed_by="tran.thi.b",
        reason="second look",
    )
    assert staff.revised == 1 and read_series(store, sid).value.tolist()[0] == 96.0
