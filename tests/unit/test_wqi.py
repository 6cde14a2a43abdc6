"""VN_WQI (Decision 1460/QĐ-TCMT, reconstructed) — every table row and boundary.

The tables are transcribed here a second time from vn-wqi-1460-2019.md, so a corrupted
package CSV fails instead of being checked against itself. The aggregation variants and the
sufficiency rule are UNVERIFIED against the decision; these tests pin the implemented rule.
"""

from __future__ import annotations

import math

import pytest

from quantrac.catalog import index_tables
from quantrac.errors import CatalogError, UnknownParameter
from quantrac.indices import wqi

# parameter: (first op, BP for q = 100, 75, 50, 25, last op, BP for q = 10)
DECREASING: dict[str, tuple[str, float, float, float, float, str, float]] = {
    "BOD5": ("le", 4, 6, 15, 25, "ge", 50),
    "COD": ("le", 10, 15, 30, 50, "ge", 150),
    "TOC": ("le", 4, 6, 15, 25, "ge", 50),
    "N-NH4": ("lt", 0.3, 0.3, 0.6, 0.9, "ge", 5),
    "N-NO3": ("le", 2, 5, 10, 15, "gt", 15),
    "P-PO4": ("le", 0.1, 0.2, 0.3, 0.5, "ge", 4),
    "Coliform": ("le", 2500, 5000, 7500, 10000, "gt", 10000),
    "E.coli": ("le", 20, 50, 100, 200, "gt", 200),
    "As": ("le", 0.01, 0.02, 0.05, 0.1, "gt", 0.1),
    "Cd": ("lt", 0.005, 0.005, 0.008, 0.01, "ge", 0.1),
    "Pb": ("lt", 0.02, 0.02, 0.04, 0.05, "ge", 0.5),
    "Cr6+": ("le", 0.01, 0.02, 0.04, 0.05, "ge", 0.1),
    "Cu": ("le", 0.1, 0.2, 0.5, 1.0, "ge", 2),
    "Zn": ("le", 0.5, 1.0, 1.5, 2.0, "ge", 3),
    "Hg": ("lt", 0.001, 0.001, 0.0015, 0.002, "ge", 0.01),
}


def _decreasing_cases() -> list[tuple[str, float, float]]:
    cases: list[tuple[str, float, float]] = []
    for name, (first_op, b100, b75, b50, b25, last_op, b10) in DECREASING.items():
        cases += [(name, 0.0, 100), (name, b100 * 0.5, 100)]
        if first_op == "le":
            cases += [(name, b100, 100), (name, (b100 + b75) / 2, 87.5)]
        else:  # "<x → 100", at x → 75: the jump of N-NH4, Cd, Pb, Hg
            cases += [(name, b100 * (1 - 1e-9), 100), (name, b100, 75)]
        cases += [(name, b75, 75), (name, (b75 + b50) / 2, 62.5), (name, b50, 50)]
        cases += [(name, (b50 + b25) / 2, 37.5), (name, b25, 25), (name, b10 * 2, 10)]
        if last_op == "ge":
            cases += [(name, (b25 + b10) / 2, 17.5), (name, b10, 10)]
        else:  # "> x → 10" with x the q = 25 node: a jump from 25 to 10
            cases += [(name, b10 * (1 + 1e-9), 10)]
    return cases


@pytest.mark.parametrize(("parameter", "value", "expected"), _decreasing_cases())
def test_decreasing_tables(parameter: str, value: float, expected: float) -> None:
    assert wqi.sub_index(parameter, value) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("parameter", "threshold"),
    [("Aldrin", 0.1), ("BHC", 0.02), ("Dieldrin", 0.1), ("DDTs", 1.0),
     ("Heptachlor & Heptachlorepoxide", 0.2), ("N-NO2", 0.05)],
)  # fmt: skip
def test_step_tables(parameter: str, threshold: float) -> None:
    """Group II pesticides and N-NO2: ≤ threshold → 100, above → 10."""
    assert wqi.sub_index(parameter, 0.0) == 100
    assert wqi.sub_index(parameter, threshold) == 100
    assert wqi.sub_index(parameter, threshold * 1.01) == 10
    assert wqi.sub_index(parameter, threshold * 100) == 10


