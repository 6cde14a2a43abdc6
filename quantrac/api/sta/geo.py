"""Geometry for SensorThings filters: WKT literals and the spatial predicates on points.

quantrac's geometries are station points (longitude, latitude; WGS 84), so the predicates
are evaluated here over the few thousand station coordinates and become `station.id IN (…)`:
exact, and the same on SQLite and PostgreSQL without a spatial extension. Distances are in
degrees (planar, the CRS unit), as in other SensorThings servers without geography types.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

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

    def points(self) -> list[tuple[float, float]]:
        return [p for r in self.rings for p in r]

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


# --- predicates on a point ---------------------------------------------------------------------
def _in_ring(x: float, y: float, ring: Ring) -> bool:
    inside = False
    n = len(ring)
    for i in range(n - 1):
        (x1, y1), (x2, y2) = ring[i], ring[i + 1]
        if (y1 > y) != (y2 > y):
            xi = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if x < xi:
                inside = not inside
    return inside


def _on_segment(x: float, y: float, a: tuple[float, float], b: tuple[float, float]) -> bool:
    (x1, y1), (x2, y2) = a, b
    cross = (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1)
    if abs(cross) > 1e-12:
        return False
    return (
        min(x1, x2) - 1e-12 <= x <= max(x1, x2) + 1e-12
        and min(y1, y2) - 1e-12 <= y <= max(y1, y2) + 1e-12
    )


def _on_boundary(x: float, y: float, rings: list[Ring]) -> bool:
    return any(_on_segment(x, y, r[i], r[i + 1]) for r in rings for i in range(len(r) - 1))


def point_within(x: float, y: float, g: Geometry, *, strict: bool) -> bool:
    """Inside a polygon (strict: the boundary does not count, as in st_within)."""
    for rings in g.polygons():
        if _on_boundary(x, y, rings):
            if not strict:
                return True
            continue
        if _in_ring(x, y, rings[0]) and not any(_in_ring(x, y, h) for h in rings[1:]):
            return True
    return False


def point_intersects(x: float, y: float, g: Geometry) -> bool:
    if g.kind in ("Polygon", "MultiPolygon"):
        return point_within(x, y, g, strict=False)
    if g.kind == "LineString":
        pts = g.rings[0]
        return any(_on_segment(x, y, pts[i], pts[i + 1]) for i in range(len(pts) - 1))
    return any(abs(x - px) < 1e-12 and abs(y - py) < 1e-12 for px, py in g.points())


def point_distance(x: float, y: float, g: Geometry) -> float:
    if g.kind in ("Polygon", "MultiPolygon") and point_within(x, y, g, strict=False):
        return 0.0
    best = math.inf
    for ring in g.rings:
        if len(ring) == 1:
            best = min(best, math.hypot(x - ring[0][0], y - ring[0][1]))
        for i in range(len(ring) - 1):
            best = min(best, _segment_distance(x, y, ring[i], ring[i + 1]))
    return best


def _segment_distance(x: float, y: float, a: tuple[float, float], b: tuple[float, float]) -> float:
    (x1, y1), (x2, y2) = a, b
    dx, dy = x2 - x1, y2 - y1
    if dx == dy == 0:
        return math.hypot(x - x1, y - y1)
    t = max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)))
    return math.hypot(x - (x1 + t * dx), y - (y1 + t * dy))
