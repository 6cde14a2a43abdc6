"""Sensors and ObservedProperties that clients store (`sta_sensor`, `sta_observed_property`):
create, change, delete — by agency staff.

Derived ones (a series' own Sensor, a catalogue parameter) are not rows of their own: changing
one is refused with what to do instead. Deleting a stored one deletes the Datastreams that use
it, as the specification says, the quantrac way: they are retired (hidden with their
Observations, which stay in the database) and unlinked, then the row is deleted. The caller must
be allowed to change every one of those Datastreams (403 otherwise, nothing changed). Province
staff change only what is used at their stations. FeaturesOfInterest and HistoricalLocations are
in write_places.py.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, delete, insert, select, update

from quantrac.api.errors import ApiError
from quantrac.api.sta import ingest
from quantrac.api.sta.core import stored_row
from quantrac.api.sta.model import SETS
from quantrac.api.sta.write_base import (
    SameTransaction,
    WriterBase,
    check_keys,
    invalid,
    properties_json,
    require,
    text,
    unprocessable,
)
from quantrac.auth.scope import live_series
from quantrac.catalog import get_catalog
from quantrac.errors import UnknownParameter
from quantrac.store.catalog_sync import ensure_parameter
from quantrac.store.db import now_s
from quantrac.store.schema import series, station
from quantrac.store.schema_sta import (
    sta_datastream,
    sta_observed_property,
    sta_sensor,
)

SENSOR_KEYS = {"name", "description", "encodingType", "metadata", "properties"}
OP_KEYS = {"name", "definition", "description", "properties"}
FOI_KEYS = {"name", "description", "encodingType", "feature", "properties"}


def match_parameter(doc: Mapping[str, Any], medium: str | None = None) -> str | None:
    """The catalogue parameter an ObservedProperty describes, if any: `properties.parameter`
    or `properties.code`, else its name, else the last part of its definition."""
    props = doc.get("properties") if isinstance(doc.get("properties"), Mapping) else {}
    definition = str(doc.get("definition") or "").rsplit(":", 1)[-1] or None
    for candidate in (props.get("parameter"), props.get("code"), doc.get("name"), definition):
        if isinstance(candidate, str) and candidate:
            try:
                return get_catalog().parameter(candidate, medium).code
            except UnknownParameter:
                continue
    return None


class EntityWriter(WriterBase):
    def _stations_by_datastreams(self, conn: Connection, column: str, rid: int) -> list[Any]:
        """The stations of the (not retired) Datastreams linked to a stored entity."""
        sd = sta_datastream
        q = (
            select(station.c.code, station.c.admin_unit_key, station.c.owner_id)
            .select_from(
                sd.join(series, series.c.id == sd.c.series_id).join(
                    station, station.c.id == series.c.station_id
                )
            )
            .where(sd.c[column] == rid, live_series())
            .distinct()
        )
        return list(conn.execute(q).mappings())

    def _delete_with_datastreams(
        self, conn: Connection, set_name: str, ident: Any, table: Table, column: str
    ) -> None:
        """Delete a stored Sensor or ObservedProperty and, as the specification says, the
        Datastreams linked by `column`: retired (their observations kept), then unlinked.
        All or nothing: one Datastream the caller may not change is a 403."""
        self._require_staff(set_name)
        rid = self._stored(conn, set_name, ident)
        what = f"{SETS[set_name].singular} {ident}"
        self._check_stations(self._stations_by_datastreams(conn, column, rid), what)
        sd = sta_datastream.c
        linked = (
            select(series.c.id)
            .join(sta_datastream, sd.series_id == series.c.id)
            .where(sd[column] == rid, live_series())
            .order_by(series.c.id)
        )
        for ds_id in list(conn.scalars(linked)):
            self.retire_datastream(conn, ds_id, cause=f"{set_name}({ident})")
        conn.execute(
            update(sta_datastream)
            .where(sd[column] == rid)
            .values({column: None, "updated_at": now_s()})
        )
        conn.execute(delete(table).where(table.c.id == rid))

    # --- Sensors -----------------------------------------------------------------------------
    def _sensor_values(self, doc: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
        if not partial:
            require(doc, ("name", "encodingType", "metadata"), "Sensor")
        values: dict[str, Any] = {}
        for key, column in (("name", "name"), ("encodingType", "encoding_type")):
            if key in doc or not partial:
                values[column] = text(doc, key, required=True)
        if "description" in doc or not partial:
            values["description"] = text(doc, "description") or ""
        if "metadata" in doc or not partial:
            meta = doc.get("metadata")
            if meta is None:
                raise invalid("metadata", "required")
            values["meta"] = meta if isinstance(meta, str) else json.dumps(meta)
        if "properties" in doc or not partial:
            values["properties"] = properties_json(doc)
        return values

    def create_sensor(self, doc: Mapping[str, Any], conn: Connection | None = None) -> int:
        self._require_staff("Sensors")
        values = self._sensor_values(doc, partial=False)
        with self.ctx.store.write() if conn is None else SameTransaction(conn) as c:
            ident = self._insert_stored(c, sta_sensor, "Sensors", values)
            for i, ds in enumerate(doc.get("Datastreams") or []):
                self.create_datastream({**_dict(ds, i), "Sensor": {"@iot.id": ident}}, conn=c)
        if conn is None:
            self.flush_deferred()
        return ident

    def update_sensor(self, ident: Any, doc: Mapping[str, Any]) -> None:
        self._require_staff("Sensors")
        check_keys(doc, SENSOR_KEYS, {"Datastreams"}, "Sensor")
        with self.ctx.store.write() as c:
            rid = self._stored(c, "Sensors", ident)
            used = self._stations_by_datastreams(c, "sensor_id", rid)
            self._check_stations(used, f"Sensor {ident}")
            values = self._sensor_values(doc, partial=True)
            if values:
                c.execute(
                    update(sta_sensor)
                    .where(sta_sensor.c.id == rid)
                    .values(**values, updated_at=now_s())
                )
            for link in doc.get("Datastreams") or []:
                self.link_datastream(c, ingest.link_id(link), sensor=ident)
            self._audit(c, "sta.update", f"Sensors({ident})", {"fields": sorted(values)})

    def delete_sensor(self, conn: Connection, ident: Any) -> None:
        if stored_row(ident) is None and self.visible(conn, "Sensors", ident) is not None:
            # a series' own Sensor: its Datastream goes with it, as for a stored one in use
            self.delete_datastream(conn, ident)
            return
        self._delete_with_datastreams(conn, "Sensors", ident, sta_sensor, "sensor_id")

    # --- ObservedProperties --------------------------------------------------------------------
    def _op_values(self, doc: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
        if not partial:
            require(doc, ("name", "definition"), "ObservedProperty")
        values: dict[str, Any] = {}
        for key in ("name", "definition"):
            if key in doc or not partial:
                values[key] = text(doc, key, required=True)
        if "description" in doc or not partial:
            values["description"] = text(doc, "description") or ""
        if "properties" in doc or not partial:
            values["properties"] = properties_json(doc)
        return values

    def create_observed_property(
        self,
        doc: Mapping[str, Any],
        conn: Connection | None = None,
        *,
        parameter: str | None = None,
    ) -> int:
        """A stored ObservedProperty, with the catalogue parameter it matches (if any)."""
        self._require_staff("ObservedProperties")
        values = self._op_values(doc, partial=False)
        code = parameter or match_parameter(doc)
        now = now_s()
        with self.ctx.store.write() if conn is None else SameTransaction(conn) as c:
            if code is not None:
                ensure_parameter(c, code)
            rid = int(
                c.execute(
                    insert(sta_observed_property)
                    .values(
                        **values,
                        parameter_code=code,
                        created_by=self.p.actor,
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(sta_observed_property.c.id)
                ).scalar_one()
            )
            self._audit(c, "sta.create", f"ObservedProperties({rid})", {"parameter": code})
            for i, ds in enumerate(doc.get("Datastreams") or []):
                link = {"@iot.id": rid}
                self.create_datastream({**_dict(ds, i), "ObservedProperty": link}, conn=c)
        if conn is None:
            self.flush_deferred()
        return rid

    def update_observed_property(self, ident: Any, doc: Mapping[str, Any]) -> None:
        self._require_staff("ObservedProperties")
        check_keys(doc, OP_KEYS, {"Datastreams"}, "ObservedProperty")
        if doc.get("Datastreams"):
            raise unprocessable("Datastreams", "link a Datastream by PATCHing the Datastream")
        with self.ctx.store.write() as c:
            rid = self._stored(c, "ObservedProperties", ident)
            row = c.execute(
                select(sta_observed_property).where(sta_observed_property.c.id == rid)
            ).mappings()
            current = dict(row.one())
            used = self._stations_by_datastreams(c, "observed_property_id", rid)
            self._check_stations(used, f"ObservedProperty {ident}")
            values = self._op_values(doc, partial=True)
            merged = {**current, **values}
            props = json.loads(merged["properties"]) if merged["properties"] else {}
            code = match_parameter({**merged, "properties": props})
            if used and code != current["parameter_code"]:
                if code is not None:
                    raise unprocessable(
                        "ObservedProperty",
                        f"its Datastreams store {current['parameter_code']}; it cannot come to "
                        f"mean {code}",
                    )
                code = current["parameter_code"]  # renamed in the client's words: same quantity
            if code is not None:
                ensure_parameter(c, code)
            c.execute(
                update(sta_observed_property)
                .where(sta_observed_property.c.id == rid)
                .values(**values, parameter_code=code, updated_at=now_s())
            )
            self._audit(c, "sta.update", f"ObservedProperties({rid})", {"fields": sorted(values)})

    def delete_observed_property(self, conn: Connection, ident: Any) -> None:
        if isinstance(ident, str):
            self._delete_catalogue_quantity(conn, ident)
            return
        self._delete_with_datastreams(
            conn, "ObservedProperties", ident, sta_observed_property, "observed_property_id"
        )

    def _delete_catalogue_quantity(self, conn: Connection, code: str) -> None:
        """A catalogue parameter is an ObservedProperty while Datastreams the caller sees
        observe it; deleting it deletes those Datastreams (hidden, their observations kept, as
        a Datastream's DELETE does) — all the caller sees, or none (403). The catalogue
        itself is not changed: a new Datastream of it brings it back."""
        self._require_staff("ObservedProperties")
        if self.visible(conn, "ObservedProperties", code) is None:
            raise ApiError(404, f"no ObservedProperty {code!r}")
        view = SETS["Datastreams"].build(self._scope())
        q = view.select(view.id).where(view.match("op_key", code))
        ids = sorted(int(i) for i in conn.scalars(q))
        stations = conn.execute(
            select(station.c.code, station.c.admin_unit_key, station.c.owner_id)
            .join(series, series.c.station_id == station.c.id)
            .where(series.c.id.in_(ids))
            .distinct()
        ).mappings()
        self._check_stations(list(stations), f"ObservedProperty {code}")
        for ds_id in ids:
            self.retire_datastream(conn, ds_id, cause=f"ObservedProperties('{code}')")

    if TYPE_CHECKING:  # provided by the other writers (write.py composes them)

        def create_datastream(
            self, doc: Mapping[str, Any], conn: Connection | None = None
        ) -> int: ...

        def link_datastream(self, conn: Connection, ds_id: Any, *, sensor: Any) -> None: ...

        def flush_deferred(self) -> None: ...

        def retire_datastream(
            self, conn: Connection, ds_id: int, cause: str | None = None
        ) -> None: ...

        def delete_datastream(self, conn: Connection, ident: Any) -> None: ...


def _dict(value: Any, i: int) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ApiError(400, f"Datastreams[{i}] must be a JSON object")
    return dict(value)
