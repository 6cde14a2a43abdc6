"""XLSX templates: QCVN parameter columns, hints, an example row — and the codec reads them."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from quantrac.catalog import get_catalog
from quantrac.codecs.sheet import read_sheet
from quantrac.errors import ValidationError
from quantrac.periodic.model import StationInfo
from quantrac.periodic.standardize import standardize
from quantrac.periodic.templates import (
    DATA_SHEET,
    NOTES_SHEET,
    template_parameters,
    template_regulations,
    write_template,
)

MEDIA = ["surface_water", "groundwater", "seawater", "rain", "soil", "ambient_air", "wastewater",
         "stack_emission"]  # fmt: skip


@pytest.mark.parametrize("medium", MEDIA)
def test_the_codec_reads_the_template_back(medium: str, tmp_path: Path) -> None:
    path = write_template(medium, tmp_path / f"{medium}.xlsx")
    read = read_sheet(path.read_bytes(), path.name)
    assert read.problems == ()
    assert read.layout == "wide"
    expected = template_parameters(medium)
    with_example = [p.code for p in expected if p.example is not None] or [expected[0].code]
    assert read.sample_count == 1
    station = StationInfo(1, "VD-01", "Điểm ví dụ", medium)
    results, issues = standardize(read, {"VD-01": station})
    assert issues == []
    assert [r.parameter_code for r in results] == with_example
    catalog = get_catalog()
    columns = [c for c in read.columns if c.role == "parameter"]
    assert [c.header for c in columns] == [p.header for p in expected]
    for column, wanted in zip(columns, expected, strict=True):  # every header reads back
        assert catalog.parameter(column.parameter or "", medium).code == wanted.code
    first = read.records[0]
    assert (first.sample_code, first.campaign, first.lab) == ("M01", "2025-D1", "PTN ví dụ")
    assert first.time_given and first.sampled_at.isoformat() == "2025-03-15T08:30:00"


def test_surface_water_columns_follow_qcvn_08_2023(tmp_path: Path) -> None:
    headers = [p.header for p in template_parameters("nước mặt")]
    assert "Nhu cầu oxy hóa học (mg/L)" in headers
    assert "Tổng Coliform (MPN/100mL)" in headers
    assert "pH" in headers
    assert [r.code for r in template_regulations(get_catalog(), "surface_water")] == [
        "QCVN 08:2023/BTNMT"  # QCVN 08-MT:2015 is replaced by a regulation with limits
    ]


def test_wastewater_keeps_qcvn_40_2011_while_2025_has_no_limits() -> None:
    codes = {r.code for r in template_regulations(get_catalog(), "wastewater")}
    assert codes == {"QCVN 40:2011/BTNMT", "QCVN 14:2008/BTNMT"}


def test_detection_limit_examples_and_hints(tmp_path: Path) -> None:
    path = write_template("surface_water", tmp_path / "t.xlsx")
    book = openpyxl.load_workbook(path)
    data, notes = book[DATA_SHEET], book[NOTES_SHEET]
    assert book.sheetnames == [DATA_SHEET, NOTES_SHEET]
    header = [c.value for c in data[1]]
    example = dict(zip(header, (c.value for c in data[2]), strict=True))
    assert example["Thủy ngân (mg/L)"] == "<0,0001"
    kinds = {v.type for v in data.data_validations.dataValidation}
    assert {"date", "time", None} <= kinds
    cod = data.cell(row=1, column=header.index("Nhu cầu oxy hóa học (mg/L)") + 1)
    assert cod.comment is not None and "Bảng 2 level A: ≤ 10" in cod.comment.text
    text = " ".join(str(c.value) for row in notes.iter_rows() for c in row if c.value)
    assert "'<0,05'" in text and "KPH" in text


def test_soil_and_groundwater_have_depth_and_layer(tmp_path: Path) -> None:
    for medium in ("soil", "groundwater"):
        path = write_template(medium, tmp_path / f"{medium}.xlsx")
        header = [c.value for c in openpyxl.load_workbook(path)[DATA_SHEET][1]]
        assert {"Độ sâu (m)", "Tầng"} <= set(header)
    assert {p.unit for p in template_parameters("soil")} == {"mg/kg", "-"}


def test_a_medium_without_parameters_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        write_template("sediment", tmp_path / "x.xlsx")
