"""SensorThings Sensors, ObservedProperties, FeaturesOfInterest and HistoricalLocations that
clients store: create (201 + Location), read back, change (200), delete (200, then 404), link
by @iot.id, deep insert — and who may see and change them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from quantrac.api.sta.core import STORED_BASE
from quantrac.store.db import Store
from quantrac.store.schema import series, station
from quantrac.store.schema_sta import sta_observed_property, sta_sensor
from tests.integration.api_world import World

STA = "/sta/v1.1"
POINT = {"type": "Point", "coordinates": [105.84, 21.02]}
SENSOR = {
    "name": "BAM-1020",
    "description": "Beta attenuation monitor",
    "encodingType": "application/pdf",
    "metadata": "https://example.org/bam.pdf",
    "properties": {"serial": "B123"},
}
DEW = {
    "name": "DewPoint Temperature",
    "definition": "http://dbpedia.org/page/Dew_point",
    "description": "The temperature to which air must be cooled for dew to form.",
}


def call(
    world: World,
    method: str,
    path: str,
    body: Any = None,
    who: str | None = "hn",
    status: int = 200,
) -> Any:
    r = world.client.request(method, f"{STA}{path}", json=body, headers=world.h(who))
    assert r.status_code == status, r.text
    return r.json() if r.content else None


def post(world: World, path: str, body: Any, who: str = "hn") -> dict[str, Any]:
    r = world.client.post(f"{STA}{path}", json=body, headers=world.h(who))
    assert r.status_code == 201, r.text
    doc = r.json()
    assert r.headers["Location"] == doc["@iot.selfLink"]
    return doc


def n_rows(store: Store, table: Any) -> int:
    with store.read() as conn:
        return int(conn.scalar(select(func.count()).select_from(table)))


# --- Sensors ------------------------------------------------------------------------------------
def test_a_sensor_is_created_read_changed_and_deleted(world: World) -> None:
    created = post(world, "/Sensors", SENSOR)
    sid = created["@iot.id"]
    assert sid > STORED_BASE and created["metadata"] == SENSOR["metadata"]
    got = call(world, "GET", f"/Sensors({sid})", who=None)  # free-standing: anyone sees it
    assert {k: got[k] for k in SENSOR} == SENSOR
    assert got["Datastreams@iot.navigationLink"].endswith(f"/Sensors({sid})/Datastreams")
    patched = call(world, "PATCH", f"/Sensors({sid})", {"metadata": "PATCHED"})
    assert patched["metadata"] == "PATCHED" and patched["name"] == "BAM-1020"
    put = call(world, "PUT", f"/Sensors({sid})", {**SENSOR, "name": "UPDATED"})
    assert put["name"] == "UPDATED" and put["metadata"] == SENSOR["metadata"]
    listed = call(world, "GET", "/Sensors?$filter=startswith(name, 'UPD')&$count=true")
    assert [s["@iot.id"] for s in listed["value"]] == [sid] and listed["@iot.count"] == 1
    call(world, "PATCH", f"/Sensors({sid})", {"Datastreams": [{"name": "x"}]}, status=400)
    call(world, "PATCH", f"/Sensors({sid})", {"colour": "red"}, status=400)
    call(world, "PATCH", f"/Sensors({sid})", {"name": "x"}, who="ent_a", status=403)
    call(world, "DELETE", f"/Sensors({sid})")
    call(world, "GET", f"/Sensors({sid})", status=404)
    call(world, "DELETE", f"/Sensors({sid})", status=404)
    call(world, "DELETE", "/Sensors(9223372036854775807)", status=404)


def test_derived_sensors_cannot_be_changed(world: World) -> None:
    derived = call(world, "GET", "/Datastreams(1)/Sensor")
    assert derived["@iot.id"] == 1 and derived["metadata"].endswith("/api/v1/series/1")
    call(world, "PATCH", "/Sensors(1)", {"name": "x"}, status=422)
    # deleting it deletes its Datastream (test_sta_conformance.py): staff only
    call(world, "DELETE", "/Sensors(1)", who="ent_a", status=403)
    call(world, "POST", "/Sensors", SENSOR, who="ent_a", status=403)
    call(world, "POST", "/Sensors", SENSOR, who=None, status=401)
    err = call(world, "POST", "/Sensors", {"name": "s"}, status=400)
    assert [p["where"] for p in err["problems"]] == ["encodingType", "metadata"]


def test_datastream_deep_insert_stores_inline_sensor_and_observed_property(world: World) -> None:
    thing = post(
        world,
        "/Things",
        {
            "name": "Trạm mới",
            "properties": {"medium": "ambient_air"},
            "Locations": [{"name": "p", "encodingType": "application/geo+json", "location": POINT}],
        },
    )
    body = {
        "name": "PM2.5 ở trạm mới",
        "description": "fine dust",
        "unitOfMeasurement": {"name": "µg/m³", "symbol": "µg/Nm3", "definition": "ucum"},
        "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
        "Thing": {"@iot.id": thing["@iot.id"]},
        "Sensor": SENSOR,
        "ObservedProperty": {
            "name": "PM2.5",
            "definition": "https://example.org/pm25",
            "description": "particles under 2.5 µm",
        },
        "Observations": [{"phenomenonTime": "2026-02-01T00:00:00Z", "result": 7}],
    }
    ds = post(world, "/Datastreams", body)
    assert (ds["name"], ds["description"]) == ("PM2.5 ở trạm mới", "fine dust")
    assert ds["properties"]["parameter"] == "PM25"
    sensor = call(world, "GET", f"/Datastreams({ds['@iot.id']})/Sensor")
    assert sensor["name"] == SENSOR["name"] and sensor["@iot.id"] > STORED_BASE
    op = call(world, "GET", f"/Datastreams({ds['@iot.id']})/ObservedProperty")
    assert (op["name"], op["definition"]) == ("PM2.5", "https://example.org/pm25")
    assert op["properties"] == {"parameter": "PM25"}
    # navigation back, and $filter / $expand through the new links
    back = call(world, "GET", f"/Sensors({sensor['@iot.id']})/Datastreams")["value"]
    assert [d["@iot.id"] for d in back] == [ds["@iot.id"]]
    by_op = call(world, "GET", f"/Datastreams?$filter=ObservedProperty/id eq {op['@iot.id']}")
    assert [d["@iot.id"] for d in by_op["value"]] == [ds["@iot.id"]]
    by_sensor = call(world, "GET", f"/Datastreams?$filter=Sensor/name eq '{SENSOR['name']}'")
    assert [d["@iot.id"] for d in by_sensor["value"]] == [ds["@iot.id"]]
    exp = call(
        world, "GET", f"/ObservedProperties({op['@iot.id']})?$expand=Datastreams($expand=Sensor)"
    )
    assert exp["Datastreams"][0]["Sensor"]["@iot.id"] == sensor["@iot.id"]
    # linking by @iot.id: the stored Sensor and ObservedProperty serve another Datastream
    link = {
        **body,
        "Thing": {"@iot.id": 1},
        "Observations": [],
        "Sensor": {"@iot.id": sensor["@iot.id"], "name": "ignored"},
        "ObservedProperty": {"@iot.id": op["@iot.id"]},
    }
    call(world, "POST", "/Datastreams", link, status=409)  # PUB_AIR already has PM25
    pm10 = post(world, "/ObservedProperties", {"name": "PM10", "definition": "d"})
    other = post(
        world,
        "/Datastreams",
        {**link, "ObservedProperty": {"@iot.id": pm10["@iot.id"]}, "unitOfMeasurement": None},
    )
    assert (
        call(world, "GET", f"/Datastreams({other['@iot.id']})/Sensor")["@iot.id"]
        == sensor["@iot.id"]
    )
    # in use: deleted with their Datastreams, which are retired (observations kept:
    # test_sta_retire.py)
    call(world, "DELETE", f"/Sensors({sensor['@iot.id']})", status=200)
    for gone in (ds, other):
        call(world, "GET", f"/Datastreams({gone['@iot.id']})", status=404)
    call(world, "DELETE", f"/ObservedProperties({op['@iot.id']})", status=200)
    call(world, "GET", f"/ObservedProperties({op['@iot.id']})", status=404)


def test_invalid_datastreams_create_nothing(world: World) -> None:
    sensors, ops = n_rows(world.store, sta_sensor), n_rows(world.store, sta_observed_property)
    with world.store.read() as conn:
        n_series = conn.scalar(select(func.count()).select_from(series))
    base = {
        "Thing": {"@iot.id": 1},
        "Sensor": SENSOR,
        "ObservedProperty": {"@iot.id": "NO2"},
        "unitOfMeasurement": {"symbol": "µg/Nm3"},
    }
    for missing in ("Thing", "Sensor", "ObservedProperty"):
        call(
            world,
            "POST",
            "/Datastreams",
            {k: v for k, v in base.items() if k != missing},
            status=400,
        )
    post(world, "/ObservedProperties", DEW)  # stored, unused: the last line counts it
    call(world, "POST", "/Datastreams", {**base, "Sensor": {"@iot.id": 3}}, status=422)  # derived
    for kind in (42, "", "x" * 256):
        call(world, "POST", "/Datastreams", {**base, "observationType": kind}, status=400)
    # a deep insert that fails half-way leaves nothing behind (the inline Sensor included)
    call(
        world, "POST", "/Datastreams", {**base, "unitOfMeasurement": {"symbol": "ppm"}}, status=422
    )
    assert n_rows(world.store, sta_sensor) == sensors
    assert n_rows(world.store, sta_observed_property) == ops + 1  # DEW only
    with world.store.read() as conn:
        assert conn.scalar(select(func.count()).select_from(series)) == n_series


def test_patching_a_datastream_links_and_describes_it(world: World) -> None:
    sensor = post(world, "/Sensors", SENSOR)
    ds = call(
        world,
        "PATCH",
        "/Datastreams(1)",
        {"name": "PM2.5 Hoàn Kiếm", "Sensor": {"@iot.id": sensor["@iot.id"]}},
    )
    assert ds["name"] == "PM2.5 Hoàn Kiếm"
    assert call(world, "GET", "/Datastreams(1)/Sensor")["@iot.id"] == sensor["@iot.id"]
    call(world, "GET", "/Sensors(1)", status=404)  # the derived one gave way
    call(world, "PATCH", "/Datastreams(1)", {"Sensor": {"@iot.id": 1}})  # back to derived
    assert call(world, "GET", "/Datastreams(1)/Sensor")["@iot.id"] == 1
    call(world, "PATCH", "/Datastreams(1)", {"Sensor": SENSOR}, status=400)  # inline: no
    call(world, "PATCH", "/Datastreams(1)", {"Thing": {"name": "x"}}, status=400)
    call(world, "PATCH", "/Datastreams(1)", {"Thing": {"@iot.id": 2}}, status=422)
    call(world, "PATCH", "/Datastreams(1)", {"Observations": [{"result": 1}]}, status=400)
    call(world, "PATCH", "/Datastreams(1)", {"ObservedProperty": {"@iot.id": "NO2"}}, status=422)
    words = post(
        world,
        "/ObservedProperties",
        {"name": "Bụi mịn", "definition": "d", "properties": {"parameter": "PM25"}},
    )
    call(world, "PATCH", "/Datastreams(1)", {"ObservedProperty": {"@iot.id": words["@iot.id"]}})
    assert call(world, "GET", "/Datastreams(1)/ObservedProperty")["name"] == "Bụi mịn"
    # renamed in the client's words it still measures PM2.5; made to mean PM10 it may not
    call(world, "PATCH", f"/ObservedProperties({words['@iot.id']})", {"name": "Fine dust"})
    call(
        world,
        "PATCH",
        f"/ObservedProperties({words['@iot.id']})",
        {"properties": {"parameter": "PM10"}},
        status=422,
    )
    call(world, "PATCH", "/Datastreams(1)", {"description": "x"}, who="ent_a", status=403)


# --- ObservedProperties ---------------------------------------------------------------------------
def test_observed_properties_mix_the_catalogue_and_stored_ones(world: World) -> None:
    dew = post(world, "/ObservedProperties", DEW)
    oid = dew["@iot.id"]
    assert isinstance(oid, int) and "properties" not in dew
    assert call(world, "GET", f"/ObservedProperties({oid})")["name"] == DEW["name"]
    assert call(world, "GET", "/ObservedProperties('PM25')")["properties"]["code"] == "PM25"
    call(world, "GET", f"/ObservedProperties('{oid}')", status=404)  # a code, not a number
    for flt, expected in (
        (f"id eq {oid}", [oid]),
        ("id eq 'PM25'", ["PM25"]),
        ("name eq 'DewPoint Temperature'", [oid]),
    ):
        got = call(world, "GET", f"/ObservedProperties?$filter={flt}")["value"]
        assert [o["@iot.id"] for o in got] == expected, flt
    ids: list[Any] = []
    page = call(world, "GET", "/ObservedProperties?$top=40&$count=true")
    total = page["@iot.count"]
    while True:
        ids += [o["@iot.id"] for o in page["value"]]
        if "@iot.nextLink" not in page:
            break
        page = world.client.get(page["@iot.nextLink"].replace("http://testserver", "")).json()
    assert len(ids) == len(set(ids)) == total and oid in ids and "PM25" in ids
    patched = call(world, "PATCH", f"/ObservedProperties({oid})", {"description": "PATCHED"})
    assert patched["description"] == "PATCHED" and patched["name"] == DEW["name"]
    call(world, "PATCH", "/ObservedProperties('PM25')", {"description": "x"}, status=422)
    # a catalogue parameter is an ObservedProperty while Datastreams observe it: deleting it
    # deletes them (their data kept), and it is then gone until a Datastream observes it again
    pm25 = call(world, "GET", "/ObservedProperties('PM25')/Datastreams")["value"]
    assert pm25
    call(world, "DELETE", "/ObservedProperties('PM25')", who="ent_a", status=403)
    call(world, "DELETE", "/ObservedProperties('PM25')")
    call(world, "GET", "/ObservedProperties('PM25')", status=404)
    for ds in pm25:
        call(world, "GET", f"/Datastreams({ds['@iot.id']})", status=404)
    call(
        world, "PATCH", f"/ObservedProperties({oid})", {"Datastreams": [{"name": "x"}]}, status=400
    )
    call(world, "DELETE", f"/ObservedProperties({oid})")
    call(world, "GET", f"/ObservedProperties({oid})", status=404)


# --- FeaturesOfInterest -----------------------------------------------------------------------
def test_observations_name_their_feature_of_interest(world: World) -> None:
    foi = post(
        world,
        "/FeaturesOfInterest",
        {
            "name": "Cửa xả",
            "description": "outlet",
            "feature": POINT,
            "encodingType": "application/geo+json",
        },
    )
    fid = foi["@iot.id"]
    assert fid > STORED_BASE and foi["feature"] == POINT
    ds = world.series["PUB_AIR"]
    one = post(
        world,
        f"/Datastreams({ds})/Observations",
        {
            "phenomenonTime": "2026-02-01T00:00:00Z",
            "result": 1,
            "FeatureOfInterest": {"@iot.id": fid},
        },
    )
    assert (
        call(world, "GET", f"/Observations({one['@iot.id']})/FeatureOfInterest")["@iot.id"] == fid
    )
    inline = {
        "name": "Giếng",
        "description": "well",
        "encodingType": "application/geo+json",
        "feature": {"type": "Point", "coordinates": [-114.05, 51.05]},
    }
    two = post(
        world,
        "/Observations",
        {
            "phenomenonTime": "2026-02-01T00:05:00Z",
            "result": 2,
            "FeatureOfInterest": inline,
            "Datastream": {"@iot.id": ds},
        },
    )
    new = call(world, "GET", f"/Observations({two['@iot.id']})/FeatureOfInterest")
    assert new["feature"] == inline["feature"] and new["@iot.id"] not in (1, fid)
    # none named: the station's point, the same feature for every such observation
    for t in ("2026-02-01T00:10:00Z", "2026-02-01T00:15:00Z"):
        auto = post(
            world,
            "/Observations",
            {"phenomenonTime": t, "result": 3, "Datastream": {"@iot.id": ds}},
        )
        got = call(world, "GET", f"/Observations({auto['@iot.id']})/FeatureOfInterest")
        location = call(world, "GET", "/Things(1)/Locations")["value"][0]["location"]
        assert got["@iot.id"] == 1 and got["feature"] == location
    listed = call(world, "GET", f"/FeaturesOfInterest({fid})/Observations?$count=true")
    assert [o["@iot.id"] for o in listed["value"]] == [one["@iot.id"]]
    assert listed["@iot.count"] == 1
    station_obs = call(world, "GET", "/FeaturesOfInterest(1)/Observations?$count=true&$top=0")
    assert station_obs["@iot.count"] == 24 + 2  # the world's 24 and the two without a feature
    box = "POLYGON((-115 50, -113 50, -113 52, -115 52, -115 50))"
    flt = f"st_within(FeatureOfInterest/feature, geography'{box}')"
    hit = call(world, "GET", f"/Datastreams({ds})/Observations?$filter={flt}")["value"]
    assert [o["@iot.id"] for o in hit] == [two["@iot.id"]]
    near = call(
        world,
        "GET",
        "/FeaturesOfInterest?$filter="
        "geo.distance(feature, geography'POINT(105.84 21.02)') lt 0.001",
    )
    assert [f["@iot.id"] for f in near["value"]] == [fid]
    # PATCH an observation keeps its feature; relinking works by id only
    call(world, "PATCH", f"/Observations({one['@iot.id']})", {"result": 9})
    assert (
        call(world, "GET", f"/Observations({one['@iot.id']})/FeatureOfInterest")["@iot.id"] == fid
    )
    call(
        world,
        "PATCH",
        f"/Observations({one['@iot.id']})",
        {"FeatureOfInterest": inline},
        status=400,
    )
    # deleting a feature deletes the observations that have it (the specification's
    # cascade), each recorded as a revision
    call(world, "DELETE", f"/FeaturesOfInterest({fid})")
    call(world, "GET", f"/FeaturesOfInterest({fid})", status=404)
    call(world, "GET", f"/Observations({one['@iot.id']})", status=404)


def test_data_array_rows_name_their_feature(world: World) -> None:
    fid = post(world, "/FeaturesOfInterest", {"name": "f", "feature": POINT})["@iot.id"]
    ds = world.series["PUB_AIR"]
    batch = {
        "Datastream": {"@iot.id": ds},
        "components": ["phenomenonTime", "result", "FeatureOfInterest/id"],
        "dataArray": [["2026-03-01T00:00:00Z", 1, fid], ["2026-03-01T00:05:00Z", 2, 1]],
    }
    links = call(world, "POST", "/CreateObservations", [batch], status=201)
    fois = [
        call(world, "GET", link.split("/sta/v1.1")[1] + "/FeatureOfInterest")["@iot.id"]
        for link in links
    ]
    assert fois == [fid, 1]
    wrong = {**batch, "dataArray": [["2026-03-02T00:00:00Z", 1, STORED_BASE + 999],
                                    ["2026-03-02T00:05:00Z", 1, 2]]}  # fmt: skip
    err = call(world, "POST", "/CreateObservations", [wrong], status=400)
    assert [p["where"] for p in err["problems"]] == [
        "$[0].dataArray[0].FeatureOfInterest",
        "$[0].dataArray[1].FeatureOfInterest",  # another station's point
    ]


def test_an_observation_needs_a_feature_when_its_thing_has_no_location(world: World) -> None:
    with world.store.read() as conn:
        stations = conn.scalar(select(func.count()).select_from(station))
    deep = {
        "name": "Không tọa độ",
        "properties": {"medium": "ambient_air"},
        "Datastreams": [
            {
                "Sensor": SENSOR,
                "ObservedProperty": {"@iot.id": "PM25"},
                "Observations": [{"phenomenonTime": "2026-02-01T00:00:00Z", "result": 1}],
            }
        ],
    }
    err = call(world, "POST", "/Things", deep, status=400)  # one transaction: nothing is kept
    assert err["problems"][0]["where"] == "$[0].FeatureOfInterest"
    with world.store.read() as conn:
        assert conn.scalar(select(func.count()).select_from(station)) == stations
    thing = post(
        world,
        "/Things",
        {
            "name": "Không tọa độ",
            "properties": {"medium": "ambient_air"},
            "Datastreams": [{"Sensor": SENSOR, "ObservedProperty": {"@iot.id": "PM25"}}],
        },
    )
    ds = call(world, "GET", f"/Things({thing['@iot.id']})/Datastreams")["value"][0]["@iot.id"]
    obs = {"phenomenonTime": "2026-02-01T00:00:00Z", "result": 1, "Datastream": {"@iot.id": ds}}
    err = call(world, "POST", "/Observations", obs, status=400)
    assert err["problems"][0]["where"] == "$.FeatureOfInterest"
    call(world, "POST", "/Observations", {**obs, "FeatureOfInterest": {"@iot.id": 1}}, status=400)
    made = post(
        world, "/Observations", {**obs, "FeatureOfInterest": {"name": "f", "feature": POINT}}
    )
    assert call(world, "GET", f"/Observations({made['@iot.id']})/FeatureOfInterest")["name"] == "f"
    bad = {
        **obs,
        "FeatureOfInterest": {"name": "f", "feature": {"type": "Polygon", "coordinates": []}},
    }
    assert call(world, "POST", "/Observations", bad, status=400)["problems"][0]["where"].startswith(
        "$.FeatureOfInterest"
    )


# --- HistoricalLocations --------------------------------------------------------------------------
def test_historical_locations_are_recorded_posted_changed_and_deleted(world: World) -> None:
    derived = call(world, "GET", "/Things(1)/HistoricalLocations")["value"]
    assert [h["@iot.id"] for h in derived] == [1]
    call(
        world,
        "PATCH",
        "/Locations(1)",
        {"location": {"type": "Point", "coordinates": [105.9, 21.1]}},
    )
    moved = call(world, "GET", "/Things(1)/HistoricalLocations")["value"]
    assert moved[0]["@iot.id"] == 1 and moved[1]["@iot.id"] > STORED_BASE
    hl = post(
        world,
        "/HistoricalLocations",
        {
            "time": "2015-03-01T00:40:00.000Z",
            "Thing": {"@iot.id": 1},
            "Locations": [{"@iot.id": 1}],
        },
    )
    hid = hl["@iot.id"]
    assert hl["time"] == "2015-03-01T00:40:00.000Z"
    assert call(world, "GET", f"/HistoricalLocations({hid})/Thing")["@iot.id"] == 1
    assert call(world, "GET", f"/HistoricalLocations({hid})/Locations")["value"][0]["@iot.id"] == 1
    under = post(world, "/Things(1)/HistoricalLocations", {"time": "2016-01-01T00:00:00Z"})
    assert call(world, "GET", f"/HistoricalLocations({under['@iot.id']})/Thing")["@iot.id"] == 1
    assert (
        call(world, "PATCH", f"/HistoricalLocations({hid})", {"time": "2015-07-01T00:00:00Z"})[
            "time"
        ]
        == "2015-07-01T00:00:00.000Z"
    )
    call(world, "PATCH", f"/HistoricalLocations({hid})", {"time": "yesterday"}, status=400)
    call(world, "PATCH", f"/HistoricalLocations({hid})", {"Thing": {"@iot.id": 2}}, status=422)
    call(world, "POST", "/HistoricalLocations", {"time": "2015-03-01T00:00:00Z"}, status=400)
    call(world, "POST", "/HistoricalLocations", {"Thing": {"@iot.id": 1}}, status=400)
    call(
        world,
        "POST",
        "/HistoricalLocations",
        {"time": "2015-03-01T00:00:00Z", "Thing": {"@iot.id": 1}, "Locations": [{"@iot.id": 2}]},
        status=422,
    )
    call(
        world,
        "POST",
        "/HistoricalLocations",
        {"time": "2015-03-01T00:00:00Z", "Thing": {"@iot.id": 4}},
        status=404,
    )
    call(world, "DELETE", f"/HistoricalLocations({hid})")
    call(world, "GET", f"/HistoricalLocations({hid})", status=404)
    call(world, "DELETE", "/HistoricalLocations(1)")  # the registration record, not the station
    call(world, "GET", "/HistoricalLocations(1)", status=404)
    assert call(world, "GET", "/Things(1)")["@iot.id"] == 1


# --- who sees what ----------------------------------------------------------------------------
def test_stored_entities_never_reveal_a_restricted_station(world: World) -> None:
    """A Sensor, ObservedProperty or feature used only at B's restricted outlet is seen by B
    and the national admin — not by the public, nor by enterprise A, by any path."""
    sensor = post(world, "/Sensors", SENSOR, who="admin")
    words = post(
        world,
        "/ObservedProperties",
        {"name": "COD (B)", "definition": "d", "properties": {"parameter": "COD"}},
        who="admin",
    )
    b_out = world.series["B_OUT"]
    call(
        world,
        "PATCH",
        f"/Datastreams({b_out})",
        {
            "Sensor": {"@iot.id": sensor["@iot.id"]},
            "ObservedProperty": {"@iot.id": words["@iot.id"]},
        },
        who="admin",
    )
    foi = post(
        world,
        f"/Datastreams({b_out})/Observations",
        {
            "phenomenonTime": "2026-02-01T00:00:00Z",
            "result": 1,
            "FeatureOfInterest": {"name": "B outlet", "feature": POINT},
        },
        who="ent_b",
    )
    foi_id = call(world, "GET", f"/Observations({foi['@iot.id']})/FeatureOfInterest", who="ent_b")[
        "@iot.id"
    ]
    hl = post(
        world,
        f"/Things({world.series['B_OUT']})/HistoricalLocations",
        {"time": "2020-01-01T00:00:00Z"},
        who="admin",
    )
    hidden = {
        "Sensors": sensor["@iot.id"],
        "ObservedProperties": words["@iot.id"],
        "FeaturesOfInterest": foi_id,
        "HistoricalLocations": hl["@iot.id"],
    }
    for who in (None, "ent_a", "hn"):
        for name, ident in hidden.items():
            call(world, "GET", f"/{name}({ident})", who=who, status=404)
            listed = call(world, "GET", f"/{name}?$top=1000&$count=true", who=who)
            assert ident not in [e["@iot.id"] for e in listed["value"]], (who, name)
            assert listed["@iot.count"] == len(listed["value"])
        exp = call(world, "GET", "/Datastreams?$expand=Sensor,ObservedProperty&$top=100", who=who)
        assert sensor["@iot.id"] not in [d["Sensor"]["@iot.id"] for d in exp["value"]]
        call(
            world, "GET", f"/Observations({foi['@iot.id']})/FeatureOfInterest", who=who, status=404
        )
    for who in ("ent_b", "admin"):
        for name, ident in hidden.items():
            call(world, "GET", f"/{name}({ident})", who=who)
    # staff of another province cannot change what is used only at B's station
    call(world, "PATCH", f"/Sensors({sensor['@iot.id']})", {"name": "x"}, status=404)
    with world.store.read() as conn:
        assert conn.scalar(select(station.c.visibility).where(station.c.code == "B_OUT")) == (
            "restricted"
        )


def test_province_staff_change_only_what_their_stations_use(world: World) -> None:
    sensor = post(world, "/Sensors", SENSOR, who="admin")
    call(
        world,
        "PATCH",
        f"/Datastreams({world.series['A_PUB']})",
        {"Sensor": {"@iot.id": sensor["@iot.id"]}},
        who="admin",
    )
    # A_PUB (public, Hà Nội): Tuyên Quang staff see the sensor but may not change it
    call(world, "PATCH", f"/Sensors({sensor['@iot.id']})", {"name": "x"}, who="tq", status=403)
    call(world, "PATCH", f"/Sensors({sensor['@iot.id']})", {"name": "x"}, who="hn")


# --- Locations --------------------------------------------------------------------------------
STORE = {"type": "Point", "coordinates": [106.7, 10.8]}
IN_THE_SOUTH = "geography'POLYGON((106 10, 107 10, 107 11, 106 11, 106 10))'"


def test_a_stored_location_is_seen_with_the_things_it_serves(world: World) -> None:
    """A free Location is metadata anyone sees; once linked, only those who see one of its
    Things see it — and through it, only the Things they may see."""
    loc = call(
        world,
        "POST",
        "/Locations",
        {"name": "Kho mẫu", "description": "sample store", "location": STORE,
         "encodingType": "application/geo+json", "properties": {"floor": 2}},
        who="admin",
        status=201,
    )  # fmt: skip
    lid = loc["@iot.id"]
    assert lid > STORED_BASE and loc["properties"] == {"floor": 2}
    assert call(world, "GET", f"/Locations({lid})", who="citizen")["name"] == "Kho mẫu"
    # B_OUT (restricted, another province) moves there: its own Location gives way
    call(world, "PATCH", "/Things(4)", {"Locations": [{"@iot.id": lid}]}, who="admin")
    for who in ("citizen", "hn", "ent_a"):
        call(world, "GET", f"/Locations({lid})", who=who, status=404)
        found = call(world, "GET", f"/Locations?$filter=geo.intersects(location, {IN_THE_SOUTH})",
                     who=who)  # fmt: skip
        assert found["value"] == []
    call(world, "GET", "/Locations(4)", who="admin", status=404)
    found = call(world, "GET", f"/Locations?$filter=geo.intersects(location, {IN_THE_SOUTH})",
                 who="admin")  # fmt: skip
    assert [x["@iot.id"] for x in found["value"]] == [lid]
    moved = call(world, "GET", "/Things(4)/HistoricalLocations", who="admin")["value"]
    assert len(moved) == 2  # registered, then the move
    # PUB_AIR shares it: the public sees the Location and PUB_AIR there, never B_OUT
    call(world, "PATCH", "/Things(1)", {"Locations": [{"@iot.id": lid}]}, who="admin")
    things = call(world, "GET", f"/Locations({lid})/Things", who="citizen")["value"]
    assert [t["@iot.id"] for t in things] == [1]
    expanded = call(world, "GET", f"/Locations({lid})?$expand=Things", who="admin")["Things"]
    assert sorted(t["@iot.id"] for t in expanded) == [1, 4]
    listed = call(world, "GET", "/Things?$expand=Locations($select=id)", who="citizen")["value"]
    assert {t["@iot.id"]: [x["@iot.id"] for x in t["Locations"]] for t in listed}[1] == [lid]
    assert all(t["@iot.id"] != 4 for t in listed)
    # moving the Location moves both stations; deleting it leaves them without a point
    call(world, "PATCH", f"/Locations({lid})",
         {"location": {"type": "Point", "coordinates": [106.71, 10.81]}}, who="admin")  # fmt: skip
    with world.store.read() as conn:
        q = select(station.c.id, station.c.longitude).where(station.c.id.in_([1, 4]))
        points = {sid: lon for sid, lon in conn.execute(q)}
    assert points == {1: 106.71, 4: 106.71}
    call(world, "DELETE", f"/Locations({lid})", who="hn", status=403)  # B_OUT is not theirs
    call(world, "DELETE", f"/Locations({lid})", who="admin")
    assert call(world, "GET", "/Things(4)/Locations", who="admin")["value"] == []
    with world.store.read() as conn:
        assert conn.scalar(select(station.c.latitude).where(station.c.id == 4)) is None


def test_only_staff_write_locations(world: World) -> None:
    body = {"name": "x", "location": STORE}
    call(world, "POST", "/Locations", body, who="ent_a", status=403)
    call(world, "POST", "/Locations", body, who="citizen", status=403)
    call(world, "POST", "/Locations", body, who=None, status=401)
    call(world, "PATCH", "/Things(4)", {"Locations": [{"@iot.id": 1}]}, who="hn", status=404)
    call(world, "PATCH", "/Things(1)", {"Locations": [{"@iot.id": 4}]}, who="hn", status=422)
    call(world, "PATCH", "/Locations(1)", {"location": {"type": "Polygon", "coordinates": []}},
         status=422)  # fmt: skip


# --- features of any geometry -----------------------------------------------------------------
LAKE = {  # Hồ Tây, roughly
    "type": "Polygon",
    "coordinates": [[[105.81, 21.05], [105.83, 21.05], [105.83, 21.07], [105.81, 21.07],
                     [105.81, 21.05]]],
}  # fmt: skip


def test_a_water_body_is_a_feature_of_interest_filters_find_it(world: World) -> None:
    lake = call(
        world,
        "POST",
        "/FeaturesOfInterest",
        {"name": "Hồ Tây", "encodingType": "application/geo+json", "feature": LAKE},
        who="admin",
        status=201,
    )
    assert lake["feature"]["type"] == "Polygon"
    assert lake["feature"]["coordinates"][0][0] == [105.81, 21.05]
    sid = 1  # PUB_AIR's series
    obs = {"phenomenonTime": "2026-01-01T03:00:00Z", "result": 7,
           "FeatureOfInterest": {"@iot.id": lake["@iot.id"]}}  # fmt: skip
    made = call(world, "POST", f"/Datastreams({sid})/Observations", obs, who="admin", status=201)
    inside = "geography'POINT(105.82 21.06)'"
    found = call(world, "GET", f"/FeaturesOfInterest?$filter=st_intersects(feature, {inside})")
    assert [f["@iot.id"] for f in found["value"]] == [lake["@iot.id"]]
    # a polygon that crosses the lake's edge overlaps it
    crossing = (
        "geography'POLYGON((105.82 21.04, 105.84 21.04, 105.84 21.06, 105.82 21.06, 105.82 21.04))'"
    )
    found = call(world, "GET", f"/FeaturesOfInterest?$filter=st_overlaps(feature, {crossing})")
    assert [f["@iot.id"] for f in found["value"]] == [lake["@iot.id"]]
    near = call(
        world,
        "GET",
        "/Observations?$filter=geo.distance(FeatureOfInterest/feature, "
        "geography'POINT(105.85 21.07)') lt 0.03",  # the station is 0.04 away
    )
    assert [o["@iot.id"] for o in near["value"]] == [made["@iot.id"]]
    bow_tie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    answer = call(world, "POST", "/FeaturesOfInterest", {"name": "x", "feature": bow_tie},
                  who="admin", status=422)  # fmt: skip
    assert answer["problems"][0]["where"] == "feature"


def test_geo_length_of_a_river_reach(world: World) -> None:
    reach = {"type": "LineString", "coordinates": [[105.0, 21.0], [105.3, 21.4]]}  # 0.5°
    river = call(world, "POST", "/FeaturesOfInterest", {"name": "Sông Đáy", "feature": reach},
                 who="admin", status=201)  # fmt: skip
    long = call(world, "GET", "/FeaturesOfInterest?$filter=geo.length(feature) gt 0.49")
    assert [f["@iot.id"] for f in long["value"]] == [river["@iot.id"]]
