"""The tamper-screening job: `quantrac.qc.tamper` over stored enterprise data, per station,
parameter and calendar month, with the evidence. It reads and reports; it never writes.

- Values: every stored value except those sent while the analyser said it was calibrating or
  faulty (TT10 status 01/02), where a held value is normal. Values QC flagged are kept on
  purpose: a flat line is both a QC fault and tamper evidence.
- The limit for "pinned below the limit" is the station's own: its regulation and column
  (QCVN 40:2011 column B …) from the catalogue, scaled by its Kq × Kf, converted to the
  series' unit; the strictest maximum-only rule in force that month. Parameters with a range
  (pH) or without a limit are screened without that indicator.
- "Identical series" compares the station with every other station that reports the same
  parameter in the same medium (a copied feed may come from another company's station).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from sqlalchemy import Connection, select

from quantrac.catalog import get_catalog
from quantrac.errors import LookupFailed, UnitConversionError
from quantrac.indices.compliance import effective_bounds
from quantrac.qc.tamper import TamperFinding, period_labels, screen_pair, screen_series
from quantrac.review.window import SeriesInfo, Window, read_window, station_series
from quantrac.store.db import Store
from quantrac.store.schema import organization, series, station

#: Device status codes whose values are not screened (TT10: 01 calibrating, 02 fault).
EXCLUDED_STATUS = frozenset({1, 2})


@dataclass(frozen=True, slots=True)
class StationScreening:
    """Findings for one station: per parameter and month, then per pair of stations."""

    station: str
    findings: tuple[TamperFinding, ...]
    pairs: tuple[TamperFinding, ...] = ()
    limits: dict[str, float] = field(default_factory=dict)  # parameter → limit used
    notes: tuple[str, ...] = ()

    @property
    def alarms(self) -> list[TamperFinding]:
        return [f for f in (*self.findings, *self.pairs) if f.alarm]


def _screened(w: Window) -> tuple[np.ndarray, np.ndarray]:
    status = np.array([-1 if s is None else int(s) for s in w.status], dtype=np.int64)
    keep = ~np.isin(status, list(EXCLUDED_STATUS)) & ~np.isnan(w.value)
    return w.time[keep], w.value[keep]


def station_limit(conn: Connection, info: SeriesInfo, on: date) -> tuple[float | None, str | None]:
    """(limit in the series' unit, how it was found) for the pinned-limit indicator."""
    st = conn.execute(
        select(station.c.regulation, station.c.regulation_column, station.c.kq, station.c.kf).where(
            station.c.id == info.station_id
        )
    ).one()
    regulation, column, kq, kf = st
    if not regulation:
        return None, None
    catalog = get_catalog()
    best: tuple[float, str] | None = None
    for rule in catalog.limit_rules(
        regulation=regulation, column=column, parameter_code=info.parameter, on=on
    ):
        if rule.kind != "limit" or rule.maximum is None or rule.minimum is not None:
            continue
        _, maximum, scale = effective_bounds(rule, kq or 1.0, kf or 1.0)
        if maximum is None:
            continue
        try:
            factor, shift = catalog.conversion(rule.unit, info.parameter, info.medium)
        except (LookupFailed, UnitConversionError):
            continue
        value = maximum * factor + shift
        if best is None or value < best[0]:
            best = (value, f"{regulation} {rule.column} ×{scale:g} ({rule.averaging})")
    return best if best is not None else (None, None)


def screen_station(
    store: Store,
    code: str,
    *,
    start: int | None = None,
    end: int | None = None,
    compare: bool = True,
) -> StationScreening:
    """Every indicator for each parameter and month of one station over [start, end)."""
    findings: list[TamperFinding] = []
    pairs: list[TamperFinding] = []
    limits: dict[str, float] = {}
    notes: list[str] = []
    with store.read() as conn:
        for info in station_series(conn, code):
            t, v = _screened(read_window(conn, info.id, start, end))
            if t.size == 0:
                continue
            for month in np.unique(period_labels(t)):
                sel = period_labels(t) == month
                limit, how = station_limit(conn, info, date.fromisoformat(f"{month}-01"))
                if limit is not None:
                    limits[info.parameter] = limit
                    notes.append(f"{info.parameter} {month}: limit {limit:g} {info.unit} — {how}")
                findings.extend(screen_series(code, info.parameter, t[sel], v[sel], limit=limit))
            if compare:
                for other_code, other_id in _peers(conn, info):
                    ot, ov = _screened(read_window(conn, other_id, start, end))
                    if ot.size:
                        pairs.extend(screen_pair((code, other_code), info.parameter, t, v, ot, ov))
    return StationScreening(
        code, tuple(findings), tuple(pairs), limits, tuple(dict.fromkeys(notes))
    )


def _peers(conn: Connection, info: SeriesInfo) -> list[tuple[str, int]]:
    """Other stations' series of the same parameter in the same medium."""
    rows = conn.execute(
        select(station.c.code, series.c.id)
        .join(station, station.c.id == series.c.station_id)
        .where(
            series.c.parameter_code == info.parameter,
            station.c.medium == info.medium,
            station.c.id != info.station_id,
        )
        .order_by(station.c.code)
    ).all()
    return [(str(c), int(i)) for c, i in rows]


def enterprise_stations(store: Store) -> list[str]:
    """Codes of active stations owned by an enterprise — the ones tamper screening is for."""
    with store.read() as conn:
        return list(
            conn.scalars(
                select(station.c.code)
                .join(organization, organization.c.id == station.c.owner_id)
                .where(organization.c.kind == "enterprise", station.c.retired_at.is_(None))
                .order_by(station.c.code)
            )
        )


def screen_enterprises(
    store: Store,
    *,
    start: int | None = None,
    end: int | None = None,
    codes: Sequence[str] | None = None,
) -> list[StationScreening]:
    """`screen_station` for every enterprise station (or the given ones)."""
    return [
        screen_station(store, code, start=start, end=end)
        for code in (codes if codes is not None else enterprise_stations(store))
    ]
