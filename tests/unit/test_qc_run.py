"""run_qc and its configuration: thresholds as data, overrides, planted faults end to end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from quantrac.catalog import get_catalog
from quantrac.errors import CatalogError, ConfigError, UnknownMedium, UnknownParameter
from quantrac.qc.config import (
    COLUMNS,
    DEFAULT_CROSS_RULES,
    QcConfig,
    config_for,
    cross_rules_from_dicts,
    default_thresholds,
    load_thresholds,
)
from quantrac.qc.flags import QcFlag
from quantrac.qc.run import REASONS, Series, describe_reason, reason_catalogue, run_qc
from tests.unit.test_qc_checks import AIRNOW, STEP, T0, airnow_rows, diurnal, load_airnow

REQUIRED = [
    "TEMP",
    "PH",
    "DO",
    "EC",
    "TSS",
    "TURB",
    "COD",
    "BOD5",
    "NH4",
    "NO3N",
    "FLOW_IN",
    "FLOW_OUT",
    "PM25",
    "PM10",
    "SO2",
    "NO2",
    "NO",
    "CO",
    "O3",
    "TSP",
    "DUST",
    "O2",
    "RH",
    "PRESS",
    "WS",
    "WD",
]


# --------------------------------------------------------------------------------------------
# thresholds as data
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("code", REQUIRED)
def test_every_required_parameter_has_thresholds_for_each_declared_medium(code: str) -> None:
    table = default_thresholds()
    declared = get_catalog().parameters.get(code).media
    have = {m for p, m in table if p == code}
    assert set(declared) <= have, f"{code}: no thresholds for {set(declared) - have}"
    for medium in have:
        row = table.get_thresholds(code, medium)
        assert row.source and row.gross_min is not None


@pytest.mark.parametrize(
    ("code", "medium", "low", "high"),
    [
        ("PH", "surface_water", 0, 14),
        ("DO", "surface_water", 0, 25),
        ("RH", "ambient_air", 0, 100),
        ("PM25", "ambient_air", -10, 1000),
        ("WD", "ambient_air", 0, 360),
    ],
)
def test_physical_and_sensor_bounds(code: str, medium: str, low: float, high: float) -> None:
    row = default_thresholds().get_thresholds(code, medium)
    assert (row.gross_min, row.gross_max) == (low, high)


HEADER = ",".join(COLUMNS)
GOOD_ROW = "PH,surface_water,-,0,14,3.5,10.5,1,1.5,0,24,72,,86400,pH scale"


def table_text(*rows: str) -> str:
    return "\n".join(["# comment line", HEADER, *rows]) + "\n"


def test_loader_accepts_a_good_row() -> None:
    table = load_thresholds(table_text(GOOD_ROW))
    row = table.get_thresholds("PH", "surface_water")
    assert row.flat_suspect_count == 24 and row.flat_suspect_seconds is None and row.line == 3


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("PH,surface_water,-,0,abc,3.5,10.5,1,1.5,0,24,72,,86400,x", "not a number"),
        ("PH,surface_water,-,14,0,,,,,,,,,,x", "gross_min 14.0 is above gross_max"),
        ("PH,surface_water,-,0,14,-1,10,,,,,,,,x", "plausible_min is below gross_min"),
        ("PHH,surface_water,-,0,14,,,,,,,,,,x", "Unknown parameter 'PHH'"),
        ("PH,ambient_air,-,0,14,,,,,,,,,,x", "not measured in medium"),
        ("PH,surface_water,mg/L,0,14,,,,,,,,,,x", "not the canonical unit"),
        ("PH,surface_water,-,0,14,,,,,,,,,,", "every row must say why"),
        ("PH,surface_water,-,0,14,,,,,0,1,,,,x", "at least 2 readings"),
        ("PH,surface_water,-,0,14,,,,,0,10,5,,,x", "flat_bad_count 5 is below"),
        ("PH,surface_water,-,0,14,,,,,,10,,,,x", "needs flat_tolerance"),
        ("PH,surface_water,-,0,14,,,-1,,,,,,,x", "spike must be > 0"),
        ("PH,surface_water,-,0,14,,,,,0,2.5,,,,x", "not a whole number"),
        ("PH,surface_water,-,0,14,,,,,,,,,x", "expected 15 fields"),
        ("PH,surface_water,-,0,nan,,,,,,,,,,x", "finite"),
    ],
)
def test_loader_rejects_malformed_rows_with_file_and_line(row: str, message: str) -> None:
    with pytest.raises(CatalogError, match=message) as err:
        load_thresholds(table_text(row))
    assert err.value.file == "qc_thresholds.csv" and err.value.line == 3


def test_loader_rejects_duplicate_rows_and_missing_columns() -> None:
    with pytest.raises(CatalogError, match="already on line 3") as err:
        load_thresholds(table_text(GOOD_ROW, GOOD_ROW))
    assert err.value.line == 4
    with pytest.raises(CatalogError, match="missing column"):
        load_thresholds("parameter,medium,unit\nPH,surface_water,-\n")


def test_station_overrides_merge_and_validate() -> None:
    table = default_thresholds().with_overrides(
        {"FLOW_OUT": {"gross_max": 250.0}, "COD": {"spike": None, "flat_suspect_count": 48}}
    )
    flow = table.get_thresholds("FLOW_OUT", "wastewater")
    cod = table.get_thresholds("COD", "wastewater")
    assert flow.gross_max == 250.0 and "station override" in flow.source
    assert cod.spike is None and cod.flat_suspect_count == 48
    assert default_thresholds().get_thresholds("COD", "wastewater").spike == 100  # unchanged


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"COD": {"spik": 5}}, ConfigError, "did you mean spike"),
        ({"COD": {"gross_min": 10, "gross_max": 5}}, ConfigError, "above gross_max"),
        ({"COD": {"spike": "high"}}, ConfigError, "not a number"),
        ({"COD": {"flat_bad_count": 2.5}}, ConfigError, "not whole"),
        ({"CODD": {"spike": 5}}, UnknownParameter, "CODD"),
    ],
)
def test_bad_overrides_raise(overrides: dict, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        config_for("COD", "wastewater", overrides=overrides)


def test_unknown_pair_suggests() -> None:
    with pytest.raises(UnknownParameter, match="PM25"):
        default_thresholds().get_thresholds("PM2.5", "ambient_air")
    with pytest.raises(UnknownMedium):
        default_thresholds().get_thresholds("PM25", "wastewater")


def test_config_rejects_unknown_check_and_setting() -> None:
    with pytest.raises(ConfigError, match="unknown QC check"):
        config_for("COD", "wastewater", checks=frozenset({"spike", "vibes"}))
    with pytest.raises(ConfigError, match="nwo"):
        config_for("COD", "wastewater", nwo=0)
    numpy_number = config_for("COD", "wastewater", overrides={"COD": {"spike": np.int64(80)}})
    assert numpy_number.thresholds.spike == 80.0


# --------------------------------------------------------------------------------------------
# clean series: no flags
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "medium", "level", "amp", "noise", "decimals"),
    [
        ("COD", "wastewater", 55, 10, 1.5, 1),
        ("TSS", "wastewater", 30, 6, 1.0, 1),
        ("NH4", "wastewater", 4, 1, 0.08, 2),
        ("PH", "wastewater", 7.2, 0.2, 0.02, 2),
        ("TEMP", "surface_water", 28, 1.5, 0.05, 2),
        ("DO", "surface_water", 6.5, 1.5, 0.1, 2),
        ("PM25", "ambient_air", 45, 15, 4.0, 1),
        ("SO2", "stack_emission", 300, 50, 10, 1),
        ("FLOW_OUT", "wastewater", 40, 10, 0.8, 1),
    ],
)
def test_clean_diurnal_series_gets_no_flags(
    code: str, medium: str, level: float, amp: float, noise: float, decimals: int
) -> None:
    t, v = diurnal(n=2016, level=level, amp=amp, noise=noise, decimals=decimals)
    result = run_qc(
        Series(code, medium, t, v, status=["00"] * len(t)),
        config_for(code, medium, now=int(t[-1]) + 60),
    )
    assert result.flagged().size == 0
    assert set(np.unique(result.flags).tolist()) == {QcFlag.GOOD}
    assert all(r == () for r in result.reasons)


# --------------------------------------------------------------------------------------------
# planted faults end to end
# --------------------------------------------------------------------------------------------
def test_run_qc_flags_exactly_the_planted_faults() -> None:
    t, v = diurnal(n=2016, level=55, amp=10, noise=1.5)  # one week of COD, 5-min
    status = np.array(["00"] * t.size, dtype=object)
    planted: dict[int, set[str]] = {}

    def plant(index: int, reason: str) -> None:
        planted.setdefault(index, set()).add(reason)

    for i, jump in ((100, 150.0), (900, 180.0)):  # spikes (COD threshold 100 mg/L)
        v[i] += jump
        plant(i, "spike")
    v[400:430] = 61.3  # stuck sensor: 30 readings (suspect ≥ 24)
    for i in range(400, 430):
        plant(i, "flat_line")
    v[600] = 6000.0  # beyond the analyser's range (and a spike)
    plant(600, "gross_range")
    plant(600, "spike")
    status[700:712] = "01"  # calibration hour
    for i in range(700, 712):
        plant(i, "status_calibrating")
    status[800:803] = "02"  # device fault
    for i in range(800, 803):
        plant(i, "status_device_error")
    status[850] = "03"  # maintenance: not a TT10 code
    plant(850, "status_unknown")
    t[1000] = t[999]  # re-sent record with a different value
    plant(999, "duplicate_time")
    plant(1000, "duplicate_time")
    t[1200:] += 90  # clock jump by 90 s
    plant(1200, "clock_jump")
    t[1500], t[1501] = t[1501] + 0, t[1500]  # two rows swapped in transmission
    plant(1500, "out_of_order_time")
    plant(1501, "out_of_order_time")
    now = int(t[2009])
    t[2010:] += 86400  # stamped a day ahead
    for i in range(2010, 2016):
        plant(i, "future_time")
    v[1700] = np.nan

    result = run_qc(
        Series("COD", "wastewater", t, v, status=status), config_for("COD", "wastewater", now=now)
    )
    assert set(result.flagged().tolist()) == set(planted)
    for i, reasons in planted.items():
        assert set(result.reasons[i]) == reasons, i
    assert result.flags[1700] == QcFlag.MISSING and result.reasons[1700] == ("missing",)
    assert result.flags[600] == QcFlag.BAD and result.flags[400] == QcFlag.SUSPECT
    assert result.flags[700] == QcFlag.BAD and result.flags[850] == QcFlag.SUSPECT
    assert result.flags[2010] == QcFlag.BAD and result.flags[1200] == QcFlag.SUSPECT


def test_value_after_a_spike_is_not_blamed_by_rate_of_change() -> None:
    t, v = diurnal(n=300, noise=0.5)
    v[150] += 200.0
    cfg = config_for("COD", "wastewater", overrides={"COD": {"spike": 30, "rate_per_hour": 200}})
    result = run_qc(Series("COD", "wastewater", t, v), cfg)
    assert result.flagged().tolist() == [150]
    assert result.checks["rate_of_change"].flags[151] == QcFlag.GOOD  # judged against 149


def test_late_row_is_judged_against_its_real_neighbours() -> None:
    t, v = diurnal(n=300, noise=0.5)
    order = np.r_[0:100, 101:110, 100, 110:300]  # row for slot 100 arrives 9 rows late
    result = run_qc(
        Series("COD", "wastewater", t[order], v[order]), config_for("COD", "wastewater")
    )
    assert result.flagged().tolist() == [109]
    assert result.reasons[109] == ("out_of_order_time",)


@pytest.mark.parametrize(
    ("parameter", "other", "values", "other_values", "code", "flagged"),
    [
        ("PM25", "PM10", [30, 40, 50, 60], [35, 40, 45, 80], "pm25_gt_pm10", {2}),
        ("PM10", "PM25", [35, 40, 45, 80], [30, 40, 50, 60], "pm25_gt_pm10", {2}),
        ("BOD5", "COD", [20, 60, 30, 10], [50, 50, 50, 50], "bod5_gt_cod", {1}),
    ],
)
def test_cross_rules_flag_both_participants_when_asked(
    parameter: str,
    other: str,
    values: list[float],
    other_values: list[float],
    code: str,
    flagged: set[int],
) -> None:
    medium = "ambient_air" if parameter.startswith("PM") else "wastewater"
    t = T0 + 3600 * np.arange(4)
    others = {other: Series(other, medium, t, np.array(other_values, float))}
    result = run_qc(
        Series(parameter, medium, t, np.array(values, float)), config_for(parameter, medium), others
    )
    assert set(result.flagged().tolist()) == flagged
    assert all(code in result.reasons[i] for i in flagged)


def test_do_saturation_rule_with_temperature_series() -> None:
    t = T0 + STEP * np.arange(6)
    temp = Series("TEMP", "surface_water", t, np.array([28.0, 28.0, 28.0, 28.0, 28.0, np.nan]))
    do = np.array([7.0, 11.5, 11.6, 8.0, 7.5, 20.0])  # 1.5 × DO_sat(28 °C) = 11.53 mg/L
    result = run_qc(
        Series("DO", "surface_water", t, do), config_for("DO", "surface_water"), {"TEMP": temp}
    )
    flagged = set(np.flatnonzero(result.reason_masks["do_gt_saturation"]).tolist())
    assert flagged == {2}  # row 5 has no temperature: not evaluated by this rule
    # …and the temperature series is not blamed for it
    temp_result = run_qc(
        temp, config_for("TEMP", "surface_water"), {"DO": Series("DO", "surface_water", t, do)}
    )
    assert "do_gt_saturation" not in temp_result.reason_masks


def test_cross_rules_extend_as_data() -> None:
    rules = DEFAULT_CROSS_RULES + cross_rules_from_dicts(
        [
            {
                "code": "no_gt_5x_no2",
                "subject": "NO",
                "reference": "NO2",
                "factor": 5.0,
                "flag": "bad",
                "media": ["ambient_air"],
                "description_vi": "NO vượt 5 lần NO2",
                "description_en": "NO above 5 × NO2",
            }
        ]
    )
    t = T0 + 3600 * np.arange(3)
    result = run_qc(
        Series("NO", "ambient_air", t, np.array([10.0, 100.0, 50.0])),
        config_for("NO", "ambient_air", cross_rules=rules),
        {"NO2": Series("NO2", "ambient_air", t, np.array([10.0, 10.0, 10.0]))},
    )
    assert result.flagged().tolist() == [1] and result.flags[1] == QcFlag.BAD
    assert result.describe(1, "vi") == ["NO vượt 5 lần NO2"]
    with pytest.raises(ConfigError, match="unknown field"):
        cross_rules_from_dicts([{"code": "x", "subject": "A", "reference": "B", "colour": 1}])
    with pytest.raises(ConfigError, match="flag"):
        cross_rules_from_dicts([{"code": "x", "subject": "A", "reference": "B", "flag": "meh"}])


# --------------------------------------------------------------------------------------------
# reasons, validation, purity
# --------------------------------------------------------------------------------------------
def test_every_reason_has_vietnamese_and_english_text() -> None:
    catalogue = reason_catalogue(DEFAULT_CROSS_RULES)
    for code, reason in catalogue.items():
        assert reason.vi and reason.en and reason.vi != reason.en, code
    assert describe_reason("flat_line", "en") == "Same value for too long (sensor may be stuck)"
    assert describe_reason("pm25_gt_pm10", "vi").startswith("PM2,5 lớn hơn PM10")
    with pytest.raises(KeyError):
        describe_reason("vibes")


def test_checks_only_emit_catalogued_reasons() -> None:
    t, v = diurnal(n=400)
    v[10], v[20:80], v[100] = 9000.0, 3.0, np.nan  # 30 measured (status 00/07) values
    t[200] = t[199]
    result = run_qc(
        Series("COD", "wastewater", t, v, status=["00", "01", "02", "07"] * 100),
        config_for("COD", "wastewater", now=int(t[300])),
    )
    assert set(result.reason_masks) <= set(REASONS)
    assert {"gross_range", "flat_line", "missing", "status_unknown", "future_time"} <= set(
        result.reason_masks
    )


def test_run_qc_validates_inputs_and_never_modifies_them() -> None:
    t, v = diurnal(n=100)
    t.flags.writeable = False
    v.flags.writeable = False
    cfg = config_for("COD", "wastewater", now=int(t[-1]))
    run_qc(Series("COD", "wastewater", t, v, status=np.array(["00"] * 100)), cfg)
    with pytest.raises(Exception, match="items but the values have"):
        run_qc(Series("COD", "wastewater", t[:-1], v), cfg)
    with pytest.raises(Exception, match="integer epoch seconds"):
        run_qc(Series("COD", "wastewater", t.astype(float), v), cfg)
    with pytest.raises(Exception, match="status has shape"):
        run_qc(Series("COD", "wastewater", t, v, status=["00"]), cfg)


def test_selected_checks_only() -> None:
    t, v = diurnal(n=100)
    v[50] += 500
    cfg = QcConfig(
        default_thresholds().get_thresholds("COD", "wastewater"), checks=frozenset({"timestamp"})
    )
    result = run_qc(Series("COD", "wastewater", t, v), cfg)
    assert set(result.checks) == {"timestamp"} and result.flagged().size == 0


# --------------------------------------------------------------------------------------------
# real data
# --------------------------------------------------------------------------------------------
def test_real_bam_full_scale_and_floor_readings_are_flagged(shared_dir: Path) -> None:
    """The HCMC BAM monitor reported 985 µg/m³ (its full scale) for hours at a time, and −15
    (its floor); the provider marked them Invalid. Every one of them must be flagged."""
    _, t, v = load_airnow(shared_dir / AIRNOW / "HoChiMinhCity_PM2.5_2017_YTD.csv")
    result = run_qc(Series("PM25", "ambient_air", t, v), config_for("PM25", "ambient_air"))
    limits = np.flatnonzero((v >= 985) | (v <= -15))
    assert limits.size > 100
    assert np.isin(limits, result.flagged()).all()
    share = result.flagged().size / np.count_nonzero(~np.isnan(v))
    assert share < 0.05  # the rest of the year is mostly fine


def test_automatic_qc_agrees_with_the_providers_review(shared_dir: Path) -> None:
    """Against the State Department's own QC column over all files: most rows it marked
    Invalid are flagged, almost none of those it kept Valid are."""
    hits = {"Valid": [0, 0], "Invalid": [0, 0]}
    for path in sorted((shared_dir / AIRNOW).glob("*.csv")):
        _, t, v = load_airnow(path)
        names = np.array([row[-1] for row in airnow_rows(path)])
        result = run_qc(Series("PM25", "ambient_air", t, v), config_for("PM25", "ambient_air"))
        flagged = np.zeros(v.size, dtype=bool)
        flagged[result.flagged()] = True
        for name, tally in hits.items():
            rows = (names == name) & ~np.isnan(v)
            tally[0] += int(flagged[rows].sum())
            tally[1] += int(rows.sum())
    invalid_caught = hits["Invalid"][0] / hits["Invalid"][1]
    valid_flagged = hits["Valid"][0] / hits["Valid"][1]
    print(f"\nInvalid rows flagged {invalid_caught:.1%}, Valid rows flagged {valid_flagged:.2%}")
    assert invalid_caught >= 0.8
    assert valid_flagged <= 0.01


def test_values_after_a_calibration_are_not_compared_with_the_calibration_standard() -> None:
    """Calibrating against a pH 4 buffer: the readings under status 01 are bad by status
    alone, and the first normal reading afterwards is not a 'jump' from 4 back to 7."""
    from quantrac.qc.config import config_for
    from quantrac.qc.run import Series, run_qc

    n = 48
    times = np.arange(n, dtype=np.int64) * 300
    values = 7.1 + 0.01 * np.sin(np.arange(n))
    status = np.array(["00"] * n)
    values[20:26] = 4.01
    status[20:26] = "01"
    result = run_qc(
        Series("PH", "surface_water", times, values, status), config_for("PH", "surface_water")
    )
    flagged = set(result.flagged().tolist())
    assert flagged == set(range(20, 26))
    assert all(result.reasons[i] == ("status_calibrating",) for i in range(20, 26))