@pytest.mark.parametrize(
    ("ph", "expected"),
    [(3.0, 10), (5.4999, 10), (5.5, 50), (5.75, 75), (6.0, 100), (7.0, 100), (8.5, 100),
     (8.75, 75), (9.0, 50), (9.0001, 10), (12.0, 10)],
)  # fmt: skip
def test_ph(ph: float, expected: float) -> None:
    assert wqi.sub_index("pH", ph) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("percent", "expected"),
    [(5, 10), (19.999, 10), (20, 25), (35, 37.5), (50, 50), (62.5, 62.5), (75, 75),
     (81.5, 87.5), (88, 100), (100, 100), (112, 100), (118.5, 87.5), (125, 75), (137.5, 62.5),
     (150, 50), (175, 37.5), (200, 25), (200.001, 10), (300, 10)],
)  # fmt: skip
def test_do_percent_saturation_table(percent: float, expected: float) -> None:
    assert wqi.sub_index("DO", percent) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("temperature", "saturation"),
    [(0.0, 14.652), (20.0, 9.021808), (25.0, 8.17565625), (30.0, 7.437402)],
)
def test_do_saturation(temperature: float, saturation: float) -> None:
    """DO_sat = 14.652 − 0.41022T + 0.0079910T² − 0.000077774T³ (hand-computed values)."""
    assert wqi.do_saturation(temperature) == pytest.approx(saturation, rel=1e-7)


def test_do_mg_l_goes_through_saturation() -> None:
    percent = wqi.do_percent_saturation(7.095, 25.0)
    assert percent == pytest.approx(7.095 / 8.17565625 * 100)
    result = wqi.compute_wqi(
        {"DO": 7.095, "BOD5": 4, "COD": 10, "pH": 7, "Coliform": 100}, temperature_c=25.0
    )
    assert result.do_saturation_percent == pytest.approx(percent)
    assert result.sub_indices["DO"] == pytest.approx(75 + 25 * (percent - 75) / 13)


def test_do_without_temperature_is_skipped() -> None:
    result = wqi.compute_wqi({"DO": 7.0, "BOD5": 4, "COD": 10, "TOC": 3, "pH": 7, "E.coli": 10})
    assert "DO" not in result.sub_indices
    assert any("temperature" in n for n in result.notes)
    assert result.value == 100


# Scores chosen so each formula is easy to check by hand.
SCORES = {"I": 100.0, "III": 80.0, "IV": 60.0, "V": 50.0}


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        ("a", 0.8 * math.sqrt(60 * 50)),  # (I/100)(II/100)(III/100)·(IV·V)^(1/2), II absent = 100
        ("b", 0.8 * (60**2 * 50) ** (1 / 3)),  # …·(IV²·V)^(1/3)
        ("c", 0.8 * 60),  # …·IV
    ],
)
def test_aggregation_variants(variant: str, expected: float) -> None:
    assert wqi.combine(SCORES, variant) == pytest.approx(expected)


def test_group_scores_means() -> None:
    subs = {"pH": 75.0, "Aldrin": 100.0, "BHC": 10.0, "Cu": 90.0, "Zn": 40.0,
            "BOD5": 90.0, "COD": 60.0, "N-NH4": 30.0, "Coliform": 75.0, "E.coli": 25.0}  # fmt: skip
    scores = wqi.group_scores(subs)
    assert scores == pytest.approx(
        {"I": 75.0, "II": math.sqrt(1000), "III": 60.0, "IV": 60.0, "V": 50.0}
    )


# A full sample with hand-computed sub-indices:
# pH 8.75 → 75; Aldrin 0.05 → 100, BHC 0.03 → 10; Cu 0.15 → 87.5, Zn 0.5 → 100;
# BOD5 5 → 87.5, COD 20 → 66.67, N-NH4 0.3 → 75; Coliform 5000 → 75, E.coli 35 → 87.5.
SAMPLE = {"pH": 8.75, "Aldrin": 0.05, "BHC": 0.03, "Cu": 0.15, "Zn": 0.5, "BOD5": 5.0,
          "COD": 20.0, "NH4": 0.3, "COLIFORM": 5000.0, "E.coli": 35.0}  # fmt: skip
