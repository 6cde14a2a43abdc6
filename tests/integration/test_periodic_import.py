"""Importing lab results into the store, on SQLite and PostgreSQL (the `store` fixture).

The real Mekong Delta file (../shared, not redistributable) and small files built here for each
variant and each broken case of issue 4.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import typer
from sqlalchemy import func, insert, select
from typer.testing import CliRunner

from quantrac.cli import import_cmd
from quantrac.codecs.sheet import SheetReadResult, read_sheet
from quantrac.errors import ValidationError
from quantrac.periodic import ImportReport, import_sheet, list_results
from quantrac.store.db import Store
from quantrac.store.registry import StationSpec, create_station
from quantrac.store.schema import audit_log, campaign, raw_file, sample, sample_result

MEKONG = "data/water/mekong-delta-irrigation/mekong_delta_irrigation_wq_2015-2022.csv"
QCVN08 = "QCVN 08:2023/BTNMT"
TABLES = (campaign, sample, sample_result, audit_log)


def register_from_sheet(
    store: Store, read: SheetReadResult, *, column: str = "river-B", medium: str = "surface_water"
) -> int:
    """Periodic stations for the sheet's distinct codes, at the coordinates the sheet gives."""
    first: dict[str, tuple[float | None, float | None]] = {}
    for r in read.records:
        first.setdefault(r.station_code, (r.latitude, r.longitude))
    with store.write() as conn:
        for code, (lat, lon) in first.items():
            spec = StationSpec(
                code=code, name=code, kind="periodic", medium=medium, latitude=lat,
                longitude=lon, regulation=QCVN08, regulation_column=column,
            )  # fmt: skip
            create_station(store, spec, conn=conn)
    return len(first)


def snapshot(store: Store) -> dict[str, int]:
    with store.read() as conn:
        return {t.name: conn.scalar(select(func.count()).select_from(t)) or 0 for t in TABLES}


def run(store: Store, text: str, name: str = "kq.csv", **options: object) -> ImportReport:
    return import_sheet(store, text.encode("utf-8"), name, **options)  # type: ignore[arg-type]


@pytest.fixture
def sg(store: Store) -> Store:
    """Two registered surface-water stations under QCVN 08:2023 level B."""
    read = read_sheet(b"Ma tram,Ngay,COD\nSG-01,1/1/2025,1\nSG-02,1/1/2025,1\n", "s.csv")
    register_from_sheet(store, read)
    return store


# --- the real file -------------------------------------------------------------------------------


def test_mekong_file_imports_and_reimports_without_change(store: Store, shared_dir: Path) -> None:
    path = shared_dir / MEKONG
    data = path.read_bytes()
    assert register_from_sheet(store, read_sheet(data, path.name)) == 353
    report = import_sheet(store, data, path.name, mode="accept-valid", campaign="MEKONG-2015-22")
    c = report.counts
    assert report.written
    # 2,696 rows less two duplicate pairs; Heptachlor and Heptachlorepoxide are not in the
    # catalogue (it only has their sum), so 23 of the 25 parameter columns are stored.
    assert (c.samples_new, c.results_new) == (2692, 61878)
    unknown = {(i.column, i.value) for i in report.errors if i.scope == "cell"}
    assert unknown == {("K", "Heptachlor"), ("L", "Heptachlorepoxide")}
    duplicates = sorted(i.rows for i in report.errors if i.scope == "row")
    assert duplicates == [(514, 518), (1479, 1490)]
    assert 514 in report.rejected_rows and 518 in report.rejected_rows
    first_row = {e.parameter_code for e in report.exceedances if e.row == 2}
    # Row 2: nitrite 0.18 mg/L and As 0.021 mg/L (Bảng 1), TOC 17.9 mg/L and pH 8.88 (level B).
    assert {"NO2N", "AS", "TOC", "PH"} <= first_row
    stored = snapshot(store)
    assert (stored["sample"], stored["sample_result"], stored["campaign"]) == (2692, 61878, 1)
    with store.read() as conn:
        period = conn.execute(select(campaign.c.period_start, campaign.c.period_end)).one()
    assert tuple(period) == (date(2015, 7, 13), date(2022, 6, 17))

    again = import_sheet(store, data, path.name, mode="accept-valid", campaign="MEKONG-2015-22")
    assert not again.counts.changed
    assert (again.counts.samples_unchanged, again.counts.results_unchanged) == (2692, 61878)
    assert snapshot(store) == stored


# --- detection limits ----------------------------------------------------------------------------


