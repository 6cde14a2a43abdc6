"""OGC SensorThings API v1.1 conformance, walked the way the OGC test suite walks it.

The independent OGC executable test suite (ets-sta10 and its v1.1 successor) checks a server
class by class: sensing core (service root, entity sets, entities, properties, `$value`,
`$ref`, navigation links), filtering extension (`$top`, `$skip`, `$count`, `@iot.nextLink`,
`$select`, `$expand`, `$orderby`, `$filter`) and create-update-delete (POST with a `Location`
header, PATCH and PUT that change only what was sent, DELETE then 404, deep insert, invalid
entities refused). This module asks the same questions of quantrac, written from the
specification's requirements (not copied from the suite), so the team has an executable list
of where quantrac meets the specification and where it departs from it.

- Plain tests assert what quantrac conforms to; most use quantrac's own terms (a Thing with
  `properties.medium`, a Datastream of a catalogue parameter), and one walks the suite's whole
  create-update-delete class with its plain bodies, read from its source: the server emptied
  the suite's way, entities created, PATCHed and PUT with time strings compared as text,
  everything deleted again.
- Where quantrac decides against what the specification allows (a catalogue parameter's
  Datastream keeps its storage unit; a missing phenomenonTime is refused, not stamped with the
  server's clock) a plain test pins the decision and says why (docs/api.md, "Where quantrac
  differs from a general SensorThings server"). The deviations once listed here as
  `xfail(strict=True)` tests of the specification's behaviour all pass now.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.api_world import (
    N_VALUES,
    STEP,
    T0,
    World,
    empty_collection,
)

STA = "/sta/v1.1"
BASE = f"http://testserver{STA}"
OM_MEASUREMENT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"
OM_OBSERVATION = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Observation"

#: entity set → (mandatory properties, navigation properties) of its entity type
ENTITY_TYPES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Things": (("name", "description"), ("Locations", "HistoricalLocations", "Datastreams")),
    "Locations": (
        ("name", "description", "encodingType", "location"),
        ("Things", "HistoricalLocations"),
    ),
    "HistoricalLocations": (("time",), ("Thing", "Locations")),
    "Datastreams": (
        ("name", "description", "unitOfMeasurement", "observationType"),
        ("Thing", "Sensor", "ObservedProperty", "Observations"),
    ),
    "Sensors": (("name", "description", "encodingType", "metadata"), ("Datastreams",)),
    "ObservedProperties": (("name", "definition", "description"), ("Datastreams",)),
    "Observations": (
        ("phenomenonTime", "result", "resultTime"),
        ("Datastream", "FeatureOfInterest"),
    ),
    "FeaturesOfInterest": (("name", "description", "encodingType", "feature"), ("Observations",)),
}
SINGLE_NAVIGATION = {"Thing", "Sensor", "ObservedProperty", "Datastream", "FeatureOfInterest"}

GEOJSON = "application/geo+json"
SENSOR = {
    "name": "Fuguro Barometer",
    "description": "barometer",
    "encodingType": "application/pdf",
    "metadata": "https://example.org/barometer.pdf",
}
FEATURE = {
    "name": "A weather station",
    "description": "a point of interest",
    "encodingType": GEOJSON,
    "feature": {"type": "Point", "coordinates": [105.5, 20.5]},
}
DEW_POINT = {
    "name": "DewPoint Temperature",
    "definition": "http://dbpedia.org/page/Dew_point",
    "description": "The temperature to which air must be cooled for dew to form.",
}
DEG_C = {
    "name": "Celsius",
    "symbol": "degC",
    "definition": "http://qudt.org/vocab/unit#DegreeCelsius",
}
CO_UNIT = {"name": "microgram per normal cubic metre", "symbol": "µg/Nm3", "definition": "x"}


# --- helpers ----------------------------------------------------------------------------------
def call(
    world: World,
    method: str,
    path: str,
    body: Any = None,
    status: int = 200,
    who: str | None = "admin",
) -> Any:
    r = world.client.request(method, f"{STA}{path}", json=body, headers=world.h(who))
    assert r.status_code == status, f"{method} {path}: {r.status_code} {r.text}"
    return r.json() if r.content else None


def get(world: World, path: str, status: int = 200) -> Any:
    return call(world, "GET", path, status=status)


def post(world: World, path: str, body: Any) -> dict[str, Any]:
    """POST answers 201 with a Location header whose GET answers 200 with the same entity."""
    r = world.client.post(f"{STA}{path}", json=body, headers=world.h("admin"))
    assert r.status_code == 201, f"POST {path}: {r.status_code} {r.text}"
    location = r.headers["Location"]
    assert location.startswith(BASE)
    again = get(world, location.removeprefix(f"http://testserver{STA}"))
    created = r.json()
    assert again["@iot.id"] == created["@iot.id"]
    assert location == again["@iot.selfLink"]
    return again


def key(ident: Any) -> str:
    """The key of an entity in a path: strings quoted, numbers as they are."""
    return f"'{ident}'" if isinstance(ident, str) else str(ident)


def rel(url: str) -> str:
    assert url.startswith(BASE), url
    return url.removeprefix(f"http://testserver{STA}")


def check_entity(entity_set: str, entity: dict[str, Any]) -> None:
    """An entity has @iot.id, its @iot.selfLink, its mandatory properties and navigation links."""
    mandatory, navigation = ENTITY_TYPES[entity_set]
    assert "@iot.id" in entity
    self_link = f"{BASE}/{entity_set}({key(entity['@iot.id'])})"
    assert entity["@iot.selfLink"] == self_link
    for prop in mandatory:
        assert prop in entity, f"{entity_set}: {prop} missing"
    for nav in navigation:
        assert entity[f"{nav}@iot.navigationLink"] == f"{self_link}/{nav}"


def observation_id(series_id: int, epoch: int) -> int:
    return series_id * 2**32 + epoch


def new_thing(world: World, name: str = "Trạm thử") -> dict[str, Any]:
    return post(
        world,
        "/Things",
        {
            "name": name,
            "description": "a test Thing",
            "properties": {"medium": "ambient_air"},
            "Locations": [
                {
                    "name": "bờ sông",
                    "description": "river bank",
                    "encodingType": GEOJSON,
                    "location": {"type": "Point", "coordinates": [105.9, 21.1]},
                }
            ],
        },
    )


def co_datastream(world: World, thing_id: int, sensor: Any = None) -> dict[str, Any]:
    return post(
        world,
        "/Datastreams",
        {
            "name": "CO",
            "description": "carbon monoxide",
            "unitOfMeasurement": CO_UNIT,
            "observationType": OM_MEASUREMENT,
            "Thing": {"@iot.id": thing_id},
            "Sensor": sensor or dict(SENSOR),
            "ObservedProperty": {"@iot.id": "CO"},
        },
    )


# === Sensing core (suite capability 1) ==========================================================
def test_service_root_lists_the_eight_entity_sets_with_urls(world: World) -> None:
    root = get(world, "")
    sets = {entry["name"]: entry["url"] for entry in root["value"]}
    assert set(sets) == set(ENTITY_TYPES)
    for name, url in sets.items():
        assert url == f"{BASE}/{name}"
        assert isinstance(get(world, rel(url))["value"], list)
    conformance = root["serverSettings"]["conformance"]
    assert "http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel" in conformance
    assert "http://www.opengis.net/spec/iot_sensing/1.1/req/create-update-delete" in conformance


def test_every_entity_set_answers_entities_with_ids_self_links_and_navigation(
    world: World,
) -> None:
    for entity_set in ENTITY_TYPES:
        body = get(world, f"/{entity_set}?$top=3")
        assert body["value"], entity_set
        for entity in body["value"]:
            check_entity(entity_set, entity)
            # the selfLink answers the same entity
            assert get(world, rel(entity["@iot.selfLink"]))["@iot.id"] == entity["@iot.id"]
            # every navigation link answers: an entity or a collection
            for nav in ENTITY_TYPES[entity_set][1]:
                target = get(world, rel(entity[f"{nav}@iot.navigationLink"]))
                if nav in SINGLE_NAVIGATION:
                    assert "@iot.id" in target, (entity_set, nav)
                else:
                    assert isinstance(target["value"], list), (entity_set, nav)


def test_entity_by_id_property_value_and_ref(world: World) -> None:
    sid = world.series["PUB_AIR"]
    oid = observation_id(sid, T0)
    samples = {
        "Things": 1,
        "Locations": 1,
        "HistoricalLocations": 1,
        "FeaturesOfInterest": 1,
        "Datastreams": sid,
        "Sensors": sid,
        "ObservedProperties": "PM25",
        "Observations": oid,
    }
    for entity_set, ident in samples.items():
        entity = get(world, f"/{entity_set}({key(ident)})")
        check_entity(entity_set, entity)
        assert entity["@iot.id"] == ident
        for prop in ENTITY_TYPES[entity_set][0]:
            # a property is answered as {name: value}
            assert get(world, f"/{entity_set}({key(ident)})/{prop}") == {prop: entity[prop]}
    name = world.client.get(f"{STA}/Things(1)/name/$value", headers=world.h("admin"))
    assert name.status_code == 200 and name.text == get(world, "/Things(1)")["name"]
    time = world.client.get(f"{STA}/Observations({oid})/phenomenonTime/$value")
    assert time.text == "2026-01-01T00:00:00.000Z"
    assert get(world, f"/Datastreams({sid})/Thing/$ref") == {"@iot.selfLink": f"{BASE}/Things(1)"}
    refs = get(world, "/Things/$ref")["value"]
    assert refs and all(set(r) == {"@iot.selfLink"} for r in refs)
    assert get(world, "/Things(1)/Datastreams/$ref")["value"] == [
        {"@iot.selfLink": f"{BASE}/Datastreams({sid})"}
    ]
    # addressing through a relation
    assert get(world, f"/Things(1)/Datastreams({sid})")["@iot.id"] == sid
    assert get(world, f"/Observations({oid})/Datastream/Thing")["@iot.id"] == 1
    assert get(world, "/Locations(1)/Things")["value"][0]["@iot.id"] == 1


def test_unknown_ids_are_404_and_malformed_requests_400(world: World) -> None:
    for path in (
        "/Things(999999)",
        "/Datastreams(999999)",
        "/Observations(1)",
        "/ObservedProperties('NOPE')",
        "/Thingz",
        "/Things(1)/nothing",
        "/Things(1)/Datastreams(999999)",
    ):
        get(world, path, status=404)
    call(world, "PATCH", "/Things(999999)", {"description": "x"}, status=404)
    call(world, "DELETE", "/Things(999999)", status=404)
    for path in (
        "/Things(abc)",
        "/Things?$top=-1",
        "/Things?$skip=x",
        "/Things?$count=maybe",
        "/Things?$filter=name eq",
        "/Things?$filter=nope eq 1",
        "/Things?$select=nope",
        "/Things?$expand=Nope",
        "/Things?$orderby=nope",
        "/Observations?$filter=result gt 'a'",
        "/Things?$unknown=1",
    ):
        get(world, path, status=400)


# === Filtering extension (suite capability 3) ===================================================
def test_top_skip_count_and_next_link_walk_a_whole_collection(world: World) -> None:
    first = get(world, "/Observations?$top=7&$count=true")
    total = first["@iot.count"]
    assert total == len(world.series) * N_VALUES
    assert len(first["value"]) == 7
    seen = [o["@iot.id"] for o in first["value"]]
    link = first.get("@iot.nextLink")
    while link:
        page = get(world, rel(link))
        assert len(page["value"]) <= 7
        seen += [o["@iot.id"] for o in page["value"]]
        link = page.get("@iot.nextLink")
    assert len(seen) == len(set(seen)) == total
    # $skip skips, $top limits, and $top=0 with $count answers only the count
    all_things = [t["@iot.id"] for t in get(world, "/Things?$orderby=id")["value"]]
    skipped = get(world, "/Things?$orderby=id&$skip=2&$top=2")
    assert [t["@iot.id"] for t in skipped["value"]] == all_things[2:4]
    assert "@iot.nextLink" in skipped
    last = get(world, f"/Things?$orderby=id&$skip={len(all_things) - 1}")
    assert [t["@iot.id"] for t in last["value"]] == all_things[-1:]
    assert "@iot.nextLink" not in last
    assert get(world, "/Things?$top=0&$count=true") == {"@iot.count": len(all_things), "value": []}
    assert "@iot.count" not in get(world, "/Things?$count=false")


def test_select_answers_only_the_properties_asked(world: World) -> None:
    body = get(world, "/Things?$select=id,name")
    assert all(set(t) == {"@iot.id", "name"} for t in body["value"])
    obs = get(world, f"/Datastreams({world.series['PUB_AIR']})/Observations?$select=result")
    assert all(set(o) == {"result"} for o in obs["value"])


def test_expand_inlines_related_entities_with_their_own_options(world: World) -> None:
    sid = world.series["PUB_AIR"]
    things = get(world, "/Things?$expand=Datastreams,Locations")["value"]
    for thing in things:
        own = get(world, f"/Things({thing['@iot.id']})/Datastreams")["value"]
        assert [d["@iot.id"] for d in thing["Datastreams"]] == [d["@iot.id"] for d in own]
        assert len(thing["Locations"]) == 1
    ds = get(world, f"/Datastreams({sid})?$expand=Thing,Sensor,ObservedProperty")
    assert (ds["Thing"]["@iot.id"], ds["ObservedProperty"]["@iot.id"]) == (1, "PM25")
    check_entity("Sensors", ds["Sensor"])
    nested = get(
        world,
        "/Things(1)?$expand=Datastreams($select=name;"
        "$expand=Observations($top=2;$orderby=phenomenonTime desc;$select=phenomenonTime))",
    )
    times = [o["phenomenonTime"] for o in nested["Datastreams"][0]["Observations"]]
    assert times == ["2026-01-01T01:55:00.000Z", "2026-01-01T01:50:00.000Z"]
    path_form = get(world, "/Things(1)?$expand=Datastreams/ObservedProperty")
    assert path_form["Datastreams"][0]["ObservedProperty"]["@iot.id"] == "PM25"


def test_orderby_sorts_ascending_and_descending(world: World) -> None:
    names = [t["name"] for t in get(world, "/Things?$orderby=name")["value"]]
    assert names == sorted(names)
    desc = [t["name"] for t in get(world, "/Things?$orderby=name desc")["value"]]
    assert desc == sorted(names, reverse=True)
    obs = get(world, "/Observations?$orderby=result desc,phenomenonTime asc&$top=20")["value"]
    keys = [(-o["result"], o["phenomenonTime"]) for o in obs]
    assert keys == sorted(keys)


def test_filter_comparison_logical_and_functions(world: World) -> None:
    path = f"/Datastreams({world.series['PUB_AIR']})/Observations"
    values = [o["result"] for o in get(world, path)["value"]]
    for op, check in (
        ("eq", lambda v: v == 20),
        ("ne", lambda v: v != 20),
        ("gt", lambda v: v > 20),
        ("ge", lambda v: v >= 20),
        ("lt", lambda v: v < 20),
        ("le", lambda v: v <= 20),
    ):
        got = [o["result"] for o in get(world, f"{path}?$filter=result {op} 20")["value"]]
        assert sorted(got) == sorted(v for v in values if check(v)), op
    both = get(world, f"{path}?$filter=result gt 12 and result lt 15")["value"]
    assert sorted(o["result"] for o in both) == [13.0, 14.0]
    either = get(world, f"{path}?$filter=result eq 10 or not (result lt 33)")["value"]
    assert sorted(o["result"] for o in either) == [10.0, 33.0]
    later = get(world, f"{path}?$filter=phenomenonTime ge 2026-01-01T01:50:00Z")["value"]
    assert len(later) == 2
    hit = get(world, "/Things?$filter=startswith(name, 'Trạm PUB') and length(name) gt 3")
    assert [t["@iot.id"] for t in hit["value"]] == [1]
    deep = get(world, "/Observations?$filter=Datastream/ObservedProperty/id eq 'COD'&$count=true")
    assert deep["@iot.count"] == 3 * N_VALUES  # three wastewater stations


# === Create, update, delete (suite capability 2) ================================================
def test_post_each_entity_type_answers_201_with_a_location_that_reads_back(
    world: World,
) -> None:
    thing = new_thing(world)
    check_entity("Things", thing)
    tid = thing["@iot.id"]
    assert (thing["name"], thing["description"]) == ("Trạm thử", "a test Thing")
    locations = get(world, f"/Things({tid})/Locations")["value"]
    assert [loc["location"] for loc in locations] == [
        {"type": "Point", "coordinates": [105.9, 21.1]}
    ]
    # creating a Thing with a Location records a HistoricalLocation of it
    history = get(world, f"/Things({tid})/HistoricalLocations?$expand=Locations")["value"]
    assert [h["Locations"][0]["@iot.id"] for h in history] == [locations[0]["@iot.id"]]

    sensor = post(world, "/Sensors", SENSOR)
    check_entity("Sensors", sensor)
    assert {k: sensor[k] for k in SENSOR} == SENSOR
    prop = post(world, "/ObservedProperties", DEW_POINT)
    check_entity("ObservedProperties", prop)
    assert {k: prop[k] for k in DEW_POINT} == DEW_POINT
    foi = post(world, "/FeaturesOfInterest", FEATURE)
    check_entity("FeaturesOfInterest", foi)
    assert foi["feature"] == FEATURE["feature"] and foi["name"] == FEATURE["name"]

    ds = co_datastream(world, tid, sensor={"@iot.id": sensor["@iot.id"]})
    check_entity("Datastreams", ds)
    assert ds["unitOfMeasurement"]["symbol"] == "µg/Nm3"
    assert get(world, f"/Datastreams({ds['@iot.id']})/Sensor")["@iot.id"] == sensor["@iot.id"]
    assert get(world, f"/Datastreams({ds['@iot.id']})/ObservedProperty")["@iot.id"] == "CO"
    assert get(world, f"/Datastreams({ds['@iot.id']})/Thing")["@iot.id"] == tid

    with_foi = post(
        world,
        "/Observations",
        {
            "phenomenonTime": "2026-02-01T00:40:00.000Z",
            "result": 8,
            "Datastream": {"@iot.id": ds["@iot.id"]},
            "FeatureOfInterest": {"@iot.id": foi["@iot.id"]},
        },
    )
    check_entity("Observations", with_foi)
    assert with_foi["result"] == 8
    linked = get(world, f"/Observations({with_foi['@iot.id']})/FeatureOfInterest")
    assert linked["@iot.id"] == foi["@iot.id"]
    # without a FeatureOfInterest, the one created for it is the Thing's Location
    auto = post(
        world,
        f"/Datastreams({ds['@iot.id']})/Observations",
        {"phenomenonTime": "2026-02-01T00:00:00Z", "result": 100},
    )
    feature = get(world, f"/Observations({auto['@iot.id']})/FeatureOfInterest")
    assert feature["feature"] == locations[0]["location"]

    hist = post(
        world,
        "/HistoricalLocations",
        {
            "time": "2026-02-01T00:40:00Z",
            "Thing": {"@iot.id": tid},
            "Locations": [{"@iot.id": locations[0]["@iot.id"]}],
        },
    )
    check_entity("HistoricalLocations", hist)
    assert hist["time"] == "2026-02-01T00:40:00.000Z"
    assert get(world, f"/HistoricalLocations({hist['@iot.id']})/Thing")["@iot.id"] == tid


def test_post_location_of_a_thing(world: World) -> None:
    thing = post(
        world,
        "/Things",
        {"name": "no point yet", "description": "d", "properties": {"medium": "ambient_air"}},
    )
    loc = post(
        world,
        f"/Things({thing['@iot.id']})/Locations",
        {
            "name": "here",
            "description": "here",
            "encodingType": GEOJSON,
            "location": {"type": "Point", "coordinates": [105.3, 21.3]},
        },
    )
    check_entity("Locations", loc)
    assert loc["location"]["coordinates"] == [105.3, 21.3]
    assert (
        get(world, f"/Locations({loc['@iot.id']})/Things")["value"][0]["@iot.id"]
        == (thing["@iot.id"])
    )


def test_deep_insert_creates_the_whole_tree(world: World) -> None:
    thing = post(
        world,
        "/Things",
        {
            "name": "deep",
            "description": "deep insert",
            "properties": {"medium": "ambient_air"},
            "Locations": [
                {
                    "name": "deep",
                    "description": "deep",
                    "encodingType": GEOJSON,
                    "location": {"type": "Point", "coordinates": [105.7, 21.2]},
                }
            ],
            "Datastreams": [
                {
                    "name": "CO",
                    "description": "CO",
                    "unitOfMeasurement": CO_UNIT,
                    "observationType": OM_MEASUREMENT,
                    "Sensor": dict(SENSOR),
                    "ObservedProperty": {"@iot.id": "CO"},
                    "Observations": [
                        {
                            "phenomenonTime": "2026-03-01T00:00:00Z",
                            "result": 1,
                            "FeatureOfInterest": dict(FEATURE),
                        },
                        {"phenomenonTime": "2026-03-01T00:05:00Z", "result": 2},
                    ],
                }
            ],
        },
    )
    tid = thing["@iot.id"]
    got = get(
        world,
        f"/Things({tid})?$expand=Locations,Datastreams($expand=Sensor,ObservedProperty,"
        "Observations($orderby=phenomenonTime;$expand=FeatureOfInterest))",
    )
    assert got["Locations"][0]["location"]["coordinates"] == [105.7, 21.2]
    (ds,) = got["Datastreams"]
    assert ds["Sensor"]["name"] == SENSOR["name"] and ds["ObservedProperty"]["@iot.id"] == "CO"
    assert [o["result"] for o in ds["Observations"]] == [1.0, 2.0]
    features = [o["FeatureOfInterest"]["feature"] for o in ds["Observations"]]
    assert features == [FEATURE["feature"], got["Locations"][0]["location"]]


def test_post_with_a_missing_mandatory_relation_is_400_and_creates_nothing(world: World) -> None:
    before = get(world, "/Datastreams?$count=true&$top=0")["@iot.count"]
    base = {
        "name": "x",
        "description": "x",
        "unitOfMeasurement": CO_UNIT,
        "observationType": OM_MEASUREMENT,
        "Thing": {"@iot.id": 1},
        "Sensor": dict(SENSOR),
        "ObservedProperty": {"@iot.id": "CO"},
    }
    for missing in ("Thing", "Sensor", "ObservedProperty"):
        body = {k: v for k, v in base.items() if k != missing}
        call(world, "POST", "/Datastreams", body, status=400)
    assert get(world, "/Datastreams?$count=true&$top=0")["@iot.count"] == before
    call(
        world,
        "POST",
        "/Observations",
        {"phenomenonTime": "2026-02-01T00:00:00Z", "result": 1},
        status=400,
    )
    call(world, "POST", "/HistoricalLocations", {"time": "2026-02-01T00:00:00Z"}, status=400)


def _changed_only(before: dict[str, Any], after: dict[str, Any], sent: dict[str, Any]) -> None:
    for prop, value in sent.items():
        assert after[prop] == value, prop
    for prop, value in before.items():
        if prop not in sent:
            assert after[prop] == value, prop


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_patch_and_put_change_only_what_was_sent(world: World, method: str) -> None:
    thing = new_thing(world)
    tid = thing["@iot.id"]
    sensor = post(world, "/Sensors", SENSOR)
    prop = post(world, "/ObservedProperties", DEW_POINT)
    foi = post(world, "/FeaturesOfInterest", FEATURE)
    ds = co_datastream(world, tid)
    obs = post(
        world,
        f"/Datastreams({ds['@iot.id']})/Observations",
        {"phenomenonTime": "2026-02-01T00:00:00Z", "result": 1},
    )
    hist = post(
        world, "/HistoricalLocations", {"time": "2026-02-01T00:00:00Z", "Thing": {"@iot.id": tid}}
    )
    (loc,) = get(world, f"/Things({tid})/Locations")["value"]
    changes: list[tuple[str, Any, dict[str, Any]]] = [
        ("Things", tid, {"description": f"{method}ed Thing"}),
        (
            "Locations",
            loc["@iot.id"],
            {"location": {"type": "Point", "coordinates": [105.05, 20.5]}},
        ),
        ("HistoricalLocations", hist["@iot.id"], {"time": "2026-02-02T00:00:00.000Z"}),
        ("Sensors", sensor["@iot.id"], {"metadata": f"{method}ED", "description": "new"}),
        ("ObservedProperties", prop["@iot.id"], {"description": f"{method}ED"}),
        (
            "FeaturesOfInterest",
            foi["@iot.id"],
            {"feature": {"type": "Point", "coordinates": [1, 2]}},
        ),
        ("Datastreams", ds["@iot.id"], {"description": f"{method}ED"}),
        ("Observations", obs["@iot.id"], {"result": 99.0}),
    ]
    for entity_set, ident, sent in changes:
        path = f"/{entity_set}({key(ident)})"
        before = get(world, path)
        if entity_set == "Datastreams":
            before.pop("observedArea")  # follows the Location moved above
        answer = call(world, method, path, sent)
        assert answer["@iot.id"] == ident
        after = get(world, path)
        if entity_set == "Datastreams":
            after.pop("observedArea")
        _changed_only(before, after, sent)


def test_delete_answers_200_then_the_entity_is_404(world: World) -> None:
    thing = new_thing(world)
    tid = thing["@iot.id"]
    sensor = post(world, "/Sensors", SENSOR)
    prop = post(world, "/ObservedProperties", DEW_POINT)
    foi = post(world, "/FeaturesOfInterest", FEATURE)
    ds = co_datastream(world, tid, sensor={"@iot.id": sensor["@iot.id"]})
    obs = post(
        world,
        "/Observations",
        {
            "phenomenonTime": "2026-02-01T00:00:00Z",
            "result": 1,
            "Datastream": {"@iot.id": ds["@iot.id"]},
            "FeatureOfInterest": {"@iot.id": foi["@iot.id"]},
        },
    )
    hist = post(
        world, "/HistoricalLocations", {"time": "2026-02-01T00:00:00Z", "Thing": {"@iot.id": tid}}
    )
    (loc,) = get(world, f"/Things({tid})/Locations")["value"]
    # the suite's order: data first, then what it used, the Thing last
    for entity_set, ident in (
        ("Observations", obs["@iot.id"]),
        ("FeaturesOfInterest", foi["@iot.id"]),
        ("Datastreams", ds["@iot.id"]),
        ("ObservedProperties", prop["@iot.id"]),
        ("Sensors", sensor["@iot.id"]),
        ("HistoricalLocations", hist["@iot.id"]),
        ("Locations", loc["@iot.id"]),
        ("Things", tid),
    ):
        path = f"/{entity_set}({key(ident)})"
        call(world, "DELETE", path)
        get(world, path, status=404)
        call(world, "DELETE", path, status=404)


def test_deleting_a_thing_removes_its_datastreams_and_observations_from_view(
    world: World,
) -> None:
    sid = world.series["PUB_AIR"]
    call(world, "DELETE", "/Things(1)")
    for path in (
        "/Things(1)",
        f"/Datastreams({sid})",
        f"/Observations({observation_id(sid, T0)})",
        "/HistoricalLocations(1)",
    ):
        get(world, path, status=404)
    remaining = get(world, "/Observations?$count=true&$top=0")
    assert remaining["@iot.count"] == (len(world.series) - 1) * N_VALUES
    # its Location and the feature of its observations remain, as the specification has them
    assert get(world, "/Locations(1)/Things")["value"] == []
    assert get(world, "/FeaturesOfInterest(1)/Observations")["value"] == []


# === The specification's behaviour where quantrac once departed from it ========================
def test_spec_post_thing_with_name_and_description_only(world: World) -> None:
    thing = post(world, "/Things", {"name": "Thing", "description": "This is a Test Thing"})
    assert thing["description"] == "This is a Test Thing"
    assert thing["properties"]["medium"] == "other"  # regulated by no QCVN


def test_spec_post_location_without_thing(world: World) -> None:
    loc = post(
        world,
        "/Locations",
        {
            "name": "bow river",
            "description": "bow river",
            "encodingType": GEOJSON,
            "location": {"type": "Point", "coordinates": [-114.05, 51.05]},
        },
    )
    assert loc["location"]["coordinates"] == [-114.05, 51.05]


def test_spec_thing_with_two_locations_keeps_both(world: World) -> None:
    points = [[105.1, 21.1], [105.2, 21.2]]
    thing = post(
        world,
        "/Things",
        {
            "name": "two places",
            "description": "d",
            "properties": {"medium": "ambient_air"},
            "Locations": [
                {
                    "name": f"l{i}",
                    "description": "d",
                    "encodingType": GEOJSON,
                    "location": {"type": "Point", "coordinates": p},
                }
                for i, p in enumerate(points)
            ],
        },
    )
    got = get(world, f"/Things({thing['@iot.id']})/Locations")["value"]
    assert sorted(loc["location"]["coordinates"] for loc in got) == points


def test_spec_patch_thing_links_an_existing_location(world: World) -> None:
    call(world, "PATCH", "/Things(2)", {"Locations": [{"@iot.id": 1}]})
    refs = get(world, "/Things(2)/Locations/$ref")["value"]
    assert refs == [{"@iot.selfLink": f"{BASE}/Locations(1)"}]


def test_spec_put_location_stores_the_encoding_type(world: World) -> None:
    sent = {
        "encodingType": "UPDATED ENCODING",
        "description": "UPDATED DESCRIPTION",
        "location": {"type": "Point", "coordinates": [105.0, 21.0]},
    }
    call(world, "PUT", "/Locations(1)", sent)
    got = get(world, "/Locations(1)")
    assert {k: got[k] for k in sent} == sent


def test_spec_patch_location_name_leaves_the_thing_alone(world: World) -> None:
    thing_name = get(world, "/Things(1)")["name"]
    call(world, "PATCH", "/Locations(1)", {"name": "renamed location"})
    assert get(world, "/Locations(1)")["name"] == "renamed location"
    assert get(world, "/Things(1)")["name"] == thing_name


def test_spec_post_location_keeps_its_name(world: World) -> None:
    thing = new_thing(world, name="Trạm có tên")
    (loc,) = get(world, f"/Things({thing['@iot.id']})/Locations")["value"]
    assert (loc["name"], loc["description"]) == ("bờ sông", "river bank")


def test_spec_post_datastream_of_a_free_observed_property(world: World) -> None:
    prop = post(world, "/ObservedProperties", DEW_POINT)
    sensor = post(world, "/Sensors", SENSOR)
    ds = post(
        world,
        "/Datastreams",
        {
            "name": "dew point",
            "description": "test datastream",
            "unitOfMeasurement": DEG_C,
            "observationType": OM_MEASUREMENT,
            "Thing": {"@iot.id": 1},
            "ObservedProperty": {"@iot.id": prop["@iot.id"]},
            "Sensor": {"@iot.id": sensor["@iot.id"]},
        },
    )
    assert ds["unitOfMeasurement"] == DEG_C


def free_datastream(world: World, observation_type: str = OM_MEASUREMENT) -> dict[str, Any]:
    """A Datastream as the OGC suite makes one: its own Thing, Sensor and ObservedProperty."""
    loc = {"name": "Location 1.0", "description": "Location of Thing 1.", "encodingType": GEOJSON,
           "location": {"type": "Point", "coordinates": [8, 51]}}  # fmt: skip
    thing = post(world, "/Things", {"name": "Thing 1", "description": "d", "Locations": [loc]})
    return post(
        world,
        "/Datastreams",
        {"name": "test datastream.", "description": "test datastream.",
         "unitOfMeasurement": DEG_C, "observationType": observation_type,
         "Thing": {"@iot.id": thing["@iot.id"]}, "Sensor": dict(SENSOR),
         "ObservedProperty": dict(DEW_POINT)},
    )  # fmt: skip


def test_spec_patch_datastream_unit_of_measurement(world: World) -> None:
    unit = {"name": "Entropy2", "symbol": "S2", "definition": "http://qudt.org/vocab/unit#Entropy2"}
    sid = free_datastream(world)["@iot.id"]
    call(world, "PATCH", f"/Datastreams({sid})", {"unitOfMeasurement": unit})
    assert get(world, f"/Datastreams({sid})")["unitOfMeasurement"] == unit


def test_spec_put_datastream_type_and_unit(world: World) -> None:
    sid = free_datastream(world)["@iot.id"]
    sent = {
        "description": "Data coming from sensor on ISS.",
        "observationType": OM_OBSERVATION,
        "unitOfMeasurement": {"name": "Entropy", "symbol": "S", "definition": "x"},
    }
    call(world, "PUT", f"/Datastreams({sid})", sent)
    got = get(world, f"/Datastreams({sid})")
    assert {k: got[k] for k in sent} == sent


def test_a_catalogue_datastream_keeps_its_storage_unit(world: World) -> None:
    """A decision, not a gap: a regulated parameter's values are checked against QCVN limits
    in its storage unit, so its Datastream does not take another unit (422 naming it); its
    observationType may change like any Datastream's."""
    sid = world.series["PUB_AIR"]
    unit = {"name": "Entropy2", "symbol": "S2", "definition": "x"}
    r = world.client.patch(
        f"{STA}/Datastreams({sid})", json={"unitOfMeasurement": unit}, headers=world.h("admin")
    )
    assert r.status_code == 422, r.text
    assert r.json()["problems"][0]["where"] == "unitOfMeasurement.symbol"
    assert get(world, f"/Datastreams({sid})")["unitOfMeasurement"]["symbol"] != "S2"
    call(world, "PATCH", f"/Datastreams({sid})", {"observationType": OM_OBSERVATION})
    assert get(world, f"/Datastreams({sid})")["observationType"] == OM_OBSERVATION


