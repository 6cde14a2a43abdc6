"""The limits a chart draws: the station's regulation rules for its series, scaled by
Kq × Kf where allowed and converted to the series' unit (quantrac.api.rest.limits)."""

from __future__ import annotations

import pytest

from quantrac.api.rest.limits import limit_rows
from quantrac.jobs.compliance_job import applicable_rules


def rows(regulation: str, column: str | None, units: dict[str, str], kq=1.0, kf=1.0) -> list:
    return limit_rows(applicable_rules(regulation, column), units, kq, kf)


def test_pm25_limits_carry_their_validity_dates() -> None:
    found = rows("QCVN 05:2023/BTNMT", None, {"PM25": "µg/Nm3"})
    assert {r["parameter"] for r in found} == {"PM25"}
    daily = [r for r in found if r["averaging"] == "24h"]
    assert sorted((r["maximum"], r["valid_from"], r["valid_to"]) for r in daily) == [
        (45.0, "2026-01-01", None),
        (50.0, None, "2025-12-31"),
    ]


def test_limits_are_converted_to_the_series_unit() -> None:
    mg = rows("QCVN 05:2023/BTNMT", None, {"CO": "µg/Nm3"})
    ug = rows("QCVN 05:2023/BTNMT", None, {"CO": "mg/Nm3"})
    one_hour = {r["averaging"]: r for r in mg}["1h"]
    assert one_hour["maximum"] == 30000 and one_hour["unit"] == "µg/Nm3"
    assert {r["averaging"]: r for r in ug}["1h"]["maximum"] == pytest.approx(30.0)
    assert one_hour["rule_maximum"] == 30000 and one_hour["rule_unit"] == "µg/Nm3"


def test_kq_kf_scale_maxima_but_not_ph() -> None:
    units = {"COD": "mg/L", "PH": "-"}
    found = {r["parameter"]: r for r in rows("QCVN 40:2011/BTNMT", "B", units, 0.9, 1.0)}
    assert found["COD"]["maximum"] == pytest.approx(150 * 0.9)
    assert found["COD"]["scale"] == pytest.approx(0.9) and found["COD"]["rule_maximum"] == 150
    assert (found["PH"]["minimum"], found["PH"]["maximum"], found["PH"]["scale"]) == (5.5, 9.0, 1.0)


def test_ranges_floors_and_always_applying_tables() -> None:
    found = rows("QCVN 08:2023/BTNMT", "river-B", {"DO": "mg/L", "PH": "-", "NH4": "mg/L"})
    by = {r["parameter"]: r for r in found}
    assert (by["DO"]["minimum"], by["DO"]["maximum"]) == (5.0, None)
    assert (by["PH"]["minimum"], by["PH"]["maximum"]) == (6.0, 8.5)
    assert by["NH4"]["column"] == "Bảng 1 (human health)" and by["NH4"]["maximum"] == 0.3
    assert all(r["kind"] in ("limit", "not_detected") for r in found)


def test_only_parameters_with_a_series_and_comparable_units() -> None:
    assert rows("QCVN 08:2023/BTNMT", "river-B", {}) == []
    # A unit of another dimension cannot carry the limit: no line rather than a wrong one.
    assert rows("QCVN 05:2023/BTNMT", None, {"PM25": "°C"}) == []
    assert rows("QCVN 99:2099/BTNMT", None, {"PM25": "µg/Nm3"}) == []
