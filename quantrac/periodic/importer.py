"""`import_sheet`: one lab spreadsheet through read → standardize → validate → compliance → store.

Modes (issue 4):

- ``dry-run``: everything but the write; the counts say what a real import would change;
- ``strict`` (default): any error and nothing is written;
- ``accept-valid``: the results no error keeps out are written, the rest reported.

The plan is made inside the write transaction from what is stored at that moment, so two
imports of overlapping files cannot both insert the same sample.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from quantrac.codecs.sheet import read_sheet
from quantrac.codecs.sheet_values import NumberStyle
from quantrac.errors import ValidationError
from quantrac.periodic.compliance import assess
from quantrac.periodic.messages import text
from quantrac.periodic.model import MODES, ImportReport, Issue, Mode, StandardResult, WriteCounts
from quantrac.periodic.plan import WritePlan, plan_writes
from quantrac.periodic.standardize import CODE_MAX, VN_ZONE, standardize
from quantrac.periodic.store import (
    apply_plan,
    known_campaigns,
    load_stations,
    load_stored,
    record_import,
    upsert_campaigns,
)
from quantrac.periodic.validate import validate
from quantrac.store.db import Store, now_s

#: progress(stage, done, total); stages: read, standardize, validate, compliance, write.
ProgressCallback = Callable[[str, int, int], None]


def import_sheet(
    store: Store,
    data: bytes,
    filename: str,
    *,
    mode: Mode = "strict",
    campaign: str | None = None,
    campaign_name: str | None = None,
    network: str | None = None,
    station: str | None = None,
    sheet: str | None = None,
    number_style: NumberStyle = "auto",
    raw_file_id: int | None = None,
    actor: str = "import",
    lang: str | None = None,
    zone: str = VN_ZONE,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Import one CSV/XLSX of lab results and report row by row.

    `campaign` (a code) puts every sample in that campaign, created if new, named
    `campaign_name`; without it a 'Đợt quan trắc' column names each sample's campaign.
    `station` is the station code of a sheet without a station column. Raises `CodecError`
    for a file that is not a readable table and `ValidationError` for bad arguments.
    """
    if mode not in MODES:
        raise ValidationError("invalid mode", [("mode", f"{mode!r}: use {', '.join(MODES)}")])
    if campaign is not None and not 0 < len(campaign.strip()) <= CODE_MAX:
        raise ValidationError("invalid campaign", [("campaign", f"1–{CODE_MAX} characters")])
    lang = lang or _language()
    step = progress or _silent
    read = read_sheet(data, filename, sheet=sheet, number_style=number_style, station=station)
    step("read", 1, 1)
    with store.read() as conn:
        stations = load_stations(conn)
    results, issues = standardize(read, stations, zone=zone, now=now_s(), lang=lang)
    step("standardize", 1, 1)
    checked = validate(read, results, issues, lang)
    step("validate", 1, 1)
    exceedances, notes = assess(checked.accepted, lang=lang)
    step("compliance", 1, 1)
    all_issues = [*checked.issues, *notes]
    errors = sum(i.severity == "error" for i in all_issues)
    campaign = campaign.strip() if campaign else None
    write = _Write(store, checked.accepted, campaign, campaign_name, network, raw_file_id)
    counts, written, outcome = WriteCounts(), False, ""
    if mode == "dry-run":
        with store.read() as conn:
            counts = write.plan(conn).counts()
        outcome = text("dry_run", lang)
    elif checked.blocked:
        outcome = text("file_blocked", lang)
    elif mode == "strict" and errors:
        outcome = text("strict_refused", lang, n=errors)
    else:
        counts = write.run(filename, actor, lambda done, total: step("write", done, total))
        written = True
    return ImportReport(
        filename=filename,
        mode=mode,
        layout=read.layout,
        sheet=read.sheet,
        records_read=len(read.records),
        samples_read=read.sample_count,
        results_accepted=len(checked.accepted),
        rejected_rows=checked.rejected_rows,
        issues=tuple(all_issues),
        exceedances=tuple(exceedances),
        counts=counts,
        written=written,
        campaigns=tuple(sorted(write.campaign_codes())),
        outcome=outcome,
    )


class _Write:
    """Plan and apply one import's writes (a class only to share the arguments)."""

    def __init__(
        self,
        store: Store,
        results: list[StandardResult],
        campaign: str | None,
        campaign_name: str | None,
        network: str | None,
        raw_file_id: int | None,
    ) -> None:
        self.store = store
        self.results = results
        self.campaign = campaign
        self.names = {campaign: campaign_name} if campaign and campaign_name else {}
        self.network = network
        self.raw_file_id = raw_file_id

    def campaign_codes(self) -> set[str]:
        if self.campaign:
            return {self.campaign} if self.results else set()
        return {r.sample.campaign for r in self.results if r.sample.campaign}

    def plan(self, conn: Connection) -> WritePlan:
        stored, stored_results = load_stored(conn, (r.key for r in self.results))
        return plan_writes(
            self.results,
            stored,
            stored_results,
            campaign=self.campaign,
            known_campaigns=known_campaigns(conn, self.campaign_codes()),
        )

    def run(self, filename: str, actor: str, progress: Callable[[int, int], None]) -> WriteCounts:
        now = now_s()
        with self.store.write() as conn:
            plan = self.plan(conn)
            counts = plan.counts()
            if not counts.changed and not plan.new_campaigns:
                return counts
            ids = upsert_campaigns(
                conn,
                plan.campaign_days,
                now=now,
                names=self.names,
                network=self.network,
                medium=self._medium(),
            )
            apply_plan(
                conn,
                plan,
                ids,
                now=now,
                filename=filename,
                actor=actor,
                raw_file_id=self.raw_file_id,
                progress=progress,
            )
            record_import(conn, now=now, actor=actor, filename=filename, details=_details(plan))
        return counts

    def _medium(self) -> str | None:
        """The medium most samples are of, recorded on a new campaign."""
        media = Counter(r.sample.matrix for r in self.results)
        return media.most_common(1)[0][0] if media else None


def _details(plan: WritePlan) -> dict[str, Any]:
    counts = plan.counts()
    return {
        "samples_new": counts.samples_new,
        "samples_updated": counts.samples_updated,
        "results_new": counts.results_new,
        "results_updated": counts.results_updated,
        "campaigns": sorted(plan.campaign_days),
    }


def _language() -> str:
    from quantrac.settings import get_settings

    return get_settings().language


def _silent(stage: str, done: int, total: int) -> None:
    return None


def issue_rows(issue: Issue, shown: int = 5) -> str:
    """'12', '12, 14, 15' or '2, 3, 4, 5, 6 … (+2691)' for a report cell."""
    rows = issue.rows
    head = ", ".join(str(r) for r in rows[:shown])
    return head + (f" … (+{len(rows) - shown})" if len(rows) > shown else "")
