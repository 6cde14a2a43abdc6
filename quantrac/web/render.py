"""Rendering page shells: language choice, Vietnamese number/date formats, the signed-in user.

Language: `?lang=en|vi` switches and is remembered in a cookie; otherwise QUANTRAC_LANGUAGE
(Vietnamese by default). Numbers use a decimal comma and dot thousands in Vietnamese; dates
are dd/mm/yyyy and times are shown in Asia/Ho_Chi_Minh whatever the server's zone."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from quantrac.auth.principal import ANONYMOUS, Principal
from quantrac.settings import get_settings
from quantrac.web.messages import MESSAGES

LANG_COOKIE = "quantrac_lang"
LANGUAGES = ("vi", "en")
TZ = ZoneInfo("Asia/Ho_Chi_Minh")

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def language(request: Request) -> str:
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if asked in LANGUAGES:
        return asked
    return "en" if get_settings().language.lower().startswith("en") else "vi"


def translate(key: str, lang: str) -> str:
    """UI text: keys are English; Vietnamese comes from MESSAGES (falls back to the key)."""
    return key if lang == "en" else MESSAGES.get(key, key)


def format_number(value: float | None, lang: str, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    text = f"{value:,.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if lang == "vi":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def format_date(epoch_s: int | float | None) -> str:
    if epoch_s is None:
        return "—"
    return datetime.fromtimestamp(epoch_s, UTC).astimezone(TZ).strftime("%d/%m/%Y")


def format_datetime(epoch_s: int | float | None) -> str:
    if epoch_s is None:
        return "—"
    return datetime.fromtimestamp(epoch_s, UTC).astimezone(TZ).strftime("%d/%m/%Y %H:%M")


def page_principal(request: Request) -> Principal:
    """Who is looking, from the session cookie; a bad or expired cookie is just anonymous."""
    from quantrac.api.security import SESSION_COOKIE, _from_token, ctx_of
    from quantrac.errors import QuantracError

    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return ANONYMOUS
    try:
        return _from_token(ctx_of(request), cookie)
    except (QuantracError, Exception):  # an unusable cookie must never break a page
        return ANONYMOUS


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render `template` with what every page needs: `t`, `lang`, formatters, `user`."""
    lang = language(request)
    principal = context.pop("principal", None) or page_principal(request)
    values = {
        "request": request,
        "lang": lang,
        "t": lambda key: translate(key, lang),
        "num": lambda v, digits=2: format_number(v, lang, digits),
        "date": format_date,
        "datetime": format_datetime,
        "user": None if principal is ANONYMOUS else principal,
        "messages_json": json.dumps(
            {} if lang == "en" else MESSAGES, ensure_ascii=False
        ),
        **context,
    }
    html = _env.get_template(template).render(values)
    response = HTMLResponse(html, status_code=status_code)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response
