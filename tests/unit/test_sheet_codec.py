"""The sheet codec: lab results from CSV and XLSX, read as a province's lab would write them."""

from __future__ import annotations

import io
import math
import time as clock
import unicodedata
from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantrac.codecs.sheet import SheetReadResult, SheetResult, read_sheet
from quantrac.codecs.sheet_grid import sniff_delimiter
from quantrac.codecs.sheet_headers import role_of, split_unit
from quantrac.codecs.sheet_values import (
    CellValue,
    parse_value,
    parse_when,
    resolve_ambiguous,
)
from quantrac.errors import CodecError

MEKONG = "data/water/mekong-delta-irrigation/mekong_delta_irrigation_wq_2015-2022.csv"


def read_csv(text: str, **options: object) -> SheetReadResult:
    return read_sheet(text.encode("utf-8"), "results.csv", **options)  # type: ignore[arg-type]


def xlsx(rows: list[list[object]], merges: tuple[str, ...] = (), title: str = "Sheet1") -> bytes:
    """A workbook built in memory, so the tests need no binary fixtures."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for ref in merges:
        sheet.merge_cells(ref)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def only(result: SheetReadResult, **match: object) -> SheetResult:
    found = [r for r in result.records if all(getattr(r, k) == v for k, v in match.items())]
    assert len(found) == 1, found
    return found[0]


def cp1258(text: str) -> bytes:
    """Encode like Windows Vietnamese: base letters precomposed, tone marks combining."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            base = unicodedata.normalize("NFC", "".join(p for p in parts if p not in tones))
            out += (base + "".join(p for p in parts if p in tones)).encode("cp1258")
    return bytes(out)


# --- the real Mekong Delta file --------------------------------------------------------------


@pytest.fixture(scope="module")
def mekong(shared_dir: Path) -> SheetReadResult:
    path = shared_dir / MEKONG
    return read_sheet(path.read_bytes(), path.name)


def test_mekong_counts(mekong: SheetReadResult) -> None:
    assert mekong.layout == "wide"
    assert mekong.header_row == 1
    assert mekong.sample_count == 2696
    assert len(mekong.records) == 2696 * 25 - 38  # 38 empty cells (N_NH4 18, N_NO3 20)
    assert mekong.encoding == "utf-8-sig"
    assert mekong.delimiter == ","


def test_mekong_bom_does_not_stick_to_first_header(mekong: SheetReadResult) -> None:
    first = mekong.columns[0]
    assert (first.header, first.role) == ("station_id", "station")
    roles = {c.header: c.role for c in mekong.columns}
    assert roles["longitude"] == "longitude"
    assert roles["latitude"] == "latitude"
    assert roles["Z.Elev"] == "elevation"
    assert roles["date"] == "date"
    assert roles["pH"] == roles["Ecoli"] == "parameter"


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("pH", 8.88),
        ("Aldrin", 0.021),
        ("COD", 23.253),  # three decimals: settled as decimal by the column's other values
        ("TOC", 17.855),
        ("P_PO4", 0.0),  # a zero stays a zero; deciding it is a non-detect is not the codec's job
        ("Coliform", 1300.0),
        ("Ecoli", 92.0),
    ],
)
def test_mekong_first_row(mekong: SheetReadResult, parameter: str, value: float) -> None:
    record = only(mekong, row=2, parameter=parameter)
    assert record.value == value
    assert record.qualifier is None
    assert record.station_code == "QLPH012016"
    assert record.sampled_at == datetime(2016, 2, 29)  # D/M/YYYY, leap day
    assert record.time_given is False
    assert (record.longitude, record.latitude, record.elevation) == (105.68, 9.3, 0.66)
    assert record.unit is None


def test_mekong_empty_cells_give_no_record(mekong: SheetReadResult) -> None:
    assert sum(r.parameter == "N_NH4" for r in mekong.records) == 2696 - 18
    assert sum(r.parameter == "N_NO3" for r in mekong.records) == 2696 - 20


def test_mekong_problems_are_the_two_duplicate_samples(mekong: SheetReadResult) -> None:
    assert [(p.row, p.severity) for p in mekong.problems] == [(518, "error"), (1490, "error")]
    assert "rows 514 and 518" in mekong.problems[0].message


# --- headers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "role"),
    [
        ("Mã trạm", "station"),
        ("MÃ TRẠM", "station"),
        ("Ma tram", "station"),
        ("ma_tram", "station"),
        ("Mã điểm", "station"),
        ("Mã điểm quan trắc", "station"),
        ("Ký hiệu mẫu", "station"),
        ("Điểm quan trắc", "station"),
        ("station_id", "station"),
        ("Station", "station"),
        ("Tên điểm", "station_name"),
        ("Mã mẫu", "sample_code"),
        ("Đợt quan trắc", "campaign"),
        ("Ngày lấy mẫu", "date"),
        ("NGAY LAY MAU", "date"),
        ("date", "date"),
        ("Thời gian lấy mẫu", "time"),
        ("Giờ lấy mẫu", "time"),
        ("time", "time"),
        ("Kinh độ", "longitude"),
        ("Vĩ độ", "latitude"),
        ("longitude", "longitude"),
        ("LAT", "latitude"),
        ("Z.Elev", "elevation"),
        ("Cao độ", "elevation"),
        ("Độ sâu", "depth"),
        ("Tầng", "layer"),
        ("Loại mẫu", "sample_type"),
        ("Phòng thí nghiệm", "lab"),
        ("Đơn vị phân tích", "lab"),
        ("Phương pháp", "method"),
        ("Phương pháp phân tích", "method"),
        ("Ghi chú", "note"),
        ("STT", "index"),
        ("Thông số", "parameter_name"),
        ("Chỉ tiêu", "parameter_name"),
        ("parameter", "parameter_name"),
        ("Kết quả", "value"),
        ("value", "value"),
        ("Đơn vị", "unit"),
        ("ĐVT", "unit"),
        ("Giới hạn phát hiện", "detection_limit"),
        ("QCVN 08:2023/BTNMT (cột A)", "limit"),
        ("COD", None),
        ("pH", None),
        ("T", None),
        ("NO", None),  # nitric oxide, not "number"
    ],
)
def test_header_roles(header: str, role: str | None) -> None:
    assert role_of(split_unit(header)[0]) == role


