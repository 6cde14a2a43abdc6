"""Export queries, read in keyset chunks so an export of any size holds one chunk at a time.

Each chunk is its own short read transaction ordered by the primary key (series_id, time),
resuming after the last key of the previous chunk: no long-held cursor, no OFFSET.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from sqlalchemy import select, tuple_

from quantrac.api.queries.stations import province_keys
from quantrac.api.timeparse import iso_many
from quantrac.auth.principal import Principal
from quantrac.auth.scope import live_series, visible_observation
from quantrac.catalog import get_catalog
from quantrac.store.db import Store
from quantrac.store.schema import observation, sample, sample_result, series, station

OBS_COLUMNS = ("station", "parameter", "unit", "time_utc", "value", "qc_flag")
OBS_TYPES = ("str", "str", "str", "str", "float", "int")
SAMPLE_COLUMNS = (
    "station",
    "sample_code",
    "sampled_at_utc",
    "matrix",
    "parameter",
    "value",
    "qualifier",
    "detection_limit",
    "unit",
    "qc_flag",
)
SAMPLE_TYPES = ("str", "str", "str", "str", "str", "float", "str", "float", "str", "int")


def observation_chunks(
    store: Store,
    p: Principal,
    *,
    requires_approval: bool,
    stations: Sequence[str] = (),
    parameter: str | None = None,
    province: str | None = None,
    medium: str | None = None,
    start: int | None = None,
    end: int | None = None,
    flags: Sequence[int] | None = None,
    chunk: int = 50_000,
) -> Iterator[list[tuple[Any, ...]]]:
    o = observation.c
    base = (
        select(
            o.series_id,
            o.time,
            station.c.code,
            series.c.parameter_code,
            series.c.unit,
            o.value,
            o.qc_flag,
        )
        .join(series, series.c.id == o.series_id)
        .join(station, station.c.id == series.c.station_id)
        .where(visible_observation(p, o.series_id, o.time, requires_approval), live_series())
        .order_by(o.series_id, o.time)
        .limit(chunk)
    )
    if stations:
        base = base.where(station.c.code.in_(list(stations)))
    if parameter:
        base = base.where(series.c.parameter_code == parameter)
    if province:
        base = base.where(station.c.admin_unit_key.in_(province_keys(province)))
    if medium:
        base = base.where(station.c.medium == get_catalog().media.get(medium).code)
    if start is not None:
        base = base.where(o.time >= start)
    if end is not None:
        base = base.where(o.time < end)
    if flags:
        base = base.where(o.qc_flag.in_(sorted(set(flags))))
    last: tuple[int, int] | None = None
    while True:
        q = base if last is None else base.where(tuple_(o.series_id, o.time) > tuple_(*last))
        with store.read() as conn:
            rows = conn.execute(q).all()
        if not rows:
            return
        times = iso_many(np.fromiter((r[1] for r in rows), np.int64, len(rows)))
        yield [(r[2], r[3], r[4], t, r[5], r[6]) for r, t in zip(rows, times, strict=True)]
        if len(rows) < chunk:
            return
        last = (rows[-1][0], rows[-1][1])


def sample_chunks(
    store: Store,
    p: Principal,
    *,
    stations: Sequence[str] = (),
    start: int | None = None,
    end: int | None = None,
    chunk: int = 20_000,
) -> Iterator[list[tuple[Any, ...]]]:
    from quantrac.auth.scope import visible_station

    s, r = sample.c, sample_result.c
    base = (
        select(
            s.id,
            r.parameter_code,
            station.c.code,
            s.sample_code,
            s.sampled_at,
            s.matrix,
            r.value,
            r.qualifier,
            r.detection_limit,
            r.unit,
            r.qc_flag,
        )
        .join(sample, sample.c.id == r.sample_id)
        .join(station, station.c.id == s.station_id)
        .where(visible_station(p))
        .order_by(s.id, r.parameter_code)
        .limit(chunk)
    )
    if stations:
        base = base.where(station.c.code.in_(list(stations)))
    if start is not None:
        base = base.where(s.sampled_at >= start)
    if end is not None:
        base = base.where(s.sampled_at < end)
    last: tuple[int, str] | None = None
    while True:
        q = base if last is None else base.where(tuple_(s.id, r.parameter_code) > tuple_(*last))
        with store.read() as conn:
            rows = conn.execute(q).all()
        if not rows:
            return
        times = iso_many(np.fromiter((x[4] for x in rows), np.int64, len(rows)))
        yield [
            (x[2], x[3], t, x[5], x[1], x[6], x[7], x[8], x[9], x[10])
            for x, t in zip(rows, times, strict=True)
        ]
        if len(rows) < chunk:
            return
        last = (rows[-1][0], rows[-1][1])
