"""The staff pages without a browser: who gets which page, and every text of the workspace
has its Vietnamese translation (Vietnamese is the default language)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from quantrac.web import STATIC_DIR
from quantrac.web.messages import MESSAGES
from quantrac.web.staff import PAGES
from tests.browser.staff_world import StaffWorld, build_staff_world
from tests.integration.api_world import cheap_password_hashing

TEMPLATES = STATIC_DIR.parent / "templates"
SECTIONS = ["", "/ingest", "/import", "/review", "/registry", "/events", "/users"]
#: Keys the scripts translate from data (t(station.kind), flag names, states …).
DYNAMIC = {
    "automatic", "periodic", "public", "restricted", "exceedance", "offline", "delayed",
    "qc_failure", "open", "closed", "admin", "province", "enterprise", "good",
    "not evaluated", "suspect", "bad", "missing", "approved", "reviewed", "rejected",
    "Waiting", "Processed", "Quarantined", "wide", "long", "error", "warning", "note",
    "Rule {name} disabled.", "Rule {name} enabled.",
}  # fmt: skip


@pytest.fixture
def client(sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    cheap_password_hashing(monkeypatch)
    world: StaffWorld = build_staff_world(sqlite_template, tmp_path)
    return TestClient(world.app, follow_redirects=False)


def _login(client: TestClient, name: str) -> None:
    body = {"username": name, "password": f"{name}-password"}
    # Over an earlier session's cookie, a write needs the CSRF header (as the pages send it).
    answer = client.post("/api/v1/auth/login", json=body, headers={"X-Requested-With": "t"})
    assert answer.status_code == 200


def test_without_a_login_every_staff_page_leads_to_the_login_form(client: TestClient) -> None:
    for section in SECTIONS:
        answer = client.get(f"/staff{section}?x=1")
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/login?next=/staff{section}%3Fx%3D1"
    login = client.get("/login?next=//evil.example/x")
    assert 'data-next="/staff"' in login.text  # only paths of this site


def test_who_may_open_which_page(client: TestClient) -> None:
    _login(client, "citizen")
    assert client.get("/staff").status_code == 403  # the public role has no workspace
    _login(client, "ent_a")
    assert [client.get(f"/staff{s}").status_code for s in SECTIONS] == [200] * 6 + [403]
    assert client.get("/staff/nowhere").status_code == 404
    _login(client, "admin")
    page = client.get("/staff/users")
    assert page.status_code == 200 and "Người dùng và khóa API" in page.text


def test_a_stale_cookie_is_cleared_by_the_login_page(client: TestClient) -> None:
    client.cookies.set("quantrac_session", "qts.expired.token")
    assert client.get("/staff").status_code == 303
    answer = client.get("/login")
    assert answer.status_code == 200
    assert 'quantrac_session=""' in answer.headers["set-cookie"]
    logout = client.get("/logout")
    assert logout.status_code == 303 and logout.headers["location"] == "/login"


def _keys() -> set[str]:
    keys: set[str] = set()
    for path in [TEMPLATES / "login.html", *TEMPLATES.joinpath("staff").glob("*.html")]:
        for double, single in re.findall(
            r"""t\(\s*"([^"]+)"\s*\)|t\(\s*'([^']+)'\s*\)""", path.read_text()
        ):
            keys.add(double or single)
    for path in STATIC_DIR.joinpath("js").glob("staff-*.js"):
        keys |= set(re.findall(r"""(?:\bt|QT\.t|S\.fmt)\(\s*"([^"]+)\"""", path.read_text()))
    return keys | DYNAMIC | {title for _, title, _ in PAGES.values()}


def test_every_workspace_text_has_a_vietnamese_translation() -> None:
    keys = _keys()
    assert len(keys) > 250
    missing = sorted(k for k in keys if k not in MESSAGES)
    assert missing == []
