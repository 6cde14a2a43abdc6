"""Indices, events, connectivity, campaigns and samples — each filtered to visible stations.

Derived products (VN_AQI/VN_WQI, exceedance events, connectivity) of a public station are
public: agencies publish real-time AQI before review, which is what a map needs. Lab samples
of a public station are public. Restricted stations stay invisible in all of them.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, func, select

from quantrac.api.queries.stations import province_keys
from quantrac.auth.principal import Principal
from quantrac.auth.scope import visible_station
from quantrac.store.db import now_s
from quantrac.store.schema import (
    campaign,
    event,
    index_value,
    sample,
    sample_result,
    series,
    station,
    station_status,
)


def _details(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def index_values(
    conn: Connection,
    p: Principal,
    *,
    station_code: str | None,
    kind: str | None,
    start: int | None,
    end: int | None,
    limit: int,
) -> list[dict[str, Any]]:
    iv = index_value.c
    q = (
        select(
            station.c.code.label("station"),
            iv.kind,
            iv.time,
            iv.value,
            iv.category,
            iv.dominant,
            iv.details,
        )
        .join(station, station.c.id == iv.station_id)
        .where(visible_station(p))
        .order_by(station.c.code, iv.kind, iv.time)
        .limit(limit)
    )
    if station_code:
        q = q.where(station.c.code == station_code)
    if kind:
        q = q.where(iv.kind == kind)
    if start is not None:
        q = q.where(iv.time >= start)
    if end is not None:
        q = q.where(iv.time < end)
    return [{**r, "details": _details(r["details"])} for r in conn.execute(q).mappings()]


def latest_indices(
    conn: Connection, p: Principal, *, kind: str, medium: str | None, province: str | None
) -> list[dict[str, Any]]:
    """Newest index of `kind` per visible station: one probe of the (station, kind, time) key."""
    iv = index_value.c
    i2 = index_value.alias("i2")
    newest = (
        select(func.max(i2.c.time))
        .where(i2.c.station_id == station.c.id, i2.c.kind == kind)
        .scalar_subquery()
    )
    q = (
        select(
            station.c.code.label("station"),
            station.c.name,
            station.c.medium,
            station.c.latitude,
            station.c.longitude,
            iv.kind,
            iv.time,
            iv.value,
            iv.category,
            iv.dominant,
        )
        .select_from(station)
        .join(
            index_value, (iv.station_id == station.c.id) & (iv.kind == kind) & (iv.time == newest)
        )
        .where(visible_station(p))
        .order_by(station.c.code)
    )
    if medium:
        q = q.where(station.c.medium == medium)
    if province:
        q = q.where(station.c.admin_unit_key.in_(province_keys(province)))
    return [dict(r) for r in conn.execute(q).mappings()]


def events(
    conn: Connection,
    p: Principal,
    *,
    station_code: str | None,
    kind: str | None,
    status: str | None,
    start: int | None,
    end: int | None,
    limit: int,
) -> list[dict[str, Any]]:
    e = event.c
    q = (
        select(
            e.id,
            e.kind,
            station.c.code.label("station"),
            series.c.parameter_code.label("parameter"),
            e.status,
            e.started_at,
            e.last_at,
            e.ended_at,
            e.peak_value,
            e.peak_at,
            e.details,
        )
        .join(station, station.c.id == e.station_id)
        .outerjoin(series, series.c.id == e.series_id)
        .where(visible_station(p))
        .order_by(e.started_at.desc(), e.id.desc())
        .limit(limit)
    )
    if station_code:
        q = q.where(station.c.code == station_code)
    if kind:
        q = q.where(e.kind == kind)
    if status:
        q = q.where(e.status == status)
    if start is not None:
        q = q.where(e.last_at >= start)
    if end is not None:
        q = q.where(e.started_at < end)
    return [{**r, "details": _details(r["details"])} for r in conn.execute(q).mappings()]


def connectivity(conn: Connection, p: Principal, *, province: str | None) -> list[dict[str, Any]]:
    ss = station_status.c
    q = (
        select(
            station.c.code.label("station"),
            station.c.name,
            station.c.kind,
            station.c.reporting_interval_s,
            ss.online,
            ss.last_data_at,
            ss.last_received_at,
            ss.changed_at,
        )
        .outerjoin(station_status, ss.station_id == station.c.id)
        .where(visible_station(p), station.c.kind == "automatic")
        .order_by(station.c.code)
    )
    if province:
        q = q.where(station.c.admin_unit_key.in_(province_keys(province)))
    now = now_s()
    out = []
    for r in conn.execute(q).mappings():
        row = dict(r)
        row["delay_s"] = None if r["last_data_at"] is None else max(0, now - r["last_data_at"])
        out.append(row)
    return out


def campaigns(conn: Connection) -> list[dict[str, Any]]:
    c = campaign.c
    q = select(c.code, c.name, c.network, c.medium, c.period_start, c.period_end).order_by(c.code)
    return [dict(r) for r in conn.execute(q).mappings()]


def samples(
    conn: Connection,
    p: Principal,
    *,
    station_code: str | None,
    campaign_code: str | None,
    start: int | None,
    end: int | None,
    limit: int,
) -> list[dict[str, Any]]:
    s = sample.c
    q = (
        select(
            s.id,
            station.c.code.label("station"),
            campaign.c.code.label("campaign"),
            s.sample_code,
            s.sampled_at,
            s.matrix,
            s.depth_m,
            s.layer,
            s.sample_type,
            s.lab,
        )
        .join(station, station.c.id == s.station_id)
        .outerjoin(campaign, campaign.c.id == s.campaign_id)
        .where(visible_station(p))
        .order_by(s.sampled_at, s.id)
        .limit(limit)
    )
    if station_code:
        q = q.where(station.c.code == station_code)
    if campaign_code:
        q = q.where(campaign.c.code == campaign_code)
    if start is not None:
        q = q.where(s.sampled_at >= start)
    if end is not None:
        q = q.where(s.sampled_at < end)
    found = [dict(r) | {"results": []} for r in conn.execute(q).mappings()]
    by_id = {r["id"]: r for r in found}
    r_ = sample_result.c
    ids = sorted(by_id)
    for i in range(0, len(ids), 1000):
        chunk = ids[i : i + 1000]
        rows = conn.execute(
            select(
                r_.sample_id,
                r_.parameter_code.label("parameter"),
                r_.value,
                r_.unit,
                r_.qualifier,
                r_.detection_limit,
                r_.method,
                r_.qc_flag,
            )
            .where(r_.sample_id.in_(chunk))
            .order_by(r_.sample_id, r_.parameter_code)
        ).mappings()
        for r in rows:
            item = dict(r)
            by_id[item.pop("sample_id")]["results"].append(item)
    return found
