"""Entity sets that are partly derived from the registry and partly stored by clients:
Sensors, ObservedProperties, FeaturesOfInterest and HistoricalLocations.

Each is one `UNION ALL` of the derived rows and the `sta_*` rows (schema_sta.py), so a query —
$filter, $orderby, paging, $count, navigation — treats them alike:

| set                 | derived rows                              | stored rows (id 2³¹ + n) |
|---------------------|-------------------------------------------|--------------------------|
| Sensors             | a series without a stored Sensor (series) | sta_sensor               |
| ObservedProperties  | observed catalogue parameters (id = code) | sta_observed_property (n) |
| FeaturesOfInterest  | a station's point, or its kept one (id)   | sta_feature_of_interest  |
| HistoricalLocations | a located station since creation (station) | sta_historical_location |

A derived FeatureOfInterest or HistoricalLocation deleted through SensorThings has a
`sta_derived_deleted` row and is gone from every answer; the station keeps its point. A deleted
point comes back (same id) as soon as an observation of the station has no stored feature
again, since an Observation always has a FeatureOfInterest; a deleted HistoricalLocation stays
gone.

Who sees a stored row: everyone when nothing links it yet (free-standing metadata, like the
catalogue); otherwise whoever sees at least one station it is linked to — a Sensor or
ObservedProperty through its Datastreams, a FeatureOfInterest through its observations, a
HistoricalLocation through its Thing — a deleted Thing's station counting, so what it leaves
behind remains, as the specification has it. So no stored entity reveals a restricted station.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
    Integer,
    String,
    Text,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)

from quantrac.api.sta.core import GEOJSON, Prop, StaScope, View, iso, point, stored
from quantrac.auth.principal import Principal
from quantrac.auth.scope import live_series, visible_series, visible_station
from quantrac.store.schema import observation, parameter, series, station
from quantrac.store.schema_sta import (
    sta_datastream,
    sta_derived_deleted,
    sta_feature_of_interest,
    sta_historical_location,
    sta_kept_point,
    sta_observation_foi,
    sta_observed_property,
    sta_sensor,
)


def _json(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    value = json.loads(text)
    return value if isinstance(value, dict) else None


def _free_or_seen_by_datastreams(p: Principal, link_column: str, row_id: Any) -> Any:
    """Linked by no Datastream, or by one at a station the caller sees (or saw: a deleted
    Thing's Sensors and ObservedProperties remain, as the specification has them)."""
    sd = sta_datastream.alias()
    d = series.alias()
    st = station.alias()
    used = exists(select(sd.c.series_id).where(sd.c[link_column] == row_id))
    seen = exists(
        select(sd.c.series_id)
        .select_from(sd.join(d, d.c.id == sd.c.series_id).join(st, st.c.id == d.c.station_id))
        .where(sd.c[link_column] == row_id, visible_station(p, st, retired=True))
    )
    return or_(~used, seen)


def _free_or_seen_by_observations(p: Principal, row_id: Any) -> Any:
    """Linked to no observation, or to one at a station the caller sees (or saw)."""
    lk = sta_observation_foi.alias()
    d = series.alias()
    st = station.alias()
    used = exists(select(lk.c.foi_id).where(lk.c.foi_id == row_id))
    seen = exists(
        select(lk.c.foi_id)
        .select_from(lk.join(d, d.c.id == lk.c.series_id).join(st, st.c.id == d.c.station_id))
        .where(lk.c.foi_id == row_id, visible_station(p, st, retired=True))
    )
    return or_(~used, seen)


def _text(value: Any) -> Any:
    return cast(value, Text)


#: `sta_derived_deleted.kind` of a station's deleted point and registered HistoricalLocation.
DELETED_FEATURE = "feature"
DELETED_HISTORICAL_LOCATION = "historical_location"


def point_observations(station_id: Any) -> Any:
    """The observations whose FeatureOfInterest is the station's point: those of its live
    series without a stored feature, while the station is not deleted (whoever may see them —
    the point exists while they do)."""
    o = observation.alias()
    d = series.alias()
    lk = sta_observation_foi.alias()
    own = exists(select(lk.c.foi_id).where(lk.c.series_id == o.c.series_id, lk.c.time == o.c.time))
    st = station.alias()
    return (
        select(o.c.series_id, o.c.time)
        .select_from(o.join(d, d.c.id == o.c.series_id).join(st, st.c.id == d.c.station_id))
        .where(d.c.station_id == station_id, live_series(d), st.c.retired_at.is_(None), ~own)
    )


def _not_deleted(kind: str, station_id: Any, *, unless: Any = None) -> Any:
    """No `sta_derived_deleted` row of `kind` for the station (or one that `unless` voids).
    `unless` sits inside the subquery, so it is evaluated only for stations with a row."""
    dd = sta_derived_deleted.alias()
    cond = [dd.c.kind == kind, dd.c.station_id == station_id]
    if unless is not None:
        cond.append(~unless)
    return ~exists(select(dd.c.station_id).where(*cond))


# --- Sensors ----------------------------------------------------------------------------------
def sensor_view(scope: StaScope) -> View:
    p = scope.principal
    d = series.alias()
    s = station.alias()
    pr = parameter.alias()
    sd = sta_datastream.alias()
    derived = (
        select(
            cast(d.c.id, BigInteger).label("id"),
            literal(1).label("derived"),
            func.coalesce(
                func.nullif(d.c.method, ""), d.c.parameter_code + literal(" – ") + s.c.code
            ).label("name"),
            _text(
                literal("Thiết bị/phương pháp đo ")
                + pr.c.name_vi
                + literal(" tại trạm ")
                + s.c.code
            ).label("description"),
            cast(literal("text/html"), String).label("encoding_type"),
            _text(d.c.method).label("meta"),
            cast(null(), Text).label("properties"),
        )
        .select_from(
            d.join(s, s.c.id == d.c.station_id)
            .join(pr, pr.c.code == d.c.parameter_code)
            .outerjoin(sd, sd.c.series_id == d.c.id)
        )
        .where(visible_series(p, d, s), sd.c.sensor_id.is_(None))  # not of a retired series
    )
    x = sta_sensor.alias()
    rows = select(
        stored(x.c.id).label("id"),
        literal(0).label("derived"),
        x.c.name,
        x.c.description,
        x.c.encoding_type,
        x.c.meta,
        x.c.properties,
    ).where(_free_or_seen_by_datastreams(p, "sensor_id", x.c.id))
    u = union_all(derived, rows).subquery()
    props = {
        "id": Prop(u.c.id, "num"),
        "name": Prop(u.c.name, "str"),
        "description": Prop(u.c.description, "str"),
        "encodingType": Prop(u.c.encoding_type, "str"),
        "metadata": Prop(u.c.meta, "str"),
        "properties/method": Prop(u.c.meta, "str"),
    }
    out = [u.c.id, u.c.derived, u.c.name, u.c.description, u.c.encoding_type, u.c.meta,
           u.c.properties]  # fmt: skip
    return View("Sensors", u, [], u.c.id, props, {"id": u.c.id}, out)


def sensor_json(r: Mapping[str, Any], base: str) -> dict[str, Any]:
    doc = {"name": r["name"], "description": r["description"], "encodingType": r["encoding_type"]}
    if r["derived"]:
        root = base.rsplit("/sta/", 1)[0]
        doc["metadata"] = f"{root}/api/v1/series/{r['id']}"
        doc["properties"] = {"method": r["meta"] or ""}
        return doc
    doc["metadata"] = r["meta"]
    props = _json(r["properties"])
    if props is not None:
        doc["properties"] = props
    return doc


# --- ObservedProperties -------------------------------------------------------------------------
def observed_property_view(scope: StaScope) -> View:
    pr = parameter.alias()
    # A catalogue parameter is an ObservedProperty while a Datastream the caller sees observes
    # it in its own name (not through a stored ObservedProperty's words): the catalogue's
    # hundreds of parameters are not entities until something measures them, and a
    # Datastream links any of them by code (`{"@iot.id": "PM25"}`) all the same.
    d, s, sd = series.alias(), station.alias(), sta_datastream.alias()
    observed = (
        select(d.c.parameter_code)
        .select_from(
            d.join(s, s.c.id == d.c.station_id).outerjoin(sd, sd.c.series_id == d.c.id)
        )
        .where(visible_series(scope.principal, d, s), sd.c.observed_property_id.is_(None))
    )
    catalogue = select(
        cast(pr.c.code, String).label("id"),
        pr.c.code.label("code"),
        cast(null(), Integer).label("num"),
        pr.c.name_en.label("name"),
        _text(literal("urn:quantrac:parameter:") + pr.c.code).label("definition"),
        _text(pr.c.name_vi).label("description"),
        cast(null(), Text).label("properties"),
        pr.c.unit.label("unit"),
        pr.c.media.label("media"),
        pr.c.code.label("parameter_code"),
    ).where(pr.c.code.in_(observed))
    x = sta_observed_property.alias()
    rows = select(
        cast(x.c.id, String).label("id"),
        cast(null(), String).label("code"),
        x.c.id.label("num"),
        x.c.name,
        x.c.definition,
        x.c.description,
        x.c.properties,
        cast(null(), String).label("unit"),
        cast(null(), String).label("media"),
        x.c.parameter_code,
    ).where(_free_or_seen_by_datastreams(scope.principal, "observed_property_id", x.c.id))
    u = union_all(catalogue, rows).subquery()
    props = {
        "id": Prop(u.c.id, "textid"),
        "name": Prop(u.c.name, "str"),
        "definition": Prop(u.c.definition, "str"),
        "description": Prop(u.c.description, "str"),
        "properties/code": Prop(u.c.code, "str"),
        "properties/parameter": Prop(u.c.parameter_code, "str"),
        "properties/unit": Prop(u.c.unit, "str"),
        "properties/name_vi": Prop(case((u.c.code.is_not(None), u.c.description)), "str"),
    }
    out = [u.c.id, u.c.code, u.c.num, u.c.name, u.c.definition, u.c.description,
           u.c.properties, u.c.unit, u.c.media, u.c.parameter_code]  # fmt: skip
    keys = {"id": u.c.id, "code": u.c.code, "num": u.c.num}
    return View("ObservedProperties", u, [], u.c.id, props, keys, out)


def observed_property_json(r: Mapping[str, Any], base: str) -> dict[str, Any]:
    if r["code"] is not None:
        return {
            "name": r["name"],
            "definition": r["definition"],
            "description": r["description"],
            "properties": {
                "code": r["code"],
                "unit": r["unit"],
                "name_vi": r["description"],
                "media": [m for m in (r["media"] or "").split("|") if m],
            },
        }
    doc: dict[str, Any] = {
        "name": r["name"],
        "definition": r["definition"],
        "description": r["description"],
    }
    props = _json(r["properties"])
    if r["parameter_code"]:
        props = {**(props or {}), "parameter": r["parameter_code"]}
    if props is not None:
        doc["properties"] = props
    return doc


# --- FeaturesOfInterest -----------------------------------------------------------------------
def feature_view(scope: StaScope) -> View:
    p = scope.principal
    s = station.alias()
    kp = sta_kept_point.alias()
    # the station's point; once it has none, the last one (its observations were made there)
    lat = func.coalesce(s.c.latitude, kp.c.latitude)
    lon = func.coalesce(s.c.longitude, kp.c.longitude)
    derived = select(
        cast(s.c.id, BigInteger).label("id"),
        s.c.name.label("name"),
        _text(
            literal("Vị trí trạm ") + s.c.code + literal(" / location of station ") + s.c.code
        ).label("description"),
        cast(literal(GEOJSON), String).label("encoding_type"),
        cast(lat, Float).label("lat"),
        cast(lon, Float).label("lon"),
        cast(null(), Text).label("geometry"),
        cast(null(), Text).label("properties"),
    ).select_from(s.outerjoin(kp, kp.c.station_id == s.c.id)).where(
        # a deleted Thing's point stays the feature of what was observed there
        visible_station(p, s, retired=True),
        lat.is_not(None),
        lon.is_not(None),
        _not_deleted(
            DELETED_FEATURE, s.c.id, unless=exists(point_observations(s.c.id).correlate(s))
        ),
    )
    f = sta_feature_of_interest.alias()
    rows = select(
        stored(f.c.id).label("id"),
        f.c.name,
        f.c.description,
        f.c.encoding_type,
        f.c.latitude,
        f.c.longitude,
        f.c.geometry,
        f.c.properties,
    ).where(_free_or_seen_by_observations(p, f.c.id))
    u = union_all(derived, rows).subquery()
    props = {
        "id": Prop(u.c.id, "num"),
        "name": Prop(u.c.name, "str"),
        "description": Prop(u.c.description, "str"),
        "encodingType": Prop(u.c.encoding_type, "str"),
        "feature": Prop(u.c.id, "geom", source="feature"),
    }
    out = [u.c.id, u.c.name, u.c.description, u.c.encoding_type, u.c.lat, u.c.lon,
           u.c.geometry, u.c.properties]  # fmt: skip
    return View("FeaturesOfInterest", u, [], u.c.id, props, {"id": u.c.id}, out)


def feature_json(r: Mapping[str, Any], base: str) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": r["name"],
        "description": r["description"],
        "encodingType": r["encoding_type"],
        "feature": json.loads(r["geometry"]) if r["geometry"] else point(r["lat"], r["lon"]),
    }
    props = _json(r["properties"])
    if props is not None:
        doc["properties"] = props
    return doc


