"""The demo's data files: every station's data source exists, each generated profile gives
the VN_AQI / VN_WQI band its name promises, and generated values are reproducible."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from quantrac.demo import (
    GENERATED_SERIES,
    PROFILES,
    REAL_PM25,
    STATION_DATA,
    STATIONS,
    VN_TZ,
    airnow_rows,
    generated_readings,
)
from quantrac.indices import aqi, wqi


def test_station_table_is_consistent() -> None:
    codes = [s.code for s in STATIONS]
    assert len(codes) == len(set(codes))
    for source in STATION_DATA.values():
        kind, _, name = source.partition(":")
        assert kind in ("profile", "airnow"), source
        assert kind != "profile" or name in PROFILES, source
    assert set(REAL_PM25) == {"HN_DSQ_KK", "HCM_LSQ_KK"}
    media = {s.medium for s in STATIONS if s.visibility == "public"}
    assert {"ambient_air", "surface_water"} <= media
    provinces = {s.admin_unit for s in STATIONS if s.visibility == "public"}
    assert len(provinces) >= 10  # a map worth looking at, not one city
    for s in STATIONS:
        if s.code in GENERATED_SERIES:
            assert s.notes and "generated" in s.notes


def test_existing_stations_keep_their_series_order() -> None:
    """Reloading an old demo store must not revise its values: the first models of the
    original three generated stations stay in their original order."""
    assert [m.parameter for m in GENERATED_SERIES["HN_NHUE_NM"]][:7] == [
        "Temp",
        "pH",
        "DO",
        "TSS",
        "COD",
        "NH4",
        "EC",
    ]
    assert GENERATED_SERIES["HN_DET_NT"][0].parameter == "Flow_Out"
    assert [m.parameter for m in GENERATED_SERIES["NB_XM_KT"]][-1] == "Flow"


@pytest.mark.parametrize(
    ("profile", "category"),
    [
        ("air_good", "Good"),
        ("air_moderate", "Moderate"),
        ("air_poor", "Poor"),
        ("air_bad", "Bad"),
        ("air_very_bad", "Very bad"),
    ],
)
def test_air_profiles_aim_at_their_aqi_band(profile: str, category: str) -> None:
    """PM decides (the other pollutants are kept well below their PM-level AQIx)."""
    means = {m.parameter: m.mean for m in PROFILES[profile]}
    result = aqi.daily_aqi({"pm25": means["PM25"], "pm10": means["PM10"]})
    assert "pm25" in result.dominant
    assert result.category is not None and result.category.label_en == category


@pytest.mark.parametrize(
    ("profile", "category"),
    [
        ("river_very_good", "Very good"),
        ("river_good", "Good"),
        ("river_medium", "Medium"),
        ("river_bad", "Bad"),
        ("river_poor", "Poor"),
    ],
)
def test_river_profiles_aim_at_their_wqi_band(profile: str, category: str) -> None:
    codes = {"pH": "PH"}
    means = {codes.get(m.parameter, m.parameter): m.mean for m in PROFILES[profile]}
    temperature = means.pop("Temp")
    result = wqi.compute_wqi(means, temperature_c=temperature, min_groups=3)
    assert result.category is not None and result.category.label_en == category


def test_generated_values_are_reproducible_day_by_day() -> None:
    end = datetime(2026, 3, 10, 12, 0, tzinfo=VN_TZ)
    models = GENERATED_SERIES["HN_HONG_NM"]
    first = list(generated_readings("HN_HONG_NM", models, end, 2, step_s=900))
    later = list(generated_readings("HN_HONG_NM", models, end + timedelta(days=1), 3, step_s=900))
    assert first and {r.time for r in first} <= {r.time for r in later}
    again = {(r.parameter, r.time): r.value for r in later}
    assert all(again[(r.parameter, r.time)] == r.value for r in first)
    per_hour = {r.time for r in first if r.parameter == "DO"}
    assert len(per_hour) == 2 * 24 * 4  # 15-minute values


def test_real_pm25_files_load() -> None:
    rows = list(airnow_rows(REAL_PM25["HCM_LSQ_KK"]))
    assert 8700 <= len(rows) <= 8761 and len({t for t, _, _ in rows}) == len(rows)
    assert rows[0][0] == datetime(2017, 1, 1, 1, tzinfo=VN_TZ) and rows[0][1] == 21.0
    assert {flag for _, _, flag in rows} == {1, 4, 9}