def test_spec_post_datastream_of_another_observation_type(world: World) -> None:
    thing = post(
        world, "/Things", {"name": "t", "description": "d", "properties": {"medium": "ambient_air"}}
    )
    ds = post(
        world,
        "/Datastreams",
        {
            "name": "temperature",
            "description": "d",
            "unitOfMeasurement": {"name": "Celsius", "symbol": "°C", "definition": "x"},
            "observationType": OM_OBSERVATION,
            "Thing": {"@iot.id": thing["@iot.id"]},
            "ObservedProperty": {"@iot.id": "TEMP"},
            "Sensor": dict(SENSOR),
        },
    )
    assert ds["observationType"] == OM_OBSERVATION


@pytest.mark.parametrize(
    "result",
    [True, False, "fourty two", 1, 1.23, {"number": 1.23, "string": "x", "boolean": True},
     [1.23, "One comma twentythree", True], None],
)  # fmt: skip
def test_spec_observation_result_of_any_type(world: World, result: Any) -> None:
    """What the suite's result-type tests send: each result reads back as it was written."""
    ds = free_datastream(world, "someType")["@iot.id"]
    obs = post(
        world,
        f"/Datastreams({ds})/Observations",
        {"phenomenonTime": "2026-02-01T00:00:00Z", "result": result},
    )
    assert obs["result"] == result and type(obs["result"]) is type(result)


