"""Entity sets that sit directly on the registry: Things (stations),
Datastreams (series) and Observations, with their JSON.

Each use of a set in a query is a `View` on fresh table aliases carrying the caller's scope
(`quantrac.auth.scope`), so no nested subquery can correlate to the wrong table by accident
and no path — collection, navigation, $expand, $filter across relations, $count — can reach a
row the caller may not see.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import String, and_, case, cast, exists, func, literal, select, tuple_

from quantrac.api.sta.core import (
    OBS_ID_SHIFT,
    OM_MEASUREMENT,
    Prop,
    StaScope,
    View,
    iso,
    point,
    stored,
    stored_row,
)
from quantrac.api.sta.results import read_result
from quantrac.auth.scope import live_series, visible_observation, visible_series, visible_station
from quantrac.store.schema import observation, organization, parameter, series, station
from quantrac.store.schema_sta import (
    sta_datastream,
    sta_observation_foi,
    sta_observation_result,
    sta_observation_time,
    sta_thing_properties,
)

THING_PROPERTIES = (
    "code", "kind", "medium", "admin_unit", "owner", "network", "visibility", "regulation",
    "regulation_column", "reporting_interval_s", "address",
)  # fmt: skip


# --- stations: Things -------------------------------------------------------------------------
def station_view(name: str, scope: StaScope) -> View:
    s = station.alias()
    org = organization.alias()
    froms = s.outerjoin(org, org.c.id == s.c.owner_id)
    where = [visible_station(scope.principal, s)]
    props: dict[str, Prop] = {
        "id": Prop(s.c.id, "num"),
        "name": Prop(s.c.name, "str"),
        "description": Prop(func.coalesce(s.c.notes, ""), "str"),
    }
    columns = {
        "code": s.c.code, "kind": s.c.kind, "medium": s.c.medium,
        "admin_unit": s.c.admin_unit_key, "owner": org.c.code, "network": s.c.network,
        "visibility": s.c.visibility, "regulation": s.c.regulation,
        "regulation_column": s.c.regulation_column,
        "reporting_interval_s": s.c.reporting_interval_s, "address": s.c.address,
    }  # fmt: skip
    for key, col in columns.items():
        kind = "num" if key == "reporting_interval_s" else "str"
        props[f"properties/{key}"] = Prop(col, kind)
    tp = sta_thing_properties.alias()
    own = select(tp.c.properties).where(tp.c.station_id == s.c.id).scalar_subquery()
    out = [
        s.c.id.label("id"), s.c.id.label("station_id"), s.c.name.label("name"),
        s.c.notes.label("notes"), s.c.latitude.label("lat"), s.c.longitude.label("lon"),
        s.c.created_at.label("created_at"),
        *(col.label(f"p_{key}") for key, col in columns.items()),
        own.label("own_properties"),
    ]  # fmt: skip
    keys = {"id": s.c.id, "station_id": s.c.id}
    return View(name, froms, where, s.c.id, props, keys, out, s)


def thing_json(r: Mapping[str, Any], base: str) -> dict[str, Any]:
    return {
        "name": r["name"],
        "description": r["notes"] or "",
        # the registry's keys, then the client's own (kept as sent, never overriding them)
        "properties": {
            **json.loads(r["own_properties"] or "{}"),
            **{k: r[f"p_{k}"] for k in THING_PROPERTIES},
        },
    }


# --- series: Datastreams ---------------------------------------------------------------------
def datastream_view(scope: StaScope) -> View:
    d = series.alias()
    s = station.alias()
    pr = parameter.alias()
    sd = sta_datastream.alias()
    o = observation.alias()
    froms = (
        d.join(s, s.c.id == d.c.station_id)
        .join(pr, pr.c.code == d.c.parameter_code)
        .outerjoin(sd, sd.c.series_id == d.c.id)
    )
    where = [visible_series(scope.principal, d, s)]  # a retired series is a deleted Datastream
    name = func.coalesce(sd.c.name, s.c.code + literal(" ") + d.c.parameter_code)
    description = func.coalesce(sd.c.description, pr.c.name_vi + literal(" – ") + s.c.name)
    # The Sensor: the stored one linked to the series, else the series' own (derived) one.
    sensor_key = case((sd.c.sensor_id.is_not(None), stored(sd.c.sensor_id)), else_=d.c.id)
    # The ObservedProperty: the client's own words when given, else the catalogue code.
    op_key = func.coalesce(cast(sd.c.observed_property_id, String), d.c.parameter_code)
    first = select(func.min(o.c.time)).where(o.c.series_id == d.c.id).scalar_subquery()
    last = select(func.max(o.c.time)).where(o.c.series_id == d.c.id).scalar_subquery()
    props = {
        "id": Prop(d.c.id, "num"),
        "name": Prop(name, "str"),
        "description": Prop(description, "str"),
        "observationType": Prop(func.coalesce(sd.c.observation_type, OM_MEASUREMENT), "str"),
        "unitOfMeasurement/symbol": Prop(d.c.unit, "str"),
        "unitOfMeasurement/name": Prop(d.c.unit, "str"),
        "observedArea": Prop(s.c.id, "geom"),
        "properties/parameter": Prop(d.c.parameter_code, "str"),
        "properties/method": Prop(d.c.method, "str"),
        "properties/station": Prop(s.c.code, "str"),
        "phenomenonTime": Prop(last, "time"),
    }
    out = [
        d.c.id.label("id"), d.c.station_id.label("station_id"),
        d.c.parameter_code.label("parameter_code"), d.c.method.label("method"),
        d.c.unit.label("unit"), s.c.code.label("station_code"), s.c.name.label("station_name"),
        s.c.latitude.label("lat"), s.c.longitude.label("lon"), pr.c.name_vi.label("p_vi"),
        name.label("name"), description.label("description"),
        sensor_key.label("sensor_key"), op_key.label("op_key"), sd.c.unit_json.label("unit_json"),
        sd.c.observation_type.label("observation_type"),
        first.label("first_time"), last.label("last_time"),
    ]  # fmt: skip
    keys = {
        "id": d.c.id,
        "station_id": d.c.station_id,
        "parameter_code": d.c.parameter_code,
        "sensor_key": sensor_key,
        "op_key": op_key,
    }
    return View("Datastreams", froms, where, d.c.id, props, keys, out, s)


def _unit_name(symbol: str) -> str:
    from quantrac.catalog import get_catalog

    unit = get_catalog().units.find(symbol)
    return unit.name_vi if unit is not None and unit.name_vi else symbol


def datastream_json(r: Mapping[str, Any], base: str) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": r["name"],
        "description": r["description"],
        "observationType": r["observation_type"] or OM_MEASUREMENT,
        "unitOfMeasurement": json.loads(r["unit_json"])
        if r["unit_json"]
        else {
            "name": _unit_name(r["unit"]),
            "symbol": r["unit"],
            "definition": f"{base}/ObservedProperties('{r['parameter_code']}')",
        },
        "properties": {
            "parameter": r["parameter_code"],
            "method": r["method"],
            "station": r["station_code"],
        },
    }
    area = point(r["lat"], r["lon"])
    if area:
        doc["observedArea"] = area
    if r.get("first_time") is not None:
        doc["phenomenonTime"] = f"{iso(r['first_time'])}/{iso(r['last_time'])}"
    return doc


# --- observations ---------------------------------------------------------------------------
def observation_view(scope: StaScope) -> View:
    o = observation.alias()
    d = series.alias()
    s = station.alias()
    link = sta_observation_foi.alias()
    froms = o.join(d, d.c.id == o.c.series_id).join(s, s.c.id == d.c.station_id)
    where = [
        visible_observation(scope.principal, o.c.series_id, o.c.time, scope.requires_approval, s),
        live_series(d),  # a deleted (retired) Datastream's observations are kept, not shown
    ]
    oid = o.c.series_id * OBS_ID_SHIFT + o.c.time
    linked = (
        select(link.c.foi_id)
        .where(link.c.series_id == o.c.series_id, link.c.time == o.c.time)
        .scalar_subquery()
    )
    # The FeatureOfInterest: the one stored for this observation, else the station's point.
    foi_key = func.coalesce(stored(linked), d.c.station_id)
    # resultTime and validTime, where a client sent them: looked up per answered row only
    # (a count or a range scan never touches the table).
    tm = sta_observation_time.alias()

    def sent(column: str) -> Any:
        return (
            select(tm.c[column])
            .where(tm.c.series_id == o.c.series_id, tm.c.time == o.c.time)
            .scalar_subquery()
        )

    result_time, valid_from, valid_to = sent("result_time"), sent("valid_from"), sent("valid_to")
    rs = sta_observation_result.alias()
    kept_result = (
        select(rs.c.result_json)
        .where(rs.c.series_id == o.c.series_id, rs.c.time == o.c.time)
        .scalar_subquery()
    )
    props = {
        "id": Prop(oid, "num"),
        "phenomenonTime": Prop(o.c.time, "time"),
        "resultTime": Prop(result_time, "time"),
        "result": Prop(o.c.value, "num"),
        "resultQuality/qc_flag": Prop(o.c.qc_flag, "num"),
        "parameters/qc_flag": Prop(o.c.qc_flag, "num"),
        "parameters/device_status": Prop(o.c.device_status, "num"),
        "validTime": Prop(valid_from, "time"),  # compared by its start
        "_time": Prop(o.c.time, "time"),
        "_series": Prop(o.c.series_id, "num"),
    }
    out = [
        o.c.series_id.label("series_id"),
        o.c.time.label("time"),
        o.c.value.label("value"),
        o.c.qc_flag.label("qc_flag"),
        o.c.qc_reasons.label("qc_reasons"),
        o.c.device_status.label("device_status"),
        d.c.station_id.label("station_id"),
        foi_key.label("foi_key"),
        result_time.label("result_time"),
        valid_from.label("valid_from"),
        valid_to.label("valid_to"),
        kept_result.label("result_json"),
    ]
    keys = {"id": oid, "series_id": o.c.series_id, "station_id": d.c.station_id, "foi_key": foi_key}

    def match_foi(value: Any) -> Any:
        """Observations of one FeatureOfInterest, on an index either way: a station's point
        is its series' observations without a stored link; a stored one, its link rows."""
        if not isinstance(value, int):
            return foi_key == value
        row = stored_row(value)
        lk = sta_observation_foi.alias()
        if row is None:
            own = exists(
                select(lk.c.foi_id).where(lk.c.series_id == o.c.series_id, lk.c.time == o.c.time)
            )
            return and_(d.c.station_id == value, ~own)
        pairs = select(lk.c.series_id, lk.c.time).where(lk.c.foi_id == row)
        return tuple_(o.c.series_id, o.c.time).in_(pairs)

    view = View("Observations", froms, where, oid, props, keys, out, s)
    view.matchers["foi_key"] = match_foi
    return view


def observation_json(r: Mapping[str, Any], base: str) -> dict[str, Any]:
    reasons = [x for x in (r["qc_reasons"] or "").split("|") if x]
    doc = {
        "phenomenonTime": iso(r["time"]),
        "resultTime": iso(r["result_time"]),
        "result": read_result(r["value"], r["result_json"]),
        "resultQuality": {"qc_flag": r["qc_flag"], "qc_reasons": reasons},
        "parameters": {"device_status": r["device_status"], "qc_flag": r["qc_flag"]},
    }
    if r["valid_from"] is not None:
        doc["validTime"] = f"{iso(r['valid_from'])}/{iso(r['valid_to'])}"
    return doc
