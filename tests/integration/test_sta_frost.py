"""A SensorThings client nobody on the team wrote (frost_sta_client, from PyPI) creates and
reads back Things, Locations, Datastreams and Observations against a real uvicorn server."""

from __future__ import annotations

from pathlib import Path

import frost_sta_client as fsc
import geojson
import pytest
import requests

from quantrac.store.db import Store
from tests.integration.api_world import LiveServer, build_world, cheap_password_hashing


@pytest.fixture(autouse=True)
def _cheap(monkeypatch: pytest.MonkeyPatch) -> None:
    cheap_password_hashing(monkeypatch)


def test_frost_client_round_trip(store: Store, tmp_path: Path) -> None:
    world = build_world(store, tmp_path)
    with LiveServer(world.client.app) as live:
        service = fsc.SensorThingsService(
            f"{live.url}/sta/v1.1", auth_handler=fsc.AuthHandler("hn", "hn-password")
        )
        thing = fsc.Thing(
            name="Trạm quan trắc Hoàn Kiếm",
            description="Trạm không khí tự động",
            properties={"medium": "ambient_air", "code": "HN_HK_KK"},
        )
        thing.locations = [
            fsc.Location(
                name="Hoàn Kiếm",
                description="Bờ hồ",
                encoding_type="application/geo+json",
                location=geojson.Point((105.852, 21.028)),
            )
        ]
        service.create(thing)
        assert isinstance(thing.id, int)

        datastream = fsc.Datastream(
            name="PM2.5 Hoàn Kiếm",
            description="Bụi PM2,5",
            observation_type="http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
            unit_of_measurement=fsc.UnitOfMeasurement(
                name="microgram per cubic metre", symbol="µg/Nm3", definition="ucum:ug/m3"
            ),
            thing=thing,
            sensor=fsc.Sensor(
                name="BAM-1020",
                description="Beta attenuation",
                encoding_type="application/pdf",
                metadata="https://example.org/bam.pdf",
            ),
            observed_property=fsc.ObservedProperty(
                name="PM2.5", definition="https://example.org/pm25", description="fine dust"
            ),
        )
        service.create(datastream)
        assert isinstance(datastream.id, int)

        for i, value in enumerate((12.5, 14.0, None)):
            obs = fsc.Observation(
                result=value,
                phenomenon_time=f"2026-03-01T0{i}:00:00+07:00",
                datastream=datastream,
            )
            service.create(obs)
            assert isinstance(obs.id, int)

        back = service.things().find(thing.id)
        assert back.name == "Trạm quan trắc Hoàn Kiếm"
        assert back.properties["code"] == "HN_HK_KK"
        ds_back = service.datastreams().find(datastream.id)
        assert ds_back.unit_of_measurement.symbol == "µg/Nm3"
        listed = ds_back.get_observations().query().orderby("phenomenonTime", "ASC").list()
        results = [o.result for o in listed]
        assert results == [12.5, 14.0, None]
        assert listed.entities[0].phenomenon_time == "2026-02-28T17:00:00.000Z"

        things = service.things().query().filter("properties/code eq 'HN_HK_KK'").list()
        assert [t.id for t in things] == [thing.id]
        locs = service.things().find(thing.id).get_locations().query().list()
        assert locs.entities[0].location["coordinates"] == [105.852, 21.028]

        # A bad phenomenonTime is refused by the server, never stored as the server's time.
        bad = requests.post(
            f"{live.url}/sta/v1.1/Observations",
            json={
                "result": 1,
                "phenomenonTime": "not a time",
                "Datastream": {"@iot.id": datastream.id},
            },
            auth=("hn", "hn-password"),
            timeout=10,
        )
        assert bad.status_code == 400
        assert "phenomenonTime" in bad.json()["problems"][0]["where"]
        assert len(ds_back.get_observations().query().list().entities) == 3

        # Another enterprise's key cannot add to this station through the client either.
        other = fsc.SensorThingsService(
            f"{live.url}/sta/v1.1", auth_handler=fsc.AuthHandler("x", world.keys["ent_b"])
        )
        with pytest.raises(requests.HTTPError) as err:
            other.create(
                fsc.Observation(
                    result=1, phenomenon_time="2026-03-01T05:00:00Z", datastream=datastream
                )
            )
        assert err.value.response.status_code == 403
