"""The raw archive and the file pipeline, on SQLite and PostgreSQL, with the real TT10 files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update

from quantrac.archive import Archive
from quantrac.pipeline.files import process_pending
from quantrac.store.db import Store
from quantrac.store.registry import StationSpec, create_station
from quantrac.store.schema import observation, raw_file, series, station, station_status

REAL = {
    "HN_BKHN_KHIKXQ_20260325000500.txt": "ambient_air",
    "HN_PHCH_NUOPCH_20260203124500.txt": "surface_water",
    "TB_CAPH_NUOSXL_20260325000000.txt": "wastewater",
    "TB_NMAM_KHIAMO_20260325000000.txt": "stack_emission",
}


def _register(store: Store, name: str) -> None:
    code = name.rsplit("_", 1)[0]
    create_station(
        store,
        StationSpec(code=code, name=code, kind="automatic", medium=REAL[name], admin_unit="01"),
    )


def _stored(store: Store, code: str) -> dict[str, tuple[float | None, int, int, int]]:
    with store.read() as conn:
        rows = conn.execute(
            select(
                series.c.parameter_code,
                observation.c.value,
                observation.c.time,
                observation.c.device_status,
                observation.c.qc_flag,
            )
            .join(series, series.c.id == observation.c.series_id)
            .join(station, station.c.id == series.c.station_id)
            .where(station.c.code == code)
        ).all()
    return {p: (v, t, s, f) for p, v, t, s, f in rows}


@pytest.fixture
def archive(store: Store, tmp_path: Path) -> Archive:
    return Archive(store, tmp_path / "archive")


def test_real_files_are_stored_with_the_right_parameter_unit_time_and_status(
    store: Store, archive: Archive, tt10_dir: Path
) -> None:
    for name in REAL:
        _register(store, name)
        archive.receive((tt10_dir / name).read_bytes(), name, source="test")
    outcomes = process_pending(store, archive)
    assert [o.state for o in outcomes] == ["parsed"] * 4
    assert [o.stored for o in outcomes] == [26, 7, 7, 5]

    air = _stored(store, "HN_BKHN_KHIKXQ")
    t = int(datetime(2026, 3, 24, 17, 5, tzinfo=UTC).timestamp())  # 00:05 local, UTC+7
    assert air["PM25"] == (27.81, t, 0, 1)  # in range, status 00 → good
    assert air["CO"][0] == pytest.approx(3087.03) and air["CO"][2:] == (2, 4)  # device error
    assert air["O3"][2:] == (1, 4)  # calibrating is never good
    assert air["SOLAR_RAD"][0] == pytest.approx(-1.6)
    assert {"XYLENE_MP", "XYLENE_O", "VINYL_CHLORIDE", "BENZENE"} <= set(air)

    water = _stored(store, "HN_PHCH_NUOPCH")
    assert water["PH"][0] == pytest.approx(8.81)  # empty unit field = canonical
    assert water["EC"][0] == pytest.approx(329.0) and water["NO3N"][0] == pytest.approx(253.0)

    waste = _stored(store, "TB_CAPH_NUOSXL")
    assert waste["NH4"][0] == pytest.approx(2.3308) and waste["FLOW_IN"][0] == pytest.approx(0.5833)
    stack = _stored(store, "TB_NMAM_KHIAMO")
    assert set(stack) == {"TEMP", "FLOW_GAS", "PRESS", "NH3", "DUST"}
    with store.read() as conn:
        status = conn.execute(select(station_status)).mappings().all()
    assert len(status) == 4 and all(s["online"] for s in status)


def test_hg_in_ng_per_m3_is_converted_to_the_canonical_unit(
    store: Store, archive: Archive, tt10_dir: Path
) -> None:
    name = "HN_BKHN_KHIKXQ_20260325000500.txt"
    _register(store, name)
    archive.receive((tt10_dir / name).read_bytes(), name, source="test")
    process_pending(store, archive)
    with store.read() as conn:
        unit = conn.scalar(select(series.c.unit).where(series.c.parameter_code == "HG_VAP"))
    value = _stored(store, "HN_BKHN_KHIKXQ")["HG_VAP"][0]
    assert unit == "µg/Nm3" and value == pytest.approx(0.02e-3)


def test_the_same_file_twice_is_stored_and_counted_once(
    store: Store, archive: Archive, tt10_dir: Path
) -> None:
    name = "TB_CAPH_NUOSXL_20260325000000.txt"
    data = (tt10_dir / name).read_bytes()
    first = archive.receive(data, name, source="ftp")
    again = archive.receive(data, name, source="ftp")
    other_name = archive.receive(data, "TB_OTHER_NUOSXL_20260325000000.txt", source="ftp")
    assert not first.duplicate and again.duplicate and again.raw_file_id == first.raw_file_id
    assert not other_name.duplicate  # same bytes from another station are not a duplicate
    assert sum(archive.counts().values()) == 2
    assert len(list((archive.root).rglob("*"))) == len(set((archive.root).rglob("*")))


def test_unregistered_station_is_quarantined_then_replayed(
    store: Store, archive: Archive, tt10_dir: Path
) -> None:
    name = "TB_CAPH_NUOSXL_20260325000000.txt"
    archive.receive((tt10_dir / name).read_bytes(), name, source="ftp")
    (outcome,) = process_pending(store, archive)
    assert outcome.state == "quarantined" and outcome.field == "station"
    assert "not registered" in outcome.reason
    assert archive.get(outcome.raw_file_id)["error"] == outcome.reason
    _register(store, name)
    assert archive.requeue() == 1
    (outcome,) = process_pending(store, archive)
    assert outcome.state == "parsed" and outcome.stored == 7


def test_a_bad_line_is_reported_and_the_other_lines_are_stored(
    store: Store, archive: Archive
) -> None:
    create_station(
        store, StationSpec(code="HN_X_NUOC", name="x", kind="automatic", medium="wastewater")
    )
    body = (
        b"COD\t45.2\tmg/L\t20260101120000\t00\r\n"
        b"TSS\tabc\tmg/L\t20260101120000\t00\r\n"
        b"Unobtainium\t1\tmg/L\t20260101120000\t00\r\n"
        b"pH\t7.1\t\t20260101120000\t00\r\n"
    )
    archive.receive(body, "HN_X_NUOC_20260101120000.txt", source="ftp")
    (outcome,) = process_pending(store, archive)
    assert outcome.state == "parsed" and outcome.stored == 2
    joined = "\n".join(outcome.problems)
    assert "line 2, field value" in joined and "line 3, field parameter" in joined
    assert "Unobtainium" in archive.get(outcome.raw_file_id)["error"]


@pytest.mark.parametrize(
    ("body", "name", "field"),
    [
        (b"\x00\x01garbage", "HN_X_NUOC_20260101120000.txt", None),
        (b"COD\t1\tmg/L\t20260101120000\t00\r\n", "not-a-tt10-name.txt", "filename"),
    ],
)
def test_unusable_files_are_quarantined_with_the_reason(
    store: Store, archive: Archive, body: bytes, name: str, field: str | None
) -> None:
    create_station(
        store, StationSpec(code="HN_X_NUOC", name="x", kind="automatic", medium="wastewater")
    )
    archive.receive(body, name, source="ftp")
    (outcome,) = process_pending(store, archive)
    assert outcome.state == "quarantined" and outcome.reason
    if field:
        assert outcome.field == field


def test_reprocessing_after_a_crash_loses_and_doubles_nothing(
    store: Store, archive: Archive, tt10_dir: Path
) -> None:
    name = "HN_BKHN_KHIKXQ_20260325000500.txt"
    _register(store, name)
    received = archive.receive((tt10_dir / name).read_bytes(), name, source="ftp")
    process_pending(store, archive)
    # As if the process died after storing but before marking the file processed:
    with store.write() as conn:
        conn.execute(
            update(raw_file).where(raw_file.c.id == received.raw_file_id).values(state="received")
        )
    (outcome,) = process_pending(store, archive)
    assert (outcome.state, outcome.stored, outcome.unchanged) == ("parsed", 0, 26)
    assert len(_stored(store, "HN_BKHN_KHIKXQ")) == 26


def test_verify_detects_altered_bytes_rows_and_deletions(
    store: Store, archive: Archive, tt10_dir: Path
) -> None:
    ids = [archive.receive((tt10_dir / n).read_bytes(), n, source="ftp").raw_file_id for n in REAL]
    assert archive.verify().ok and archive.verify().checked == 4
    row = archive.get(ids[1])
    path = archive.root / row["path"]
    original = path.read_bytes()
    path.write_bytes(original.replace(b"7.00", b"9.00"))
    assert [i for i, _ in archive.verify().problems] == [ids[1]]
    path.write_bytes(original)
    with store.write() as conn:
        conn.execute(update(raw_file).where(raw_file.c.id == ids[2]).values(name="x.txt"))
    assert [i for i, _ in archive.verify().problems] == [ids[2]]
    with store.write() as conn:
        conn.execute(update(raw_file).where(raw_file.c.id == ids[2]).values(name=list(REAL)[2]))
        conn.execute(raw_file.delete().where(raw_file.c.id == ids[1]))
    problems = archive.verify().problems
    assert problems and problems[0][0] == ids[2] and "link broken" in problems[0][1]
