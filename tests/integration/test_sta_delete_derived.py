"""DELETE of a station's derived FeatureOfInterest (its point) and registered HistoricalLocation:
gone from every answer (by id, collections, $count, navigation, $expand) while the station
keeps its point and Locations. As the specification cascades, the observations that have the
point go with it — each recorded as a revision, as a DELETE of each would be — and it comes
back with the next observation that names no feature of its own. The OGC suite empties every
collection this way."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from quantrac.store.schema import audit_log, observation_revision, station
from quantrac.store.schema_sta import sta_derived_deleted
from tests.integration.api_world import N_VALUES, World, empty_collection

STA = "/sta/v1.1"
THING = {
    "name": "Trạm Cầu Giấy",
    "description": "trạm mới, chưa có số liệu",
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
        }
    ],
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


def ids(world: World, path: str, who: str | None = "hn") -> list[Any]:
    return [e["@iot.id"] for e in call(world, "GET", path, who=who)["value"]]


def count(world: World, path: str, who: str | None = "hn") -> int:
    sep = "&" if "?" in path else "?"
    return int(call(world, "GET", f"{path}{sep}$count=true&$top=0", who=who)["@iot.count"])


def station_id(world: World, code: str) -> int:
    with world.store.read() as conn:
        return int(conn.scalar(select(station.c.id).where(station.c.code == code)))


def deletions(world: World) -> list[tuple[str, int]]:
    dd = sta_derived_deleted.c
    with world.store.read() as conn:
        return sorted((k, int(s)) for k, s in conn.execute(select(dd.kind, dd.station_id)))


def audited(world: World, target: str) -> list[dict[str, Any]]:
    a = audit_log.c
    q = select(a.details).where(a.action == "sta.delete", a.target == target)
    with world.store.read() as conn:
        return [json.loads(d) if d else {} for d in conn.scalars(q)]


def new_thing(world: World) -> tuple[int, int]:
    """A Thing with a Location and one Datastream, and no observation yet: (Thing, Datastream)."""
    tid = call(world, "POST", "/Things", THING, status=201)["@iot.id"]
    (ds,) = ids(world, f"/Things({tid})/Datastreams")
    return tid, ds


def observe(world: World, ds: int, when: str, feature: Any = None) -> int:
    body: dict[str, Any] = {"phenomenonTime": when, "result": 20}
    if feature is not None:
        body["FeatureOfInterest"] = feature
    return call(world, "POST", f"/Datastreams({ds})/Observations", body, status=201)["@iot.id"]


# --- FeaturesOfInterest -------------------------------------------------------------------------
def test_a_station_point_goes_with_its_observations_recorded_as_revisions(world: World) -> None:
    sid = station_id(world, "PUB_AIR")
    series_id = world.series["PUB_AIR"]
    call(world, "DELETE", f"/FeaturesOfInterest({sid})", who="ent_a", status=403)
    assert count(world, f"/Datastreams({series_id})/Observations", "admin") == N_VALUES
    call(world, "DELETE", f"/FeaturesOfInterest({sid})", who="admin")
    call(world, "GET", f"/FeaturesOfInterest({sid})", status=404)
    assert count(world, f"/Datastreams({series_id})/Observations", "admin") == 0
    assert audited(world, f"FeaturesOfInterest({sid})") == [
        {"station": "PUB_AIR", "derived": True, "observations_deleted": N_VALUES}
    ]
    r = observation_revision.c
    with world.store.read() as conn:
        kept = conn.execute(
            select(r.source, r.reason, r.old_value).where(r.series_id == series_id)
        ).all()
    assert len(kept) == N_VALUES and all(k.old_value is not None for k in kept)
    assert {(k.source, k.reason) for k in kept} == {
        ("sta:delete", f"FeaturesOfInterest({sid}) deleted")
    }
    # the station and its Datastream stay; the point comes back with its next observation
    call(world, "GET", f"/Things({sid})")
    call(world, "POST", f"/Datastreams({series_id})/Observations",
         {"phenomenonTime": "2026-05-01T00:00:00Z", "result": 3}, status=201)  # fmt: skip
    call(world, "GET", f"/FeaturesOfInterest({sid})")


def test_a_station_point_without_observations_is_deleted_and_comes_back(world: World) -> None:
    tid, ds = new_thing(world)
    assert call(world, "GET", f"/FeaturesOfInterest({tid})")["feature"]["coordinates"] == [
        105.79,
        21.03,
    ]
    total = count(world, "/FeaturesOfInterest")
    call(world, "DELETE", f"/FeaturesOfInterest({tid})")
    call(world, "GET", f"/FeaturesOfInterest({tid})", status=404)
    call(world, "GET", f"/FeaturesOfInterest({tid})/Observations", status=404)
    assert tid not in ids(world, "/FeaturesOfInterest")
    assert count(world, "/FeaturesOfInterest") == total - 1
    assert count(world, f"/FeaturesOfInterest?$filter=id eq {tid}") == 0
    assert deletions(world) == [("feature", tid)]
    assert audited(world, f"FeaturesOfInterest({tid})") == [{"station": "HN_CG", "derived": True}]
    # the station keeps its point and its Location
    thing = call(world, "GET", f"/Things({tid})?$expand=Locations")
    assert thing["Locations"][0]["location"]["coordinates"] == [105.79, 21.03]
    call(world, "DELETE", f"/FeaturesOfInterest({tid})", status=404)  # twice

    # an observation with a feature of its own does not bring the point back …
    own = {"name": "cống xả", "encodingType": "application/geo+json",
           "feature": {"type": "Point", "coordinates": [105.8, 21.0]}}  # fmt: skip
    first = observe(world, ds, "2026-02-01T00:00:00Z", own)
    assert call(world, "GET", f"/Observations({first})/FeatureOfInterest")["name"] == "cống xả"
    call(world, "GET", f"/FeaturesOfInterest({tid})", status=404)
    # … one without does: same id, same point
    second = observe(world, ds, "2026-02-01T01:00:00Z")
    assert call(world, "GET", f"/Observations({second})/FeatureOfInterest")["@iot.id"] == tid
    expanded = call(world, "GET", f"/Datastreams({ds})/Observations?$expand=FeatureOfInterest")
    assert sorted(o["FeatureOfInterest"]["@iot.id"] for o in expanded["value"])[0] == tid
    assert call(world, "GET", f"/FeaturesOfInterest({tid})")["feature"]["coordinates"] == [
        105.79,
        21.03,
    ]
    assert ids(world, f"/FeaturesOfInterest({tid})/Observations") == [second]
    assert count(world, "/FeaturesOfInterest") == total + 1  # and the stored one
    # it was back only for that observation: once the observation is gone, so is the point
    call(world, "DELETE", f"/Observations({second})")
    call(world, "GET", f"/FeaturesOfInterest({tid})", status=404)
    call(world, "DELETE", f"/FeaturesOfInterest({tid})", status=404)
    assert deletions(world) == [("feature", tid)]
    assert len(audited(world, f"FeaturesOfInterest({tid})")) == 1


def test_staff_empty_the_features_once_the_observations_are_gone(world: World) -> None:
    """As the OGC suite does: GET the collection, DELETE each entity, until it is empty."""
    for ds in ids(world, "/Datastreams", who="admin"):
        call(world, "DELETE", f"/Datastreams({ds})", who="admin")  # hides their observations
    empty_collection(world, "FeaturesOfInterest")
    assert count(world, "/FeaturesOfInterest", who="admin") == 0
    assert count(world, "/FeaturesOfInterest", who=None) == 0
    assert count(world, "/Things", who="admin") == 5  # the stations stay


# --- HistoricalLocations ------------------------------------------------------------------------
def test_a_registered_historical_location_is_deleted_for_good(world: World) -> None:
    sid = station_id(world, "PUB_AIR")
    assert ids(world, f"/Things({sid})/HistoricalLocations") == [sid]
    total = count(world, "/HistoricalLocations")
    call(world, "DELETE", f"/HistoricalLocations({sid})")
    call(world, "GET", f"/HistoricalLocations({sid})", status=404)
    call(world, "GET", f"/HistoricalLocations({sid})/Thing", status=404)
    assert ids(world, f"/Things({sid})/HistoricalLocations") == []
    assert count(world, f"/Things({sid})/HistoricalLocations") == 0
    assert sid not in ids(world, "/HistoricalLocations")
    assert count(world, "/HistoricalLocations") == total - 1
    assert (
        call(world, "GET", f"/Things({sid})?$expand=HistoricalLocations")["HistoricalLocations"]
        == []
    )
    (loc,) = ids(world, f"/Things({sid})/Locations")
    assert ids(world, f"/Locations({loc})/HistoricalLocations") == []
    assert deletions(world) == [("historical_location", sid)]
    assert audited(world, f"HistoricalLocations({sid})") == [
        {"station": "PUB_AIR", "derived": True}
    ]
    call(world, "DELETE", f"/HistoricalLocations({sid})", status=404)  # twice
    # the station keeps its point; moving it records a new (stored) HistoricalLocation only
    assert call(world, "GET", f"/FeaturesOfInterest({sid})")["@iot.id"] == sid
    call(
        world,
        "PATCH",
        f"/Locations({loc})",
        {"location": {"type": "Point", "coordinates": [105.9, 21.1]}},
    )
    (moved,) = ids(world, f"/Things({sid})/HistoricalLocations")
    assert moved != sid
    call(world, "GET", f"/HistoricalLocations({sid})", status=404)


def test_staff_empty_the_historical_locations(world: World) -> None:
    empty_collection(world, "HistoricalLocations")
    assert count(world, "/HistoricalLocations", who="admin") == 0
    for sid in ids(world, "/Things", who="admin"):
        assert ids(world, f"/Things({sid})/HistoricalLocations", who="admin") == []


# --- who may -----------------------------------------------------------------------------------
def test_only_staff_who_may_change_the_station_delete(world: World) -> None:
    pub, a_pub, b_out = (station_id(world, c) for c in ("PUB_AIR", "A_PUB", "B_OUT"))
    for kind in ("FeaturesOfInterest", "HistoricalLocations"):
        call(world, "DELETE", f"/{kind}({a_pub})", who="ent_a", status=403)  # its own station
        call(world, "DELETE", f"/{kind}({pub})", who="ent_a", status=403)
        call(world, "DELETE", f"/{kind}({pub})", who="citizen", status=403)  # reads only
        call(world, "DELETE", f"/{kind}({pub})", who=None, status=401)
        call(world, "DELETE", f"/{kind}({pub})", who="tq", status=403)  # another province's
        call(world, "DELETE", f"/{kind}({b_out})", who="hn", status=404)  # restricted: unseen
        call(world, "DELETE", f"/{kind}(999999)", who="admin", status=404)
        call(world, "GET", f"/{kind}({pub})", who=None)
        call(world, "GET", f"/{kind}({a_pub})", who="ent_a")
    assert deletions(world) == []
    # the national admin may: a HistoricalLocation of a restricted station in another province
    call(world, "DELETE", f"/HistoricalLocations({b_out})", who="admin")
    call(world, "GET", f"/HistoricalLocations({b_out})", who="ent_b", status=404)
    assert ids(world, f"/Things({b_out})/HistoricalLocations", who="ent_b") == []