GROUP_II = math.sqrt(100 * 10)
GROUP_III = math.sqrt(87.5 * 100)
GROUP_IV = (87.5 + (75 - 25 * 5 / 15) + 75) / 3
GROUP_V = (75 + 87.5) / 2
FACTOR = 0.75 * GROUP_II / 100 * GROUP_III / 100


@pytest.mark.parametrize(
    ("values", "variant", "chosen", "raw"),
    [
        (SAMPLE, "auto", "a", FACTOR * math.sqrt(GROUP_IV * GROUP_V)),
        (SAMPLE, "b", "b", FACTOR * (GROUP_IV**2 * GROUP_V) ** (1 / 3)),
        (SAMPLE, "c", "c", FACTOR * GROUP_IV),
        ({k: v for k, v in SAMPLE.items() if k not in ("COLIFORM", "E.coli")}, "auto", "c",
         FACTOR * GROUP_IV),
    ],
)  # fmt: skip
def test_compute_wqi_sample(
    values: dict[str, float], variant: str, chosen: str, raw: float
) -> None:
    result = wqi.compute_wqi(values, variant=variant)
    assert result.variant == chosen
    assert result.raw == pytest.approx(raw)
    assert result.value == math.floor(raw + 0.5)
    assert result.category is not None
    assert result.category.contains(result.value)
    assert result.group_scores["IV"] == pytest.approx(GROUP_IV)
    assert result.sub_indices["N-NH4"] == 75  # catalogue code NH4 resolved to the table name
    assert "not verified" in result.caveat


def test_absent_groups_count_as_neutral() -> None:
    result = wqi.compute_wqi({"BOD5": 5, "COD": 20, "TOC": 4, "pH": 7, "E.coli": 10})
    assert result.neutral_groups == ("II", "III")
    assert result.raw == pytest.approx(math.sqrt(((87.5 + 66.666667 + 100) / 3) * 100), rel=1e-6)


@pytest.mark.parametrize(
    ("values", "kwargs", "reason"),
    [
        ({"BOD5": 5, "COD": 20, "pH": 7, "E.coli": 10}, {}, "group IV has 2"),
        ({"pH": 7, "Cu": 0.1, "E.coli": 10}, {}, "group IV has 0"),
        ({"BOD5": 5, "COD": 20, "TOC": 4}, {}, "1 group(s)"),
        ({"BOD5": 5, "COD": 20, "TOC": 4, "E.coli": 10}, {}, "2 group(s)"),
        ({"BOD5": 5, "COD": 20, "TOC": 4, "pH": 7, "Cu": 0.1}, {"variant": "a"}, "needs group V"),
        (
            {"BOD5": 5, "COD": 20, "TOC": 4, "pH": 7, "Cu": 0.1, "Aldrin": None},
            {"variant": "b"},
            "needs group V",
        ),
        ({"BOD5": 5, "COD": 20, "TOC": 4, "pH": 7}, {"min_groups": 2}, None),
        ({"BOD5": 5, "COD": 20, "pH": 7, "Cu": 0.1}, {"min_group_iv_parameters": 2}, None),
    ],
)
def test_sufficiency(
    values: dict[str, float | None], kwargs: dict[str, object], reason: str | None
) -> None:
    result = wqi.compute_wqi(values, **kwargs)  # type: ignore[arg-type]
    if reason is None:
        assert result.value is not None
        assert result.reason is None
    else:
        assert result.value is None
        assert result.category is None
        assert result.reason is not None
        assert reason in result.reason


def test_input_errors() -> None:
    with pytest.raises(UnknownParameter) as info:
        wqi.compute_wqi({"BOD": 5})
    assert "BOD5" in info.value.suggestions
    with pytest.raises(ValueError, match="negative"):
        wqi.sub_index("COD", -1)
    with pytest.raises(ValueError, match="variant"):
        wqi.compute_wqi({"COD": 1}, variant="d")
    with pytest.raises(ValueError, match="twice"):
        wqi.compute_wqi({"NH4": 0.1, "N-NH4": 0.1})


@pytest.mark.skip(
    reason="tranxuanthuy/vnwqi regression vectors (WQI 20 and 34): the reference lists only some "
    "inputs (T, DO, N-NO2), not enough to rebuild the samples"
)
def test_third_party_regression_vectors() -> None:  # pragma: no cover
    pass


