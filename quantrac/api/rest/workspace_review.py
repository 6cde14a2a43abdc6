"""Workspace: QC review of a series — its decisions and revision trail, approving a period,
overriding flags, correcting a value.

The actions are `quantrac.review.approval.mark_period` and `quantrac.review.edits`
(`override_flags`, `correct_value`), which write the `review_period` / `observation_revision`
rows and their `audit_log` row in one transaction; the caller's name (`user:…`, `key:…`) is
the `by` of each. Approving and overriding are agency decisions (admin or province staff on
stations of their province); correcting a value is a write to an observation, allowed to
whoever may write to the station (docs/access-control.md). The values themselves are read
from the REST API (`/stations/{code}/observations/{parameter}`), not here.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from quantrac.api.context import ApiContext
from quantrac.api.errors import ApiError
from quantrac.api.queries.stations import SeriesRef, series_by_id
from quantrac.api.rest.common import Ctx, time_range
from quantrac.api.rest.workspace_common import require_login, require_staff, require_writer
from quantrac.api.rest.workspace_models import (
    CorrectionIn,
    OverrideIn,
    OverrideResult,
    Period,
    PeriodIn,
    ReviewTrail,
    RevisionOut,
)
from quantrac.api.security import CurrentPrincipal, client_ip
from quantrac.api.timeparse import iso, parse_instant
from quantrac.auth.principal import Principal
from quantrac.review.approval import list_periods, mark_period
from quantrac.review.edits import Revision, correct_value, history, override_flags

router = APIRouter(prefix="/workspace", tags=["workspace"])

SeriesId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _series(ctx: ApiContext, p: Principal, series_id: int) -> SeriesRef:
    """A series of a station the caller manages (404 if invisible, 403 if only visible)."""
    require_login(p)
    with ctx.store.read() as conn:
        ref = series_by_id(conn, p, series_id)
    if not ref.full_access:
        raise ApiError(403, f"station {ref.station['code']} is outside this credential's scope")
    return ref


def _period_out(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "series_id": r.series_id,
        "start": iso(r.start),
        "end": iso(r.end),
        "state": r.state,
        "by": r.by,
        "at": iso(r.at),
        "note": r.note,
    }


def _revision_out(r: Revision) -> dict[str, Any]:
    return {
        "id": r.id,
        "time": iso(r.time),
        "old_value": r.old_value,
        "new_value": r.new_value,
        "old_flag": r.old_flag,
        "new_flag": r.new_flag,
        "source": r.source,
        "changed_by": r.changed_by,
        "reason": r.reason,
        "changed_at": iso(r.changed_at),
    }


def _span(start: str, end: str) -> tuple[int, int]:
    s, e = parse_instant(start, "start"), parse_instant(end, "end")
    if e <= s:
        raise ApiError(422, "end must be after start", [("end", "not after start")])
    return s, e


@router.get("/series/{series_id}/review", response_model=ReviewTrail)
def review_trail(
    series_id: SeriesId,
    p: CurrentPrincipal,
    ctx: ApiContext = Ctx,
    start: Annotated[str | None, Query(max_length=64)] = None,
    end: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """Review decisions overlapping [start, end) and every revision of the values there —
    who, when, old → new, why — oldest first, plus what the caller may do."""
    ref = _series(ctx, p, series_id)
    s, e = time_range(start, end)
    return {
        "series_id": ref.id,
        "station": ref.station["code"],
        "parameter": ref.parameter,
        "unit": ref.unit,
        "can_approve": p.is_staff,
        "can_correct": p.can_write,
        "periods": [_period_out(r) for r in list_periods(ctx.store, ref.id, s, e)],
        "revisions": [_revision_out(r) for r in history(ctx.store, ref.id, s, e)[-2000:]],
    }


@router.post("/series/{series_id}/periods", response_model=Period, status_code=201)
def decide_period(
    series_id: SeriesId,
    body: PeriodIn,
    request: Request,
    p: CurrentPrincipal,
    ctx: ApiContext = Ctx,
) -> dict[str, Any]:
    """Mark [start, end) reviewed, approved (published) or rejected; a later decision over
    the same instants supersedes this one."""
    require_staff(p, "approve data")
    ref = _series(ctx, p, series_id)
    s, e = _span(body.start, body.end)
    decision = mark_period(
        ctx.store, ref.id, s, e, body.state, by=p.actor, note=body.note,
        remote_addr=client_ip(request),
    )  # fmt: skip
    ctx.bump()
    return _period_out(decision)


@router.post("/series/{series_id}/overrides", response_model=OverrideResult)
def override(
    series_id: SeriesId,
    body: OverrideIn,
    request: Request,
    p: CurrentPrincipal,
    ctx: ApiContext = Ctx,
) -> dict[str, int]:
    """Set the QC flag of every value in [start, end) (1 good, 3 suspect, 4 bad), with a
    reason; the automatic reasons are kept beside it."""
    require_staff(p, "override QC flags")
    ref = _series(ctx, p, series_id)
    s, e = _span(body.start, body.end)
    changed = override_flags(
        ctx.store, ref.id, s, e, body.flag, by=p.actor, reason=body.reason,
        remote_addr=client_ip(request),
    )  # fmt: skip
    ctx.bump()
    return {"changed": changed}


@router.post("/series/{series_id}/corrections", response_model=RevisionOut, status_code=201)
def correct(
    series_id: SeriesId,
    body: CorrectionIn,
    request: Request,
    p: CurrentPrincipal,
    ctx: ApiContext = Ctx,
) -> dict[str, Any]:
    """Replace one stored value (null removes it) with a reason; 422 when no value is stored
    at that time."""
    require_writer(p)
    ref = _series(ctx, p, series_id)
    at = parse_instant(body.time, "time")
    revision = correct_value(
        ctx.store, ref.id, at, body.value, by=p.actor, reason=body.reason, flag=body.flag,
        remote_addr=client_ip(request),
    )  # fmt: skip
    ctx.bump()
    return _revision_out(revision)
