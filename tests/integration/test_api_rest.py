"""The REST API: filters, observation pages and aggregates, latest values, indices, events,
samples, connectivity, HTTP push (JSON and TT10) and streamed exports — and clear errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import insert

from quantrac.store.db import Store
from quantrac.store.registry import StationSpec, create_station
from quantrac.store.schema import campaign, event, index_value, sample, sample_result
from tests.integration.api_world import (
    N_VALUES,
    T0,
    World,
)


def test_station_filters(world: World) -> None:
    c, h = world.client, world.h("admin")

    def codes(q: str) -> list[str]:
        return [s["code"] for s in c.get(f"/api/v1/stations?{q}", headers=h).json()]

    assert codes("medium=wastewater") == ["A_OUT", "A_PUB", "B_OUT"]
    assert codes("medium=nước thải&owner=ENT_B") == ["B_OUT"]
    assert codes("bbox=105.8,21.0,105.9,21.1") == ["A_OUT", "A_PUB", "PUB_AIR"]
    assert codes("province=Hà Nội") == ["A_OUT", "A_PUB", "PUB_AIR"]  # 01-2025 ⊇ 01-2008
    assert codes("network=test&kind=automatic") == sorted(world.series)
    r = c.get("/api/v1/stations?bbox=1,2,3", headers=h)
    assert r.status_code == 400 and r.json()["problems"][0]["where"] == "bbox"
    r = c.get("/api/v1/stations?medium=plasma", headers=h)
    assert r.status_code == 422 and "medium" in r.json()["message"]


def test_observation_pages_follow_the_cursor(world: World) -> None:
    c, h = world.client, world.h("admin")
    url = "/api/v1/stations/PUB_AIR/observations/PM25?limit=10&qc=1,2"
    times: list[str] = []
    while url:
        body = c.get(url, headers=h).json()
        times += body["time"]
        url = body["next_cursor"] and (
            f"/api/v1/stations/PUB_AIR/observations/PM25?limit=10&qc=1,2"
            f"&cursor={body['next_cursor']}"
        )
    assert len(times) == N_VALUES and times == sorted(times)
    desc = c.get("/api/v1/series/1/observations?order=desc&limit=2", headers=h).json()
    assert desc["time"] == ["2026-01-01T01:55:00Z", "2026-01-01T01:50:00Z"]
    ranged = c.get(
        "/api/v1/series/1/observations?start=2026-01-01T07:30:00%2B07:00&end=2026-01-01T00:40:00Z",
        headers=h,
    ).json()
    assert ranged["time"] == ["2026-01-01T00:30:00Z", "2026-01-01T00:35:00Z"]
    assert c.get("/api/v1/series/1/observations?qc=4", headers=h).json()["time"] == []


def test_aggregates_and_csv(world: World) -> None:
    c, h = world.client, world.h("admin")
    hourly = c.get("/api/v1/series/1/observations?aggregation=1h", headers=h).json()
    assert hourly["expected"] == [12, 12, 12] and hourly["count"] == [1, 12, 11]
    assert hourly["value"][1] == pytest.approx(sum(range(11, 23)) / 12)
    daily = c.get("/api/v1/series/1/observations?aggregation=24h", headers=h).json()
    assert daily["time"] == ["2026-01-01"] and daily["value"] == [None]  # 3 of 24 hours
    month = c.get("/api/v1/series/1/observations?aggregation=month", headers=h).json()
    assert month["time"] == ["2026-01"]
    text = c.get("/api/v1/series/1/observations?format=csv&limit=3", headers=h)
    assert text.headers["content-type"].startswith("text/csv")
    assert text.text.splitlines() == [
        "time,value,qc_flag",
        "2026-01-01T00:00:00Z,10.0,1",
        "2026-01-01T00:05:00Z,11.0,1",
        "2026-01-01T00:10:00Z,12.0,1",
    ]
    assert 'rel="next"' in text.headers["link"]


def test_latest_values_in_one_query_for_many_stations(store: Store, world: World) -> None:
    for i in range(40):
        create_station(
            store,
            StationSpec(
                code=f"EXTRA{i}",
                name=f"x{i}",
                kind="automatic",
                medium="ambient_air",
                admin_unit="01-2008",
            ),
        )
    body = world.client.get("/api/v1/latest?medium=ambient_air", headers=world.h("admin"))
    stations = body.json()["stations"]
    assert [s["station"] for s in stations] == ["PUB_AIR"]  # stations without data are absent
    assert stations[0]["values"][0] == {
        "parameter": "PM25",
        "unit": "µg/Nm3",
        "time": "2026-01-01T01:55:00Z",
        "value": 33.0,
        "qc_flag": 1,
    }


def test_latest_is_the_newest_value_each_caller_may_see(store: Store, world: World) -> None:
    """Per series: the newest row for full access, else the newest approved one — bounded by
    that series' own approvals (a later approval of another series changes nothing)."""
    from quantrac.store.schema import review_period

    step = 300
    with store.write() as conn:  # A_PUB: approved again later, with a gap; PUB_AIR unchanged
        conn.execute(
            insert(review_period),
            [
                {"series_id": world.series["A_PUB"], "start": T0 + 15 * step,
                 "end": T0 + 18 * step, "state": "approved", "by": "r", "at": T0},
                {"series_id": world.series["PUB_AIR"], "start": T0 + 12 * step,
                 "end": T0 + 99 * step, "state": "rejected", "by": "r", "at": T0},
            ],
        )  # fmt: skip

    def newest(who: str | None) -> dict[str, str]:
        body = world.client.get("/api/v1/latest", headers=world.h(who)).json()
        return {s["station"]: s["values"][0]["time"][11:16] for s in body["stations"]}

    assert newest(None) == {"A_PUB": "01:25", "PUB_AIR": "00:55"}
    assert newest("ent_a") == {"A_OUT": "01:55", "A_PUB": "01:55", "PUB_AIR": "00:55"}
    assert newest("admin") == dict.fromkeys(
        ("A_OUT", "A_PUB", "B_OUT", "HG_WELL", "PUB_AIR"), "01:55"
    )
    first = world.client.get("/api/v1/latest")
    etag = first.headers["etag"]
    assert world.client.get("/api/v1/latest").headers["etag"] == etag  # stable while unchanged
    again = world.client.get("/api/v1/latest", headers={"If-None-Match": etag})
    assert again.status_code == 304
    body = first.json()
    assert body["generated_at"].endswith("Z") and json.loads(first.content) == body