def test_a_measurement_takes_numbers_only(world: World) -> None:
    """An OM_Measurement's result is a number, so the specification's own typing refuses
    "high" there (400 naming the field): the registry's series stay numeric."""
    r = world.client.post(
        f"{STA}/Datastreams({world.series['PUB_AIR']})/Observations",
        json={"phenomenonTime": "2026-02-01T00:00:00Z", "result": "high"},
        headers=world.h("admin"),
    )
    assert r.status_code == 400
    (problem,) = r.json()["problems"]
    assert problem["where"] == "$.result" and "OM_Measurement" in problem["message"]


def test_spec_patch_observation_phenomenon_time(world: World) -> None:
    oid = observation_id(world.series["PUB_AIR"], T0)
    answer = call(
        world, "PATCH", f"/Observations({oid})", {"phenomenonTime": "2026-02-01T00:40:00.000Z"}
    )
    assert answer["phenomenonTime"] == "2026-02-01T00:40:00.000Z"


def test_spec_put_observation_result_and_phenomenon_time(world: World) -> None:
    oid = observation_id(world.series["PUB_AIR"], T0 + STEP)
    sent = {"result": 99, "phenomenonTime": "2026-02-01T00:40:00.000Z"}
    answer = call(world, "PUT", f"/Observations({oid})", sent)
    assert (answer["result"], answer["phenomenonTime"]) == (99, sent["phenomenonTime"])


