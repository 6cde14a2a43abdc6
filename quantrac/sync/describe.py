"""The province's entities as they are now, in the shape the national node applies.

References use natural keys (station code, organization code, parameter code) or, for rows
that have none (series, events, review periods, revisions), the province's own id — which
the national node keeps in its key map under that province, never as its own id.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from quantrac.store.schema import (
    campaign,
    event,
    limit_rule,
    observation_revision,
    organization,
    parameter,
    review_period,
    sample,
    sample_result,
    series,
    station,
)

_CHUNK = 500
ORG_FIELDS = ("code", "name", "kind", "admin_unit_key", "tax_code", "address", "email",
              "created_at", "updated_at", "retired_at")  # fmt: skip
STATION_FIELDS = tuple(c.name for c in station.columns if c.name not in {"id", "owner_id"})
EVENT_FIELDS = ("kind", "status", "started_at", "last_at", "ended_at", "peak_value", "peak_at",
                "details")  # fmt: skip
SAMPLE_FIELDS = ("sampled_at", "sample_code", "matrix", "depth_m", "layer", "sample_type", "lab",
                 "created_at")  # fmt: skip
RESULT_FIELDS = ("parameter_code", "value", "unit", "qualifier", "detection_limit", "method",
                 "qc_flag")  # fmt: skip
REVISION_FIELDS = ("id", "series_id", "time", "old_value", "new_value", "old_status",
                   "new_status", "old_flag", "new_flag", "source", "changed_by", "reason",
                   "changed_at")  # fmt: skip
REVIEW_FIELDS = ("id", "series_id", "start", "end", "state", "by", "at", "note")


def chunks(ids: Iterable[Any]) -> Iterator[list[Any]]:
    items = sorted(set(ids))
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def organizations(conn: Connection, ids: Iterable[int]) -> list[dict[str, Any]]:
    out = []
    for part in chunks(ids):
        q = select(organization).where(organization.c.id.in_(part))
        out += [{k: r[k] for k in ORG_FIELDS} for r in conn.execute(q).mappings()]
    return out


def stations(
    conn: Connection, ids: Iterable[int]
) -> tuple[list[dict[str, Any]], set[int], dict[int, str]]:
    """Station descriptors, the ids of their owners, and each station's code by id."""
    out, owners, code_of = [], set(), {}
    for part in chunks(ids):
        q = select(station, organization.c.code.label("owner")).outerjoin(
            organization, organization.c.id == station.c.owner_id
        )
        for r in conn.execute(q.where(station.c.id.in_(part))).mappings():
            out.append({**{k: r[k] for k in STATION_FIELDS}, "owner": r["owner"]})
            code_of[int(r["id"])] = r["code"]
            if r["owner_id"] is not None:
                owners.add(int(r["owner_id"]))
    return out, owners, code_of


def series_rows(
    conn: Connection, ids: Iterable[int]
) -> tuple[list[dict[str, Any]], set[int], set[str]]:
    """Series descriptors, their station ids and parameter codes."""
    out, station_ids, codes = [], set(), set()
    for part in chunks(ids):
        q = (
            select(series, station.c.code.label("station"))
            .join(station, station.c.id == series.c.station_id)
            .where(series.c.id.in_(part))
        )
        for r in conn.execute(q).mappings():
            out.append(
                {
                    "id": r["id"],
                    "station": r["station"],
                    "parameter_code": r["parameter_code"],
                    "method": r["method"],
                    "unit": r["unit"],
                    "created_at": r["created_at"],
                    "retired_at": r["retired_at"],
                    "deleted_at": r["deleted_at"],
                }
            )
            station_ids.add(int(r["station_id"]))
            codes.add(r["parameter_code"])
    return out, station_ids, codes


def parameters(conn: Connection, codes: Iterable[str]) -> list[dict[str, Any]]:
    out = []
    for part in chunks(codes):
        q = select(parameter).where(parameter.c.code.in_(part))
        out += [dict(r) for r in conn.execute(q).mappings()]
    return out


def review_periods(conn: Connection, ids: Iterable[int]) -> list[list[Any]]:
    out = []
    for part in chunks(ids):
        q = select(*(review_period.c[k] for k in REVIEW_FIELDS)).where(review_period.c.id.in_(part))
        out += [list(r) for r in conn.execute(q)]
    return out


