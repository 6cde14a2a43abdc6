"""MQTT subscriber: stations (or a peer IoT platform) publish readings to a broker.

Topic scheme, one branch per station (``<prefix>`` is QUANTRAC_MQTT_TOPIC_PREFIX, default
``quantrac``):

    <prefix>/<station_code>/tt10   payload: a Circular 10/2021 text file, bytes as in the file
    <prefix>/<station_code>/json   payload: {"time": "…+07:00", "readings": [{…}]}
                                   (codecs/json_readings.py)

Delivery guarantees:

- QoS 1 and a **persistent session**: a fixed client id, MQTT 5 ``clean_start=False`` and a
  session expiry, so the broker queues messages while this subscriber is down and delivers
  them when it comes back.
- A message counts as received only once archived: acknowledgements are manual
  (paho ``manual_ack``) and PUBACK is sent after `Archive.receive` returned. If archiving
  fails nothing is acknowledged and the subscriber reconnects, which makes the broker
  redeliver. Peer platforms are known to acknowledge and then drop; this one cannot.
- A message is archived under a name derived from its topic and content,
  ``mqtt/<station>/<sha256 prefix>.txt|.json``: a redelivery after a crash between archiving
  and PUBACK has the same name and bytes, so the archive recognises it (an arrival time or
  packet id in the name would make it look new).
"""

from __future__ import annotations

import hashlib
import logging
import re
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from quantrac.archive import Archive
from quantrac.errors import ConfigError
from quantrac.receivers.settings import MqttSettings
from quantrac.receivers.stats import StageStats

log = logging.getLogger(__name__)

#: Payload kinds by the topic's last level, with the extension that picks the codec.
KINDS = {"tt10": ".txt", "json": ".json"}
_STATION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
_RECONNECT_S = (1, 2, 5, 10, 30)


@dataclass(frozen=True, slots=True)
class Topic:
    station: str
    kind: str  # tt10 | json


def parse_topic(topic: str, prefix: str) -> Topic | None:
    """``<prefix>/<station>/<kind>`` → its parts; None for any other topic."""
    parts = topic.split("/")
    base = prefix.strip("/").split("/")
    if len(parts) != len(base) + 2 or parts[: len(base)] != base:
        return None
    station, kind = parts[len(base)], parts[len(base) + 1]
    if kind not in KINDS or not _STATION.match(station):
        return None
    return Topic(station, kind)


def message_name(topic: Topic, payload: bytes) -> str:
    """The archive name: a function of the message alone, so redeliveries are duplicates."""
    digest = hashlib.sha256(payload).hexdigest()[:24]
    return f"mqtt/{topic.station}/{digest}{KINDS[topic.kind]}"


def topic_filters(prefix: str) -> list[str]:
    base = prefix.strip("/")
    return [f"{base}/+/{kind}" for kind in KINDS]


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool


def parse_broker_url(url: str) -> BrokerAddress:
    parts = urlsplit(url)
    if parts.scheme not in {"mqtt", "mqtts", "tcp", "ssl"} or not parts.hostname:
        raise ConfigError(f"MQTT URL {url!r}: expected mqtt://[user:password@]host[:port]")
    tls = parts.scheme in {"mqtts", "ssl"}
    return BrokerAddress(
        parts.hostname,
        parts.port or (8883 if tls else 1883),
        unquote(parts.username) if parts.username else None,
        unquote(parts.password) if parts.password else None,
        tls,
    )


class MqttSubscriber:
    """Subscribes, archives each message, then acknowledges it."""

    name = "mqtt"

    def __init__(
        self,
        archive: Archive,
        settings: MqttSettings,
        *,
        on_archived: Callable[[], None] | None = None,
        stats: StageStats | None = None,
    ) -> None:
        if not settings.url:
            raise ConfigError("QUANTRAC_MQTT_URL is not set")
        self.archive = archive
        self.settings = settings
        self.broker = parse_broker_url(settings.url)
        self.on_archived = on_archived or (lambda: None)
        self.stats = stats or StageStats()
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: mqtt.Client | None = None
        self._broken = False

    # lifecycle --------------------------------------------------------------------------------
    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="mqtt-subscriber", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Disconnect cleanly; the broker keeps the session (and queues) until it expires."""
        self._stop.set()
        client = self._client
        if client is not None:
            client.disconnect()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._thread = None

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            client = self._new_client()
            self._client = client
            self._broken = False
            try:
                client.connect(
                    self.broker.host,
                    self.broker.port,
                    keepalive=self.settings.keepalive_s,
                    clean_start=False,
                    properties=self._connect_properties(),
                )
            except OSError as e:
                delay = _RECONNECT_S[min(attempt, len(_RECONNECT_S) - 1)]
                log.warning(
                    "MQTT: cannot reach %s (%s); retrying in %d s", self.broker.host, e, delay
                )
                attempt += 1
                self._stop.wait(delay)
                continue
            attempt = 0
            try:
                client.loop_forever(retry_first_connection=False)
            except Exception:  # a broken socket paho did not handle: start over
                log.exception("MQTT: network loop failed")
                self._broken = True
            self.connected.clear()
            self.subscribed.clear()
            if self._broken and not self._stop.is_set():
                self._stop.wait(_RECONNECT_S[0])

    def _new_client(self) -> mqtt.Client:
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=self.settings.client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        if self.broker.username:
            client.username_pw_set(self.broker.username, self.broker.password)
        if self.broker.tls:
            context = ssl.create_default_context(
                cafile=str(self.settings.ca_file) if self.settings.ca_file else None
            )
            client.tls_set_context(context)
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        client.on_disconnect = self._on_disconnect
        return client

    def _connect_properties(self) -> Properties:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = self.settings.session_expiry_s
        return props

    # callbacks (paho's network thread) -----------------------------------------------------------
    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if reason.is_failure:
            log.error("MQTT: broker refused the connection: %s", reason)
            self._broken = True
            return
        self.connected.set()
        log.info("MQTT: connected (session present: %s)", flags.session_present)
        client.subscribe([(f, 1) for f in topic_filters(self.settings.topic_prefix)])

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any, properties: Any
    ) -> None:
        if any(r.is_failure for r in reasons):
            log.error("MQTT: subscription refused: %s", reasons)
            return
        self.subscribed.set()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        self.connected.clear()
        if not self._stop.is_set():
            log.warning("MQTT: disconnected (%s)", reason)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        topic = parse_topic(message.topic, self.settings.topic_prefix)
        station: str | None = topic.station if topic else None
        if topic is None:
            kind = message.topic.rsplit("/", 1)[-1]
            if kind not in KINDS:  # not ours: nothing to keep
                client.ack(message.mid, message.qos)
                return
            # A station code the topic scheme does not allow: keep the message (it is
            # quarantined, the topic recorded as sender) rather than drop it silently.
            topic = Topic("_", kind)
        payload = bytes(message.payload)
        try:
            with self.stats.timed("archive"):
                self.archive.receive(
                    payload,
                    message_name(topic, payload),
                    "mqtt",
                    sender=message.topic[-128:],
                    station_code=station,
                )
        except Exception:
            # Not acknowledged: reconnecting makes the broker send it again.
            log.exception("MQTT: archiving a message on %s failed; reconnecting", message.topic)
            self._broken = True
            client.disconnect()
            return
        client.ack(message.mid, message.qos)
        self.on_archived()
