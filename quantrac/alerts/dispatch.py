"""Alert rules and the dispatcher: events → one recorded delivery per (event, rule, transition).

A rule names event kinds, optionally stations, a channel and a target. `Dispatcher.run_once`
first queues what is missing — one `alert_delivery` row per (event, rule, transition), where
"opened" exists for every event and "closed" once the event is closed; the table's unique
constraint makes queueing idempotent, even for two dispatchers at once — then sends the rows
that are due.

Failures are retried with exponential back-off (base × 2^(attempt−1), capped) and recorded
(`attempts`, `next_attempt_at`, `last_error`); after `max_attempts` the row is "failed". State
lives only in the database, so a restarted process resumes the pending rows, and a row recorded
"delivered" is never sent again. Before sending, a dispatcher claims the row by moving its
`next_attempt_at` forward in a conditional UPDATE, so two dispatchers never send the same row at
once. The one unavoidable gap — a crash after the receiver took the message and before the row
was marked — can repeat a message; webhooks carry the delivery id so receivers can drop it.

A new rule does not replay history: transitions of events that exist when it is created are
recorded as "skipped".
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import Connection, RowMapping, and_, exists, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from quantrac.alerts.channels import CHANNELS, AlertMessage, Channel, DeliveryError
from quantrac.errors import ValidationError
from quantrac.settings import get_settings
from quantrac.store.db import Store, now_s
from quantrac.store.registry import get_station
from quantrac.store.schema import alert_delivery, alert_rule, event, series, station

EVENT_KINDS = ("exceedance", "offline", "delayed", "qc_failure")
OPENED, CLOSED = "opened", "closed"
PENDING, DELIVERED, FAILED, SKIPPED = "pending", "delivered", "failed", "skipped"


# --- rules ----------------------------------------------------------------------------------
class AlertRuleSpec(BaseModel):
    """A rule as a person writes it; validated before it is stored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=128)
    event_kinds: list[str] = Field(min_length=1)
    stations: list[str] | None = None
    channel: Literal["webhook", "email"]
    target: str = Field(min_length=3)
    secret: str | None = None

    @field_validator("event_kinds")
    @classmethod
    def _known_kinds(cls, kinds: list[str]) -> list[str]:
        unknown = [k for k in kinds if k not in EVENT_KINDS]
        if unknown:
            raise ValueError(f"unknown event kind(s) {unknown}; known: {', '.join(EVENT_KINDS)}")
        return sorted(set(kinds))

    @model_validator(mode="after")
    def _target_fits_channel(self) -> AlertRuleSpec:
        if self.channel == "webhook":
            if not self.target.startswith(("http://", "https://")):
                raise ValueError("a webhook target must be an http(s) URL")
            if not self.secret or len(self.secret) < 16:
                raise ValueError("a webhook needs a secret of at least 16 characters to sign with")
        elif "@" not in self.target:
            raise ValueError("an e-mail target must be one or more addresses, comma-separated")
        return self


def add_rule(store: Store, spec: AlertRuleSpec, *, now: int | None = None) -> int:
    """Store a rule; the transitions of events that already exist are marked skipped."""
    if spec.channel not in CHANNELS:
        raise ValidationError("unknown channel", [("channel", f"one of {', '.join(CHANNELS)}")])
    at = now_s() if now is None else now
    with store.write() as conn:
        for code in spec.stations or ():
            get_station(store, code, conn)  # UnknownStation with suggestions
        rule_id = int(
            conn.execute(
                insert(alert_rule).values(
                    name=spec.name,
                    event_kinds=",".join(spec.event_kinds),
                    station_filter=",".join(spec.stations) if spec.stations else None,
                    channel=spec.channel,
                    target=spec.target,
                    secret=spec.secret,
                    active=True,
                    created_at=at,
                )
            ).inserted_primary_key[0]
        )
        rule = conn.execute(select(alert_rule).where(alert_rule.c.id == rule_id)).mappings().one()
        _queue(conn, store, rule, at, SKIPPED)
    return rule_id