@pytest.mark.parametrize(
    ("header", "name", "unit"),
    [
        ("COD (mg/L)", "COD", "mg/L"),
        ("N-NH4+ (mg/L)", "N-NH4+", "mg/L"),
        ("Coliform (MPN/100mL)", "Coliform", "MPN/100mL"),
        ("Coliform [MPN/100mL]", "Coliform", "MPN/100mL"),
        ("BOD5(mg/L)", "BOD5", "mg/L"),
        ("Tổng Coliform(CFU hoặc MPN/100ml)", "Tổng Coliform", "CFU hoặc MPN/100ml"),
        ("Nhiệt độ (°C)", "Nhiệt độ", "°C"),
        ("Độ màu (Pt-Co)", "Độ màu", "Pt-Co"),
        ("pH (-)", "pH", "-"),
        ("Fe, mg/L", "Fe", "mg/L"),
        ("Độ sâu (m)", "Độ sâu", "m"),
        ("pH", "pH", None),
        ("Tổng Coliform", "Tổng Coliform", None),
        ("Crom (VI)", "Crom (VI)", None),
        ("Clorua (Cl-)", "Clorua (Cl-)", None),
        ("Amoni (NH4+ tính theo N)", "Amoni (NH4+ tính theo N)", None),
        ("Amoni (NH4+ tính theo N) (mg/L)", "Amoni (NH4+ tính theo N)", "mg/L"),
        ("BOD5 (20°C) (mg/L)", "BOD5 (20°C)", "mg/L"),
        ("COD (*)", "COD", None),  # accreditation footnote mark
        ("  COD   (mg/L) ", "COD", "mg/L"),
    ],
)
def test_header_unit_split(header: str, name: str, unit: str | None) -> None:
    assert split_unit(header) == (name, unit)


def test_wide_header_gives_parameter_and_unit_text() -> None:
    result = read_csv(
        "Mã trạm,Ngày lấy mẫu,COD (mg/L),N-NH4+ (mg/L),Coliform (MPN/100mL),pH\n"
        "NM1,05/03/2024,12,0.5,4600,7.1\n"
    )
    mapping = {c.header: (c.role, c.parameter, c.unit) for c in result.columns}
    assert mapping["COD (mg/L)"] == ("parameter", "COD", "mg/L")
    assert mapping["N-NH4+ (mg/L)"] == ("parameter", "N-NH4+", "mg/L")
    assert mapping["Coliform (MPN/100mL)"] == ("parameter", "Coliform", "MPN/100mL")
    assert mapping["pH"] == ("parameter", "pH", None)
    assert only(result, parameter="N-NH4+").unit == "mg/L"
    assert result.problems == ()


@pytest.mark.parametrize(
    ("headers", "roles"),
    [
        (("Mã trạm", "Ký hiệu mẫu"), ("station", "sample_code")),
        (("Ký hiệu mẫu", "Mã trạm"), ("sample_code", "station")),
        (("Mã điểm", "Điểm quan trắc"), ("station", "station_name")),
        (("Điểm quan trắc", "Ký hiệu mẫu"), ("station_name", "station")),
        (("Điểm quan trắc", "Tên trạm"), ("station", "station_name")),
    ],
)
def test_weak_station_headers_give_way(headers: tuple[str, str], roles: tuple[str, str]) -> None:
    result = read_csv(f"{headers[0]},{headers[1]},Ngày,COD\nA,B,1/2/2024,5\n")
    assert tuple(c.role for c in result.columns[:2]) == roles


def test_second_column_with_same_role_is_ignored_and_reported() -> None:
    result = read_csv("Mã trạm,station,Ngày,COD\nA,B,1/2/2024,5\n")
    assert [c.role for c in result.columns] == ["station", "ignored", "date", "parameter"]
    assert only(result, parameter="COD").station_code == "A"
    assert result.problems[0].column == "B"
    assert result.problems[0].severity == "warning"