def test_values_below_detection_limit_survive_the_round_trip(sg: Store) -> None:
    csv = (
        "Mã trạm;Ngày lấy mẫu;Giờ;As (µg/L);Hg (mg/L);Cd (mg/L);Coliform (MPN/100mL);COD\n"
        "SG-01;15/03/2025;08:30;<5;KPH;KPH (<0,0005);>2400;0\n"
    )
    report = run(sg, csv)
    assert report.errors == () and report.written
    rows = {r["parameter_code"]: r for r in list_results(sg, station_code="SG-01")}
    got = {
        k: (r["value"], r["qualifier"], r["detection_limit"], r["unit"]) for k, r in rows.items()
    }
    assert got == {
        "AS": (0.005, "<", 0.005, "mg/L"),  # converted from µg/L, limit too
        "HG": (None, "ND", None, "mg/L"),
        "CD": (None, "ND", 0.0005, "mg/L"),
        "COLIFORM": (2400.0, ">", None, "MPN/100mL"),
        "COD": (0.0, None, None, "mg/L"),  # a written 0 stays a measured 0
    }
    assert rows["AS"]["sampled_at"] == int(datetime(2025, 3, 15, 1, 30, tzinfo=UTC).timestamp())


# --- modes ---------------------------------------------------------------------------------------

ONE_BAD_ROW = (
    "Mã trạm,Ngày lấy mẫu,COD,BOD5\n"
    "SG-01,15/03/2025,10,4\n"
    "SG-02,15/03/2025,abc,5\n"
    "SG-01,16/03/2025,12,6\n"
)


def test_strict_writes_nothing_when_a_row_is_bad(sg: Store) -> None:
    before = snapshot(sg)
    report = run(sg, ONE_BAD_ROW, campaign="D1")
    assert not report.written
    assert report.outcome == "chế độ nghiêm ngặt: có 1 lỗi nên không ghi dữ liệu nào"
    assert snapshot(sg) == before


def test_dry_run_reports_what_would_be_written(sg: Store) -> None:
    before = snapshot(sg)
    report = run(sg, ONE_BAD_ROW, mode="dry-run", campaign="D1")
    assert not report.written
    assert (report.counts.samples_new, report.counts.results_new) == (2, 4)
    assert report.counts.campaigns_new == 1
    assert snapshot(sg) == before


def test_accept_valid_stores_the_good_rows(sg: Store) -> None:
    report = run(sg, ONE_BAD_ROW, mode="accept-valid", campaign="D1")
    assert report.written
    assert report.rejected_rows == (3,)
    assert (report.counts.samples_new, report.counts.results_new) == (2, 4)
    assert {r["station_code"] for r in list_results(sg)} == {"SG-01"}
    fixed = ONE_BAD_ROW.replace("abc", "11")
    again = run(sg, fixed, mode="strict", campaign="D1")
    assert (again.counts.samples_new, again.counts.results_new) == (1, 2)
    assert again.counts.results_unchanged == 4


# --- broken files --------------------------------------------------------------------------------

HEAD = "Mã trạm,Ngày lấy mẫu,COD,BOD5\n"


@pytest.mark.parametrize(
    ("case", "body", "rows", "message", "suggestion"),
    [
        ("wrong unit", "Mã trạm,Ngày lấy mẫu,COD,Coliform (mg/L)\nSG-01,15/03/2025,10,4\n",
         (2,), "đơn vị 'mg/L' không dùng được cho COLIFORM", "MPN/100mL"),
        ("unknown station", HEAD + "SG-01,15/03/2025,10,4\nSG-1,15/03/2025,10,4\n",
         (3,), "mã trạm 'SG-1' chưa có trong danh mục trạm", "SG-01"),
        ("merged cell saved as CSV", HEAD + "SG-01,15/03/2025,10,4\n,16/03/2025,11,5\n",
         (3,), "no station code", "merged cell"),
        ("text in a number cell", HEAD + "SG-01,15/03/2025,10,4\nSG-02,15/03/2025,1O,5\n",
         (3,), "text in a result cell", "did you mean 10?"),
        ("duplicate samples", HEAD + "SG-01,15/03/2025,10,4\nSG-01,15/03/2025,11,4\n",
         (2, 3), "dòng 2 và 3 là cùng một mẫu", "mã mẫu"),
        ("bad date", HEAD + "SG-01,15/03/2025,10,4\nSG-02,31/02/2025,11,5\n",
         (3,), "is not a valid date", "dd/mm/yyyy"),
    ],
)  # fmt: skip
def test_broken_files_get_the_right_message_and_strict_writes_nothing(
    sg: Store, case: str, body: str, rows: tuple[int, ...], message: str, suggestion: str
) -> None:
    before = snapshot(sg)
    report = run(sg, body)
    (error,) = report.errors
    assert error.rows == rows, case
    assert message in error.message, case
    assert error.suggestion is not None and suggestion in error.suggestion, case
    assert not report.written
    assert snapshot(sg) == before


