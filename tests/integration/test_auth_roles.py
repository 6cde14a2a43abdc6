"""Every role against every way in: REST, exports, SensorThings (incl. $expand and $count).

The world (api_world.py): PUB_AIR (public, agency), A_PUB (public, enterprise A), A_OUT
(restricted, A), B_OUT (restricted, B, another province), HG_WELL (restricted, in Hà Giang,
merged into Tuyên Quang on 2025-07-01). The first hour of the public series is approved.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from quantrac.store.db import Store
from tests.integration.api_world import (
    N_VALUES,
    World,
    build_world,
    cheap_password_hashing,
)

RESTRICTED = {"A_OUT", "B_OUT", "HG_WELL"}
#: credential → stations it sees fully (all data)
FULL = {
    None: set(),
    "citizen": set(),
    "ent_a": {"A_OUT", "A_PUB"},
    "ent_b": {"B_OUT"},
    "hn": {"PUB_AIR", "A_OUT", "A_PUB"},
    "tq": {"HG_WELL"},
    "admin": {"PUB_AIR", "A_OUT", "A_PUB", "B_OUT", "HG_WELL"},
}
PUBLIC = {"PUB_AIR", "A_PUB"}


def _visible(who: str | None) -> set[str]:
    return PUBLIC | FULL[who]


@pytest.mark.parametrize("who", list(FULL))
def test_each_role_sees_exactly_its_stations_by_every_endpoint(world: World, who: str) -> None:
    c, h = world.client, world.h(who)
    expected = _visible(who)
    assert {s["code"] for s in c.get("/api/v1/stations", headers=h).json()} == expected
    assert {s["station"] for s in c.get("/api/v1/series", headers=h).json()} == expected
    assert {s["station"] for s in c.get("/api/v1/latest", headers=h).json()["stations"]} == expected
    assert {s["station"] for s in c.get("/api/v1/connectivity", headers=h).json()} == expected
    things = c.get("/sta/v1.1/Things?$count=true", headers=h).json()
    assert {t["properties"]["code"] for t in things["value"]} == expected
    assert things["@iot.count"] == len(expected)
    for code in RESTRICTED - expected:
        assert c.get(f"/api/v1/stations/{code}", headers=h).status_code == 404
        sid = world.series[code]
        assert c.get(f"/api/v1/series/{sid}/observations", headers=h).status_code == 404
        assert c.get(f"/sta/v1.1/Datastreams({sid})", headers=h).status_code == 404
        assert c.get(f"/sta/v1.1/Datastreams({sid})/Observations", headers=h).status_code == 404


@pytest.mark.parametrize("who", list(FULL))
def test_exports_and_counts_hold_only_what_the_role_may_see(world: World, who: str) -> None:
    c, h = world.client, world.h(who)
    rows = list(
        csv.DictReader(
            io.StringIO(
                c.get("/api/v1/exports/observations.csv", headers=h).content.decode("utf-8-sig")
            )
        )
    )
    per_station: dict[str, int] = {}
    for r in rows:
        per_station[r["station"]] = per_station.get(r["station"], 0) + 1
    expected = {code: N_VALUES if code in FULL[who] else 12 for code in _visible(who)}
    assert per_station == expected
    count = c.get("/sta/v1.1/Observations?$count=true&$top=1", headers=h).json()["@iot.count"]
    assert count == sum(expected.values())
    # The binary formats hold the same rows as the CSV.
    parquet = c.get("/api/v1/exports/observations.parquet", headers=h).content
    stations = pq.read_table(io.BytesIO(parquet)).column("station").to_pylist()
    assert {code: stations.count(code) for code in set(stations)} == expected
    xlsx = c.get("/api/v1/exports/observations.xlsx", headers=h).content
    sheet = load_workbook(io.BytesIO(xlsx), read_only=True).worksheets[0]
    header, *body = list(sheet.iter_rows(values_only=True))
    column = header.index("station")
    in_sheet = [row[column] for row in body]
    assert {code: in_sheet.count(code) for code in set(in_sheet)} == expected
    expanded = c.get(
        "/sta/v1.1/Things?$expand=Datastreams($expand=Observations($count=true;$top=1000))",
        headers=h,
    ).json()["value"]
    seen = {
        t["properties"]["code"]: t["Datastreams"][0]["Observations@iot.count"] for t in expanded
    }
    assert seen == expected
    # reaching restricted data through navigation or $expand from public entities: no way
    foi = c.get(
        "/sta/v1.1/ObservedProperties('COD')?$expand=Datastreams($expand=Thing)", headers=h
    ).json()
    assert {d["Thing"]["properties"]["code"] for d in foi["Datastreams"]} == {
        "A_OUT",
        "A_PUB",
        "B_OUT",
    } & _visible(who)


def test_public_sees_only_approved_values(world: World) -> None:
    c = world.client
    body = c.get("/api/v1/stations/PUB_AIR/observations/PM25").json()
    assert len(body["time"]) == 12 and body["time"][-1] == "2026-01-01T00:55:00Z"
    full = c.get("/api/v1/stations/PUB_AIR/observations/PM25", headers=world.h("hn")).json()
    assert len(full["time"]) == N_VALUES
    latest = c.get("/api/v1/latest").json()["stations"]
    assert {s["values"][0]["time"] for s in latest} == {"2026-01-01T00:55:00Z"}
    obs = c.get("/sta/v1.1/Datastreams(1)/Observations?$orderby=phenomenonTime desc&$top=1")
    assert obs.json()["value"][0]["phenomenonTime"] == "2026-01-01T00:55:00.000Z"


def test_public_sees_everything_public_when_approval_is_off(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cheap_password_hashing(monkeypatch)
    w = build_world(store, tmp_path, public_requires_approval=False)
    body = w.client.get("/api/v1/stations/PUB_AIR/observations/PM25").json()
    assert len(body["time"]) == N_VALUES
    assert w.client.get("/api/v1/stations/A_OUT").status_code == 404


def test_an_enterprise_cannot_write_another_enterprises_station(world: World) -> None:
    c = world.client
    reading = {
        "time": "2026-01-02T07:00:00+07:00",
        "readings": [{"parameter": "COD", "value": 5, "unit": "mg/L"}],
    }
    # REST push: to its own station yes, to B's (invisible) no, to a public agency one no
    assert (
        c.post("/api/v1/stations/A_OUT/push", json=reading, headers=world.h("ent_a")).status_code
        == 200
    )
    assert (
        c.post("/api/v1/stations/B_OUT/push", json=reading, headers=world.h("ent_a")).status_code
        == 404
    )
    assert (
        c.post("/api/v1/stations/PUB_AIR/push", json=reading, headers=world.h("ent_a")).status_code
        == 403
    )
    assert (
        c.post(
            "/api/v1/stations/A_OUT/push", json=reading, headers=world.h("ent_a_read")
        ).status_code
        == 403
    )
    assert c.post("/api/v1/stations/A_OUT/push", json=reading).status_code == 401
    # SensorThings: same answers
    obs = {"phenomenonTime": "2026-01-03T00:00:00Z", "result": 1.0}
    for code, status in (("A_OUT", 201), ("B_OUT", 404), ("PUB_AIR", 403)):
        r = c.post(
            "/sta/v1.1/Observations",
            headers=world.h("ent_a"),
            json={**obs, "Datastream": {"@iot.id": world.series[code]}},
        )
        assert r.status_code == status, (code, r.text)
    oid = world.series["B_OUT"] * 2**32 + 1_767_225_600
    assert (
        c.patch(
            f"/sta/v1.1/Observations({oid})", json={"result": 0}, headers=world.h("ent_a")
        ).status_code
        == 404
    )
    assert c.delete(f"/sta/v1.1/Observations({oid})", headers=world.h("ent_a")).status_code == 404
    assert c.delete(
        f"/sta/v1.1/Things({world.series['B_OUT']})", headers=world.h("ent_a")
    ).status_code in (403, 404)
    # a batch that touches another station writes nothing at all
    batch = [
        {
            "Datastream": {"@iot.id": world.series[code]},
            "components": ["phenomenonTime", "result"],
            "dataArray": [["2026-01-04T00:00:00Z", 2.0]],
        }
        for code in ("A_OUT", "B_OUT")
    ]
    assert (
        c.post("/sta/v1.1/CreateObservations", json=batch, headers=world.h("ent_a")).status_code
        == 404
    )
    after = c.get(
        "/api/v1/stations/A_OUT/observations/COD?start=2026-01-04T00:00:00Z",
        headers=world.h("ent_a"),
    ).json()
    assert after["time"] == []


def test_province_staff_cover_the_provinces_merged_into_theirs(world: World) -> None:
    c = world.client
    me = c.get("/api/v1/auth/me", headers=world.h("tq")).json()
    assert set(me["provinces"]) >= {"08-2025", "02-2008", "08-2008"}
    body = c.get("/api/v1/stations/HG_WELL/observations/PH", headers=world.h("tq")).json()
    assert len(body["time"]) == N_VALUES
    listed = c.get("/api/v1/stations?province=Tuyên Quang", headers=world.h("tq")).json()
    assert [s["code"] for s in listed] == ["HG_WELL"]