def test_observation_without_phenomenon_time_is_refused_not_stamped(world: World) -> None:
    """The specification lets a server fill a missing phenomenonTime from its clock; issue #7
    names that as a failure of peer servers to avoid (a measurement filed at the wrong time),
    so quantrac refuses it on purpose: this is a decision, not a gap to close."""
    r = world.client.post(
        f"{STA}/Datastreams({world.series['PUB_AIR']})/Observations",
        json={"result": 1},
        headers=world.h("admin"),
    )
    assert r.status_code == 400
    assert "phenomenonTime" in r.text


def test_spec_observation_keeps_result_time_and_valid_time(world: World) -> None:
    sent = {
        "phenomenonTime": "2026-02-01T00:00:00.000Z",
        "resultTime": "2026-02-01T00:10:00.000Z",
        "validTime": "2026-02-01T00:00:00.000Z/2026-02-02T00:00:00.000Z",
        "result": 1,
    }
    obs = post(world, f"/Datastreams({world.series['PUB_AIR']})/Observations", sent)
    assert obs["resultTime"] == sent["resultTime"]
    assert obs.get("validTime") == sent["validTime"]


def test_spec_delete_datastream_deletes_its_observations(world: World) -> None:
    sid = world.series["PUB_AIR"]
    call(world, "DELETE", f"/Datastreams({sid})")
    get(world, f"/Datastreams({sid})", status=404)
    get(world, f"/Observations({observation_id(sid, T0)})", status=404)