def test_empty_rows_are_no_problem(sg: Store) -> None:
    report = run(sg, HEAD + "\n,,,\nSG-01,15/03/2025,10,4\n\n\nSG-02,15/03/2025,11,5\n;;\n")
    assert report.errors == ()
    assert report.counts.samples_new == 2


def test_sheet_without_station_column(sg: Store) -> None:
    report = run(sg, "Ngày lấy mẫu,COD\n15/03/2025,10\n16/03/2025,11\n", station="SG-02")
    assert report.counts.samples_new == 2
    assert {r["station_code"] for r in list_results(sg)} == {"SG-02"}


# --- corrections ---------------------------------------------------------------------------------


def test_a_corrected_file_updates_values_and_keeps_revisions(sg: Store) -> None:
    first = HEAD + "SG-01,15/03/2025,10,4\nSG-02,15/03/2025,11,5\n"
    run(sg, first, name="dot1.csv", campaign="D1")
    corrected = (
        "Mã trạm,Ngày lấy mẫu,COD,BOD5,DO\nSG-01,15/03/2025,10,<2,6\nSG-02,15/03/2025,11,5,\n"
    )
    report = run(sg, corrected, name="dot1_sua.csv", campaign="D1")
    c = report.counts
    assert (c.results_updated, c.results_new, c.results_unchanged, c.samples_new) == (1, 1, 3, 0)
    with sg.read() as conn:
        revisions = conn.execute(
            select(audit_log.c.actor, audit_log.c.target, audit_log.c.details).where(
                audit_log.c.action == "sample_result.revise"
            )
        ).all()
    (revision,) = revisions
    details = json.loads(revision.details)
    assert details["parameter"] == "BOD5"
    assert details["file"] == "dot1_sua.csv"
    assert (details["old"]["value"], details["old"]["qualifier"]) == (4.0, None)
    assert (details["new"]["value"], details["new"]["qualifier"]) == (2.0, "<")
    assert revision.actor == "import"
    bod = [r for r in list_results(sg, station_code="SG-01") if r["parameter_code"] == "BOD5"]
    assert (bod[0]["value"], bod[0]["qualifier"], bod[0]["detection_limit"]) == (2.0, "<", 2.0)
    before = snapshot(sg)
    assert not run(sg, corrected, name="dot1_sua.csv", campaign="D1").counts.changed
    assert snapshot(sg) == before


# --- campaigns, raw files, compliance ------------------------------------------------------------


def test_campaign_period_grows_with_each_file(sg: Store) -> None:
    run(sg, HEAD + "SG-01,15/03/2025,10,4\n", campaign="2025-D1", campaign_name="Đợt 1/2025")
    run(sg, HEAD + "SG-02,02/04/2025,10,4\n", campaign="2025-D1")
    with sg.read() as conn:
        row = conn.execute(select(campaign)).mappings().one()
    assert (row["code"], row["name"], row["medium"]) == ("2025-D1", "Đợt 1/2025", "surface_water")
    assert (row["period_start"], row["period_end"]) == (date(2025, 3, 15), date(2025, 4, 2))


def test_campaign_column_names_each_samples_campaign(sg: Store) -> None:
    csv = "Mã trạm,Đợt quan trắc,Ngày lấy mẫu,COD\nSG-01,D1,15/03/2025,1\nSG-01,D2,15/06/2025,2\n"
    report = run(sg, csv)
    assert report.campaigns == ("D1", "D2")
    assert [r["campaign_code"] for r in list_results(sg)] == ["D1", "D2"]


def test_samples_link_to_their_raw_file(sg: Store) -> None:
    with sg.write() as conn:
        raw_id = conn.execute(
            insert(raw_file).values(
                name="kq.csv",
                source="upload",
                sha256="0" * 64,
                prev_hash="0" * 64,
                chain_hash="1" * 64,
                size=10,
                path="x",
                received_at=0,
                state="parsed",
            )
        ).inserted_primary_key[0]
    run(sg, HEAD + "SG-01,15/03/2025,10,4\n", raw_file_id=raw_id)
    assert {r["raw_file_id"] for r in list_results(sg)} == {raw_id}


