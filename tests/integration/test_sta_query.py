"""SensorThings v1.1 reading: paths, $filter (comparison, logical, arithmetic, string,
temporal, spatial), $select, nested $expand, $orderby, $top/$skip, $count, @iot.nextLink."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.api_world import N_VALUES, World

STA = "/sta/v1.1"
POLY = "geography'POLYGON((105 20, 106 20, 106 22, 105 22, 105 20))'"


def get(world: World, path: str, who: str | None = "admin", status: int = 200) -> Any:
    r = world.client.get(f"{STA}{path}", headers=world.h(who))
    assert r.status_code == status, r.text
    return r.json()


def codes(body: dict[str, Any]) -> list[str]:
    return [t["properties"]["code"] for t in body["value"]]


def test_service_document_and_entity_shapes(world: World) -> None:
    root = get(world, "")
    assert [v["name"] for v in root["value"]] == [
        "Things",
        "Locations",
        "HistoricalLocations",
        "FeaturesOfInterest",
        "Datastreams",
        "Sensors",
        "ObservedProperties",
        "Observations",
    ]
    assert any("create-update-delete" in c for c in root["serverSettings"]["conformance"])
    thing = get(world, "/Things(1)")
    assert thing["@iot.selfLink"].endswith("/sta/v1.1/Things(1)")
    assert thing["Datastreams@iot.navigationLink"].endswith("/Things(1)/Datastreams")
    ds = get(world, "/Datastreams(1)")
    assert ds["unitOfMeasurement"]["symbol"] == "µg/Nm3"
    assert ds["phenomenonTime"] == "2026-01-01T00:00:00.000Z/2026-01-01T01:55:00.000Z"
    assert get(world, "/Datastreams(1)/ObservedProperty")["@iot.id"] == "PM25"
    assert get(world, "/Datastreams(1)/Thing/Locations")["value"][0]["location"] == {
        "type": "Point",
        "coordinates": [105.85, 21.03],
    }
    obs = get(world, "/Datastreams(1)/Observations?$top=1")["value"][0]
    assert get(world, f"/Observations({obs['@iot.id']})/FeatureOfInterest")["@iot.id"] == 1
    assert get(world, "/Things(1)/name") == {"name": "Trạm PUB_AIR"}
    text = world.client.get(f"{STA}/Things(1)/name/$value")
    assert text.text == "Trạm PUB_AIR"
    assert get(world, "/Things/$ref", None)["value"][0] == {
        "@iot.selfLink": "http://testserver/sta/v1.1/Things(1)"
    }
    get(world, "/Things(999)", status=404)
    get(world, "/Thingz", status=404)
    get(world, "/Things(abc)", status=400)
    get(world, "/Things(1)/nothing", status=404)


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ("properties/code eq 'A_OUT'", ["A_OUT"]),
        ("properties/medium ne 'wastewater' and id lt 5", ["PUB_AIR"]),
        (
            "not (properties/visibility eq 'public') or name eq 'Trạm A_PUB'",
            ["A_OUT", "A_PUB", "B_OUT", "HG_WELL"],
        ),
        ("substringof('OUT', properties/code)", ["A_OUT", "B_OUT"]),
        ("startswith(properties/code, 'A_') and endswith(name, 'PUB')", ["A_PUB"]),
        ("tolower(properties/code) eq 'hg_well' and length(name) eq 12", ["HG_WELL"]),
        (
            "indexof(properties/code, '_') eq 1 and substring(properties/code, 2) eq 'OUT'",
            ["A_OUT", "B_OUT"],
        ),
        ("concat(properties/owner, '!') eq 'ENT_B!'", ["B_OUT"]),
        ("Datastreams/ObservedProperty/id eq 'COD'", ["A_OUT", "A_PUB", "B_OUT"]),
        (
            "Datastreams/Observations/result gt 32.5",
            ["A_OUT", "A_PUB", "B_OUT", "HG_WELL", "PUB_AIR"],
        ),
        (f"geo.intersects(Locations/location, {POLY})", ["A_OUT", "A_PUB", "PUB_AIR"]),
        ("geo.distance(Locations/location, geography'POINT(104.98 22.8)') lt 0.5", ["HG_WELL"]),
        (
            "properties/reporting_interval_s div 60 eq 5 and properties/reporting_interval_s "
            "mod 7 eq 6",
            ["A_OUT", "A_PUB", "B_OUT", "HG_WELL", "PUB_AIR"],
        ),
        ("year(Datastreams/Observations/phenomenonTime) eq 2026", None),
    ],
)
def test_thing_filters(world: World, flt: str, expected: list[str] | None) -> None:
    body = get(world, f"/Things?$filter={flt}&$orderby=properties/code")
    if expected is None:
        assert len(body["value"]) == 5
    else:
        assert codes(body) == expected


def test_observation_filters_temporal_and_arithmetic(world: World) -> None:
    def n(flt: str) -> int:
        return get(world, f"/Datastreams(1)/Observations?$filter={flt}&$count=true&$top=0")[
            "@iot.count"
        ]

    assert n("phenomenonTime ge 2026-01-01T01:00:00Z") == 12
    assert n("phenomenonTime lt 2026-01-01T08:00:00%2B07:00") == 12
    assert n("hour(phenomenonTime) eq 1 and minute(phenomenonTime) lt 30") == 6
    assert n("second(phenomenonTime) eq 0 and date(phenomenonTime) eq 2026-01-01") == N_VALUES
    assert n("result add 1 gt 30 or result sub 1 lt 10") == 5
    assert n("result mul 2 eq 40 and result div 4 eq 5") == 1
    assert n("round(result div 3) eq 4 and floor(result div 3) eq 3") == 1
    assert n("ceiling(result div 3) eq 4") == 3
    assert n("result div 0 gt 1") == 0
    assert n("phenomenonTime sub duration'PT1H' ge 2026-01-01T00:00:00Z") == 12
    assert n("Datastream/Thing/properties/code eq 'PUB_AIR'") == N_VALUES
    assert n("Datastream/id eq 1 and FeatureOfInterest/id eq 1") == N_VALUES
    assert n(f"st_within(FeatureOfInterest/feature, {POLY})") == N_VALUES
    assert n("parameters/qc_flag eq 1 and resultQuality/qc_flag ne 4") == N_VALUES
    assert n("result eq null") == 0


@pytest.mark.parametrize(
    "bad",
    [
        "name eq",
        "name eq 'unterminated",
        "nope eq 1",
        "name eq 1",
        "foo(name)",
        "phenomenonTime gt 'garbage'",
        "geo.intersects(location, geography'POLYGON((1 2))')",
        "((((name eq 'x'",
        "Datastreams eq 1",
        "name eq 'a' and",
        "1 eq 1 eq",
        "substringof(1, name)",
        "year(name) eq 1",
    ],
)
def test_bad_filters_are_400_with_a_reason(world: World, bad: str) -> None:
    body = get(world, f"/Things?$filter={bad}", status=400)
    assert body["message"].startswith("$filter") and body["problems"]


def test_paging_select_orderby_and_count(world: World) -> None:
    page = get(world, "/Observations?$top=50&$count=true&$select=id,result")
    assert page["@iot.count"] == 5 * N_VALUES
    assert set(page["value"][0]) == {"@iot.id", "result"}
    ids = [o["@iot.id"] for o in page["value"]]
    while "@iot.nextLink" in page:
        link = page["@iot.nextLink"].replace("http://testserver", "")
        page = world.client.get(link, headers=world.h("admin")).json()
        ids += [o["@iot.id"] for o in page["value"]]
    assert len(ids) == len(set(ids)) == 5 * N_VALUES and ids == sorted(ids)
    top = get(world, "/Observations?$orderby=result desc,phenomenonTime asc&$top=3&$skip=1")
    assert [o["result"] for o in top["value"]] == [33.0, 33.0, 33.0]
    assert "%24skip=4" in top["@iot.nextLink"]
    none = get(world, "/Things?$top=0&$count=true")
    assert none["@iot.count"] == 5 and none["value"] == []
    get(world, "/Things?$select=nonsense", status=400)
    get(world, "/Things?$top=-1", status=400)
    get(world, "/Things?$top=100000", status=400)
    get(world, "/Things?$count=maybe", status=400)
    get(world, "/Things?$skiptoken=%%%", status=400)
    get(world, "/Things?$unknown=1", status=400)


def test_nested_expand_with_options(world: World) -> None:
    thing = get(
        world,
        "/Things(1)?$expand=Datastreams($select=id,name;$expand="
        "Observations($top=2;$orderby=phenomenonTime desc;$select=result;"
        "$count=true),ObservedProperty),Locations",
    )
    ds = thing["Datastreams"][0]
    assert set(ds) >= {"@iot.id", "name", "Observations", "ObservedProperty"}
    assert [o["result"] for o in ds["Observations"]] == [33.0, 32.0]
    assert ds["Observations@iot.count"] == N_VALUES
    assert ds["Observations@iot.nextLink"].endswith(
        "/Datastreams(1)/Observations?%24top=2&%24skip=2"
    )
    assert ds["ObservedProperty"]["@iot.id"] == "PM25"
    assert thing["Locations"][0]["@iot.id"] == 1
    short = get(world, "/Things?$expand=Datastreams/Thing&$top=1")
    assert short["value"][0]["Datastreams"][0]["Thing"]["@iot.id"] == 1
    obs = get(world, "/Observations?$top=2&$expand=Datastream($expand=Thing),FeatureOfInterest")
    assert obs["value"][0]["Datastream"]["Thing"]["@iot.id"] == 1
    assert obs["value"][0]["FeatureOfInterest"]["feature"]["type"] == "Point"
    get(world, "/Things?$expand=Nonsense", status=400)
    get(world, "/Things?$expand=Datastreams($top=x)", status=400)


def test_data_array_read(world: World) -> None:
    body = get(world, "/Datastreams(1)/Observations?$resultFormat=dataArray&$top=3")
    item = body["value"][0]
    assert item["components"] == ["id", "phenomenonTime", "result"]
    assert item["dataArray@iot.count"] == 3 and item["dataArray"][0][2] == 10.0


def test_queries_the_generator_found_are_answered_cleanly(world: World) -> None:
    """Each of these once answered 500 (tests/integration/test_sta_fuzz.py found them)."""
    everything = [t["@iot.id"] for t in get(world, "/Things")["value"]]
    # A constant sort key orders nothing (a bare number in ORDER BY is a column position).
    assert [t["@iot.id"] for t in get(world, "/Things?$orderby=0 desc")["value"]] == everything
    assert [t["@iot.id"] for t in get(world, "/Things?$orderby=now(),id")["value"]] == everything
    # A comparison with a constant null (division by zero gives null) matches nothing.
    assert get(world, "/Things?$filter=id gt (1 div 0)")["value"] == []
    assert get(world, "/Things?$filter=(1 div 0) eq null")["value"] != []
    # Booleans have no order.
    body = get(world, "/Things?$filter=(id eq 1) gt true", status=400)
    assert "eq or ne" in body["message"]
    # An unknown sort key is named as a $orderby problem, with the Things' own properties.
    body = get(world, "/Things?$orderby=nope", status=400)
    assert body["message"].startswith("$orderby: Things have no property 'nope'")
    assert " location," not in body["message"] and "phenomenonTime" not in body["message"]
