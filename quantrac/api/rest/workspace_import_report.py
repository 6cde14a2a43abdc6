"""The validation report of a workspace upload, and whose stations the sheet names.

`scope_of` reads the sheet's station codes (the sheet codec, as the importer does) and sets
apart those the caller does not manage: each gets one report line worded the same whether the
code is unregistered or someone else's, and the importer's own lines about it (unknown or
retired station, its exceedances, the would-write counts) are left out of the answer, so an
upload never reveals a station the caller may not see. `report_out` turns an `ImportReport`
into the JSON of `ImportReportOut`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import Depends, Query

from quantrac.api.context import ApiContext
from quantrac.api.rest.workspace_common import managed_codes
from quantrac.api.timeparse import iso
from quantrac.auth.principal import Principal
from quantrac.catalog.text import nearest
from quantrac.codecs.sheet import read_sheet
from quantrac.periodic import ImportReport, Issue, WriteCounts
from quantrac.periodic.messages import text as importer_text

ImportMode = Literal["dry-run", "strict", "accept-valid"]

_TEXT = {
    "outside": (
        "mã trạm {code!r} không phải trạm bạn quản lý (chưa đăng ký hoặc ngoài phạm vi) ({n} dòng)",
        "station code {code!r} is not one of your stations (not registered, or outside your "
        "scope) ({n} rows)",
    ),
    "outside_hint": (
        "sửa mã trạm, hoặc nhờ cán bộ quản lý danh mục đăng ký trạm",
        "fix the code, or ask registry staff to register the station",
    ),
    "refused": (
        "tệp có dòng của trạm không thuộc phạm vi của bạn: không ghi dữ liệu nào",
        "the file has rows of stations outside your scope: nothing was written",
    ),
}


@dataclass
class Options:
    """What `quantrac import` takes besides the file, as query parameters."""

    campaign: str | None = None
    campaign_name: str | None = None
    network: str | None = None
    station: str | None = None
    sheet: str | None = None
    number_style: Literal["auto", "vi", "en"] = "auto"
    lang: Literal["vi", "en"] | None = None


def options(
    campaign: Annotated[str | None, Query(max_length=64)] = None,
    campaign_name: Annotated[str | None, Query(max_length=255)] = None,
    network: Annotated[str | None, Query(max_length=64)] = None,
    station: Annotated[
        str | None, Query(max_length=64, description="for a one-station sheet")
    ] = None,
    sheet: Annotated[str | None, Query(max_length=128, description="XLSX sheet name")] = None,
    number_style: Literal["auto", "vi", "en"] = "auto",
    lang: Annotated[Literal["vi", "en"] | None, Query(description="report language")] = None,
) -> Options:
    return Options(
        blank(campaign), blank(campaign_name), blank(network), blank(station), blank(sheet),
        number_style, lang,
    )  # fmt: skip


def blank(text: str | None) -> str | None:
    return (text.strip() or None) if text else None


Opts = Annotated[Options, Depends(options)]


def say(key: str, lang: str, **values: Any) -> str:
    vi, en = _TEXT[key]
    return (en if lang.startswith("en") else vi).format(**values)


def lang_of(opts: Options) -> str:
    if opts.lang:
        return opts.lang
    from quantrac.settings import get_settings

    return get_settings().language


@dataclass
class Scope:
    """The file's stations the caller manages, and those outside (with their rows)."""

    mine: list[str] = field(default_factory=list)
    outside: dict[str, list[int]] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)


def scope_of(ctx: ApiContext, p: Principal, data: bytes, name: str, opts: Options) -> Scope:
    read = read_sheet(
        data, name, sheet=opts.sheet, number_style=opts.number_style, station=opts.station
    )
    rows: dict[str, set[int]] = defaultdict(set)
    for r in read.records:
        rows[r.station_code].add(r.row)
    with ctx.store.read() as conn:
        mine = managed_codes(conn, p, include_retired=True)
    lang, scope = lang_of(opts), Scope(mine=sorted(set(rows) & set(mine)))
    if p.role == "admin":  # unknown codes: the importer's own report line, with suggestions
        return scope
    column = next((c for c in read.columns if c.role == "station"), None)
    for code in sorted(set(rows) - set(mine)):
        found = sorted(rows[code])
        scope.outside[code] = found
        near = nearest(code, mine)
        hint = say("outside_hint", lang)
        if near:
            hint = importer_text("did_you_mean", lang, names=", ".join(near)) + " — " + hint
        scope.issues.append(
            Issue(
                say("outside", lang, code=code, n=len(found)),
                rows=tuple(found),
                column=column.letter if column else None,
                column_name=column.header if column else None,
                value=code,
                suggestion=hint,
            )
        )
    return scope


def _about_outside(issue: Issue, scope: Scope, lang: str) -> bool:
    """The importer's own lines about a code outside the scope (they would reveal it)."""
    if issue.value not in scope.outside:
        return False
    n = len(issue.rows)
    return issue.message in {
        importer_text(key, lang, code=issue.value, n=n)
        for key in ("unknown_station", "retired_station")
    }


def report_out(raw_file_id: int, report: ImportReport, scope: Scope, lang: str) -> dict[str, Any]:
    issues = [*scope.issues, *(i for i in report.issues if not _about_outside(i, scope, lang))]
    exceedances = [e for e in report.exceedances if e.station_code not in scope.outside]
    counts = WriteCounts() if scope.outside else report.counts
    blocked = any(i.severity == "error" and i.scope == "file" for i in issues)
    return {
        "raw_file_id": raw_file_id,
        "filename": report.filename,
        "mode": report.mode,
        "layout": report.layout,
        "sheet": report.sheet,
        "records_read": report.records_read,
        "samples_read": report.samples_read,
        "results_accepted": report.results_accepted,
        "rows_rejected": len(report.rejected_rows),
        "errors": sum(i.severity == "error" for i in issues),
        "warnings": sum(i.severity == "warning" for i in issues),
        "issues": [_issue_out(i) for i in issues[:1000]],
        "exceedances": [_exceedance_out(e) for e in exceedances[:1000]],
        "counts": _counts(counts),
        "written": report.written,
        "campaigns": list(report.campaigns),
        "stations": scope.mine,
        "outcome": report.outcome,
        "committable": not scope.outside and not blocked and report.results_accepted > 0,
    }


def _counts(c: WriteCounts) -> dict[str, int]:
    return {k: getattr(c, k) for k in WriteCounts.__dataclass_fields__}


def _issue_out(i: Issue) -> dict[str, Any]:
    return {
        "severity": i.severity,
        "scope": i.scope,
        "rows": list(i.rows[:50]),
        "row_count": len(i.rows),
        "column": i.column,
        "column_name": i.column_name,
        "value": i.value,
        "message": i.message,
        "suggestion": i.suggestion,
    }


def _exceedance_out(e: Any) -> dict[str, Any]:
    return {
        "row": e.row,
        "station": e.station_code,
        "sampled_at": iso(e.sampled_at),
        "parameter": e.parameter_code,
        "value": e.value,
        "qualifier": e.qualifier,
        "compared": e.compared,
        "limit": e.limit,
        "unit": e.unit,
        "direction": e.direction,
        "ratio": e.ratio,
        "regulation": e.regulation,
        "column": e.rule_column,
    }
