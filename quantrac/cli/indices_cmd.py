"""`quantrac aqi | wqi | compliance | events | alerts …`: indices, QCVN compliance and alerts.

Periods are local (Asia/Ho_Chi_Minh): `--from 01/03/2025 --to 03/03/2025` covers the three
days; a date alone in `--to` means the end of that day. Without them: the last 7 days.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from pydantic import ValidationError as PydanticError
from rich.table import Table
from rich.text import Text

from quantrac.alerts.dispatch import (
    EVENT_KINDS,
    AlertRuleSpec,
    Dispatcher,
    add_rule,
    list_rules,
    set_rule_active,
)
from quantrac.catalog.index_tables import IndexCategory, aqi_categories, wqi_categories
from quantrac.cli.common import console, local_time, open_store
from quantrac.errors import ValidationError
from quantrac.jobs.compliance_job import (
    RuleOutcome,
    evaluate_station,
    list_events,
    run_compliance,
)
from quantrac.jobs.indices_job import AQI_DAILY, AQI_HOURLY, WQI_DAILY, IndexRow, station_rows
from quantrac.settings import get_settings

alerts_app = typer.Typer(help="Cảnh báo (alert rules and deliveries).", no_args_is_help=True)

DEFAULT_DAYS = 7
_FORMATS = ("%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d")

FromOption = Annotated[
    str | None, typer.Option("--from", help="Start, local time: dd/mm/yyyy [HH:MM]")
]
ToOption = Annotated[str | None, typer.Option("--to", help="End, local time: dd/mm/yyyy [HH:MM]")]


def _tr(vi: str, en: str) -> str:
    return en if get_settings().language.lower().startswith("en") else vi


def parse_local(text: str, *, end: bool = False) -> int:
    """Epoch seconds of a local date/time; a bare date as `end` means 24:00 of that day."""
    zone = ZoneInfo(get_settings().timezone)
    for fmt in _FORMATS:
        try:
            moment = datetime.strptime(text.strip(), fmt).replace(tzinfo=zone)
        except ValueError:
            continue
        if end and "%H" not in fmt:
            moment += timedelta(days=1)
        return int(moment.timestamp())
    raise ValidationError("unreadable date", [(text, "use dd/mm/yyyy or dd/mm/yyyy HH:MM")])


def period(from_: str | None, to: str | None) -> tuple[int, int]:
    """(start, end] in epoch seconds from the CLI options."""
    end = parse_local(to, end=True) if to else int(time.time())
    start = parse_local(from_) if from_ else end - DEFAULT_DAYS * 86400
    if end <= start:
        raise ValidationError("empty period", [("--to", "must come after --from")])
    return start, end


def _badge(value: float | None, label_en: str | None, scale: tuple[IndexCategory, ...]) -> Text:
    """The index on its Bảng 1 colour, with readable text on top."""
    if value is None:
        return Text("—")
    category = next((c for c in scale if c.label_en == label_en), None)
    if category is None:
        return Text(f"{value:g}")
    r, g, b = category.rgb
    ink = "black" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "white"
    return Text(f" {value:g} ", style=f"bold {ink} on {category.hex}")


def _label(label_en: str | None, scale: tuple[IndexCategory, ...]) -> str:
    category = next((c for c in scale if c.label_en == label_en), None)
    if category is None:
        return "—"
    return _tr(category.label_vi, category.label_en)


def _when(row: IndexRow, daily: bool) -> str:
    return local_time(row.time - 1)[:10] if daily else local_time(row.time)


def _pairs(mapping: dict[str, object]) -> str:
    return " · ".join(f"{k.upper()} {v}" for k, v in mapping.items())


def aqi(
    station: Annotated[str, typer.Argument(help="Station code")],
    from_: FromOption = None,
    to: ToOption = None,
    daily: Annotated[bool, typer.Option("--daily/--hourly", help="Daily or hourly VN_AQI")] = True,
) -> None:
    """VN_AQI of an air station (Decision 1459/QĐ-TCMT), computed from stored data."""
    start, end = period(from_, to)
    kind = AQI_DAILY if daily else AQI_HOURLY
    rows = station_rows(open_store(), station, kind, start, end)
    scale = aqi_categories()
    tab = Table(
        title=f"VN_AQI {_tr('ngày', 'daily') if daily else _tr('giờ', 'hourly')} — {station}",
        header_style="bold cyan",
    )
    for column in (
        _tr("thời gian", "time"),
        "VN_AQI",
        _tr("mức", "category"),
        _tr("chất chính", "dominant"),
        _tr("chỉ số thành phần", "sub-indices"),
        _tr("ghi chú", "notes"),
    ):
        tab.add_column(column)
    for r in rows:
        notes = r.details.get("reason") or "; ".join(r.details.get("notes", []))
        tab.add_row(
            _when(r, daily),
            _badge(r.value, r.category, scale),
            _label(r.category, scale),
            (r.dominant or "—").upper(),
            _pairs(r.details.get("sub", {})),
            notes,
        )
    console.print(tab)


def wqi(
    station: Annotated[str, typer.Argument(help="Station code")],
    from_: FromOption = None,
    to: ToOption = None,
) -> None:
    """Daily VN_WQI of an automatic surface-water station (Decision 1460/QĐ-TCMT)."""
    start, end = period(from_, to)
    rows = station_rows(open_store(), station, WQI_DAILY, start, end)
    scale = wqi_categories()
    tab = Table(title=f"VN_WQI {_tr('ngày', 'daily')} — {station}", header_style="bold cyan")
    for column in (
        _tr("ngày", "day"),
        "VN_WQI",
        _tr("mức", "category"),
        _tr("nhóm", "groups"),
        _tr("ghi chú", "notes"),
    ):
        tab.add_column(column)
    for r in rows:
        groups = " · ".join(f"{g} {v:g}" for g, v in r.details.get("groups", {}).items())
        tab.add_row(
            _when(r, daily=True),
            _badge(r.value, r.category, scale),
            _label(r.category, scale),
            groups,
            r.details.get("reason") or "; ".join(r.details.get("notes", [])),
        )
    console.print(tab)
    console.print(f"[dim]{_tr('Lưu ý', 'Caveat')}: {rows[0].details['caveat']}[/]" if rows else "")


def _limit(o: RuleOutcome) -> str:
    low, high = o.minimum, o.maximum
    if o.rule.kind == "not_detected":
        return _tr("KPH (không phát hiện)", "not detected")
    if low is None and high is None:
        return "—"
    text = (
        f"{low:g}–{high:g}"
        if low is not None and high is not None
        else (f"≤ {high:g}" if high is not None else f"≥ {low:g}")
    )
    if o.scale != 1 and o.rule.maximum is not None:
        text += f" ({o.rule.maximum:g} × {o.scale:g})"
    return text if o.rule.unit in ("", "-") else f"{text} {o.rule.unit}"


def _period_label(end: int | None, averaging: str) -> str:
    """A period by its end: the day of a 24-h mean, the year of an annual one, else the time."""
    if end is None:
        return "—"
    if averaging == "24h":
        return local_time(end - 1)[:10]
    if averaging == "year":
        return local_time(end - 1)[6:10]
    return local_time(end)


_STATUS = {
    "pass": ("Đạt", "Pass", "green"),
    "exceed": ("Vượt", "Exceeds", "bold red"),
    "no data": ("Không đủ số liệu", "No data", "yellow"),
    "not evaluated": ("Không đánh giá", "Not evaluated", "dim"),
}


def compliance(
    station: Annotated[str, typer.Argument(help="Station code")],
    from_: FromOption = None,
    to: ToOption = None,
    record: Annotated[
        bool, typer.Option(help="Also record exceedance events (idempotent)")
    ] = False,
) -> None:
    """Each applicable QCVN rule: the averaged value, the limit (× Kq × Kf), pass or exceed."""
    store = open_store()
    start, end = period(from_, to)
    if record:
        report, changes = run_compliance(store, station, start, end)
        console.print(
            _tr("Sự kiện", "Events") + f": +{len(changes.opened)} / ~{len(changes.updated)}"
            f" / −{len(changes.withdrawn)}"
        )
    else:
        report = evaluate_station(store, station, start, end)
    title = f"{report.station_code} — {report.regulation or '—'} {report.column or ''}".strip()
    tab = Table(title=title, header_style="bold cyan")
    for column in (
        _tr("thông số", "parameter"),
        _tr("trung bình", "averaging"),
        _tr("giá trị", "value"),
        _tr("lúc", "at"),
        _tr("giới hạn", "limit"),
        _tr("số giá trị", "periods"),
        _tr("vượt", "exceeded"),
        _tr("kết quả", "result"),
    ):
        tab.add_column(column)
    for o in report.outcomes:
        vi, en, style = _STATUS[o.status]
        tab.add_row(
            f"{o.parameter_code} ({o.rule.column})",
            o.rule.averaging,
            "—" if o.value is None else f"{o.value:.4g}",
            _period_label(o.value_at, o.rule.averaging),
            _limit(o),
            str(o.periods),
            str(o.exceeded),
            Text(_tr(vi, en), style=style),
        )
    console.print(tab)
    for note in report.notes:
        console.print(f"[yellow]• {note}[/]")


def events(
    station: Annotated[str | None, typer.Option(help="Station code")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Open events only")] = False,
    limit: Annotated[int, typer.Option(help="How many, newest first")] = 50,
) -> None:
    """Events (exceedance, offline, delayed, QC failure), newest first."""
    rows = list_events(open_store(), station_code=station, open_only=open_only, limit=limit)
    tab = Table(title=f"{_tr('Sự kiện', 'Events')} ({len(rows)})", header_style="bold cyan")
    for column in (
        "id",
        _tr("trạm", "station"),
        _tr("loại", "kind"),
        _tr("thông số", "parameter"),
        _tr("quy chuẩn", "rule"),
        _tr("trạng thái", "status"),
        _tr("bắt đầu", "started"),
        _tr("gần nhất", "last"),
        _tr("kết thúc", "ended"),
        _tr("xấu nhất", "worst"),
    ):
        tab.add_column(column)
    for e in rows:
        rule = f"{e['regulation']} {e['averaging']}" if e["regulation"] else "—"
        status = Text(e["status"], style="bold red" if e["status"] == "open" else "green")
        peak = "—" if e["peak_value"] is None else f"{e['peak_value']:.4g}"
        tab.add_row(
            str(e["id"]),
            e["station_code"],
            e["kind"],
            e["parameter_code"] or "—",
            rule,
            status,
            local_time(e["started_at"]),
            local_time(e["last_at"]),
            local_time(e["ended_at"]),
            peak,
        )
    console.print(tab)


# --- alerts ---------------------------------------------------------------------------------
@alerts_app.command("add")
def alerts_add(
    name: Annotated[str, typer.Argument(help="A name people recognise")],
    channel: Annotated[str, typer.Option(help="webhook | email")],
    target: Annotated[str, typer.Option(help="URL (webhook) or addresses (email)")],
    kind: Annotated[
        list[str] | None, typer.Option(help=f"Event kind, repeatable: {', '.join(EVENT_KINDS)}")
    ] = None,
    station: Annotated[list[str] | None, typer.Option(help="Station code, repeatable")] = None,
    secret: Annotated[str | None, typer.Option(help="HMAC secret for a webhook")] = None,
) -> None:
    """Add an alert rule. Events that already exist are not replayed to it."""
    values = {
        "name": name,
        "event_kinds": kind or list(EVENT_KINDS),
        "stations": station or None,
        "channel": channel,
        "target": target,
        "secret": secret,
    }
    try:
        spec = AlertRuleSpec.model_validate(values)
    except PydanticError as e:  # shown as a clean message with exit code 2 by cli.main
        problems = [(".".join(map(str, err["loc"])) or "rule", err["msg"]) for err in e.errors()]
        raise ValidationError("invalid alert rule", problems) from e
    rule_id = add_rule(open_store(), spec)
    console.print(_tr("Đã tạo quy tắc cảnh báo", "Created alert rule") + f" #{rule_id}")


@alerts_app.command("list")
def alerts_list() -> None:
    """List alert rules (secrets hidden)."""
    tab = Table(title=_tr("Quy tắc cảnh báo", "Alert rules"), header_style="bold cyan")
    for column in (
        "id",
        _tr("tên", "name"),
        _tr("sự kiện", "events"),
        _tr("trạm", "stations"),
        _tr("kênh", "channel"),
        _tr("đích", "target"),
        _tr("bật", "active"),
    ):
        tab.add_column(column)
    for r in list_rules(open_store()):
        tab.add_row(
            str(r["id"]),
            r["name"],
            r["event_kinds"],
            r["station_filter"] or "*",
            r["channel"],
            r["target"],
            "✓" if r["active"] else "✗",
        )
    console.print(tab)


@alerts_app.command("disable")
def alerts_disable(rule_id: Annotated[int, typer.Argument(help="Rule id")]) -> None:
    """Stop a rule (its pending deliveries wait until it is enabled again)."""
    set_rule_active(open_store(), rule_id, False)


@alerts_app.command("enable")
def alerts_enable(rule_id: Annotated[int, typer.Argument(help="Rule id")]) -> None:
    """Start a stopped rule again."""
    set_rule_active(open_store(), rule_id, True)


@alerts_app.command("run")
def alerts_run(
    watch: Annotated[
        float | None, typer.Option(help="Keep running, every this many seconds")
    ] = None,
) -> None:
    """Queue and deliver pending alerts (retries with back-off; safe to run in parallel)."""
    dispatcher = Dispatcher(open_store())
    while True:
        r = dispatcher.run_once()
        console.print(
            _tr("Hàng đợi", "Queued")
            + f" {r.queued} · "
            + _tr("đã gửi", "delivered")
            + f" {r.delivered} · "
            + _tr("thử lại", "retrying")
            + f" {r.retried} · "
            + _tr("thất bại", "failed")
            + f" {r.failed}"
        )
        if watch is None:
            return
        time.sleep(watch)


def compute_indices(
    station: Annotated[list[str] | None, typer.Option(help="Station code, repeatable")] = None,
    from_: FromOption = None,
    to: ToOption = None,
) -> None:
    """Compute and store VN_AQI / VN_WQI: the days touched since the last run, or a period."""
    from quantrac.jobs.indices_job import run_indices

    start, end = period(from_, to) if from_ or to else (None, None)
    report = run_indices(open_store(), stations=station or None, start=start, end=end)
    console.print(report.summary())
    for problem in report.problems:
        console.print(f"[yellow]• {problem}[/]")
