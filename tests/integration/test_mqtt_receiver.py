"""The MQTT subscriber against the real broker (Mosquitto on loopback): TT10 and JSON payloads
read back from the store, nothing lost while the subscriber is down, no PUBACK before archive."""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy import func, select

from quantrac.archive import Archive, Received
from quantrac.receivers.mqtt import parse_broker_url, parse_topic
from quantrac.receivers.service import ReceiverService
from quantrac.receivers.settings import IngestSettings, MqttSettings
from quantrac.store.db import Store
from quantrac.store.registry import StationSpec, create_station
from quantrac.store.schema import observation, raw_file, series, station
from tests.conftest import need

AIR = "HN_BKHN_KHIKXQ"
AIR_FILE = "HN_BKHN_KHIKXQ_20260325000500.txt"


def wait_for(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def broker_url() -> str:
    url = os.environ.get("QUANTRAC_TEST_MQTT_URL", "")
    need(bool(url), "MQTT tests need QUANTRAC_TEST_MQTT_URL=mqtt://127.0.0.1:1883")
    broker = parse_broker_url(url)
    try:
        socket.create_connection((broker.host, broker.port), timeout=2).close()
    except OSError as e:
        need(False, f"no MQTT broker at {url}: {e}")
    return url


@pytest.fixture
def mqtt_settings(broker_url: str) -> Iterator[MqttSettings]:
    """A topic prefix and client id of its own, so runs never see each other's sessions."""
    tag = uuid.uuid4().hex[:10]
    settings = MqttSettings(
        url=broker_url, client_id=f"quantrac-test-{tag}", topic_prefix=f"qtest-{tag}"
    )
    yield settings
    forget_session(settings)


def forget_session(settings: MqttSettings) -> None:
    broker = parse_broker_url(settings.url or "")
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id=settings.client_id, protocol=mqtt.MQTTv5
    )
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 0
    client.connect(broker.host, broker.port, clean_start=True, properties=props)
    client.loop_start()
    time.sleep(0.2)
    client.disconnect()
    client.loop_stop()


class Publisher:
    def __init__(self, url: str) -> None:
        broker = parse_broker_url(url)
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()

    def send(self, topic: str, payload: bytes) -> None:
        info = self.client.publish(topic, payload, qos=1)
        info.wait_for_publish(timeout=10)
        assert info.is_published()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def publisher(broker_url: str) -> Iterator[Publisher]:
    p = Publisher(broker_url)
    yield p
    p.close()


def register(store: Store) -> None:
    create_station(
        store, StationSpec(code=AIR, name="Bách Khoa", kind="automatic", medium="ambient_air")
    )


def start(store: Store, tmp_path: Path, settings: MqttSettings, archive: Archive | None = None):
    service = ReceiverService(
        store,
        archive or Archive(store, tmp_path / "archive"),
        mqtt=settings,
        ingest=IngestSettings(poll_s=0.2),
        data_dir=tmp_path,
    )
    service.start()
    assert service.mqtt is not None
    assert service.mqtt.subscribed.wait(10), "no subscription"
    return service


def counts(store: Store) -> dict[str, int]:
    with store.read() as conn:
        return {
            s: n
            for s, n in conn.execute(
                select(raw_file.c.state, func.count()).group_by(raw_file.c.state)
            )
        }


def stored(store: Store) -> dict[tuple[str, int], float | None]:
    with store.read() as conn:
        rows = conn.execute(
            select(series.c.parameter_code, observation.c.time, observation.c.value)
            .join(observation, observation.c.series_id == series.c.id)
            .join(station, station.c.id == series.c.station_id)
            .where(station.c.code == AIR)
        ).all()
    return {(p, t): v for p, t, v in rows}


def tt10_payload(local: str, pm25: float) -> bytes:
    return f"PM2.5\t{pm25}\tug/m3\t{local}\t00\r\nNO2\t14.91\tug/m3\t{local}\t00\r\n".encode()


def epoch(local: str) -> int:
    from datetime import datetime, timedelta, timezone

    return int(
        datetime.strptime(local, "%Y%m%d%H%M%S")
        .replace(tzinfo=timezone(timedelta(hours=7)))
        .timestamp()
    )


