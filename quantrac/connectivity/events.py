"""Outages as events: one `event` row of kind ``offline`` per outage.

Opened when a station passes its offline threshold without an arrival (started_at = its last
arrival, or its registration if it never sent anything), kept current (last_at) while the
outage lasts, closed when data arrives again (ended_at = the first arrival after the outage,
which the ingest records as station_status.changed_at when it flips `online` back on).

The check runs periodically in the receiver service (and on demand from the CLI). All of it
happens in one write transaction, serialised between processes, so two checkers never open
two events for one outage.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, RowMapping, insert, select, text, update

from quantrac.connectivity.status import ConnectivitySettings, automatic_stations
from quantrac.jobs.compliance_job import EventKey, close_event, open_event
from quantrac.store.db import Store, now_s
from quantrac.store.schema import event, station_status

OFFLINE = "offline"
#: Arbitrary constant key for PostgreSQL's advisory lock around the check.
_CHECK_LOCK = 1618_0003


@dataclass
class EventChanges:
    opened: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)


def update_offline_events(
    store: Store, *, now: int | None = None, settings: ConnectivitySettings | None = None
) -> EventChanges:
    """Open an event for each station that went offline, close those back online."""
    settings = settings or ConnectivitySettings()
    now = now_s() if now is None else now
    changes = EventChanges()
    with store.write() as conn:
        if not store.is_sqlite:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHECK_LOCK})
        rows = automatic_stations(conn)
        open_events = {
            sid: (eid, started)
            for eid, sid, started in conn.execute(
                select(event.c.id, event.c.station_id, event.c.started_at).where(
                    event.c.kind == OFFLINE, event.c.status == "open"
                )
            )
        }
        for r in rows:
            threshold = settings.threshold(r["reporting_interval_s"])
            last = r["last_received_at"]
            since = last if last is not None else r["created_at"]
            offline = now - since > threshold
            current = open_events.get(r["id"])
            key = EventKey(OFFLINE, r["id"])
            if offline:
                if current is None:
                    open_event(conn, key, since, details=_details(r, threshold))
                    _set_online(conn, r, False, now)
                    changes.opened.append(r["code"])
                open_event(conn, key, now)  # extends: last_at = now
            elif current is not None:
                back = r["changed_at"] if r["online"] and r["changed_at"] else last
                close_event(conn, key, max(back or now, current[1]))
                changes.closed.append(r["code"])
    return changes


def _details(row: RowMapping, threshold: int) -> dict[str, object]:
    return {
        "threshold_s": threshold,
        "last_received_at": row["last_received_at"],
        "last_data_at": row["last_data_at"],
        "never_sent": row["last_received_at"] is None,
    }


def _set_online(conn: Connection, row: RowMapping, online: bool, now: int) -> None:
    sid = row["id"]
    exists = conn.scalar(
        select(station_status.c.station_id).where(station_status.c.station_id == sid)
    )
    if exists is None:
        conn.execute(insert(station_status).values(station_id=sid, online=online, changed_at=now))
    else:
        conn.execute(
            update(station_status)
            .where(station_status.c.station_id == sid)
            .values(online=online, changed_at=now)
        )