def list_rules(store: Store) -> list[RowMapping]:
    with store.read() as conn:
        return list(conn.execute(select(alert_rule).order_by(alert_rule.c.id)).mappings())


def set_rule_active(store: Store, rule_id: int, active: bool) -> None:
    with store.write() as conn:
        done = conn.execute(
            update(alert_rule).where(alert_rule.c.id == rule_id).values(active=active)
        )
        if done.rowcount == 0:
            raise ValidationError("no such alert rule", [("id", str(rule_id))])


def list_deliveries(store: Store, status: str | None = None) -> list[RowMapping]:
    q = select(alert_delivery).order_by(alert_delivery.c.id)
    if status:
        q = q.where(alert_delivery.c.status == status)
    with store.read() as conn:
        return list(conn.execute(q).mappings())


# --- queueing -------------------------------------------------------------------------------
def _matching_events(conn: Connection, rule: RowMapping, transition: str) -> list[int]:
    """Events the rule covers that have no delivery row yet for `transition`."""
    e, d = event.c, alert_delivery.c
    q = select(e.id).where(
        e.kind.in_(rule["event_kinds"].split(",")),
        ~exists().where(
            d.event_id == e.id, d.alert_rule_id == rule["id"], d.transition == transition
        ),
    )
    if transition == CLOSED:
        q = q.where(e.status == "closed")
    if rule["station_filter"]:
        codes = rule["station_filter"].split(",")
        q = q.where(e.station_id.in_(select(station.c.id).where(station.c.code.in_(codes))))
    return list(conn.scalars(q.order_by(e.id)))


def _queue(conn: Connection, store: Store, rule: RowMapping, now: int, status: str) -> int:
    rows = [
        {
            "event_id": event_id,
            "alert_rule_id": rule["id"],
            "transition": transition,
            "status": status,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for transition in (OPENED, CLOSED)
        for event_id in _matching_events(conn, rule, transition)
    ]
    if not rows:
        return 0
    dialect_insert = sqlite.insert if store.is_sqlite else postgresql.insert
    stmt = (
        dialect_insert(alert_delivery)
        .on_conflict_do_nothing(index_elements=["event_id", "alert_rule_id", "transition"])
        .returning(alert_delivery.c.id)
    )
    return len(conn.execute(stmt, rows).all())  # rows another dispatcher queued first: none


# --- messages -------------------------------------------------------------------------------
_KIND_TEXT = {
    "exceedance": ("Vượt quy chuẩn", "Exceedance"),
    "offline": ("Mất kết nối", "Station offline"),
    "delayed": ("Dữ liệu chậm", "Data delayed"),
    "qc_failure": ("Dữ liệu không đạt kiểm tra chất lượng", "QC failure"),
}
_TRANSITION_TEXT = {OPENED: ("bắt đầu", "opened"), CLOSED: ("kết thúc", "closed")}


def _local(epoch: int | None) -> str:
    if epoch is None:
        return "—"
    zone = ZoneInfo(get_settings().timezone)
    return datetime.fromtimestamp(epoch, UTC).astimezone(zone).strftime("%d/%m/%Y %H:%M")


def _iso(epoch: int | None) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC).isoformat()


def _limit_text(details: Mapping[str, Any]) -> str:
    low, high, unit = details.get("minimum"), details.get("maximum"), details.get("unit", "")
    if low is not None and high is not None:
        return f"{low:g}–{high:g} {unit}"
    if high is not None:
        return f"≤ {high:g} {unit}"
    return f"≥ {low:g} {unit}" if low is not None else "—"


