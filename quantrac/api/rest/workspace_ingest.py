"""Workspace: the connectivity board and the ingest monitor (raw archive, quarantine, replay).

Connectivity with today's completeness comes from `quantrac.connectivity.station_connectivity`
(the public `/connectivity` has no completeness and lists every visible station; the board
lists the stations the caller manages). Raw files are those whose station the caller manages
(an administrator sees all, including files of no known station) and those the caller sent
(uploads). Replay is the archive's own requeue followed by the one pipeline
(`pipeline.files.process_file`), as `quantrac archive replay` does.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy import func, or_, select

from quantrac.api.context import ApiContext
from quantrac.api.errors import ApiError
from quantrac.api.rest.common import Ctx
from quantrac.api.rest.workspace_common import (
    LIST_MAX,
    managed_codes,
    record,
    require_login,
    require_writer,
)
from quantrac.api.rest.workspace_models import RawFiles, ReplayResult, WsConnectivity
from quantrac.api.security import CurrentPrincipal
from quantrac.api.timeparse import iso
from quantrac.auth.principal import Principal
from quantrac.connectivity import station_connectivity
from quantrac.pipeline.files import process_file
from quantrac.store.schema import raw_file

router = APIRouter(prefix="/workspace", tags=["workspace"])

#: Spreadsheets uploaded in the workspace are imported from the upload page, not the pipeline.
UPLOAD_SOURCE = "upload"


@router.get("/connectivity", response_model=list[WsConnectivity])
def connectivity(p: CurrentPrincipal, ctx: ApiContext = Ctx) -> list[dict[str, Any]]:
    """Every automatic station the caller manages: online, newest data, delay and the share
    of today's expected records received so far (Vietnam's local day)."""
    require_login(p)
    with ctx.store.read() as conn:
        codes = None if p.role == "admin" else managed_codes(conn, p, kind="automatic")
    if codes is not None and not codes:
        return []
    return [
        {
            "station": s.code,
            "name": s.name,
            "interval_s": s.interval_s,
            "online": s.online,
            "last_data_at": iso(s.last_data_at),
            "last_received_at": iso(s.last_received_at),
            "delay_s": s.delay_s,
            "offline_after_s": s.offline_after_s,
            "today_expected": s.today.expected,
            "today_received": s.today.received,
            "today_percent": s.today.percent,
        }
        for s in station_connectivity(ctx.store, codes=codes)
    ]


def _scoped(q: Any, conn: Any, p: Principal) -> Any:
    """Files of the caller's stations, and what the caller sent (uploads name no station)."""
    if p.role == "admin":
        return q
    mine = managed_codes(conn, p, include_retired=True)
    return q.where(or_(raw_file.c.station_code.in_(mine), raw_file.c.sender == p.actor))


def _file_out(r: Any) -> dict[str, Any]:
    return {
        "id": r["id"],
        "name": r["name"],
        "source": r["source"],
        "sender": r["sender"],
        "station": r["station_code"],
        "size": r["size"],
        "received_at": iso(r["received_at"]),
        "state": r["state"],
        "reason": r["error"],
        "line": r["error_line"],
        "field": r["error_field"],
        "processed_at": iso(r["processed_at"]),
    }


@router.get("/raw-files", response_model=RawFiles)
def raw_files(
    p: CurrentPrincipal,
    ctx: ApiContext = Ctx,
    state: Literal["received", "parsed", "quarantined"] | None = None,
    source: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=LIST_MAX)] = 100,
) -> dict[str, Any]:
    """Recently received files, newest first, with the quarantine reason (line, field), and
    the number of files in each state."""
    require_login(p)
    q = select(raw_file).order_by(raw_file.c.id.desc()).limit(limit)
    counts_q = select(raw_file.c.state, func.count()).group_by(raw_file.c.state)
    if state:
        q = q.where(raw_file.c.state == state)
    if source:
        q = q.where(raw_file.c.source == source)
    with ctx.store.read() as conn:
        rows = list(conn.execute(_scoped(q, conn, p)).mappings())
        counts = {s: int(n) for s, n in conn.execute(_scoped(counts_q, conn, p))}
    return {"counts": counts, "files": [_file_out(r) for r in rows]}


@router.post("/raw-files/{raw_file_id}/replay", response_model=ReplayResult)
def replay(
    raw_file_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    request: Request,
    p: CurrentPrincipal,
    ctx: ApiContext = Ctx,
) -> dict[str, Any]:
    """Process a quarantined file again (after fixing the registry or the catalogue)."""
    require_writer(p)
    with ctx.store.read() as conn:
        row = (
            conn.execute(_scoped(select(raw_file).where(raw_file.c.id == raw_file_id), conn, p))
            .mappings()
            .first()
        )
    if row is None:
        raise ApiError(404, f"no archived file {raw_file_id}")
    if row["source"] == UPLOAD_SOURCE:
        raise ApiError(
            409,
            "an uploaded spreadsheet is imported from the upload page, not replayed",
            [("raw_file_id", str(raw_file_id))],
        )
    if row["state"] != "quarantined":
        raise ApiError(409, f"file {raw_file_id} is {row['state']}, not quarantined")
    archive = ctx.archive
    archive.requeue([raw_file_id])
    outcome = process_file(ctx.store, archive, archive.get(raw_file_id))
    record(
        ctx,
        request,
        p,
        "archive.replay",
        f"raw_file:{raw_file_id}",
        {"name": row["name"], "state": outcome.state, "stored": outcome.stored},
    )
    ctx.bump()
    return {
        "raw_file_id": raw_file_id,
        "state": outcome.state,
        "stored": outcome.stored,
        "unchanged": outcome.unchanged,
        "reason": outcome.reason,
        "problems": outcome.problems[:200],
    }
