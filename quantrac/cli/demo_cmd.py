"""`quantrac demo`: a demo province with data, then (by default) the web server."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import Progress

from quantrac.cli.common import console, open_store
from quantrac.i18n import t


def demo(
    serve: Annotated[bool, typer.Option(help="Start the web server afterwards")] = True,
    days: Annotated[int, typer.Option(min=1, max=90, help="Days of generated data")] = 7,
) -> None:
    """Load the demo province (idempotent) and serve it at http://127.0.0.1:8000/."""
    from quantrac.demo import GENERATED_SERIES, load_demo

    store = open_store()
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(t("Loading demo data"), total=2 + len(GENERATED_SERIES))
        result = load_demo(store, days=days, progress=lambda code, n: bar.advance(task))
    console.print(
        f"[green]{t('Demo data loaded')}[/]: {result.received:,} "
        f"{t('observations')} (mới {result.inserted:,}, sửa {result.revised:,}, "
        f"trùng {result.unchanged:,})"
    )
    from quantrac.cli.registry_cmd import list_stations

    list_stations(medium=None, province=None, kind=None, owner=None, retired=False)
    if serve:
        from quantrac.cli.server_cmd import serve as run_server

        run_server(host=None, port=None)
