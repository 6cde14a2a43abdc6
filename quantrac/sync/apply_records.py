"""Applying what hangs off the registry on the national node: revisions, review decisions,
events, lab samples — each found again through the key map or its natural key, so applying
twice changes nothing.

Revisions are copied as the province wrote them (source, who, why, when): a correction made
in the province arrives as the province's revision row, not as an anonymous overwrite.
A changed lab result leaves an audit row `sample_result.revise` by `sync:<node>`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from quantrac.store.schema import (
    alert_delivery,
    audit_log,
    campaign,
    event,
    limit_rule,
    observation,
    observation_revision,
    review_period,
    sample,
    sample_result,
    series,
)
from quantrac.sync import keymap
from quantrac.sync.apply_registry import NodeRef, RegistryIds
from quantrac.sync.describe import (
    CAMPAIGN_FIELDS,
    EVENT_FIELDS,
    RESULT_FIELDS,
    REVIEW_FIELDS,
    REVISION_FIELDS,
    RULE_FIELDS,
    SAMPLE_FIELDS,
)


def apply_revisions(
    conn: Connection, node: NodeRef, rows: Sequence[Sequence[Any]], ids: RegistryIds
) -> int:
    """Copy revisions not seen before; returns how many."""
    known = keymap.lookup(conn, node.id, "revision", (r[0] for r in rows))
    new = [dict(zip(REVISION_FIELDS, r, strict=True)) for r in rows if str(r[0]) not in known]
    if not new:
        return 0
    origin = [r.pop("id") for r in new]
    for r in new:
        r["series_id"] = ids.series[int(r["series_id"])]
    stmt = insert(observation_revision).returning(
        observation_revision.c.id, sort_by_parameter_order=True
    )
    local = list(conn.scalars(stmt, new))
    keymap.bind_many(conn, node.id, "revision", zip(origin, local, strict=True))
    return len(new)


def apply_review_periods(
    conn: Connection, node: NodeRef, rows: Sequence[Sequence[Any]], ids: RegistryIds
) -> int:
    known = keymap.lookup(conn, node.id, "review_period", (r[0] for r in rows))
    for r in rows:
        values = dict(zip(REVIEW_FIELDS, r, strict=True))
        origin = values.pop("id")
        values["series_id"] = ids.series[int(values["series_id"])]
        local = known.get(str(origin))
        if local is None:
            rid = conn.execute(insert(review_period).values(**values)).inserted_primary_key[0]
            keymap.bind(conn, node.id, "review_period", origin, rid)
        else:
            conn.execute(update(review_period).where(review_period.c.id == local).values(values))
    return len(rows)


def _as_date(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(value)


class _Rules:
    """limit_rule ids by natural key (catalogue copies may number rules differently)."""

    def __init__(self, conn: Connection) -> None:
        self.conn, self.cache = conn, {}

    def id_of(self, rule: Mapping[str, Any] | None) -> int | None:
        if rule is None:
            return None
        key = tuple(rule[k] for k in RULE_FIELDS)
        if key not in self.cache:
            lr = limit_rule.c
            conds = []
            for k in RULE_FIELDS:
                v = _as_date(rule[k]) if k in ("valid_from", "valid_to") else rule[k]
                conds.append(lr[k].is_(None) if v is None else lr[k] == v)
            self.cache[key] = self.conn.scalar(select(lr.id).where(and_(*conds)).limit(1))
        return self.cache[key]


def apply_events(
    conn: Connection,
    node: NodeRef,
    items: Sequence[Mapping[str, Any]],
    withdrawn: Sequence[int],
    ids: RegistryIds,
) -> int:
    known = keymap.lookup(conn, node.id, "event", [*(e["id"] for e in items), *withdrawn])
    rules = _Rules(conn)
    for e in items:
        values = {k: e[k] for k in EVENT_FIELDS}
        values["station_id"] = ids.stations[e["station"]]
        values["series_id"] = None if e["series"] is None else ids.series[int(e["series"])]
        values["limit_rule_id"] = rules.id_of(e["rule"])
        local = known.get(str(e["id"]))
        if local is None:
            eid = conn.execute(insert(event).values(**values)).inserted_primary_key[0]
            keymap.bind(conn, node.id, "event", e["id"], eid)
        else:
            conn.execute(update(event).where(event.c.id == local).values(values))
    for origin in withdrawn:
        local = known.get(str(origin))
        if local is not None:
            _withdraw(conn, local)
            keymap.unbind(conn, node.id, "event", origin)
    return len(items) + len(withdrawn)


def _withdraw(conn: Connection, event_id: int) -> None:
    """Delete, or close and mark when an alert already went out (as the province does)."""
    sent = conn.scalar(
        select(func.count())
        .select_from(alert_delivery)
        .where(alert_delivery.c.event_id == event_id)
    )
    if sent:
        conn.execute(
            update(event)
            .where(event.c.id == event_id)
            .values(
                status="closed",
                ended_at=func.coalesce(event.c.ended_at, event.c.last_at),
                details=json.dumps({"withdrawn": "withdrawn by the province"}),
            )
        )
    else:
        conn.execute(delete(event).where(event.c.id == event_id))


def _campaign_id(
    conn: Connection, node: NodeRef, item: Mapping[str, Any] | None, cache: dict[str, int]
) -> int | None:
    if item is None:
        return None
    code = item["code"]
    if code in cache:
        return cache[code]
    values = {k: _as_date(item[k]) if k.startswith("period_") else item[k] for k in CAMPAIGN_FIELDS}
    found = conn.execute(select(campaign).where(campaign.c.code == code)).mappings().first()
    if found is None:
        cid = conn.execute(insert(campaign).values(**values)).inserted_primary_key[0]
        keymap.bind(conn, node.id, "campaign", code, cid)
    else:
        cid = found["id"]
        owner = keymap.owner(conn, "campaign", cid)
        changes = {k: v for k, v in values.items() if found[k] != v}
        if owner is not None and owner[0] == node.id and changes:
            conn.execute(update(campaign).where(campaign.c.id == cid).values(changes))
    cache[code] = int(cid)
    return int(cid)


def apply_samples(
    conn: Connection, node: NodeRef, items: Sequence[Mapping[str, Any]], ids: RegistryIds, now: int
) -> int:
    """Samples by (station, time, code) and their full set of results."""
    campaigns: dict[str, int] = {}
    revised = 0
    s = sample.c
    for item in items:
        values = {k: item[k] for k in SAMPLE_FIELDS}
        values["station_id"] = ids.stations[item["station"]]
        values["campaign_id"] = _campaign_id(conn, node, item["campaign"], campaigns)
        found = (
            conn.execute(
                select(sample).where(
                    s.station_id == values["station_id"],
                    s.sampled_at == values["sampled_at"],
                    s.sample_code == values["sample_code"],
                )
            )
            .mappings()
            .first()
        )
        if found is None:
            sample_id = conn.execute(insert(sample).values(**values)).inserted_primary_key[0]
        else:
            sample_id = found["id"]
            changes = {k: v for k, v in values.items() if found[k] != v}
            if changes:
                conn.execute(update(sample).where(s.id == sample_id).values(changes))
        revised += _results(conn, node, int(sample_id), item["results"], now)
    return revised


def _results(
    conn: Connection, node: NodeRef, sample_id: int, results: Sequence[Sequence[Any]], now: int
) -> int:
    r = sample_result.c
    stored = {
        row["parameter_code"]: row
        for row in conn.execute(select(sample_result).where(r.sample_id == sample_id)).mappings()
    }
    revised = 0
    for item in results:
        values = dict(zip(RESULT_FIELDS, item, strict=True))
        code = values.pop("parameter_code")
        old = stored.pop(code, None)
        if old is None:
            conn.execute(
                insert(sample_result).values(sample_id=sample_id, parameter_code=code, **values)
            )
            continue
        changes = {k: v for k, v in values.items() if old[k] != v}
        if not changes:
            continue
        conn.execute(
            update(sample_result)
            .where(r.sample_id == sample_id, r.parameter_code == code)
            .values(changes)
        )
        details = {
            "sample_id": sample_id,
            "parameter": code,
            "node": node.name,
            "old": {k: old[k] for k in changes},
            "new": changes,
        }
        conn.execute(
            insert(audit_log).values(
                at=now,
                actor=f"sync:{node.name}",
                action="sample_result.revise",
                target=f"sample:{sample_id}/{code}",
                details=json.dumps(details, ensure_ascii=False, default=str),
            )
        )
        revised += 1
    for code in stored:
        conn.execute(
            delete(sample_result).where(r.sample_id == sample_id, r.parameter_code == code)
        )
    return revised


def delete_series(conn: Connection, node: NodeRef, origin_ids: Sequence[int]) -> int:
    """Series the province deleted (it only may while they hold no observations)."""
    known = keymap.lookup(conn, node.id, "series", origin_ids)
    for origin, local in known.items():
        conn.execute(delete(observation).where(observation.c.series_id == local))
        conn.execute(delete(series).where(series.c.id == local))
        keymap.unbind(conn, node.id, "series", origin)
    return len(known)