def test_tt10_and_json_payloads_are_stored(
    store: Store,
    tmp_path: Path,
    mqtt_settings: MqttSettings,
    publisher: Publisher,
    tt10_dir: Path,
) -> None:
    register(store)
    service = start(store, tmp_path, mqtt_settings)
    try:
        prefix = mqtt_settings.topic_prefix
        publisher.send(f"{prefix}/{AIR}/tt10", (tt10_dir / AIR_FILE).read_bytes())
        doc = {
            "time": "2026-03-25T00:10:00+07:00",
            "readings": [
                {"parameter": "PM2,5", "value": 30.5, "unit": "ug/m3", "status": "00"},
                {"parameter": "CO", "value": 2900, "unit": "ug/m3", "status": "02"},
                {"parameter": "O3", "value": None, "unit": "ug/m3"},
            ],
        }
        publisher.send(f"{prefix}/{AIR}/json", json.dumps(doc).encode())
        publisher.send(f"{prefix}/{AIR}/csv", b"not subscribed")
        wait_for(lambda: counts(store) == {"parsed": 2})
    finally:
        service.stop()
    values = stored(store)
    t1, t2 = epoch("20260325000500"), epoch("20260325001000")
    assert len([k for k in values if k[1] == t1]) == 26
    assert values[("PM25", t1)] == pytest.approx(27.81)
    assert values[("PM25", t2)] == pytest.approx(30.5)
    assert values[("CO", t2)] == pytest.approx(2900)
    assert ("O3", t2) in values and values[("O3", t2)] is None
    with store.read() as conn:
        names = sorted(conn.scalars(select(raw_file.c.name)))
        assert set(conn.scalars(select(raw_file.c.station_code))) == {AIR}
    assert all(n.startswith(f"mqtt/{AIR}/") for n in names)
    assert sorted(n.rsplit(".", 1)[1] for n in names) == ["json", "txt"]


def test_nothing_is_lost_while_the_subscriber_is_down(
    store: Store, tmp_path: Path, mqtt_settings: MqttSettings, publisher: Publisher
) -> None:
    register(store)
    prefix = mqtt_settings.topic_prefix
    service = start(store, tmp_path, mqtt_settings)
    publisher.send(f"{prefix}/{AIR}/tt10", tt10_payload("20260325010000", 11.0))
    wait_for(lambda: counts(store) == {"parsed": 1})
    service.stop()

    stamps = [f"2026032501{m:02d}00" for m in range(5, 60, 5)]  # 11 messages while down
    for i, stamp in enumerate(stamps):
        publisher.send(f"{prefix}/{AIR}/tt10", tt10_payload(stamp, 20.0 + i))
    time.sleep(0.3)
    assert counts(store) == {"parsed": 1}  # really down: nothing arrived meanwhile

    service = start(store, tmp_path, mqtt_settings)
    try:
        wait_for(lambda: counts(store) == {"parsed": 12})
    finally:
        service.stop()
    values = stored(store)
    for i, stamp in enumerate(stamps):
        assert values[("PM25", epoch(stamp))] == pytest.approx(20.0 + i)
    assert len(values) == 24


class FlakyArchive(Archive):
    """Fails the first receive, as a full disk or a lost database connection would."""

    failures = 0

    def receive(self, data: bytes, name: str, source: str, **kw: str | None) -> Received:
        if self.failures == 0:
            self.failures += 1
            raise OSError("disk full")
        return super().receive(data, name, source, **kw)


def test_a_message_is_acknowledged_only_once_archived(
    store: Store, tmp_path: Path, mqtt_settings: MqttSettings, publisher: Publisher
) -> None:
    register(store)
    archive = FlakyArchive(store, tmp_path / "archive")
    service = start(store, tmp_path, mqtt_settings, archive)
    try:
        publisher.send(
            f"{mqtt_settings.topic_prefix}/{AIR}/tt10", tt10_payload("20260325020000", 7)
        )
        # Not acknowledged on failure, so the broker redelivers after the reconnect.
        wait_for(lambda: counts(store) == {"parsed": 1})
    finally:
        service.stop()
    assert archive.failures == 1
    assert stored(store)[("PM25", epoch("20260325020000"))] == pytest.approx(7)


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("quantrac/HN_BKHN_KHIKXQ/tt10", ("HN_BKHN_KHIKXQ", "tt10")),
        ("quantrac/TB_CAPH_NUOSXL/json", ("TB_CAPH_NUOSXL", "json")),
        ("quantrac/X/csv", None),
        ("quantrac/a/b/tt10", None),
        ("other/X/tt10", None),
        ("quantrac/../tt10", None),
        ("quantrac//tt10", None),
    ],
)
def test_topic_scheme(topic: str, expected: tuple[str, str] | None) -> None:
    parsed = parse_topic(topic, "quantrac")
    assert (None if parsed is None else (parsed.station, parsed.kind)) == expected