def test_spec_delete_sensor_in_use_deletes_its_datastreams(world: World) -> None:
    sensor = post(world, "/Sensors", SENSOR)
    ds = co_datastream(world, 1, sensor={"@iot.id": sensor["@iot.id"]})
    call(world, "DELETE", f"/Sensors({sensor['@iot.id']})")
    get(world, f"/Sensors({sensor['@iot.id']})", status=404)
    get(world, f"/Datastreams({ds['@iot.id']})", status=404)


def test_spec_delete_observed_property_in_use_deletes_its_datastreams(world: World) -> None:
    prop = post(
        world,
        "/ObservedProperties",
        {"name": "Carbon monoxide", "definition": "urn:quantrac:parameter:CO", "description": "CO"},
    )
    ds = post(
        world,
        "/Datastreams",
        {
            "name": "CO",
            "description": "CO",
            "unitOfMeasurement": CO_UNIT,
            "observationType": OM_MEASUREMENT,
            "Thing": {"@iot.id": 1},
            "Sensor": dict(SENSOR),
            "ObservedProperty": {"@iot.id": prop["@iot.id"]},
        },
    )
    call(world, "DELETE", f"/ObservedProperties({prop['@iot.id']})")
    get(world, f"/ObservedProperties({prop['@iot.id']})", status=404)
    get(world, f"/Datastreams({ds['@iot.id']})", status=404)