# --- values ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value", "qualifier", "limit"),
    [
        (12, 12.0, None, None),
        (0.5, 0.5, None, None),
        ("12", 12.0, None, None),
        ("0.05", 0.05, None, None),
        ("0,05", 0.05, None, None),
        ("8.28", 8.28, None, None),
        ("12,5", 12.5, None, None),
        ("0.500", 0.5, None, None),  # integer part 0: never thousands
        ("1234.567", 1234.567, None, None),  # four-digit integer part: never grouped
        ("1.234,5", 1234.5, None, None),
        ("1.234.567", 1234567.0, None, None),
        ("1,234.5", 1234.5, None, None),
        ("1,234,567", 1234567.0, None, None),
        ("30 000", 30000.0, None, None),
        ("-1,5", -1.5, None, None),
        ("−0.5", -0.5, None, None),  # Unicode minus
        (" 7.2 ", 7.2, None, None),
        ("1.2E+03", 1200.0, None, None),
        ("2,4x10^3", 2400.0, None, None),
        ("2.4×10³", 2400.0, None, None),
        ("4,6.10^4", 46000.0, None, None),
        ("9,3 x 10^2", 930.0, None, None),
        ("<0.05", 0.05, "<", 0.05),
        ("< 0,05", 0.05, "<", 0.05),
        ("<0,05", 0.05, "<", 0.05),
        ("≤0.05", 0.05, "<", 0.05),
        ("<0.05 (KPH)", 0.05, "<", 0.05),
        (">2400", 2400.0, ">", None),
        ("> 1,1x10^4", 11000.0, ">", None),
        ("KPH", None, "ND", None),
        ("kph", None, "ND", None),
        ("KPHĐ", None, "ND", None),
        ("KPHD", None, "ND", None),
        ("ND", None, "ND", None),
        ("n.d.", None, "ND", None),
        ("N.D", None, "ND", None),
        ("không phát hiện", None, "ND", None),
        ("Không phát hiện", None, "ND", None),
        ("<LOD", None, "ND", None),
        ("KPH (<0,05)", None, "ND", 0.05),
        ("KPH(0.01)", None, "ND", 0.01),
        ("ND (LOD=0.01)", None, "ND", 0.01),
        ("KPH<0,002", None, "ND", 0.002),
    ],
)
def test_value_variants(
    raw: object, value: float | None, qualifier: str | None, limit: float | None
) -> None:
    cell = parse_value(raw)
    assert cell.error is None
    assert (cell.value, cell.qualifier, cell.detection_limit) == (value, qualifier, limit)


@pytest.mark.parametrize("raw", [None, "", "   ", "-", "—", "N/A", "n/a", "KXĐ"])
def test_empty_and_not_analysed_cells_are_no_result(raw: object) -> None:
    assert parse_value(raw).is_empty


@pytest.mark.parametrize(
    ("raw", "hint"),
    [
        ("abc", "KPH"),
        ("7,5 mg/L", "remove 'mg/L'"),
        ("6,5-7", "range"),
        ("O.5", "did you mean 0.5?"),
        ("<", "KPH"),
        ("<abc", "KPH"),
        (True, "KPH"),
        (datetime(2024, 1, 1), "KPH"),
        (float("nan"), "KPH"),
    ],
)
def test_text_in_number_cell_is_explained(raw: object, hint: str) -> None:
    cell = parse_value(raw)
    assert cell.value is None
    assert cell.error
    assert cell.suggestion is not None
    assert hint in cell.suggestion


@pytest.mark.parametrize(
    ("raw", "style", "value"),
    [
        ("30.000", "vi", 30000.0),
        ("30.000", "en", 30.0),
        ("2,400", "en", 2400.0),
        ("2,400", "vi", 2.4),
        ("<1.000", "vi", 1000.0),
        ("23.253", "en", 23.253),
    ],
)
def test_ambiguous_thousands_follow_the_chosen_style(raw: str, style: str, value: float) -> None:
    cell = parse_value(raw, style)  # type: ignore[arg-type]
    assert (cell.value, cell.ambiguous, cell.error) == (value, None, None)


@pytest.mark.parametrize(
    ("marks", "value", "hint"),
    [
        ({"."}, 30.0, None),
        ({","}, None, "probably 30000"),
        (set(), None, "ambiguous"),
        ({".", ","}, None, "ambiguous"),
    ],
)
def test_ambiguous_in_auto_style_uses_column_evidence(
    marks: set[str], value: float | None, hint: str | None
) -> None:
    cell = parse_value("30.000")
    assert (cell.value, cell.ambiguous) == (None, ".")
    settled = resolve_ambiguous(cell, marks)
    assert settled.value == value
    if hint:
        assert settled.error is not None
        assert hint in settled.error
        assert settled.suggestion is not None
        assert "number_style='vi'" in settled.suggestion


def test_ambiguous_value_in_a_sheet() -> None:
    text = "Mã trạm,Ngày,COD,Coliform\nA,1/3/2024,8.28,30.000\nA,2/3/2024,23.253,2.400\n"
    result = read_csv(text)
    assert only(result, row=3, parameter="COD").value == 23.253  # 8.28 proves the dot
    assert [(p.row, p.column, p.column_name, p.value) for p in result.problems] == [
        (2, "D", "Coliform", "30.000"),
        (3, "D", "Coliform", "2.400"),
    ]
    assert "number_style='vi'" in (result.problems[0].suggestion or "")
    vietnamese = read_csv(text, number_style="vi")
    assert only(vietnamese, row=3, parameter="Coliform").value == 2400.0
    assert only(vietnamese, row=3, parameter="COD").value == 23253.0


@given(
    st.one_of(
        st.text(max_size=40),
        st.text(alphabet="0123456789.,<> -+eEx×^KPHDNkph()=³", max_size=20),
        st.floats(),
        st.integers(),
        st.none(),
        st.booleans(),
        st.datetimes(),
    )
)
def test_value_parser_never_raises(raw: object) -> None:
    cell = parse_value(raw)
    assert isinstance(cell, CellValue)
    if cell.error is not None:
        assert cell.value is None
        assert cell.suggestion
    if cell.value is not None:
        assert math.isfinite(cell.value)
    if cell.qualifier == "<":
        assert cell.value is not None or cell.ambiguous
    for style in ("vi", "en"):
        assert parse_value(raw, style).ambiguous is None  # type: ignore[arg-type]


