"""The station list and the exceedances page in Chromium: what the public sees (never a
restricted station or its events), filters, sorting."""

from __future__ import annotations

from typing import Any

from tests.browser.public_world import (
    EXPECTED_CATEGORY,
    PublicSite,
    public_site_fixture,  # noqa: F401 - the `public_site` fixture
)


def listed(page: Any, table: str) -> list[str]:
    rows = f"#{table} tbody tr[data-station]"
    return page.eval_on_selector_all(rows, "rs => rs.map(r => r.dataset.station)")


def test_station_list_filters_and_sorts(page: Any, public_site: PublicSite) -> None:
    page.goto(public_site.url + "/stations")
    page.wait_for_selector("#stations tbody tr[data-station]")
    assert sorted(listed(page, "stations")) == sorted(EXPECTED_CATEGORY)  # no SECRET_KK
    assert page.locator("#list-count").inner_text() == "5/5 trạm"
    assert page.locator("#page-info").inner_text() == "Trang 1/1"
    badge = page.locator("tr[data-station='PUB_WATER'] .idx-badge")
    assert badge.get_attribute("data-category") == "Medium" and "Trung bình" in badge.inner_text()
    page.fill("#f-text", "water")
    assert listed(page, "stations") == ["PUB_WATER"]
    page.fill("#f-text", "")
    page.select_option("#f-province", "79-2025")
    assert listed(page, "stations") == ["PUB_AIR_OLD"]
    page.select_option("#f-province", "")
    page.click("th[data-sort='index']")
    page.click("th[data-sort='index']")  # descending: the worst first
    assert listed(page, "stations")[0] == "PUB_AIR_BAD"
    assert page.locator("th[data-sort='index']").get_attribute("aria-sort") == "descending"


def test_open_exceedances_are_listed_without_restricted_stations(
    page: Any, public_site: PublicSite
) -> None:
    page.goto(public_site.url + "/exceedances")
    page.wait_for_selector("#exceedances tbody tr")
    assert listed(page, "exceedances") == ["PUB_AIR_BAD"]
    row = page.locator("#exceedances tr[data-station='PUB_AIR_BAD']")
    text = row.inner_text()
    assert "Bụi PM2,5" in text and "74,5" in text and "≤ 45" in text
    assert row.get_attribute("data-status") == "open"
    page.select_option("#f-status", "closed")
    page.wait_for_selector("#exceedances tbody td.muted")
    assert listed(page, "exceedances") == []
