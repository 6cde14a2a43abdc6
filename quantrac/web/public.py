"""The public pages of the portal (no login): map, station pages, station list, exceedances.

Each route renders a shell with what the catalogue says (index categories and colours,
province names, media, parameter names — data the scripts would otherwise fetch one by one);
the station data themselves come from the public REST API in the browser, so the portal shows
exactly what /api/v1 shows to the same person. Visibility is decided by the same query the API
uses: an unknown station and a restricted one give the same 404 page.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import select

from quantrac.api.queries.stations import visible_station_row
from quantrac.api.security import ctx_of
from quantrac.catalog import get_catalog
from quantrac.catalog.index_tables import IndexCategory, aqi_categories, wqi_categories
from quantrac.errors import UnknownStation
from quantrac.store.schema import organization, station
from quantrac.web.render import TZ, language, page_principal, render

router = APIRouter(include_in_schema=False)

#: An index older than this is drawn as "not current" (dashed, faded) on the map and the list:
#: the public must not read a value from last week as today's air. Our choice, not regulation.
STALE_AFTER_S = 48 * 3600

#: Media with an index of their own, and the index kinds that colour them, newest first
#: (hourly VN_AQI, else the daily one; daily VN_WQI of automatic river stations).
INDEX_KINDS: dict[str, tuple[str, ...]] = {
    "ambient_air": ("aqi_hourly", "aqi_daily"),
    "surface_water": ("wqi_daily",),
}
#: Daily kinds whose newest row is today's, still incomplete (no value until 18 hours are in):
#: their colour comes from the newest row with a value inside this window (yesterday's).
INDEX_WINDOW_S: dict[str, int] = {"wqi_daily": 2 * 86400}
#: Media listed first in filters (the ones the public asks about), the rest follow by name.
MEDIA_ORDER = ("ambient_air", "surface_water", "groundwater", "seawater", "wastewater")


class MapSettings(BaseSettings):
    """QUANTRAC_MAP_*: an optional tile server under the map (off by default, so the portal
    works without internet with the shipped outline and province boundaries)."""

    model_config = SettingsConfigDict(env_prefix="QUANTRAC_MAP_", env_file=".env", extra="ignore")

    tiles_url: str | None = None
    tiles_attribution: str = ""
    tiles_max_zoom: int = 18


def index_scale(categories: tuple[IndexCategory, ...], lang: str) -> list[dict[str, Any]]:
    """Category bands as the scripts colour them (Decision 1459/1460 Bảng 1), ascending."""
    return [
        {
            "min": c.minimum,
            "max": c.maximum,
            "label": c.label_en if lang == "en" else c.label_vi,
            "label_en": c.label_en,
            "colour": c.hex,
        }
        for c in sorted(categories, key=lambda c: c.minimum)
    ]


def province_choices(on: date | None = None) -> tuple[list[dict[str, str]], dict[str, str]]:
    """Today's provinces (sorted by name) and, for every unit ever valid, the unit that holds
    its territory today — stations keep the unit they were registered in (e.g. 01-2008)."""
    units = get_catalog().admin_units
    day = on or datetime.now(TZ).date()
    current = sorted(units.valid_on(day), key=lambda u: (u.name.casefold(), u.key))
    choices = [{"key": u.key, "name": u.name} for u in current]
    mapping = {key: units.current_unit(key, day).key for key in units.by_key}
    return choices, mapping


def media_choices(lang: str) -> list[dict[str, str]]:
    media = get_catalog().media.by_code.values()
    rank = {code: i for i, code in enumerate(MEDIA_ORDER)}
    ordered = sorted(media, key=lambda m: (rank.get(m.code, len(rank)), m.name_vi))
    return [{"code": m.code, "name": m.name_en if lang == "en" else m.name_vi} for m in ordered]


def parameter_names(lang: str) -> dict[str, str]:
    params = get_catalog().parameters.by_code.values()
    return {p.code: (p.name_en if lang == "en" else p.name_vi) for p in params}


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def index_requests(now: int | None = None) -> dict[str, dict[str, str | None]]:
    """The API calls that give every station's current index, per index kind: its newest row
    (/indices/latest) and, for daily kinds, the rows of the last window (yesterday's value)."""
    now = int(time.time()) if now is None else now
    kinds = dict.fromkeys(k for order in INDEX_KINDS.values() for k in order)
    out: dict[str, dict[str, str | None]] = {}
    for kind in kinds:
        window = INDEX_WINDOW_S.get(kind)
        recent = None
        if window:
            recent = "/api/v1/indices?" + urlencode(
                {"kind": kind, "start": _iso(now - window), "end": _iso(now)}
            )
        latest = "/api/v1/indices/latest?" + urlencode({"kind": kind})
        out[kind] = {"latest": latest, "window": recent}
    return out


def prefetch_paths(requests: dict[str, dict[str, str | None]]) -> list[str]:
    """What the map and the list fetch first: stations and current indices. The page starts
    these in its <head>, while Leaflet and the scripts load (half the wait otherwise)."""
    paths = ["/api/v1/stations"]
    for calls in requests.values():
        paths += [p for p in (calls["latest"], calls["window"]) if p]
    return paths


def page_config(request: Request, **extra: Any) -> dict[str, Any]:
    """What every public script needs from the catalogue, in the page's language."""
    lang = language(request)
    provinces, current_of = province_choices()
    tiles = MapSettings()
    requests = index_requests()
    return {
        "scales": {
            "aqi": index_scale(aqi_categories(), lang),
            "wqi": index_scale(wqi_categories(), lang),
        },
        "index_kinds": INDEX_KINDS,
        "index_requests": requests,
        "prefetch": prefetch_paths(requests),
        "stale_after_s": STALE_AFTER_S,
        "provinces": provinces,
        "current_province": current_of,
        "province_names": {k: u.name for k, u in get_catalog().admin_units.by_key.items()},
        "media": media_choices(lang),
        "tiles": {
            "url": tiles.tiles_url,
            "attribution": tiles.tiles_attribution,
            "max_zoom": tiles.tiles_max_zoom,
        },
        **extra,
    }


@router.get("/", response_class=HTMLResponse)
def map_page(request: Request) -> HTMLResponse:
    return render(request, "public/map.html", config=page_config(request))


@router.get("/stations", response_class=HTMLResponse)
def stations_page(request: Request) -> HTMLResponse:
    return render(request, "public/stations.html", config=page_config(request))


@router.get("/exceedances", response_class=HTMLResponse)
def exceedances_page(request: Request) -> HTMLResponse:
    lang = language(request)
    config = page_config(request, parameters=parameter_names(lang))
    return render(request, "public/exceedances.html", config=config)


def station_context(request: Request, code: str) -> dict[str, Any] | None:
    """The station as the visitor may see it (None: unknown or not visible — one answer)."""
    principal = page_principal(request)
    store = ctx_of(request).store
    try:
        with store.read() as conn:
            row = visible_station_row(conn, principal, code)
            owner = conn.scalar(
                select(organization.c.name).where(organization.c.id == row["owner_id"])
            )
            notes = conn.scalar(select(station.c.notes).where(station.c.id == row["id"]))
    except UnknownStation:
        return None
    catalog = get_catalog()
    lang = language(request)
    medium = catalog.media.by_code.get(row["medium"])
    unit = row.get("admin_unit_key")
    units = catalog.admin_units
    province = units.get(unit) if unit else None
    today = units.current_unit(unit, datetime.now(TZ).date()) if unit else None
    return {
        "code": row["code"],
        "name": row["name"],
        "kind": row["kind"],
        "medium": row["medium"],
        "medium_name": (medium.name_en if lang == "en" else medium.name_vi) if medium else "",
        "province": province.name if province else None,
        "province_today": today.name if today and today.key != unit else None,
        "owner": owner,
        "network": row.get("network"),
        "visibility": row["visibility"],
        "regulation": row.get("regulation"),
        "regulation_column": row.get("regulation_column"),
        "latitude": row.get("latitude"),
        "longitude": row.get("longitude"),
        "address": row.get("address"),
        "reporting_interval_s": row.get("reporting_interval_s"),
        "notes": notes,
        "principal": principal,
    }


@router.get("/stations/{code}", response_class=HTMLResponse)
def station_page(request: Request, code: str) -> HTMLResponse:
    st = station_context(request, code)
    if st is None:
        return render(request, "public/404.html", status_code=404, code=code)
    principal = st.pop("principal")
    lang = language(request)
    config = page_config(request, station=st, parameters=parameter_names(lang))
    return render(request, "public/station.html", st=st, config=config, principal=principal)