@given(st.decimals(min_value=-(10**6), max_value=10**6, places=2, allow_nan=False))
def test_two_decimal_numbers_round_trip_with_either_mark(number: object) -> None:
    text = f"{number:.2f}"
    assert parse_value(text).value == float(text)
    assert parse_value(text.replace(".", ",")).value == float(text)


@given(st.text(max_size=30))
def test_date_parser_never_raises(raw: str) -> None:
    when = parse_when(raw)
    assert when.error is None or (when.day is None and when.clock is None)


@given(st.text(alphabet='AB01/.,;:<> KPH\n"-', max_size=200))
def test_any_sheet_gives_records_or_problems(body: str) -> None:
    """Whatever the lab typed under a valid header, no exception escapes except CodecError."""
    try:
        result = read_csv("Mã trạm,Ngày lấy mẫu,COD,pH\n" + body)
    except CodecError:
        return
    for record in result.records:
        assert record.value is not None or record.qualifier == "ND"


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "day", "at"),
    [
        ("29/2/2016", date(2016, 2, 29), None),
        ("05/03/2020", date(2020, 3, 5), None),
        ("5/3/2020", date(2020, 3, 5), None),
        ("05-03-2020", date(2020, 3, 5), None),
        ("05.03.2020", date(2020, 3, 5), None),
        ("2020-03-05", date(2020, 3, 5), None),
        ("2020/03/05", date(2020, 3, 5), None),
        ("13/01/2020", date(2020, 1, 13), None),
        ("05/03/2020 08:30", date(2020, 3, 5), time(8, 30)),
        ("5/3/2020 8:30:15", date(2020, 3, 5), time(8, 30, 15)),
        ("2020-03-05T08:30", date(2020, 3, 5), time(8, 30)),
        ("2020-03-05 08:30:00", date(2020, 3, 5), time(8, 30)),
        ("05/03/2020 8h30", date(2020, 3, 5), time(8, 30)),
        ("ngày 5 tháng 3 năm 2020", date(2020, 3, 5), None),
        (datetime(2020, 3, 5, 8, 30), date(2020, 3, 5), time(8, 30)),
        (datetime(2020, 3, 5, 8, 29, 59, 999_800), date(2020, 3, 5), time(8, 30)),
        (datetime(2020, 3, 5), date(2020, 3, 5), None),
        (date(2020, 3, 5), date(2020, 3, 5), None),
        (43895, date(2020, 3, 5), None),  # Excel serial number
        (43895.5, date(2020, 3, 5), time(12, 0)),
        ("43895", date(2020, 3, 5), None),
        (time(8, 30), None, time(8, 30)),
        ("08:30", None, time(8, 30)),
        ("8h", None, time(8, 0)),
        (0.375, None, time(9, 0)),  # Excel time of day
    ],
)
def test_date_formats(raw: object, day: date | None, at: time | None) -> None:
    when = parse_when(raw)
    assert when.error is None
    assert (when.day, when.clock) == (day, at)


@pytest.mark.parametrize(
    ("raw", "hint"),
    [
        ("13/25/2020", "dd/mm/yyyy"),
        ("3/25/2020", "write it day first: 25/03/2020"),
        ("31/02/2020", "dd/mm/yyyy"),
        ("5/3/20", "four digits"),
        ("2020-13-01", "dd/mm/yyyy"),
        ("05/03/2020 25:00", "hh:mm"),
        ("hello", "dd/mm/yyyy"),
        (5, "dd/mm/yyyy"),
        (True, "dd/mm/yyyy"),
    ],
)
def test_bad_dates_are_explained(raw: object, hint: str) -> None:
    when = parse_when(raw)
    assert when.day is None
    assert when.error
    assert hint in f"{when.error} {when.suggestion}"


def test_bad_date_in_a_sheet_names_row_and_column() -> None:
    result = read_csv("Mã trạm,Ngày lấy mẫu,COD\nA,13/25/2020,5\nA,14/1/2020,6\n")
    assert [r.row for r in result.records] == [3]
    (problem,) = result.problems
    assert (problem.row, problem.column, problem.column_name, problem.value) == (
        2,
        "B",
        "Ngày lấy mẫu",
        "13/25/2020",
    )
    assert "day first" in problem.message


@pytest.mark.parametrize(
    ("headers", "cells", "expected", "given"),
    [
        ("Ngày lấy mẫu,Giờ lấy mẫu", "5/3/2024,08:30", datetime(2024, 3, 5, 8, 30), True),
        ("Thời gian lấy mẫu", "5/3/2024 08:30", datetime(2024, 3, 5, 8, 30), True),
        ("Thời gian lấy mẫu", "5/3/2024", datetime(2024, 3, 5), False),
        ("date,time", "2024-03-05,14h15", datetime(2024, 3, 5, 14, 15), True),
        ("Ngày,Thời gian", "5/3/2024,5/3/2024 9:00", datetime(2024, 3, 5, 9), True),
    ],
)
def test_date_and_time_columns_combine(
    headers: str, cells: str, expected: datetime, given: bool
) -> None:
    result = read_csv(f"Mã trạm,{headers},COD\nA,{cells},5\n")
    record = only(result, parameter="COD")
    assert (record.sampled_at, record.time_given) == (expected, given)


