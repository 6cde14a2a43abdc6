"""`quantrac import FILE` (lab results with a row-by-row report) and `quantrac template MEDIUM`.

Exit codes follow `quantrac.cli.main`: a refused import (strict mode with errors, an error
about the whole file) and a dry run that finds errors raise `ValidationError` after the report
is printed, so scripts see exit code 2. accept-valid exits 0 once the valid rows are stored.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from quantrac.cli.common import console, local_time, open_archive, open_store, table
from quantrac.errors import CodecError, ValidationError
from quantrac.periodic import ImportReport, import_sheet, write_template
from quantrac.periodic.importer import issue_rows
from quantrac.periodic.messages import is_english, severity_label, text
from quantrac.periodic.model import Mode

#: Report text of this command, Vietnamese then English (quantrac.i18n is not ours to edit).
_TEXT: dict[str, tuple[str, str]] = {
    "read": ("Đang đọc tệp", "Reading the file"),
    "standardize": ("Đang chuẩn hóa", "Standardizing"),
    "validate": ("Đang kiểm tra", "Validating"),
    "compliance": ("Đang so sánh QCVN", "Checking QCVN limits"),
    "write": ("Đang ghi dữ liệu", "Writing"),
    "Import report": ("Báo cáo nhập dữ liệu", "Import report"),
    "Problems": ("Vấn đề", "Problems"),
    "Exceedances": ("Vượt quy chuẩn", "Exceedances"),
    "severity": ("mức", "severity"),
    "row": ("dòng", "row"),
    "column": ("cột", "column"),
    "value": ("giá trị", "value"),
    "problem": ("vấn đề", "problem"),
    "suggestion": ("gợi ý", "suggestion"),
    "station": ("trạm", "station"),
    "sampled at": ("thời điểm lấy mẫu", "sampled at"),
    "parameter": ("thông số", "parameter"),
    "result": ("kết quả", "result"),
    "limit": ("giới hạn", "limit"),
    "regulation": ("quy chuẩn", "regulation"),
    "times": ("số lần", "× limit"),
    "file": ("tệp", "file"),
    "layout": ("bố cục", "layout"),
    "results read": ("kết quả đọc được", "results read"),
    "results accepted": ("kết quả hợp lệ", "results accepted"),
    "rows rejected": ("dòng không được lưu", "rows not stored"),
    "samples": ("mẫu: mới / cập nhật / không đổi", "samples: new / updated / unchanged"),
    "results": ("kết quả: mới / cập nhật / không đổi", "results: new / updated / unchanged"),
    "campaigns": ("đợt quan trắc", "campaigns"),
    "written": ("đã ghi", "written"),
    "would write": ("chạy thử: sẽ ghi", "dry run: would write"),
    "not written": ("không ghi", "not written"),
    "more": ("… và {n} dòng nữa (dùng --show để xem thêm)", "… and {n} more (see --show)"),
    "Template written": ("Đã tạo mẫu nhập", "Template written"),
}


_COLOURS = {"error": "red", "warning": "yellow", "info": "blue"}


def _t(key: str, lang: str) -> str:
    vi, en = _TEXT[key]
    return en if is_english(lang) else vi


def import_file(
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV/XLSX kết quả."),
    ],
    campaign: Annotated[
        str | None, typer.Option("--campaign", help="Mã đợt quan trắc (tạo nếu chưa có).")
    ] = None,
    campaign_name: Annotated[
        str | None, typer.Option("--campaign-name", help="Tên đợt quan trắc.")
    ] = None,
    network: Annotated[
        str | None, typer.Option("--network", help="Mạng lưới của đợt (tùy chọn).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Chỉ báo cáo, không ghi (report only).")
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Có lỗi thì không ghi gì (mặc định).")
    ] = False,
    accept_valid: Annotated[
        bool, typer.Option("--accept-valid", help="Ghi các dòng hợp lệ, báo cáo phần còn lại.")
    ] = False,
    station: Annotated[
        str | None, typer.Option("--station", help="Mã trạm cho tệp không có cột mã trạm.")
    ] = None,
    sheet: Annotated[str | None, typer.Option("--sheet", help="Tên sheet trong XLSX.")] = None,
    number_style: Annotated[
        str, typer.Option("--number-style", help="auto | vi (30.000 = 30000) | en")
    ] = "auto",
    show: Annotated[int, typer.Option("--show", help="Số dòng báo cáo tối đa.")] = 50,
) -> None:
    """Nhập kết quả quan trắc định kỳ từ CSV/XLSX (import lab results)."""
    from quantrac.settings import get_settings

    lang = get_settings().language
    mode = _mode(dry_run, strict, accept_valid)
    if number_style not in ("auto", "vi", "en"):
        raise ValidationError("--number-style", [(number_style, "use auto, vi or en")])
    store = open_store()
    data = file.read_bytes()
    # Archived before it is read, like every input; held out of the TT10 ingest queue.
    archive = open_archive(store)
    received = archive.receive(data, file.name, source="cli", sender=_actor(), queue=False)
    rid = received.raw_file_id
    try:
        with _Progress(lang) as progress:
            report = import_sheet(
                store,
                data,
                file.name,
            mode=mode,
            campaign=campaign,
            campaign_name=campaign_name,
            network=network,
            station=station,
            sheet=sheet,
                number_style=number_style,  # type: ignore[arg-type]
                raw_file_id=rid,
                actor=_actor(),
                lang=lang,
                progress=progress,
            )
    except CodecError as e:
        archive.mark(rid, "quarantined", e.message, e.line, e.field)
        raise
    archive.mark(rid, "parsed", f"{mode}: {report.outcome}")
    print_report(report, console, lang=lang, show=show)
    if mode != "dry-run" and not report.written:
        raise ValidationError(report.outcome)
    if mode == "dry-run" and report.errors:
        raise ValidationError(text("errors_found", lang, n=len(report.errors)))


def template(
    medium: Annotated[str, typer.Argument(help="surface_water, groundwater, soil, … / nước mặt")],
    out: Annotated[Path | None, typer.Option("--out", help="Tệp XLSX sẽ tạo.")] = None,
) -> None:
    """Tạo tệp XLSX mẫu nhập kết quả cho một thành phần môi trường (write a template)."""
    from quantrac.catalog import get_catalog
    from quantrac.settings import get_settings

    code = get_catalog().media.get(medium).code
    path = write_template(code, out or Path(f"mau_nhap_{code}.xlsx"))
    console.print(f"[green]{_t('Template written', get_settings().language)}[/] {path}")


def _mode(dry_run: bool, strict: bool, accept_valid: bool) -> Mode:
    chosen = [
        m
        for m, on in (("dry-run", dry_run), ("strict", strict), ("accept-valid", accept_valid))
        if on
    ]
    if len(chosen) > 1:
        raise ValidationError(
            "choose one mode", [("--" + "/--".join(chosen), "only one of them at a time")]
        )
    return chosen[0] if chosen else "strict"  # type: ignore[return-value]


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


class _Progress:
    """A Rich progress bar fed by `import_sheet`'s callback; gone once the import ends."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.bar = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.task = self.bar.add_task(_t("read", lang), total=None)

    def __enter__(self) -> _Progress:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def __call__(self, stage: str, done: int, total: int) -> None:
        self.bar.update(self.task, description=_t(stage, self.lang), completed=done, total=total)


