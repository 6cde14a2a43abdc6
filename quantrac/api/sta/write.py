"""Creating, changing and deleting SensorThings entities — each mapped onto the registry.

- Observations: any credential with `write` over the station (a station's own key, its
  enterprise, province staff, admins). Bodies are archived first, then go through the ingest
  pipeline all-or-nothing; a change of value is a revision (who, when, old, new).
- Things, Locations, Datastreams: staff (national or provincial) within their scope.
  Deleting a Thing retires the station (its history stays); a Datastream with data is not
  deleted (409).
- ObservedProperties are the catalogue: creating one answers the matching catalogue parameter
  (or 422 with the nearest names). Sensors, FeaturesOfInterest and HistoricalLocations are
  derived from the registry and are changed through the Thing/Location (422 says how).
Every write leaves an audit row (who, what, when, from where).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from quantrac.api.context import ApiContext
from quantrac.api.errors import ApiError
from quantrac.api.sta import ingest
from quantrac.api.sta.geo import from_geojson
from quantrac.api.sta.model import EntitySet, observation_id, self_link, split_observation_id
from quantrac.api.sta.paths import ResourcePath
from quantrac.auth import audit
from quantrac.auth.principal import Principal
from quantrac.auth.scope import visible_station
from quantrac.catalog import get_catalog
from quantrac.catalog.text import fold, nearest
from quantrac.errors import ConflictError, UnknownParameter
from quantrac.pipeline.ingest import ingest_readings
from quantrac.store.db import now_s
from quantrac.store.registry import StationSpec, create_station, ensure_series
from quantrac.store.schema import observation, observation_revision, series, station

THING_KEYS = {
    "code", "kind", "medium", "admin_unit", "owner", "network", "visibility", "regulation",
    "regulation_column", "reporting_interval_s", "address",
}  # fmt: skip


def unprocessable(where: str, message: str) -> ApiError:
    return ApiError(422, f"{where}: {message}", [(where, message)])


def _obj(body: Any, where: str = "body") -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise ApiError(400, f"{where} must be a JSON object", [(where, type(body).__name__)])
    return body


def _str(doc: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = doc.get(key)
    if value is None:
        if required:
            raise unprocessable(key, "required")
        return None
    if not isinstance(value, str):
        raise unprocessable(key, "must be text")
    return value


@dataclass
class Writer:
    ctx: ApiContext
    p: Principal
    remote_addr: str
    base: str
    _deferred: list[bytes] = field(default_factory=list)

    # --- permissions -------------------------------------------------------------------------
    def _require_write(self) -> None:
        if self.p.role == "public" and self.p.actor == "anonymous":
            raise ApiError(
                401,
                "writing needs an API key or a login",
                headers={"WWW-Authenticate": 'Basic realm="quantrac"'},
            )
        if not self.p.can_write:
            raise ApiError(403, "this credential may not write (scope 'write' needed)")

    def _station(self, conn: Connection, station_id: Any, *, staff: bool) -> Mapping[str, Any]:
        """A station the caller may change: unknown and invisible are 404, others 403."""
        self._require_write()
        if staff and not self.p.is_staff:
            raise ApiError(403, "only agency staff may change the station registry")
        if not isinstance(station_id, int) or isinstance(station_id, bool):
            raise ApiError(404, f"no Thing {station_id!r}")
        row = (
            conn.execute(select(station).where(station.c.id == station_id, visible_station(self.p)))
            .mappings()
            .first()
        )
        if row is None:
            raise ApiError(404, f"no Thing {station_id}")
        if not self.p.has_full_access(row["admin_unit_key"], row["owner_id"]):
            raise ApiError(403, f"station {row['code']} is outside this credential's scope")
        return row

    def _audit(self, conn: Connection, action: str, target: str, details: Any = None) -> None:
        audit.record(conn, self.p.actor, action, target, details, self.remote_addr)

    # --- dispatch ----------------------------------------------------------------------------
    def create(self, rp: ResourcePath, body: Any) -> tuple[str, Any]:
        """POST to a collection; returns (Location, created id)."""
        last = rp.last
        if last.single or rp.prop or rp.ref:
            raise ApiError(
                405, "POST goes to a collection, e.g. /Things or /Datastreams(1)/Observations"
            )
        doc = dict(_obj(body))
        if len(rp.steps) > 1:
            parent = rp.steps[-2]
            doc = self._with_parent(parent.es, parent.ident, last.nav or "", doc)
        handlers = {
            "Things": self.create_thing, "Locations": self.create_location,
            "Datastreams": self.create_datastream, "Observations": self.create_observation,
            "ObservedProperties": self.create_observed_property,
        }  # fmt: skip
        handler = handlers.get(last.es.name)
        if handler is None:
            raise unprocessable(last.es.name, last.es.readonly_reason or "read-only")
        ident = handler(doc)
        self.ctx.bump()
        return self_link(self.base, last.es.name, ident), ident

    def _with_parent(self, parent: EntitySet, ident: Any, nav: str, doc: dict) -> dict:
        link = {"@iot.id": ident}
        if parent.name == "Things" and nav == "Datastreams":
            doc["Thing"] = link
        elif parent.name == "Things" and nav == "Locations":
            doc["Things"] = [link]
        elif parent.name == "Datastreams" and nav == "Observations":
            doc["Datastream"] = link
        else:
            raise ApiError(405, f"cannot create {nav} under {parent.name}")
        return doc

    # --- Things ------------------------------------------------------------------------------
    def _unique_code(self, conn: Connection, name: str) -> str:
        base = re.sub(r"[^A-Z0-9]+", "_", fold(name).upper()).strip("_")[:40] or "STA"
        code, n = base, 1
        while conn.scalar(select(station.c.id).where(station.c.code == code)) is not None:
            n += 1
            code = f"{base}_{n}"
        return code

    def _thing_spec(self, conn: Connection, doc: Mapping[str, Any]) -> StationSpec:
        name = _str(doc, "name") or _str(doc, "description")
        if not name:
            raise unprocessable("name", "required")
        props = doc.get("properties") or {}
        if not isinstance(props, Mapping):
            raise unprocessable("properties", "must be an object")
        unknown = sorted(set(props) - THING_KEYS)
        if unknown:
            raise unprocessable(
                "properties",
                f"unknown key(s) {', '.join(unknown)}; a station "
                f"has: {', '.join(sorted(THING_KEYS))}",
            )
        if not props.get("medium"):
            media = ", ".join(get_catalog().media.by_code)
            raise unprocessable("properties.medium", f"required: one of {media}")
        lat = lon = None
        locations = doc.get("Locations")
        if locations:
            if not isinstance(locations, list):
                raise unprocessable("Locations", "must be a list")
            lon, lat = self._location_point(conn, locations[0], "Locations[0]")
        unit = props.get("admin_unit") or self.p.home_unit
        values = {k: v for k, v in props.items() if k not in ("admin_unit",)}
        values.update(
            code=props.get("code") or self._unique_code(conn, name),
            name=name,
            kind=props.get("kind") or "automatic",
            admin_unit=unit,
            latitude=lat,
            longitude=lon,
            notes=_str(doc, "description"),
        )
        return StationSpec.model_validate(values)

    def _location_point(self, conn: Connection, loc: Any, where: str) -> tuple[float, float]:
        ref = ingest.link_id(loc)
        if ref is not None:
            row = conn.execute(
                select(station.c.longitude, station.c.latitude).where(
                    station.c.id == ref, visible_station(self.p), station.c.latitude.is_not(None)
                )
            ).first()
            if row is None:
                raise unprocessable(where, f"no Location {ref!r}")
            return float(row[0]), float(row[1])
        loc = _obj(loc, where)
        return from_geojson(loc.get("location") or loc.get("feature"), f"{where}.location")

    def create_thing(self, doc: Mapping[str, Any], conn: Connection | None = None) -> int:
        self._require_write()
        if not self.p.is_staff:
            raise ApiError(403, "only agency staff may add stations")
        with self.ctx.store.write() if conn is None else _SameTransaction(conn) as c:
            spec = self._thing_spec(c, doc)
            spec.check_column()
            if self.p.role == "province" and (spec.admin_unit or "") not in self.p.admin_unit_keys:
                raise ApiError(
                    403,
                    f"province staff add stations in their province "
                    f"({', '.join(sorted(self.p.admin_unit_keys))})",
                )
            sid = create_station(self.ctx.store, spec, conn=c)
            self._audit(c, "sta.create", f"Things({sid})", {"code": spec.code})
            for i, ds in enumerate(doc.get("Datastreams") or []):
                self.create_datastream(
                    {**_obj(ds, f"Datastreams[{i}]"), "Thing": {"@iot.id": sid}}, conn=c
                )
        if conn is None:
            self.flush_deferred()
        return sid

    def create_location(self, doc: Mapping[str, Any]) -> int:
        things = doc.get("Things")
        if not isinstance(things, list) or not things:
            raise unprocessable(
                "Things",
                'a Location belongs to a station: give "Things": '
                '[{"@iot.id": …}] or POST to Things(id)/Locations',
            )
        lon, lat = from_geojson(doc.get("location"), "location")
        first = None
        with self.ctx.store.write() as conn:
            for i, t in enumerate(things):
                sid = ingest.link_id(t)
                row = self._station(conn, sid, staff=True)
                values: dict[str, Any] = {"latitude": lat, "longitude": lon, "updated_at": now_s()}
                if isinstance(doc.get("description"), str):
                    values["address"] = doc["description"]
                conn.execute(update(station).where(station.c.id == row["id"]).values(**values))
                self._audit(
                    conn,
                    "sta.create",
                    f"Locations({row['id']})",
                    {"latitude": lat, "longitude": lon, "thing": i},
                )
                first = first or row["id"]
        return int(first)  # type: ignore[arg-type]

    # --- ObservedProperties ------------------------------------------------------------------
    def resolve_parameter(self, doc: Any, medium: str | None = None) -> str:
        ref = ingest.link_id(doc)
        catalog = get_catalog()
        if ref is not None:
            if isinstance(ref, str) and ref in catalog.parameters.by_code:
                return ref
            raise unprocessable(
                "ObservedProperty",
                f"no ObservedProperty {ref!r}; ids are catalogue codes such as 'PM25'",
            )
        doc = _obj(doc, "ObservedProperty")
        props = doc.get("properties") if isinstance(doc.get("properties"), Mapping) else {}
        candidates = [
            props.get("code"),
            doc.get("name"),
            str(doc.get("definition") or "").rsplit(":", 1)[-1] or None,
        ]
        for text in candidates:
            if isinstance(text, str) and text:
                try:
                    return catalog.parameter(text, medium).code
                except UnknownParameter:
                    continue
        name = str(doc.get("name") or "")
        raise unprocessable(
            "ObservedProperty",
            f"{name!r} is not in the parameter catalogue; nearest: "
            f"{', '.join(nearest(name, catalog.parameters.by_code)) or '—'}",
        )

    def create_observed_property(self, doc: Mapping[str, Any]) -> str:
        self._require_write()
        return self.resolve_parameter(doc)

    # --- Datastreams -------------------------------------------------------------------------
    def create_datastream(self, doc: Mapping[str, Any], conn: Connection | None = None) -> int:
        with self.ctx.store.write() if conn is None else _SameTransaction(conn) as c:
            thing = doc.get("Thing")
            sid = ingest.link_id(thing)
            if sid is None:
                if not isinstance(thing, Mapping):
                    raise unprocessable("Thing", 'required: {"@iot.id": …} or a new Thing')
                sid = self.create_thing(thing, conn=c)
            st = self._station(c, sid, staff=True)
            if doc.get("ObservedProperty") is None:
                raise unprocessable("ObservedProperty", "required")
            code = self.resolve_parameter(doc["ObservedProperty"], st["medium"])
            self._check_unit(doc.get("unitOfMeasurement"), code, st["medium"])
            exists = c.scalar(
                select(series.c.id).where(
                    series.c.station_id == st["id"],
                    series.c.parameter_code == code,
                    series.c.method == "",
                )
            )
            if exists is not None:
                raise ApiError(
                    409,
                    f"station {st['code']} already has a Datastream of {code}: "
                    f"Datastreams({exists})",
                )
            ds_id = ensure_series(self.ctx.store, st["code"], code, conn=c)
            self._audit(
                c, "sta.create", f"Datastreams({ds_id})", {"station": st["code"], "parameter": code}
            )
        if doc.get("Observations"):
            obs = doc["Observations"]
            if not isinstance(obs, list):
                raise unprocessable("Observations", "must be a list")
            # Observations go through the archive and the pipeline, which open their own
            # transactions: run them once the registry transaction has committed.
            self._deferred.append(
                json.dumps(
                    [
                        {**_obj(o, f"Observations[{i}]"), "Datastream": {"@iot.id": ds_id}}
                        for i, o in enumerate(obs)
                    ]
                ).encode()
            )
        if conn is None:
            self.flush_deferred()
        return ds_id

    def flush_deferred(self) -> None:
        while self._deferred:
            self.create_observations_body(self._deferred.pop(0))

    def _check_unit(self, uom: Any, code: str, medium: str) -> None:
        if uom is None:
            return
        if not isinstance(uom, Mapping):
            raise unprocessable("unitOfMeasurement", "must be an object {name, symbol, definition}")
        catalog = get_catalog()
        canonical = catalog.parameters.canonical_unit(code, medium)
        symbol = uom.get("symbol")
        if symbol in (None, ""):
            return
        unit = catalog.units.find(str(symbol))
        if unit is None or unit != catalog.units.find(canonical):
            raise unprocessable(
                "unitOfMeasurement.symbol",
                f"{code} at a {medium} station is stored in {canonical}; "
                f"send values in {canonical}",
            )

    # --- Observations ------------------------------------------------------------------------
    def create_observation(self, doc: Mapping[str, Any]) -> int:
        keys = self.create_observations_body(json.dumps(doc).encode())
        return observation_id(*keys[0])

    def create_observations_body(self, data: bytes) -> list[tuple[int, int]]:
        """Archive the body, check everything, then ingest all of it or nothing."""
        self._require_write()
        archive = self.ctx.archive
        digest = hashlib.sha256(data).hexdigest()[:24]
        received = archive.receive(data, f"sta_{digest}{ingest.SUFFIX}", "sta", sender=self.p.actor)
        with self.ctx.store.read() as conn:
            parsed = ingest.parse(conn, data)
        for sid, t in sorted(parsed.targets.items()):
            if self.p.has_full_access(t.admin_unit_key, t.owner_id):
                continue
            archive.mark(received.raw_file_id, "quarantined", "not allowed", None, "station")
            if t.visibility != "public":  # invisible to this caller: as if it did not exist
                raise ApiError(404, f"no Datastream {sid}", [("Datastream", str(sid))])
            raise ApiError(403, f"this credential may not write to station {t.station_code}")
        if parsed.problems:
            archive.mark(
                received.raw_file_id,
                "quarantined",
                "; ".join(f"{w}: {m}" for w, m in parsed.problems[:20]),
            )
            ingest.refuse(parsed)
        outcome = ingest_readings(
            self.ctx.store,
            parsed.readings,
            source=f"sta:{received.raw_file_id}",
            raw_file_id=received.raw_file_id,
            changed_by=self.p.actor,
            partial=False,
        )
        with self.ctx.store.write() as conn:
            archive.mark(received.raw_file_id, "parsed", conn=conn)
            self._audit(
                conn,
                "sta.observations",
                f"raw_file:{received.raw_file_id}",
                {
                    "received": len(parsed.readings),
                    "stored": outcome.result.inserted + outcome.result.revised,
                },
            )
        self.ctx.bump()
        return parsed.keys

    # --- updates -----------------------------------------------------------------------------
    def update(self, rp: ResourcePath, body: Any) -> None:
        last = rp.last
        if not last.single or last.ident is None or rp.prop or rp.ref:
            raise ApiError(405, "PATCH/PUT address one entity by id, e.g. /Things(1)")
        doc = _obj(body)
        handlers = {
            "Things": self.update_thing, "Locations": self.update_location,
            "FeaturesOfInterest": self.update_location, "Observations": self.update_observation,
            "Datastreams": self.update_datastream,
        }  # fmt: skip
        handler = handlers.get(last.es.name)
        if handler is None:
            raise unprocessable(last.es.name, last.es.readonly_reason or "read-only")
        handler(last.ident, doc)
        self.ctx.bump()

    def update_thing(self, ident: Any, doc: Mapping[str, Any]) -> None:
        from quantrac.store.registry import update_station

        with self.ctx.store.read() as conn:
            row = self._station(conn, ident, staff=True)
            changes: dict[str, Any] = {}
            if "name" in doc:
                changes["name"] = _str(doc, "name", required=True)
            if "description" in doc:
                changes["notes"] = _str(doc, "description")
            props = doc.get("properties")
            if props is not None:
                if not isinstance(props, Mapping):
                    raise unprocessable("properties", "must be an object")
                unknown = sorted(set(props) - THING_KEYS - {"code"})
                if unknown:
                    raise unprocessable("properties", f"unknown key(s) {', '.join(unknown)}")
                if props.get("code", row["code"]) != row["code"]:
                    raise unprocessable("properties.code", "a station code does not change")
                changes.update({k: v for k, v in props.items() if k != "code"})
            if doc.get("Locations"):
                locs = doc["Locations"]
                if not isinstance(locs, list):
                    raise unprocessable("Locations", "must be a list")
                lon, lat = self._location_point(conn, locs[0], "Locations[0]")
                changes.update(longitude=lon, latitude=lat)
        unsupported = sorted(
            set(doc)
            - {"name", "description", "properties", "Locations", "@iot.id", "id", "@iot.selfLink"}
            - {k for k in doc if "@iot." in k}
        )
        if unsupported:
            raise unprocessable(", ".join(unsupported), "cannot be changed on a Thing")
        if (
            self.p.role == "province"
            and changes.get("admin_unit", row["admin_unit_key"]) not in self.p.admin_unit_keys
        ):
            raise ApiError(403, "province staff keep stations in their province")
        if changes:
            update_station(self.ctx.store, row["code"], changes)
        with self.ctx.store.write() as conn:
            self._audit(conn, "sta.update", f"Things({ident})", {"fields": sorted(changes)})

    def update_location(self, ident: Any, doc: Mapping[str, Any]) -> None:
        with self.ctx.store.write() as conn:
            row = self._station(conn, ident, staff=True)
            if row["latitude"] is None:
                raise ApiError(404, f"no Location {ident}")
            values: dict[str, Any] = {"updated_at": now_s()}
            geometry = doc.get("location", doc.get("feature"))
            if geometry is not None:
                lon, lat = from_geojson(geometry, "location")
                values.update(longitude=lon, latitude=lat)
            if "name" in doc:
                values["name"] = _str(doc, "name", required=True)
            if "description" in doc:
                values["address"] = _str(doc, "description")
            conn.execute(update(station).where(station.c.id == row["id"]).values(**values))
            self._audit(conn, "sta.update", f"Locations({ident})", {"fields": sorted(values)})

    def update_datastream(self, ident: Any, doc: Mapping[str, Any]) -> None:
        with self.ctx.store.read() as conn:
            d = conn.execute(select(series).where(series.c.id == ident)).mappings().first()
            if d is None:
                raise ApiError(404, f"no Datastream {ident}")
            st = self._station(conn, d["station_id"], staff=True)
        self._check_unit(doc.get("unitOfMeasurement"), d["parameter_code"], st["medium"])
        other = sorted(
            k for k in doc if k != "unitOfMeasurement" and "@iot." not in k and k != "id"
        )
        if other:
            raise unprocessable(
                ", ".join(other),
                "derived from the station and the parameter "
                "catalogue; change the Thing or the catalogue",
            )

    def update_observation(self, ident: Any, doc: Mapping[str, Any]) -> None:
        if not isinstance(ident, int):
            raise ApiError(404, f"no Observation {ident!r}")
        sid, t = split_observation_id(ident)
        with self.ctx.store.read() as conn:
            row = (
                conn.execute(
                    select(observation).where(
                        observation.c.series_id == sid, observation.c.time == t
                    )
                )
                .mappings()
                .first()
            )
            if row is None:
                raise ApiError(404, f"no Observation {ident}")
            d = conn.execute(select(series).where(series.c.id == sid)).mappings().first()
            self._station(conn, d["station_id"] if d else None, staff=False)
        if "phenomenonTime" in doc:
            from quantrac.api.timeparse import parse_instant

            if parse_instant(doc["phenomenonTime"], "phenomenonTime") != t:
                raise ApiError(
                    400,
                    "phenomenonTime is the key of an observation in quantrac; "
                    "DELETE it and create the corrected one",
                    [("phenomenonTime", "cannot change")],
                )
        new = {
            "Datastream": {"@iot.id": sid},
            "phenomenonTime": _iso(t),
            "result": doc.get("result", row["value"]),
        }
        status = row["device_status"]
        params = doc.get("parameters")
        if isinstance(params, Mapping) and "device_status" in params:
            status = params["device_status"]
        if status is not None:
            new["parameters"] = {"device_status": status}
        self.create_observations_body(json.dumps(new).encode())

    # --- deletes -----------------------------------------------------------------------------
    def delete(self, rp: ResourcePath) -> None:
        last = rp.last
        if not last.single or last.ident is None or rp.prop:
            raise ApiError(405, "DELETE addresses one entity by id, e.g. /Things(1)")
        name = last.es.name
        with self.ctx.store.write() as conn:
            if name == "Things":
                row = self._station(conn, last.ident, staff=True)
                conn.execute(
                    update(station)
                    .where(station.c.id == row["id"])
                    .values(retired_at=now_s(), updated_at=now_s())
                )
            elif name == "Locations":
                row = self._station(conn, last.ident, staff=True)
                conn.execute(
                    update(station)
                    .where(station.c.id == row["id"])
                    .values(latitude=None, longitude=None, updated_at=now_s())
                )
            elif name == "Datastreams":
                self._delete_datastream(conn, last.ident)
            elif name == "Observations":
                self._delete_observation(conn, last.ident)
            else:
                raise ApiError(405, f"{name}: {last.es.readonly_reason or 'read-only'}")
            self._audit(conn, "sta.delete", f"{name}({last.ident})")
        self.ctx.bump()

    def _delete_datastream(self, conn: Connection, ident: Any) -> None:
        d = conn.execute(select(series).where(series.c.id == ident)).mappings().first()
        if d is None:
            raise ApiError(404, f"no Datastream {ident}")
        self._station(conn, d["station_id"], staff=True)
        if conn.scalar(
            select(func.count()).select_from(
                select(observation.c.time)
                .where(observation.c.series_id == ident)
                .limit(1)
                .subquery()
            )
        ):
            raise ConflictError(
                f"Datastream {ident} holds observations; they are kept "
                "(retire the Thing, or delete its Observations first)"
            )
        conn.execute(delete(series).where(series.c.id == ident))

    def _delete_observation(self, conn: Connection, ident: Any) -> None:
        if not isinstance(ident, int):
            raise ApiError(404, f"no Observation {ident!r}")
        sid, t = split_observation_id(ident)
        row = (
            conn.execute(
                select(observation).where(observation.c.series_id == sid, observation.c.time == t)
            )
            .mappings()
            .first()
        )
        d = conn.execute(select(series).where(series.c.id == sid)).mappings().first()
        if row is None or d is None:
            raise ApiError(404, f"no Observation {ident}")
        self._station(conn, d["station_id"], staff=False)
        conn.execute(
            insert(observation_revision).values(
                series_id=sid,
                time=t,
                old_value=row["value"],
                new_value=None,
                old_status=row["device_status"],
                new_status=None,
                old_flag=row["qc_flag"],
                new_flag=None,
                source="sta:delete",
                changed_by=self.p.actor,
                reason="deleted through SensorThings",
                changed_at=now_s(),
            )
        )
        conn.execute(
            delete(observation).where(observation.c.series_id == sid, observation.c.time == t)
        )


def _iso(epoch: int) -> str:
    from quantrac.api.timeparse import iso

    return iso(epoch) or ""


class _SameTransaction:
    """Use a caller's open transaction as if it were a new one (deep inserts)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def __enter__(self) -> Connection:
        return self.conn

    def __exit__(self, *exc: object) -> None:
        return None
