"""The one ingest path every source goes through: standardize → QC → store → station status.

QC at ingest runs the checks that need no history (range, device status, timestamp sanity),
so a file is judged on its own in milliseconds; checks that need neighbours (spike, rate of
change, flat line, cross-parameter) run over stored windows by `quantrac qc run`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Connection, insert, select, update

from quantrac.catalog import get_catalog
from quantrac.errors import LookupFailed, ValidationError
from quantrac.pipeline.standardize import Problem, Reading, StandardReading, standardize
from quantrac.qc.config import QcConfig, Thresholds, config_for
from quantrac.qc.run import Series, run_qc
from quantrac.store.db import Store, now_s
from quantrac.store.observations import ObservationRow, WriteResult, write_observations
from quantrac.store.registry import ensure_series
from quantrac.store.schema import series, station, station_status

INGEST_CHECKS = frozenset({"range", "device_status", "timestamp"})


@dataclass
class IngestOutcome:
    result: WriteResult
    problems: list[Problem] = field(default_factory=list)
    stations: set[str] = field(default_factory=set)
    flagged: int = 0  # values QC marked suspect or bad


def qc_flags(
    std: list[StandardReading], medium_of: dict[str, str], now: int
) -> tuple[list[int], list[str | None], int]:
    """Point QC per (station, parameter) group; returns flags, reason strings, #flagged."""
    flags = [2] * len(std)
    reasons: list[str | None] = [None] * len(std)
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, r in enumerate(std):
        groups[(r.station, r.parameter_code)].append(i)
    flagged = 0
    for (code, param), idx in groups.items():
        medium = medium_of[code]
        series = Series(
            parameter=param,
            medium=medium,
            times=np.fromiter((std[i].time for i in idx), np.int64, len(idx)),
            values=np.fromiter(
                (np.nan if std[i].value is None else std[i].value for i in idx),
                np.float64,
                len(idx),
            ),
            status=_status_codes([std[i].device_status for i in idx]),
            station=code,
        )
        result = run_qc(series, _ingest_config(param, medium, now))
        for j, i in enumerate(idx):
            flags[i] = int(result.flags[j])
            if result.reasons[j]:
                reasons[i] = "|".join(result.reasons[j])
            if flags[i] in (3, 4):
                flagged += 1
    return flags, reasons, flagged


def _ingest_config(parameter: str, medium: str, now: int) -> QcConfig:
    """The ingest checks for a parameter; one without catalogue thresholds still gets the
    device-status and timestamp checks (its range is simply not evaluated)."""
    try:
        return config_for(parameter, medium, checks=INGEST_CHECKS, now=now)
    except LookupFailed:
        unit = get_catalog().parameters.canonical_unit(parameter, medium)
        return QcConfig(
            thresholds=Thresholds(parameter, medium, unit), checks=INGEST_CHECKS, now=now
        )


def _status_codes(status: list[int | None]) -> np.ndarray | None:
    """TT10 device codes as text; None when the source sends no status at all (HTTP/JSON
    pushes may not), so QC does not call every value 'status unknown'."""
    if all(s is None for s in status):
        return None
    return np.asarray(["" if s is None else f"{s:02d}" for s in status])


def _known_series(conn: Connection, keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """The existing (default-method) series of a batch in one query; `ensure_series` then
    creates only the missing ones (a station's file has a dozen series: one query, not 24)."""
    codes = {code for code, _ in keys}
    found = conn.execute(
        select(station.c.code, series.c.parameter_code, series.c.id)
        .join(series, series.c.station_id == station.c.id)
        .where(station.c.code.in_(codes), series.c.method == "")
    )
    return {(code, param): int(sid) for code, param, sid in found if (code, param) in keys}


def ingest_readings(
    store: Store,
    readings: Iterable[Reading],
    *,
    source: str,
    raw_file_id: int | None = None,
    changed_by: str | None = None,
    partial: bool = True,
) -> IngestOutcome:
    """Standardize, QC and store readings in one transaction.

    `partial`: store the readings that standardize and report the others (automatic data:
    one bad line must not cost the station its other parameters). Without it any problem
    refuses the whole batch.
    """
    readings = list(readings)
    codes = sorted({r.station for r in readings})
    with store.read() as conn:
        found = conn.execute(
            select(station.c.code, station.c.medium).where(station.c.code.in_(codes))
        )
        medium_of = {code: medium for code, medium in found}
    std, problems = standardize(readings, medium_of)
    if problems and not partial:
        raise ValidationError(
            f"{len(problems)} problem(s); nothing was written",
            [(f"{p.where or 'reading'} [{p.field}]", p.message) for p in problems],
        )
    if not std:
        return IngestOutcome(WriteResult(0, 0, 0, 0, 0), problems)
    now = now_s()
    flags, reasons, flagged = qc_flags(std, medium_of, now)
    with store.write() as conn:
        ids = _known_series(conn, {(r.station, r.parameter_code) for r in std})
        rows = []
        for r, flag, why in zip(std, flags, reasons, strict=True):
            key = (r.station, r.parameter_code)
            if key not in ids:
                ids[key] = ensure_series(store, r.station, r.parameter_code, conn=conn)
            rows.append(
                ObservationRow(ids[key], r.time, r.value, r.device_status, flag, why, raw_file_id)
            )
        result = write_observations(store, rows, source=source, changed_by=changed_by, conn=conn)
        touched = {r.station for r in std}
        _update_status(conn, touched, std, now)
    return IngestOutcome(result, problems, touched, flagged)


def store_readings(
    store: Store,
    readings: Iterable[Reading],
    *,
    source: str,
    raw_file_id: int | None = None,
    changed_by: str | None = None,
) -> WriteResult:
    """All or nothing: any problem refuses the batch (used where a person is waiting)."""
    return ingest_readings(
        store,
        readings,
        source=source,
        raw_file_id=raw_file_id,
        changed_by=changed_by,
        partial=False,
    ).result


def _update_status(conn: Connection, codes: set[str], std: list[StandardReading], now: int) -> None:
    newest: dict[str, int] = {}
    for r in std:
        if r.time > newest.get(r.station, -1):
            newest[r.station] = r.time
    found = conn.execute(
        select(station.c.code, station.c.id).where(station.c.code.in_(sorted(codes)))
    )
    ids = {code: sid for code, sid in found}
    for code in codes:
        sid = ids[code]
        current = (
            conn.execute(select(station_status).where(station_status.c.station_id == sid))
            .mappings()
            .first()
        )
        if current is None:
            conn.execute(
                insert(station_status).values(
                    station_id=sid,
                    last_data_at=newest[code],
                    last_received_at=now,
                    online=True,
                    changed_at=now,
                )
            )
            continue
        values: dict[str, object] = {
            "last_received_at": now,
            "last_data_at": max(current["last_data_at"] or 0, newest[code]),
        }
        if not current["online"]:
            values.update(online=True, changed_at=now)
        conn.execute(
            update(station_status).where(station_status.c.station_id == sid).values(**values)
        )
