"""`quantrac sync …` (a province node pushing to the national node) and `quantrac nodes …`
(the national node registering province nodes). See docs/federation.md."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from quantrac.cli.common import console, local_time, open_store, table
from quantrac.cli.users_cmd import _actor

sync_app = typer.Typer(
    help="Đồng bộ (federation): push this province's changes to the national node.",
    no_args_is_help=True,
)
nodes_app = typer.Typer(
    help="Nút tỉnh (province nodes) allowed to push to this national node.",
    no_args_is_help=True,
)


@sync_app.command("push")
def push(
    follow: Annotated[
        bool, typer.Option(help="Keep pushing every QUANTRAC_SYNC_FOLLOW_INTERVAL_S")
    ] = False,
    max_batches: Annotated[int | None, typer.Option(help="Stop after this many batches")] = None,
    quiet: Annotated[bool, typer.Option(help="No line per batch")] = False,
) -> None:
    """Send everything that changed since the national node's last acknowledged batch."""
    from quantrac.sync.client import Pusher
    from quantrac.sync.settings import get_sync_settings

    settings = get_sync_settings()

    def progress(report: Any, result: dict[str, Any]) -> None:
        if not quiet:
            console.print(
                f"batch {report.batches}: {result['observations']:,} observations, "
                f"{result['seconds']:.2f} s on the national node → {report.position}",
                highlight=False,
            )

    pusher = Pusher(open_store(), settings, progress=progress)
    try:
        while True:
            report = pusher.push(max_batches=max_batches)
            console.print(
                f"[green]{report.batches} batch(es), {report.rows:,} observations in "
                f"{report.seconds} s[/]; position {report.position}"
                + (" — up to date" if report.caught_up else "")
                + (f"; {report.retries} retried" if report.retries else ""),
                highlight=False,
            )
            if not follow:
                break
            time.sleep(settings.follow_interval_s)
    except KeyboardInterrupt:
        console.print("stopped; the next push continues where this one stopped")
    finally:
        pusher.close()


@sync_app.command("status")
def status(
    remote: Annotated[bool, typer.Option(help="Also ask the national node")] = False,
) -> None:
    """What is waiting to be pushed (the lag) and how the last push went."""
    from quantrac.sync.changes import pending
    from quantrac.sync.client import Pusher, local_state
    from quantrac.sync.position import Position
    from quantrac.sync.settings import get_sync_settings

    settings = get_sync_settings()
    store = open_store()
    target = (settings.national_url or "").rstrip("/")
    state = local_state(store, target) if target else None
    acked = Position.of_row(state) if state else Position()
    if remote:
        pusher = Pusher(store, settings)
        try:
            acked = pusher.fetch_position()
        finally:
            pusher.close()
    with store.read() as conn:
        entries, oldest, rows = pending(conn, acked)
    lag = "—" if oldest is None else f"{max(0, int(time.time()) - oldest)} s"
    rows_out = [
        ("national node", target or "(QUANTRAC_SYNC_NATIONAL_URL not set)"),
        ("acknowledged position", str(acked) + (" (asked now)" if remote else "")),
        ("changes waiting", f"{entries:,} (≈ {rows:,} observations)"),
        ("oldest waiting since", f"{local_time(oldest)} (lag {lag})"),
    ]
    if state:
        rows_out += [
            ("batches / observations pushed", f"{state['batches']:,} / {state['rows']:,}"),
            ("last success", local_time(state["last_success_at"])),
            ("last error", f"{state['last_error'] or '—'} ({local_time(state['last_error_at'])})"),
        ]
    console.print(table("Đồng bộ / sync status", ["", ""], rows_out))


@sync_app.command("reseed")
def reseed() -> None:
    """Send everything stored again on the next push (after a national restore from backup)."""
    from quantrac.sync.changes import request_seed

    with open_store().write() as conn:
        request_seed(conn)
    console.print("the next push sends everything stored")


@nodes_app.command("add")
def add_node(
    name: str,
    province: Annotated[str, typer.Option(help="The node's province: key, code or name")],
) -> None:
    """Register a province node; prints its key once (give it to the province)."""
    from quantrac.sync import nodes

    node, key = nodes.add_node(open_store(), name, province, actor=_actor())
    console.print(f"node [bold]{node.name}[/] for {node.admin_unit_key}")
    console.print(f"key (shown once): [bold]{key}[/]")
    console.print("province side: QUANTRAC_SYNC_NATIONAL_URL=<this node> QUANTRAC_SYNC_KEY=<key>")


NODE_COLUMNS = ["node", "province", "position", "batches", "observations", "last batch",
                "waiting", "state"]  # fmt: skip


@nodes_app.command("list")
def list_nodes() -> None:
    """Province nodes: province, position applied, batches, lag, last error."""
    from quantrac.sync import nodes

    rows = [
        (
            n["name"],
            n["admin_unit_key"],
            n["position"],
            f"{n['batches']:,}",
            f"{n['rows']:,}",
            local_time(n["last_batch_at"]),
            "—" if n["pending"] is None else f"{n['pending']:,}",
            "revoked" if n["revoked_at"] else (n["last_error"] or "ok")[:60],
        )
        for n in nodes.list_nodes(open_store())
    ]
    console.print(
        table(
            "Nút tỉnh / province nodes",
            NODE_COLUMNS,
            rows,
        )
    )


@nodes_app.command("revoke")
def revoke_node(name: str) -> None:
    """Refuse this node's pushes from now on (its data stays)."""
    from quantrac.sync import nodes

    nodes.revoke_node(open_store(), name, actor=_actor())
    console.print(f"node {name} revoked")


@nodes_app.command("reset")
def reset_node(name: str) -> None:
    """Start the node's next push from the beginning of its change log (after the province
    restored its database from a backup and ran `quantrac sync reseed`)."""
    from quantrac.sync import nodes

    nodes.reset_node(open_store(), name, actor=_actor())
    console.print(f"node {name}: position reset")


@nodes_app.command("rotate-key")
def rotate_key(name: str) -> None:
    """Issue a new key for a node (the old one stops working); prints it once."""
    from quantrac.sync import nodes

    key = nodes.rotate_key(open_store(), name, actor=_actor())
    console.print(f"new key (shown once): [bold]{key}[/]")
