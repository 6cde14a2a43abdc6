"""Datastreams: series of the registry, created and described through SensorThings by staff.

A Datastream needs a Thing, a Sensor and an ObservedProperty (400 without one, as the
specification says). Its values are stored as a catalogue parameter in that parameter's
storage unit: its ObservedProperty is — or, in the client's own words, matches — a parameter
of the catalogue, or, outside it, becomes a province parameter whose values are kept in
whatever unit the Datastream declares, and may change (`_new_quantity`). Its observationType
decides what its results may be (`results.check_result`): numbers for OM_Measurement, the
registry's own series. Sensors and ObservedProperties given inline are stored as given
(`sta_sensor`, `sta_observed_property`) and linked; the client's name, description and
unitOfMeasurement of the Datastream are kept too.

DELETE deletes the series (`series.deleted_at`): the Datastream and its Observations are gone
from every answer, as the specification's cascade would have them, but the observations stay
in the database for the audit. A station keeps one series per parameter, so a deleted
Datastream's parameter cannot be given a new Datastream there (409 saying so).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select, update

from quantrac.api.errors import ApiError
from quantrac.api.sta import ingest
from quantrac.api.sta.core import OM_MEASUREMENT, STORED_BASE, stored_row
from quantrac.api.sta.write_base import (
    SameTransaction,
    WriterBase,
    check_keys,
    invalid,
    obj,
    text,
    unprocessable,
)
from quantrac.auth.scope import live_series
from quantrac.catalog import get_catalog
from quantrac.catalog.catalog import add_local_parameter
from quantrac.catalog.text import fold
from quantrac.store.catalog_sync import upsert_parameter
from quantrac.store.db import now_s
from quantrac.store.registry import ensure_series, retire_series
from quantrac.store.schema import series
from quantrac.store.schema_sta import sta_datastream, sta_observed_property

DATASTREAM_KEYS = {"name", "description", "unitOfMeasurement", "observationType"}
DATASTREAM_NAVS = {"Thing", "Sensor", "ObservedProperty", "Observations"}


class DatastreamWriter(WriterBase):
    # --- the three mandatory relations ----------------------------------------------------------
    def _sensor(self, conn: Connection, doc: Any) -> int | None:
        """The stored Sensor to link (created if inline); None keeps the derived one."""
        if doc is None:
            raise invalid("Sensor", 'required: {"@iot.id": …} or a new Sensor')
        ref = ingest.link_id(doc)
        if ref is None:
            sensor = self.create_sensor(obj(doc, "Sensor"), conn=conn)
            return stored_row(sensor)
        if self.visible(conn, "Sensors", ref) is None:
            raise unprocessable("Sensor", f"no Sensor {ref!r}")
        row = stored_row(ref)
        if row is None:
            raise unprocessable(
                "Sensor",
                f"Sensors({ref}) describes the method of Datastream {ref}; to share a Sensor, "
                "create one (POST Sensors) and link it",
            )
        return row

    def _quantity(
        self, conn: Connection, doc: Any, medium: str, uom: Any = None
    ) -> tuple[str, int | None]:
        """(catalogue parameter, stored ObservedProperty to link or None)."""
        if doc is None:
            raise invalid("ObservedProperty", 'required: {"@iot.id": …} or a new one')
        catalog = get_catalog()
        ref = ingest.link_id(doc)
        if isinstance(ref, str):
            if ref in catalog.parameters.by_code:
                return ref, None
            raise unprocessable(
                "ObservedProperty",
                f"no ObservedProperty {ref!r}; catalogue ids are codes such as 'PM25'",
            )
        if ref is not None:
            row = self.visible(conn, "ObservedProperties", ref)
            if row is None or row["num"] is None:
                raise unprocessable("ObservedProperty", f"no ObservedProperty {ref!r}")
            if row["parameter_code"] is None:
                code = self._new_quantity(conn, row["name"], row["description"], uom)
                conn.execute(
                    update(sta_observed_property)
                    .where(sta_observed_property.c.id == int(ref))
                    .values(parameter_code=code)
                )
                return code, int(ref)
            return row["parameter_code"], int(ref)
        doc = obj(doc, "ObservedProperty")
        from quantrac.api.sta.write_entities import match_parameter

        code = match_parameter(doc, medium)
        if code is None:
            name = text(doc, "name", required=True) or ""
            code = self._new_quantity(conn, name, text(doc, "description") or "", uom)
        return code, self.create_observed_property(doc, conn=conn, parameter=code)

    def _new_quantity(self, conn: Connection, name: str, description: str, uom: Any) -> str:
        """A quantity outside the national catalogue becomes a province parameter (as `quantrac
        catalog add-parameter` makes one) in the unit the Datastream declares (dimensionless
        when quantrac does not know that unit: the series keeps the client's symbol): its
        values are then kept as sent, checked for time, and shared like any other, with no
        QCVN limit. The same name in the same unit is the same parameter again.

        The parameter file is written before the caller's transaction commits, so a request
        refused later leaves the parameter in the file (unused, as after `catalog
        add-parameter`); its database row is written whenever it is used
        (`catalog_sync.ensure_parameter`)."""
        catalog = get_catalog()
        if not isinstance(uom, Mapping):
            raise unprocessable(
                "unitOfMeasurement",
                f"{name!r} is outside the parameter catalogue: its Datastream needs the unit its "
                "results are given in (unitOfMeasurement {name, symbol, definition})",
            )
        unit = catalog.units.find(str(uom.get("symbol") or "-")) or catalog.units.find("-")
        assert unit is not None  # the catalogue always has the dimensionless unit
        base = "STA_" + (re.sub(r"[^A-Z0-9]+", "_", fold(name).upper()).strip("_")[:20] or "Q")
        code, n = base, 1
        while code in catalog.parameters.by_code:
            known = catalog.parameters.by_code[code]
            if known.provenance == "local" and known.name_en == name and known.unit == unit.symbol:
                return code
            n += 1
            code = f"{base}_{n}"
        media = "|".join(catalog.media.by_code)
        add_local_parameter(code, description or name, name, unit.symbol, media)
        get_catalog.cache_clear()  # type: ignore[attr-defined]
        upsert_parameter(conn, get_catalog().parameters.get(code))
        self._audit(conn, "catalog.add_parameter", code, {"name": name, "unit": unit.symbol})
        return code

    def _check_unit(self, uom: Any, code: str, medium: str) -> str | None:
        """The unit the series' values are in, from a Datastream's unitOfMeasurement (None:
        not given). A catalogue parameter is stored in its storage unit (422 for another); a
        quantity outside the catalogue is kept in whatever unit its client declares, known to
        quantrac or not, and never converted."""
        if uom is None:
            return None
        if not isinstance(uom, Mapping):
            raise unprocessable("unitOfMeasurement", "must be an object {name, symbol, definition}")
        catalog = get_catalog()
        symbol = uom.get("symbol")
        unit = catalog.units.find(str(symbol)) if symbol not in (None, "") else None
        if _free(code):
            if unit is not None:
                return unit.symbol
            return (
                str(symbol)[:32] if symbol not in (None, "") else catalog.parameters.get(code).unit
            )
        canonical = catalog.parameters.canonical_unit(code, medium)
        if symbol in (None, ""):
            return None
        if unit is None or unit != catalog.units.find(canonical):
            raise unprocessable(
                "unitOfMeasurement.symbol",
                f"{code} at a {medium} station is stored in {canonical}; "
                f"send values in {canonical}",
            )
        return None

    # --- create ------------------------------------------------------------------------------
    def create_datastream(self, doc: Mapping[str, Any], conn: Connection | None = None) -> int:
        with self.ctx.store.write() if conn is None else SameTransaction(conn) as c:
            thing = doc.get("Thing")
            sid = ingest.link_id(thing)
            if sid is None:
                if not isinstance(thing, Mapping):
                    raise invalid("Thing", 'required: {"@iot.id": …} or a new Thing')
                sid = self.create_thing(thing, conn=c)
            st = self._station(c, sid, staff=True)
            if doc.get("ObservedProperty") is None:
                raise invalid("ObservedProperty", 'required: {"@iot.id": …} or a new one')
            if doc.get("Sensor") is None:
                raise invalid("Sensor", 'required: {"@iot.id": …} or a new Sensor')
            kind = _observation_type(doc)
            uom = doc.get("unitOfMeasurement")
            code, op_id = self._quantity(c, doc["ObservedProperty"], st["medium"], uom)
            unit = self._check_unit(uom, code, st["medium"])
            self._check_new(c, st, code)
            sensor_id = self._sensor(c, doc["Sensor"])
            ds_id = ensure_series(self.ctx.store, st["code"], code, conn=c)
            if unit is not None:
                c.execute(update(series).where(series.c.id == ds_id).values(unit=unit))
            c.execute(
                insert(sta_datastream).values(
                    series_id=ds_id,
                    sensor_id=sensor_id,
                    observed_property_id=op_id,
                    name=text(doc, "name"),
                    description=text(doc, "description"),
                    unit_json=_words(uom),
                    observation_type=kind,
                    updated_at=now_s(),
                )
            )
            self._audit(
                c, "sta.create", f"Datastreams({ds_id})", {"station": st["code"], "parameter": code}
            )
            if doc.get("Observations"):
                obs = doc["Observations"]
                if not isinstance(obs, list):
                    raise invalid("Observations", "must be a list")
                body = json.dumps(
                    [
                        {**obj(o, f"Observations[{i}]"), "Datastream": {"@iot.id": ds_id}}
                        for i, o in enumerate(obs)
                    ]
                ).encode()
                # Checked now, stored once the registry transaction has committed (the
                # archive and the pipeline open their own transactions).
                self.check_observations(c, body)
                self._deferred.append(body)
        if conn is None:
            self.flush_deferred()
        return ds_id

    def _check_new(self, conn: Connection, st: Mapping[str, Any], code: str) -> None:
        """A station has one Datastream per parameter (409 for a second), and a deleted one
        keeps its place: its observations are kept, so it is not replaced."""
        found = conn.execute(
            select(series.c.id, series.c.deleted_at).where(
                series.c.station_id == st["id"],
                series.c.parameter_code == code,
                series.c.method == "",
            )
        ).first()
        if found is None:
            return
        if found.deleted_at is None:
            raise ApiError(
                409,
                f"station {st['code']} already has a Datastream of {code}: Datastreams({found.id})",
            )
        raise ApiError(
            409,
            f"station {st['code']}'s Datastream of {code} was deleted; its observations are "
            f"kept, so {code} cannot get a new Datastream at this station",
        )

    def flush_deferred(self) -> None:
        while self._deferred:
            self.create_observations_body(self._deferred.pop(0))

    # --- update ------------------------------------------------------------------------------
    def _series(self, conn: Connection, ident: Any) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
        q = select(series).where(series.c.id == ident, live_series())
        d = conn.execute(q).mappings().first()
        if d is None or not isinstance(ident, int):
            raise ApiError(404, f"no Datastream {ident!r}")
        return d, self._station(conn, d["station_id"], staff=True)

    def _overlay(self, conn: Connection, ds_id: int, **values: Any) -> None:
        """Set what the client says about a series (its sta_datastream row)."""
        values["updated_at"] = now_s()
        done = conn.execute(
            update(sta_datastream).where(sta_datastream.c.series_id == ds_id).values(**values)
        )
        if not done.rowcount:
            conn.execute(insert(sta_datastream).values(series_id=ds_id, **values))

    def link_datastream(self, conn: Connection, ds_id: Any, *, sensor: Any) -> None:
        _, _ = self._series(conn, ds_id)
        self._overlay(conn, ds_id, sensor_id=self._sensor(conn, {"@iot.id": sensor}))

    def update_datastream(self, ident: Any, doc: Mapping[str, Any]) -> None:
        check_keys(doc, DATASTREAM_KEYS, DATASTREAM_NAVS, "Datastream")
        if doc.get("Observations"):
            raise invalid("Observations", "create Observations with POST, not in a PATCH")
        with self.ctx.store.write() as c:
            d, st = self._series(c, ident)
            unit = self._check_unit(doc.get("unitOfMeasurement"), d["parameter_code"], st["medium"])
            values: dict[str, Any] = {}
            if "observationType" in doc:
                values["observation_type"] = _observation_type(doc)
            if unit is not None and unit != d["unit"]:
                # the values already stored stay as they are: the audit row says from when
                c.execute(update(series).where(series.c.id == d["id"]).values(unit=unit))
                self._audit(c, "sta.unit", f"Datastreams({ident})", {"from": d["unit"], "to": unit})
            for key in ("name", "description"):
                if key in doc:
                    values[key] = text(doc, key)
            if "unitOfMeasurement" in doc:
                values["unit_json"] = _words(doc["unitOfMeasurement"])
            if "Thing" in doc and ingest.link_id(doc["Thing"]) != st["id"]:
                raise unprocessable("Thing", "a Datastream stays with its station")
            if "Sensor" in doc:
                ref = ingest.link_id(doc["Sensor"])
                values["sensor_id"] = None if ref == d["id"] else self._sensor(c, doc["Sensor"])
            if "ObservedProperty" in doc:
                code, op_id = self._quantity(c, doc["ObservedProperty"], st["medium"])
                if code != d["parameter_code"]:
                    raise unprocessable(
                        "ObservedProperty",
                        f"this Datastream stores {d['parameter_code']}; a Datastream of {code} "
                        "is a new Datastream",
                    )
                values["observed_property_id"] = op_id
            if values:
                self._overlay(c, d["id"], **values)
            self._audit(c, "sta.update", f"Datastreams({ident})", {"fields": sorted(values)})

    # --- delete ------------------------------------------------------------------------------
    def delete_datastream(self, conn: Connection, ident: Any) -> None:
        d, _ = self._series(conn, ident)
        self.retire_datastream(conn, d["id"])

    def retire_datastream(self, conn: Connection, ds_id: int, cause: str | None = None) -> None:
        """Retire a series the caller may change: hidden with its Observations, kept in the
        database (quantrac never destroys measured data). Its stored Sensor and
        ObservedProperty are unlinked (named in the audit row), so a retired series neither
        hides them from whoever sees them elsewhere nor holds them. `cause`: the entity whose
        DELETE retires it."""
        retire_series(self.ctx.store, ds_id, conn=conn, delete=True)
        details: dict[str, Any] = {"retired": True, "observations": "kept"}
        if cause is not None:
            details["because"] = f"{cause} was deleted"
        sd = sta_datastream.c
        links = conn.execute(
            select(sd.sensor_id, sd.observed_property_id).where(sd.series_id == ds_id)
        ).first()
        if links is not None:
            if links.sensor_id is not None:
                details["sensor"] = f"Sensors({STORED_BASE + links.sensor_id})"
            if links.observed_property_id is not None:
                details["observed_property"] = f"ObservedProperties({links.observed_property_id})"
            self._overlay(conn, ds_id, sensor_id=None, observed_property_id=None)
        self._audit(conn, "sta.retire", f"Datastreams({ds_id})", details)

    if TYPE_CHECKING:  # provided by the other writers (write.py composes them)

        def create_thing(self, doc: Mapping[str, Any], conn: Connection | None = None) -> int: ...

        def create_sensor(self, doc: Mapping[str, Any], conn: Connection | None = None) -> int: ...

        def create_observed_property(
            self,
            doc: Mapping[str, Any],
            conn: Connection | None = None,
            *,
            parameter: str | None = None,
        ) -> int: ...

        def create_observations_body(self, data: bytes) -> list[tuple[int, int]]: ...

        def check_observations(self, conn: Connection, data: bytes) -> None: ...


def _free(code: str) -> bool:
    """A quantity outside the national catalogue (a province's own, or one a client
    brought): no QCVN limit reads its values, so they stay in the unit their client gives."""
    return get_catalog().parameters.get(code).provenance == "local"


def _observation_type(doc: Mapping[str, Any]) -> str | None:
    """The observationType to keep: None for OM_Measurement (numbers, the registry's own
    series), else the client's URI as written; it decides what results may be
    (`results.check_result`)."""
    value = doc.get("observationType")
    if value is None or value == OM_MEASUREMENT:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 255:
        raise invalid("observationType", "a URI of at most 255 characters, e.g. " + OM_MEASUREMENT)
    return value


def _words(uom: Any) -> str | None:
    """A unitOfMeasurement as the client wrote it."""
    return json.dumps(uom, ensure_ascii=False) if isinstance(uom, Mapping) else None
