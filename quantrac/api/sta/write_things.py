"""Things and Locations: the station registry through SensorThings, for agency staff.

A Thing is a station (`properties.medium` required: quantrac checks values against the rules
of their medium); its Location is the station's point. Moving a located station records a
HistoricalLocation (where it was from when on); the station's first point is its registered
location (the derived HistoricalLocation). Deleting a Thing retires the station: gone from
every answer, its history kept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select, update

from quantrac.api.errors import ApiError
from quantrac.api.sta import ingest
from quantrac.api.sta.geo import from_geojson
from quantrac.api.sta.write_base import (
    SameTransaction,
    WriterBase,
    check_keys,
    invalid,
    obj,
    text,
    unprocessable,
)
from quantrac.auth.scope import visible_station
from quantrac.catalog import get_catalog
from quantrac.catalog.text import fold
from quantrac.store.db import now_s
from quantrac.store.registry import StationSpec, create_station, update_station
from quantrac.store.schema import station
from quantrac.sync.changes import record_change

THING_KEYS = {
    "code", "kind", "medium", "admin_unit", "owner", "network", "visibility", "regulation",
    "regulation_column", "reporting_interval_s", "address",
}  # fmt: skip


class ThingWriter(WriterBase):
    def _unique_code(self, conn: Connection, name: str) -> str:
        base = re.sub(r"[^A-Z0-9]+", "_", fold(name).upper()).strip("_")[:40] or "STA"
        code, n = base, 1
        while conn.scalar(select(station.c.id).where(station.c.code == code)) is not None:
            n += 1
            code = f"{base}_{n}"
        return code

    def _thing_spec(self, conn: Connection, doc: Mapping[str, Any]) -> StationSpec:
        name = text(doc, "name") or text(doc, "description")
        if not name:
            raise invalid("name", "required")
        props = doc.get("properties") or {}
        if not isinstance(props, Mapping):
            raise unprocessable("properties", "must be an object")
        unknown = sorted(set(props) - THING_KEYS)
        if unknown:
            raise unprocessable(
                "properties",
                f"unknown key(s) {', '.join(unknown)}; a station "
                f"has: {', '.join(sorted(THING_KEYS))}",
            )
        if not props.get("medium"):
            media = ", ".join(get_catalog().media.by_code)
            raise unprocessable("properties.medium", f"required: one of {media}")
        lat = lon = None
        locations = doc.get("Locations")
        if locations:
            if not isinstance(locations, list):
                raise invalid("Locations", "must be a list")
            _one_location(locations)
            lon, lat = self._location_point(conn, locations[0], "Locations[0]")
        unit = props.get("admin_unit") or self.p.home_unit
        values = {k: v for k, v in props.items() if k not in ("admin_unit",)}
        values.update(
            code=props.get("code") or self._unique_code(conn, name),
            name=name,
            kind=props.get("kind") or "automatic",
            admin_unit=unit,
            latitude=lat,
            longitude=lon,
            notes=text(doc, "description"),
        )
        return StationSpec.model_validate(values)

    def _location_point(self, conn: Connection, loc: Any, where: str) -> tuple[float, float]:
        """(lon, lat) of a Location given inline or linked (another station's point)."""
        ref = ingest.link_id(loc)
        if ref is not None:
            row = conn.execute(
                select(station.c.longitude, station.c.latitude).where(
                    station.c.id == ref, visible_station(self.p), station.c.latitude.is_not(None)
                )
            ).first()
            if row is None:
                raise unprocessable(where, f"no Location {ref!r}")
            return float(row[0]), float(row[1])
        loc = obj(loc, where)
        _geojson_encoding(loc, where)
        return from_geojson(loc.get("location") or loc.get("feature"), f"{where}.location")

    def create_thing(self, doc: Mapping[str, Any], conn: Connection | None = None) -> int:
        self._require_write()
        if not self.p.is_staff:
            raise ApiError(403, "only agency staff may add stations")
        with self.ctx.store.write() if conn is None else SameTransaction(conn) as c:
            spec = self._thing_spec(c, doc)
            spec.check_column()
            if self.p.role == "province" and (spec.admin_unit or "") not in self.p.admin_unit_keys:
                raise ApiError(
                    403,
                    f"province staff add stations in their province "
                    f"({', '.join(sorted(self.p.admin_unit_keys))})",
                )
            sid = create_station(self.ctx.store, spec, conn=c)
            self._audit(c, "sta.create", f"Things({sid})", {"code": spec.code})
            datastreams = doc.get("Datastreams") or []
            if not isinstance(datastreams, list):
                raise invalid("Datastreams", "must be a list")
            for i, ds in enumerate(datastreams):
                self.create_datastream(
                    {**obj(ds, f"Datastreams[{i}]"), "Thing": {"@iot.id": sid}}, conn=c
                )
        if conn is None:
            self.flush_deferred()
        return sid

    def _move(self, conn: Connection, row: Mapping[str, Any], lon: float, lat: float) -> None:
        """A located station that moves keeps where it was: a HistoricalLocation."""
        if row["latitude"] is None or (row["latitude"], row["longitude"]) == (lat, lon):
            return
        self.record_location(conn, row, now_s(), lat, lon)

    def create_location(self, doc: Mapping[str, Any]) -> int:
        things = doc.get("Things")
        if not isinstance(things, list) or not things:
            raise unprocessable(
                "Things",
                'a Location belongs to a station: give "Things": '
                '[{"@iot.id": …}] or POST to Things(id)/Locations',
            )
        _geojson_encoding(doc, "Location")
        lon, lat = from_geojson(doc.get("location"), "location")
        first = None
        with self.ctx.store.write() as conn:
            for i, t in enumerate(things):
                sid = ingest.link_id(t)
                row = self._station(conn, sid, staff=True)
                values: dict[str, Any] = {"latitude": lat, "longitude": lon, "updated_at": now_s()}
                if isinstance(doc.get("description"), str):
                    values["address"] = doc["description"]
                self._move(conn, row, lon, lat)
                conn.execute(update(station).where(station.c.id == row["id"]).values(**values))
                record_change(conn, "station", row["id"])
                self._audit(
                    conn,
                    "sta.create",
                    f"Locations({row['id']})",
                    {"latitude": lat, "longitude": lon, "thing": i},
                )
                first = first or row["id"]
        return int(first)  # type: ignore[arg-type]

    def update_thing(self, ident: Any, doc: Mapping[str, Any]) -> None:
        check_keys(doc, {"name", "description", "properties"}, {"Locations"}, "Thing")
        with self.ctx.store.read() as conn:
            row = self._station(conn, ident, staff=True)
            changes: dict[str, Any] = {}
            if "name" in doc:
                changes["name"] = text(doc, "name", required=True)
            if "description" in doc:
                changes["notes"] = text(doc, "description")
            props = doc.get("properties")
            if props is not None:
                if not isinstance(props, Mapping):
                    raise unprocessable("properties", "must be an object")
                unknown = sorted(set(props) - THING_KEYS - {"code"})
                if unknown:
                    raise unprocessable("properties", f"unknown key(s) {', '.join(unknown)}")
                if props.get("code", row["code"]) != row["code"]:
                    raise unprocessable("properties.code", "a station code does not change")
                changes.update({k: v for k, v in props.items() if k != "code"})
            if doc.get("Locations"):
                locs = doc["Locations"]
                if not isinstance(locs, list):
                    raise invalid("Locations", "must be a list of links")
                _one_location(locs)
                lon, lat = self._location_point(conn, locs[0], "Locations[0]")
                changes.update(longitude=lon, latitude=lat)
        if (
            self.p.role == "province"
            and changes.get("admin_unit", row["admin_unit_key"]) not in self.p.admin_unit_keys
        ):
            raise ApiError(403, "province staff keep stations in their province")
        if changes:
            update_station(self.ctx.store, row["code"], changes)
        with self.ctx.store.write() as conn:
            if "latitude" in changes:
                self._move(conn, row, changes["longitude"], changes["latitude"])
            self._audit(conn, "sta.update", f"Things({ident})", {"fields": sorted(changes)})

    def update_location(self, ident: Any, doc: Mapping[str, Any]) -> None:
        check_keys(
            doc,
            {"name", "description", "encodingType", "location", "feature"},
            {"Things"},
            "Location",
        )
        _geojson_encoding(doc, "Location")
        with self.ctx.store.write() as conn:
            row = self._station(conn, ident, staff=True)
            if row["latitude"] is None:
                raise ApiError(404, f"no Location {ident}")
            values: dict[str, Any] = {"updated_at": now_s()}
            geometry = doc.get("location", doc.get("feature"))
            if geometry is not None:
                lon, lat = from_geojson(geometry, "location")
                values.update(longitude=lon, latitude=lat)
                self._move(conn, row, lon, lat)
            if "name" in doc and text(doc, "name", required=True) != row["name"]:
                # The Location is the station's point and bears its name: renaming it here
                # would rename the station behind the caller's back.
                raise unprocessable(
                    "name",
                    f"a station's Location is named after its Thing ({row['name']!r}): "
                    f"rename the Thing (PATCH Things({row['id']}))",
                )
            if "description" in doc:
                values["address"] = text(doc, "description")
            conn.execute(update(station).where(station.c.id == row["id"]).values(**values))
            record_change(conn, "station", row["id"])
            self._audit(conn, "sta.update", f"Locations({ident})", {"fields": sorted(values)})

    def retire_thing(self, conn: Connection, ident: Any) -> None:
        row = self._station(conn, ident, staff=True)
        now = now_s()
        conn.execute(
            update(station).where(station.c.id == row["id"]).values(retired_at=now, updated_at=now)
        )
        record_change(conn, "station", row["id"])

    def clear_location(self, conn: Connection, ident: Any) -> None:
        row = self._station(conn, ident, staff=True)
        if row["latitude"] is None:
            raise ApiError(404, f"no Location {ident}")
        conn.execute(
            update(station)
            .where(station.c.id == row["id"])
            .values(latitude=None, longitude=None, updated_at=now_s())
        )
        record_change(conn, "station", row["id"])

    if TYPE_CHECKING:  # provided by the other writers (write.py composes them)

        def create_datastream(
            self, doc: Mapping[str, Any], conn: Connection | None = None
        ) -> int: ...

        def record_location(
            self, conn: Connection, st: Mapping[str, Any], when: int, lat: Any, lon: Any
        ) -> int: ...

        def flush_deferred(self) -> None: ...


def _one_location(locations: list[Any]) -> None:
    """A Thing has one Location in quantrac, its station's point: a second one is refused,
    never dropped in silence."""
    if len(locations) > 1:
        raise unprocessable(
            "Locations",
            f"{len(locations)} Locations sent; a station has one point: send one Location",
        )


def _geojson_encoding(doc: Mapping[str, Any], where: str) -> None:
    """A station's point is kept as GeoJSON: another encodingType is refused, not dropped."""
    sent = doc.get("encodingType")
    if sent is None:
        return
    if not isinstance(sent, str) or "geojson" not in sent.lower().replace("+", ""):
        raise unprocessable(
            f"{where}.encodingType",
            f"{sent!r}: a station's location is kept as GeoJSON (application/geo+json)",
        )
