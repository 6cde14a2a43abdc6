"""The staff workspace of the portal (login required) and the login/logout pages.

Pages are shells: the data come from the REST API (/api/v1, mostly /api/v1/workspace/…) in
the browser with the session cookie, so a page shows exactly what the API lets the same
person see and do. The server only decides whether to show a page at all (anonymous → the
login page; the public role and non-admins on admin pages → a 403 page) and puts what the
catalogue says (media, provinces, regulations and their columns) in the page for the forms.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from quantrac.api.security import SESSION_COOKIE
from quantrac.auth.principal import ANONYMOUS, Principal
from quantrac.catalog import get_catalog
from quantrac.web.render import language, page_principal, render

router = APIRouter(include_in_schema=False)

#: path → (template, title key, who may open it: "any" staff/enterprise, or "admin")
PAGES: dict[str, tuple[str, str, str]] = {
    "": ("staff/home.html", "Connectivity", "any"),
    "ingest": ("staff/ingest.html", "Ingest monitor", "any"),
    "import": ("staff/import.html", "Upload results", "any"),
    "review": ("staff/review.html", "QC review", "any"),
    "registry": ("staff/registry.html", "Station registry", "any"),
    "events": ("staff/events.html", "Events and alerts", "any"),
    "users": ("staff/users.html", "Users and keys", "admin"),
}


def _safe_next(target: str | None) -> str:
    """Only a path of this site (no scheme, no //host): a login link cannot send people away."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/staff"


def _login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)


def catalogue_config(lang: str, p: Principal) -> dict[str, Any]:
    """Choices for the forms: media, provinces (province staff: theirs), regulations."""
    catalog = get_catalog()
    units = catalog.admin_units
    today = list(units.valid_on(date.today()))
    if p.role == "province":
        today = [units.get(k) for k in sorted(p.admin_unit_keys)]
    media = sorted(catalog.media.by_code.values(), key=lambda m: m.name_vi)
    return {
        "media": [
            {"code": m.code, "name": m.name_en if lang == "en" else m.name_vi} for m in media
        ],
        "provinces": sorted(
            ({"key": u.key, "name": u.name} for u in today), key=lambda u: u["name"].casefold()
        ),
        "unit_names": {k: u.name for k, u in units.by_key.items()},
        "regulations": {
            code: {"medium": r.medium, "columns": list(r.column_keys.values())}
            for code, r in sorted(catalog.regulations.items())
        },
    }


def staff_config(request: Request, p: Principal) -> dict[str, Any]:
    return {
        "actor": p.actor,
        "role": p.role,
        "is_admin": p.is_admin,
        "is_staff": p.is_staff,
        "can_write": p.can_write,
        "home_unit": p.home_unit,
        **catalogue_config(language(request), p),
    }


def _page(request: Request, section: str) -> Response:
    template, title, who = PAGES[section]
    p = page_principal(request)
    if p is ANONYMOUS:
        return _login_redirect(request)
    if p.role == "public" or (who == "admin" and not p.is_admin):
        return render(request, "staff/denied.html", status_code=403, principal=p, section=section)
    return render(
        request,
        template,
        principal=p,
        section=section,
        title_key=title,
        sections=[(s, t) for s, (_, t, w) in PAGES.items() if w == "any" or p.is_admin],
        staff_config=staff_config(request, p),
    )


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    """The login form; a stale session cookie is cleared here (an expired token would make
    every API call, the login itself included, answer 401)."""
    p = page_principal(request)
    response = render(
        request, "login.html", principal=p, next=_safe_next(request.query_params.get("next"))
    )
    if p is ANONYMOUS and request.cookies.get(SESSION_COOKIE):
        response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/logout")
def logout_page() -> RedirectResponse:
    """End the session (the cookie is dropped, as POST /api/v1/auth/logout does) → login."""
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/staff", response_class=HTMLResponse)
def home(request: Request) -> Response:
    return _page(request, "")


@router.get("/staff/{section}", response_class=HTMLResponse)
def section_page(section: str, request: Request) -> Response:
    if section not in PAGES or not section:
        p = page_principal(request)
        if p is ANONYMOUS:
            return _login_redirect(request)
        return render(request, "staff/denied.html", status_code=404, principal=p, missing=True)
    return _page(request, section)
