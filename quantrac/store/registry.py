"""The registry: organizations, stations and series — who measures what, where, under which limit.

Input is validated against the catalogue before anything is written: a medium, province,
owner, regulation or column that does not exist is refused with the nearest known names.
Stations are retired, never deleted, so their history stays readable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Connection, RowMapping, insert, select, update

from quantrac.catalog import get_catalog
from quantrac.catalog.text import nearest
from quantrac.errors import (
    ConflictError,
    UnknownOrganization,
    UnknownParameter,
    UnknownStation,
    ValidationError,
)
from quantrac.store.catalog_sync import ensure_parameter
from quantrac.store.db import Store, now_s
from quantrac.store.schema import organization, series, station
from quantrac.sync.changes import record_change

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"


class OrganizationSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=255)
    kind: Literal["agency", "enterprise", "lab", "other"] = "agency"
    admin_unit: str | None = None
    tax_code: str | None = None
    address: str | None = None
    email: str | None = None

    @field_validator("admin_unit")
    @classmethod
    def _known_unit(cls, v: str | None) -> str | None:
        return None if not v else get_catalog().admin_units.find(v).key


class StationSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=255)
    kind: Literal["automatic", "periodic"]
    medium: str
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    admin_unit: str | None = None
    owner: str | None = None
    network: str | None = None
    visibility: Literal["public", "restricted"] = "public"
    regulation: str | None = None
    regulation_column: str | None = None
    kq: float | None = Field(default=None, gt=0)
    kf: float | None = Field(default=None, gt=0)
    reporting_interval_s: int | None = Field(default=None, gt=0)
    address: str | None = None
    notes: str | None = None

    @field_validator("medium")
    @classmethod
    def _known_medium(cls, v: str) -> str:
        return get_catalog().media.get(v).code

    @field_validator("admin_unit")
    @classmethod
    def _known_unit(cls, v: str | None) -> str | None:
        return None if not v else get_catalog().admin_units.find(v).key

    @field_validator("regulation")
    @classmethod
    def _known_regulation(cls, v: str | None) -> str | None:
        if not v:
            return None
        regs = get_catalog().regulations
        if v in regs:
            return v
        hits = nearest(v, regs)
        if len(hits) >= 1 and v.replace(" ", "") in hits[0].replace(" ", ""):
            return hits[0]
        raise ValueError(f"unknown regulation {v!r}; known: {', '.join(hits or list(regs))}")

    def check_column(self) -> None:
        if self.regulation and self.regulation_column:
            keys = get_catalog().column_keys(self.regulation)
            if self.regulation_column not in keys:
                raise ValidationError(
                    "invalid station",
                    [
                        (
                            "regulation_column",
                            f"{self.regulation_column!r} is not a column of "
                            f"{self.regulation}; choose one of: {', '.join(keys) or '(none)'}",
                        )
                    ],
                )


def _org_id(conn: Connection, code: str) -> int:
    oid = conn.scalar(select(organization.c.id).where(organization.c.code == code))
    if oid is None:
        known = list(conn.scalars(select(organization.c.code)))
        raise UnknownOrganization(code, nearest(code, known))
    return int(oid)


# organizations ----------------------------------------------------------------------------
def create_organization(store: Store, spec: OrganizationSpec) -> int:
    with store.write() as conn:
        if conn.scalar(select(organization.c.id).where(organization.c.code == spec.code)):
            raise ConflictError(f"organization {spec.code!r} already exists")
        now = now_s()
        values = spec.model_dump()
        values["admin_unit_key"] = values.pop("admin_unit")
        result = conn.execute(insert(organization).values(**values, created_at=now, updated_at=now))
        record_change(conn, "organization", result.inserted_primary_key[0])
        return int(result.inserted_primary_key[0])


def update_organization(store: Store, code: str, changes: Mapping[str, Any]) -> None:
    """Change some fields of an organization; the merged record is validated as a whole."""
    with store.write() as conn:
        oid = _org_id(conn, code)
        current = dict(
            conn.execute(select(organization).where(organization.c.id == oid)).mappings().one()
        )
        merged = {k: current.get(k) for k in OrganizationSpec.model_fields if k in current}
        merged.update(admin_unit=current["admin_unit_key"], code=code)
        merged.update(changes)
        values = OrganizationSpec.model_validate(merged).model_dump()
        values["admin_unit_key"] = values.pop("admin_unit")
        conn.execute(
            update(organization)
            .where(organization.c.id == oid)
            .values(**values, updated_at=now_s())
        )
        record_change(conn, "organization", oid)


def list_organizations(store: Store, include_retired: bool = False) -> list[RowMapping]:
    q = select(organization).order_by(organization.c.code)
    if not include_retired:
        q = q.where(organization.c.retired_at.is_(None))
    with store.read() as conn:
        return list(conn.execute(q).mappings())


def retire_organization(store: Store, code: str) -> None:
    with store.write() as conn:
        oid = _org_id(conn, code)
        conn.execute(
            update(organization)
            .where(organization.c.id == oid)
            .values(retired_at=now_s(), updated_at=now_s())
        )
        record_change(conn, "organization", oid)


# stations -------------------------------------------------------------------------------------
def _station_values(conn: Connection, spec: StationSpec) -> dict[str, Any]:
    spec.check_column()
    values = spec.model_dump()
    values["admin_unit_key"] = values.pop("admin_unit")
    owner = values.pop("owner")
    values["owner_id"] = _org_id(conn, owner) if owner else None
    return values


def create_station(store: Store, spec: StationSpec, conn: Connection | None = None) -> int:
    def run(c: Connection) -> int:
        if c.scalar(select(station.c.id).where(station.c.code == spec.code)):
            raise ConflictError(f"station {spec.code!r} already exists")
        now = now_s()
        result = c.execute(
            insert(station).values(**_station_values(c, spec), created_at=now, updated_at=now)
        )
        record_change(c, "station", result.inserted_primary_key[0])
        return int(result.inserted_primary_key[0])

    if conn is not None:
        return run(conn)
    with store.write() as c:
        return run(c)


def get_station(store: Store, code: str, conn: Connection | None = None) -> RowMapping:
    def run(c: Connection) -> RowMapping:
        row = c.execute(select(station).where(station.c.code == code)).mappings().first()
        if row is None:
            known = list(c.scalars(select(station.c.code)))
            raise UnknownStation(code, nearest(code, known))
        return row

    if conn is not None:
        return run(conn)
    with store.read() as c:
        return run(c)


def update_station(store: Store, code: str, changes: Mapping[str, Any]) -> None:
    """Change some fields of a station; the merged record is validated as a whole."""
    with store.write() as conn:
        current = dict(get_station(store, code, conn))
        owner_code = None
        if current["owner_id"] is not None:
            owner_code = conn.scalar(
                select(organization.c.code).where(organization.c.id == current["owner_id"])
            )
        merged = {k: current.get(k) for k in StationSpec.model_fields if k in current}
        merged.update(admin_unit=current["admin_unit_key"], owner=owner_code, code=code)
        merged.update(changes)
        spec = StationSpec.model_validate(merged)
        values = _station_values(conn, spec)
        conn.execute(
            update(station).where(station.c.code == code).values(**values, updated_at=now_s())
        )
        record_change(conn, "station", current["id"])


def retire_station(store: Store, code: str) -> None:
    with store.write() as conn:
        get_station(store, code, conn)
        conn.execute(
            update(station)
            .where(station.c.code == code)
            .values(retired_at=now_s(), updated_at=now_s())
        )
        record_change(conn, "station", get_station(store, code, conn)["id"])


def list_stations(
    store: Store,
    *,
    medium: str | None = None,
    admin_unit: str | None = None,
    kind: str | None = None,
    network: str | None = None,
    owner: str | None = None,
    include_retired: bool = False,
) -> list[RowMapping]:
    """Stations filtered by medium, province (a merged province includes its predecessors),
    kind, network and owner."""
    catalog = get_catalog()
    q = (
        select(station, organization.c.code.label("owner_code"))
        .outerjoin(organization, organization.c.id == station.c.owner_id)
        .order_by(station.c.code)
    )
    if medium:
        q = q.where(station.c.medium == catalog.media.get(medium).code)
    if admin_unit:
        unit = catalog.admin_units.find(admin_unit)
        keys = [unit.key] + [u.key for u in catalog.admin_units.predecessors(unit.key)]
        q = q.where(station.c.admin_unit_key.in_(keys))
    if kind:
        q = q.where(station.c.kind == kind)
    if network:
        q = q.where(station.c.network == network)
    if owner:
        q = q.where(organization.c.code == owner)
    if not include_retired:
        q = q.where(station.c.retired_at.is_(None))
    with store.read() as conn:
        return list(conn.execute(q).mappings())


# series ----------------------------------------------------------------------------------
def ensure_series(
    store: Store,
    station_code: str,
    parameter_code: str,
    method: str = "",
    conn: Connection | None = None,
) -> int:
    """The series of (station, parameter, method), created on first use in the canonical unit."""
    catalog = get_catalog()
    if parameter_code not in catalog.parameters.by_code:
        raise UnknownParameter(parameter_code, nearest(parameter_code, catalog.parameters.by_code))

    def run(c: Connection) -> int:
        st = get_station(store, station_code, c)
        found = c.scalar(
            select(series.c.id).where(
                series.c.station_id == st["id"],
                series.c.parameter_code == parameter_code,
                series.c.method == method,
            )
        )
        if found is not None:
            return int(found)
        ensure_parameter(c, parameter_code)
        unit = catalog.parameters.canonical_unit(parameter_code, st["medium"])
        result = c.execute(
            insert(series).values(
                station_id=st["id"],
                parameter_code=parameter_code,
                method=method,
                unit=unit,
                created_at=now_s(),
            )
        )
        record_change(c, "series", result.inserted_primary_key[0])
        return int(result.inserted_primary_key[0])

    if conn is not None:
        return run(conn)
    with store.write() as c:
        return run(c)


def list_series(
    store: Store, station_code: str | None = None, include_retired: bool = False
) -> list[RowMapping]:
    q = (
        select(series, station.c.code.label("station_code"))
        .join(station, station.c.id == series.c.station_id)
        .order_by(station.c.code, series.c.parameter_code)
    )
    if station_code:
        q = q.where(station.c.code == station_code)
    if not include_retired:
        q = q.where(series.c.retired_at.is_(None))
    with store.read() as conn:
        return list(conn.execute(q).mappings())


def retire_series(
    store: Store, series_id: int, conn: Connection | None = None, *, delete: bool = False
) -> None:
    """Stop a series (e.g. an analyser removed): its data stays readable. With `delete`
    (DELETE /Datastreams) it is also hidden from every answer of the API, its observations
    kept in the database for the audit."""
    now = now_s()
    values = {"retired_at": now, "deleted_at": now} if delete else {"retired_at": now}

    def run(c: Connection) -> None:
        found = c.execute(update(series).where(series.c.id == series_id).values(**values))
        if found.rowcount == 0:
            raise ValidationError(f"no series with id {series_id}")
        record_change(c, "series", series_id)

    if conn is not None:
        run(conn)
        return
    with store.write() as c:
        run(c)


def restore_series(store: Store, series_id: int) -> None:
    """Undo a retirement or a deletion (DELETE /Datastreams kept every observation, so this
    brings them all back into view)."""
    with store.write() as conn:
        found = conn.execute(
            update(series).where(series.c.id == series_id).values(retired_at=None, deleted_at=None)
        )
        if found.rowcount == 0:
            raise ValidationError(f"no series with id {series_id}")
        record_change(conn, "series", series_id)
