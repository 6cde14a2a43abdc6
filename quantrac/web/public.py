"""The public pages of the portal (no login): map, station pages, station list, exceedances."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from quantrac.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def map_page(request: Request) -> HTMLResponse:
    return render(request, "public/map.html")
