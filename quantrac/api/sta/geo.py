"""Geometry for SensorThings filters: WKT literals and the spatial predicates.

quantrac's geometries are station and Location points and the features clients store (any
GeoJSON geometry: a lake, a river reach) in WGS 84. The predicates are evaluated with shapely
over those few thousand geometries and become `id IN (…)`: exact, and the same on SQLite and
PostgreSQL without a spatial extension. Distances are in degrees (planar, the CRS unit), as in
other SensorThings servers without geography types.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
import shapely.errors
import shapely.geometry

from quantrac.api.errors import ApiError

Ring = list[tuple[float, float]]


@dataclass(frozen=True, slots=True)
class Geometry:
    kind: str  # Point | LineString | Polygon | MultiPoint | MultiPolygon
    # Point: [[(x, y)]]; LineString/MultiPoint: [[...]]; Polygon: [outer, holes...];
    # MultiPolygon: polygons flattened with `parts` giving ring counts.
    rings: tuple[tuple[tuple[float, float], ...], ...]
    parts: tuple[int, ...] = ()

    def polygons(self) -> list[list[Ring]]:
        if self.kind == "Polygon":
            return [[list(r) for r in self.rings]]
        if self.kind == "MultiPolygon":
            out, i = [], 0
            for n in self.parts:
                out.append([list(r) for r in self.rings[i : i + n]])
                i += n
            return out
        return []

    def to_geojson(self) -> dict[str, object]:
        if self.kind == "Point":
            return {"type": "Point", "coordinates": list(self.rings[0][0])}
        if self.kind in ("LineString", "MultiPoint"):
            return {"type": self.kind, "coordinates": [list(p) for p in self.rings[0]]}
        if self.kind == "Polygon":
            return {"type": "Polygon", "coordinates": [[list(p) for p in r] for r in self.rings]}
        return {
            "type": "MultiPolygon",
            "coordinates": [[[list(p) for p in r] for r in poly] for poly in self.polygons()],
        }


def _bad(text: str, where: str) -> ApiError:
    return ApiError(400, f"{where}: {text}", [(where, text)])


def _coords(text: str, where: str) -> tuple[tuple[float, float], ...]:
    pts = []
    for pair in text.split(","):
        nums = pair.split()
        if len(nums) not in (2, 3):
            raise _bad(f"bad coordinate {pair.strip()!r}", where)
        try:
            x, y = float(nums[0]), float(nums[1])
        except ValueError:
            raise _bad(f"bad coordinate {pair.strip()!r}", where) from None
        if not (math.isfinite(x) and math.isfinite(y)):
            raise _bad("coordinates must be finite", where)
        pts.append((x, y))
    return tuple(pts)


_WKT = re.compile(r"^\s*(?:SRID=\d+;)?\s*([A-Za-z]+)\s*(\(.*\))\s*$", re.DOTALL)


def _rings(body: str, where: str) -> list[str]:
    inner = body.strip()
    if not (inner.startswith("(") and inner.endswith(")")):
        raise _bad("expected parentheses", where)
    return re.findall(r"\(([^()]*)\)", inner[1:-1]) or [inner[1:-1]]


def parse_wkt(text: str, where: str = "$filter") -> Geometry:
    m = _WKT.match(text)
    if m is None:
        raise _bad(f"{text[:60]!r} is not WKT (e.g. POINT(105.8 21.0))", where)
    kind, body = m.group(1).upper(), m.group(2)
    if kind == "POINT":
        pts = _coords(body.strip()[1:-1], where)
        if len(pts) != 1:
            raise _bad("a POINT has one coordinate", where)
        return Geometry("Point", (pts,))
    if kind in ("LINESTRING", "MULTIPOINT"):
        pts = _coords(body.strip()[1:-1].replace("(", "").replace(")", ""), where)
        if len(pts) < (2 if kind == "LINESTRING" else 1):
            raise _bad(f"too few points in {kind}", where)
        return Geometry("LineString" if kind == "LINESTRING" else "MultiPoint", (pts,))
    if kind == "POLYGON":
        rings = tuple(_coords(r, where) for r in _rings(body, where))
        _check_rings(rings, where)
        return Geometry("Polygon", rings)
    if kind == "MULTIPOLYGON":
        inner = body.strip()[1:-1]
        polys = re.findall(r"\(((?:\s*\([^()]*\)\s*,?)+)\)", inner)
        if not polys:
            raise _bad("empty MULTIPOLYGON", where)
        rings_all: list[tuple[tuple[float, float], ...]] = []
        parts = []
        for poly in polys:
            rings = [_coords(r, where) for r in re.findall(r"\(([^()]*)\)", poly)]
            _check_rings(tuple(rings), where)
            rings_all += rings
            parts.append(len(rings))
        return Geometry("MultiPolygon", tuple(rings_all), tuple(parts))
    raise _bad(f"geometry type {kind} is not supported", where)


def _check_rings(rings: tuple[tuple[tuple[float, float], ...], ...], where: str) -> None:
    for r in rings:
        if len(r) < 4 or r[0] != r[-1]:
            raise _bad("a polygon ring needs ≥ 4 points and must be closed", where)


def from_geojson(doc: object, where: str) -> tuple[float, float]:
    """A GeoJSON Point (or a Feature holding one) → (longitude, latitude)."""
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        doc = doc.get("geometry")
    if not isinstance(doc, dict) or doc.get("type") != "Point":
        raise ApiError(
            422,
            f"{where}: a station location is a GeoJSON Point",
            [(where, 'expected {"type": "Point", "coordinates": [lon, lat]}')],
        )
    c = doc.get("coordinates")
    if (
        not isinstance(c, list)
        or len(c) not in (2, 3)
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in c)
    ):
        raise ApiError(
            422, f"{where}: coordinates must be [longitude, latitude]", [(where, str(c))]
        )
    lon, lat = float(c[0]), float(c[1])
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ApiError(422, f"{where}: longitude/latitude out of range", [(where, str(c))])
    return lon, lat


# --- predicates ----------------------------------------------------------------------------------
#: The spatial functions of $filter, each as shapely's vectorised predicate (row geometry first).
PREDICATES: dict[str, Any] = {
    "geo.intersects": shapely.intersects,
    "st_intersects": shapely.intersects,
    "st_within": shapely.within,
    "st_disjoint": shapely.disjoint,
    "st_equals": shapely.equals,
    "st_contains": shapely.contains,
    "st_touches": shapely.touches,
    "st_overlaps": shapely.overlaps,
    "st_crosses": shapely.crosses,
}


def shape(g: Geometry) -> Any:
    """A literal of a $filter as a shapely geometry."""
    return shapely.geometry.shape(g.to_geojson())


def matching(rows: list[tuple[int, Any]], name: str, g: Geometry) -> list[int]:
    """The keys of the rows whose geometry satisfies `name`(row, g)."""
    if not rows:
        return []
    keys, shapes = zip(*rows, strict=True)
    hits = PREDICATES[name](np.array(shapes, dtype=object), shape(g))
    return [k for k, hit in zip(keys, hits, strict=True) if hit]


def distances(rows: list[tuple[int, Any]], g: Geometry) -> list[tuple[int, float]]:
    """(key, planar distance in degrees) of each row's geometry to g."""
    if not rows:
        return []
    keys, shapes = zip(*rows, strict=True)
    return list(zip(keys, shapely.distance(np.array(shapes, dtype=object), shape(g)).tolist(),
                    strict=True))  # fmt: skip


def feature_geometry(doc: object, where: str) -> tuple[Any, float, float]:
    """A GeoJSON geometry (or a Feature holding one) of any type → (shapely geometry, lon,
    lat of a point on it: where a map puts it)."""
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        doc = doc.get("geometry")
    if isinstance(doc, dict) and doc.get("type") == "Point":
        lon, lat = from_geojson(doc, where)
        return shapely.Point(lon, lat), lon, lat
    try:
        geom = shapely.geometry.shape(doc)  # type: ignore[arg-type]
    except (
        AttributeError,
        TypeError,
        ValueError,
        KeyError,
        IndexError,
        shapely.errors.ShapelyError,
    ):
        geom = None
    if geom is None or geom.is_empty or not geom.is_valid:
        raise ApiError(
            422,
            f"{where}: not a valid GeoJSON geometry",
            [(where, 'e.g. {"type": "Polygon", "coordinates": [[[lon, lat], …]]}')],
        )
    minx, miny, maxx, maxy = geom.bounds
    if not (minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90):
        raise ApiError(
            422, f"{where}: longitude/latitude out of range", [(where, str(geom.bounds))]
        )
    at = geom.representative_point()
    return geom, float(at.x), float(at.y)
