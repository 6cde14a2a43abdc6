"""Storing standardized readings: resolve series, write in one transaction."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from quantrac.errors import ValidationError
from quantrac.pipeline.standardize import Reading, standardize
from quantrac.store.db import Store
from quantrac.store.observations import ObservationRow, WriteResult, write_observations
from quantrac.store.registry import ensure_series
from quantrac.store.schema import station


def store_readings(
    store: Store,
    readings: Iterable[Reading],
    *,
    source: str,
    raw_file_id: int | None = None,
    changed_by: str | None = None,
) -> WriteResult:
    """Standardize and write; any problem refuses the whole batch (nothing half-written)."""
    readings = list(readings)
    codes = {r.station for r in readings}
    with store.read() as conn:
        found = conn.execute(
            select(station.c.code, station.c.medium).where(station.c.code.in_(sorted(codes)))
        )
        medium_of = {code: medium for code, medium in found}
    std, problems = standardize(readings, medium_of)
    if problems:
        raise ValidationError(
            f"{len(problems)} problem(s); nothing was written",
            [(f"{p.where or 'reading'} [{p.field}]", p.message) for p in problems],
        )
    with store.write() as conn:
        ids: dict[tuple[str, str], int] = {}
        rows = []
        for r in std:
            key = (r.station, r.parameter_code)
            if key not in ids:
                ids[key] = ensure_series(store, r.station, r.parameter_code, conn=conn)
            rows.append(
                ObservationRow(ids[key], r.time, r.value, r.device_status, raw_file_id=raw_file_id)
            )
        return write_observations(store, rows, source=source, changed_by=changed_by, conn=conn)