@pytest.mark.parametrize(
    "path",
    [
        "/Sensors(1)",  # a series' own Sensor: its Datastream is deleted with it
        "/HistoricalLocations(1)",  # a station's registration record; the station stays
    ],
)
def test_spec_delete_any_entity(world: World, path: str) -> None:
    call(world, "DELETE", path)
    get(world, path, status=404)


def test_spec_delete_a_things_own_feature_of_interest(world: World) -> None:
    """The feature generated from a Thing's Location goes with the observations that have it,
    as the specification cascades (each recorded as a revision: the old value is kept)."""
    thing = new_thing(world)
    ds = co_datastream(world, thing["@iot.id"])
    obs = post(world, f"/Datastreams({ds['@iot.id']})/Observations",
               {"phenomenonTime": "2026-02-01T00:00:00Z", "result": 1})  # fmt: skip
    foi = get(world, f"/Observations({obs['@iot.id']})/FeatureOfInterest")["@iot.id"]
    call(world, "DELETE", f"/FeaturesOfInterest({foi})")
    get(world, f"/FeaturesOfInterest({foi})", status=404)
    get(world, f"/Observations({obs['@iot.id']})", status=404)
    get(world, f"/Things({thing['@iot.id']})")  # the Thing stays, with its Location


def test_spec_feature_of_interest_of_any_geometry(world: World) -> None:
    polygon = {
        "type": "Polygon",
        "coordinates": [[[105, 21], [106, 21], [106, 22], [105, 21]]],
    }
    foi = post(world, "/FeaturesOfInterest", {**FEATURE, "feature": polygon})
    assert foi["feature"] == polygon