def _texts(ev: RowMapping, details: Mapping[str, Any], transition: str) -> tuple[str, str]:
    where = f"{ev['station_code']} ({ev['station_name']})"
    what = ev["parameter_code"] or ""
    peak = "—" if ev["peak_value"] is None else f"{ev['peak_value']:g} {details.get('unit', '')}"
    start, end = _local(ev["started_at"]), _local(ev["ended_at"])
    if ev["kind"] == "exceedance":
        rule = f"{details.get('regulation', '')} ({details.get('averaging', '')})"
        limit = _limit_text(details)
        worst = f"{peak} lúc {_local(ev['peak_at'])}"
        worst_en = f"{peak} at {_local(ev['peak_at'])}"
        if transition == OPENED:
            vi = (
                f"Trạm {where}: {what} vượt {rule} từ {start}. Giá trị xấu nhất đến nay "
                f"{worst}; giới hạn {limit}."
            )
            en = (
                f"Station {where}: {what} exceeds {rule} since {start}. Worst value so far "
                f"{worst_en}; limit {limit}."
            )
        else:
            vi = (
                f"Trạm {where}: đợt vượt {rule} của {what} kết thúc lúc {end} (từ {start}, "
                f"xấu nhất {worst}, giới hạn {limit})."
            )
            en = (
                f"Station {where}: the {what} exceedance of {rule} ended at {end} (since "
                f"{start}, worst {worst_en}, limit {limit})."
            )
        return vi, en
    kind_vi, kind_en = _KIND_TEXT.get(ev["kind"], (ev["kind"], ev["kind"]))
    subject = f" {what}" if what else ""
    if transition == OPENED:
        return (
            f"Trạm {where}{subject}: {kind_vi.lower()} từ {start}.",
            f"Station {where}{subject}: {kind_en.lower()} since {start}.",
        )
    return (
        f"Trạm {where}{subject}: hết {kind_vi.lower()} lúc {end} (từ {start}).",
        f"Station {where}{subject}: {kind_en.lower()} ended at {end} (since {start}).",
    )


def build_message(conn: Connection, delivery: RowMapping) -> AlertMessage:
    """The text and JSON payload of one delivery, from the event as it stands now."""
    e = event.c
    ev = (
        conn.execute(
            select(
                event,
                station.c.code.label("station_code"),
                station.c.name.label("station_name"),
                series.c.parameter_code,
            )
            .join(station, station.c.id == e.station_id)
            .outerjoin(series, series.c.id == e.series_id)
            .where(e.id == delivery["event_id"])
        )
        .mappings()
        .one()
    )
    details = json.loads(ev["details"]) if ev["details"] else {}
    transition = delivery["transition"]
    vi, en = _texts(ev, details, transition)
    kind_vi, _ = _KIND_TEXT.get(ev["kind"], (ev["kind"], ev["kind"]))
    what = f": {ev['parameter_code']}" if ev["parameter_code"] else ""
    subject = (
        f"[quantrac] {kind_vi} — trạm {ev['station_code']}{what} "
        f"({_TRANSITION_TEXT[transition][0]})"
    )
    payload = {
        "delivery": delivery["id"],
        "transition": transition,
        "event": {
            "id": ev["id"],
            "kind": ev["kind"],
            "status": ev["status"],
            "station": {"code": ev["station_code"], "name": ev["station_name"]},
            "parameter": ev["parameter_code"],
            "rule": details or None,
            "started_at": _iso(ev["started_at"]),
            "last_at": _iso(ev["last_at"]),
            "ended_at": _iso(ev["ended_at"]),
            "peak": {"value": ev["peak_value"], "at": _iso(ev["peak_at"])},
        },
        "text": {"vi": vi, "en": en},
    }
    return AlertMessage(delivery["id"], f"{ev['kind']}.{transition}", subject, vi, en, payload)


# --- the dispatcher -------------------------------------------------------------------------
@dataclass
class DispatchReport:
    queued: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0


