"""`quantrac qc …`, `quantrac review …`, `quantrac trend`, `quantrac forecast`, `quantrac tamper`:
quality control, review and analysis from the command line (Vietnamese by default)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import numpy as np
import typer

from quantrac.cli.common import console, local_time, open_store, table
from quantrac.errors import ValidationError
from quantrac.settings import get_settings

qc_app = typer.Typer(help="Kiểm soát chất lượng dữ liệu (quality control).", no_args_is_help=True)
review_app = typer.Typer(
    help="Xem xét, phê duyệt, hiệu chỉnh dữ liệu (review, approval, corrections).",
    no_args_is_help=True,
)

FLAG_VI = {1: "tốt", 2: "chưa đánh giá", 3: "nghi ngờ", 4: "lỗi", 9: "thiếu"}
FLAG_EN = {1: "good", 2: "not evaluated", 3: "suspect", 4: "bad", 9: "missing"}

FromOpt = Annotated[
    str | None, typer.Option("--from", help="Từ (giờ VN): YYYY-MM-DD[ HH:MM], tính cả mốc này")
]
ToOpt = Annotated[
    str | None, typer.Option("--to", help="Đến (giờ VN): YYYY-MM-DD[ HH:MM], không tính mốc này")
]
LangOpt = Annotated[str | None, typer.Option("--lang", help="vi | en (mặc định: cấu hình)")]


def parse_local(text: str | None) -> int | None:
    """'2020-01-31' or '2020-01-31 07:00' in the configured zone → UTC epoch seconds."""
    if text is None:
        return None
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d", "%Y-%m"):
        try:
            wall = datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
        return int(wall.replace(tzinfo=ZoneInfo(get_settings().timezone)).timestamp())
    raise ValidationError("bad date", [(text, "use YYYY-MM-DD or 'YYYY-MM-DD HH:MM'")])


def parse_required(text: str) -> int:
    """`parse_local` for an option that must be given."""
    value = parse_local(text)
    if value is None:
        raise ValidationError("a date is required", [("date", "empty")])
    return value


def _lang(lang: str | None) -> str:
    chosen = (lang or get_settings().language or "vi").lower()[:2]
    if chosen not in ("vi", "en"):
        raise ValidationError("bad language", [(chosen, "use vi or en")])
    return chosen


def _flags_text(counts: dict[int, int], lang: str) -> str:
    names = FLAG_VI if lang == "vi" else FLAG_EN
    return ", ".join(f"{names.get(f, f)} {n}" for f, n in sorted(counts.items()))


def _series_id(station: str, parameter: str) -> int:
    from quantrac.review.window import find_series

    store = open_store()
    with store.read() as conn:
        return find_series(conn, station, parameter).id


# ------------------------------------------------------------------------------------------
# qc
# ------------------------------------------------------------------------------------------
@qc_app.command("run")
def qc_run(
    station: Annotated[str | None, typer.Option(help="Mã trạm (mặc định: mọi trạm)")] = None,
    start: FromOpt = None,
    end: ToOpt = None,
    ml: Annotated[bool, typer.Option("--ml", help="Thêm mô hình phát hiện bất thường")] = False,
) -> None:
    """Run every QC check over stored data (without --from/--to: what arrived since the
    last run) and store the flags and reasons."""
    from quantrac.review.qc_job import run_qc_job

    result = run_qc_job(
        open_store(), station=station, start=parse_local(start), end=parse_local(end), ml=ml
    )
    rows = [
        [
            s.station,
            s.parameter,
            f"{local_time(s.start)} → {local_time(s.end)}" if s.start is not None else "—",
            s.evaluated,
            s.changed,
            s.staff_kept,
            _flags_text(s.flags, "vi"),
            "; ".join(s.notes),
        ]
        for s in result.series
    ]
    console.print(
        table(
            f"Kiểm soát chất lượng: {result.evaluated} giá trị, {result.changed} thay đổi cờ",
            [
                "trạm",
                "thông số",
                "khoảng",
                "đánh giá",
                "đổi cờ",
                "giữ theo cán bộ",
                "cờ",
                "ghi chú",
            ],
            rows,
        )
    )


@qc_app.command("report")
def qc_report(
    station: str,
    start: FromOpt = None,
    end: ToOpt = None,
    values: Annotated[
        str | None, typer.Option(help="Liệt kê các giá trị bị gắn cờ của thông số này")
    ] = None,
    lang: LangOpt = None,
) -> None:
    """Flags and reasons per parameter of a station over a period, and approval coverage."""
    from quantrac.review.report import flagged_values
    from quantrac.review.report import qc_report as build_report

    language = _lang(lang)
    store = open_store()
    t0, t1 = parse_local(start), parse_local(end)
    reports = build_report(store, station, start=t0, end=t1, lang=language)
    vi = language == "vi"
    console.print(
        table(
            f"{'Báo cáo chất lượng' if vi else 'QC report'} — {station}",
            [
                "thông số" if vi else "parameter",
                "số giá trị" if vi else "values",
                "cờ" if vi else "flags",
                "đã phê duyệt" if vi else "approved",
                "lý do" if vi else "reasons",
            ],
            (
                [
                    r.parameter,
                    r.total,
                    _flags_text(r.flags, language),
                    r.approved,
                    "; ".join(f"{c.description} ({c.count})" for c in r.reasons[:6]),
                ]
                for r in reports
            ),
        )
    )
    if values:
        sid = _series_id(station, values)
        rows = flagged_values(store, sid, start=t0, end=t1, lang=language)
        names = FLAG_VI if vi else FLAG_EN
        console.print(
            table(
                f"{values}: {'giá trị bị gắn cờ' if vi else 'flagged values'} ({len(rows)})",
                [
                    "thời điểm" if vi else "time",
                    "giá trị" if vi else "value",
                    "cờ" if vi else "flag",
                    "lý do" if vi else "reasons",
                ],
                (
                    [local_time(r.time), r.value, names[r.flag], "; ".join(r.descriptions)]
                    for r in rows
                ),
            )
        )


# ------------------------------------------------------------------------------------------
# review
# ------------------------------------------------------------------------------------------
ByOpt = Annotated[str, typer.Option("--by", help="Tên cán bộ thực hiện")]


@review_app.command("approve")
def review_approve(
    station: str,
    parameter: str,
    start: Annotated[str, typer.Option("--from", help="Từ (giờ VN), tính cả mốc này")],
    end: Annotated[str, typer.Option("--to", help="Đến (giờ VN), không tính mốc này")],
    by: ByOpt,
    state: Annotated[str, typer.Option(help="approved | reviewed | rejected")] = "approved",
    note: Annotated[str | None, typer.Option(help="Ghi chú")] = None,
) -> None:
    """Mark a period of a series approved (public), reviewed, or rejected."""
    from quantrac.review.approval import mark_period

    period = mark_period(
        open_store(),
        _series_id(station, parameter),
        parse_required(start),
        parse_required(end),
        state,
        by=by,
        note=note,
    )
    console.print(
        f"[green]Đã ghi[/] {state}: {station} {parameter} {local_time(period.start)} → "
        f"{local_time(period.end)} ({period.by}, #{period.id})"
    )


@review_app.command("override")
def review_override(
    station: str,
    parameter: str,
    start: Annotated[str, typer.Option("--from", help="Từ (giờ VN), tính cả mốc này")],
    end: Annotated[str, typer.Option("--to", help="Đến (giờ VN), không tính mốc này")],
    flag: Annotated[int, typer.Option(help="1 tốt, 3 nghi ngờ, 4 lỗi")],
    by: ByOpt,
    reason: Annotated[str, typer.Option(help="Lý do (bắt buộc)")],
) -> None:
    """Set the QC flag of every value in a period, with a reason (kept in the history)."""
    from quantrac.review.edits import override_flags

    changed = override_flags(
        open_store(),
        _series_id(station, parameter),
        parse_required(start),
        parse_required(end),
        flag,
        by=by,
        reason=reason,
    )
    console.print(f"[green]Đã đặt cờ {FLAG_VI.get(flag, flag)}[/] cho {changed} giá trị.")


@review_app.command("correct")
def review_correct(
    station: str,
    parameter: str,
    at: Annotated[str, typer.Option("--at", help="Thời điểm đo (giờ VN): YYYY-MM-DD HH:MM")],
    value: Annotated[str, typer.Option(help="Giá trị đúng, hoặc 'none' để xóa giá trị")],
    by: ByOpt,
    reason: Annotated[str, typer.Option(help="Lý do (bắt buộc)")],
) -> None:
    """Correct one stored value, with a reason (the old value stays in the history)."""
    from quantrac.review.edits import correct_value

    number = None if value.strip().lower() in ("none", "") else float(value.replace(",", "."))
    rev = correct_value(
        open_store(),
        _series_id(station, parameter),
        parse_required(at),
        number,
        by=by,
        reason=reason,
    )
    console.print(
        f"[green]Đã hiệu chỉnh[/] {station} {parameter} {local_time(rev.time)}: "
        f"{rev.old_value} → {rev.new_value} (sửa đổi #{rev.id})"
    )


@review_app.command("history")
def review_history(station: str, parameter: str, start: FromOpt = None, end: ToOpt = None) -> None:
    """Every revision of a series' values: who, when, old → new, why."""
    from quantrac.review.edits import history

    rows = history(
        open_store(), _series_id(station, parameter), parse_local(start), parse_local(end)
    )
    console.print(
        table(
            f"Lịch sử sửa đổi {station} {parameter} ({len(rows)})",
            ["thời điểm đo", "cũ", "mới", "cờ", "nguồn", "người sửa", "lý do", "lúc"],
            (
                [
                    local_time(r.time),
                    r.old_value,
                    r.new_value,
                    f"{r.old_flag}→{r.new_flag}",
                    r.source,
                    r.changed_by,
                    r.reason,
                    local_time(r.changed_at),
                ]
                for r in rows
            ),
        )
    )


