"""Staff edits of stored observations: override a QC flag, correct a value — always with a
reason, a name and a trail.

Every changed row gets an `observation_revision` row (old and new value, status and flag,
source ``review:override`` or ``review:correct``, who, why, when) and every edit one
`audit_log` row, in the same transaction as the change. Nothing is overwritten silently and
nothing is deleted: a value judged worthless is overridden to BAD, not removed.

The QC job leaves rows whose latest revision is a staff edit alone (see
`quantrac.review.qc_job`), so an override is not undone by the next automatic run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import bindparam, insert, select, update

from quantrac.errors import ValidationError
from quantrac.qc.flags import QcFlag
from quantrac.review.reasons import STAFF_CORRECTED, STAFF_OVERRIDE, join_reasons, split_reasons
from quantrac.review.window import audit, require_text, series_info
from quantrac.store.db import Store, now_s
from quantrac.store.schema import observation, observation_revision
from quantrac.sync.changes import record_observations

SOURCE_OVERRIDE = "review:override"
SOURCE_CORRECT = "review:correct"
#: Flags staff may set on a value that exists (MISSING belongs to absent values only, and
#: NOT_EVALUATED is not a decision).
SETTABLE_FLAGS = (QcFlag.GOOD, QcFlag.SUSPECT, QcFlag.BAD)


@dataclass(frozen=True, slots=True)
class Revision:
    """One row of a value's history, as the API and the CLI show it."""

    id: int
    series_id: int
    time: int
    old_value: float | None
    new_value: float | None
    old_flag: int | None
    new_flag: int | None
    source: str
    changed_by: str | None
    reason: str | None
    changed_at: int


def _settable(flag: int) -> QcFlag:
    for allowed in SETTABLE_FLAGS:
        if int(flag) == allowed:
            return allowed
    raise ValidationError(
        "staff may set flag 1 (good), 3 (suspect) or 4 (bad)", [("flag", str(flag))]
    )


def override_flags(
    store: Store,
    series_id: int,
    start: int,
    end: int,
    flag: int,
    *,
    by: str,
    reason: str,
    now: int | None = None,
    remote_addr: str | None = None,
) -> int:
    """Set the QC flag of every stored value of a series in [start, end); returns how many
    changed. Values already carrying that flag by staff decision are left as they are.

    The automatic reasons stay beside `staff_override`, so one can still read what the
    checks said about a value staff decided to keep (or to reject).
    """
    new_flag = _settable(flag)
    who, why = require_text("by", by), require_text("reason", reason)
    if start >= end:
        raise ValidationError("start must be before end", [("period", f"{start}…{end}")])
    at = now_s() if now is None else now
    o = observation.c
    with store.write() as conn:
        info = series_info(conn, series_id)
        rows = conn.execute(
            select(o.time, o.value, o.device_status, o.qc_flag, o.qc_reasons).where(
                o.series_id == series_id, o.time >= start, o.time < end, o.value.is_not(None)
            )
        ).all()
        revisions, updates = [], []
        for t, value, status, old_flag, old_reasons in rows:
            codes = split_reasons(old_reasons)
            if old_flag == new_flag and STAFF_OVERRIDE in codes:
                continue
            revisions.append(
                _revision_row(
                    series_id,
                    t,
                    value,
                    value,
                    status,
                    old_flag,
                    int(new_flag),
                    SOURCE_OVERRIDE,
                    who,
                    why,
                    at,
                )
            )
            updates.append({"t": t, "r": join_reasons([*codes, STAFF_OVERRIDE])})
        if revisions:
            conn.execute(insert(observation_revision), revisions)
            conn.execute(
                update(observation)
                .where(o.series_id == series_id, o.time == bindparam("t"))
                .values(qc_flag=int(new_flag), qc_reasons=bindparam("r")),
                updates,
            )
            record_observations(conn, [series_id], start, end - 1)
        changed = len(revisions)
        audit(
            conn,
            at=at,
            actor=who,
            action="review.override",
            target=f"series:{series_id}",
            details={
                "station": info.station,
                "parameter": info.parameter,
                "start": start,
                "end": end,
                "flag": int(new_flag),
                "changed": changed,
                "reason": why,
            },
            remote_addr=remote_addr,
        )
    return changed