def test_disagreeing_date_and_time_columns_are_a_problem() -> None:
    result = read_csv("Mã trạm,Ngày,Thời gian,COD\nA,5/3/2024,6/3/2024 9:00,5\n")
    assert result.records == ()
    assert "disagree" in result.problems[0].message


# --- CSV dialects and encodings --------------------------------------------------------------


def test_semicolon_csv_with_comma_decimals() -> None:
    text = (
        "Mã trạm;Ngày lấy mẫu;COD (mg/L);pH\r\nNM1;5/3/2024;12,5;7,1\r\nNM2;6/3/2024;<0,05;6,9\r\n"
    )
    result = read_csv(text)
    assert result.delimiter == ";"
    assert only(result, station_code="NM1", parameter="COD").value == 12.5
    assert only(result, station_code="NM2", parameter="COD").qualifier == "<"
    assert result.problems == ()


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a;b;c\n1,5;2,5;3\n1,1;2,2;3,3\n", ";"),
        ("a\tb\tc\n1\t2\t3\n", "\t"),
        ("BẢNG KẾT QUẢ\nGhi chú: x\na;b;c\n1;2;3\n", ";"),
    ],
)
def test_delimiter_sniffing(text: str, delimiter: str) -> None:
    assert sniff_delimiter(text) == delimiter


def test_tab_separated_utf16_from_excel_unicode_text() -> None:
    text = "Mã trạm\tNgày lấy mẫu\tCOD\r\nNM1\t5/3/2024\t12,5\r\n"
    result = read_sheet(b"\xff\xfe" + text.encode("utf-16-le"), "export.txt")
    assert (result.delimiter, result.encoding) == ("\t", "utf-16-le")
    assert only(result, parameter="COD").value == 12.5


def test_excel_sep_hint_line() -> None:
    result = read_csv("sep=;\nMã trạm;Ngày;COD\nA;5/3/2024;1,5\n")
    assert result.delimiter == ";"
    assert only(result, parameter="COD").value == 1.5


def test_cp1258_csv_is_read_with_a_warning() -> None:
    text = (
        "Mã trạm,Tên điểm,Ngày lấy mẫu,Tổng Coliform (MPN/100mL)\n"
        "NM1,Cầu Bình Triệu,5/3/2024,4600\n"
    )
    data = cp1258(text)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    result = read_sheet(data, "ket-qua.csv")
    assert result.encoding == "cp1258"
    record = only(result, parameter="Tổng Coliform")
    assert (record.station_name, record.unit, record.value) == ("Cầu Bình Triệu", "MPN/100mL", 4600)
    (problem,) = result.problems
    assert problem.severity == "warning"
    assert "cp1258" in problem.message


def test_utf8_without_bom() -> None:
    result = read_csv("Mã trạm,Ngày lấy mẫu,COD\nNM1,5/3/2024,1\n")
    assert result.encoding == "utf-8"
    assert result.columns[0].role == "station"


# --- rows ------------------------------------------------------------------------------------


def test_title_rows_empty_rows_and_footer_notes() -> None:
    text = (
        "BẢNG KẾT QUẢ QUAN TRẮC NƯỚC MẶT,,,\n"
        "Đơn vị thực hiện: Trung tâm Quan trắc,,,\n"
        ",,,\n"
        "STT,Mã điểm,Ngày lấy mẫu,COD (mg/L)\n"
        "1,NM1,5/3/2024,12\n"
        ",,,\n"
        "2,NM2,5/3/2024,KPH\n"
        ",,,\n"
        "Ghi chú: KPH - không phát hiện,,,\n"
    )
    result = read_csv(text)
    assert result.header_row == 4
    assert [(r.row, r.station_code, r.value, r.qualifier) for r in result.records] == [
        (5, "NM1", 12.0, None),
        (7, "NM2", None, "ND"),
    ]
    assert result.problems == ()


def test_text_in_number_cell_names_row_column_value_and_fix() -> None:
    result = read_csv(
        "Mã trạm,Ngày,COD (mg/L),pH\nA,1/3/2024,7,5 mg/L,7\n".replace("7,5 mg/L", '"7,5 mg/L"')
    )
    (problem,) = result.problems
    assert (problem.row, problem.column, problem.column_name, problem.value) == (
        2, "C", "COD (mg/L)", "7,5 mg/L",
    )  # fmt: skip
    assert problem.severity == "error"
    assert "remove 'mg/L'" in (problem.suggestion or "")
    assert only(result, parameter="pH").value == 7.0


def test_a_text_only_column_is_reported_once() -> None:
    rows = "".join(f"A{i},{i}/3/2024,Bến Lức,{i}\n" for i in range(1, 8))
    result = read_csv("Mã trạm,Ngày,Khu vực,COD\n" + rows)
    (problem,) = result.problems
    assert (problem.column, problem.severity) == ("C", "warning")
    assert "all 7 rows" in problem.message
    assert len(result.records) == 7


def test_limit_row_under_the_data_is_skipped() -> None:
    result = read_csv("Mã trạm,Ngày,COD\nA,1/3/2024,5\nQCVN 08:2023/BTNMT cột A,,10\n")
    assert len(result.records) == 1
    assert [(p.row, p.severity) for p in result.problems] == [(3, "info")]


