"""`quantrac init`, `quantrac serve` and `quantrac sta-conformance`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from quantrac.cli.common import console, open_store
from quantrac.i18n import t
from quantrac.settings import get_settings


def init() -> None:
    """Create or upgrade the database and load the catalogue into it."""
    from quantrac.store.catalog_sync import sync_catalog
    from quantrac.store.migrate import current_revision, upgrade

    store = open_store(migrate=False)
    upgrade(store)
    sync_catalog(store)
    console.print(
        f"[green]{t('Database ready')}[/]: {store.engine.url.render_as_string()} "
        f"(schema {current_revision(store)})"
    )


def serve(
    host: Annotated[str | None, typer.Option(help="Default QUANTRAC_HTTP_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="Default QUANTRAC_HTTP_PORT")] = None,
    receivers: Annotated[
        bool, typer.Option(help="Also run the FTP server, MQTT subscriber, folder watcher")
    ] = True,
) -> None:
    """Start the web API and the configured receivers (with their ingest worker) in one process."""
    import signal

    import uvicorn

    from quantrac.api.app import create_app
    from quantrac.receivers.service import ReceiverService

    settings = get_settings()
    store = open_store()
    host = host or settings.http_host
    port = port or settings.http_port
    service = ReceiverService.from_settings(store) if receivers else None
    if service is not None:
        try:
            service.start()
        except OSError as e:  # e.g. the FTP port is taken: the web API still starts
            console.print(f"[yellow]Không khởi động được bộ nhận dữ liệu:[/] {e}")
            service = None
        else:
            for line in service.describe():
                console.print(f"[green]●[/] {line}")
    console.print(f"{t('Serving on')} http://{host}:{port}/")

    def exit_cleanly(signum: int, frame: object) -> None:
        # uvicorn re-raises SIGTERM after its own shutdown; exit through `finally` below so the
        # receivers stop cleanly instead of the process dying in the default handler.
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, exit_cleanly)
    try:
        uvicorn.run(create_app(store), host=host, port=port, log_level="info")
    finally:
        if service is not None:
            service.stop()


def sta_conformance(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1")] = 8090,
    host: Annotated[str, typer.Option(help="A loopback address")] = "127.0.0.1",
    data_dir: Annotated[
        Path | None, typer.Option(help="An empty or new folder (default: a new temporary one)")
    ] = None,
) -> None:
    """Serve a throwaway SensorThings API for a conformance suite (the OGC ETS): a new empty
    database, writes open to callers without credentials, loopback only."""
    import os
    import tempfile

    import uvicorn

    from quantrac.api.conformance import check_loopback, conformance_app
    from quantrac.catalog import get_catalog

    try:
        check_loopback(host)
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--host") from None
    if data_dir is None:
        data_dir = Path(tempfile.mkdtemp(prefix="quantrac-conformance-"))
    elif data_dir.exists() and any(data_dir.iterdir()):
        raise typer.BadParameter(f"{data_dir} is not empty", param_hint="--data-dir")
    data_dir.mkdir(parents=True, exist_ok=True)
    # Everything this server writes (its database, archive, local parameters) stays there.
    os.environ["QUANTRAC_DATA_DIR"] = str(data_dir)
    os.environ.pop("QUANTRAC_DATABASE_URL", None)
    get_settings.cache_clear()
    get_catalog.cache_clear()  # type: ignore[attr-defined]
    store = open_store()
    console.print(f"[yellow]{t('Conformance server')}[/]: {data_dir}")
    console.print(f"{t('Serving on')} http://{host}:{port}/sta/v1.1")
    uvicorn.run(conformance_app(store), host=host, port=port, log_level="warning")
