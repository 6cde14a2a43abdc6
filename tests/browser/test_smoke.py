"""The portal shell loads in a real browser with its vendored scripts and no JS errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from quantrac.api.app import create_app
from quantrac.store.db import Store
from tests.browser.conftest import live_server


def test_home_page_loads_in_chromium(store: Store, page: Any, tmp_path: Path) -> None:
    with live_server(create_app(store)) as base:
        page.goto(base + "/")
        assert page.locator("header .brand").inner_text().startswith("quantrac")
        assert page.evaluate("typeof window.QT.fmtNumber") == "function"
        assert page.evaluate("window.QT.fmtNumber(1234.5)") == "1.234,5"
        page.goto(base + "/?lang=en")
        assert page.evaluate("window.QT.fmtNumber(1234.5)") == "1,234.5"
        assert page.locator("html").get_attribute("lang") == "en"
