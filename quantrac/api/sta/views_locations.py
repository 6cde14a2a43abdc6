"""Locations, and how Things and Locations link.

A station's point is its own Location (id = station id); a client may also store Locations
of their own (`sta_location`, id 2³¹ + n) and give a Thing several, or share one between
Things (`sta_thing_location`). The links are read the same way everywhere:

- a Thing with link rows has exactly the Locations they name;
- a Thing without any has one: its own point (when it has one).

So the registry's stations need no rows at all, and a station's own Location stays visible
while its Thing (or another Thing) still points at it. A row of `sta_location` with a
`station_id` only carries words for that station's own Location (name, description,
encodingType); its point stays the station's.

The plain views answer one row per entity; navigation between the two sets goes through
matchers (paths and $filter) or through "keyed" views with one row per (Thing, Location)
pair, which $expand groups by.
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
    and_,
    cast,
    exists,
    func,
    null,
    or_,
    select,
    union_all,
)

from quantrac.api.sta.core import GEOJSON, Prop, StaScope, View, point, stored
from quantrac.api.sta.views import station_view
from quantrac.auth.scope import visible_station
from quantrac.store.schema import station
from quantrac.store.schema_sta import sta_location, sta_thing_location


def _has_links(thing: Any) -> Any:
    lk = sta_thing_location.alias()
    return exists(select(lk.c.location_id).where(lk.c.station_id == thing))


def _linked(thing: Any, location: Any) -> Any:
    lk = sta_thing_location.alias()
    return exists(
        select(lk.c.location_id).where(lk.c.station_id == thing, lk.c.location_id == location)
    )


def _own_point(thing: Any, location: Any, located: Any) -> Any:
    """The implicit link: a Thing without link rows is at its own point. (Compared as
    64-bit: a stored Location's id does not fit a station id's column type.)"""
    same = cast(location, BigInteger) == cast(thing, BigInteger)
    return and_(same, located, ~_has_links(thing))


def links() -> Any:
    """Every (thing, loc) pair, explicit and implicit, as one subquery."""
    lk = sta_thing_location.alias()
    s = station.alias()
    explicit = select(
        cast(lk.c.station_id, BigInteger).label("thing"), lk.c.location_id.label("loc")
    )
    implicit = select(cast(s.c.id, BigInteger).label("thing"), cast(s.c.id, BigInteger)).where(
        s.c.latitude.is_not(None), s.c.longitude.is_not(None), ~_has_links(s.c.id)
    )
    return union_all(explicit, implicit).subquery()


def location_view(scope: StaScope) -> View:
    p = scope.principal
    s = station.alias()
    ov = sta_location.alias()
    lk = sta_thing_location.alias()
    referenced = exists(select(lk.c.station_id).where(lk.c.location_id == s.c.id))
    own = (
        select(
            cast(s.c.id, BigInteger).label("id"),
            s.c.id.label("station_id"),
            func.coalesce(ov.c.name, s.c.name).label("name"),
            cast(func.coalesce(ov.c.description, s.c.address, s.c.name), Text).label("description"),
            cast(func.coalesce(ov.c.encoding_type, GEOJSON), String).label("encoding_type"),
            cast(s.c.latitude, Float).label("lat"),
            cast(s.c.longitude, Float).label("lon"),
            ov.c.properties.label("properties"),
        )
        .select_from(s.outerjoin(ov, ov.c.station_id == s.c.id))
        .where(
            # a deleted Thing's Locations remain (unlinked), as the specification has them
            visible_station(p, s, retired=True),
            s.c.latitude.is_not(None),
            s.c.longitude.is_not(None),
            or_(~_has_links(s.c.id), referenced),
        )
    )
    x = sta_location.alias()
    lk2 = sta_thing_location.alias()
    st = station.alias()
    used = exists(select(lk2.c.station_id).where(lk2.c.location_id == stored(x.c.id)))
    seen = exists(
        select(lk2.c.station_id)
        .select_from(lk2.join(st, st.c.id == lk2.c.station_id))
        .where(lk2.c.location_id == stored(x.c.id), visible_station(p, st, retired=True))
    )
    free = select(
        stored(x.c.id).label("id"),
        cast(null(), Integer).label("station_id"),
        x.c.name,
        x.c.description,
        x.c.encoding_type,
        x.c.latitude,
        x.c.longitude,
        x.c.properties,
    ).where(x.c.station_id.is_(None), or_(~used, seen))
    u = union_all(own, free).subquery()
    props = {
        "id": Prop(u.c.id, "num"),
        "name": Prop(u.c.name, "str"),
        "description": Prop(u.c.description, "str"),
        "encodingType": Prop(u.c.encoding_type, "str"),
        "location": Prop(u.c.id, "geom", source="location"),
    }
    out = [u.c.id, u.c.station_id, u.c.name, u.c.description, u.c.encoding_type, u.c.lat,
           u.c.lon, u.c.properties]  # fmt: skip
    keys = {"id": u.c.id, "station_id": u.c.station_id}
    view = View("Locations", u, [], u.c.id, props, keys, out)
    located = u.c.station_id.is_not(None)
    view.matchers["thing"] = lambda v: or_(_linked(v, u.c.id), _own_point(v, u.c.id, located))
    return view


def location_view_by_thing(scope: StaScope) -> View:
    """One row per (Thing, Location): what $expand=Locations groups by."""
    view = location_view(scope)
    e = links()
    view.froms = view.froms.join(e, e.c.loc == view.id)
    view.keys["thing"] = e.c.thing
    view.matchers.pop("thing")
    return view


def thing_view(scope: StaScope) -> View:
    view = station_view("Things", scope)
    s = view.station
    located = and_(s.c.latitude.is_not(None), s.c.longitude.is_not(None))
    view.matchers["location"] = lambda v: or_(_linked(s.c.id, v), _own_point(s.c.id, v, located))
    return view


def thing_view_by_location(scope: StaScope) -> View:
    """One row per (Location, Thing): what Locations?$expand=Things groups by."""
    view = station_view("Things", scope)
    e = links()
    view.froms = view.froms.join(e, e.c.thing == view.station.c.id)
    view.keys["location"] = e.c.loc
    return view


def location_json(r: Mapping[str, Any], base: str) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": r["name"] or "",
        "description": r["description"] or "",
        "encodingType": r["encoding_type"] or GEOJSON,
        "location": point(r["lat"], r["lon"]),
    }
    props = json.loads(r["properties"]) if r["properties"] else None
    if isinstance(props, dict):
        doc["properties"] = props
    return doc


def location_points(conn: Any) -> list[tuple[int, float, float]]:
    """(id, longitude, latitude) of every Location: stations' points and stored ones."""
    s = station.c
    x = sta_location.c
    rows = list(
        conn.execute(
            select(s.id, s.longitude, s.latitude).where(
                s.latitude.is_not(None), s.longitude.is_not(None)
            )
        )
    )
    rows += [
        tuple(r)
        for r in conn.execute(
            select(stored(x.id), x.longitude, x.latitude).where(
                x.station_id.is_(None), x.latitude.is_not(None), x.longitude.is_not(None)
            )
        )
    ]
    return [(int(i), float(lon), float(lat)) for i, lon, lat in rows]
