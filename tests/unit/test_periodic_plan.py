"""Planning writes: new, changed and identical samples and results, decided before writing."""

from __future__ import annotations

from datetime import date

from quantrac.codecs.sheet import read_sheet
from quantrac.periodic.model import ResultValues, SampleFields, StandardResult, StationInfo
from quantrac.periodic.plan import StoredSample, merge_fields, plan_writes, same_values
from quantrac.periodic.standardize import standardize

STATION = StationInfo(7, "SG-01", "Sông Sài Gòn", "surface_water")


def results(csv: str) -> list[StandardResult]:
    found, issues = standardize(read_sheet(csv.encode(), "kq.csv"), {"SG-01": STATION})
    assert issues == []
    return found


CSV = "Mã trạm,Ngày lấy mẫu,Đợt,Phòng thí nghiệm,COD,BOD5\nSG-01,15/03/2025,D1,PTN A,10,<2\n"


def test_everything_is_new_in_an_empty_store() -> None:
    plan = plan_writes(results(CSV), {}, {})
    counts = plan.counts()
    assert (counts.samples_new, counts.results_new, counts.campaigns_new) == (1, 2, 1)
    (fields,) = plan.new_samples.values()
    assert (fields.campaign, fields.lab, fields.matrix) == ("D1", "PTN A", "surface_water")
    assert plan.campaign_days == {"D1": (date(2025, 3, 15), date(2025, 3, 15))}


def test_the_same_file_again_plans_nothing() -> None:
    found = results(CSV)
    key = found[0].key
    stored = {key: StoredSample(41, found[0].sample)}
    values = {(41, r.parameter_code): r.values for r in found}
    plan = plan_writes(found, stored, values, known_campaigns=frozenset({"D1"}))
    counts = plan.counts()
    assert not counts.changed
    assert (counts.samples_unchanged, counts.results_unchanged, counts.campaigns_new) == (1, 2, 0)


def test_a_corrected_value_is_a_change_with_old_and_new() -> None:
    found = results(CSV)
    stored = {found[0].key: StoredSample(41, found[0].sample)}
    old = ResultValues(12.0, "mg/L", None, None, None)
    values = {(41, "COD"): old, (41, "BOD5"): found[1].values}
    (change,) = plan_writes(found, stored, values).result_changes
    assert (change.sample_id, change.parameter_code, change.row) == (41, "COD", 2)
    assert (change.old.value, change.new.value) == (12.0, 10.0)


def test_a_new_parameter_for_a_stored_sample_is_a_new_result() -> None:
    found = results(CSV)
    stored = {found[0].key: StoredSample(41, found[0].sample)}
    plan = plan_writes(found, stored, {(41, "COD"): found[0].values})
    assert [r.parameter_code for r in plan.new_results] == ["BOD5"]
    assert plan.counts().samples_new == 0


def test_the_campaign_argument_overrides_the_file() -> None:
    plan = plan_writes(results(CSV), {}, {}, campaign="2025-D1")
    assert [f.campaign for f in plan.new_samples.values()] == ["2025-D1"]
    assert list(plan.campaign_days) == ["2025-D1"]


def test_empty_cells_keep_stored_metadata() -> None:
    stored = SampleFields("surface_water", lab="PTN A", layer="L1")
    given = SampleFields("surface_water", lab=None, layer="L2")
    assert merge_fields(stored, given) == SampleFields("surface_water", lab="PTN A", layer="L2")


def test_same_values_tolerates_conversion_noise_only() -> None:
    a = ResultValues(0.021, "mg/L", None, None, None)
    assert same_values(a, a._replace(value=0.021000000000000001))
    assert not same_values(a, a._replace(value=0.0211))
    assert not same_values(a, a._replace(qualifier="<"))
    assert not same_values(a, a._replace(value=None))
