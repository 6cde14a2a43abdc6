"""DELETE of a Datastream, a Sensor or an ObservedProperty hides series, never destroys data.

The specification deletes a Datastream's Observations with it, and the Datastreams of a deleted
Sensor or ObservedProperty. quantrac marks those series deleted instead: gone from every answer —
SensorThings (by id, collections, $count, $expand, navigation, the derived Sensor), REST,
exports, latest values — and closed to new observations, but every observation stays in the
database for the audit. Only staff who may change every Datastream concerned may delete.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from quantrac.store.schema import audit_log, observation, series
from quantrac.store.schema_sta import sta_datastream, sta_observed_property, sta_sensor
from tests.integration.api_world import N_VALUES, T0, World

STA = "/sta/v1.1"
SENSOR = {"name": "BAM-1020", "encodingType": "text/html", "metadata": "https://example.org"}
PM25 = {"name": "Bụi PM2.5", "definition": "urn:x:pm25", "properties": {"parameter": "PM25"}}


def call(
    world: World, method: str, path: str, body: Any = None, who: str = "admin", status: int = 200
) -> Any:
    r = world.client.request(method, f"{STA}{path}", json=body, headers=world.h(who))
    assert r.status_code == status, f"{method} {path} as {who}: {r.status_code} {r.text}"
    return r.json() if r.content else None


def ids(body: dict[str, Any]) -> list[Any]:
    return [e["@iot.id"] for e in body["value"]]


def oid(series_id: int, epoch: int = T0) -> int:
    return series_id * 2**32 + epoch


def stored_observations(world: World, series_id: int) -> int:
    """Rows in the table itself, whatever the API shows."""
    with world.store.read() as conn:
        q = select(func.count()).select_from(observation)
        return int(conn.scalar(q.where(observation.c.series_id == series_id)))


def retired(world: World) -> set[int]:
    with world.store.read() as conn:
        return set(conn.scalars(select(series.c.id).where(series.c.deleted_at.is_not(None))))


def audit(world: World, action: str) -> list[dict[str, Any]]:
    with world.store.read() as conn:
        rows = conn.execute(select(audit_log).where(audit_log.c.action == action)).mappings()
        return [dict(r) | {"details": json.loads(r["details"] or "null")} for r in rows]


def rest(world: World, path: str, who: str = "admin") -> Any:
    return world.client.get(f"/api/v1{path}", headers=world.h(who))


def test_deleting_a_datastream_retires_it_and_keeps_its_observations(world: World) -> None:
    sid = world.series["PUB_AIR"]
    all_before = call(world, "GET", "/Observations?$count=true&$top=0")["@iot.count"]
    call(world, "DELETE", f"/Datastreams({sid})")
    # in the database: retired, every observation kept
    assert retired(world) == {sid}
    assert stored_observations(world, sid) == N_VALUES
    # SensorThings: gone however asked
    for path in (
        f"/Datastreams({sid})",
        f"/Datastreams({sid})/Observations",
        f"/Observations({oid(sid)})",
        f"/Observations({oid(sid)})/Datastream",
        f"/Sensors({sid})",  # the series' own (derived) Sensor
    ):
        call(world, "GET", path, status=404)
    assert sid not in ids(call(world, "GET", "/Datastreams"))
    assert ids(call(world, "GET", "/Things(1)/Datastreams")) == []
    assert call(world, "GET", "/Things(1)?$expand=Datastreams")["Datastreams"] == []
    # PM25 was observed by that Datastream only: no longer an ObservedProperty
    call(world, "GET", "/ObservedProperties('PM25')/Datastreams", status=404)
    assert sid not in ids(call(world, "GET", "/Sensors"))
    assert call(world, "GET", "/Observations?$count=true&$top=0")["@iot.count"] == (
        all_before - N_VALUES
    )
    assert call(world, "GET", f"/Observations?$filter=Datastream/id eq {sid}")["value"] == []
    at_its_point = call(world, "GET", "/FeaturesOfInterest(1)/Observations?$count=true")
    assert at_its_point["@iot.count"] == 0
    counted = call(world, "GET", "/Datastreams?$count=true&$expand=Observations($count=true)")
    assert counted["@iot.count"] == len(world.series) - 1
    # nothing more to change, and its observations cannot be changed or deleted either
    call(world, "DELETE", f"/Datastreams({sid})", status=404)
    call(world, "PATCH", f"/Datastreams({sid})", {"description": "x"}, status=404)
    call(world, "PATCH", f"/Observations({oid(sid)})", {"result": 1}, status=404)
    call(world, "DELETE", f"/Observations({oid(sid)})", status=404)
    assert stored_observations(world, sid) == N_VALUES
    # the audit log says who retired it, and that its observations are kept
    (entry,) = audit(world, "sta.retire")
    assert entry["target"] == f"Datastreams({sid})"
    assert entry["details"] == {"retired": True, "observations": "kept"}
    assert [e["target"] for e in audit(world, "sta.delete")] == [f"Datastreams({sid})"]


def test_rest_and_exports_do_not_show_a_retired_series(world: World) -> None:
    sid = world.series["PUB_AIR"]
    call(world, "DELETE", f"/Datastreams({sid})")
    for who in ("admin", "citizen"):
        assert sid not in [s["id"] for s in rest(world, "/series", who).json()]
        assert rest(world, "/stations/PUB_AIR/series", who).json() == []
        assert rest(world, f"/series/{sid}", who).status_code == 404
        assert rest(world, f"/series/{sid}/observations", who).status_code == 404
        by_name = rest(world, "/stations/PUB_AIR/observations/PM25", who)
        assert by_name.status_code == 422  # as for any parameter the station has no series of
        assert "no such series" in by_name.json()["message"]
        latest = rest(world, "/latest", who).json()["stations"]
        assert "PUB_AIR" not in [s["station"] for s in latest]
        export = rest(world, "/exports/observations.csv", who)
        assert export.status_code == 200 and "PUB_AIR" not in export.text
    assert "A_OUT" in rest(world, "/exports/observations.csv").text  # the others still there
    assert stored_observations(world, sid) == N_VALUES


def test_a_retired_datastream_takes_no_new_observations(world: World) -> None:
    sid = world.series["PUB_AIR"]
    call(world, "DELETE", f"/Datastreams({sid})")
    new = {"phenomenonTime": "2026-03-01T00:00:00Z", "result": 1}
    err = call(world, "POST", f"/Datastreams({sid})/Observations", new, status=404)
    assert err["message"] == f"no Datastream {sid}"
    err = call(world, "POST", "/Observations", {**new, "Datastream": {"@iot.id": sid}}, status=400)
    assert [p["message"] for p in err["problems"]] == [f"no Datastream {sid}"]
    data_array = [
        {
            "Datastream": {"@iot.id": sid},
            "components": ["phenomenonTime", "result"],
            "dataArray": [["2026-03-01T00:05:00Z", 2]],
        }
    ]
    err = call(world, "POST", "/CreateObservations", data_array, status=400)
    assert err["problems"][0]["where"] == "$[0].dataArray[0].Datastream"
    assert stored_observations(world, sid) == N_VALUES
    # its place is kept: the station's PM2.5 cannot get another Datastream
    again = {
        "name": "PM2.5",
        "description": "again",
        "Thing": {"@iot.id": 1},
        "Sensor": SENSOR,
        "ObservedProperty": {"@iot.id": "PM25"},
    }
    err = call(world, "POST", "/Datastreams", again, status=409)
    assert "was deleted" in err["message"]


def test_only_staff_of_its_station_may_delete_a_datastream(world: World) -> None:
    s = world.series
    refused = [
        ("ent_a", s["A_PUB"], 403),  # its own station, but not agency staff
        ("ent_b", s["A_PUB"], 403),
        ("citizen", s["PUB_AIR"], 403),  # no write scope
        ("tq", s["PUB_AIR"], 403),  # public station of another province
        ("tq", s["A_OUT"], 404),  # restricted station of another province: invisible
        ("hn", s["B_OUT"], 404),
    ]
    for who, sid, status in refused:
        call(world, "DELETE", f"/Datastreams({sid})", who=who, status=status)
    assert retired(world) == set()
    assert audit(world, "sta.retire") == []
    call(world, "DELETE", f"/Datastreams({s['A_OUT']})", who="hn")  # staff of its province
    call(world, "DELETE", f"/Datastreams({s['HG_WELL']})", who="tq")
    assert retired(world) == {s["A_OUT"], s["HG_WELL"]}
    assert stored_observations(world, s["A_OUT"]) == N_VALUES


def _link(world: World, sid: int, key: str, ident: Any) -> None:
    call(world, "PATCH", f"/Datastreams({sid})", {key: {"@iot.id": ident}})


def test_deleting_a_sensor_retires_its_datastreams(world: World) -> None:
    sensor = call(world, "POST", "/Sensors", SENSOR, status=201)["@iot.id"]
    pub, well = world.series["PUB_AIR"], world.series["HG_WELL"]  # provinces 01 and 02
    _link(world, pub, "Sensor", sensor)
    _link(world, well, "Sensor", sensor)
    # all or nothing: a Datastream outside the caller's province refuses the whole DELETE
    call(world, "DELETE", f"/Sensors({sensor})", who="hn", status=403)
    call(world, "DELETE", f"/Sensors({sensor})", who="ent_a", status=403)
    assert retired(world) == set()
    assert ids(call(world, "GET", f"/Sensors({sensor})/Datastreams")) == [pub, well]
    call(world, "DELETE", f"/Sensors({sensor})")
    call(world, "GET", f"/Sensors({sensor})", status=404)
    for sid in (pub, well):
        call(world, "GET", f"/Datastreams({sid})", status=404)
        call(world, "GET", f"/Sensors({sid})", status=404)  # no derived Sensor comes back
        assert stored_observations(world, sid) == N_VALUES
    assert retired(world) == {pub, well}
    with world.store.read() as conn:
        assert conn.scalar(select(func.count()).select_from(sta_sensor)) == 0
        links = conn.scalars(select(sta_datastream.c.sensor_id)).all()
    assert set(links) == {None}
    because = {e["target"]: e["details"]["because"] for e in audit(world, "sta.retire")}
    assert because == {
        f"Datastreams({pub})": f"Sensors({sensor}) was deleted",
        f"Datastreams({well})": f"Sensors({sensor}) was deleted",
    }
    assert [e["target"] for e in audit(world, "sta.delete")] == [f"Sensors({sensor})"]


def test_deleting_an_observed_property_retires_its_datastreams(world: World) -> None:
    prop = call(world, "POST", "/ObservedProperties", PM25, status=201)["@iot.id"]
    pub = world.series["PUB_AIR"]
    _link(world, pub, "ObservedProperty", prop)
    call(world, "DELETE", f"/ObservedProperties({prop})", who="tq", status=403)
    call(world, "DELETE", f"/ObservedProperties({prop})", who="ent_a", status=403)
    assert retired(world) == set()
    call(world, "DELETE", f"/ObservedProperties({prop})", who="hn")
    call(world, "GET", f"/ObservedProperties({prop})", status=404)
    call(world, "GET", f"/Datastreams({pub})", status=404)
    # the catalogue parameter stays in the catalogue, an ObservedProperty again when observed
    assert "PM25" in {p["code"] for p in rest(world, "/parameters").json()}
    assert retired(world) == {pub}
    assert stored_observations(world, pub) == N_VALUES
    with world.store.read() as conn:
        assert conn.scalar(select(func.count()).select_from(sta_observed_property)) == 0
    (entry,) = audit(world, "sta.retire")
    assert entry["details"]["because"] == f"ObservedProperties({prop}) was deleted"


def test_an_unused_sensor_is_deleted_and_a_retired_datastream_does_not_hold_it(
    world: World,
) -> None:
    free = call(world, "POST", "/Sensors", SENSOR, status=201)["@iot.id"]
    call(world, "DELETE", f"/Sensors({free})", who="hn")
    call(world, "GET", f"/Sensors({free})", status=404)
    # a Sensor whose only Datastream was deleted is no longer used at that station
    sensor = call(world, "POST", "/Sensors", SENSOR, status=201)["@iot.id"]
    _link(world, world.series["B_OUT"], "Sensor", sensor)
    call(world, "DELETE", f"/Datastreams({world.series['B_OUT']})")
    call(world, "DELETE", f"/Sensors({sensor})", who="hn")
    assert retired(world) == {world.series["B_OUT"]}
    assert len(audit(world, "sta.retire")) == 1


def test_a_series_retired_by_staff_only_stops_its_history_stays_readable(world: World) -> None:
    """`quantrac series retire` (an analyser removed) is not a deletion: the series keeps
    answering with its history, in REST and SensorThings alike."""
    from quantrac.store.registry import retire_series

    sid = world.series["PUB_AIR"]
    retire_series(world.store, sid)
    assert retired(world) == set()
    assert call(world, "GET", f"/Datastreams({sid})")["@iot.id"] == sid
    listed = call(world, "GET", f"/Datastreams({sid})/Observations?$count=true&$top=1")
    assert listed["@iot.count"] == N_VALUES
    assert rest(world, f"/series/{sid}").status_code == 200


def test_a_deleted_datastream_can_be_restored_with_all_its_data(world: World) -> None:
    from quantrac.store.registry import restore_series

    sid = world.series["PUB_AIR"]
    call(world, "DELETE", f"/Datastreams({sid})")
    call(world, "GET", f"/Datastreams({sid})", status=404)
    restore_series(world.store, sid)
    listed = call(world, "GET", f"/Datastreams({sid})/Observations?$count=true&$top=1")
    assert listed["@iot.count"] == N_VALUES