def print_report(report: ImportReport, out: Console, *, lang: str = "vi", show: int = 50) -> None:
    """The summary, the problems and the exceedances, as tables."""
    c = report.counts
    written = _t("written" if report.written else "would write", lang)
    if not report.written and report.mode != "dry-run":
        written = _t("not written", lang)
    summary = [
        (_t("file", lang), report.filename + (f" ({report.sheet})" if report.sheet else "")),
        (_t("layout", lang), report.layout),
        (_t("results read", lang), str(report.records_read)),
        (_t("results accepted", lang), str(report.results_accepted)),
        (_t("rows rejected", lang), str(len(report.rejected_rows))),
        (
            f"{_t('samples', lang)} ({written})",
            f"{c.samples_new} / {c.samples_updated} / {c.samples_unchanged}",
        ),
        (
            f"{_t('results', lang)} ({written})",
            f"{c.results_new} / {c.results_updated} / {c.results_unchanged}",
        ),
        (_t("campaigns", lang), ", ".join(report.campaigns) or "—"),
    ]
    overview = Table(title=_t("Import report", lang), show_header=False)
    overview.add_column(style="cyan")
    overview.add_column()
    for label, value in summary:
        overview.add_row(label, value)
    out.print(overview)
    if report.issues:
        rows = [
            [
                f"[{_COLOURS[i.severity]}]{severity_label(i.severity, lang)}[/]",
                issue_rows(i),
                i.column or "",
                i.value or "",
                i.message,
                i.suggestion or "",
            ]
            for i in report.issues[:show]
        ]
        headers = ["severity", "row", "column", "value", "problem", "suggestion"]
        title = f"{_t('Problems', lang)} ({len(report.issues)})"
        out.print(table(title, [_t(h, lang) for h in headers], rows))
        _more(out, len(report.issues) - show, lang)
    if report.exceedances:
        out.print(_exceedance_table(report, lang, show))
        _more(out, len(report.exceedances) - show, lang)
    if report.outcome and (report.written or report.mode == "dry-run"):
        out.print(f"[bold yellow]{report.outcome}[/]")


def _exceedance_table(report: ImportReport, lang: str, show: int) -> Table:
    rows = []
    for e in report.exceedances[:show]:
        sign = ">" if e.direction == "above_maximum" else "<"
        rows.append(
            [
                str(e.row),
                e.station_code,
                local_time(e.sampled_at),
                e.parameter_code,
                f"{e.qualifier or ''}{e.compared:g} {e.unit}",
                f"{sign} {e.limit:g}",
                f"{e.regulation} {e.rule_column}",
                f"{e.ratio:.2f}" if e.ratio is not None else "",
            ]
        )
    headers = ["row", "station", "sampled at", "parameter", "result", "limit", "regulation"]
    title = f"{_t('Exceedances', lang)} ({len(report.exceedances)})"
    return table(title, [*(_t(h, lang) for h in headers), _t("times", lang)], rows)


def _more(out: Console, hidden: int, lang: str) -> None:
    if hidden > 0:
        out.print(_t("more", lang).format(n=hidden))
