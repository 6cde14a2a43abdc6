"""Copy the catalogue's reference tables into the database, so SQL users and reports can join
stations and series to province names, parameter names and limits."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select, update

from quantrac.catalog import Catalog, get_catalog
from quantrac.catalog.parameters import Parameter
from quantrac.store.db import Store
from quantrac.store.schema import admin_unit, event, limit_rule, parameter


def sync_catalog(store: Store, catalog: Catalog | None = None) -> None:
    """Upsert admin units, parameters and limit rules; safe to run on every start."""
    catalog = catalog or get_catalog()
    with store.write() as conn:
        have = set(conn.scalars(select(admin_unit.c.key)))
        units = list(catalog.admin_units.by_key.values())
        # Insert without successor links first: a successor may come later in the list.
        for u in units:
            values = {
                "code": u.code,
                "name": u.name,
                "kind": u.kind,
                "valid_from": u.valid_from,
                "valid_to": u.valid_to,
            }
            if u.key in have:
                conn.execute(update(admin_unit).where(admin_unit.c.key == u.key).values(**values))
            else:
                conn.execute(insert(admin_unit).values(key=u.key, **values))
        for u in units:
            conn.execute(
                update(admin_unit)
                .where(admin_unit.c.key == u.key)
                .values(successor_key=u.successor_key)
            )
        have = set(conn.scalars(select(parameter.c.code)))
        for p in catalog.parameters.by_code.values():
            upsert_parameter(conn, p, exists=p.code in have)
        _sync_limit_rules(conn, catalog)


def ensure_parameter(conn: Connection, code: str) -> None:
    """The `parameter` row of a catalogue parameter, written if it is missing: a province's
    own parameter can be in the catalogue file before (or without) its row — the file is
    written outside the database's transactions — and rows that name it need the row."""
    if conn.scalar(select(parameter.c.code).where(parameter.c.code == code)) is None:
        upsert_parameter(conn, get_catalog().parameters.get(code), exists=False)


def upsert_parameter(conn: Connection, p: Parameter, *, exists: bool | None = None) -> None:
    """The `parameter` row of one catalogue parameter (in the caller's transaction)."""
    values = {
        "name_vi": p.name_vi,
        "name_en": p.name_en,
        "unit": p.unit,
        "media": "|".join(p.media + p.assumed_media),
    }
    if exists is None:
        exists = conn.scalar(select(parameter.c.code).where(parameter.c.code == p.code)) is not None
    if exists:
        conn.execute(update(parameter).where(parameter.c.code == p.code).values(**values))
    else:
        conn.execute(insert(parameter).values(code=p.code, **values))


def _rule_key(values: dict) -> tuple:
    """A rule's identity across catalogue versions (ids must stay stable: events point at them)."""
    return (
        values["regulation"],
        values["medium"],
        values["parameter_name"],
        values["column_class"],
        values["averaging"],
        values["valid_from"],
        values["valid_to"],
    )


def _sync_limit_rules(conn: Connection, catalog: Catalog) -> None:
    """Update rules in place, add new ones, and drop only rules nothing refers to any more."""
    wanted = {}
    for r in catalog.limits:
        values = {
            "regulation": r.regulation,
            "medium": r.medium,
            "parameter_code": r.parameter_code,
            "parameter_name": r.parameter_name,
            "unit": r.unit,
            "column_class": r.column,
            "minimum": r.minimum,
            "maximum": r.maximum,
            "averaging": r.averaging,
            "valid_from": r.valid_from,
            "valid_to": r.valid_to,
            "scalable": r.scalable,
            "kind": r.kind,
            "confidence": r.confidence,
            "source": r.source,
        }
        wanted[_rule_key(values)] = values
    stored = {
        _rule_key(dict(row)): row["id"] for row in conn.execute(select(limit_rule)).mappings()
    }
    for key, values in wanted.items():
        if key in stored:
            conn.execute(update(limit_rule).where(limit_rule.c.id == stored[key]).values(**values))
        else:
            conn.execute(insert(limit_rule).values(**values))
    gone = [rid for key, rid in stored.items() if key not in wanted]
    if gone:
        used = set(
            conn.scalars(select(event.c.limit_rule_id).where(event.c.limit_rule_id.in_(gone)))
        )
        unused = [rid for rid in gone if rid not in used]
        if unused:
            conn.execute(delete(limit_rule).where(limit_rule.c.id.in_(unused)))
