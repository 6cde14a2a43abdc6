"""How the eight SensorThings entity sets sit on quantrac's tables.

| entity set         | rows                                    | @iot.id                      |
|--------------------|-----------------------------------------|------------------------------|
| Things             | station                                 | station.id                   |
| Locations          | station with coordinates                | station.id                   |
| HistoricalLocations| station with coordinates (one each)     | station.id                   |
| FeaturesOfInterest | station with coordinates                | station.id                   |
| Datastreams        | series                                  | series.id                    |
| Sensors            | series (the method that measures it)    | series.id                    |
| ObservedProperties | parameter (the catalogue)               | parameter code ('PM25')      |
| Observations       | observation                             | series_id · 2³² + time       |

An Observation's id packs its primary key (series, UTC second), so any observation is found
by one primary-key lookup and ids stay below 2⁵³ (exact in JavaScript) up to 2 million series.

Each use of an entity set in a query is a `View` on fresh table aliases, carrying its scope
(`quantrac.auth.scope`), so no nested subquery can correlate to the wrong table by accident
and no path — collection, navigation, $expand, $filter across relations, $count — can reach
a row the caller may not see.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, FromClause, and_, func, literal, null, select

from quantrac.auth.principal import Principal
from quantrac.auth.scope import visible_observation, visible_station
from quantrac.store.schema import observation, organization, parameter, series, station

OBS_ID_SHIFT = 4_294_967_296  # 2**32
OM_MEASUREMENT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"
GEOJSON = "application/geo+json"

THING_PROPERTIES = (
    "code", "kind", "medium", "admin_unit", "owner", "network", "visibility", "regulation",
    "regulation_column", "reporting_interval_s", "address",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Prop:
    sql: Any
    kind: str  # num | str | time | geom | bool | json | id


@dataclass(frozen=True, slots=True)
class Nav:
    target: str
    many: bool
    src: str  # label of the source row's key column
    dst: str  # key of the target view it must equal


@dataclass
class View:
    name: str
    froms: FromClause
    where: list[ColumnElement[bool]]
    id: Any
    props: dict[str, Prop]
    keys: dict[str, Any]
    out: list[Any]
    station: Any = None  # the station alias (geometry predicates use its id)

    def select(self, *cols: Any) -> Any:
        q = select(*(cols or self.out)).select_from(self.froms)
        return q.where(*self.where) if self.where else q


@dataclass(frozen=True)
class StaScope:
    """Who asks, and what that changes about the rows they see."""

    principal: Principal
    requires_approval: bool
    dialect: str


@dataclass(frozen=True)
class EntitySet:
    name: str
    singular: str
    navs: dict[str, Nav]
    build: Callable[[StaScope], View]
    serialize: Callable[[Mapping[str, Any], str], dict[str, Any]]
    string_id: bool = False
    readonly_reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def iso(epoch: int | None) -> str | None:
    from quantrac.api.timeparse import iso as _iso

    return _iso(epoch)


def point(lat: float | None, lon: float | None) -> dict[str, Any] | None:
    if lat is None or lon is None:
        return None
    return {"type": "Point", "coordinates": [lon, lat]}


def self_link(base: str, set_name: str, ident: Any) -> str:
    key = f"'{ident}'" if isinstance(ident, str) else str(ident)
    return f"{base}/{set_name}({key})"


# --- station-based sets ---------------------------------------------------------------------
def _station_view(name: str, scope: StaScope, *, located: bool) -> View:
    s = station.alias()
    org = organization.alias()
    froms = s.outerjoin(org, org.c.id == s.c.owner_id)
    where = [visible_station(scope.principal, s)]
    if located:
        where += [s.c.latitude.is_not(None), s.c.longitude.is_not(None)]
    props: dict[str, Prop] = {
        "id": Prop(s.c.id, "num"),
        "name": Prop(s.c.name, "str"),
        "description": Prop(func.coalesce(s.c.notes, ""), "str"),
        "location": Prop(s.c.id, "geom"),
        "feature": Prop(s.c.id, "geom"),
        "encodingType": Prop(literal(GEOJSON), "str"),
        "time": Prop(s.c.created_at, "time"),
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
    out = [
        s.c.id.label("id"), s.c.id.label("station_id"), s.c.name.label("name"),
        s.c.notes.label("notes"), s.c.latitude.label("lat"), s.c.longitude.label("lon"),
        s.c.created_at.label("created_at"),
        *(col.label(f"p_{key}") for key, col in columns.items()),
    ]  # fmt: skip
    keys = {"id": s.c.id, "station_id": s.c.id}
    return View(name, froms, where, s.c.id, props, keys, out, s)


def _thing_json(r: Mapping[str, Any], base: str) -> dict[str, Any]:
    return {
        "name": r["name"],
        "description": r["notes"] or "",
        "properties": {k: r[f"p_{k}"] for k in THING_PROPERTIES},
    }


def _location_json(r: Mapping[str, Any], base: str) -> dict[str, Any]:
    return {
        "name": r["name"],
        "description": r["p_address"] or r["name"],
        "encodingType": GEOJSON,
        "location": point(r["lat"], r["lon"]),
    }


def _hist_json(r: Mapping[str, Any], base: str) -> dict[str, Any]:
    return {"time": iso(r["created_at"])}


def _foi_json(r: Mapping[str, Any], base: str) -> dict[str, Any]:
    return {
        "name": r["name"],
        "description": f"Vị trí trạm {r['p_code']} / location of station {r['p_code']}",
        "encodingType": GEOJSON,
        "feature": point(r["lat"], r["lon"]),
    }


# --- series-based sets ------------------------------------------------------------------------
def _series_view(name: str, scope: StaScope) -> View:
    d = series.alias()
    s = station.alias()
    pr = parameter.alias()
    o = observation.alias()
    froms = d.join(s, s.c.id == d.c.station_id).join(pr, pr.c.code == d.c.parameter_code)
    where = [visible_station(scope.principal, s)]
    ds_name = s.c.code + literal(" ") + d.c.parameter_code
    ds_desc = pr.c.name_vi + literal(" – ") + s.c.name
    sensor_name = func.coalesce(
        func.nullif(d.c.method, ""), d.c.parameter_code + literal(" – ") + s.c.code
    )
    first = select(func.min(o.c.time)).where(o.c.series_id == d.c.id).scalar_subquery()
    last = select(func.max(o.c.time)).where(o.c.series_id == d.c.id).scalar_subquery()
    props = {
        "id": Prop(d.c.id, "num"),
        "name": Prop(sensor_name if name == "Sensors" else ds_name, "str"),
        "description": Prop(ds_desc, "str"),
        "observationType": Prop(literal(OM_MEASUREMENT), "str"),
        "unitOfMeasurement/symbol": Prop(d.c.unit, "str"),
        "unitOfMeasurement/name": Prop(d.c.unit, "str"),
        "encodingType": Prop(literal("text/html"), "str"),
        "metadata": Prop(d.c.method, "str"),
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
        pr.c.name_en.label("p_en"),
    ]  # fmt: skip
    if name == "Datastreams":
        out += [first.label("first_time"), last.label("last_time")]
    keys = {"id": d.c.id, "station_id": d.c.station_id, "parameter_code": d.c.parameter_code}
    return View(name, froms, where, d.c.id, props, keys, out, s)


def _unit_name(symbol: str) -> str:
    from quantrac.catalog import get_catalog

    unit = get_catalog().units.find(symbol)
    return unit.name_vi if unit is not None and unit.name_vi else symbol


def _datastream_json(r: Mapping[str, Any], base: str) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": f"{r['station_code']} {r['parameter_code']}",
        "description": f"{r['p_vi']} – {r['station_name']}",
        "observationType": OM_MEASUREMENT,
        "unitOfMeasurement": {
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


def _sensor_json(r: Mapping[str, Any], base: str) -> dict[str, Any]:
    root = base.rsplit("/sta/", 1)[0]
    return {
        "name": r["method"] or f"{r['parameter_code']} – {r['station_code']}",
        "description": f"Thiết bị/phương pháp đo {r['p_vi']} tại trạm {r['station_code']}",
        "encodingType": "text/html",
        "metadata": f"{root}/api/v1/series/{r['id']}",
        "properties": {"method": r["method"]},
    }


# --- parameters -------------------------------------------------------------------------------
def _parameter_view(name: str, scope: StaScope) -> View:
    pr = parameter.alias()
    props = {
        "id": Prop(pr.c.code, "str"),
        "name": Prop(pr.c.name_en, "str"),
        "description": Prop(pr.c.name_vi, "str"),
        "definition": Prop(literal("urn:quantrac:parameter:") + pr.c.code, "str"),
        "properties/code": Prop(pr.c.code, "str"),
        "properties/unit": Prop(pr.c.unit, "str"),
        "properties/name_vi": Prop(pr.c.name_vi, "str"),
    }
    out = [
        pr.c.code.label("id"),
        pr.c.name_en.label("name_en"),
        pr.c.name_vi.label("name_vi"),
        pr.c.unit.label("unit"),
        pr.c.media.label("media"),
    ]
    return View(name, pr, [], pr.c.code, props, {"id": pr.c.code}, out, None)


def _parameter_json(r: Mapping[str, Any], base: str) -> dict[str, Any]:
    return {
        "name": r["name_en"],
        "definition": f"urn:quantrac:parameter:{r['id']}",
        "description": r["name_vi"],
        "properties": {
            "code": r["id"],
            "unit": r["unit"],
            "name_vi": r["name_vi"],
            "media": [m for m in (r["media"] or "").split("|") if m],
        },
    }


# --- observations ---------------------------------------------------------------------------
def _observation_view(name: str, scope: StaScope) -> View:
    o = observation.alias()
    d = series.alias()
    s = station.alias()
    froms = o.join(d, d.c.id == o.c.series_id).join(s, s.c.id == d.c.station_id)
    where = [
        visible_observation(scope.principal, o.c.series_id, o.c.time, scope.requires_approval, s)
    ]
    oid = o.c.series_id * OBS_ID_SHIFT + o.c.time
    props = {
        "id": Prop(oid, "num"),
        "phenomenonTime": Prop(o.c.time, "time"),
        "resultTime": Prop(null(), "time"),
        "result": Prop(o.c.value, "num"),
        "resultQuality/qc_flag": Prop(o.c.qc_flag, "num"),
        "parameters/qc_flag": Prop(o.c.qc_flag, "num"),
        "parameters/device_status": Prop(o.c.device_status, "num"),
        "validTime": Prop(null(), "time"),
    }
    out = [
        o.c.series_id.label("series_id"),
        o.c.time.label("time"),
        o.c.value.label("value"),
        o.c.qc_flag.label("qc_flag"),
        o.c.qc_reasons.label("qc_reasons"),
        o.c.device_status.label("device_status"),
        d.c.station_id.label("station_id"),
    ]
    keys = {"id": oid, "series_id": o.c.series_id, "station_id": d.c.station_id}
    view = View(name, froms, where, oid, props, keys, out, s)
    view.props["_time"] = Prop(o.c.time, "time")
    view.props["_series"] = Prop(o.c.series_id, "num")
    return view


def _observation_json(r: Mapping[str, Any], base: str) -> dict[str, Any]:
    reasons = [x for x in (r["qc_reasons"] or "").split("|") if x]
    return {
        "phenomenonTime": iso(r["time"]),
        "resultTime": None,
        "result": r["value"],
        "resultQuality": {"qc_flag": r["qc_flag"], "qc_reasons": reasons},
        "parameters": {"device_status": r["device_status"], "qc_flag": r["qc_flag"]},
    }


def observation_id(series_id: int, time: int) -> int:
    return series_id * OBS_ID_SHIFT + time


def split_observation_id(value: int) -> tuple[int, int]:
    return divmod(value, OBS_ID_SHIFT)


def row_id(es: EntitySet, r: Mapping[str, Any]) -> Any:
    if es.name == "Observations":
        return observation_id(r["series_id"], r["time"])
    return r["id"]


# --- the registry -----------------------------------------------------------------------------
def _nav(target: str, many: bool, src: str, dst: str) -> Nav:
    return Nav(target, many, src, dst)


SETS: dict[str, EntitySet] = {
    "Things": EntitySet(
        "Things", "Thing",
        {"Locations": _nav("Locations", True, "station_id", "station_id"),
         "HistoricalLocations": _nav("HistoricalLocations", True, "station_id", "station_id"),
         "Datastreams": _nav("Datastreams", True, "station_id", "station_id")},
        lambda sc: _station_view("Things", sc, located=False), _thing_json),
    "Locations": EntitySet(
        "Locations", "Location",
        {"Things": _nav("Things", True, "station_id", "station_id"),
         "HistoricalLocations": _nav("HistoricalLocations", True, "station_id", "station_id")},
        lambda sc: _station_view("Locations", sc, located=True), _location_json),
    "HistoricalLocations": EntitySet(
        "HistoricalLocations", "HistoricalLocation",
        {"Thing": _nav("Things", False, "station_id", "station_id"),
         "Locations": _nav("Locations", True, "station_id", "station_id")},
        lambda sc: _station_view("HistoricalLocations", sc, located=True), _hist_json,
        readonly_reason="HistoricalLocations follow the station registry (one per located "
        "station); change the Thing's Location instead"),
    "FeaturesOfInterest": EntitySet(
        "FeaturesOfInterest", "FeatureOfInterest",
        {"Observations": _nav("Observations", True, "station_id", "station_id")},
        lambda sc: _station_view("FeaturesOfInterest", sc, located=True), _foi_json,
        readonly_reason="a FeatureOfInterest is the location of its station; change the "
        "Thing's Location instead"),
    "Datastreams": EntitySet(
        "Datastreams", "Datastream",
        {"Thing": _nav("Things", False, "station_id", "station_id"),
         "Sensor": _nav("Sensors", False, "id", "id"),
         "ObservedProperty": _nav("ObservedProperties", False, "parameter_code", "id"),
         "Observations": _nav("Observations", True, "id", "series_id")},
        lambda sc: _series_view("Datastreams", sc), _datastream_json),
    "Sensors": EntitySet(
        "Sensors", "Sensor",
        {"Datastreams": _nav("Datastreams", True, "id", "id")},
        lambda sc: _series_view("Sensors", sc), _sensor_json,
        readonly_reason="a Sensor describes the method of one Datastream; create it inline "
        "with the Datastream"),
    "ObservedProperties": EntitySet(
        "ObservedProperties", "ObservedProperty",
        {"Datastreams": _nav("Datastreams", True, "id", "parameter_code")},
        lambda sc: _parameter_view("ObservedProperties", sc), _parameter_json,
        string_id=True,
        readonly_reason="ObservedProperties are the parameters of the national catalogue"),
    "Observations": EntitySet(
        "Observations", "Observation",
        {"Datastream": _nav("Datastreams", False, "series_id", "id"),
         "FeatureOfInterest": _nav("FeaturesOfInterest", False, "station_id", "station_id")},
        lambda sc: _observation_view("Observations", sc), _observation_json),
}  # fmt: skip

#: Singular navigation names → set (for paths such as Datastreams(1)/Thing).
BY_SINGULAR = {es.singular: es for es in SETS.values()}


def id_clause(es: EntitySet, view: View, ident: Any) -> ColumnElement[bool]:
    """WHERE for one entity by @iot.id, on the index where there is one."""
    if es.name == "Observations":
        if not isinstance(ident, int) or ident < 0:
            return literal(False)  # type: ignore[return-value]
        sid, t = split_observation_id(ident)
        return and_(view.keys["series_id"] == sid, view.props["_time"].sql == t)
    if es.string_id != isinstance(ident, str):
        return literal(False)  # type: ignore[return-value]
    return view.id == ident
