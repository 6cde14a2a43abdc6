"""SensorThings writes: deep inserts, dataArray, updates as revisions, deletes, and the
failures of peer servers ruled out (bad time → 400, never server time; a batch with errors is
never a 201 and writes nothing)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from quantrac.store.db import Store
from quantrac.store.schema import audit_log, observation, observation_revision, raw_file
from tests.integration.api_world import World

STA = "/sta/v1.1"


def call(
    world: World, method: str, path: str, body: Any = None, who: str = "hn", status: int = 201
) -> Any:
    r = world.client.request(method, f"{STA}{path}", json=body, headers=world.h(who))
    assert r.status_code == status, r.text
    return r.json() if r.content else None


def n_observations(store: Store) -> int:
    with store.read() as conn:
        return int(conn.scalar(select(func.count()).select_from(observation)))


THING = {
    "name": "Trạm Cầu Giấy",
    "description": "trạm mới",
    "properties": {"medium": "ambient_air", "code": "HN_CG"},
    "Locations": [
        {
            "name": "CG",
            "encodingType": "application/geo+json",
            "location": {"type": "Point", "coordinates": [105.79, 21.03]},
        }
    ],
    "Datastreams": [
        {
            "name": "PM10",
            "unitOfMeasurement": {"symbol": "µg/Nm3"},
            "observationType": "OM_Measurement",
            "ObservedProperty": {"name": "PM10", "definition": "x"},
            "Sensor": {"name": "s", "encodingType": "text/html", "metadata": "m"},
            "Observations": [{"phenomenonTime": "2026-02-01T00:00:00Z", "result": 20}],
        }
    ],
}


def test_deep_insert_then_read_back(world: World) -> None:
    thing = call(world, "POST", "/Things", THING)
    tid = thing["@iot.id"]
    assert thing["properties"]["code"] == "HN_CG" and thing["properties"]["admin_unit"] == "01-2025"
    got = call(
        world,
        "GET",
        f"/Things({tid})?$expand=Locations,Datastreams($expand=Observations,ObservedProperty)",
        status=200,
    )
    assert got["Locations"][0]["location"]["coordinates"] == [105.79, 21.03]
    ds = got["Datastreams"][0]
    # the inline ObservedProperty is kept in the client's words, tied to the catalogue's PM10
    op = ds["ObservedProperty"]
    assert (op["name"], op["definition"], op["properties"]) == ("PM10", "x", {"parameter": "PM10"})
    assert ds["name"] == "PM10" and ds["properties"]["parameter"] == "PM10"
    assert call(world, "GET", f"/Datastreams({ds['@iot.id']})/Sensor", status=200)["name"] == "s"
    assert [o["result"] for o in ds["Observations"]] == [20.0]
    call(
        world,
        "POST",
        "/Datastreams",
        {
            "Thing": {"@iot.id": tid},
            "ObservedProperty": {"@iot.id": "PM10"},
            "Sensor": {"name": "s2", "encodingType": "text/html", "metadata": "m"},
        },
        status=409,
    )
    loc = call(
        world,
        "POST",
        f"/Things({tid})/Locations",
        {
            "name": "moved",
            "encodingType": "application/geo+json",
            "location": {"type": "Point", "coordinates": [105.8, 21.04]},
        },
    )
    assert loc["location"]["coordinates"] == [105.8, 21.04]


def test_observations_single_and_data_array(world: World) -> None:
    ds = world.series["PUB_AIR"]
    before = n_observations(world.store)
    one = call(
        world,
        "POST",
        f"/Datastreams({ds})/Observations",
        {
            "phenomenonTime": "2026-02-01T07:00:00+07:00",
            "result": 5.5,
            "parameters": {"device_status": 0},
        },
    )
    assert one["phenomenonTime"] == "2026-02-01T00:00:00.000Z" and one["result"] == 5.5
    links = call(
        world,
        "POST",
        "/CreateObservations",
        [
            {
                "Datastream": {"@iot.id": ds},
                "components": ["result", "phenomenonTime"],
                "dataArray@iot.count": 2,
                "dataArray": [[1.0, "2026-02-02T00:00:00Z"], [None, "2026-02-02T00:05:00Z"]],
            },
            {
                "Datastream": {"@iot.id": world.series["A_OUT"]},
                "components": ["phenomenonTime", "result", "FeatureOfInterest/id"],
                "dataArray": [["2026-02-02T00:00:00Z", 3, 2]],
            },
        ],
    )
    assert len(links) == 3 and all(
        link.startswith("http://testserver/sta/v1.1/Observations(") for link in links
    )
    assert n_observations(world.store) == before + 4
    stored = call(world, "GET", links[1].split("/sta/v1.1")[1], status=200)
    assert stored["result"] is None
    with world.store.read() as conn:
        sources = set(conn.scalars(select(raw_file.c.source)))
    assert "sta" in sources  # archived before parsing


@pytest.mark.parametrize(
    "body",
    [
        {"phenomenonTime": "garbage", "result": 1},
        {"phenomenonTime": "2026-02-01T00:00:00", "result": 1},  # no offset
        {"phenomenonTime": "2026-02-01T00:00:00Z/2026-02-01T01:00:00Z", "result": 1},
        {"result": 1},
        {"phenomenonTime": "2026-02-01T00:00:00Z", "result": "12"},
        {"phenomenonTime": "2026-02-01T00:00:00Z", "result": True},
        {"phenomenonTime": "1900-01-01T00:00:00Z", "result": 1},
    ],
)
def test_bad_observations_are_400_and_never_server_time(world: World, body: dict) -> None:
    before = n_observations(world.store)
    err = call(
        world, "POST", f"/Datastreams({world.series['PUB_AIR']})/Observations", body, status=400
    )
    assert err["problems"] and "nothing was written" in err["message"]
    assert n_observations(world.store) == before


def test_a_batch_with_one_bad_row_is_not_a_201_and_writes_nothing(world: World) -> None:
    before = n_observations(world.store)
    err = call(
        world,
        "POST",
        "/CreateObservations",
        [
            {
                "Datastream": {"@iot.id": world.series["PUB_AIR"]},
                "components": ["phenomenonTime", "result"],
                "dataArray": [
                    ["2026-02-03T00:00:00Z", 1],
                    ["2026-02-03T00:05:00Z", "x"],
                    ["not-a-time", 2],
                    ["2026-02-03T00:10:00Z"],
                ],
            },
            {
                "Datastream": {"@iot.id": 424242},
                "components": ["phenomenonTime", "result"],
                "dataArray": [["2026-02-03T00:00:00Z", 1]],
            },
        ],
        status=400,
    )
    wheres = [p["where"] for p in err["problems"]]
    assert "$[0].dataArray[1].result" in wheres
    assert "$[0].dataArray[2].phenomenonTime" in wheres
    assert "$[0].dataArray[3]" in wheres
    assert "$[1].dataArray[0].Datastream" in wheres
    assert n_observations(world.store) == before
    call(world, "POST", "/CreateObservations", {"not": "a list"}, status=400)


def test_updates_are_revisions_and_deletes_are_recorded(world: World) -> None:
    sid = world.series["PUB_AIR"]
    oid = sid * 2**32 + 1_767_225_600
    patched = call(world, "PATCH", f"/Observations({oid})", {"result": 99.5}, status=200)
    assert patched["result"] == 99.5
    call(world, "PATCH", f"/Observations({oid})", {"phenomenonTime": "yesterday"}, status=400)
    call(world, "DELETE", f"/Observations({oid})", status=200)
    call(world, "GET", f"/Observations({oid})", status=404)
    with world.store.read() as conn:
        revs = conn.execute(
            select(
                observation_revision.c.old_value,
                observation_revision.c.new_value,
                observation_revision.c.changed_by,
            ).order_by(observation_revision.c.id)
        ).all()
        actions = list(
            conn.scalars(select(audit_log.c.action).where(audit_log.c.action.like("sta.%")))
        )
    assert [(r[0], r[1]) for r in revs] == [(10.0, 99.5), (99.5, None)]
    assert all(r[2].startswith("key:") for r in revs)
    assert actions.count("sta.delete") == 1 and "sta.observations" in actions


def test_registry_changes_need_staff_in_scope(world: World) -> None:
    call(world, "POST", "/Things", THING, who="ent_a", status=403)
    call(
        world,
        "POST",
        "/Things",
        {"name": "x", "properties": {"medium": "ambient_air", "admin_unit": "79"}},
        status=403,
    )  # Hà Nội staff adding in Hồ Chí Minh City
    plain = call(world, "POST", "/Things", {"name": "x"}, status=201)  # no medium: "other"
    assert plain["properties"]["medium"] == "other"
    call(world, "POST", "/Things", {"name": "y", "properties": {"medium": "lava"}}, status=422)
    # keys the registry does not have are the client's own: kept and answered
    own = call(
        world,
        "POST",
        "/Things",
        {"name": "x", "properties": {"medium": "air", "colour": "red", "floor": {"n": 3}}},
        status=201,
    )
    assert own["properties"]["colour"] == "red" and own["properties"]["floor"] == {"n": 3}
    assert own["properties"]["medium"] == "ambient_air"
    path = f"/Things({own['@iot.id']})"
    call(world, "PATCH", path, {"properties": {"colour": "blue"}}, status=200)
    props = call(world, "GET", path, status=200)["properties"]
    assert props["colour"] == "blue" and "floor" not in props  # the client's keys: as sent now
    assert props["medium"] == "ambient_air"  # the registry's: kept unless sent
    call(
        world,
        "PATCH",
        "/Things(1)",
        {"description": "đã sửa", "properties": {"network": "QG"}},
        status=200,
    )
    assert call(world, "GET", "/Things(1)", who=None, status=200)["description"] == "đã sửa"
    call(world, "PATCH", "/Things(1)", {"properties": {"code": "RENAMED"}}, status=422)
    call(world, "PATCH", "/Things(4)", {"description": "x"}, status=404)  # B_OUT: invisible
    call(
        world,
        "PATCH",
        "/Locations(1)",
        {"location": {"type": "Point", "coordinates": [200, 0]}},
        status=422,
    )
    assert (
        call(world, "PATCH", "/Datastreams(1)", {"description": "x"}, status=200)["description"]
        == "x"
    )
    call(world, "PATCH", "/Datastreams(1)", {"unitOfMeasurement": {"symbol": "mg/L"}}, status=422)
    call(world, "POST", "/Sensors", {"name": "s"}, status=400)  # encodingType, metadata missing
    call(world, "POST", "/FeaturesOfInterest", {"name": "f"}, status=400)  # no feature
    call(
        world,
        "POST",
        "/Locations",
        {"location": {"type": "Point", "coordinates": [1, 2]}},
        status=400,  # a Location needs a name
    )
    pm = call(world, "POST", "/ObservedProperties", {"name": "PM 2.5", "definition": "d"})
    assert isinstance(pm["@iot.id"], int) and pm["properties"] == {"parameter": "PM25"}
    dew = call(world, "POST", "/ObservedProperties", {"name": "Dew point", "definition": "d"})
    assert "properties" not in dew  # outside the catalogue: a parameter once a Datastream uses it
    call(world, "POST", "/ObservedProperties", {"name": "no definition"}, status=400)
    call(world, "DELETE", "/Datastreams(1)", who="ent_a", status=403)
    call(world, "DELETE", "/Datastreams(1)", status=200)  # retired: its observations are kept
    call(world, "GET", "/Datastreams(1)", status=404)
    call(world, "DELETE", "/HistoricalLocations(1)", who="ent_a", status=403)
    call(world, "DELETE", "/Things(1)", who="ent_a", status=403)
    call(world, "DELETE", "/Things(1)", status=200)
    call(world, "GET", "/Things(1)", status=404)
    call(world, "POST", "/Things", [1, 2], status=400)
    r = world.client.post(f"{STA}/Things", content=b"{", headers=world.h("hn"))
    assert r.status_code == 400


def test_a_thing_keeps_every_location_it_is_given(world: World) -> None:
    """Nothing is dropped or renamed behind the caller's back: a Thing keeps all its
    Locations (the station's point is the first one's), a Location keeps its own name."""
    two = {**THING, "Datastreams": []}
    two["Locations"] = [
        *THING["Locations"],
        {**THING["Locations"][0], "name": "second", "location": {"type": "Point",
                                                               "coordinates": [105.8, 21.0]}},
    ]  # fmt: skip
    tid = call(world, "POST", "/Things", two)["@iot.id"]
    locs = call(world, "GET", f"/Things({tid})/Locations?$orderby=name", status=200)["value"]
    assert [loc["name"] for loc in locs] == ["CG", "second"]
    assert {loc["encodingType"] for loc in locs} == {"application/geo+json"}
    station = world.client.get("/api/v1/stations/HN_CG", headers=world.h("hn")).json()
    assert (station["longitude"], station["latitude"]) == (105.79, 21.03)
    # one Location shared by two Things: each answers it, and it answers both
    call(world, "PATCH", "/Things(1)", {"Locations": [{"@iot.id": locs[1]["@iot.id"]}]}, status=200)
    things = call(world, "GET", f"/Locations({locs[1]['@iot.id']})/Things", status=200)["value"]
    assert sorted(t["@iot.id"] for t in things) == [1, tid]
    expanded = call(world, "GET", "/Things(1)?$expand=Locations", status=200)["Locations"]
    assert [loc["name"] for loc in expanded] == ["second"]
    # a station's own Location takes a name of its own; the Thing keeps its name
    before = call(world, "GET", "/Things(2)", status=200)["name"]
    call(world, "PATCH", "/Locations(2)", {"name": "đổi tên", "encodingType": "text/plain"},
         status=200)  # fmt: skip
    assert call(world, "GET", "/Locations(2)", status=200)["name"] == "đổi tên"
    assert call(world, "GET", "/Things(2)", status=200)["name"] == before


def test_a_value_the_registry_model_refuses_is_a_422(world: World) -> None:
    """Found by tests/integration/test_sta_fuzz.py: a medium that is not text reached the
    station model and answered 500."""
    for medium in (True, {"x": 1}, 7):
        body = {**THING, "Datastreams": [], "properties": {"medium": medium, "code": "HN_X"}}
        answer = call(world, "POST", "/Things", body, status=422)
        assert answer["problems"][0]["where"] == "medium"




def test_an_empty_locations_list_unlinks_them_all(world: World) -> None:
    call(world, "PATCH", "/Things(1)", {"Locations": []}, status=200)
    assert call(world, "GET", "/Things(1)/Locations", status=200)["value"] == []
    station = world.client.get("/api/v1/stations/PUB_AIR", headers=world.h("hn")).json()
    assert station["latitude"] is None
