"""Reading and writing campaigns, samples and results (the I/O edge of the import).

Everything an import writes happens in the caller's one transaction. Result changes are kept
in `audit_log` (action ``sample_result.revise``, JSON details ``{sample_id, parameter, old,
new, file, row}``): `observation_revision` is keyed by series and time, which lab samples do
not have, and the brief forbids new tables.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, bindparam, insert, select, update

from quantrac.periodic.model import ResultValues, SampleFields, SampleKey, StationInfo
from quantrac.periodic.plan import StoredSample, WritePlan
from quantrac.store.db import Store
from quantrac.store.schema import audit_log, campaign, sample, sample_result, station
from quantrac.sync.changes import record_samples

#: Rows per statement: well under SQLite's bound-parameter limit, large enough to be fast.
CHUNK = 2_000
Progress = Callable[[int, int], None]


def load_stations(conn: Connection) -> dict[str, StationInfo]:
    """Every registered station (retired ones too: their old samples may be corrected)."""
    s = station.c
    query = select(
        s.id,
        s.code,
        s.name,
        s.medium,
        s.regulation,
        s.regulation_column,
        s.kq,
        s.kf,
        s.retired_at,
    )
    return {row.code: StationInfo(*row) for row in conn.execute(query)}


def load_stored(
    conn: Connection, keys: Iterable[SampleKey]
) -> tuple[dict[SampleKey, StoredSample], dict[tuple[int, str], ResultValues]]:
    """Stored samples under `keys` and their results (by sample id and parameter)."""
    wanted = set(keys)
    if not wanted:
        return {}, {}
    samples = _samples_around(conn, wanted)
    found = {k: v for k, v in samples.items() if k in wanted}
    ids = [v.id for v in found.values()]
    r = sample_result.c
    results: dict[tuple[int, str], ResultValues] = {}
    for chunk in _chunks(ids):
        query = select(
            r.sample_id,
            r.parameter_code,
            r.value,
            r.unit,
            r.qualifier,
            r.detection_limit,
            r.method,
        ).where(r.sample_id.in_(chunk))
        for row in conn.execute(query):
            results[(row.sample_id, row.parameter_code)] = ResultValues(*row[2:])
    return found, results


def _samples_around(conn: Connection, keys: set[SampleKey]) -> dict[SampleKey, StoredSample]:
    """Samples of the keys' stations within the keys' time span, in one query per chunk."""
    if not keys:
        return {}
    station_ids = sorted({k[0] for k in keys})
    first, last = min(k[1] for k in keys), max(k[1] for k in keys)
    s = sample.c
    out: dict[SampleKey, StoredSample] = {}
    for chunk in _chunks(station_ids):
        query = (
            select(
                s.id,
                s.station_id,
                s.sampled_at,
                s.sample_code,
                s.matrix,
                s.depth_m,
                s.layer,
                s.sample_type,
                s.lab,
                campaign.c.code,
            )
            .outerjoin(campaign, campaign.c.id == s.campaign_id)
            .where(s.station_id.in_(chunk), s.sampled_at.between(first, last))
        )
        for row in conn.execute(query):
            fields = SampleFields(*row[4:])
            out[(row.station_id, row.sampled_at, row.sample_code)] = StoredSample(row.id, fields)
    return out


def known_campaigns(conn: Connection, codes: Iterable[str]) -> frozenset[str]:
    wanted = sorted(set(codes))
    if not wanted:
        return frozenset()
    return frozenset(conn.scalars(select(campaign.c.code).where(campaign.c.code.in_(wanted))))


def upsert_campaigns(
    conn: Connection,
    days: Mapping[str, tuple[date, date]],
    *,
    now: int,
    names: Mapping[str, str] | None = None,
    network: str | None = None,
    medium: str | None = None,
) -> dict[str, int]:
    """Ids of the campaigns, created when new; each period widened to cover its samples."""
    ids: dict[str, int] = {}
    names = names or {}
    c = campaign.c
    for code, (first, last) in days.items():
        row = conn.execute(select(campaign).where(c.code == code)).mappings().first()
        if row is None:
            result = conn.execute(
                insert(campaign).values(
                    code=code,
                    name=names.get(code, code),
                    network=network,
                    medium=medium,
                    period_start=first,
                    period_end=last,
                    created_at=now,
                )
            )
            ids[code] = int(result.inserted_primary_key[0])
            continue
        ids[code] = int(row["id"])
        changes = _campaign_changes(row, first, last, names.get(code), network, medium)
        if changes:
            conn.execute(update(campaign).where(c.id == row["id"]).values(**changes))
    return ids


def _campaign_changes(
    row: RowMapping,
    first: date,
    last: date,
    name: str | None,
    network: str | None,
    medium: str | None,
) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if row["period_start"] is None or first < row["period_start"]:
        changes["period_start"] = first
    if row["period_end"] is None or last > row["period_end"]:
        changes["period_end"] = last
    if name and name != row["name"]:
        changes["name"] = name
    if network and network != row["network"]:
        changes["network"] = network
    if medium and row["medium"] is None:
        changes["medium"] = medium
    return changes


def apply_plan(
    conn: Connection,
    plan: WritePlan,
    campaign_ids: Mapping[str, int],
    *,
    now: int,
    filename: str,
    actor: str,
    raw_file_id: int | None = None,
    progress: Progress | None = None,
) -> None:
    """Write the plan: new samples, their ids, new results, changes with their audit rows."""
    total = len(plan.new_samples) + len(plan.new_results) + len(plan.result_changes)
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    rows = [
        _sample_row(key, fields, campaign_ids, raw_file_id, now)
        for key, fields in plan.new_samples.items()
    ]
    for chunk in _chunks(rows):
        conn.execute(insert(sample), chunk)
        advance(len(chunk))
    ids = {key: stored.id for key, stored in _samples_around(conn, set(plan.new_samples)).items()}
    _update_samples(conn, plan, campaign_ids, now, filename, actor)
    stored_ids = _ids_for(conn, plan, ids)
    new = [
        {"sample_id": stored_ids[r.key], "parameter_code": r.parameter_code, **r.values._asdict()}
        for r in plan.new_results
    ]
    for chunk in _chunks(new):
        conn.execute(insert(sample_result), chunk)
        advance(len(chunk))
    for chunk in _chunks(plan.result_changes):
        _revise_results(conn, chunk, now, filename, actor, raw_file_id)
        advance(len(chunk))
    record_samples(conn, plan)


def _ids_for(
    conn: Connection, plan: WritePlan, new_ids: dict[SampleKey, int]
) -> dict[SampleKey, int]:
    """Sample ids of every key a new result refers to (new samples and stored ones)."""
    missing = {r.key for r in plan.new_results if r.key not in new_ids}
    if not missing:
        return new_ids
    stored = _samples_around(conn, missing)
    return {**new_ids, **{k: v.id for k, v in stored.items() if k in missing}}


def _sample_row(
    key: SampleKey,
    fields: SampleFields,
    campaign_ids: Mapping[str, int],
    raw_file_id: int | None,
    now: int,
) -> dict[str, Any]:
    station_id, sampled_at, code = key
    values = asdict(fields)
    campaign_code = values.pop("campaign")
    return {
        "station_id": station_id,
        "sampled_at": sampled_at,
        "sample_code": code,
        "campaign_id": campaign_ids.get(campaign_code) if campaign_code else None,
        "raw_file_id": raw_file_id,
        "created_at": now,
        **values,
    }


def _update_samples(
    conn: Connection,
    plan: WritePlan,
    campaign_ids: Mapping[str, int],
    now: int,
    filename: str,
    actor: str,
) -> None:
    if not plan.sample_changes:
        return
    s = sample.c
    statement = (
        update(sample)
        .where(s.id == bindparam("b_id"))
        .values(
            campaign_id=bindparam("b_campaign"),
            matrix=bindparam("b_matrix"),
            depth_m=bindparam("b_depth"),
            layer=bindparam("b_layer"),
            sample_type=bindparam("b_type"),
            lab=bindparam("b_lab"),
        )
    )
    rows = [
        {
            "b_id": c.sample_id,
            "b_campaign": campaign_ids.get(c.new.campaign) if c.new.campaign else None,
            "b_matrix": c.new.matrix,
            "b_depth": c.new.depth_m,
            "b_layer": c.new.layer,
            "b_type": c.new.sample_type,
            "b_lab": c.new.lab,
        }
        for c in plan.sample_changes
    ]
    conn.execute(statement, rows)
    audit = [
        _audit(
            now,
            actor,
            "sample.revise",
            f"sample:{c.sample_id}",
            {
                "sample_id": c.sample_id,
                "old": asdict(c.old),
                "new": asdict(c.new),
                "file": filename,
            },
        )
        for c in plan.sample_changes
    ]
    conn.execute(insert(audit_log), audit)


def _revise_results(
    conn: Connection,
    changes: Sequence[Any],
    now: int,
    filename: str,
    actor: str,
    raw_file_id: int | None,
) -> None:
    r = sample_result.c
    statement = (
        update(sample_result)
        .where(and_(r.sample_id == bindparam("b_id"), r.parameter_code == bindparam("b_code")))
        .values(
            value=bindparam("b_value"),
            unit=bindparam("b_unit"),
            qualifier=bindparam("b_qualifier"),
            detection_limit=bindparam("b_limit"),
            method=bindparam("b_method"),
        )
    )
    conn.execute(
        statement,
        [
            {
                "b_id": c.sample_id,
                "b_code": c.parameter_code,
                "b_value": c.new.value,
                "b_unit": c.new.unit,
                "b_qualifier": c.new.qualifier,
                "b_limit": c.new.detection_limit,
                "b_method": c.new.method,
            }
            for c in changes
        ],
    )
    audit = [
        _audit(
            now,
            actor,
            "sample_result.revise",
            f"sample:{c.sample_id}/{c.parameter_code}",
            {
                "sample_id": c.sample_id,
                "parameter": c.parameter_code,
                "old": c.old._asdict(),
                "new": c.new._asdict(),
                "file": filename,
                "row": c.row,
                "raw_file_id": raw_file_id,
            },
        )
        for c in changes
    ]
    conn.execute(insert(audit_log), audit)


def record_import(
    conn: Connection, *, now: int, actor: str, filename: str, details: Mapping[str, Any]
) -> None:
    """One audit row per import that changed something: who loaded which file, with counts."""
    conn.execute(
        insert(audit_log).values(
            _audit(now, actor, "periodic.import", filename, {"file": filename, **details})
        )
    )


def _audit(now: int, actor: str, action: str, target: str, details: Mapping[str, Any]) -> dict:
    return {
        "at": now,
        "actor": actor,
        "action": action,
        "target": target[:255],
        "details": json.dumps(details, ensure_ascii=False, default=str),
    }


def list_results(
    store: Store,
    *,
    station_code: str | None = None,
    campaign_code: str | None = None,
) -> list[RowMapping]:
    """Stored results with their sample, station and campaign — what an export would show."""
    s, r = sample.c, sample_result.c
    query = (
        select(
            station.c.code.label("station_code"),
            s.sampled_at,
            s.sample_code,
            s.matrix,
            s.depth_m,
            s.layer,
            s.sample_type,
            s.lab,
            s.raw_file_id,
            campaign.c.code.label("campaign_code"),
            r.parameter_code,
            r.value,
            r.unit,
            r.qualifier,
            r.detection_limit,
            r.method,
            r.qc_flag,
            s.id.label("sample_id"),
        )
        .join(sample, sample.c.id == r.sample_id)
        .join(station, station.c.id == s.station_id)
        .outerjoin(campaign, campaign.c.id == s.campaign_id)
        .order_by(station.c.code, s.sampled_at, s.sample_code, r.parameter_code)
    )
    if station_code:
        query = query.where(station.c.code == station_code)
    if campaign_code:
        query = query.where(campaign.c.code == campaign_code)
    with store.read() as conn:
        return list(conn.execute(query).mappings())


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
