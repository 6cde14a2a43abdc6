"""Vietnamese by default, English on request (remembered), Vietnamese number and date formats;
and the public pages on a 390-px-wide phone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.public_world import (
    CHART_STATION,
    PublicSite,
    public_site_fixture,  # noqa: F401 - the `public_site` fixture
)

PHONE = {"width": 390, "height": 844}


def test_vietnamese_by_default_english_on_request(page: Any, public_site: PublicSite) -> None:
    page.goto(public_site.url + "/")
    page.wait_for_selector("#map[data-ready='1']")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.locator("h1").inner_text() == "Chất lượng môi trường hiện nay"
    assert "Tốt (0–50)" in page.locator("#legend-body").inner_text()
    page.click("a[hreflang='en']")
    page.wait_for_selector("#map[data-ready='1']")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Environmental quality now"
    assert "Good (0–50)" in page.locator("#legend-body").inner_text()
    # The choice is remembered (cookie) on the next page, without ?lang.
    page.goto(f"{public_site.url}/stations/{CHART_STATION}")
    page.wait_for_selector("#chart[data-points]")
    assert page.locator("h2").first.inner_text() == "Latest values"
    value = page.locator("#latest tr[data-parameter='PM25'] td").nth(1).inner_text()
    assert re.fullmatch(r"\d+\.\d{1,2}", value), value  # decimal point in English
    when = page.locator("#latest tr[data-parameter='PM25'] td").nth(3).inner_text()
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", when), when  # still dd/mm/yyyy
    assert "hourly means" in page.locator("#chart-note").inner_text()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A 390 × 844 phone screen; fails the test on any JavaScript error, like `page`."""
    context = browser.new_context(
        viewport=PHONE, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", has_touch=True
    )
    context.set_default_timeout(15_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_map_on_a_phone(phone: Any, public_site: PublicSite) -> None:
    phone.goto(public_site.url + "/")
    phone.wait_for_selector("#map[data-ready='1']")
    box = phone.locator("#map").bounding_box()
    assert box["width"] == PHONE["width"] and box["height"] > 500
    assert box["y"] < 250  # the map is in view, not below the legend
    assert phone.locator("#legend").get_attribute("open") is None
    assert no_sideways_scroll(phone)
    nav = phone.locator(".mainnav")
    assert not nav.is_visible()
    phone.click(".menu-toggle")
    assert nav.is_visible() and phone.locator(".mainnav a[href='/stations']").is_visible()


def test_station_page_and_lists_on_a_phone(phone: Any, public_site: PublicSite) -> None:
    phone.goto(f"{public_site.url}/stations/{CHART_STATION}")
    phone.wait_for_selector("#chart[data-points]")
    canvas = phone.locator("#chart canvas").bounding_box()
    assert canvas["x"] >= 0 and canvas["x"] + canvas["width"] <= PHONE["width"]
    assert no_sideways_scroll(phone)
    for path in ("/stations", "/exceedances"):
        phone.goto(public_site.url + path)
        phone.wait_for_selector("tbody tr")
        assert no_sideways_scroll(phone), path
