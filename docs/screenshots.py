"""Screenshots of the portal for the docs, taken in Debian's Chromium against the demo.

    .venv/bin/python docs/screenshots.py                  # a fresh demo store in a temp folder
    .venv/bin/python docs/screenshots.py --db quantrac-data/quantrac.db   # an existing store
    .venv/bin/python docs/screenshots.py --only portal-map

Each picture is one `Shot` in SHOTS: add a line to add a page. A shot with `user` logs in
first as that demo user (created here if missing, see USERS), for the staff workspace.
Pictures go to docs/img/<name>.png.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

IMG = ROOT / "docs" / "img"


@dataclass(frozen=True)
class Shot:
    """One screenshot: docs/img/<name>.png of `path`, once `ready` (a CSS selector) shows."""

    name: str
    path: str
    ready: str
    width: int = 1280
    height: int = 800
    full_page: bool = False
    user: str | None = None
    lang: str = "vi"
    #: Extra wait after `ready` (ms): map tiles of boundaries, chart animation.
    settle_ms: int = 400


SHOTS: list[Shot] = [
    Shot("portal-map", "/", "#map[data-ready='1'] .leaflet-boundaries-pane path"),
    Shot(
        "portal-station",
        "/stations/HN_DSQ_KK?period=1y",
        "#chart[data-points] canvas",
        full_page=True,
    ),
    Shot("portal-stations", "/stations", "#stations tbody tr[data-station]", full_page=True),
    Shot(
        "portal-exceedances",
        "/exceedances",
        "#exceedances tbody tr[data-station]",
        height=900,
    ),
    Shot(
        "portal-mobile",
        "/",
        "#map[data-ready='1'] .leaflet-boundaries-pane path",
        width=390,
        height=844,
    ),
    Shot("staff-login", "/login", "#login-form"),
    Shot("staff-connectivity", "/staff", "#conn-board tr[data-station]", user="hanoi"),
    Shot(
        "staff-review",
        "/staff/review?station=HN_DET_NT&parameter=COD",
        "#review-chart canvas",
        user="hanoi",
        full_page=True,
    ),
    Shot("staff-import", "/staff/import", "#import-check", user="hanoi"),
    Shot("staff-registry", "/staff/registry", "#registry-list tr[data-station]", user="hanoi"),
    Shot("staff-events", "/staff/events", "#rules-list table", user="hanoi"),
    Shot("staff-ingest", "/staff/ingest", "#ingest-files table", user="admin"),
    Shot("staff-users", "/staff/users", "#audit-list tbody tr", user="admin"),
]

#: Demo users the staff shots log in as: name → (password, role, province key).
USERS: dict[str, tuple[str, str, str | None]] = {
    "admin": ("demo-admin-password", "admin", None),
    "hanoi": ("demo-hanoi-password", "province", "01-2025"),
}


def ensure_users(store: object, names: set[str]) -> None:
    from quantrac.auth import users
    from quantrac.errors import ConflictError

    for name in sorted(names):
        password, role, unit = USERS[name]
        with suppress(ConflictError):
            users.create_user(store, name, password, role, admin_unit=unit)  # type: ignore[arg-type]


def demo_store(folder: Path) -> object:
    from quantrac.demo import load_demo
    from quantrac.store.catalog_sync import sync_catalog
    from quantrac.store.db import Store
    from quantrac.store.migrate import upgrade

    store = Store(f"sqlite:///{folder / 'demo.db'}")
    upgrade(store)
    sync_catalog(store)
    load_demo(store)
    return store


def take(base: str, shots: list[Shot]) -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    IMG.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for shot in shots:
            context = browser.new_context(
                viewport={"width": shot.width, "height": shot.height},
                locale="vi-VN" if shot.lang == "vi" else "en-GB",
                timezone_id="Asia/Ho_Chi_Minh",
            )
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            if shot.user:
                password = USERS[shot.user][0]
                answer = page.request.post(
                    base + "/api/v1/auth/login",
                    data={"username": shot.user, "password": password},
                )
                if not answer.ok:
                    raise RuntimeError(f"{shot.name}: login as {shot.user} failed")
            sep = "&" if "?" in shot.path else "?"
            page.goto(f"{base}{shot.path}{sep}lang={shot.lang}")
            page.wait_for_selector(shot.ready, timeout=30_000)
            page.wait_for_timeout(shot.settle_ms)
            out = IMG / f"{shot.name}.png"
            page.screenshot(path=str(out), full_page=shot.full_page)
            context.close()
            if errors:
                raise RuntimeError(f"{shot.name}: JavaScript errors {errors}")
            print(f"{out.relative_to(ROOT)}  ({shot.path})")
        browser.close()


def main() -> None:
    ap = argparse.ArgumentParser(description="Screenshots of the portal for docs/img.")
    ap.add_argument("--db", type=Path, help="an existing SQLite store (default: a fresh demo)")
    ap.add_argument("--only", action="append", help="shot name(s) to take")
    args = ap.parse_args()
    shots = [s for s in SHOTS if not args.only or s.name in args.only]

    from quantrac.api.app import create_app
    from quantrac.api.settings import ApiSettings
    from quantrac.store.db import Store
    from tests.browser.conftest import live_server

    tmp = Path(tempfile.mkdtemp(prefix="quantrac-shots-"))
    try:
        if args.db:
            store: object = Store(f"sqlite:///{args.db.resolve()}")
        else:
            print("loading the demo into", tmp)
            store = demo_store(tmp)
        ensure_users(store, {s.user for s in shots if s.user})
        settings = ApiSettings(secret="screenshots", rate_limit_enabled=False)
        with live_server(create_app(store, settings=settings)) as base:  # type: ignore[arg-type]
            take(base, shots)
        store.dispose()  # type: ignore[attr-defined]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
