"""The FastAPI application: REST under /api/v1, SensorThings v1.1 under /sta/v1.1, the
portal (quantrac.web) at /. `create_app(store)` is all `quantrac serve` needs."""

from __future__ import annotations

import gc

from fastapi import APIRouter, Depends, FastAPI

from quantrac import __version__
from quantrac.api import errors
from quantrac.api.context import build_context
from quantrac.api.errors import ERROR_RESPONSES
from quantrac.api.rest import (
    admin,
    catalog_routes,
    exports,
    limits,
    observations,
    push,
    records,
    workspace_alerts,
    workspace_import,
    workspace_ingest,
    workspace_registry,
    workspace_review,
)
from quantrac.api.rest.models import Health
from quantrac.api.security import current_principal
from quantrac.api.settings import ApiSettings
from quantrac.archive import Archive
from quantrac.store.db import Store

DESCRIPTION = """
Vietnam environmental monitoring database — REST API.

*Cơ sở dữ liệu quan trắc môi trường — giao diện lập trình (API).*

Authentication: `Authorization: Bearer <API key or session token>`, `X-API-Key: <key>`, or
HTTP Basic. Without credentials you see what the public sees: public stations and approved
data. Errors are JSON: `{"status", "error", "message", "message_vi", "problems"}`.
"""


def create_app(
    store: Store, archive: Archive | None = None, settings: ApiSettings | None = None
) -> FastAPI:
    settings = settings or ApiSettings()
    if settings.gc_threshold:
        gc.set_threshold(settings.gc_threshold, *gc.get_threshold()[1:])
    app = FastAPI(title="quantrac", version=__version__, description=DESCRIPTION)
    app.state.ctx = build_context(store, archive, settings)
    errors.install(app)

    api = APIRouter(
        prefix="/api/v1", dependencies=[Depends(current_principal)], responses=ERROR_RESPONSES
    )

    @api.get("/health", response_model=Health, tags=["service"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__, "database": store.dialect}

    workspace = (
        workspace_registry,
        workspace_ingest,
        workspace_import,
        workspace_review,
        workspace_alerts,
    )
    for module in (catalog_routes, limits, observations, records, push, exports, admin, *workspace):
        api.include_router(module.router)
    app.include_router(api)

    from quantrac.api.sta.router import router as sta_router

    app.include_router(sta_router)
    from quantrac.sync.router import router as sync_router

    app.include_router(sync_router)

    from quantrac.web import mount

    mount(app)
    return app
