"""The validation report: codec problems, duplicates on resolved keys, what is kept out."""

from __future__ import annotations

import io

import openpyxl

from quantrac.codecs.sheet import read_sheet
from quantrac.periodic.model import Issue, StationInfo
from quantrac.periodic.standardize import standardize
from quantrac.periodic.validate import Validation, select, validate

STATIONS = {
    "SG-01": StationInfo(1, "SG-01", "Sông Sài Gòn 1", "surface_water"),
    "SG-02": StationInfo(2, "SG-02", "Sông Sài Gòn 2", "surface_water"),
}


def check(data: bytes | str, filename: str = "kq.csv") -> Validation:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    read = read_sheet(raw, filename)
    results, issues = standardize(read, STATIONS)
    return validate(read, results, issues)


def errors(v: Validation) -> list[Issue]:
    return [i for i in v.issues if i.severity == "error"]


def test_a_clean_file_keeps_everything() -> None:
    v = check("Mã trạm,Ngày lấy mẫu,COD,BOD5\nSG-01,15/03/2025,10,4\nSG-02,15/03/2025,11,5\n")
    assert (len(v.accepted), v.issues, v.rejected_rows, v.blocked) == (4, [], (), False)


def test_text_in_a_number_cell_keeps_its_whole_row_out() -> None:
    v = check("Mã trạm,Ngày lấy mẫu,COD,BOD5\nSG-01,15/03/2025,10,4 mg/l\nSG-02,15/03/2025,11,5\n")
    (issue,) = errors(v)
    assert (issue.rows, issue.column, issue.value, issue.scope) == ((2,), "D", "4 mg/l", "row")
    assert issue.suggestion is not None and "mg/l" in issue.suggestion
    assert {r.row for r in v.accepted} == {3}
    assert v.rejected_rows == (2,)


def test_duplicate_samples_keep_both_rows_out_with_one_message() -> None:
    csv = (
        "Mã trạm,Ngày lấy mẫu,COD,BOD5\n"
        "SG-01,15/03/2025,10,4\nSG-02,15/03/2025,11,5\nSG-01,15/03/2025,12,4\n"
    )
    v = check(csv)
    (issue,) = errors(v)  # the codec's own duplicate problem is replaced, not repeated
    assert issue.rows == (2, 4)
    assert issue.message.startswith("dòng 2 và 4 là cùng một mẫu")
    assert "COD, BOD5" in issue.message
    assert {r.row for r in v.accepted} == {3}
    assert v.rejected_rows == (2, 4)


def test_duplicates_only_visible_after_alias_resolution() -> None:
    """'COD' in one row and the Vietnamese name in another: the codec cannot see it."""
    csv = (
        "Mã trạm,Ngày lấy mẫu,COD,Nhu cầu oxy hóa học\nSG-01,15/03/2025,10,\nSG-01,15/03/2025,,12\n"
    )
    v = check(csv)
    (issue,) = errors(v)
    assert issue.rows == (2, 3)
    assert v.accepted == []


def test_two_columns_for_one_parameter_keep_the_second_out() -> None:
    csv = "Mã trạm,Ngày lấy mẫu,COD,Nhu cầu oxy hóa học (mg/L)\nSG-01,15/03/2025,10,11\n"
    v = check(csv)
    (issue,) = errors(v)
    assert (issue.scope, issue.column, issue.rows) == ("cell", "D", (2,))
    assert [(r.column, r.values.value) for r in v.accepted] == [("C", 10.0)]


def test_a_header_error_keeps_only_its_column_out() -> None:
    v = check("Mã trạm,Ngày lấy mẫu,COD,Foo (mg/L)\nSG-01,15/03/2025,10,1\n")
    (issue,) = errors(v)
    assert issue.column == "D"
    assert [r.parameter_code for r in v.accepted] == ["COD"]


def test_empty_rows_are_skipped_silently() -> None:
    v = check("Mã trạm,Ngày lấy mẫu,COD\n\nSG-01,15/03/2025,10\n,,\n\nSG-02,15/03/2025,11\n")
    assert v.issues == []
    assert [r.row for r in v.accepted] == [3, 6]


def test_merged_station_cells_in_a_csv_leave_rows_without_station() -> None:
    v = check("Mã trạm,Ngày lấy mẫu,COD\nSG-01,15/03/2025,10\n,16/03/2025,11\n")
    (issue,) = errors(v)
    assert issue.rows == (3,)
    assert issue.message == "no station code"
    assert issue.suggestion is not None and "merged" in issue.suggestion
    assert [r.row for r in v.accepted] == [2]


def test_merged_station_cells_in_xlsx_fill_their_rows() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in (
        ["Mã trạm", "Ngày lấy mẫu", "COD"],
        ["SG-01", "15/03/2025", 10],
        [None, "16/03/2025", 11],
        ["SG-02", "15/03/2025", 12],
    ):
        sheet.append(row)
    sheet.merge_cells("A2:A3")
    buffer = io.BytesIO()
    book.save(buffer)
    v = check(buffer.getvalue(), "kq.xlsx")
    assert v.issues == []
    assert [r.station.code for r in v.accepted] == ["SG-01", "SG-01", "SG-02"]


def test_a_merged_result_cell_is_a_warning() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in (["Mã trạm", "Ngày lấy mẫu", "COD", "BOD5"], ["SG-01", "15/03/2025", 10, None]):
        sheet.append(row)
    sheet.merge_cells("C2:D2")
    buffer = io.BytesIO()
    book.save(buffer)
    v = check(buffer.getvalue(), "kq.xlsx")
    (issue,) = v.issues
    assert (issue.severity, issue.rows, issue.column) == ("warning", (2,), "C")
    assert "merged cell C2:D2" in issue.message
    assert len(v.accepted) == 1


def test_select_scopes() -> None:
    v = check("Mã trạm,Ngày lấy mẫu,COD,BOD5\nSG-01,15/03/2025,10,4\nSG-02,15/03/2025,11,5\n")
    results = v.accepted
    assert len(select(results, [Issue("x", rows=(2,))])[0]) == 2
    assert len(select(results, [Issue("x", scope="cell", rows=(2,), column="C")])[0]) == 3
    assert len(select(results, [Issue("x", scope="column", column="D")])[0]) == 2
    assert select(results, [Issue("x", scope="file")]) == ([], True)
    assert len(select(results, [Issue("x", severity="warning", scope="file")])[0]) == 4