def test_a_station_code_that_looks_like_a_limit_label_is_still_a_sample() -> None:
    result = read_csv("Mã trạm,Ngày,COD\nLOD 1,1/3/2024,5\n")
    assert only(result, parameter="COD").station_code == "LOD 1"


def test_missing_date_in_a_row() -> None:
    result = read_csv("Mã trạm,Ngày,COD\nA,1/3/2024,5\nA,,6\n")
    (problem,) = result.problems
    assert (problem.row, problem.column, problem.message) == (3, "B", "no sampling date")


def test_missing_station_in_a_row() -> None:
    result = read_csv("Mã trạm,Ngày,COD\nA,1/3/2024,5\n,2/3/2024,6\n")
    assert len(result.records) == 1
    (problem,) = result.problems
    assert (problem.row, problem.column, problem.message) == (3, "A", "no station code")
    assert "merged" in (problem.suggestion or "")


def test_headerless_column_with_values_is_reported() -> None:
    result = read_csv("Mã trạm,Ngày,COD,\nA,1/3/2024,5,oops\n")
    (problem,) = result.problems
    assert (problem.row, problem.column, problem.severity) == (2, "D", "warning")


def test_invalid_coordinates_are_warnings() -> None:
    result = read_csv("Mã trạm,Ngày,Kinh độ,Vĩ độ,COD\nA,1/3/2024,105.680,95,5\n")
    record = only(result, parameter="COD")
    assert (record.longitude, record.latitude) == (105.68, None)
    assert [(p.column, p.severity) for p in result.problems] == [("D", "warning")]


def test_ambiguous_elevation_is_a_warning() -> None:
    result = read_csv("Mã trạm,Ngày,Cao độ,COD\nA,1/3/2024,1.250,5\n")
    assert only(result, parameter="COD").elevation is None
    (problem,) = result.problems
    assert (problem.column, problem.severity) == ("C", "warning")
    assert "ambiguous" in problem.message
    assert only(read_csv("Mã trạm,Ngày,Cao độ,COD\nA,1/3/2024,1.250,5\n", number_style="vi"),
                parameter="COD").elevation == 1250.0  # fmt: skip


def test_all_sample_fields() -> None:
    result = read_csv(
        "Mã trạm,Mã mẫu,Tên điểm,Đợt,Ngày lấy mẫu,Độ sâu (m),Tầng,Loại mẫu,"
        "Phòng thí nghiệm,Phương pháp,Ghi chú,Kinh độ,Vĩ độ,Cao độ,As (mg/kg)\n"
        "D1,M-01,Ruộng lúa,Đợt 1,5/3/2024,0-20,Tầng mặt,Đất,VILAS 123,TCVN 8467,trời mưa,"
        "105.5,10.25,2,3.5\n"
    )
    record = only(result, parameter="As")
    assert record == SheetResult(
        row=2, column="O", station_code="D1", sampled_at=datetime(2024, 3, 5),
        time_given=False, parameter="As", unit="mg/kg", value=3.5, qualifier=None,
        detection_limit=None, raw_value="3.5", sample_code="M-01", station_name="Ruộng lúa",
        campaign="Đợt 1", depth="0-20", layer="Tầng mặt", sample_type="Đất", lab="VILAS 123",
        method="TCVN 8467", note="trời mưa", latitude=10.25, longitude=105.5, elevation=2.0,
    )  # fmt: skip
    assert {c.header: c.unit for c in result.columns}["Độ sâu (m)"] == "m"


# --- duplicates ------------------------------------------------------------------------------


def test_duplicate_samples_list_both_rows() -> None:
    result = read_csv("Mã trạm,Ngày,COD,pH\nA,1/3/2024,5,7\nB,1/3/2024,5,7\nA,1/3/2024,6,7\n")
    assert len(result.records) == 6  # both kept: the importer decides
    (problem,) = result.problems
    assert problem.row == 4
    assert "rows 2 and 4" in problem.message
    assert "COD, pH" in problem.message


@pytest.mark.parametrize(
    "second",
    ["A,M2,1/3/2024,6", "A,M1,1/3/2024 10:00,6", "A,M1,2/3/2024,6", "B,M1,1/3/2024,6"],
)
def test_not_duplicates(second: str) -> None:
    result = read_csv(f"Mã trạm,Mã mẫu,Ngày,COD\nA,M1,1/3/2024,5\n{second}\n")
    assert result.problems == ()


def test_two_columns_for_one_parameter() -> None:
    result = read_csv("Mã trạm,Ngày,COD (mg/L),COD\nA,1/3/2024,5,6\n")
    (problem,) = result.problems
    assert "columns C and D" in problem.message


# --- long layout -----------------------------------------------------------------------------

LONG = (
    "Mã điểm,Ngày lấy mẫu,Thông số,Đơn vị,Kết quả,Phương pháp,QCVN 08:2023\n"
    'NM1,5/3/2024,pH,-,"7,2",TCVN 6492:2011,6.5-8.5\n'
    "NM1,5/3/2024,COD,mg/L,12,SMEWW 5220C,10\n"
    "NM1,5/3/2024,Tổng Coliform,MPN/100mL,>2400,TCVN 6187-2,1000\n"
    "NM1,5/3/2024,N-NH4+ (mg/L),,KPH,SMEWW 4500,0.3\n"
    ",,,,,,\n"
    'NM2,5/3/2024,Pb,mg/L,"<0,002",SMEWW 3113B,0.02\n'
    "NM2,5/3/2024,Hg,mg/L,,,\n"
)


