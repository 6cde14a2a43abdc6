"""A Datastream of a quantity outside the national catalogue (what a plain SensorThings client,
or the OGC test suite, creates): it becomes a province parameter — as `quantrac catalog
add-parameter` makes one — in the unit the Datastream declares, and its observations go
through the one ingest pipeline like any other."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from quantrac.catalog import get_catalog
from quantrac.catalog.catalog import local_parameters_path
from quantrac.store.schema import audit_log
from tests.integration.api_world import World

STA = "/sta/v1.1"
DEW = {"name": "DewPoint Temperature", "definition": "http://dbpedia.org/page/Dew_point",
       "description": "Điểm sương"}  # fmt: skip
DEG_C = {
    "name": "Celsius",
    "symbol": "degC",
    "definition": "http://qudt.org/vocab/unit#DegreeCelsius",
}
SENSOR = {"name": "HMP60", "encodingType": "text/html", "metadata": "https://example.org"}


def call(
    world: World, method: str, path: str, body: Any = None, who: str = "hn", status: int = 200
) -> Any:
    r = world.client.request(method, f"{STA}{path}", json=body, headers=world.h(who))
    assert r.status_code == status, f"{method} {path}: {r.status_code} {r.text}"
    return r.json() if r.content else None


def datastream(thing: Any, prop: Any, unit: Any = DEG_C) -> dict[str, Any]:
    return {"name": "dew point", "description": "d", "unitOfMeasurement": unit,
            "observationType": "OM_Measurement", "Thing": thing, "ObservedProperty": prop,
            "Sensor": SENSOR}  # fmt: skip


def test_a_new_quantity_is_stored_served_and_shared(world: World) -> None:
    place = {"name": "vườn khí tượng", "location": {"type": "Point", "coordinates": [105.8, 21.0]}}
    thing = call(world, "POST", "/Things", {"name": "Trạm khí tượng", "description": "d",
                                            "Locations": [place]}, status=201)  # fmt: skip
    ds = call(world, "POST", "/Datastreams", datastream({"@iot.id": thing["@iot.id"]}, DEW),
              status=201)  # fmt: skip
    assert ds["unitOfMeasurement"] == DEG_C  # the client's words for the stored unit
    code = ds["properties"]["parameter"]
    assert code == "STA_DEWPOINT_TEMPERATURE"
    param = get_catalog().parameters.get(code)
    assert (param.unit, param.name_en, param.provenance) == ("°C", "DewPoint Temperature", "local")
    assert local_parameters_path().exists()
    rows = [["2026-03-01T00:00:00Z", 18.5], ["2026-03-01T00:05:00Z", 18.25]]
    body = [{"Datastream": {"@iot.id": ds["@iot.id"]}, "components": ["phenomenonTime", "result"],
             "dataArray": rows}]  # fmt: skip
    call(world, "POST", "/CreateObservations", body, status=201)
    got = call(world, "GET", f"/Datastreams({ds['@iot.id']})/Observations?$orderby=phenomenonTime")
    assert [o["result"] for o in got["value"]] == [18.5, 18.25]
    assert all(o["resultQuality"]["qc_flag"] in (1, 2) for o in got["value"])
    # the REST API and its exports know it as they know any parameter
    rest = world.client.get(f"/api/v1/series/{ds['@iot.id']}/observations", headers=world.h("hn"))
    assert rest.status_code == 200 and len(rest.json()["time"]) == 2
    listed = world.client.get("/api/v1/parameters", headers=world.h("hn")).json()
    assert code in {p["code"] for p in listed}
    assert world.client.get("/api/v1/latest", headers=world.h("hn")).status_code == 200
    # the same quantity in the same unit elsewhere is the same parameter again
    other = call(world, "POST", "/Things", {"name": "Trạm 2", "description": "d"}, status=201)
    again = call(world, "POST", "/Datastreams", datastream({"@iot.id": other["@iot.id"]}, DEW),
                 status=201)  # fmt: skip
    assert again["properties"]["parameter"] == code


def test_a_new_quantity_keeps_a_unit_quantrac_does_not_know(world: World) -> None:
    """The OGC suite's Datastreams are in lumen, "S2" or "S": outside the catalogue the unit is
    the client's, kept and answered as written, and the values are never converted."""
    unit = {"name": "Entropy2", "symbol": "S2", "definition": "x"}
    ds = call(world, "POST", "/Datastreams", datastream({"@iot.id": 1}, DEW, unit), status=201)
    assert ds["unitOfMeasurement"] == unit
    param = get_catalog().parameters.get(ds["properties"]["parameter"])
    assert param.unit == "-"  # dimensionless in the catalogue: the series carries the unit
    rest = world.client.get(f"/api/v1/series/{ds['@iot.id']}", headers=world.h("hn")).json()
    assert rest["unit"] == "S2"
    obs = {"phenomenonTime": "2026-03-01T00:00:00Z", "result": 7.25}
    call(world, "POST", f"/Datastreams({ds['@iot.id']})/Observations", obs, status=201)
    got = call(world, "GET", f"/Datastreams({ds['@iot.id']})/Observations")["value"]
    assert [o["result"] for o in got] == [7.25]


