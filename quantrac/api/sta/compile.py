"""$filter and $orderby nodes → SQLAlchemy expressions on a `View`.

Every literal becomes a bound parameter; property names map only to known columns, so user
text never reaches the SQL string. Paths through a to-one relation become a correlated scalar
subquery (`Datastream/Thing/name`), through a to-many relation an EXISTS with the rest of the
comparison inside (`Datastreams/ObservedProperty/id eq 'PM25'` on Things: "any of").
Spatial predicates on points (stations', stored features') are evaluated over their
coordinates and become `id IN (…)` (see geo.py). Division by zero yields NULL (NULLIF), never
a 500. The functions themselves are in functions.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import shapely
from sqlalchemy import (
    Connection,
    Float,
    Integer,
    and_,
    case,
    cast,
    exists,
    extract,
    false,
    func,
    literal,
    not_,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.sql.elements import Null

from quantrac.api.sta import geo
from quantrac.api.sta.core import STORED_BASE, StaScope, View
from quantrac.api.sta.functions import FUNCTIONS, Typed
from quantrac.api.sta.model import SETS
from quantrac.api.sta.odata import (
    Binary,
    Call,
    Literal,
    Node,
    Path,
    Unary,
    bad,
    parse_time_literal,
    refers_to_data,
)
from quantrac.store.schema import station
from quantrac.store.schema_sta import sta_feature_of_interest


@dataclass
class Compiler:
    scope: StaScope
    conn: Connection
    where: str = "$filter"
    _shapes: dict[str, list[tuple[int, Any]]] = field(default_factory=dict, repr=False)

    # --- entry points -----------------------------------------------------------------------
    def condition(self, node: Node, view: View) -> Any:
        t = self.expr(node, view)
        if t.kind == "bool":
            return t.sql
        if t.kind == "null":
            return false()
        raise bad("the expression is not a condition (true/false)", self.where)

    def sort_key(self, node: Node, view: View) -> Any:
        """The SQL to sort by, or None for a key that is the same on every row: it orders
        nothing, and a bare number in ORDER BY would mean a column position to the database."""
        saved, self.where = self.where, "$orderby"  # errors name the option they are in
        try:
            t = self.expr(node, view)
        finally:
            self.where = saved
        if t.kind in ("geom", "json"):
            raise bad("cannot sort by a geometry or an object", "$orderby")
        return t.sql if refers_to_data(node) else None

    # --- nodes ------------------------------------------------------------------------------
    def expr(self, node: Node, view: View) -> Typed:
        if isinstance(node, Literal):
            return self.literal(node)
        if isinstance(node, Path):
            return self.path(list(node.segments), view)
        if isinstance(node, Unary):
            if node.op == "not":
                return Typed(not_(self.condition(node.operand, view)), "bool")
            inner = self.expr(node.operand, view)
            self._need(inner, ("num", "duration"), "-")
            return Typed(-inner.sql, inner.kind)
        if isinstance(node, Binary):
            return self.binary(node, view)
        if isinstance(node, Call):
            return self.call(node, view)
        raise bad("unsupported expression", self.where)

    def literal(self, node: Literal) -> Typed:
        if node.kind == "null":
            return Typed(null(), "null")
        if node.kind == "geom":
            return Typed(null(), "geom", geom=node.value)
        if node.kind == "bool":
            return Typed(true() if node.value else false(), "bool")
        if node.kind in ("time", "date"):
            return Typed(literal(node.value, Integer), node.kind)
        if node.kind == "duration":
            return Typed(literal(node.value, Float), "duration")
        if node.kind == "num":
            return Typed(
                literal(node.value, Float if isinstance(node.value, float) else Integer), "num"
            )
        return Typed(literal(node.value), "str")

    # --- paths ------------------------------------------------------------------------------
    def path(self, segs: list[str], view: View) -> Typed:
        es = SETS[view.name]
        first = segs[0]
        if first in ("@iot.id", "id") and len(segs) == 1:
            segs = ["id"]
        key = "/".join(segs)
        if key in view.props and not key.startswith("_"):
            p = view.props[key]
            if p.kind == "geom":
                return Typed(p.sql, "geom", station=p.sql, source=p.source)
            return Typed(p.sql, p.kind)
        nav = es.navs.get(first)
        if nav is None:
            known = sorted(k for k in view.props if not k.startswith("_")) + sorted(es.navs)
            raise bad(f"{es.name} have no property {key!r}; known: {', '.join(known)}", self.where)
        if nav.many:
            raise bad(
                f"{first} is a collection: compare one of its properties, e.g. {first}/id eq 1",
                self.where,
            )
        if len(segs) == 1:
            raise bad(f"{first} is an entity: name one of its properties", self.where)
        target = SETS[nav.target].build(self.scope)
        src = view.keys.get(nav.src)
        if segs[1:] == ["id"] and nav.dst == "id" and src is not None:
            return Typed(src, "textid" if SETS[nav.target].string_id else "num")
        inner = self.path(segs[1:], target)
        if inner.kind == "geom" and inner.source == "feature" and nav.dst == "id":
            # a FeatureOfInterest's point, named by the row's own key for it
            return Typed(src, "geom", station=src, source="feature")
        if inner.kind == "geom":
            # station points: the geometry of the related station is that of the row's own
            return Typed(
                inner.sql,
                "geom",
                station=view.station.c.id if view.station is not None else inner.station,
            )
        sub = target.select(inner.sql).where(target.match(nav.dst, src)).limit(1)
        return Typed(sub.scalar_subquery(), inner.kind)

    def _many_prefix(self, node: Node, view: View) -> str | None:
        """The to-many navigation every path of a boolean leaf starts with, if any."""
        found: set[str] = set()

        def walk(n: Node) -> None:
            if isinstance(n, Path):
                nav = SETS[view.name].navs.get(n.segments[0])
                if nav is not None and nav.many and len(n.segments) > 1:
                    found.add(n.segments[0])
            elif isinstance(n, Binary):
                walk(n.left)
                walk(n.right)
            elif isinstance(n, Unary):
                walk(n.operand)
            elif isinstance(n, Call):
                for a in n.args:
                    walk(a)

        walk(node)
        if len(found) > 1:
            raise bad("one condition may cross only one collection", self.where)
        return next(iter(found), None)

    def _any(self, node: Node, view: View, nav_name: str) -> Typed:
        nav = SETS[view.name].navs[nav_name]
        target = SETS[nav.target].build(self.scope)

        def strip(n: Node) -> Node:
            if isinstance(n, Path):
                if n.segments[0] == nav_name:
                    return Path(n.segments[1:])
                raise bad(f"mix of {nav_name}/… and other properties in one condition", self.where)
            if isinstance(n, Binary):
                return Binary(n.op, strip(n.left), strip(n.right))
            if isinstance(n, Unary):
                return Unary(n.op, strip(n.operand))
            if isinstance(n, Call):
                return Call(n.name, tuple(strip(a) for a in n.args))
            return n

        cond = self.condition(strip(node), target)
        sub = target.select(literal(1)).where(target.match(nav.dst, view.keys[nav.src]), cond)
        return Typed(exists(sub), "bool")

    # --- operators --------------------------------------------------------------------------
    def binary(self, node: Binary, view: View) -> Typed:
        if node.op in ("and", "or"):
            left = self.condition(node.left, view)
            right = self.condition(node.right, view)
            return Typed((and_ if node.op == "and" else or_)(left, right), "bool")
        if node.op in ("eq", "ne", "gt", "ge", "lt", "le"):
            prefix = self._many_prefix(node, view)
            if prefix:
                return self._any(node, view, prefix)
            if _is_distance(node.left) or _is_distance(node.right):
                return self.distance_compare(node, view)
            return self.compare(node.op, self.expr(node.left, view), self.expr(node.right, view))
        left, right = self.expr(node.left, view), self.expr(node.right, view)
        return self.arithmetic(node.op, left, right)

    def compare(self, op: str, a: Typed, b: Typed) -> Typed:
        # A constant null (the literal, or e.g. a division by zero) compares as SQL does.
        if isinstance(a.sql, Null):
            a = Typed(a.sql, "null")
        if isinstance(b.sql, Null):
            b = Typed(b.sql, "null")
        if a.kind == "null" or b.kind == "null":
            other = b if a.kind == "null" else a
            if op == "eq":
                return Typed(other.sql.is_(None), "bool")
            if op == "ne":
                return Typed(other.sql.is_not(None), "bool")
            return Typed(false(), "bool")
        a, b = self._align(a, b)
        if "bool" in (a.kind, b.kind) and op not in ("eq", "ne"):
            raise bad(f"true/false can be compared with eq or ne, not {op}", self.where)
        ops: dict[str, Callable[[Any, Any], Any]] = {
            "eq": lambda x, y: x == y, "ne": lambda x, y: x != y, "gt": lambda x, y: x > y,
            "ge": lambda x, y: x >= y, "lt": lambda x, y: x < y, "le": lambda x, y: x <= y,
        }  # fmt: skip
        return Typed(ops[op](a.sql, b.sql), "bool")

    def _align(self, a: Typed, b: Typed) -> tuple[Typed, Typed]:
        """Make two operands comparable; a time compared with text parses the text; an id
        that may be text or a number (ObservedProperties) is compared as text."""
        a, b = _textid(a, b), _textid(b, a)
        kinds = {a.kind, b.kind}
        if kinds <= {"time", "date"}:
            return a, b
        if "time" in kinds or "date" in kinds:
            if a.kind == "str" and isinstance(getattr(a.sql, "value", None), str):
                a = Typed(literal(parse_time_literal(a.sql.value, self.where)), "time")
            if b.kind == "str" and isinstance(getattr(b.sql, "value", None), str):
                b = Typed(literal(parse_time_literal(b.sql.value, self.where)), "time")
        if {a.kind, b.kind} <= {"num", "duration"} or a.kind == b.kind:
            return a, b
        if {a.kind, b.kind} <= {"time", "date"}:
            return a, b
        raise bad(f"cannot compare {a.kind} with {b.kind}", self.where)

    def arithmetic(self, op: str, a: Typed, b: Typed) -> Typed:
        if op in ("add", "sub") and {a.kind, b.kind} == {"time", "duration"}:
            sql = a.sql + b.sql if op == "add" else a.sql - b.sql
            return Typed(sql, "time")
        if op == "sub" and a.kind == b.kind == "time":
            return Typed(a.sql - b.sql, "duration")
        self._need(a, ("num", "duration"), op)
        self._need(b, ("num", "duration"), op)
        if op == "add":
            return Typed(a.sql + b.sql, "num")
        if op == "sub":
            return Typed(a.sql - b.sql, "num")
        if op == "mul":
            return Typed(a.sql * b.sql, "num")
        if op == "div":
            return Typed(cast(a.sql, Float) / func.nullif(cast(b.sql, Float), 0.0), "num")
        # mod: on numbers of any kind, portable: a - b * floor(a / b)
        den = func.nullif(cast(b.sql, Float), 0.0)
        return Typed(a.sql - b.sql * func.floor(cast(a.sql, Float) / den), "num")

    def _need(self, t: Typed, kinds: tuple[str, ...], what: str) -> None:
        if t.kind not in kinds:
            raise bad(f"{what} needs {' or '.join(kinds)}, not {t.kind}", self.where)

    # --- functions ----------------------------------------------------------------------------
    def call(self, node: Call, view: View) -> Typed:
        name = node.name
        if name.startswith(("geo.", "st_")):
            prefix = self._many_prefix(node, view)
            if prefix:
                return self._any(node, view, prefix)
            return self.spatial(node, view)
        handler = FUNCTIONS.get(name)
        if handler is None:
            raise bad(f"unknown function {name}()", self.where)
        arity, fn = handler
        if len(node.args) not in arity:
            raise bad(f"{name}() takes {' or '.join(map(str, arity))} argument(s)", self.where)
        if name in ("substringof", "endswith", "startswith", "contains"):
            prefix = self._many_prefix(node, view)
            if prefix:
                return self._any(node, view, prefix)
        args = [self.expr(a, view) for a in node.args]
        return fn(self, args)

    def dialect_part(self, t: Typed, part: str) -> Any:
        if self.scope.dialect == "sqlite":
            fmt = {"year": "%Y", "month": "%m", "day": "%d"}[part]
            return cast(func.strftime(fmt, t.sql, "unixepoch"), Integer)
        return cast(extract(part, func.timezone("UTC", func.to_timestamp(t.sql))), Integer)

    # --- spatial ------------------------------------------------------------------------------
    def shapes(self, source: str = "station") -> list[tuple[int, Any]]:
        """(key, shapely geometry) of every geometry of a kind: station points by station id,
        Locations and FeaturesOfInterest by their ids (stations' points and stored ones). Which
        of them the caller may see is decided by the query the resulting IN (…) joins."""
        if source in self._shapes:
            return self._shapes[source]
        if source == "location":
            from quantrac.api.sta.views_locations import location_points

            rows = [(i, shapely.Point(x, y)) for i, x, y in location_points(self.conn)]
        else:
            s = station.c
            located = select(s.id, s.longitude, s.latitude).where(
                s.latitude.is_not(None), s.longitude.is_not(None)
            )
            rows = [(int(i), shapely.Point(x, y)) for i, x, y in self.conn.execute(located)]
            if source == "feature":
                f = sta_feature_of_interest.c
                for i, x, y, shape in self.conn.execute(
                    select(f.id, f.longitude, f.latitude, f.geometry)
                ):
                    geom = shapely.from_geojson(shape) if shape else shapely.Point(x, y)
                    rows.append((STORED_BASE + int(i), geom))
        self._shapes[source] = rows
        return rows

    def _geo_args(self, node: Call, view: View) -> tuple[Typed, geo.Geometry]:
        if len(node.args) != 2:
            raise bad(f"{node.name}() takes two geometries", self.where)
        a, b = (self.expr(x, view) for x in node.args)
        if a.geom is not None and b.station is not None:
            a, b = b, a
        if a.station is None or b.geom is None:
            raise bad(
                f"{node.name}() compares a location property with a geography'…' literal",
                self.where,
            )
        return a, b.geom

    def spatial(self, node: Call, view: View) -> Typed:
        name = node.name
        if name == "geo.distance":
            raise bad("compare geo.distance(…) with a number, e.g. lt 0.1", self.where)
        if name == "geo.length":
            a = self.expr(node.args[0], view) if node.args else None
            if a is None or a.station is None:
                raise bad("geo.length() takes a location property", self.where)
            # points have none: only the few stored lines and shapes need naming
            lengths = [(i, g.length) for i, g in self.shapes(a.source) if g.length > 0]
            if not lengths:
                return Typed(literal(0.0), "num")
            return Typed(case(*((a.station == i, n) for i, n in lengths), else_=0.0), "num")
        if name not in geo.PREDICATES:
            raise bad(f"spatial function {name}() is not supported", self.where)
        a, g = self._geo_args(node, view)
        ids = geo.matching(self.shapes(a.source), name, g)
        return Typed(a.station.in_(ids) if ids else false(), "bool")

    def distance_compare(self, node: Binary, view: View) -> Typed:
        flip = {"lt": "gt", "gt": "lt", "le": "ge", "ge": "le", "eq": "eq", "ne": "ne"}
        call, other, op = node.left, node.right, node.op
        if not _is_distance(call):
            call, other, op = node.right, node.left, flip[node.op]
        if not isinstance(other, Literal) or other.kind != "num":
            raise bad("compare geo.distance(…) with a number", self.where)
        a, g = self._geo_args(call, view)  # type: ignore[arg-type]
        limit = float(other.value)
        cmp: dict[str, Callable[[float], bool]] = {
            "lt": lambda d: d < limit, "le": lambda d: d <= limit, "gt": lambda d: d > limit,
            "ge": lambda d: d >= limit, "eq": lambda d: d == limit, "ne": lambda d: d != limit,
        }  # fmt: skip
        ids = [i for i, d in geo.distances(self.shapes(a.source), g) if cmp[op](d)]
        return Typed(a.station.in_(ids) if ids else false(), "bool")


def _textid(t: Typed, other: Typed) -> Typed:
    """An id column that holds text or numbers: compared as text, a number literal too."""
    if t.kind == "textid":
        return Typed(t.sql, "str")
    number = getattr(t.sql, "value", None)
    if other.kind == "textid" and t.kind == "num" and isinstance(number, int):
        return Typed(literal(str(number)), "str")
    return t


def _is_distance(n: Node) -> bool:
    return isinstance(n, Call) and n.name == "geo.distance"
