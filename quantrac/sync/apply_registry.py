"""Applying a province's registry on the national node: parameters, organizations, stations,
series — by natural key, under that province.

Rules that keep provinces apart:

- a station keeps its code and its original province (a station of Hà Giang stays in
  02-2008 after the 2025 merger; the API's province filter follows successors); it must lie
  in the node's province or a province merged into it, and a station without a province is
  filed under the node's;
- a station code another node (or the national node itself) registered is refused — never
  taken over;
- organizations are shared references: the first node to send a code owns it; others may
  refer to it (an enterprise with plants in two provinces) but not change it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, insert, select, update

from quantrac.auth.principal import province_keys
from quantrac.errors import ConflictError, PermissionDenied, ValidationError
from quantrac.store.schema import organization, parameter, series, station
from quantrac.sync import keymap
from quantrac.sync.describe import ORG_FIELDS, STATION_FIELDS, chunks


@dataclass
class NodeRef:
    id: int
    name: str
    admin_unit_key: str


@dataclass
class RegistryIds:
    """National ids of what the batch refers to."""

    organizations: dict[str, int] = field(default_factory=dict)
    stations: dict[str, int] = field(default_factory=dict)
    series: dict[int, int] = field(default_factory=dict)  # province series id → national
    changed: int = 0


def _differs(row: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if row[k] != v}


def apply_parameters(conn: Connection, items: Sequence[Mapping[str, Any]]) -> int:
    """A province's own parameters (the catalogue allows them) that the national node lacks."""
    added = 0
    for p in items:
        if conn.scalar(select(parameter.c.code).where(parameter.c.code == p["code"])) is None:
            conn.execute(insert(parameter).values(**{c.name: p[c.name] for c in parameter.c}))
            added += 1
    return added


def apply_organizations(
    conn: Connection, node: NodeRef, items: Sequence[Mapping[str, Any]], ids: RegistryIds
) -> None:
    for d in items:
        values = {k: d[k] for k in ORG_FIELDS}
        row = conn.execute(select(organization).where(organization.c.code == d["code"]))
        found = row.mappings().first()
        if found is None:
            oid = conn.execute(insert(organization).values(**values)).inserted_primary_key[0]
            keymap.bind(conn, node.id, "organization", d["code"], oid)
            ids.changed += 1
        else:
            oid = found["id"]
            owner = keymap.owner(conn, "organization", oid)
            changes = _differs(found, values)
            if owner is not None and owner[0] == node.id and changes:
                conn.execute(update(organization).where(organization.c.id == oid).values(changes))
                ids.changed += 1
        ids.organizations[d["code"]] = int(oid)


def _owner_id(conn: Connection, code: str | None, ids: RegistryIds) -> int | None:
    if code is None:
        return None
    if code not in ids.organizations:
        oid = conn.scalar(select(organization.c.id).where(organization.c.code == code))
        if oid is None:
            raise ValidationError("station owner not sent", [("owner", code)])
        ids.organizations[code] = int(oid)
    return ids.organizations[code]


def apply_stations(
    conn: Connection, node: NodeRef, items: Sequence[Mapping[str, Any]], ids: RegistryIds
) -> None:
    allowed = province_keys(node.admin_unit_key)
    stored = _rows_by(conn, station, station.c.code, [d["code"] for d in items])
    owners = keymap.owners(conn, "station", (r["id"] for r in stored.values()))
    for d in items:
        code = d["code"]
        values = {k: d[k] for k in STATION_FIELDS}
        values["admin_unit_key"] = values["admin_unit_key"] or node.admin_unit_key
        if values["admin_unit_key"] not in allowed:
            raise PermissionDenied(
                f"station {code} lies in {values['admin_unit_key']}, outside node "
                f"{node.name} ({node.admin_unit_key} and the provinces merged into it)"
            )
        values["owner_id"] = _owner_id(conn, d["owner"], ids)
        found = stored.get(code)
        if found is None:
            sid = conn.execute(insert(station).values(**values)).inserted_primary_key[0]
            keymap.bind(conn, node.id, "station", code, sid)
            ids.changed += 1
        else:
            sid = found["id"]
            if owners.get(sid) != node.id:
                raise ConflictError(
                    f"station code {code} is already registered at the national node "
                    + ("by another node" if sid in owners else "by the national node itself")
                    + "; rename one of them"
                )
            changes = _differs(found, values)
            if changes:
                conn.execute(update(station).where(station.c.id == sid).values(changes))
                ids.changed += 1
        ids.stations[code] = int(sid)


def _rows_by(conn: Connection, table: Any, column: Any, keys: Sequence[Any]) -> dict[Any, Any]:
    """Stored rows of `table` by `column`, in a few queries whatever their number."""
    out = {}
    for part in chunks(keys):
        out.update(
            {
                r[column.name]: r
                for r in conn.execute(select(table).where(column.in_(part))).mappings()
            }
        )
    return out


def apply_series(
    conn: Connection, node: NodeRef, items: Sequence[Mapping[str, Any]], ids: RegistryIds
) -> None:
    mapped = keymap.lookup(conn, node.id, "series", (d["id"] for d in items))
    stored = _rows_by(conn, series, series.c.id, list(mapped.values()))
    s = series.c
    for d in items:
        if d["station"] not in ids.stations:
            raise ValidationError("series of a station not sent", [("station", d["station"])])
        station_id = ids.stations[d["station"]]
        values = {
            "unit": d["unit"],
            "created_at": d["created_at"],
            "retired_at": d["retired_at"],
            "deleted_at": d.get("deleted_at"),  # absent from a node of an older release
        }
        nat = mapped.get(str(d["id"]))
        if nat is None:
            nat = conn.scalar(
                select(s.id).where(
                    s.station_id == station_id,
                    s.parameter_code == d["parameter_code"],
                    s.method == d["method"],
                )
            )
            if nat is None:
                nat = conn.execute(
                    insert(series).values(
                        station_id=station_id,
                        parameter_code=d["parameter_code"],
                        method=d["method"],
                        **values,
                    )
                ).inserted_primary_key[0]
                keymap.bind(conn, node.id, "series", d["id"], nat)
                ids.changed += 1
                ids.series[int(d["id"])] = int(nat)
                continue
            _claim_series(conn, node, int(nat), d["id"])
        found = stored.get(nat) or conn.execute(select(series).where(s.id == nat)).mappings().one()
        changes = _differs(found, values)
        if changes:
            conn.execute(update(series).where(s.id == nat).values(changes))
            ids.changed += 1
        ids.series[int(d["id"])] = int(nat)


def _claim_series(conn: Connection, node: NodeRef, nat: int, origin_id: int) -> None:
    """A national series with this natural key exists: follow it if it is this node's."""
    owner = keymap.owner(conn, "series", nat)
    if owner is None:
        keymap.bind(conn, node.id, "series", origin_id, nat)
    elif owner[0] == node.id:
        keymap.rebind(conn, node.id, "series", nat, origin_id)
    else:
        raise ConflictError(f"series {nat} of the national node belongs to another node")


def series_ids(
    conn: Connection, node: NodeRef, origin_ids: Sequence[int], ids: RegistryIds
) -> None:
    """National ids of series referred to but not described (already known to the node)."""
    missing = [i for i in origin_ids if i not in ids.series]
    if not missing:
        return
    found = keymap.lookup(conn, node.id, "series", missing)
    unknown = [i for i in missing if str(i) not in found]
    if unknown:
        raise ValidationError(
            "the batch refers to series it does not describe",
            [("series", str(i)) for i in unknown[:20]],
        )
    ids.series.update({int(k): v for k, v in found.items()})