def test_indices_events_samples_campaigns(store: Store, world: World) -> None:
    with store.write() as conn:
        for i, value in enumerate((42.0, 120.0)):
            conn.execute(
                insert(index_value).values(
                    station_id=1,
                    kind="aqi_hourly",
                    time=T0 + 3600 * (i + 1),
                    value=value,
                    category="good" if value < 50 else "poor",
                    dominant="pm25",
                    details=json.dumps({"pm25": value}),
                    computed_at=T0,
                )
            )
        conn.execute(
            insert(index_value).values(
                station_id=2,
                kind="aqi_hourly",
                time=T0,
                value=10.0,
                category="good",
                computed_at=T0,
            )
        )
        conn.execute(
            insert(event).values(
                kind="exceedance",
                station_id=2,
                series_id=world.series["A_OUT"],
                status="open",
                started_at=T0,
                last_at=T0 + 600,
                peak_value=99.0,
                peak_at=T0 + 300,
            )
        )
        cid = conn.execute(
            insert(campaign).values(code="C1", name="Đợt 1", created_at=T0)
        ).inserted_primary_key[0]
        sid = conn.execute(
            insert(sample).values(
                campaign_id=cid,
                station_id=1,
                sample_code="S1",
                sampled_at=T0,
                matrix="air",
                created_at=T0,
            )
        ).inserted_primary_key[0]
        conn.execute(
            insert(sample_result).values(
                sample_id=sid,
                parameter_code="PM25",
                value=None,
                unit="µg/Nm3",
                qualifier="<",
                detection_limit=5.0,
            )
        )
    c = world.client
    latest = c.get("/api/v1/indices/latest").json()
    assert [(r["station"], r["value"], r["category"]) for r in latest] == [
        ("PUB_AIR", 120.0, "poor")
    ]
    series = c.get("/api/v1/indices?station=PUB_AIR&kind=aqi_hourly").json()
    assert [r["details"] for r in series] == [{"pm25": 42.0}, {"pm25": 120.0}]
    assert c.get("/api/v1/events").json() == []  # the exceedance is at a restricted station
    events = c.get("/api/v1/events?status=open", headers=world.h("ent_a")).json()
    assert events[0]["station"] == "A_OUT" and events[0]["parameter"] == "COD"
    samples = c.get("/api/v1/samples?campaign=C1").json()
    assert samples[0]["results"][0]["qualifier"] == "<"
    assert c.get("/api/v1/campaigns").json()[0]["code"] == "C1"
    exported = c.get("/api/v1/exports/samples.csv").content.decode("utf-8-sig")
    assert "S1" in exported and ",<," in exported