# ------------------------------------------------------------------------------------------
# trend, forecast, tamper
# ------------------------------------------------------------------------------------------
def trend(
    station: str, parameter: str, start: FromOpt = None, end: ToOpt = None, lang: LangOpt = None
) -> None:
    """Trend of monthly means: seasonal Kendall with Sen's slope; Mann-Kendall on annual means."""
    from quantrac.analysis.stored import trend as run_trend

    language = _lang(lang)
    report = run_trend(
        open_store(), station, parameter, start=parse_local(start), end=parse_local(end)
    )
    unit = report.info.unit
    complete = int(np.count_nonzero(~np.isnan(report.monthly)))
    console.print(
        f"[bold]{station} {report.info.parameter}[/] — {complete} "
        + ("tháng đủ số liệu" if language == "vi" else "complete months")
    )
    for label, result in (
        ("Seasonal Kendall (tháng)", report.seasonal),
        ("Mann-Kendall (năm)", report.annual),
    ):
        if result is not None:
            console.print(f"  {label}: {result.summary(unit, language)}")
    for note in report.notes:
        console.print(f"  [yellow]{note}[/]")


def forecast(
    station: Annotated[str, typer.Argument(help="Mã trạm (hoặc tên trạm trong tệp backtest)")],
    backtest: Annotated[
        Path | None,
        typer.Option(exists=True, help="Tệp hoặc thư mục AirNow CSV: chạy backtest thay vì dự báo"),
    ] = None,
) -> None:
    """Forecast PM2.5 and the VN_AQI category for the next 24 hours, or backtest the model on
    AirNow files against persistence and seasonal-naive baselines."""
    if backtest is not None:
        _backtest(backtest)
        return
    from quantrac.analysis.stored import forecast as run_forecast

    result = run_forecast(open_store(), station)
    method = {"seasonal_naive": "cùng giờ hôm qua", "persistence": "giữ giá trị cuối"}.get(
        result.method, f"mô hình {result.method}"
    )
    console.print(
        table(
            f"Dự báo PM2.5 24 giờ tới — {station} ({method})",
            ["giờ (kết thúc)", "PM2.5 µg/m³", "VN_AQI (NowCast)"],
            (
                [local_time(int(t)), f"{v:.1f}", c]
                for t, v, c in zip(result.hour_ends, result.values, result.categories, strict=True)
            ),
        )
    )
    for note in result.notes:
        console.print(f"[yellow]{note}[/]")


