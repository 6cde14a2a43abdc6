"""Creating, changing and deleting SensorThings entities: which writer handles what.

| entity set          | POST, PATCH/PUT, DELETE by           | DELETE means                 |
|---------------------|--------------------------------------|------------------------------|
| Things              | staff                                | the station is retired       |
| Locations           | staff                                | unlinked; a Thing keeps others |
| HistoricalLocations | staff                                | removed (a Thing's registered |
|                     |                                      | one: hidden for good)        |
| FeaturesOfInterest  | staff (a station's point moves the station) | removed with its |
|                     |                                      | observations (revisions); a  |
|                     |                                      | station's point: hidden until |
|                     |                                      | its next observation         |
| Datastreams         | staff                                | the series is deleted (below) |
| Sensors             | staff                                | it and its Datastreams deleted |
| ObservedProperties  | staff (catalogue ones: their Datastreams) | it and its Datastreams deleted |
| Observations        | `write` on the station (a revision)  | recorded as a revision       |

Each concern lives in its own module (`write_things`, `write_datastreams`,
`write_observations`, `write_locations`, `write_entities` for Sensors and ObservedProperties,
`write_places` for FeaturesOfInterest and HistoricalLocations); every write leaves an audit
row (who, what, when, from where).

Measured data are never destroyed by a DELETE: a deleted series (a deleted Datastream, or one
of a deleted Sensor or ObservedProperty; `series.deleted_at`) is gone from every answer with
its Observations, and takes no new ones, but its observations stay in the database for the
audit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from quantrac.api.errors import ApiError
from quantrac.api.sta.core import EntitySet, self_link
from quantrac.api.sta.paths import ResourcePath
from quantrac.api.sta.write_base import obj
from quantrac.api.sta.write_datastreams import DatastreamWriter
from quantrac.api.sta.write_entities import EntityWriter
from quantrac.api.sta.write_locations import LocationWriter
from quantrac.api.sta.write_observations import ObservationWriter
from quantrac.api.sta.write_places import PlaceWriter
from quantrac.api.sta.write_things import ThingWriter

#: (parent set, navigation) → the link a body POSTed below that parent gets.
_PARENT_LINKS: dict[tuple[str, str], tuple[str, bool]] = {
    ("Things", "Datastreams"): ("Thing", False),
    ("Things", "Locations"): ("Things", True),
    ("Things", "HistoricalLocations"): ("Thing", False),
    ("Datastreams", "Observations"): ("Datastream", False),
    ("Sensors", "Datastreams"): ("Sensor", False),
    ("ObservedProperties", "Datastreams"): ("ObservedProperty", False),
    ("FeaturesOfInterest", "Observations"): ("FeatureOfInterest", False),
}


class Writer(
    ThingWriter, LocationWriter, DatastreamWriter, ObservationWriter, EntityWriter, PlaceWriter
):
    """All SensorThings writes of one request (`ctx`, caller, address, base URL)."""

    def create(self, rp: ResourcePath, body: Any) -> tuple[str, Any]:
        """POST to a collection; returns (Location, created id)."""
        last = rp.last
        if last.single or rp.prop or rp.ref:
            raise ApiError(
                405, "POST goes to a collection, e.g. /Things or /Datastreams(1)/Observations"
            )
        doc = dict(obj(body))
        if len(rp.steps) > 1:
            parent = rp.steps[-2]
            self._check_parent(parent.es, parent.ident)
            doc = self._with_parent(parent.es, parent.ident, last.nav or "", doc)
        handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "Things": self.create_thing,
            "Locations": self.create_location,
            "HistoricalLocations": self.create_historical_location,
            "FeaturesOfInterest": self.create_feature,
            "Datastreams": self.create_datastream,
            "Sensors": self.create_sensor,
            "ObservedProperties": self.create_observed_property,
            "Observations": self.create_observation,
        }
        ident = handlers[last.es.name](doc)
        self.ctx.bump()
        return self_link(self.base, last.es.name, ident), ident

    def _check_parent(self, parent: EntitySet, ident: Any) -> None:
        """A POST below an entity the caller cannot see (unknown, or deleted) is a 404, as a
        GET of it is."""
        with self.ctx.store.read() as conn:
            if self.visible(conn, parent.name, ident) is None:
                raise ApiError(404, f"no {parent.singular} {ident!r}")

    def _with_parent(self, parent: EntitySet, ident: Any, nav: str, doc: dict) -> dict:
        found = _PARENT_LINKS.get((parent.name, nav))
        if found is None:
            raise ApiError(405, f"cannot create {nav} under {parent.name}")
        key, many = found
        link = {"@iot.id": ident}
        doc[key] = [link] if many else link
        return doc

    def update(self, rp: ResourcePath, body: Any) -> None:
        last = rp.last
        if not last.single or last.ident is None or rp.prop or rp.ref:
            raise ApiError(405, "PATCH/PUT address one entity by id, e.g. /Things(1)")
        doc = obj(body)
        handlers: dict[str, Callable[[Any, Any], None]] = {
            "Things": self.update_thing,
            "Locations": self.update_location,
            "HistoricalLocations": self.update_historical_location,
            "FeaturesOfInterest": self.update_feature,
            "Datastreams": self.update_datastream,
            "Sensors": self.update_sensor,
            "ObservedProperties": self.update_observed_property,
            "Observations": self.update_observation,
        }
        handlers[last.es.name](last.ident, doc)
        self.ctx.bump()

    def delete(self, rp: ResourcePath) -> None:
        last = rp.last
        if not last.single or last.ident is None or rp.prop:
            raise ApiError(405, "DELETE addresses one entity by id, e.g. /Things(1)")
        name = last.es.name
        # each deletes in the caller's transaction; some return details for the audit row
        handlers: dict[str, Callable[[Any, Any], Mapping[str, Any] | None]] = {
            "Things": self.retire_thing,
            "Locations": self.delete_location,
            "HistoricalLocations": self.delete_historical_location,
            "FeaturesOfInterest": self.delete_feature,
            "Datastreams": self.delete_datastream,
            "Sensors": self.delete_sensor,
            "ObservedProperties": self.delete_observed_property,
            "Observations": self.delete_observation,
        }
        with self.ctx.store.write() as conn:
            details = handlers[name](conn, last.ident)
            self._audit(conn, "sta.delete", f"{name}({last.ident})", details)
        self.ctx.bump()
