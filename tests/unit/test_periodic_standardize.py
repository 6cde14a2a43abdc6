"""Standardizing lab results: stations, parameters by medium, units, local time → UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from quantrac.codecs.sheet import read_sheet
from quantrac.periodic.model import StationInfo
from quantrac.periodic.standardize import standardize

STATIONS = {
    s.code: s
    for s in (
        StationInfo(1, "SG-01", "Sông Sài Gòn - Phú Cường", "surface_water"),
        StationInfo(2, "SG-02", "Sông Sài Gòn - Bình Phước", "surface_water"),
        StationInfo(3, "GW-01", "Giếng quan trắc 1", "groundwater"),
        StationInfo(4, "DAT-01", "Đất nông nghiệp 1", "soil"),
        StationInfo(5, "OLD-01", "Trạm cũ", "surface_water", retired_at=1_600_000_000),
    )
}
NOW = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())


def run(csv: str, lang: str = "vi", **read_options: object):  # type: ignore[no-untyped-def]
    read = read_sheet(csv.encode("utf-8"), "kq.csv", **read_options)  # type: ignore[arg-type]
    return standardize(read, STATIONS, now=NOW, lang=lang)


def utc(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp())


def test_local_time_becomes_utc_epoch_seconds() -> None:
    results, issues = run("Mã trạm,Ngày lấy mẫu,Giờ,COD (mg/L)\nSG-01,15/03/2025,08:30,12\n")
    assert issues == []
    assert results[0].sampled_at == utc(2025, 3, 15, 1, 30)  # 08:30 at UTC+7
    assert results[0].local_day.isoformat() == "2025-03-15"


def test_date_without_time_is_local_midnight() -> None:
    results, _ = run("Mã trạm,Ngày lấy mẫu,COD (mg/L)\nSG-01,15/03/2025,12\n")
    assert results[0].sampled_at == utc(2025, 3, 14, 17, 0)


@pytest.mark.parametrize(
    ("header", "cell", "code", "value", "qualifier", "limit", "unit"),
    [
        ("COD (mg/L)", "12,5", "COD", 12.5, None, None, "mg/L"),
        ("As (µg/L)", "21", "AS", 0.021, None, None, "mg/L"),
        ("As (ug/l)", "<5", "AS", 0.005, "<", 0.005, "mg/L"),
        ("Hg (mg/L)", "KPH", "HG", None, "ND", None, "mg/L"),
        ("Hg (mg/L)", "KPH (<0,0005)", "HG", None, "ND", 0.0005, "mg/L"),
        ("Coliform (MPN/100mL)", ">2400", "COLIFORM", 2400.0, ">", None, "MPN/100mL"),
        ("N-NH4+ (mg/L)", "0,3", "NH4", 0.3, None, None, "mg/L"),
        ("pH", "7,2", "PH", 7.2, None, None, "-"),
        ("Nhu cầu oxy hóa học (mg/L)", "8", "COD", 8.0, None, None, "mg/L"),
    ],
)
def test_parameter_unit_and_detection_limit(
    header: str,
    cell: str,
    code: str,
    value: float | None,
    qualifier: str | None,
    limit: float | None,
    unit: str,
) -> None:
    results, issues = run(f'Mã trạm;Ngày lấy mẫu;{header}\nSG-01;15/03/2025;"{cell}"\n')
    assert issues == []
    (result,) = results
    assert result.parameter_code == code
    assert result.values.value == value
    assert result.values.qualifier == qualifier
    assert result.values.detection_limit == limit
    assert result.values.unit == unit


def test_unknown_station_is_one_issue_with_nearest_codes() -> None:
    csv = "Mã trạm,Ngày lấy mẫu,COD\nSG-1,15/03/2025,1\nSG-1,16/03/2025,2\nSG-01,15/03/2025,3\n"
    results, issues = run(csv)
    assert [r.row for r in results] == [4]
    (issue,) = issues
    assert issue.rows == (2, 3)
    assert issue.column == "A"
    assert issue.value == "SG-1"
    assert "chưa có trong danh mục trạm" in issue.message
    assert issue.suggestion is not None and "SG-01" in issue.suggestion


def test_unknown_station_suggests_the_station_with_the_same_name() -> None:
    csv = "Mã trạm,Tên điểm,Ngày lấy mẫu,COD\nX9,Sông Sài Gòn - Bình Phước,15/03/2025,1\n"
    _, (issue,) = run(csv)
    assert issue.suggestion is not None
    assert issue.suggestion.split(": ")[1].startswith("SG-02")


def test_unknown_parameter_is_reported_once_per_column() -> None:
    csv = "Mã trạm,Ngày lấy mẫu,COD,Heptachlor\nSG-01,15/03/2025,1,2\nSG-01,16/03/2025,1,2\n"
    results, (issue,) = run(csv)
    assert [r.parameter_code for r in results] == ["COD", "COD"]
    where = (issue.column, issue.scope, issue.rows, issue.value)
    assert where == ("D", "cell", (2, 3), "Heptachlor")
    assert issue.suggestion is not None and "Heptachlor & Heptachlorepoxide" in issue.suggestion


def test_a_unit_of_another_dimension_is_a_wrong_unit() -> None:
    _, (issue,) = run("Mã trạm,Ngày lấy mẫu,Coliform (mg/L)\nSG-01,15/03/2025,1\n")
    assert issue.message == "đơn vị 'mg/L' không dùng được cho COLIFORM (đo MPN/100mL)"
    assert issue.suggestion == "đơn vị chuẩn của COLIFORM là MPN/100mL"
    assert issue.column == "C"


def test_an_unknown_unit_suggests_the_nearest() -> None:
    _, (issue,) = run("Mã trạm,Ngày lấy mẫu,COD (mg/LL)\nSG-01,15/03/2025,1\n")
    assert "không có trong danh mục" in issue.message
    assert issue.suggestion is not None and "mg/L" in issue.suggestion


def test_english_messages() -> None:
    _, (issue,) = run("Mã trạm,Ngày lấy mẫu,Coliform (mg/L)\nSG-01,15/03/2025,1\n", lang="en")
    assert issue.message == "unit 'mg/L' cannot measure COLIFORM (stored in MPN/100mL)"


def test_a_future_sampling_date_is_an_error() -> None:
    results, (issue,) = run("Mã trạm,Ngày lấy mẫu,COD,BOD5\nSG-01,15/03/2042,1,2\n")
    assert results == []
    assert issue.rows == (2,)
    assert issue.value == "15/03/2042"


def test_retired_station_is_a_warning() -> None:
    results, (issue,) = run("Mã trạm,Ngày lấy mẫu,COD\nOLD-01,15/03/2025,1\n")
    assert len(results) == 1
    assert issue.severity == "warning"


def test_depths_without_sample_codes_become_distinct_samples() -> None:
    csv = (
        "Mã trạm,Ngày lấy mẫu,Độ sâu (m),Asen (mg/L)\n"
        'GW-01,15/03/2025,"12,5",0.01\nGW-01,15/03/2025,30,0.02\n'
    )
    results, issues = run(csv)
    assert issues == []
    assert [r.sample_code for r in results] == ["@12,5", "@30"]
    assert [r.sample.depth_m for r in results] == [12.5, 30.0]


def test_a_depth_range_is_kept_as_the_layer() -> None:
    csv = "Mã trạm,Ngày lấy mẫu,Độ sâu,Mã mẫu,pH\nDAT-01,15/03/2025,0-20 cm,D1,6.5\n"
    (result,), (issue,) = run(csv)
    assert result.sample.depth_m is None
    assert result.sample.layer == "0-20 cm"
    assert result.sample_code == "D1"
    assert issue.severity == "warning"


def test_soil_metals_are_stored_as_mass_fractions() -> None:
    (result,), issues = run("Mã trạm,Ngày lấy mẫu,Asen (mg/kg)\nDAT-01,15/03/2025,4.2\n")
    assert issues == []
    assert (result.values.value, result.values.unit) == (4.2, "mg/kg")


def test_sample_type_naming_a_medium_sets_the_matrix() -> None:
    csv = "Mã trạm,Ngày lấy mẫu,Loại mẫu,Asen (mg/kg)\nSG-01,15/03/2025,Trầm tích,4.2\n"
    (result,), issues = run(csv)
    assert issues == []
    assert result.sample.matrix == "sediment"
    assert result.values.unit == "mg/kg"


def test_a_sheet_without_station_column_uses_the_given_station() -> None:
    results, issues = run("Ngày lấy mẫu,COD\n15/03/2025,1\n", station="SG-02")
    assert issues == []
    assert results[0].station.code == "SG-02"