@pytest.mark.parametrize(
    ("value", "label_vi", "rgb"),
    [(0, "Ô nhiễm rất nặng", (126, 0, 35)), (9, "Ô nhiễm rất nặng", (126, 0, 35)),
     (10, "Kém", (255, 0, 0)), (25, "Kém", (255, 0, 0)),
     (26, "Xấu", (255, 126, 0)), (50, "Xấu", (255, 126, 0)),
     (51, "Trung bình", (255, 255, 0)), (75, "Trung bình", (255, 255, 0)),
     (76, "Tốt", (0, 228, 0)), (90, "Tốt", (0, 228, 0)),
     (91, "Rất tốt", (51, 51, 255)), (100, "Rất tốt", (51, 51, 255))],
)  # fmt: skip
def test_category_band_edges(value: int, label_vi: str, rgb: tuple[int, int, int]) -> None:
    category = wqi.wqi_category(value)
    assert category is not None
    assert (category.label_vi, category.rgb) == (label_vi, rgb)


def test_category_outside_scale() -> None:
    assert wqi.wqi_category(101) is None


# ---- Table loading ----------------------------------------------------------------------

HEADER = "group,parameter,unit,row_i,q_i,bp,op,note\n"
GOOD_ROWS = [
    "I,pH,pH,1,10,5.5,lt,",
    "I,pH,pH,2,100,6,eq,",
    "I,pH,pH,3,10,9,gt,",
    "II,Aldrin,ug/L,1,100,0.1,le,",
    "III,As,mg/L,1,100,0.01,le,",
    "III,As,mg/L,2,10,0.1,ge,",
    "IV,BOD5,mg/L,1,100,4,le,",
    "IV,BOD5,mg/L,2,10,50,ge,",
    "V,E.coli,MPN/100mL,1,100,20,le,",
    "V,E.coli,MPN/100mL,2,10,200,gt,",
]


def test_parse_valid_wqi_tables() -> None:
    tables = index_tables.parse_wqi_tables(HEADER + "\n".join(GOOD_ROWS) + "\n")
    aldrin = tables["Aldrin"].rows
    assert [(r.q, r.bp, r.op) for r in aldrin] == [(100, 0.1, "le"), (10, 0.1, "gt")]


@pytest.mark.parametrize(
    ("index", "row", "message"),
    [
        (0, "VI,pH,pH,1,10,5.5,lt,", "group"),
        (0, "I,pH,pH,1,10,5.5,below,", "op"),
        (0, "I,pH,pH,1,0,5.5,lt,", "outside"),
        (0, "I,pH,pH,1,10,x,lt,", "not a number"),
        (1, "I,pH,pH,1,100,6,eq,", "out of order"),
        (1, "I,pH,mg/L,2,100,6,eq,", "group/unit"),
        (2, "I,pH,pH,3,10,9,eq,", "last row"),
        (2, "I,pH,pH,3,10,5,gt,", "decrease"),
        (0, "I,pH,pH,1,10,5.5,eq,", "first row"),
        (3, "II,Aldrin,ug/L,1,100,0.1,lt,", "one-row"),
    ],
)
def test_malformed_wqi_tables(index: int, row: str, message: str) -> None:
    rows = list(GOOD_ROWS)
    rows[index] = row
    with pytest.raises(CatalogError, match=message) as info:
        index_tables.parse_wqi_tables(HEADER + "\n".join(rows) + "\n")
    assert info.value.file == "vn_wqi_tables.csv"
    assert info.value.line >= 2


def test_missing_group_is_rejected() -> None:
    rows = [r for r in GOOD_ROWS if not r.startswith("V,")]
    with pytest.raises(CatalogError, match="group"):
        index_tables.parse_wqi_tables(HEADER + "\n".join(rows) + "\n")


def test_package_tables_cover_every_parameter() -> None:
    names = set(index_tables.wqi_tables())
    expected = {*DECREASING, "pH", "DO", "N-NO2", "Aldrin", "BHC", "Dieldrin", "DDTs",
                "Heptachlor & Heptachlorepoxide"}  # fmt: skip
    assert names == expected
    assert set(wqi.CATALOG_CODES.values()) == names
