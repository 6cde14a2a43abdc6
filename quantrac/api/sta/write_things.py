"""Things: the station registry through SensorThings, for agency staff.

A Thing is a station. Its `properties.medium` says which rules its values are checked against
(QCVN limits, indices, units); a Thing without one is of medium `other`, checked against none.
Its Locations are written by write_locations.py (the station's point is the first one's).
Keys of `properties` the registry does not have (`{"reference": "Third Floor"}`) are the
client's own: kept as they are (`sta_thing_properties`) and answered beside the registry's.
Deleting a Thing retires the station: gone from every answer, its history kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, insert, select, update

from quantrac.api.errors import ApiError
from quantrac.api.sta.write_base import (
    SameTransaction,
    WriterBase,
    check_keys,
    invalid,
    obj,
    text,
    unprocessable,
)
from quantrac.catalog.text import fold
from quantrac.store.db import now_s
from quantrac.store.registry import StationSpec, create_station, update_station
from quantrac.store.schema import station
from quantrac.store.schema_sta import sta_thing_properties
from quantrac.sync.changes import record_change

OTHER_MEDIUM = "other"

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
        props, _ = _split(doc.get("properties") or {})
        if not props.get("medium"):
            # A Thing that names no medium (a plain SensorThings client) is a station outside
            # the regulated media: stored and served, checked against no QCVN limits.
            props = {**props, "medium": OTHER_MEDIUM}
        unit = props.get("admin_unit") or self.p.home_unit
        values = {k: v for k, v in props.items() if k not in ("admin_unit",)}
        values.update(
            code=props.get("code") or self._unique_code(conn, name),
            name=name,
            kind=props.get("kind") or "automatic",
            admin_unit=unit,
            notes=text(doc, "description"),
        )
        return StationSpec.model_validate(values)

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
            self._keep_own(c, sid, _split(doc.get("properties") or {})[1])
            self._audit(c, "sta.create", f"Things({sid})", {"code": spec.code})
            if doc.get("Locations"):
                points = self.thing_points(c, doc["Locations"], "Locations")
                self.place_thing(c, self._station(c, sid, staff=True), points)
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

    def _keep_own(self, conn: Connection, sid: int, own: Mapping[str, Any]) -> None:
        conn.execute(delete(sta_thing_properties).where(sta_thing_properties.c.station_id == sid))
        if own:
            text_ = json.dumps(own, ensure_ascii=False)
            conn.execute(insert(sta_thing_properties).values(station_id=sid, properties=text_))

    def update_thing(self, ident: Any, doc: Mapping[str, Any]) -> None:
        check_keys(doc, {"name", "description", "properties"}, {"Locations"}, "Thing")
        with self.ctx.store.read() as conn:
            row = self._station(conn, ident, staff=True)
            changes: dict[str, Any] = {}
            if "name" in doc:
                changes["name"] = text(doc, "name", required=True)
            if "description" in doc:
                changes["notes"] = text(doc, "description")
            props, own = _split(doc.get("properties"))
            if doc.get("properties") is not None:
                if props.get("code", row["code"]) != row["code"]:
                    raise unprocessable("properties.code", "a station code does not change")
                changes.update({k: v for k, v in props.items() if k != "code"})
        if (
            self.p.role == "province"
            and changes.get("admin_unit", row["admin_unit_key"]) not in self.p.admin_unit_keys
        ):
            raise ApiError(403, "province staff keep stations in their province")
        if changes:
            update_station(self.ctx.store, row["code"], changes)
        with self.ctx.store.write() as conn:
            if doc.get("properties") is not None:  # the client's own keys: those sent now
                self._keep_own(conn, row["id"], own)
                changes.update(dict.fromkeys(own))
            if doc.get("Locations") is not None:  # [] too: the Thing is nowhere now
                points = self.thing_points(conn, doc["Locations"], "Locations")
                self.place_thing(conn, self._station(conn, row["id"], staff=True), points)
                changes["Locations"] = [p[0] for p in points]
            self._audit(conn, "sta.update", f"Things({ident})", {"fields": sorted(changes)})

    def retire_thing(self, conn: Connection, ident: Any) -> None:
        row = self._station(conn, ident, staff=True)
        now = now_s()
        conn.execute(
            update(station).where(station.c.id == row["id"]).values(retired_at=now, updated_at=now)
        )
        record_change(conn, "station", row["id"])

    if TYPE_CHECKING:  # provided by the other writers (write.py composes them)

        def create_datastream(
            self, doc: Mapping[str, Any], conn: Connection | None = None
        ) -> int: ...

        def thing_points(
            self, conn: Connection, items: Any, where: str
        ) -> list[tuple[int, float, float]]: ...

        def place_thing(
            self, conn: Connection, st: Mapping[str, Any], points: list[tuple[int, float, float]]
        ) -> None: ...

        def flush_deferred(self) -> None: ...


def _split(props: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the registry's keys, the client's own) of a Thing's `properties`."""
    if props is None:
        return {}, {}
    if not isinstance(props, Mapping):
        raise unprocessable("properties", "must be an object")
    if len(json.dumps(props, default=str)) > 65_536:
        raise unprocessable("properties", "at most 64 KiB")
    registry = {k: v for k, v in props.items() if k in THING_KEYS}
    return registry, {k: v for k, v in props.items() if k not in THING_KEYS}
