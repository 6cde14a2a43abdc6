"""The catalogue: loaded from package data, validated, answering what real files ask."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from quantrac.catalog import get_catalog
from quantrac.catalog.admin_units import AdminUnitTable
from quantrac.catalog.media import MediaTable
from quantrac.catalog.parameters import ParameterTable
from quantrac.catalog.units import MOLAR_VOLUME_25C_L, UnitTable, convert
from quantrac.errors import (
    CatalogError,
    UnitConversionError,
    UnknownAdminUnit,
    UnknownParameter,
    UnknownUnit,
)

CAT = get_catalog()


def test_every_reference_parameter_is_loaded(shared_dir: Path) -> None:
    path = shared_dir / "reference" / "parameters-catalog.csv"
    rows = csv.DictReader(
        line for line in path.read_text("utf-8").splitlines() if not line.startswith("#")
    )
    codes = {r["code"] for r in rows}
    assert len(codes) == 90
    assert codes <= set(CAT.parameters.by_code)


# Names exactly as the real TT10 files in shared/data write them, with the station's medium.
@pytest.mark.parametrize(
    ("name", "medium", "code"),
    [
        ("NO", "ambient_air", "NO"),
        ("NO2", "ambient_air", "NO2"),
        ("NOx", "ambient_air", "NOX"),
        ("SO2", "ambient_air", "SO2"),
        ("CO", "ambient_air", "CO"),
        ("O3", "ambient_air", "O3"),
        ("PM2.5", "ambient_air", "PM25"),
        ("PM10", "ambient_air", "PM10"),
        ("Temp", "ambient_air", "TEMP"),
        ("Humidity", "ambient_air", "RH"),
        ("Pressure", "ambient_air", "PRESS"),
        ("Radiation", "ambient_air", "SOLAR_RAD"),
        ("WindSpeed", "ambient_air", "WS"),
        ("WindDir", "ambient_air", "WD"),
        ("Hg", "ambient_air", "HG_VAP"),
        ("TempIn", "ambient_air", "TEMP_IN"),
        ("Vinyl chloride", "ambient_air", "VINYL_CHLORIDE"),
        ("Butadiene", "ambient_air", "BUTADIENE"),
        ("Tetrachloroethene", "ambient_air", "PCE"),
        ("Benzen", "ambient_air", "BENZENE"),
        ("Acrylonitrile", "ambient_air", "ACRYLONITRILE"),
        ("Toluene", "ambient_air", "TOLUENE"),
        ("Ethylbenzene", "ambient_air", "ETHYLBENZENE"),
        ("Styrene", "ambient_air", "STYRENE"),
        ("m,p-Xylene", "ambient_air", "XYLENE_MP"),
        ("o-Xylene", "ambient_air", "XYLENE_O"),
        ("pH", "surface_water", "PH"),
        ("TSS", "surface_water", "TSS"),
        ("COND", "surface_water", "EC"),
        ("TURB", "surface_water", "TURB"),
        ("NO3-N", "surface_water", "NO3N"),
        ("DO", "surface_water", "DO"),
        ("Flowin", "wastewater", "FLOW_IN"),
        ("Flow_Out", "wastewater", "FLOW_OUT"),
        ("Amoni", "wastewater", "NH4"),
        ("COD", "wastewater", "COD"),
        ("Nhiệt độ", "stack_emission", "TEMP"),
        ("Flow", "stack_emission", "FLOW_GAS"),
        ("Áp suất", "stack_emission", "PRESS"),
        ("NH3", "stack_emission", "NH3"),
        ("PM", "stack_emission", "DUST"),
    ],
)
def test_real_file_names_resolve(name: str, medium: str, code: str) -> None:
    assert CAT.parameter(name, medium).code == code


@pytest.mark.parametrize(
    "spelling", ["PM2,5", "PM2.5", "pm 2.5", "PM-2-5", "Bụi PM2,5", "bui pm2.5", "PM25"]
)
def test_spellings_fold_to_one_parameter(spelling: str) -> None:
    assert CAT.parameter(spelling).code == "PM25"


@pytest.mark.parametrize(
    ("name", "medium", "code"),
    [
        ("Flow", "wastewater", "FLOW_OUT"),  # outflow is what a bare 'Flow' means at a WWTP
        ("Hg", "surface_water", "HG"),
        ("NO2-", "surface_water", "NO2N"),  # nitrite, not the gas
        ("Nhiet do", "surface_water", "TEMP"),
    ],
)
def test_medium_disambiguates(name: str, medium: str, code: str) -> None:
    assert CAT.parameter(name, medium).code == code


def test_ambiguous_name_without_medium_lists_candidates() -> None:
    with pytest.raises(UnknownParameter) as err:
        CAT.parameter("Hg")
    assert {"HG", "HG_VAP"} <= set(err.value.suggestions)
    assert "ambiguous" in str(err.value)


def test_unknown_parameter_suggests_nearest() -> None:
    with pytest.raises(UnknownParameter) as err:
        CAT.parameter("CODD")
    assert err.value.suggestions[0] == "COD"
    assert "Did you mean" in str(err.value)


@pytest.mark.parametrize(
    ("value", "source", "target", "expected"),
    [
        (1.0, "mg/L", "µg/L", 1000.0),
        (250.0, "ug/l", "mg/L", 0.25),
        (1.0, "mg/m3 (water)", "µg/L", 1.0),  # chlorophyll-a is written mg/m3 = µg/L
        (1.0, "mg/Nm3", "µg/Nm3", 1000.0),
        (3087.03, "ug/m3", "µg/Nm3", 3087.03),
        (20.0, "oC", "K", 293.15),
        (0.0, "°C", "°F", 32.0),
        (24.0, "m3/h", "m3/day", 576.0),
        (1.0, "m3/s", "m3/h", 3600.0),
        (1.5, "mS/cm", "µS/cm", 1500.0),
        (2400.0, "CFU/100mL", "MPN/100mL", 2400.0),
        (1013.25, "hPa", "kPa", 101.325),
        (760.0, "mmHg", "kPa", 101.325),
    ],
)
def test_unit_conversion(value: float, source: str, target: str, expected: float) -> None:
    got = convert([value], CAT.unit(source), CAT.unit(target))[0]
    assert got == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(
    ("code", "molar_mass"), [("SO2", 64.066), ("NO2", 46.006), ("CO", 28.010), ("O3", 47.998)]
)
def test_ppb_to_ug_per_m3_uses_molar_mass_at_25c(code: str, molar_mass: float) -> None:
    expected = 10.0 * molar_mass / MOLAR_VOLUME_25C_L
    assert CAT.to_canonical([10.0], "ppb", code, "ambient_air")[0] == pytest.approx(expected)
    assert CAT.to_canonical([expected], "µg/Nm3", code, "ambient_air")[0] == pytest.approx(expected)
    back = convert([expected], CAT.unit("µg/Nm3"), CAT.unit("ppm"), molar_mass)[0]
    assert back == pytest.approx(0.010)


def test_gas_conversion_without_molar_mass_is_refused() -> None:
    with pytest.raises(UnitConversionError, match="molar mass"):
        convert([1.0], CAT.unit("ppb"), CAT.unit("µg/Nm3"))


def test_conversion_between_dimensions_is_refused() -> None:
    with pytest.raises(UnitConversionError):
        CAT.to_canonical([1.0], "m3/h", "COD")


def test_empty_unit_means_canonical() -> None:
    assert CAT.to_canonical([7.1], "", "PH")[0] == 7.1


def test_stack_concentrations_are_stored_in_mg_per_nm3() -> None:
    assert CAT.canonical_unit("SO2", "stack_emission").symbol == "mg/Nm3"
    assert CAT.canonical_unit("SO2", "ambient_air").symbol == "µg/Nm3"


def test_unknown_unit_suggests_nearest() -> None:
    with pytest.raises(UnknownUnit) as err:
        CAT.unit("mg/LL")
    assert "mg/L" in err.value.suggestions


@pytest.mark.parametrize(
    ("file", "text", "line", "fragment"),
    [
        (
            "units.csv",
            "symbol,dimension,factor,offset,name_vi,aliases,note\n"
            "mg/L,mass,1,0,x,,\nbad,mass,-1,0,x,,\n",
            3,
            "positive",
        ),
        (
            "units.csv",
            "symbol,dimension,factor,offset,name_vi,aliases,note\nmg/L,mass,x,0,a,,\n",
            2,
            "not a number",
        ),
        ("units.csv", "# comment\nsymbol,dimension\n", 2, "missing column"),
        (
            "units.csv",
            "symbol,dimension,factor,offset,name_vi,aliases,note\na,b,1,0\n",
            2,
            "expected 7 fields",
        ),
    ],
)
def test_malformed_unit_rows_name_file_and_line(
    file: str, text: str, line: int, fragment: str
) -> None:
    with pytest.raises(CatalogError) as err:
        UnitTable.load(text)
    assert (err.value.file, err.value.line) == (file, line)
    assert fragment in err.value.message


def test_malformed_parameter_row_names_file_and_line() -> None:
    header = (
        "code,name_vi,name_en,aliases_seen,aliases_assumed,canonical_unit,media,"
        "tt10_symbol,notes,provenance\n"
    )
    text = "# c\n" + header + "COD,a,b,,,mg/L,wastewater,,,\nBAD,a,b,,,furlong,wastewater,,,\n"
    with pytest.raises(CatalogError) as err:
        ParameterTable.load(
            MediaTable.load(),
            UnitTable.load(),
            reference_text=text,
            extra_text="code,name_vi,name_en,aliases,canonical_unit,media,"
            "molar_mass_g_mol,provenance\n",
        )
    assert (err.value.file, err.value.line) == ("parameters_catalog.csv", 4)
    assert "furlong" in err.value.message


def test_unknown_medium_in_parameter_row_is_an_error() -> None:
    header = (
        "code,name_vi,name_en,aliases_seen,aliases_assumed,canonical_unit,media,"
        "tt10_symbol,notes,provenance\n"
    )
    with pytest.raises(CatalogError, match="unknown medium 'lava'"):
        ParameterTable.load(
            MediaTable.load(),
            UnitTable.load(),
            reference_text=header + "X,a,b,,,mg/L,lava,,,\n",
            extra_text="",
        )


# --- limits ---------------------------------------------------------------------------------
def test_pm25_daily_limit_depends_on_the_date() -> None:
    def limit(day: date) -> float | None:
        rules = CAT.limit_rules(regulation="QCVN 05:2023/BTNMT", parameter_code="PM25", on=day)
        (rule,) = [r for r in rules if r.averaging == "24h"]
        return rule.maximum

    assert limit(date(2025, 12, 31)) == 50
    assert limit(date(2026, 1, 1)) == 45


def test_qcvn40_rules_scale_except_ph_and_coliform() -> None:
    rules = {
        r.parameter_code: r for r in CAT.limit_rules(regulation="QCVN 40:2011/BTNMT", column="B")
    }
    assert rules["COD"].maximum == 150 and rules["COD"].scalable
    assert not rules["PH"].scalable and (rules["PH"].minimum, rules["PH"].maximum) == (5.5, 9)
    assert not rules["COLIFORM"].scalable


def test_rows_without_numbers_keep_their_meaning() -> None:
    benzidine = [r for r in CAT.limits if r.parameter_name == "Benzidine"]
    assert benzidine and benzidine[0].kind == "not_detected"
    class_d_ph = CAT.limit_rules(
        regulation="QCVN 08:2023/BTNMT", column="river-D", parameter_code="PH"
    )
    assert [r.kind for r in class_d_ph if r.column.startswith("Bảng 2")] == ["descriptive"]


def test_column_selection_includes_tables_that_always_apply() -> None:
    rules = CAT.limit_rules(regulation="QCVN 08:2023/BTNMT", column="river-B")
    columns = {r.column for r in rules}
    assert columns == {"Bảng 2 level B", "Bảng 1 (human health)"}


def test_every_limit_unit_and_code_is_known() -> None:
    for rule in CAT.limits:
        assert CAT.units.find(rule.unit) is not None, rule
        assert rule.parameter_code is None or rule.parameter_code in CAT.parameters.by_code


# --- administrative units -------------------------------------------------------------------
def test_63_provinces_before_the_merger_and_34_after() -> None:
    assert len(CAT.admin_units.valid_on(date(2025, 6, 30))) == 63
    assert len(CAT.admin_units.valid_on(date(2025, 7, 1))) == 34


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("34-2008", "Hưng Yên"),
        ("15-2008", "Lào Cai"),
        ("94-2008", "Cần Thơ"),
        ("77-2008", "Hồ Chí Minh"),
        ("46-2008", "Huế"),
        ("01-2008", "Hà Nội"),
    ],
)
def test_old_provinces_map_to_their_successor(old: str, new: str) -> None:
    assert CAT.admin_units.current_unit(old, on=date(2026, 1, 1)).name == new
    assert CAT.admin_units.current_unit(old, on=date(2024, 1, 1)).key == old


def test_reused_code_is_resolved_by_date() -> None:
    assert CAT.admin_units.find("15", on=date(2024, 1, 1)).name == "Yên Bái"
    assert CAT.admin_units.find("15", on=date(2026, 1, 1)).name == "Lào Cai"
    assert CAT.admin_units.find("ho chi minh").key == "79-2025"


def test_merged_province_knows_its_predecessors() -> None:
    names = {u.name for u in CAT.admin_units.predecessors("33-2025")}
    assert names == {"Thái Bình", "Hưng Yên"}


def test_unknown_province_suggests() -> None:
    with pytest.raises(UnknownAdminUnit) as err:
        CAT.admin_units.find("Ha Noii")
    assert "Hà Nội" in err.value.suggestions


def test_admin_unit_with_unknown_successor_is_rejected() -> None:
    text = (
        "key,code,name,kind,valid_from,valid_to,successor_key,abbrev\n"
        "a,1,A,province,2008-08-01,2025-06-30,zz,\n"
    )
    with pytest.raises(CatalogError, match="successor 'zz'"):
        AdminUnitTable.load(text)


def test_class_boundaries_are_not_limits() -> None:
    rules = CAT.limit_rules(regulation="QCVN 08:2023/BTNMT", column="river-D")
    bounds = [r for r in rules if r.kind == "class_bound"]
    assert {r.parameter_code for r in bounds} >= {"BOD5", "TOC", "TP", "TN", "COLIFORM"}
    assert not any(r.is_limit for r in bounds)
    (tss_c,) = CAT.limit_rules(
        regulation="QCVN 08:2023/BTNMT", column="river-C", parameter_code="TSS"
    )
    assert tss_c.kind == "class_bound"


@pytest.mark.parametrize(
    ("code", "medium", "unit"),
    [
        ("CD", "soil", "mg/kg"),
        ("PB", "sediment", "mg/kg"),
        ("CD", "surface_water", "mg/L"),
        ("BENZENE", "surface_water", "mg/L"),
        ("BENZENE", "ambient_air", "µg/Nm3"),
        ("SO2", "stack_emission", "mg/Nm3"),
        ("PH", "soil", "-"),
        ("TEMP", "stack_emission", "°C"),
    ],
)
def test_storage_unit_depends_on_the_medium(code: str, medium: str, unit: str) -> None:
    assert CAT.canonical_unit(code, medium).symbol == unit


def test_soil_concentration_in_a_water_unit_is_refused() -> None:
    with pytest.raises(UnitConversionError, match="mg/kg"):
        CAT.to_canonical([1.0], "mg/L", "CD", "soil")
    assert CAT.to_canonical([1.0], "g/kg", "CD", "soil")[0] == pytest.approx(1000.0)
