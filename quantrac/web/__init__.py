"""The web portal: server-rendered page shells (Jinja2) whose data come from the same REST
API the rest of the world uses (/api/v1), fetched by small scripts in static/js.

Public pages live in `public.py`, the staff workspace in `staff.py`; `mount(app)` adds both
and the static files (vendored libraries and province boundaries, so it works offline)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"


def mount(app: FastAPI) -> None:
    from quantrac.web import public, staff

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(public.router)
    app.include_router(staff.router)
