"""Locations: created, linked, changed and deleted by agency staff (views_locations.py says
how they are read).

The station registry keeps one point per station, the one maps, distances and the derived
FeatureOfInterest use: it is the point of the Thing's first Location. So whatever changes
where a Thing is — new Locations for it, its first Location moved — moves the station too, and
a located station that moves records a HistoricalLocation (where it was, from when).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, insert, select, update

from quantrac.api.errors import ApiError
from quantrac.api.sta import ingest
from quantrac.api.sta.core import stored_row
from quantrac.api.sta.geo import from_geojson
from quantrac.api.sta.write_base import (
    WriterBase,
    check_keys,
    invalid,
    obj,
    properties_json,
    require,
    text,
    unprocessable,
)
from quantrac.store.db import now_s
from quantrac.store.schema import station
from quantrac.store.schema_sta import sta_kept_point, sta_location, sta_thing_location
from quantrac.sync.changes import record_change

LOCATION_KEYS = {"name", "description", "encodingType", "location", "properties"}

Point = tuple[int, float, float]  # (Location id, longitude, latitude)


class LocationWriter(WriterBase):
    def _location_values(self, doc: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
        if not partial:
            require(doc, ("name", "location"), "Location")
        values: dict[str, Any] = {}
        for key, column in (("name", "name"), ("description", "description"),
                            ("encodingType", "encoding_type")):  # fmt: skip
            if key in doc:
                values[column] = text(doc, key, required=key == "name")
        if "location" in doc:
            lon, lat = from_geojson(doc["location"], "location")
            values.update(longitude=lon, latitude=lat)
        if "properties" in doc:
            values["properties"] = properties_json(doc)
        return values

    def _new_location(self, conn: Connection, doc: Mapping[str, Any], where: str) -> Point:
        try:
            values = self._location_values(doc, partial=False)
        except ApiError as e:  # name the place in the body: Locations[1].name
            problems = [(f"{where}.{f}", m) for f, m in e.problems]
            message = "; ".join(f"{f}: {m}" for f, m in problems) or f"{where}: {e.message}"
            raise ApiError(e.status, message, problems) from None
        values.setdefault("description", "")
        ident = self._insert_stored(conn, sta_location, "Locations", values)
        return ident, values["longitude"], values["latitude"]

    def _existing(self, conn: Connection, ident: Any, where: str | None) -> Point:
        """A Location the caller sees, by id, with its point: an unknown one is refused
        where a body names it (422 at `where`), or not found when it is addressed (404)."""
        row = self.visible(conn, "Locations", ident)
        if row is None and where is None:
            raise ApiError(404, f"no Location {ident!r}")
        if row is None:
            raise unprocessable(where, f"no Location {ident!r}")
        if row["lat"] is None:
            raise unprocessable(where or "Location", f"Location {ident} has no point")
        return int(row["id"]), float(row["lon"]), float(row["lat"])

    def thing_points(self, conn: Connection, items: Any, where: str) -> list[Point]:
        """The Locations a body names for a Thing, resolved: links by @iot.id (other
        properties beside the id are the client restating the entity) and new ones inline,
        stored."""
        if not isinstance(items, list):
            raise invalid(where, "must be a list")
        points: list[Point] = []
        for i, item in enumerate(items):
            at = f"{where}[{i}]"
            ref = ingest.link_id(item)
            point = (
                self._existing(conn, ref, at)
                if ref is not None
                else self._new_location(conn, obj(item, at), at)
            )
            if point[0] not in {p[0] for p in points}:
                points.append(point)
        return points

    def place_thing(self, conn: Connection, st: Mapping[str, Any], points: list[Point]) -> None:
        """The Thing is now at these Locations (and nowhere else); its station's point is the
        first one's."""
        sid = st["id"]
        conn.execute(delete(sta_thing_location).where(sta_thing_location.c.station_id == sid))
        if points and [p[0] for p in points] != [sid]:  # its own point alone needs no row
            conn.execute(
                insert(sta_thing_location),
                [
                    {"station_id": sid, "location_id": ident, "position": n}
                    for n, (ident, _, _) in enumerate(points)
                ],
            )
        lon, lat = (points[0][1], points[0][2]) if points else (None, None)
        self._set_point(conn, st, lon, lat)

    def _set_point(
        self, conn: Connection, st: Mapping[str, Any], lon: float | None, lat: float | None
    ) -> None:
        if (st["longitude"], st["latitude"]) == (lon, lat):
            return
        if lat is not None and lon is not None:
            self._move(conn, st, lon, lat)
        kp = sta_kept_point.c
        conn.execute(delete(sta_kept_point).where(kp.station_id == st["id"]))
        if (lat is None or lon is None) and st["latitude"] is not None:
            # unplaced: its observations' feature keeps the point they were made at
            conn.execute(
                insert(sta_kept_point).values(
                    station_id=st["id"],
                    latitude=st["latitude"],
                    longitude=st["longitude"],
                    kept_at=now_s(),
                )
            )
        conn.execute(
            update(station)
            .where(station.c.id == st["id"])
            .values(longitude=lon, latitude=lat, updated_at=now_s())
        )
        record_change(conn, "station", st["id"])

    def _move(self, conn: Connection, st: Mapping[str, Any], lon: float, lat: float) -> None:
        """A located station that moves keeps where it was: a HistoricalLocation."""
        if st["latitude"] is None or (st["latitude"], st["longitude"]) == (lat, lon):
            return
        self.record_location(conn, st, now_s(), lat, lon)

    def _placed_at(self, conn: Connection, ident: int, *, first: bool) -> list[Any]:
        """The stations whose Thing is at this Location (only those for which it is the
        first, with `first`); changing it needs full access to each (403 otherwise)."""
        self._require_staff("Locations")
        lk = sta_thing_location.c
        q = select(lk.station_id).where(lk.location_id == ident)
        if first:
            q = q.where(lk.position == 0)
        sids = set(conn.scalars(q))
        if stored_row(ident) is None:
            own = conn.scalar(select(lk.station_id).where(lk.station_id == ident).limit(1))
            if own is None:
                sids.add(ident)
        rows = conn.execute(select(station).where(station.c.id.in_(sorted(sids)))).mappings()
        stations = list(rows)
        for st in stations:
            if not self.p.has_full_access(st["admin_unit_key"], st["owner_id"]):
                # not named: the caller may not even see that station
                raise ApiError(403, "this Location serves a station outside your scope")
        return stations

    # --- the entity set -----------------------------------------------------------------------
    def create_location(self, doc: Mapping[str, Any]) -> int:
        """A new Location; with Things, each of them is now there (and moves)."""
        self._require_staff("Locations")
        things = doc.get("Things")
        if things is not None and not isinstance(things, list):
            raise invalid("Things", "must be a list of links")
        with self.ctx.store.write() as conn:
            point = self._new_location(conn, doc, "Location")
            for t in things or []:
                st = self._station(conn, ingest.link_id(t), staff=True)
                self.place_thing(conn, st, [point])
                self._audit(conn, "sta.link", f"Things({st['id']})", {"Locations": [point[0]]})
        return point[0]

    def update_location(self, ident: Any, doc: Mapping[str, Any]) -> None:
        check_keys(doc, LOCATION_KEYS | {"feature"}, {"Things"}, "Location")
        if "feature" in doc and "location" not in doc:  # a station's point as its feature
            doc = {**{k: v for k, v in doc.items() if k != "feature"}, "location": doc["feature"]}
        self._require_staff("Locations")
        values = self._location_values(doc, partial=True)
        with self.ctx.store.write() as conn:
            ident = self._existing(conn, ident, None)[0]
            row = stored_row(ident)
            words = {k: v for k, v in values.items() if k not in ("longitude", "latitude")}
            if row is None:
                self._station(conn, ident, staff=True)
                if words:
                    self._own_words(conn, ident, words)
            else:
                self._placed_at(conn, ident, first=False)  # may the caller change it?
                conn.execute(
                    update(sta_location)
                    .where(sta_location.c.id == row)
                    .values(**values, updated_at=now_s())
                )
            if "longitude" in values:
                for st in self._placed_at(conn, ident, first=True):
                    self._set_point(conn, st, values["longitude"], values["latitude"])
            for i, t in enumerate(doc.get("Things") or []):
                st = self._station(conn, ingest.link_id(t), staff=True)
                lon, lat = self._existing(conn, ident, f"Things[{i}]")[1:]
                self.place_thing(conn, st, [(ident, lon, lat)])
            self._audit(conn, "sta.update", f"Locations({ident})", {"fields": sorted(doc)})

    def _own_words(self, conn: Connection, sid: int, words: Mapping[str, Any]) -> None:
        """Name, description or encodingType of a station's own Location."""
        t = sta_location
        now = now_s()
        found = conn.scalar(select(t.c.id).where(t.c.station_id == sid))
        if found is None:
            conn.execute(
                insert(t).values(
                    station_id=sid,
                    **words,
                    created_by=self.p.actor,
                    created_at=now,
                    updated_at=now,
                )
            )
        else:
            conn.execute(update(t).where(t.c.id == found).values(**words, updated_at=now))

    def delete_location(self, conn: Connection, ident: Any) -> None:
        """A Location goes; each Thing that was there keeps its other Locations (its station's
        point becomes the next one's, or none)."""
        self._require_staff("Locations")
        ident = self._existing(conn, ident, None)[0]
        stations = self._placed_at(conn, ident, first=False)
        lk = sta_thing_location.c
        conn.execute(delete(sta_thing_location).where(lk.location_id == ident))
        row = stored_row(ident)
        if row is None:
            conn.execute(delete(sta_location).where(sta_location.c.station_id == ident))
        else:
            conn.execute(delete(sta_location).where(sta_location.c.id == row))
        for st in stations:
            self._repoint(conn, st)

    def _repoint(self, conn: Connection, st: Mapping[str, Any]) -> None:
        """The station's point after its Locations changed: the first one left, or none."""
        lk = sta_thing_location.c
        rest = list(
            conn.execute(
                select(lk.location_id, lk.position)
                .where(lk.station_id == st["id"])
                .order_by(lk.position)
            )
        )
        if not rest:
            self._set_point(conn, st, None, None)
            return
        first = rest[0][0]
        conn.execute(
            update(sta_thing_location)
            .where(lk.station_id == st["id"], lk.location_id == first)
            .values(position=0)
        )
        lon, lat = self._point_of(conn, first)
        self._set_point(conn, st, lon, lat)

    def _point_of(self, conn: Connection, ident: int) -> tuple[float | None, float | None]:
        row = stored_row(ident)
        if row is None:
            r = conn.execute(
                select(station.c.longitude, station.c.latitude).where(station.c.id == ident)
            ).first()
        else:
            r = conn.execute(
                select(sta_location.c.longitude, sta_location.c.latitude).where(
                    sta_location.c.id == row
                )
            ).first()
        return (r[0], r[1]) if r is not None else (None, None)

    if TYPE_CHECKING:  # provided by the other writers (write.py composes them)

        def record_location(
            self, conn: Connection, st: Mapping[str, Any], when: int, lat: Any, lon: Any
        ) -> int: ...