SUITE_ORDER = ("Observations", "FeaturesOfInterest", "Datastreams", "Sensors",
               "ObservedProperties", "HistoricalLocations", "Locations", "Things")  # fmt: skip


def delete_everything(world: World) -> None:
    """How the OGC suite empties a server before and after its create-update-delete class:
    each collection in turn, every entity DELETEd (200, then GET 404), until it is empty."""
    for entity_set in SUITE_ORDER:
        empty_collection(world, entity_set)
        assert get(world, f"/{entity_set}?$count=true")["@iot.count"] == 0, entity_set


def test_the_suites_create_update_delete_walk_in_plain_sensorthings_terms(world: World) -> None:
    """The OGC suite's create-update-delete class with its plain bodies — nothing of quantrac's
    own (no medium, no catalogue code, units and types of the client's choosing), its time
    strings compared as text — from emptying the server to emptying it again."""
    delete_everything(world)  # the registry's stations, series and their data included
    thing = post(world, "/Things", {"name": "Test Thing",
                                    "description": "This is a Test Thing From TestNG"})  # fmt: skip
    tid = thing["@iot.id"]
    location = post(world, "/Locations", {
        "name": "bow river", "description": "bow river", "encodingType": "application/vnd.geo+json",
        "location": {"type": "Point", "coordinates": [-114.05, 51.05]}})  # fmt: skip
    sensor = post(world, "/Sensors", SENSOR)
    prop = post(world, "/ObservedProperties", DEW_POINT)
    foi = post(world, "/FeaturesOfInterest", {**FEATURE, "feature": {"type": "Point",
                                                                     "coordinates": [10, 10]}})
    ds = post(
        world,
        "/Datastreams",
        {"name": "test datastream.", "description": "test datastream.",
         "unitOfMeasurement": DEG_C, "observationType": OM_MEASUREMENT,
         "Thing": {"@iot.id": tid}, "Sensor": {"@iot.id": sensor["@iot.id"]},
         "ObservedProperty": {"@iot.id": prop["@iot.id"]}},
    )  # fmt: skip
    obs = post(
        world,
        "/Observations",
        {"phenomenonTime": "2015-03-01T00:40:00.000Z", "result": 8,
         "Datastream": {"@iot.id": ds["@iot.id"]},
         "FeatureOfInterest": {"@iot.id": foi["@iot.id"]}},
    )  # fmt: skip
    call(world, "PATCH", f"/Things({tid})", {"Locations": [{"@iot.id": location["@iot.id"]}]})
    with_time = post(
        world,
        "/Observations",
        {"phenomenonTime": "2015-03-01T00:00:00.000Z", "resultTime": "2015-03-01T01:00:00.000Z",
         "result": 100, "Datastream": {"@iot.id": ds["@iot.id"]}},
    )  # fmt: skip
    assert with_time["resultTime"] == "2015-03-01T01:00:00.000Z"
    derived = get(world, f"/Observations({with_time['@iot.id']})/FeatureOfInterest")
    assert derived["feature"] == location["location"]  # generated from the Thing's Location
    third = post(world, "/Observations", {"phenomenonTime": "2015-05-01T00:00:00.000Z",
                                          "result": 105, "Datastream": {"@iot.id": ds["@iot.id"]}})
    assert third["resultTime"] is None
    again = get(world, f"/Observations({third['@iot.id']})/FeatureOfInterest")["@iot.id"]
    assert again == derived["@iot.id"]  # the same generated feature, not a new one each time
    hist = post(world, "/HistoricalLocations", {
        "time": "2015-03-01T00:40:00.000Z", "Thing": {"@iot.id": tid},
        "Locations": [{"@iot.id": location["@iot.id"]}]})  # fmt: skip
    # PATCH, then PUT: each entity takes what was sent, as text, and keeps the rest
    updates = (
        ("PATCH", f"/Things({tid})", {"description": "This is a PATCHED Test Thing From TestNG"}),
        ("PATCH", f"/Locations({location['@iot.id']})",
         {"location": {"type": "Point", "coordinates": [114.05, -50]}}),
        ("PATCH", f"/HistoricalLocations({hist['@iot.id']})", {"time": "2015-07-01T00:00:00.000Z"}),
        ("PATCH", f"/Sensors({sensor['@iot.id']})", {"metadata": "PATCHED"}),
        ("PATCH", f"/ObservedProperties({prop['@iot.id']})", {"description": "PATCHED"}),
        ("PATCH", f"/FeaturesOfInterest({foi['@iot.id']})",
         {"feature": {"type": "Point", "coordinates": [114.05, -51.05]}}),
        ("PATCH", f"/Datastreams({ds['@iot.id']})", {"description": "Patched Description"}),
        ("PATCH", f"/Datastreams({ds['@iot.id']})", {"unitOfMeasurement": {
            "name": "Entropy2", "symbol": "S2", "definition": "http://qudt.org/vocab/unit#Entropy2"}}),
        ("PATCH", f"/Observations({obs['@iot.id']})",
         {"phenomenonTime": "2015-07-01T00:40:00.000Z"}),
        ("PUT", f"/Things({tid})", {"description": "This is a Updated Test Thing From TestNG"}),
        ("PUT", f"/Locations({location['@iot.id']})", {"encodingType": "UPDATED ENCODING",
         "description": "UPDATED DESCRIPTION", "location": {"type": "Point",
                                                            "coordinates": [-114.05, 50]}}),
        ("PUT", f"/HistoricalLocations({hist['@iot.id']})", {"time": "2015-08-01T00:00:00.000Z"}),
        ("PUT", f"/Sensors({sensor['@iot.id']})", {"description": "UPDATED",
         "encodingType": "http://schema.org/description", "metadata": "UPDATED"}),
        ("PUT", f"/ObservedProperties({prop['@iot.id']})",
         {"name": "QWERTY", "definition": "ZXCVB", "description": "POIUYTREW"}),
        ("PUT", f"/FeaturesOfInterest({foi['@iot.id']})", {"encodingType": "SQUARE", "feature":
         {"type": "Point", "coordinates": [-114.05, 51.05]}, "description": "POIUYTREW"}),
        ("PUT", f"/Datastreams({ds['@iot.id']})", {"description": "Data coming from sensor on ISS.",
         "observationType": OM_OBSERVATION, "unitOfMeasurement": {
             "name": "Entropy", "symbol": "S", "definition": "http://qudt.org/vocab/unit#Entropy"}}),
        ("PUT", f"/Observations({obs['@iot.id']})",
         {"result": "99", "phenomenonTime": "2015-08-01T00:40:00.000Z"}),
    )  # fmt: skip
    for method, path, sent in updates:
        before = get(world, path)
        call(world, method, path, sent)
        after = get(world, path)  # an Observation moved in time answers its old id too
        # compared as the suite compares them: its entity type's properties (a moved
        # Observation's id and links are new, and its quality is that of its new result)
        props = ENTITY_TYPES[path[1 : path.index("(")]][0]
        _changed_only(*({k: e[k] for k in props} for e in (before, after)), sent)
    assert get(world, f"/Observations({obs['@iot.id']})")["result"] == "99"  # as sent: text
    delete_everything(world)


