"""Alert delivery through a real SMTP server (aiosmtpd) and a real HTTP receiver that checks the
HMAC signature, on SQLite and PostgreSQL: once per (event, rule, transition), across receiver
outages, retries and process restarts."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import ValidationError as PydanticError

from quantrac.alerts.channels import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    EmailChannel,
    SmtpSettings,
    WebhookChannel,
    verify,
)
from quantrac.alerts.dispatch import (
    DELIVERED,
    FAILED,
    PENDING,
    SKIPPED,
    AlertRuleSpec,
    Dispatcher,
    add_rule,
    list_deliveries,
)
from quantrac.jobs.compliance_job import EventKey, close_event, open_event, run_compliance
from quantrac.store.db import Store
from quantrac.store.registry import StationSpec, create_station, get_station
from tests.conftest import REPO_ROOT, need
from tests.integration.test_events import EXCEEDING, T0, t, wastewater, write_cod

SECRET = "s3cret-for-tests-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Receiver:
    """A webhook receiver on a fixed port that can be down (not listening) and come back."""

    def __init__(self, secret: str = SECRET) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.secret = secret
        self.received: list[dict[str, Any]] = []
        self.rejected = 0
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if not verify(receiver.secret, body, self.headers.get(SIGNATURE_HEADER)):
                    receiver.rejected += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                receiver.received.append(
                    {
                        "delivery": self.headers[DELIVERY_HEADER],
                        "event": self.headers[EVENT_HEADER],
                        "body": json.loads(body),
                    }
                )
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=email_policy))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[SmtpSettings, Mailbox]]:
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        need(False, "aiosmtpd is not installed (pip install aiosmtpd==1.4.6)")
        raise
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield SmtpSettings(host="127.0.0.1", port=controller.port, sender="canhbao@quantrac.test"), box
    controller.stop()


def channels(settings: SmtpSettings) -> dict[str, Any]:
    return {"webhook": WebhookChannel(timeout_s=2), "email": EmailChannel(settings)}


def webhook_rule(url: str, **kw: Any) -> AlertRuleSpec:
    values = {
        "name": "sở TN&MT",
        "event_kinds": ["exceedance"],
        "channel": "webhook",
        "target": url,
        "secret": SECRET,
        **kw,
    }
    return AlertRuleSpec.model_validate(values)


def three_episodes(store: Store) -> None:
    sid = wastewater(store)
    write_cod(store, sid, range(1, 49), EXCEEDING)


def test_each_transition_is_delivered_once_across_outage_and_restarts(
    store: Store, receiver: Receiver, smtp: tuple[SmtpSettings, Mailbox]
) -> None:
    settings, mailbox = smtp
    three_episodes(store)
    add_rule(store, webhook_rule(receiver.url))
    add_rule(
        store,
        AlertRuleSpec(
            name="trực ban",
            event_kinds=["exceedance"],
            stations=["TB_NT"],
            channel="email",
            target="Trực ban <truc.ban@quantrac.test>",
        ),
    )
    run_compliance(store, "TB_NT", T0, t(48))  # three closed episodes → 6 transitions per rule
    now = int(time.time())

    first = Dispatcher(store, channels(settings), base_delay_s=1).run_once(now)
    assert (first.queued, first.delivered, first.retried) == (12, 6, 6)  # receiver is down
    waiting = [d for d in list_deliveries(store) if d["status"] == PENDING]
    assert len(waiting) == 6
    assert all(d["attempts"] == 1 and d["next_attempt_at"] == now + 1 for d in waiting)
    assert all("Connect" in d["last_error"] for d in waiting)

    same = Dispatcher(store, channels(settings), base_delay_s=1).run_once(now)
    assert (same.queued, same.delivered, same.retried) == (0, 0, 0)  # nothing due yet

    restarted = Dispatcher(store, channels(settings), base_delay_s=1).run_once(now + 1)
    assert (restarted.delivered, restarted.retried) == (0, 6)
    waiting = [d for d in list_deliveries(store) if d["status"] == PENDING]
    assert all(d["attempts"] == 2 and d["next_attempt_at"] == now + 1 + 2 for d in waiting)

    receiver.start()  # back up; a fresh process on the same database picks the work up
    script = (
        "import sys; from quantrac.store.db import Store; "
        "from quantrac.alerts.dispatch import Dispatcher; "
        "r = Dispatcher(Store(sys.argv[1]), base_delay_s=1).run_once(int(sys.argv[2])); "
        "print(r.delivered, r.retried, r.failed)"
    )
    env = {
        **os.environ,
        "QUANTRAC_SMTP_HOST": settings.host,
        "QUANTRAC_SMTP_PORT": str(settings.port),
    }
    proc = subprocess.run(
        [sys.executable, "-c", script, store.url, str(now + 3)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["6", "0", "0"]

    later = Dispatcher(store, channels(settings), base_delay_s=1).run_once(now + 10_000)
    assert (later.queued, later.delivered, later.retried) == (0, 0, 0)
    assert all(d["status"] == DELIVERED for d in list_deliveries(store))
    assert len({r["delivery"] for r in receiver.received}) == len(receiver.received) == 6
    assert (
        sorted(r["event"] for r in receiver.received)
        == ["exceedance.closed"] * 3 + ["exceedance.opened"] * 3
    )
    peaks = sorted({r["body"]["event"]["peak"]["value"] for r in receiver.received})
    assert peaks == [160.0, 170.0, 200.0]
    opened = next(r["body"] for r in receiver.received if r["event"] == "exceedance.opened")
    assert opened["event"]["station"]["code"] == "TB_NT"
    assert opened["event"]["rule"]["maximum"] == 135.0 and opened["text"]["vi"].startswith("Trạm")

    assert len(mailbox.messages) == 6
    mail = mailbox.messages[0]
    assert mail["Subject"].startswith("[quantrac] Vượt quy chuẩn — trạm TB_NT: COD")
    assert mail["To"] == "truc.ban@quantrac.test"
    text = mail.get_content()
    assert text.index("Trạm TB_NT") < text.index("— English —") < text.index("Station TB_NT")
    assert "≤ 135 mg/L" in text


def test_a_bad_signature_is_refused_retried_then_failed(store: Store) -> None:
    receiver = Receiver(secret="another-secret-entirely-0000")
    receiver.start()
    try:
        three_episodes(store)
        add_rule(store, webhook_rule(receiver.url))
        run_compliance(store, "TB_NT", T0, t(10))  # one episode, closed
        d = Dispatcher(
            store, {"webhook": WebhookChannel(timeout_s=2)}, base_delay_s=1, max_attempts=2
        )
        now = int(time.time())
        assert d.run_once(now).retried == 2
        assert d.run_once(now + 1).failed == 2
        rows = list_deliveries(store)
        assert [r["status"] for r in rows] == [FAILED, FAILED]
        assert all(r["attempts"] == 2 and "HTTP 401" in r["last_error"] for r in rows)
        assert receiver.received == [] and receiver.rejected == 4
        assert d.run_once(now + 100).failed == 0  # failed rows are not retried again
    finally:
        receiver.stop()


def test_rules_filter_kinds_and_stations_and_do_not_replay_history(
    store: Store, receiver: Receiver
) -> None:
    receiver.start()
    three_episodes(store)
    station_id = get_station(store, "TB_NT")["id"]
    with store.write() as conn:
        old = open_event(conn, EventKey("offline", station_id), t(1))
    offline_rule = add_rule(store, webhook_rule(receiver.url, event_kinds=["offline"]))
    assert [(d["event_id"], d["status"]) for d in list_deliveries(store)] == [(old, SKIPPED)]
    create_station(
        store,
        StationSpec(code="HN_KK", name="Không khí", kind="automatic", medium="ambient_air"),
    )
    add_rule(store, webhook_rule(receiver.url, event_kinds=["offline"], stations=["HN_KK"]))
    d = Dispatcher(store, {"webhook": WebhookChannel(timeout_s=2)}, base_delay_s=1)
    run_compliance(store, "TB_NT", T0, t(48))  # exceedances: not for an offline-only rule
    assert d.run_once().delivered == 0
    with store.write() as conn:
        close_event(conn, EventKey("offline", station_id), t(2))  # the old event closes
        new = open_event(conn, EventKey("delayed", station_id), t(3))  # another kind
    report = d.run_once()
    assert report.delivered == 1
    (only,) = receiver.received
    assert only["event"] == "offline.closed" and only["body"]["event"]["id"] == old
    assert "kết nối" in only["body"]["text"]["vi"]
    assert {r["alert_rule_id"] for r in list_deliveries(store)} == {offline_rule}
    assert new not in {r["event_id"] for r in list_deliveries(store)}


def test_two_dispatchers_at_once_never_send_twice(store: Store, receiver: Receiver) -> None:
    receiver.start()
    three_episodes(store)
    add_rule(store, webhook_rule(receiver.url))
    run_compliance(store, "TB_NT", T0, t(48))
    now = int(time.time())
    dispatchers = [
        Dispatcher(Store(store.url), {"webhook": WebhookChannel(timeout_s=5)}) for _ in range(2)
    ]
    threads = [threading.Thread(target=d.run_once, args=(now,)) for d in dispatchers]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    for d in dispatchers:
        d.store.dispose()
    assert len(receiver.received) == 6
    assert len({r["delivery"] for r in receiver.received}) == 6
    assert all(d["status"] == DELIVERED for d in list_deliveries(store))


@pytest.mark.parametrize(
    "values",
    [
        {"channel": "webhook", "target": "ftp://x", "secret": SECRET},
        {"channel": "webhook", "target": "http://x/hook", "secret": "short"},
        {"channel": "email", "target": "nobody"},
        {"channel": "sms", "target": "0912345678"},
        {"channel": "email", "target": "a@b.vn", "event_kinds": ["flood"]},
    ],
)
def test_rule_validation(values: dict[str, Any]) -> None:
    with pytest.raises(PydanticError):
        AlertRuleSpec.model_validate({"name": "x", "event_kinds": ["exceedance"], **values})