def test_long_layout_is_detected() -> None:
    result = read_csv(LONG)
    assert result.layout == "long"
    assert result.sample_count == 2
    assert {c.header: c.role for c in result.columns}["QCVN 08:2023"] == "limit"
    rows = [(r.station_code, r.parameter, r.unit, r.value, r.qualifier) for r in result.records]
    assert rows == [
        ("NM1", "pH", "-", 7.2, None),
        ("NM1", "COD", "mg/L", 12.0, None),
        ("NM1", "Tổng Coliform", "MPN/100mL", 2400.0, ">"),
        ("NM1", "N-NH4+", "mg/L", None, "ND"),
        ("NM2", "Pb", "mg/L", 0.002, "<"),
    ]
    assert only(result, parameter="COD").method == "SMEWW 5220C"
    assert only(result, parameter="COD").column == "E"
    assert result.problems == ()


def test_long_layout_detection_limit_column() -> None:
    result = read_csv(
        "Mã trạm,Ngày,Chỉ tiêu,Kết quả,LOD\nA,1/3/2024,Pb,KPH,0.002\nA,1/3/2024,Cd,0.01,0.001\n"
    )
    assert only(result, parameter="Pb").detection_limit == 0.002
    assert only(result, parameter="Cd").detection_limit == 0.001


def test_long_layout_limit_column_survives_a_settled_ambiguous_value() -> None:
    result = read_csv(
        "Mã trạm,Ngày,Chỉ tiêu,Kết quả,LOD\nA,1/3/2024,Fe,0.5,0.01\nA,1/3/2024,Mn,1.250,0.01\n"
    )
    record = only(result, parameter="Mn")
    assert (record.value, record.detection_limit) == (1.25, 0.01)


def test_long_layout_duplicates() -> None:
    result = read_csv("Mã trạm,Ngày,Chỉ tiêu,Kết quả\nA,1/3/2024,COD,5\nA,1/3/2024,cod,6\n")
    (problem,) = result.problems
    assert "rows 2 and 3" in problem.message


def test_forcing_a_layout() -> None:
    with pytest.raises(CodecError, match="long layout needs"):
        read_csv("Mã trạm,Ngày,COD\nA,1/3/2024,5\n", layout="long")
    wide = read_csv(LONG, layout="wide")
    assert wide.layout == "wide"
    assert wide.records == ()
    assert {p.column for p in wide.problems} >= {"C", "D", "E"}


def test_transposed_sheet_is_refused_clearly() -> None:
    with pytest.raises(CodecError, match="parameters in rows"):
        read_csv("Chỉ tiêu,Đơn vị,NM1,NM2\npH,-,7,7.2\n")


# --- XLSX ------------------------------------------------------------------------------------


def lab_workbook() -> bytes:
    """A typical provincial report: merged title, notes, header, unit row, merged station cells."""
    return xlsx(
        [
            ["KẾT QUẢ QUAN TRẮC NƯỚC MẶT ĐỢT 1 NĂM 2024"],
            ["Đơn vị thực hiện: Trung tâm Quan trắc Tài nguyên và Môi trường"],
            [],
            ["STT", "Ký hiệu mẫu", "Ngày lấy mẫu", "pH", "COD", "Coliform"],
            [None, None, None, "-", "mg/L", "MPN/100mL"],
            [1, "NM1", datetime(2024, 3, 5, 9, 15), 7.2, "12,5", 4600],
            [2, None, datetime(2024, 3, 6), 7.1, "KPH", "<3"],
            [3, None, datetime(2024, 3, 7), 7.0, 11, 2400],
            [],
            [4, "NM2", datetime(2024, 3, 5), 6.9, "<0,05", ">2400"],
            ["QCVN 08:2023/BTNMT cột A", None, None, "6,5-8,5", 10, 1000],
            ["Ghi chú: KPH - không phát hiện"],
        ],
        merges=("A1:F1", "A2:F2", "B6:B8"),
        title="Kết quả",
    )


def test_xlsx_report_with_title_unit_row_and_merged_station() -> None:
    result = read_sheet(lab_workbook(), "bao-cao.xlsx")
    assert (result.sheet, result.header_row, result.unit_row) == ("Kết quả", 4, 5)
    assert {c.parameter: c.unit for c in result.columns if c.parameter} == {
        "pH": "-", "COD": "mg/L", "Coliform": "MPN/100mL",
    }  # fmt: skip
    assert [r.station_code for r in result.records if r.parameter == "pH"] == [
        "NM1", "NM1", "NM1", "NM2",
    ]  # fmt: skip
    first = only(result, row=6, parameter="COD")
    assert (first.sampled_at, first.time_given, first.value) == (
        datetime(2024, 3, 5, 9, 15), True, 12.5,
    )  # fmt: skip
    assert only(result, row=7, parameter="COD").qualifier == "ND"
    assert only(result, row=7, parameter="Coliform").detection_limit == 3.0
    assert only(result, row=10, parameter="Coliform").qualifier == ">"
    assert only(result, row=8, parameter="COD").raw_value == "11"
    assert [(p.row, p.severity) for p in result.problems] == [(11, "info")]