class Dispatcher:
    """Queues and sends alert deliveries; every bit of state is in the database.

    `base_delay_s`, `max_delay_s`, `max_attempts` and `lease_s` shape the retries (tests pass
    small ones); `channels` defaults to one instance of each registered channel.
    """

    def __init__(
        self,
        store: Store,
        channels: Mapping[str, Channel] | None = None,
        *,
        base_delay_s: int = 60,
        max_delay_s: int = 6 * 3600,
        max_attempts: int = 10,
        lease_s: int = 300,
        batch: int = 100,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if base_delay_s < 1 or max_attempts < 1 or lease_s < 1:
            raise ValueError("base_delay_s, max_attempts and lease_s must be at least 1")
        if channels is None:
            from quantrac.alerts.channels import default_channels

            channels = default_channels()
        self.store = store
        self.channels = dict(channels)
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.max_attempts = max_attempts
        self.lease_s = lease_s
        self.batch = batch
        self.clock = clock

    def backoff(self, attempts: int) -> int:
        """Seconds to wait after the `attempts`-th failure: base × 2^(attempts−1), capped."""
        return int(min(self.base_delay_s * 2 ** max(attempts - 1, 0), self.max_delay_s))

    def enqueue(self, now: int | None = None) -> int:
        """Create the missing delivery rows of every active rule; returns how many."""
        at = int(self.clock()) if now is None else now
        queued = 0
        with self.store.write() as conn:
            rules = conn.execute(select(alert_rule).where(alert_rule.c.active)).mappings().all()
            for rule in rules:
                queued += _queue(conn, self.store, rule, at, PENDING)
        return queued

    def _due(self, now: int) -> Sequence[RowMapping]:
        d, r = alert_delivery.c, alert_rule.c
        with self.store.read() as conn:
            return (
                conn.execute(
                    select(alert_delivery, r.channel, r.target, r.secret)
                    .join(alert_rule, r.id == d.alert_rule_id)
                    .where(d.status == PENDING, d.next_attempt_at <= now, r.active)
                    .order_by(d.next_attempt_at, d.id)
                    .limit(self.batch)
                )
                .mappings()
                .all()
            )

    def _claim(self, row: RowMapping, now: int) -> AlertMessage | None:
        """Take the row for one attempt (None if another dispatcher has it) and build its text."""
        d = alert_delivery.c
        with self.store.write() as conn:
            taken = conn.execute(
                update(alert_delivery)
                .where(
                    and_(
                        d.id == row["id"],
                        d.status == PENDING,
                        d.next_attempt_at == row["next_attempt_at"],
                    )
                )
                .values(next_attempt_at=now + self.lease_s)
            )
            if taken.rowcount != 1:
                return None
            return build_message(conn, row)

    def _record(self, row: RowMapping, now: int, error: str | None) -> str:
        attempts = row["attempts"] + 1
        if error is None:
            values: dict[str, Any] = {"status": DELIVERED, "delivered_at": now, "last_error": None}
        elif attempts >= self.max_attempts:
            values = {"status": FAILED, "last_error": error[:2000]}
        else:
            values = {"next_attempt_at": now + self.backoff(attempts), "last_error": error[:2000]}
        with self.store.write() as conn:
            conn.execute(
                update(alert_delivery)
                .where(alert_delivery.c.id == row["id"])
                .values(attempts=attempts, **values)
            )
        return values.get("status", PENDING)

    def deliver_due(self, now: int | None = None) -> DispatchReport:
        """Send every pending delivery whose time has come, once each."""
        at = int(self.clock()) if now is None else now
        report = DispatchReport()
        for row in self._due(at):
            message = self._claim(row, at)
            if message is None:
                continue
            channel = self.channels.get(row["channel"])
            error: str | None = None
            try:
                if channel is None:
                    raise DeliveryError(f"no channel named {row['channel']!r}")
                channel.send(message, row["target"], row["secret"])
            except DeliveryError as e:
                error = str(e)
            status = self._record(row, at, error)
            if status == DELIVERED:
                report.delivered += 1
            elif status == FAILED:
                report.failed += 1
            else:
                report.retried += 1
        return report

    def run_once(self, now: int | None = None) -> DispatchReport:
        """Queue what is missing, then send what is due."""
        at = int(self.clock()) if now is None else now
        queued = self.enqueue(at)
        report = self.deliver_due(at)
        report.queued = queued
        return report

    def run_forever(
        self, interval_s: float = 30.0, should_stop: Callable[[], bool] = lambda: False
    ) -> None:
        """`run_once` every `interval_s` seconds until `should_stop()` is true."""
        while not should_stop():
            self.run_once()
            time.sleep(interval_s)