def revisions_in(conn: Connection, spans: Sequence[tuple[int, int, int]]) -> list[list[Any]]:
    """Revisions of (series, first time, last time) spans, oldest first — a few queries for
    the whole batch (revisions are rare), then cut to the spans."""
    if not spans:
        return []
    r = observation_revision.c
    lo, hi = min(s[1] for s in spans), max(s[2] for s in spans)
    by_series: dict[int, list[tuple[int, int]]] = {}
    for sid, a, b in spans:
        by_series.setdefault(sid, []).append((a, b))
    out: list[list[Any]] = []
    for part in chunks(by_series):
        q = select(*(r[k] for k in REVISION_FIELDS)).where(
            r.series_id.in_(part), r.time >= lo, r.time <= hi
        )
        for row in conn.execute(q.order_by(r.id)):
            if any(a <= row.time <= b for a, b in by_series[row.series_id]):
                out.append(list(row))
    return sorted(out, key=lambda row: row[0])


def _event_query() -> Any:
    return select(
        event.c.id,
        event.c.station_id,
        event.c.series_id,
        *(event.c[k] for k in EVENT_FIELDS),
        *(limit_rule.c[k] for k in RULE_FIELDS),
    ).outerjoin(limit_rule, limit_rule.c.id == event.c.limit_rule_id)


RULE_FIELDS = ("regulation", "parameter_code", "column_class", "averaging", "minimum",
               "maximum", "valid_from", "valid_to")  # fmt: skip


def _event(r: Any) -> dict[str, Any]:
    rule = None if r["regulation"] is None else {k: _iso(r[k]) for k in RULE_FIELDS}
    return {
        "id": r["id"],
        "station_id": r["station_id"],
        "series": r["series_id"],
        "rule": rule,
        **{k: r[k] for k in EVENT_FIELDS},
    }


def events_by_id(conn: Connection, ids: Iterable[int]) -> tuple[list[dict[str, Any]], set[int]]:
    """Events by id, and the ids no longer stored (withdrawn)."""
    wanted, out = set(ids), []
    for part in chunks(wanted):
        out += [
            _event(r) for r in conn.execute(_event_query().where(event.c.id.in_(part))).mappings()
        ]
    return out, wanted - {e["id"] for e in out}


def events_in(conn: Connection, station_id: int, lo: int, hi: int) -> list[dict[str, Any]]:
    """A station's events overlapping [lo, hi]."""
    e = event.c
    q = _event_query().where(
        e.station_id == station_id,
        e.started_at <= hi,
        or_(e.last_at >= lo, func.coalesce(e.ended_at, e.last_at) >= lo),
    )
    return [_event(r) for r in conn.execute(q).mappings()]


def samples_in(conn: Connection, station_id: int, lo: int, hi: int) -> list[dict[str, Any]]:
    """A station's samples taken in [lo, hi], with their campaign and every result."""
    s, c = sample.c, campaign.c
    q = (
        select(sample, *(c[k].label(f"campaign_{k}") for k in CAMPAIGN_FIELDS))
        .outerjoin(campaign, c.id == s.campaign_id)
        .where(and_(s.station_id == station_id, s.sampled_at >= lo, s.sampled_at <= hi))
        .order_by(s.id)
    )
    found = {int(r["id"]): r for r in conn.execute(q).mappings()}
    results: dict[int, list[list[Any]]] = {i: [] for i in found}
    r = sample_result.c
    for part in chunks(found):
        q2 = select(r.sample_id, *(r[k] for k in RESULT_FIELDS)).where(r.sample_id.in_(part))
        for row in conn.execute(q2.order_by(r.sample_id, r.parameter_code)):
            results[int(row[0])].append(list(row[1:]))
    out = []
    for sid, row in found.items():
        camp = None
        if row["campaign_code"] is not None:
            camp = {k: _iso(row[f"campaign_{k}"]) for k in CAMPAIGN_FIELDS}
        out.append(
            {
                "station_id": row["station_id"],
                **{k: row[k] for k in SAMPLE_FIELDS},
                "campaign": camp,
                "results": results[sid],
            }
        )
    return out


CAMPAIGN_FIELDS = ("code", "name", "network", "medium", "period_start", "period_end", "notes",
                   "created_at")  # fmt: skip
