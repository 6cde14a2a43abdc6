"""What every SensorThings write shares: who may write, the station a write touches, the
audit row, and the two kinds of refusal.

- 400 (`invalid`): the request breaks the SensorThings data model — a mandatory relation
  missing (a Datastream without Sensor), a related entity inline in a PATCH, an unknown
  property. The conformance suite expects 400 (or 409) for these.
- 422 (`unprocessable`): a valid SensorThings request quantrac will not store — a parameter
  outside the catalogue for a Datastream, a unit other than the storage unit, a non-point
  feature.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, delete, func, insert, select

from quantrac.api.context import ApiContext
from quantrac.api.errors import ApiError
from quantrac.api.sta.core import STORED_BASE, StaScope, stored_row
from quantrac.api.sta.model import SETS, id_clause
from quantrac.auth import audit
from quantrac.auth.principal import Principal
from quantrac.auth.scope import visible_station
from quantrac.errors import ConflictError
from quantrac.store.db import now_s
from quantrac.store.schema import station

#: Keys that identify or link an entity and are never "properties to change".
CONTROL_KEYS = {"@iot.id", "id", "@iot.selfLink"}


def unprocessable(where: str, message: str) -> ApiError:
    return ApiError(422, f"{where}: {message}", [(where, message)])


def invalid(where: str, message: str) -> ApiError:
    return ApiError(400, f"{where}: {message}", [(where, message)])


def obj(body: Any, where: str = "body") -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise ApiError(400, f"{where} must be a JSON object", [(where, type(body).__name__)])
    return body


def text(doc: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = doc.get(key)
    if value is None:
        if required:
            raise invalid(key, "required")
        return None
    if not isinstance(value, str):
        raise unprocessable(key, "must be text")
    return value


def require(doc: Mapping[str, Any], keys: tuple[str, ...], entity: str) -> None:
    """Every mandatory property of a new entity, all missing ones named at once."""
    missing = [k for k in keys if doc.get(k) is None]
    if missing:
        raise ApiError(
            400,
            f"a {entity} needs {', '.join(missing)}",
            [(k, "required") for k in missing],
        )


def properties_json(doc: Mapping[str, Any], key: str = "properties") -> str | None:
    """A `properties` object as stored JSON (None when absent)."""
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise unprocessable(key, "must be an object")
    return json.dumps(value, ensure_ascii=False)


def check_keys(doc: Mapping[str, Any], allowed: set[str], navs: set[str], entity: str) -> None:
    """A PATCH/PUT body: known properties only; related entities only as links."""
    for key, value in doc.items():
        if key in CONTROL_KEYS or "@iot." in key:
            continue
        if key in navs:
            links = value if isinstance(value, list) else [value]
            if not all(isinstance(v, Mapping) and set(v) & {"@iot.id", "id"} for v in links):
                raise invalid(key, f"related entities of a {entity} are linked by id in a PATCH")
            continue
        if key not in allowed:
            raise invalid(key, f"a {entity} has no property {key!r} to change")


@dataclass
class WriterBase:
    ctx: ApiContext
    p: Principal
    remote_addr: str
    base: str
    _deferred: list[bytes] = field(default_factory=list)

    def _require_write(self) -> None:
        if self.p.role == "public" and self.p.actor == "anonymous":
            raise ApiError(
                401,
                "writing needs an API key or a login",
                headers={"WWW-Authenticate": 'Basic realm="quantrac"'},
            )
        if not self.p.can_write:
            raise ApiError(403, "this credential may not write (scope 'write' needed)")

    def _require_staff(self, what: str = "the SensorThings registry") -> None:
        self._require_write()
        if not self.p.is_staff:
            raise ApiError(403, f"only agency staff may change {what}")

    def _station(
        self, conn: Connection, station_id: Any, *, staff: bool, retired: bool = False
    ) -> Mapping[str, Any]:
        """A station the caller may change: unknown and invisible are 404, others 403
        (`retired`: a deleted Thing's too, for what it left behind)."""
        self._require_write()
        if staff and not self.p.is_staff:
            raise ApiError(403, "only agency staff may change the station registry")
        if not isinstance(station_id, int) or isinstance(station_id, bool):
            raise ApiError(404, f"no Thing {station_id!r}")
        row = (
            conn.execute(
                select(station).where(
                    station.c.id == station_id, visible_station(self.p, retired=retired)
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            raise ApiError(404, f"no Thing {station_id}")
        if not self.p.has_full_access(row["admin_unit_key"], row["owner_id"]):
            raise ApiError(403, f"station {row['code']} is outside this credential's scope")
        return row

    def _check_stations(self, stations: list[Mapping[str, Any]], what: str) -> None:
        """Changing something linked to these stations needs full access to each."""
        for st in stations:
            if not self.p.has_full_access(st["admin_unit_key"], st["owner_id"]):
                raise ApiError(
                    403, f"{what} is used at station {st['code']}, outside this credential's scope"
                )

    # --- stored entities ----------------------------------------------------------------------
    def _scope(self) -> StaScope:
        return StaScope(self.p, self.ctx.settings.public_requires_approval, self.ctx.store.dialect)

    def visible(self, conn: Connection, set_name: str, ident: Any) -> Mapping[str, Any] | None:
        """The entity as the caller may see it (the read path's view), or None."""
        es = SETS[set_name]
        view = es.build(self._scope())
        q = view.select().where(id_clause(es, view, ident)).limit(1)
        return conn.execute(q).mappings().first()

    def _stored(self, conn: Connection, set_name: str, ident: Any) -> int:
        """The row id of a stored entity the caller sees; 404 unknown, 422 derived."""
        if self.visible(conn, set_name, ident) is None:
            raise ApiError(404, f"no {SETS[set_name].singular} {ident!r}")
        rid = ident if set_name == "ObservedProperties" and isinstance(ident, int) else None
        rid = rid if rid is not None else stored_row(ident)
        if rid is None:
            raise unprocessable(set_name, SETS[set_name].readonly_reason or "read-only")
        return rid

    def _insert_stored(
        self, conn: Connection, table: Table, set_name: str, values: Mapping[str, Any]
    ) -> int:
        """Store a new entity of `set_name` with who made it and when, audited; its
        SensorThings id (above every derived id)."""
        now = now_s()
        rid = conn.execute(
            insert(table)
            .values(**values, created_by=self.p.actor, created_at=now, updated_at=now)
            .returning(table.c.id)
        ).scalar_one()
        ident = STORED_BASE + int(rid)
        self._audit(conn, "sta.create", f"{set_name}({ident})", {"name": values["name"]})
        return ident

    def _delete_unused(
        self,
        conn: Connection,
        set_name: str,
        ident: Any,
        table: Table,
        used_by: Any,
        in_use: Callable[[int], str],
    ) -> None:
        """Delete a stored entity that nothing links (`used_by` is the column that would);
        one in use is a 409 saying why (`in_use(count)`): quantrac never deletes the data
        that hangs on it as a side effect."""
        self._require_staff(set_name)
        rid = self._stored(conn, set_name, ident)
        n = self._in_use(conn, used_by, rid)
        if n:
            raise ConflictError(in_use(n))
        conn.execute(delete(table).where(table.c.id == rid))

    def _in_use(self, conn: Connection, column: Any, rid: int) -> int:
        return int(conn.scalar(select(func.count()).where(column == rid)) or 0)

    def _audit(self, conn: Connection, action: str, target: str, details: Any = None) -> None:
        audit.record(conn, self.p.actor, action, target, details, self.remote_addr)


class SameTransaction:
    """Use a caller's open transaction as if it were a new one (deep inserts)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def __enter__(self) -> Connection:
        return self.conn

    def __exit__(self, *exc: object) -> None:
        return None