def test_exceedances_against_the_station_level(sg: Store) -> None:
    report = run(sg, "Mã trạm,Ngày lấy mẫu,COD,DO,pH\nSG-01,15/03/2025,16,4.5,7\n")
    found = {(e.parameter_code, e.direction, e.limit) for e in report.exceedances}
    assert found == {("COD", "above_maximum", 15.0), ("DO", "below_minimum", 5.0)}


def test_soil_samples_at_two_depths(store: Store) -> None:
    csv = (
        "Mã điểm,Ngày lấy mẫu,Độ sâu (m),Asen (mg/kg),pH\n"
        "DAT-01,15/03/2025,0.2,4.1,6.5\nDAT-01,15/03/2025,0.5,3.2,6.8\n"
    )
    register_from_sheet(store, read_sheet(csv.encode(), "d.csv"), column=None, medium="soil")
    report = run(store, csv)
    assert report.errors == ()
    stored = list_results(store)
    assert {(r["sample_code"], r["depth_m"], r["unit"]) for r in stored} == {
        ("@0.2", 0.2, "mg/kg"), ("@0.5", 0.5, "mg/kg"), ("@0.2", 0.2, "-"), ("@0.5", 0.5, "-"),
    }  # fmt: skip


# --- the command line ----------------------------------------------------------------------------


@pytest.fixture
def cli(store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> typer.Typer:
    from quantrac.settings import get_settings

    monkeypatch.setenv("QUANTRAC_DATABASE_URL", store.url)
    monkeypatch.setenv("QUANTRAC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("QUANTRAC_LANGUAGE", "vi")
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    app = typer.Typer()
    app.command("import")(import_cmd.import_file)
    app.command("template")(import_cmd.template)
    yield app
    get_settings.cache_clear()


def test_cli_import_prints_a_vietnamese_report(sg: Store, cli: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "kq.csv"
    path.write_text(ONE_BAD_ROW, encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(path), "--accept-valid", "--campaign", "D1"])
    assert result.exit_code == 0, result.output
    for text in ("Báo cáo nhập dữ liệu", "vấn đề", "gợi ý", "text in a result cell", "D1"):
        assert text in result.output
    refused = CliRunner().invoke(cli, ["import", str(path), "--strict"])
    assert isinstance(refused.exception, ValidationError)  # quantrac.cli.main: exit code 2
    assert "nghiêm ngặt" in str(refused.exception)
    assert "Báo cáo nhập dữ liệu" in refused.output
    both = CliRunner().invoke(cli, ["import", str(path), "--strict", "--dry-run"])
    assert isinstance(both.exception, ValidationError)


def test_cli_import_archives_the_file_before_reading_it(
    sg: Store, cli: typer.Typer, tmp_path: Path
) -> None:
    from quantrac.archive import Archive

    good, broken = tmp_path / "kq.csv", tmp_path / "hong.xlsx"
    good.write_text(ONE_BAD_ROW, encoding="utf-8")
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    assert CliRunner().invoke(cli, ["import", str(good), "--accept-valid"]).exit_code == 0
    failed = CliRunner().invoke(cli, ["import", str(broken)])
    assert failed.exit_code != 0
    archive = Archive(sg, tmp_path / "data" / "archive")
    rows = {r["name"]: r for r in archive.listing(limit=10)}
    assert rows["kq.csv"]["state"] == "parsed" and rows["kq.csv"]["source"] == "cli"
    assert archive.read_bytes(rows["kq.csv"]) == good.read_bytes()
    assert rows["hong.xlsx"]["state"] == "quarantined" and rows["hong.xlsx"]["error"]
    assert archive.pending() == []  # held out of the TT10 ingest queue
    with sg.read() as conn:
        linked = conn.scalar(select(func.count()).select_from(sample).where(
            sample.c.raw_file_id == rows["kq.csv"]["id"]))
    assert linked and linked > 0


def test_cli_template_then_import_it(sg: Store, cli: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "mau.xlsx"
    result = CliRunner().invoke(cli, ["template", "nước mặt", "--out", str(out)])
    assert result.exit_code == 0, result.output
    dry = CliRunner().invoke(cli, ["import", str(out), "--dry-run"])
    assert isinstance(dry.exception, ValidationError)  # the example row's station is unknown
    assert "VD-01" in dry.output
