"""Compliance at import: which QCVN rows apply to a station, and results with qualifiers."""

from __future__ import annotations

from dataclasses import replace

import pytest

from quantrac.catalog import get_catalog
from quantrac.catalog.limits import LimitRule
from quantrac.codecs.sheet import read_sheet
from quantrac.periodic.compliance import assess, is_class_floor, judge, station_rules
from quantrac.periodic.model import StationInfo
from quantrac.periodic.standardize import standardize

QCVN08 = "QCVN 08:2023/BTNMT"


def rule(minimum: float | None = None, maximum: float | None = None, **kw: object) -> LimitRule:
    base = LimitRule(
        regulation="TEST", medium="surface_water", parameter_name="X", parameter_code="COD",
        unit="mg/L", column="A", minimum=minimum, maximum=maximum, averaging="single sample",
        valid_from=None, valid_to=None, scalable=False, note="", confidence="high", source="",
        line=1,
    )  # fmt: skip
    return replace(base, **kw)  # type: ignore[arg-type]


MAX_10 = rule(maximum=10.0)
MIN_5 = rule(minimum=5.0)
RANGE = rule(minimum=6.0, maximum=8.5)


@pytest.mark.parametrize(
    ("limit", "value", "qualifier", "dl", "outcome"),
    [
        (MAX_10, 9.9, None, None, "within"),
        (MAX_10, 10.0, None, None, "within"),  # "không vượt quá": equal complies
        (MAX_10, 10.1, None, None, "exceeded"),
        (MAX_10, 0.05, "<", 0.05, "within"),
        (MAX_10, 12.0, "<", 12.0, "undecided"),  # detection limit above the limit
        (MAX_10, None, "ND", None, "within"),
        (MAX_10, None, "ND", 20.0, "undecided"),
        (MAX_10, 2400.0, ">", None, "exceeded"),
        (MAX_10, 5.0, ">", None, "undecided"),
        (MIN_5, 4.0, None, None, "exceeded"),
        (MIN_5, 5.0, None, None, "within"),
        (MIN_5, 0.5, "<", 0.5, "exceeded"),  # below 0.5, hence below 5
        (MIN_5, 6.0, ">", None, "within"),
        (RANGE, 5.9, None, None, "exceeded"),
        (RANGE, 8.6, None, None, "exceeded"),
        (RANGE, 7.0, None, None, "within"),
        (rule(kind="not_detected"), 0.01, None, None, "exceeded"),
        (rule(kind="not_detected"), None, "ND", 0.01, "within"),
        (rule(kind="not_detected"), 0.01, "<", 0.01, "within"),
    ],
)
def test_judge(
    limit: LimitRule, value: float | None, qualifier: str | None, dl: float | None, outcome: str
) -> None:
    assert judge(limit, value, qualifier, dl).outcome == outcome


def test_judge_reports_the_deciding_bound() -> None:
    verdict = judge(MAX_10, 2400.0, ">", None)
    assert verdict.compared == 2400.0
    assert verdict.result is not None and verdict.result.limit == 10.0


def test_kq_kf_scale_a_scalable_maximum() -> None:
    scalable = rule(maximum=100.0, scalable=True)
    assert judge(scalable, 95.0, None, None, kq=0.9, kf=1.0).outcome == "exceeded"
    assert judge(scalable, 95.0, None, None, kq=1.0, kf=1.0).outcome == "within"


def _rules(column: str | None, code: str, matrix: str = "surface_water") -> list[LimitRule]:
    station = StationInfo(1, "S", "S", "surface_water", QCVN08, column)
    return station_rules(get_catalog(), station, code, matrix)


def test_level_b_station_gets_table_1_and_level_b() -> None:
    assert {r.column for r in _rules("river-B", "NH4")} == {"Bảng 1 (human health)"}
    assert [(r.column, r.maximum) for r in _rules("river-B", "COD")] == [("Bảng 2 level B", 15.0)]
    assert [(r.column, r.minimum) for r in _rules("river-B", "DO")] == [("Bảng 2 level B", 5.0)]


def test_class_floors_are_not_limits() -> None:
    """Level D rows give where the worst class starts (> value), level C TSS likewise."""
    floors = [r for r in get_catalog().limit_rules(regulation=QCVN08) if is_class_floor(r)]
    assert {r.column for r in floors} == {"Bảng 2 level D", "Bảng 2 level C"}
    assert _rules("river-D", "BOD5") == []
    assert _rules("river-D", "PH") == []  # described in words only
    assert _rules("river-C", "TSS") == []
    assert [r.maximum for r in _rules("river-C", "COD")] == [20.0]


def test_without_a_column_only_the_tables_that_always_apply() -> None:
    assert _rules(None, "COD") == []
    assert [r.maximum for r in _rules(None, "AS")] == [0.01]


def test_another_matrix_is_not_compared() -> None:
    assert _rules("river-B", "AS", matrix="sediment") == []


def test_ambient_air_compares_one_hour_limits_only() -> None:
    station = StationInfo(1, "K", "K", "ambient_air", "QCVN 05:2023/BTNMT", "basic")
    rules = station_rules(get_catalog(), station, "SO2", "ambient_air")
    assert {r.averaging for r in rules} == {"1h"}


def _assess(csv: str, station: StationInfo, lang: str = "vi"):  # type: ignore[no-untyped-def]
    read = read_sheet(csv.encode(), "kq.csv")
    results, issues = standardize(read, {station.code: station}, lang=lang)
    assert issues == []
    return assess(results, lang=lang)


def test_assess_converts_to_the_rule_unit_and_lists_exceedances() -> None:
    station = StationInfo(1, "SG", "SG", "surface_water", QCVN08, "river-B")
    csv = (
        "Mã trạm,Ngày lấy mẫu,As (µg/L),COD,DO,Hg (mg/L)\n"
        "SG,15/03/2025,12,16,4.5,<0.002\n"
        "SG,16/03/2025,8,15,5,KPH\n"
    )
    found, notes = _assess(csv, station)
    assert [(e.row, e.parameter_code, e.direction) for e in found] == [
        (2, "AS", "above_maximum"),
        (2, "COD", "above_maximum"),
        (2, "DO", "below_minimum"),
    ]
    arsenic = found[0]
    assert (arsenic.compared, arsenic.limit, arsenic.unit) == (0.012, 0.01, "mg/L")
    assert arsenic.rule_column == "Bảng 1 (human health)"
    (undecided,) = notes  # Hg '<0.002' against a 0.001 limit
    assert undecided.severity == "warning"
    assert undecided.rows == (2,)
    assert "0.002" in undecided.message and "0.001" in undecided.message


def test_assess_notes_stations_without_regulation_and_old_samples() -> None:
    none = StationInfo(1, "SG", "SG", "surface_water")
    _, (note,) = _assess("Mã trạm,Ngày lấy mẫu,COD\nSG,15/03/2025,16\n", none)
    assert note.severity == "info" and "SG" in note.message
    old = StationInfo(1, "SG", "SG", "surface_water", QCVN08, "river-B")
    found, (note,) = _assess("Mã trạm,Ngày lấy mẫu,COD\nSG,15/03/2016,16\n", old, lang="en")
    assert len(found) == 1
    assert note.message.startswith("1 samples were taken outside the period")
