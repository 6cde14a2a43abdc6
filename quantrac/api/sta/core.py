"""The building blocks every SensorThings module shares: how an entity set is described
(`EntitySet`), how one use of it in a query looks (`View`), who asks (`StaScope`), and ids.

Ids. Entities derived from the registry keep the registry's id (station, series). Entities a
client stored in the `sta_*` tables (schema_sta.py) get `STORED_BASE + row id`: 2³¹ lies above
every 32-bit station and series id, so the two kinds never collide and both stay exact in
JavaScript. Stored ObservedProperties are plain integers (catalogue ones are text codes).
An Observation's id packs its primary key: `series_id · 2³² + epoch seconds`; after its
phenomenonTime is corrected it answers under its new id, and the old one still finds it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, FromClause, literal, select

from quantrac.auth.principal import Principal

OBS_ID_SHIFT = 4_294_967_296  # 2**32
STORED_BASE = 2_147_483_648  # 2**31: ids of entities stored in sta_* tables start above it
OM_MEASUREMENT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"
GEOJSON = "application/geo+json"


@dataclass(frozen=True, slots=True)
class Prop:
    sql: Any
    kind: str  # num | str | time | geom | bool | json | textid
    source: str = "station"  # geom only: whose points (`Compiler.coords`)


@dataclass(frozen=True, slots=True)
class Nav:
    target: str
    many: bool
    src: str  # label of the source row's key column
    dst: str  # key of the target view it must equal


@dataclass
class View:
    name: str
    froms: FromClause
    where: list[ColumnElement[bool]]
    id: Any
    props: dict[str, Prop]
    keys: dict[str, Any]
    out: list[Any]
    station: Any = None  # the station alias (geometry predicates use its id)
    #: key name → function(value expression) → condition, for keys that are not plain columns
    #: (an Observation's FeatureOfInterest); `match` falls back to `keys[name] == value`.
    matchers: dict[str, Callable[[Any], ColumnElement[bool]]] = field(default_factory=dict)

    def select(self, *cols: Any) -> Any:
        q = select(*(cols or self.out)).select_from(self.froms)
        return q.where(*self.where) if self.where else q

    def match(self, key: str, value: Any) -> ColumnElement[bool]:
        """The rows whose `key` equals `value` (a literal or a correlated column)."""
        fn = self.matchers.get(key)
        return fn(value) if fn is not None else self.keys[key] == value

    def match_any(self, key: str, values: list[Any]) -> ColumnElement[bool]:
        fn = self.matchers.get(key)
        if fn is None:
            return self.keys[key].in_(values)
        from sqlalchemy import false, or_

        return or_(*(fn(v) for v in values)) if values else false()


@dataclass(frozen=True)
class StaScope:
    """Who asks, and what that changes about the rows they see."""

    principal: Principal
    requires_approval: bool
    dialect: str


@dataclass(frozen=True)
class EntitySet:
    name: str
    singular: str
    navs: dict[str, Nav]
    build: Callable[[StaScope], View]
    serialize: Callable[[Mapping[str, Any], str], dict[str, Any]]
    string_id: bool = False
    #: why a derived entity of this set cannot be changed (a 422's message)
    readonly_reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def iso(epoch: int | None) -> str | None:
    """A SensorThings time: to the millisecond, as the specification's examples and the
    clients that compare time strings (`2015-03-01T00:40:00.000Z`) write them; quantrac
    keeps seconds, so the milliseconds are always `.000`."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def point(lat: float | None, lon: float | None) -> dict[str, Any] | None:
    if lat is None or lon is None:
        return None
    return {"type": "Point", "coordinates": [lon, lat]}


def self_link(base: str, set_name: str, ident: Any) -> str:
    key = f"'{ident}'" if isinstance(ident, str) else str(ident)
    return f"{base}/{set_name}({key})"


def stored(column: Any) -> Any:
    """The API id of a stored entity from its row id (SQL)."""
    return literal(STORED_BASE, BigInteger) + column


def stored_row(ident: Any) -> int | None:
    """The row id in a `sta_*` table behind an API id, or None if it is not a stored one."""
    if isinstance(ident, int) and not isinstance(ident, bool) and ident > STORED_BASE:
        return ident - STORED_BASE
    return None


def observation_id(series_id: int, time: int) -> int:
    return series_id * OBS_ID_SHIFT + time


def split_observation_id(value: int) -> tuple[int, int]:
    return divmod(value, OBS_ID_SHIFT)


def current_time(series_id: int, time: int) -> Any:
    """The time an Observation id names now (SQL, evaluated once per query): its own when an
    observation is stored there, else the time it was moved to when its phenomenonTime was
    corrected (`sta_observation_moved`), else its own (found nowhere)."""
    from sqlalchemy import case, exists, func

    from quantrac.store.schema import observation
    from quantrac.store.schema_sta import sta_observation_moved

    ob = observation.alias()
    mv = sta_observation_moved.alias()
    here = exists(select(ob.c.time).where(ob.c.series_id == series_id, ob.c.time == time))
    moved = (
        select(mv.c.new_time)
        .where(mv.c.series_id == series_id, mv.c.old_time == time)
        .scalar_subquery()
    )
    own = literal(time, BigInteger)
    return case((here, own), else_=func.coalesce(moved, own))