# --- HistoricalLocations ----------------------------------------------------------------------
def historical_location_view(scope: StaScope) -> View:
    p = scope.principal
    s = station.alias()
    derived = select(
        cast(s.c.id, BigInteger).label("id"),
        s.c.id.label("station_id"),
        s.c.created_at.label("time"),
    ).where(
        visible_station(p, s),
        s.c.latitude.is_not(None),
        s.c.longitude.is_not(None),
        _not_deleted(DELETED_HISTORICAL_LOCATION, s.c.id),
    )
    h = sta_historical_location.alias()
    s2 = station.alias()
    rows = (
        select(stored(h.c.id).label("id"), h.c.station_id, h.c.time)
        .select_from(h.join(s2, s2.c.id == h.c.station_id))
        .where(visible_station(p, s2))
    )
    u = union_all(derived, rows).subquery()
    props = {"id": Prop(u.c.id, "num"), "time": Prop(u.c.time, "time")}
    keys = {"id": u.c.id, "station_id": u.c.station_id}
    out = [u.c.id, u.c.station_id, u.c.time]
    return View("HistoricalLocations", u, [], u.c.id, props, keys, out)


def historical_location_json(r: Mapping[str, Any], base: str) -> dict[str, Any]:
    return {"time": iso(r["time"])}
