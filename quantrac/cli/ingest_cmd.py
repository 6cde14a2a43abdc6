"""`quantrac ingest FILE…` and `quantrac archive …` (verify, replay, list, show)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from quantrac.archive import Archive
from quantrac.cli.common import console, local_time, open_archive, open_store, table
from quantrac.store.db import Store

archive_app = typer.Typer(
    help="Kho dữ liệu gốc (raw archive): kiểm tra, xử lý lại, liệt kê.", no_args_is_help=True
)

STATE_VI = {
    "received": "chờ xử lý",
    "held": "chờ xác nhận",
    "parsed": "đã xử lý",
    "quarantined": "cách ly",
}


def _run_pending(store: Store, archive: Archive) -> None:
    from quantrac.pipeline.files import process_pending

    pending = len(archive.pending())
    if not pending:
        return
    rows = []
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("Đang xử lý", total=pending)

        def step(o: object) -> None:
            bar.advance(task)

        outcomes = process_pending(store, archive, progress=step)
    for o in outcomes:
        note = o.reason or (f"{len(o.problems)} vấn đề: {o.problems[0]}" if o.problems else "")
        rows.append([o.raw_file_id, o.name, STATE_VI[o.state], o.stored, o.unchanged, note])
    console.print(
        table("Kết quả", ["id", "tệp", "trạng thái", "ghi mới/sửa", "trùng", "ghi chú"], rows)
    )


def ingest(
    files: Annotated[
        list[Path], typer.Argument(exists=True, dir_okay=False, help="TT10 .txt files")
    ],
) -> None:
    """Archive files by hand, then ingest them (and anything else still pending)."""
    store = open_store()
    archive = open_archive(store)
    for path in files:
        received = archive.receive(path.read_bytes(), path.name, source="cli")
        if received.duplicate:
            console.print(f"[yellow]đã nhận trước đó[/] {path.name} (id {received.raw_file_id})")
    _run_pending(store, archive)


@archive_app.command("verify")
def verify() -> None:
    """Recompute every file's SHA-256 and the hash chain; exit 1 if anything was altered."""
    store = open_store()
    archive = open_archive(store)
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("Đang kiểm tra", total=sum(archive.counts().values()))
        report = archive.verify(progress=lambda n: bar.update(task, completed=n))
    if report.ok:
        console.print(f"[green]Kho nguyên vẹn[/]: {report.checked} tệp, chuỗi băm khớp.")
        return
    console.print(table("Kho bị thay đổi", ["id", "vấn đề"], report.problems))
    raise typer.Exit(1)


@archive_app.command("replay")
def replay(ids: Annotated[list[int] | None, typer.Argument()] = None) -> None:
    """Re-process quarantined files (all, or the given ids) after fixing the registry."""
    store = open_store()
    archive = open_archive(store)
    n = archive.requeue(ids)
    console.print(f"{n} tệp được đưa lại hàng đợi")
    _run_pending(store, archive)


@archive_app.command("process")
def process() -> None:
    """Process everything archived but not yet ingested (e.g. after a crash)."""
    store = open_store()
    _run_pending(store, open_archive(store))


@archive_app.command("list")
def listing(
    state: Annotated[str | None, typer.Option(help="received | parsed | quarantined")] = None,
    limit: Annotated[int, typer.Option()] = 50,
) -> None:
    """Recent archived files with their state and reason."""
    archive = open_archive(open_store())
    rows = archive.listing(state, limit)
    console.print(
        table(
            "Kho dữ liệu gốc",
            ["id", "tệp", "nguồn", "nhận lúc", "trạng thái", "lý do"],
            (
                [
                    r["id"],
                    r["name"],
                    r["source"],
                    local_time(r["received_at"]),
                    STATE_VI.get(r["state"], r["state"]),
                    (r["error"] or "").splitlines()[0] if r["error"] else "",
                ]
                for r in rows
            ),
        )
    )
    console.print(archive.counts())


@archive_app.command("show")
def show(raw_file_id: int) -> None:
    """One archived file: metadata, hashes and every problem found."""
    row = open_archive(open_store()).get(raw_file_id)
    for key, value in row.items():
        shown = local_time(value) if key.endswith("_at") else value
        console.print(f"[cyan]{key}[/]: {shown}")
