"""The `quantrac` command as a user runs it: a fresh data folder, real processes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest


def run(
    tmp_path: Path, *args: str, ok: bool = True, lang: str = "vi"
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "QUANTRAC_DATA_DIR": str(tmp_path / "data"),
        "QUANTRAC_LANGUAGE": lang,
        "COLUMNS": "200",
    }
    env.pop("QUANTRAC_DATABASE_URL", None)
    proc = subprocess.run(
        [sys.executable, "-m", "quantrac", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    if ok:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_init_creates_the_database_in_the_data_folder(tmp_path: Path) -> None:
    out = run(tmp_path, "init").stdout
    assert "Cơ sở dữ liệu đã sẵn sàng" in out
    assert (tmp_path / "data" / "quantrac.db").exists()


def test_station_lifecycle(tmp_path: Path) -> None:
    run(
        tmp_path,
        "orgs",
        "add",
        "CAPH",
        "Công ty CAPH",
        "--kind",
        "enterprise",
        "--province",
        "Thái Bình",
    )
    run(
        tmp_path,
        "stations",
        "add",
        "TB_CAPH_NUOSXL",
        "Nước thải CAPH",
        "--kind",
        "automatic",
        "--medium",
        "nước thải",
        "--province",
        "34-2008",
        "--owner",
        "CAPH",
        "--regulation",
        "QCVN 40:2011/BTNMT",
        "--column",
        "B",
        "--kq",
        "0.9",
    )
    listed = run(tmp_path, "stations", "list", "--province", "Hưng Yên").stdout
    assert "TB_CAPH_NUOSXL" in listed and "wastewater" in listed
    run(tmp_path, "stations", "update", "TB_CAPH_NUOSXL", "--set", "visibility=restricted")
    shown = run(tmp_path, "stations", "show", "TB_CAPH_NUOSXL").stdout
    assert "restricted" in shown
    run(tmp_path, "stations", "retire", "TB_CAPH_NUOSXL")
    assert "TB_CAPH_NUOSXL" not in run(tmp_path, "stations", "list").stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("stations", "show", "TB_CAPH_NUOSXX"), "Unknown station"),
        (
            ("stations", "add", "X1", "x", "--kind", "automatic", "--medium", "lava"),
            "Unknown medium 'lava'",
        ),
        (("catalog", "resolve", "CODD"), "Did you mean: COD"),
        (("catalog", "convert", "1", "mg/L", "furlong"), "Unknown unit 'furlong'"),
    ],
)
def test_bad_input_gets_a_clear_message_and_exit_code_2(
    tmp_path: Path, args: tuple[str, ...], fragment: str
) -> None:
    proc = run(tmp_path, *args, ok=False)
    assert proc.returncode == 2
    assert fragment in proc.stderr
    assert "Traceback" not in proc.stderr


def test_catalog_commands(tmp_path: Path) -> None:
    assert "PM25" in run(tmp_path, "catalog", "resolve", "PM2,5").stdout
    out = run(tmp_path, "catalog", "convert", "10", "ppb", "ug/m3", "--parameter", "SO2").stdout
    assert "26.2" in out
    assert "Danh mục hợp lệ" in run(tmp_path, "catalog", "check").stdout
    assert "The catalogue is valid" in run(tmp_path, "catalog", "check", lang="en").stdout


def test_station_import_reports_rows(tmp_path: Path) -> None:
    path = tmp_path / "tram.csv"
    path.write_text(
        "code,name,kind,medium\nA1,Trạm A,periodic,soil\nB1,Trạm B,weekly,soil\n", encoding="utf-8"
    )
    proc = run(tmp_path, "stations", "import", str(path), ok=False)
    assert proc.returncode == 2 and "kind" in proc.stdout and "Chưa ghi" in proc.stdout
    run(tmp_path, "stations", "import", str(path), "--accept-valid")
    assert "A1" in run(tmp_path, "stations", "list").stdout


def test_demo_loads_stations_and_data(tmp_path: Path) -> None:
    out = run(tmp_path, "demo", "--no-serve", "--days", "2").stdout
    assert "HN_DSQ_KK" in out and "NB_XM_KT" in out
    again = run(tmp_path, "demo", "--no-serve", "--days", "2").stdout
    # Loading twice changes nothing it loaded before. The generated window ends at "now, down
    # to 5 minutes", so a run that crosses a 5-minute boundary adds the newest step (one value
    # per generated series) and no longer regenerates the oldest: the same total, a few new
    # values at the new end only (a step is 1/576 of two days), no revisions.
    first, second = (_demo_counts(text) for text in (out, again))
    assert second["sửa"] == 0
    assert second["total"] == first["total"]
    assert second["mới"] * 100 <= first["total"], again
    assert second["mới"] + second["trùng"] == first["total"]


def _demo_counts(text: str) -> dict[str, int]:
    """The counts of `quantrac demo`'s summary line (total, new, revised, duplicates)."""
    found = re.search(
        r"([\d,]+) giá trị quan trắc \(mới ([\d,]+), sửa ([\d,]+), trùng ([\d,]+)\)", text
    )
    assert found, text
    total, new, revised, same = (int(g.replace(",", "")) for g in found.groups())
    return {"total": total, "mới": new, "sửa": revised, "trùng": same}


def test_organization_update_and_series_lifecycle(tmp_path: Path) -> None:
    run(tmp_path, "orgs", "add", "CAPH", "Công ty CAPH", "--kind", "enterprise")
    run(
        tmp_path,
        "orgs",
        "update",
        "CAPH",
        "--set",
        "name=Công ty CP CAPH",
        "--set",
        "province=Hưng Yên",
    )
    assert "Công ty CP CAPH" in run(tmp_path, "orgs", "list").stdout
    run(
        tmp_path,
        "stations",
        "add",
        "HN_A_KK",
        "Trạm A",
        "--kind",
        "automatic",
        "--medium",
        "ambient_air",
    )
    out = run(tmp_path, "series", "add", "HN_A_KK", "PM2,5").stdout
    assert "HN_A_KK × PM25" in out
    listed = run(tmp_path, "series", "list", "--station", "HN_A_KK").stdout
    assert "PM25" in listed and "µg/Nm3" in listed
    run(tmp_path, "series", "retire", "1")
    assert "PM25" not in run(tmp_path, "series", "list").stdout
    assert "PM25" in run(tmp_path, "series", "list", "--retired").stdout
    run(tmp_path, "series", "restore", "1")
    assert "PM25" in run(tmp_path, "series", "list").stdout


def test_a_province_can_add_its_own_parameter(tmp_path: Path) -> None:
    run(
        tmp_path,
        "catalog",
        "add-parameter",
        "CHLB",
        "--name-vi",
        "Chlorophyll b",
        "--name-en",
        "Chlorophyll-b",
        "--unit",
        "ug/l",
        "--media",
        "surface_water",
        "--aliases",
        "Chl-b|Chlorophyll b",
    )
    assert "CHLB" in run(tmp_path, "catalog", "resolve", "chl b").stdout
    assert (tmp_path / "data" / "catalog" / "parameters_local.csv").exists()
    bad = run(
        tmp_path,
        "catalog",
        "add-parameter",
        "XX",
        "--name-vi",
        "x",
        "--name-en",
        "x",
        "--unit",
        "furlong",
        "--media",
        "soil",
        ok=False,
    )
    assert bad.returncode == 2 and "parameters_local.csv:3" in bad.stderr
    run(tmp_path, "catalog", "remove-parameter", "CHLB")
    assert run(tmp_path, "catalog", "resolve", "chl b", ok=False).returncode == 2
