"""FeaturesOfInterest and HistoricalLocations that clients store (`sta_feature_of_interest`,
`sta_historical_location`): create, change, delete — by agency staff.

A station's point is its derived FeatureOfInterest (changing it moves the station) and its
registered location its derived HistoricalLocation. Deleting either (staff who may change the
station) only hides it (`sta_derived_deleted`): the station keeps its point and Locations. A
deleted point comes back when an observation without a stored feature is written again; a
deleted registered HistoricalLocation stays gone. Deleting a feature, stored or a station's
point, deletes the observations that have it, as the specification cascades — each recorded as
a revision (`ObservationWriter.delete_observations_of`). A feature given inline with an
Observation is created by whoever may write that observation, and is then seen only with that
observation's station.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import shapely
from sqlalchemy import Connection, delete, insert, select, update

from quantrac.api.errors import ApiError
from quantrac.api.sta import ingest
from quantrac.api.sta.core import GEOJSON, STORED_BASE, stored_row
from quantrac.api.sta.geo import feature_geometry
from quantrac.api.sta.model import SETS
from quantrac.api.sta.views_stored import (
    DELETED_FEATURE,
    DELETED_HISTORICAL_LOCATION,
    point_observations,
)
from quantrac.api.sta.write_base import (
    SameTransaction,
    WriterBase,
    check_keys,
    invalid,
    properties_json,
    require,
    text,
    unprocessable,
)
from quantrac.api.timeparse import parse_instant
from quantrac.store.db import now_s
from quantrac.store.schema import series, station
from quantrac.store.schema_sta import (
    sta_derived_deleted,
    sta_feature_of_interest,
    sta_historical_location,
    sta_observation_foi,
)

FOI_KEYS = {"name", "description", "encodingType", "feature", "properties"}


def _feature_in_use(ident: Any, n: int) -> str:
    """Why a FeatureOfInterest with observations is kept (stored or a station's point)."""
    return (
        f"FeatureOfInterest {ident} is the feature of {n} Observation(s), which are kept; "
        "delete those Observations first"
    )


class PlaceWriter(WriterBase):
    # --- FeaturesOfInterest ------------------------------------------------------------------
    def _feature_values(self, doc: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
        if not partial:
            require(doc, ("name", "feature"), "FeatureOfInterest")
        values: dict[str, Any] = {}
        if "name" in doc or not partial:
            values["name"] = text(doc, "name", required=True)
        if "description" in doc or not partial:
            values["description"] = text(doc, "description") or ""
        if "encodingType" in doc or not partial:
            values["encoding_type"] = text(doc, "encodingType") or GEOJSON
        if "feature" in doc or not partial:
            if doc.get("feature") is None:
                raise invalid("feature", "required: a GeoJSON geometry")
            geom, lon, lat = feature_geometry(doc["feature"], "feature")
            shape = None if geom.geom_type == "Point" else shapely.to_geojson(geom)
            values.update(longitude=lon, latitude=lat, geometry=shape)
        if "properties" in doc or not partial:
            values["properties"] = properties_json(doc)
        return values

    def create_feature(
        self, doc: Mapping[str, Any], conn: Connection | None = None, *, inline: bool = False
    ) -> int:
        """A stored FeatureOfInterest. Inline with an Observation, whoever may write the
        observation may create it (it is then seen only with that observation's station)."""
        if inline:
            self._require_write()
        else:
            self._require_staff("FeaturesOfInterest")
        values = self._feature_values(doc, partial=False)
        with self.ctx.store.write() if conn is None else SameTransaction(conn) as c:
            return self._insert_stored(c, sta_feature_of_interest, "FeaturesOfInterest", values)

    def update_feature(self, ident: Any, doc: Mapping[str, Any]) -> None:
        if stored_row(ident) is None:
            self.update_location(ident, doc)  # a station's point: it moves the station
            return
        self._require_staff("FeaturesOfInterest")
        check_keys(doc, FOI_KEYS, {"Observations"}, "FeatureOfInterest")
        if doc.get("Observations"):
            raise unprocessable("Observations", "link an Observation by PATCHing the Observation")
        with self.ctx.store.write() as c:
            rid = self._stored(c, "FeaturesOfInterest", ident)
            self._check_stations(self._stations_by_observations(c, rid), f"Feature {ident}")
            values = self._feature_values(doc, partial=True)
            if values:
                c.execute(
                    update(sta_feature_of_interest)
                    .where(sta_feature_of_interest.c.id == rid)
                    .values(**values, updated_at=now_s())
                )
            self._audit(c, "sta.update", f"FeaturesOfInterest({ident})", {"fields": sorted(values)})

    def _stations_by_observations(self, conn: Connection, rid: int) -> list[Any]:
        lk = sta_observation_foi
        q = (
            select(station.c.code, station.c.admin_unit_key, station.c.owner_id)
            .select_from(
                lk.join(series, series.c.id == lk.c.series_id).join(
                    station, station.c.id == series.c.station_id
                )
            )
            .where(lk.c.foi_id == rid)
            .distinct()
        )
        return list(conn.execute(q).mappings())

    def delete_feature(self, conn: Connection, ident: Any) -> dict[str, Any] | None:
        """A feature and, as the specification cascades, the observations that have it (each
        recorded as a revision, as a DELETE of each would be): a stored one is deleted, a
        station's point hidden (the station keeps its point, and the feature comes back with
        its next observation made there)."""
        if stored_row(ident) is None:
            return self._hide_derived(conn, "FeaturesOfInterest", DELETED_FEATURE, ident)
        self._require_staff("FeaturesOfInterest")
        rid = self._stored(conn, "FeaturesOfInterest", ident)
        self._check_stations(
            self._stations_by_observations(conn, rid), f"FeatureOfInterest {ident}"
        )
        lk = sta_observation_foi.c
        linked = select(lk.series_id, lk.time).where(lk.foi_id == rid)
        n = self.delete_observations_of(conn, linked, f"FeaturesOfInterest({ident}) deleted")
        conn.execute(delete(sta_observation_foi).where(lk.foi_id == rid))
        conn.execute(delete(sta_feature_of_interest).where(sta_feature_of_interest.c.id == rid))
        return {"observations_deleted": n} if n else None

    def _hide_derived(
        self, conn: Connection, set_name: str, kind: str, ident: Any
    ) -> dict[str, Any]:
        """Delete a station's derived entity (its id is the station's) by recording it in
        `sta_derived_deleted`; the details for the audit row. Its point's observations go
        with a station's point, as with any feature."""
        self._require_staff(set_name)
        if self.visible(conn, set_name, ident) is None:
            raise ApiError(404, f"no {SETS[set_name].singular} {ident!r}")
        st = self._station(conn, ident, staff=True, retired=True)
        details: dict[str, Any] = {"station": st["code"], "derived": True}
        if kind == DELETED_FEATURE:
            n = self.delete_observations_of(
                conn, point_observations(st["id"]), f"FeaturesOfInterest({ident}) deleted"
            )
            if n:
                details["observations_deleted"] = n
        dd = sta_derived_deleted.c
        # replaced rather than assumed absent: a stale row never makes a DELETE fail
        conn.execute(delete(sta_derived_deleted).where(dd.kind == kind, dd.station_id == st["id"]))
        conn.execute(
            insert(sta_derived_deleted).values(
                kind=kind, station_id=st["id"], deleted_by=self.p.actor, deleted_at=now_s()
            )
        )
        return details

    # --- HistoricalLocations -----------------------------------------------------------------
    def _own_locations(self, conn: Connection, st: Mapping[str, Any], links: Any) -> None:
        """A HistoricalLocation's Locations: it records where its Thing is, so they are the
        Thing's own Locations, linked by @iot.id (another one would be dropped in silence)."""
        if links is None:
            return
        if not isinstance(links, list):
            raise invalid("Locations", "must be a list of links")
        view = SETS["Locations"].build(self._scope())
        for i, link in enumerate(links):
            ref = ingest.link_id(link)
            if ref is None:
                raise unprocessable(f"Locations[{i}]", "link the Thing's Location by @iot.id")
            q = view.select(view.id).where(view.id == ref, view.match("thing", st["id"]))
            if isinstance(ref, str) or conn.execute(q).first() is None:
                raise unprocessable(
                    f"Locations[{i}]", f"Locations({ref}) is not a Location of Thing {st['id']}"
                )

    def create_historical_location(self, doc: Mapping[str, Any]) -> int:
        self._require_staff("HistoricalLocations")
        thing = doc.get("Thing")
        sid = ingest.link_id(thing)
        if sid is None:
            raise invalid("Thing", 'required: {"@iot.id": …} of an existing Thing')
        when = parse_instant(doc.get("time"), "time")
        with self.ctx.store.write() as c:
            st = self._station(c, sid, staff=True)
            self._own_locations(c, st, doc.get("Locations"))
            ident = self.record_location(c, st, when, st["latitude"], st["longitude"])
        return ident

    def record_location(
        self, conn: Connection, st: Mapping[str, Any], when: int, lat: Any, lon: Any
    ) -> int:
        """A HistoricalLocation: the station was at (lat, lon) from `when` on."""
        rid = conn.execute(
            insert(sta_historical_location)
            .values(
                station_id=st["id"],
                time=when,
                latitude=lat,
                longitude=lon,
                created_by=self.p.actor,
                created_at=now_s(),
            )
            .returning(sta_historical_location.c.id)
        ).scalar_one()
        ident = STORED_BASE + int(rid)
        self._audit(conn, "sta.create", f"HistoricalLocations({ident})", {"station": st["code"]})
        return ident

    def update_historical_location(self, ident: Any, doc: Mapping[str, Any]) -> None:
        self._require_staff("HistoricalLocations")
        check_keys(doc, {"time"}, {"Thing", "Locations"}, "HistoricalLocation")
        with self.ctx.store.write() as c:
            rid = self._stored(c, "HistoricalLocations", ident)
            sid = c.scalar(
                select(sta_historical_location.c.station_id).where(
                    sta_historical_location.c.id == rid
                )
            )
            st = self._station(c, sid, staff=True)
            if "Thing" in doc and ingest.link_id(doc["Thing"]) != st["id"]:
                raise unprocessable("Thing", "a HistoricalLocation stays with its Thing")
            self._own_locations(c, st, doc.get("Locations"))
            if "time" in doc:
                c.execute(
                    update(sta_historical_location)
                    .where(sta_historical_location.c.id == rid)
                    .values(time=parse_instant(doc["time"], "time"))
                )
            self._audit(c, "sta.update", f"HistoricalLocations({ident})", {"fields": sorted(doc)})

    def delete_historical_location(self, conn: Connection, ident: Any) -> dict[str, Any] | None:
        """A stored HistoricalLocation is deleted, the registered one hidden for good."""
        if stored_row(ident) is None:
            return self._hide_derived(
                conn, "HistoricalLocations", DELETED_HISTORICAL_LOCATION, ident
            )
        self._require_staff("HistoricalLocations")
        rid = self._stored(conn, "HistoricalLocations", ident)
        sid = conn.scalar(
            select(sta_historical_location.c.station_id).where(sta_historical_location.c.id == rid)
        )
        self._station(conn, sid, staff=True)
        conn.execute(delete(sta_historical_location).where(sta_historical_location.c.id == rid))
        return None

    if TYPE_CHECKING:  # provided by the other writers (write.py composes them)

        def delete_observations_of(self, conn: Connection, pairs: Any, reason: str) -> int: ...

        def update_location(self, ident: Any, doc: Mapping[str, Any]) -> None: ...
