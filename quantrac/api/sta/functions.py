"""The functions of SensorThings `$filter` (OData 4 subset) as SQLAlchemy expressions, and
`Typed`, an expression with its kind. Text functions map to the dialect's own (instr on
SQLite, strpos on PostgreSQL); time parts of epoch seconds are computed in SQL.
"""

from __future__ import annotations

import time as clock
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Integer, case, false, func, literal

from quantrac.api.sta import geo
from quantrac.api.sta.odata import bad

if TYPE_CHECKING:
    from quantrac.api.sta.compile import Compiler


@dataclass(frozen=True, slots=True)
class Typed:
    sql: Any
    kind: str  # num | str | time | date | bool | null | geom | duration | json
    geom: geo.Geometry | None = None  # a literal geometry
    station: Any = None  # for kind geom on a path: the key column the points belong to
    source: str = "station"  # whose points: "station" or "feature" (see `coords`)


def _str(c: Compiler, t: Typed, fn: str) -> Any:
    if t.kind not in ("str", "textid"):
        raise bad(f"{fn}() needs text, not {t.kind}", c.where)
    return t.sql


def _position(c: Compiler, haystack: Any, needle: Any) -> Any:
    """1-based position of needle in haystack, 0 when absent (instr / strpos)."""
    if c.scope.dialect == "sqlite":
        return func.instr(haystack, needle)
    return func.strpos(haystack, needle)


def _num(c: Compiler, t: Typed, fn: str) -> Any:
    if t.kind not in ("num", "duration"):
        raise bad(f"{fn}() needs a number, not {t.kind}", c.where)
    return t.sql


def _time(c: Compiler, t: Typed, fn: str) -> Any:
    if t.kind not in ("time", "date"):
        raise bad(f"{fn}() needs a time, not {t.kind}", c.where)
    return t


def _time_part(part: str) -> Callable[[Compiler, list[Typed]], Typed]:
    def fn(c: Compiler, a: list[Typed]) -> Typed:
        t = _time(c, a[0], part)
        if part in ("year", "month", "day"):
            return Typed(c.dialect_part(t, part), "num")
        modulus, unit = {"hour": (86400, 3600), "minute": (3600, 60), "second": (60, 1)}[part]
        return Typed((t.sql % modulus) // unit, "num")

    return fn


FUNCTIONS: dict[str, tuple[tuple[int, ...], Callable[[Compiler, list[Typed]], Typed]]] = {
    "substringof": (
        (2,),
        lambda c, a: Typed(
            _position(c, _str(c, a[1], "substringof"), _str(c, a[0], "substringof")) > 0, "bool"
        ),
    ),
    "contains": (
        (2,),
        lambda c, a: Typed(
            _position(c, _str(c, a[0], "contains"), _str(c, a[1], "contains")) > 0, "bool"
        ),
    ),
    "startswith": (
        (2,),
        lambda c, a: Typed(
            func.substr(_str(c, a[0], "startswith"), 1, func.length(_str(c, a[1], "startswith")))
            == a[1].sql,
            "bool",
        ),
    ),
    "endswith": (
        (2,),
        lambda c, a: Typed(
            case(
                (
                    func.length(_str(c, a[1], "endswith")) > func.length(_str(c, a[0], "endswith")),
                    false(),
                ),
                else_=func.substr(a[0].sql, func.length(a[0].sql) - func.length(a[1].sql) + 1)
                == a[1].sql,
            ),
            "bool",
        ),
    ),
    "length": ((1,), lambda c, a: Typed(func.length(_str(c, a[0], "length")), "num")),
    "indexof": (
        (2,),
        lambda c, a: Typed(
            _position(c, _str(c, a[0], "indexof"), _str(c, a[1], "indexof")) - 1, "num"
        ),
    ),
    "substring": (
        (2, 3),
        lambda c, a: Typed(
            func.substr(
                _str(c, a[0], "substring"),
                _num(c, a[1], "substring") + 1,
                *([_num(c, a[2], "substring")] if len(a) == 3 else []),
            ),
            "str",
        ),
    ),
    "tolower": ((1,), lambda c, a: Typed(func.lower(_str(c, a[0], "tolower")), "str")),
    "toupper": ((1,), lambda c, a: Typed(func.upper(_str(c, a[0], "toupper")), "str")),
    "trim": ((1,), lambda c, a: Typed(func.trim(_str(c, a[0], "trim")), "str")),
    "concat": ((2,), lambda c, a: Typed(_str(c, a[0], "concat") + _str(c, a[1], "concat"), "str")),
    "year": ((1,), _time_part("year")),
    "month": ((1,), _time_part("month")),
    "day": ((1,), _time_part("day")),
    "hour": ((1,), _time_part("hour")),
    "minute": ((1,), _time_part("minute")),
    "second": ((1,), _time_part("second")),
    "fractionalseconds": (
        (1,),
        lambda c, a: Typed(literal(0.0) + 0 * _time(c, a[0], "f").sql, "num"),
    ),
    "date": (
        (1,),
        lambda c, a: Typed(_time(c, a[0], "date").sql - _time(c, a[0], "date").sql % 86400, "date"),
    ),
    "time": ((1,), lambda c, a: Typed(_time(c, a[0], "time").sql % 86400, "num")),
    "totaloffsetminutes": ((1,), lambda c, a: Typed(0 * _time(c, a[0], "t").sql, "num")),
    "now": ((0,), lambda c, a: Typed(literal(int(clock.time()), Integer), "time")),
    "mindatetime": ((1,), lambda c, a: _time(c, a[0], "mindatetime")),
    "maxdatetime": ((1,), lambda c, a: _time(c, a[0], "maxdatetime")),
    "round": ((1,), lambda c, a: Typed(func.round(_num(c, a[0], "round")), "num")),
    "floor": ((1,), lambda c, a: Typed(func.floor(_num(c, a[0], "floor")), "num")),
    "ceiling": ((1,), lambda c, a: Typed(func.ceil(_num(c, a[0], "ceiling")), "num")),
}