def test_a_free_datastream_changes_its_unit_and_keeps_its_values(world: World) -> None:
    ds = call(world, "POST", "/Datastreams", datastream({"@iot.id": 1}, DEW), status=201)
    path = f"/Datastreams({ds['@iot.id']})"
    obs = {"phenomenonTime": "2026-03-01T00:00:00Z", "result": 20}
    call(world, "POST", f"{path}/Observations", obs, status=201)
    fahrenheit = {"name": "Fahrenheit", "symbol": "degF", "definition": "x"}
    call(world, "PATCH", path, {"unitOfMeasurement": fahrenheit})
    assert call(world, "GET", path)["unitOfMeasurement"] == fahrenheit
    rest = world.client.get(f"/api/v1/series/{ds['@iot.id']}", headers=world.h("hn")).json()
    assert rest["unit"] == "°F"  # the catalogue's spelling of a unit it knows
    # what was stored stays as it was sent (20 in degC), nothing converted after the fact
    assert [o["result"] for o in call(world, "GET", f"{path}/Observations")["value"]] == [20]
    with world.store.read() as conn:
        q = select(audit_log.c.target, audit_log.c.details).where(audit_log.c.action == "sta.unit")
        (target, details), *_ = conn.execute(q).all()
    assert target == f"Datastreams({ds['@iot.id']})"
    assert json.loads(details) == {"from": "°C", "to": "°F"}


def test_only_staff_add_quantities(world: World) -> None:
    call(world, "POST", "/Datastreams", datastream({"@iot.id": 2}, DEW), who="ent_a", status=403)
    assert not local_parameters_path().exists()


def test_a_refused_datastream_leaves_a_usable_parameter(world: World) -> None:
    """The parameter file is written before the database commits: a Datastream refused after
    that (here for its Sensor) must not leave the next one without its parameter row."""
    bad = {**datastream({"@iot.id": 1}, DEW), "Sensor": {"name": "no metadata"}}
    call(world, "POST", "/Datastreams", bad, status=400)
    ds = call(world, "POST", "/Datastreams", datastream({"@iot.id": 1}, DEW), status=201)
    assert ds["properties"]["parameter"] == "STA_DEWPOINT_TEMPERATURE"


def test_a_new_quantity_without_a_unit_says_so(world: World) -> None:
    body = {k: v for k, v in datastream({"@iot.id": 1}, DEW).items() if k != "unitOfMeasurement"}
    answer = call(world, "POST", "/Datastreams", body, status=422)
    assert answer["problems"][0]["where"] == "unitOfMeasurement"
    assert "needs" in answer["message"]