def _backtest(path: Path) -> None:
    from quantrac.analysis import backtest as bt
    from quantrac.analysis.airnow import airnow_sites
    from quantrac.indices.aggregates import hourly_grid

    files = sorted(path.glob("*.csv")) if path.is_dir() else [path]
    sites = airnow_sites(path if path.is_dir() else path.parent, files)
    grids = {}
    for site, s in sites.items():
        g = hourly_grid(s.times, s.valid_values)
        grids[site] = (g.times, g.values)
    folds = bt.backtest_sites(grids, kinds=("ridge",))
    if not any(folds.values()):
        console.print("[yellow]Không đủ dữ liệu: cần ≥ 6000 giờ trước năm kiểm tra.[/]")
        return
    console.print(bt.markdown_table(folds, ("ridge",)))
    for line in bt.verdict_lines(folds, ("ridge",)):
        console.print(line)


def tamper(
    station: str,
    start: FromOpt = None,
    end: ToOpt = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="Hiện mọi tháng, không chỉ cảnh báo")
    ] = False,
) -> None:
    """Tamper indicators per parameter and month, with their evidence (data are not changed)."""
    from quantrac.review.tamper_job import screen_station

    result = screen_station(open_store(), station, start=parse_local(start), end=parse_local(end))
    findings = [*result.findings, *result.pairs]
    shown = findings if show_all else [f for f in findings if f.alarm]
    rows = []
    for f in shown:
        for ind in f.indicators:
            if show_all or ind.alarm:
                evidence = ", ".join(f"{k}={v}" for k, v in ind.evidence.items() if v is not None)
                rows.append(
                    [f.station, f.parameter, f.period, ind.name, f"{ind.score:.2f}", evidence]
                )
    title = (
        f"Dấu hiệu can thiệp số liệu — {station}: {len(result.alarms)} cảnh báo "
        f"/ {len(findings)} tháng·thông số"
    )
    console.print(
        table(title, ["trạm", "thông số", "tháng", "chỉ báo", "điểm", "bằng chứng"], rows)
    )
    for note in result.notes:
        console.print(f"[dim]{note}[/]")