def test_xlsx_two_level_header_under_a_merged_group() -> None:
    data = xlsx(
        [
            ["Mã trạm", "Ngày lấy mẫu", "Kết quả phân tích", None, None],
            [None, None, "pH", "COD (mg/L)", "TSS (mg/L)"],
            ["NM1", date(2024, 3, 5), 7.2, 12, 30],
        ],
        merges=("A1:A2", "B1:B2", "C1:E1"),
    )
    result = read_sheet(data, "x.xlsx")
    assert [c.parameter for c in result.columns] == [None, None, "pH", "COD", "TSS"]
    assert result.layout == "wide"
    assert len(result.records) == 3
    assert result.problems == ()


def test_xlsx_long_layout_with_merged_station_and_date() -> None:
    data = xlsx(
        [
            ["Điểm quan trắc", "Thời gian lấy mẫu", "Chỉ tiêu", "Đơn vị", "Kết quả"],
            ["GW1", datetime(2024, 5, 2, 10, 0), "pH", "-", 6.8],
            [None, None, "Amoni", "mg/L", "KPHĐ"],
            [None, None, "Asen", "mg/L", 0.012],
            ["GW2", datetime(2024, 5, 3), "pH", "-", 7.1],
        ],
        merges=("A2:A4", "B2:B4"),
    )
    result = read_sheet(data, "gw.xlsx")
    assert result.layout == "long"
    assert [(r.station_code, r.sampled_at.day, r.parameter) for r in result.records] == [
        ("GW1", 2, "pH"), ("GW1", 2, "Amoni"), ("GW1", 2, "Asen"), ("GW2", 3, "pH"),
    ]  # fmt: skip
    assert only(result, parameter="Amoni").qualifier == "ND"
    assert result.sample_count == 2


def test_xlsx_serial_numbers_in_a_date_column() -> None:
    data = xlsx([["Mã trạm", "Ngày lấy mẫu", "COD"], ["A", 45356, 5], ["A", "45357", 6]])
    result = read_sheet(data, "x.xlsx")
    assert [r.sampled_at for r in result.records] == [datetime(2024, 3, 5), datetime(2024, 3, 6)]


def test_xlsx_merged_result_cell_is_flagged() -> None:
    data = xlsx(
        [["Mã trạm", "Ngày", "COD", "BOD5"], ["A", "1/3/2024", "KPH", None]],
        merges=("C2:D2",),
    )
    result = read_sheet(data, "x.xlsx")
    assert len(result.records) == 1
    assert [(p.row, p.column, p.severity) for p in result.problems] == [(2, "C", "warning")]


def test_xlsx_named_sheet() -> None:
    book = openpyxl.Workbook()
    book.active.title = "Bìa"
    book.active.append(["Báo cáo"])
    data_sheet = book.create_sheet("Số liệu")
    data_sheet.append(["Mã trạm", "Ngày", "COD"])
    data_sheet.append(["A", "1/3/2024", 5])
    buffer = io.BytesIO()
    book.save(buffer)
    result = read_sheet(buffer.getvalue(), "x.xlsx", sheet="Số liệu")
    assert (result.sheet, len(result.records)) == ("Số liệu", 1)
    with pytest.raises(CodecError, match="Bìa, Số liệu"):
        read_sheet(buffer.getvalue(), "x.xlsx", sheet="Data")
    with pytest.raises(CodecError, match="no header row"):
        read_sheet(buffer.getvalue(), "x.xlsx")


# --- fatal problems --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "old.xls", r"\.xls"),
        (b"PK\x03\x04 broken", "x.xlsx", "cannot read the workbook"),
        (b"not a workbook", "x.xlsx", "not an Excel workbook"),
        (b"\x00\x01\x02binary", "x.csv", "binary"),
        (b"", "x.csv", "no header row"),
        ("BẢNG KẾT QUẢ\n1,2,3\n".encode(), "x.csv", "no header row"),
        ("Ngày,COD\n1/3/2024,5\n".encode(), "x.csv", "no station column"),
        ("Mã trạm,COD\nA,5\n".encode(), "x.csv", "no sampling date"),
    ],
)
def test_unreadable_files_raise_codec_error(data: bytes, name: str, message: str) -> None:
    with pytest.raises(CodecError, match=message) as caught:
        read_sheet(data, name)
    assert caught.value.file == name


def test_station_for_a_one_station_file() -> None:
    result = read_csv("Ngày,COD\n1/3/2024,5\n", station="NM1")
    assert only(result, parameter="COD").station_code == "NM1"


# --- speed -----------------------------------------------------------------------------------


def test_100k_results_from_wide_csv_are_fast() -> None:
    """5,000 samples × 20 parameters; the whole import must stay under 30 s, the codec ~1 s."""
    parameters = [f"P{i} (mg/L)" for i in range(20)]
    lines = ["Mã trạm,Ngày lấy mẫu,Kinh độ,Vĩ độ," + ",".join(parameters)]
    for s in range(5000):
        values = ",".join(f"{(s * 7 + i) % 997 / 10:.2f}" for i in range(20))
        lines.append(
            f"S{s % 100},{1 + s % 28}/{1 + s // 28 % 12}/{2000 + s // 336},105.5,10.5,{values}"
        )
    data = "\r\n".join(lines).encode()
    started = clock.perf_counter()
    result = read_sheet(data, "big.csv")
    elapsed = clock.perf_counter() - started
    assert len(result.records) == 100_000
    assert result.problems == ()
    assert elapsed < 5.0, f"{elapsed:.2f} s"
