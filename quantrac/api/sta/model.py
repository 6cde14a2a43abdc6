"""How the eight SensorThings entity sets sit on quantrac's tables.

| entity set          | rows                                               | @iot.id           |
|---------------------|----------------------------------------------------|-------------------|
| Things              | station                                            | station id        |
| Locations           | located station; sta_location (+ thing links)      | station / 2³¹ + n |
| HistoricalLocations | located station; sta_historical_location           | station / 2³¹ + n |
| FeaturesOfInterest  | located station's point; sta_feature_of_interest   | station / 2³¹ + n |
| Datastreams         | series (+ sta_datastream: Sensor, words, name)     | series id         |
| Sensors             | series without a stored Sensor; sta_sensor         | series / 2³¹ + n  |
| ObservedProperties  | parameter (the catalogue); sta_observed_property   | 'PM25' / n        |
| Observations        | observation (+ sta_observation_foi, _time, _moved) | series · 2³² + t  |

The views live in `views.py` (registry), `views_locations.py` (Locations and their many-to-many
links with Things) and `views_stored.py` (derived + stored); this module is the registry of
sets and their navigation, and resolves ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, and_, literal

from quantrac.api.sta import views as v
from quantrac.api.sta import views_locations as vl
from quantrac.api.sta import views_stored as vs
from quantrac.api.sta.core import (
    GEOJSON,
    OBS_ID_SHIFT,
    OM_MEASUREMENT,
    STORED_BASE,
    EntitySet,
    Nav,
    Prop,
    StaScope,
    View,
    current_time,
    iso,
    observation_id,
    point,
    self_link,
    split_observation_id,
    stored_row,
)

__all__ = [
    "BY_SINGULAR", "GEOJSON", "OBS_ID_SHIFT", "OM_MEASUREMENT", "SETS", "STORED_BASE",
    "EntitySet", "Nav", "Prop", "StaScope", "View", "id_clause", "iso", "observation_id",
    "point", "row_id", "self_link", "split_observation_id", "stored_row",
]  # fmt: skip


def _nav(target: str, many: bool, src: str, dst: str) -> Nav:
    return Nav(target, many, src, dst)


SETS: dict[str, EntitySet] = {
    "Things": EntitySet(
        "Things", "Thing",
        {"Locations": _nav("Locations", True, "station_id", "thing"),
         "HistoricalLocations": _nav("HistoricalLocations", True, "station_id", "station_id"),
         "Datastreams": _nav("Datastreams", True, "station_id", "station_id")},
        vl.thing_view, v.thing_json,
        extra={"keyed": {"location": vl.thing_view_by_location}}),
    "Locations": EntitySet(
        "Locations", "Location",
        {"Things": _nav("Things", True, "id", "location"),
         "HistoricalLocations": _nav("HistoricalLocations", True, "station_id", "station_id")},
        vl.location_view, vl.location_json,
        extra={"keyed": {"thing": vl.location_view_by_thing}}),
    "HistoricalLocations": EntitySet(
        "HistoricalLocations", "HistoricalLocation",
        {"Thing": _nav("Things", False, "station_id", "station_id"),
         "Locations": _nav("Locations", True, "station_id", "thing")},
        vs.historical_location_view, vs.historical_location_json,
        readonly_reason="this HistoricalLocation is the station's registered location; "
        "change the Thing's Location (a new HistoricalLocation is recorded)"),
    "FeaturesOfInterest": EntitySet(
        "FeaturesOfInterest", "FeatureOfInterest",
        {"Observations": _nav("Observations", True, "id", "foi_key")},
        vs.feature_view, vs.feature_json,
        readonly_reason="this FeatureOfInterest is the location of its station; change the "
        "Thing's Location, or create a FeatureOfInterest of your own"),
    "Datastreams": EntitySet(
        "Datastreams", "Datastream",
        {"Thing": _nav("Things", False, "station_id", "station_id"),
         "Sensor": _nav("Sensors", False, "sensor_key", "id"),
         "ObservedProperty": _nav("ObservedProperties", False, "op_key", "id"),
         "Observations": _nav("Observations", True, "id", "series_id")},
        v.datastream_view, v.datastream_json),
    "Sensors": EntitySet(
        "Sensors", "Sensor",
        {"Datastreams": _nav("Datastreams", True, "id", "sensor_key")},
        vs.sensor_view, vs.sensor_json,
        readonly_reason="this Sensor is derived from its Datastream's method; create a Sensor "
        "and link it: PATCH the Datastream with {\"Sensor\": {\"@iot.id\": …}}"),
    "ObservedProperties": EntitySet(
        "ObservedProperties", "ObservedProperty",
        {"Datastreams": _nav("Datastreams", True, "id", "op_key")},
        vs.observed_property_view, vs.observed_property_json,
        string_id=True,
        readonly_reason="this ObservedProperty is a parameter of the national catalogue"),
    "Observations": EntitySet(
        "Observations", "Observation",
        {"Datastream": _nav("Datastreams", False, "series_id", "id"),
         "FeatureOfInterest": _nav("FeaturesOfInterest", False, "foi_key", "id")},
        v.observation_view, v.observation_json),
}  # fmt: skip

#: Singular navigation names → set (for paths such as Datastreams(1)/Thing).
BY_SINGULAR = {es.singular: es for es in SETS.values()}

#: Sets partly stored in sta_* tables (ids from STORED_BASE on), partly derived from the
#: registry: only their stored rows are changed as entities of their own.
STORED_SETS = ("Sensors", "FeaturesOfInterest", "HistoricalLocations")


def row_id(es: EntitySet, r: Mapping[str, Any]) -> Any:
    if es.name == "Observations":
        return observation_id(r["series_id"], r["time"])
    if es.name == "ObservedProperties":
        return r["num"] if r["num"] is not None else r["code"]
    return r["id"]


def id_clause(es: EntitySet, view: View, ident: Any) -> ColumnElement[bool]:
    """WHERE for one entity by @iot.id, on the index where there is one."""
    if isinstance(ident, bool):
        return literal(False)  # type: ignore[return-value]
    if es.name == "Observations":
        if not isinstance(ident, int) or ident < 0:
            return literal(False)  # type: ignore[return-value]
        sid, t = split_observation_id(ident)
        return and_(view.keys["series_id"] == sid, view.props["_time"].sql == current_time(sid, t))
    if es.name == "ObservedProperties":
        if isinstance(ident, str):
            return view.keys["code"] == ident
        return view.keys["num"] == ident
    if isinstance(ident, str):
        return literal(False)  # type: ignore[return-value]
    return view.id == ident
