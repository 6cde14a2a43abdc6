"""Workspace: upload a periodic (lab) spreadsheet, see its validation report, then commit it.

1. `POST /workspace/imports?filename=…` with the file's bytes as the body (no multipart): the
   bytes are archived first (`source=upload`, hash-chained like every input), then
   `quantrac.periodic.import_sheet` runs as a dry run and its report comes back.
2. `POST /workspace/imports/{raw_file_id}/commit?mode=strict|accept-valid` imports exactly
   the archived bytes that were reported on, with `raw_file_id` recorded on every sample.

Scope: the importer resolves station codes against the whole registry, so for anyone but an
administrator every code in the file must be a station the caller manages. A code that is not
— unregistered, another province's, another enterprise's, or restricted — gets one identical
report line (its existence is not revealed), the importer's own lines about it are dropped,
and the commit is refused.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from sqlalchemy import select
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from quantrac.api.context import ApiContext
from quantrac.api.errors import ApiError, body
from quantrac.api.rest.common import Ctx
from quantrac.api.rest.workspace_common import (
    raw_body_doc,
    read_body,
    record,
    require_login,
    require_writer,
)
from quantrac.api.rest.workspace_import_report import (
    ImportMode,
    Options,
    Opts,
    Scope,
    lang_of,
    report_out,
    say,
    scope_of,
)
from quantrac.api.rest.workspace_ingest import UPLOAD_SOURCE
from quantrac.api.rest.workspace_models import ImportReportOut
from quantrac.api.security import CurrentPrincipal
from quantrac.auth.principal import Principal
from quantrac.errors import CodecError
from quantrac.periodic import ImportReport, import_sheet, write_template
from quantrac.store.schema import audit_log, raw_file

router = APIRouter(prefix="/workspace", tags=["workspace"])

_SHEET_TYPES = (
    "application/octet-stream",
    "text/csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)


def _run(
    ctx: ApiContext,
    p: Principal,
    raw_file_id: int,
    data: bytes,
    name: str,
    opts: Options,
    mode: ImportMode,
) -> tuple[ImportReport, Scope]:
    scope = scope_of(ctx, p, data, name, opts)
    if scope.outside and mode != "dry-run":
        lang = lang_of(opts)
        raise ApiError(
            422,
            say("refused", lang),
            [
                (f"rows {', '.join(map(str, r[:10]))}", f"station {c!r}")
                for c, r in scope.outside.items()
            ],
        )
    report = import_sheet(
        ctx.store, data, name, mode=mode, campaign=opts.campaign,
        campaign_name=opts.campaign_name, network=opts.network, station=opts.station,
        sheet=opts.sheet, number_style=opts.number_style, raw_file_id=raw_file_id,
        actor=p.actor, lang=lang_of(opts),
    )  # fmt: skip
    return report, scope


def _safe_name(filename: str) -> str:
    name = FilePath(filename.replace("\\", "/")).name.strip()
    if not name or name in {".", ".."}:
        raise ApiError(422, "filename needs a name such as ket_qua.xlsx", [("filename", filename)])
    return name[-200:]


def _preview(
    ctx: ApiContext, request: Request, p: Principal, data: bytes, filename: str, opts: Options
) -> JSONResponse:
    name = _safe_name(filename)
    archive = ctx.archive
    # Held out of the ingest queue: the worker has no codec for sheets (it would quarantine
    # the file as an unreadable TT10 name). A repeat keeps its recorded outcome.
    received = archive.receive(data, name, UPLOAD_SOURCE, sender=p.actor, queue=False)
    rid = received.raw_file_id
    keep = received.duplicate and archive.get(rid)["state"] == "parsed"
    if not keep:
        archive.mark(rid, "parsed", "uploaded; validating")
    try:
        report, scope = _run(ctx, p, rid, data, name, opts, "dry-run")
    except CodecError as e:
        archive.mark(rid, "quarantined", e.message, e.line, e.field)
        record(ctx, request, p, "periodic.upload", f"raw_file:{rid}", {"name": name, "read": False})
        content = body(422, f"the file could not be read: {e.message}", [("file", str(e))])
        content["raw_file_id"] = rid
        return JSONResponse(content, status_code=422)
    out = report_out(rid, report, scope, lang_of(opts))
    if not keep:
        archive.mark(
            rid,
            "parsed",
            f"validation: {out['errors']} error(s), {out['warnings']} warning(s); not imported",
        )
    details = {
        "name": name,
        "size": len(data),
        "errors": out["errors"],
        "duplicate": received.duplicate,
    }
    record(ctx, request, p, "periodic.upload", f"raw_file:{rid}", details)
    return JSONResponse(out)


@router.post("/imports", response_model=ImportReportOut, openapi_extra=raw_body_doc(_SHEET_TYPES))
async def upload(
    request: Request,
    p: CurrentPrincipal,
    opts: Opts,
    filename: Annotated[str, Query(min_length=1, max_length=255)],
    ctx: ApiContext = Ctx,
) -> JSONResponse:
    """Upload a CSV/XLSX of lab results (the bytes as the body): archived, then checked row
    by row without writing. 422 when the file cannot be read at all (it stays archived,
    quarantined with the reason)."""
    require_writer(p)
    data = await read_body(request, ctx, "a CSV or XLSX file")
    return await run_in_threadpool(_preview, ctx, request, p, data, filename, opts)


def _uploaded(ctx: ApiContext, p: Principal, raw_file_id: int) -> tuple[Any, bytes]:
    """An uploaded file the caller sent (the archive keeps one entry for the same name and
    bytes, so "sent" is the caller's own `periodic.upload` audit row), or any for an admin."""
    with ctx.store.read() as conn:
        row = conn.execute(select(raw_file).where(raw_file.c.id == raw_file_id)).mappings().first()
        sent = conn.scalar(
            select(audit_log.c.id).where(
                audit_log.c.action == "periodic.upload",
                audit_log.c.target == f"raw_file:{raw_file_id}",
                audit_log.c.actor == p.actor,
            )
        )
    if row is None or row["source"] != UPLOAD_SOURCE or not (p.role == "admin" or sent):
        raise ApiError(404, f"no uploaded file {raw_file_id}")
    return row, ctx.archive.read_bytes(row)


RawId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/imports/{raw_file_id}", response_model=ImportReportOut)
def preview_again(
    raw_file_id: RawId, p: CurrentPrincipal, opts: Opts, ctx: ApiContext = Ctx
) -> dict[str, Any]:
    """The validation report of an uploaded file again (e.g. with other options)."""
    require_writer(p)
    row, data = _uploaded(ctx, p, raw_file_id)
    report, scope = _run(ctx, p, raw_file_id, data, row["name"], opts, "dry-run")
    return report_out(raw_file_id, report, scope, lang_of(opts))


@router.post("/imports/{raw_file_id}/commit", response_model=ImportReportOut)
def commit(
    raw_file_id: RawId,
    request: Request,
    p: CurrentPrincipal,
    opts: Opts,
    ctx: ApiContext = Ctx,
    mode: Literal["strict", "accept-valid"] = "strict",
) -> dict[str, Any]:
    """Import an uploaded file: `strict` writes all or nothing, `accept-valid` the results no
    error keeps out. 422 (with the errors) when nothing could be written."""
    require_writer(p)
    row, data = _uploaded(ctx, p, raw_file_id)
    report, scope = _run(ctx, p, raw_file_id, data, row["name"], opts, mode)
    out = report_out(raw_file_id, report, scope, lang_of(opts))
    c = out["counts"]
    record(
        ctx, request, p, "periodic.commit", f"raw_file:{raw_file_id}",
        {"name": row["name"], "mode": mode, "written": report.written, **c},
    )  # fmt: skip
    if not report.written:
        problems = [(f"row {i['rows'][0]}" if i["rows"] else "file", i["message"])
                    for i in out["issues"] if i["severity"] == "error"]  # fmt: skip
        raise ApiError(422, report.outcome, problems)
    ctx.archive.mark(
        raw_file_id,
        "parsed",
        f"imported ({mode}) by {p.actor}: {c['samples_new']} new / {c['samples_updated']} "
        f"updated samples, {c['results_new']} new / {c['results_updated']} updated results",
    )
    ctx.bump()
    return out


@router.get(
    "/templates/{medium}",
    response_class=FileResponse,
    responses={200: {"content": {_SHEET_TYPES[2]: {}}, "description": "XLSX template"}},
)
def template(
    medium: Annotated[str, Path(min_length=1, max_length=64)], p: CurrentPrincipal
) -> FileResponse:
    """The XLSX template of a medium for the lab (as `quantrac template MEDIUM`)."""
    from quantrac.catalog import get_catalog

    require_login(p)
    code = get_catalog().media.get(medium).code
    folder = FilePath(tempfile.mkdtemp(prefix="quantrac-template-"))
    try:
        path = write_template(code, folder / f"mau_nhap_{code}.xlsx")
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        path,
        media_type=_SHEET_TYPES[2],
        filename=path.name,
        background=BackgroundTask(_remove, path),
    )


def _remove(path: FilePath) -> None:
    path.unlink(missing_ok=True)
    path.parent.rmdir()
