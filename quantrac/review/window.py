"""Reading what the review jobs need from the store: a series' identity and a window of its
observations with flags and reasons (which `store.observations.read_series` leaves out)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, insert, select

from quantrac.errors import UnknownStation, ValidationError
from quantrac.store.schema import audit_log, observation, organization, series, station

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class SeriesInfo:
    """Who a series belongs to: enough to configure QC and to name it in a report."""

    id: int
    station_id: int
    station: str
    parameter: str
    unit: str
    medium: str
    owner_kind: str | None
    reporting_interval_s: int | None


def series_info(conn: Connection, series_id: int) -> SeriesInfo:
    row = conn.execute(_info_query().where(series.c.id == series_id)).first()
    if row is None:
        raise ValidationError(f"no series {series_id}", [(f"series {series_id}", "not found")])
    return SeriesInfo(*row)


def station_series(conn: Connection, station_code: str) -> list[SeriesInfo]:
    """Every series of a station, by parameter code; UnknownStation when there is none."""
    rows = conn.execute(
        _info_query().where(station.c.code == station_code).order_by(series.c.parameter_code)
    ).all()
    if not rows:
        known = conn.scalar(select(station.c.id).where(station.c.code == station_code))
        if known is None:
            from quantrac.catalog.text import nearest

            codes = list(conn.scalars(select(station.c.code)))
            raise UnknownStation(station_code, nearest(station_code, codes))
    return [SeriesInfo(*r) for r in rows]


def find_series(conn: Connection, station_code: str, parameter: str) -> SeriesInfo:
    """The series of (station, parameter code), case-insensitive on the parameter."""
    found = [
        s for s in station_series(conn, station_code) if s.parameter.upper() == parameter.upper()
    ]
    if not found:
        have = ", ".join(s.parameter for s in station_series(conn, station_code)) or "none"
        raise ValidationError(
            f"station {station_code} has no {parameter} series",
            [(station_code, f"its series: {have}")],
        )
    return found[0]


def _info_query() -> Any:
    return (
        select(
            series.c.id,
            station.c.id,
            station.c.code,
            series.c.parameter_code,
            series.c.unit,
            station.c.medium,
            organization.c.kind,
            station.c.reporting_interval_s,
        )
        .join(station, station.c.id == series.c.station_id)
        .outerjoin(organization, organization.c.id == station.c.owner_id)
    )


@dataclass(frozen=True, eq=False)
class Window:
    """Stored observations of one series with start ≤ time < end, in time order."""

    time: IntArray
    value: FloatArray  # NaN = missing
    status: NDArray[np.object_]  # device status int or None
    flag: NDArray[np.int64]
    reasons: tuple[str, ...]  # '|'-joined codes, '' when none

    def __len__(self) -> int:
        return int(self.time.shape[0])

    def tt10_status(self) -> NDArray[np.str_] | None:
        """Device status as TT10 two-digit codes ('' where absent); None when no row has one,
        so QC does not call every value of a status-less source 'status unknown'."""
        if all(s is None for s in self.status):
            return None
        return np.array(["" if s is None else f"{int(s):02d}" for s in self.status])


def read_window(conn: Connection, series_id: int, start: int | None, end: int | None) -> Window:
    o = observation.c
    q = select(o.time, o.value, o.device_status, o.qc_flag, o.qc_reasons).where(
        o.series_id == series_id
    )
    if start is not None:
        q = q.where(o.time >= start)
    if end is not None:
        q = q.where(o.time < end)
    rows = conn.execute(q.order_by(o.time)).all()
    if not rows:
        return Window(
            np.empty(0, np.int64), np.empty(0), np.empty(0, object), np.empty(0, np.int64), ()
        )
    t, v, s, f, r = zip(*rows, strict=True)
    return Window(
        np.asarray(t, dtype=np.int64),
        np.asarray([np.nan if x is None else x for x in v], dtype=np.float64),
        np.asarray(s, dtype=object),
        np.asarray(f, dtype=np.int64),
        tuple(x or "" for x in r),
    )


def audit(
    conn: Connection,
    *,
    at: int,
    actor: str,
    action: str,
    target: str,
    details: dict[str, Any],
    remote_addr: str | None = None,
) -> None:
    """One audit_log row in the caller's transaction (the action and its record land together);
    details as JSON with sorted keys, so the row reads the same every time."""
    conn.execute(
        insert(audit_log).values(
            at=at,
            actor=actor[:128],
            action=action[:64],
            target=target[:255],
            details=json.dumps(details, ensure_ascii=False, sort_keys=True, default=str),
            remote_addr=None if remote_addr is None else remote_addr[:64],
        )
    )


def require_text(name: str, value: str | None) -> str:
    """A staff name or a reason must be given: an audit trail without them is worthless."""
    text = (value or "").strip()
    if not text:
        raise ValidationError(f"{name} is required", [(name, "empty")])
    return text
