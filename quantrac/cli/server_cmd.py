"""`quantrac init` and `quantrac serve`."""

from __future__ import annotations

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
) -> None:
    """Start the web API (and, as they are built, the receivers) in one process."""
    import uvicorn

    from quantrac.api.app import create_app

    settings = get_settings()
    store = open_store()
    host = host or settings.http_host
    port = port or settings.http_port
    console.print(f"{t('Serving on')} http://{host}:{port}/")
    uvicorn.run(create_app(store), host=host, port=port, log_level="info")