def correct_value(
    store: Store,
    series_id: int,
    time: int,
    value: float | None,
    *,
    by: str,
    reason: str,
    flag: int = QcFlag.GOOD,
    now: int | None = None,
    remote_addr: str | None = None,
) -> Revision:
    """Replace one stored value; None removes the value (the row stays, flagged missing).

    The corrected value carries `flag` (default good: staff vouch for it) and the reason code
    `staff_corrected`; the automatic reasons described the old value and are dropped.
    """
    who, why = require_text("by", by), require_text("reason", reason)
    if value is not None and (not isinstance(value, (int, float)) or not math.isfinite(value)):
        raise ValidationError(
            "the corrected value must be a finite number or None", [("value", repr(value))]
        )
    new_flag = QcFlag.MISSING if value is None else _settable(flag)
    at = now_s() if now is None else now
    o = observation.c
    with store.write() as conn:
        info = series_info(conn, series_id)
        row = conn.execute(
            select(o.value, o.device_status, o.qc_flag).where(
                o.series_id == series_id, o.time == time
            )
        ).first()
        if row is None:
            raise ValidationError(
                "no stored value to correct", [(f"series {series_id}", f"time {time}")]
            )
        old_value, status, old_flag = row
        new_value = None if value is None else float(value)
        row_values = _revision_row(
            series_id,
            time,
            old_value,
            new_value,
            status,
            old_flag,
            int(new_flag),
            SOURCE_CORRECT,
            who,
            why,
            at,
        )
        rev_id = int(
            conn.execute(
                insert(observation_revision)
                .values(**row_values)
                .returning(observation_revision.c.id)
            ).scalar_one()
        )
        conn.execute(
            update(observation)
            .where(o.series_id == series_id, o.time == time)
            .values(value=new_value, qc_flag=int(new_flag), qc_reasons=STAFF_CORRECTED)
        )
        record_observations(conn, [series_id], time, time)
        audit(
            conn,
            at=at,
            actor=who,
            action="review.correct",
            target=f"series:{series_id}",
            details={
                "station": info.station,
                "parameter": info.parameter,
                "time": time,
                "old": old_value,
                "new": new_value,
                "flag": int(new_flag),
                "reason": why,
                "revision_id": rev_id,
            },
            remote_addr=remote_addr,
        )
    return Revision(
        rev_id,
        series_id,
        time,
        old_value,
        new_value,
        old_flag,
        int(new_flag),
        SOURCE_CORRECT,
        who,
        why,
        at,
    )


def _revision_row(
    series_id: int,
    time: int,
    old_value: float | None,
    new_value: float | None,
    status: int | None,
    old_flag: int | None,
    new_flag: int,
    source: str,
    by: str,
    reason: str,
    at: int,
) -> dict[str, object]:
    """An `observation_revision` row; a staff edit never changes the device status."""
    return {
        "series_id": series_id,
        "time": time,
        "old_value": old_value,
        "new_value": new_value,
        "old_status": status,
        "new_status": status,
        "old_flag": old_flag,
        "new_flag": new_flag,
        "source": source,
        "changed_by": by,
        "reason": reason,
        "changed_at": at,
    }


def history(
    store: Store, series_id: int, start: int | None = None, end: int | None = None
) -> list[Revision]:
    """Every revision of a series' values in [start, end), oldest first — staff edits and
    values re-sent by stations alike."""
    r = observation_revision.c
    q = select(
        r.id,
        r.series_id,
        r.time,
        r.old_value,
        r.new_value,
        r.old_flag,
        r.new_flag,
        r.source,
        r.changed_by,
        r.reason,
        r.changed_at,
    ).where(r.series_id == series_id)
    if start is not None:
        q = q.where(r.time >= start)
    if end is not None:
        q = q.where(r.time < end)
    with store.read() as conn:
        return [Revision(*row) for row in conn.execute(q.order_by(r.id)).all()]