def _entities_for_delete(world: World) -> dict[str, Any]:
    """What the suite creates before each of its DELETE integrity checks: a Thing with a
    Location and a Datastream (lumen, a new Sensor and ObservedProperty), one Observation
    without a feature (so one is generated from the Location)."""
    delete_everything(world)
    thing = post(world, "/Things", {
        "name": "thing 1", "description": "thing 1", "properties": {"reference": "first"},
        "Locations": [{"name": "location 1", "description": "location 1",
                       "encodingType": "application/vnd.geo+json",
                       "location": {"type": "Point", "coordinates": [-117.05, 51.05]}}],
        "Datastreams": [{"unitOfMeasurement": {"name": "Lumen", "symbol": "lm",
                                               "definition": "http://www.qudt.org/lumen"},
                         "name": "datastream 1", "description": "datastream 1",
                         "observationType": OM_MEASUREMENT,
                         "ObservedProperty": {"name": "Luminous Flux", "definition": "x",
                                              "description": "observedProperty 1"},
                         "Sensor": {"name": "sensor 1", "description": "sensor 1",
                                    "encodingType": "application/pdf",
                                    "metadata": "Light flux sensor"}}],
    })  # fmt: skip
    tid = thing["@iot.id"]
    (ds,) = get(world, f"/Things({tid})/Datastreams")["value"]
    obs = post(world, f"/Datastreams({ds['@iot.id']})/Observations",
               {"phenomenonTime": "2015-03-01T00:00:00Z", "result": 1})  # fmt: skip
    return {
        "Things": tid,
        "Locations": get(world, f"/Things({tid})/Locations")["value"][0]["@iot.id"],
        "HistoricalLocations": get(world, f"/Things({tid})/HistoricalLocations")["value"][0][
            "@iot.id"
        ],
        "Datastreams": ds["@iot.id"],
        "Sensors": get(world, f"/Datastreams({ds['@iot.id']})/Sensor")["@iot.id"],
        "ObservedProperties": get(world, f"/Datastreams({ds['@iot.id']})/ObservedProperty")[
            "@iot.id"
        ],
        "Observations": obs["@iot.id"],
        "FeaturesOfInterest": get(world, f"/Observations({obs['@iot.id']})/FeatureOfInterest")[
            "@iot.id"
        ],
    }


#: The suite's DELETE integrity checks: deleting one entity empties these collections …
GONE_WITH = {
    "Things": ("Things", "Datastreams", "HistoricalLocations", "Observations"),
    "Datastreams": ("Datastreams", "Observations"),
    "Locations": ("Locations", "HistoricalLocations"),
    "HistoricalLocations": ("HistoricalLocations",),
    "Sensors": ("Sensors", "Datastreams", "Observations"),
    "ObservedProperties": ("ObservedProperties", "Datastreams", "Observations"),
    "FeaturesOfInterest": ("FeaturesOfInterest", "Observations"),
    "Observations": ("Observations",),
}


@pytest.mark.parametrize("deleted", list(GONE_WITH))
def test_the_suites_delete_integrity_checks(world: World, deleted: str) -> None:
    """… and leaves every other collection with something in it."""
    ids = _entities_for_delete(world)
    call(world, "DELETE", f"/{deleted}({key(ids[deleted])})")
    for entity_set in SUITE_ORDER:
        listed = get(world, f"/{entity_set}")["value"]
        if entity_set in GONE_WITH[deleted]:
            assert listed == [], entity_set
        else:
            assert listed, entity_set