def test_push_json_and_tt10_go_through_the_archive(world: World, tt10_dir: Path) -> None:
    c, h = world.client, world.h("ent_a")
    payload = {
        "time": "2026-01-02T07:00:00+07:00",
        "readings": [
            {"parameter": "COD", "value": 55, "unit": "mg/L", "status": "00"},
            {"parameter": "Nonsense", "value": 1, "unit": "mg/L"},
        ],
    }
    r = c.post("/api/v1/stations/A_OUT/push", json=payload, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == 1 and r.json()["problems"]  # the unknown parameter, named
    again = c.post("/api/v1/stations/A_OUT/push", json=payload, headers=h).json()
    assert again["duplicate"] is True and again["stored"] == 0
    conn_state = c.get("/api/v1/connectivity", headers=h).json()
    assert {s["station"]: s["online"] for s in conn_state}["A_OUT"] is True
    bad = c.post(
        "/api/v1/stations/A_OUT/push",
        content=b"{not json",
        headers={**h, "Content-Type": "application/json"},
    )
    assert bad.status_code == 422 and bad.json()["raw_file_id"]

    name = "HN_BKHN_KHIKXQ_20260325000500.txt"
    create_station(
        world.store,
        StationSpec(
            code="HN_BKHN_KHIKXQ",
            name="BK",
            kind="automatic",
            medium="ambient_air",
            admin_unit="01-2008",
        ),
    )
    r = c.post(
        f"/api/v1/push/tt10?filename={name}",
        content=(tt10_dir / name).read_bytes(),
        headers={**world.h("hn"), "Content-Type": "text/plain"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "parsed" and r.json()["stored"] > 5
    r = c.post(f"/api/v1/push/tt10?filename={name}", content=b"x", headers=world.h("ent_a"))
    assert r.status_code == 403
    r = c.post("/api/v1/push/tt10?filename=garbage.txt", content=b"x", headers=world.h("hn"))
    assert r.status_code == 422 and r.json()["problems"][0]["where"] == "filename"


def test_exports_stream_all_three_formats(world: World) -> None:
    import pyarrow.parquet as pq
    from openpyxl import load_workbook

    c, h = world.client, world.h("admin")
    text = c.get(
        "/api/v1/exports/observations.csv?station=PUB_AIR,A_OUT&qc=1", headers=h
    ).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 2 * N_VALUES and rows[0]["time_utc"] == "2026-01-01T00:00:00Z"
    table = pq.read_table(
        io.BytesIO(c.get("/api/v1/exports/observations.parquet?parameter=COD", headers=h).content)
    )
    assert table.num_rows == 3 * N_VALUES and table.column_names[0] == "station"
    book = load_workbook(
        io.BytesIO(
            c.get("/api/v1/exports/observations.xlsx?start=2026-01-01T01:00:00Z", headers=h).content
        )
    )
    sheet = book.worksheets[0]
    assert sheet.max_row == 1 + 5 * 12
    empty = c.get("/api/v1/exports/observations.csv?station=NOPE", headers=h)
    assert empty.status_code == 200 and empty.content.decode("utf-8-sig").count("\n") == 1


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/stations/NOPE", 404),
        ("/api/v1/stations/PUB_AIR/observations/NOPE", 422),
        ("/api/v1/series/1/observations?start=yesterday", 400),
        ("/api/v1/series/1/observations?start=2026-01-01T00:00:00", 400),
        ("/api/v1/series/1/observations?start=2026-01-02T00:00:00Z&end=2026-01-01T00:00:00Z", 400),
        ("/api/v1/series/1/observations?cursor=%%%", 400),
        ("/api/v1/series/1/observations?aggregation=week", 422),
        ("/api/v1/series/1/observations?limit=100000000", 400),
        ("/api/v1/series/999999/observations", 404),
        ("/api/v1/exports/observations.pdf", 422),
        ("/api/v1/parameters/NOPE", 404),
        ("/api/v1/stations?province=Atlantis", 422),
    ],
)
def test_bad_input_is_a_clear_4xx_never_a_500(world: World, url: str, status: int) -> None:
    r = world.client.get(url, headers=world.h("admin"))
    assert r.status_code == status, r.text
    body = r.json()
    assert body["status"] == status and body["message"] and body["message_vi"]


def test_conflicts_are_409(world: World) -> None:
    r = world.client.post(
        "/api/v1/admin/users",
        headers=world.h("admin"),
        json={"username": "hn", "password": "whatever-long", "role": "public"},
    )
    assert r.status_code == 409 and "already exists" in r.json()["message"]
