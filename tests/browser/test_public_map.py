"""The public map in Chromium: coloured markers whose colours are the catalogue's category
colours, the legend, filters by medium and province, popups, and no restricted station."""

from __future__ import annotations

from typing import Any

from quantrac.catalog.index_tables import aqi_categories, wqi_categories
from tests.browser.public_world import (
    EXPECTED_CATEGORY,
    STATIONS,
    PublicSite,
    public_site_fixture,  # noqa: F401 - the `public_site` fixture
)

NO_INDEX = "#9e9e9e"


def expected_colour(code: str) -> str:
    label = EXPECTED_CATEGORY[code]
    if label is None:
        return NO_INDEX
    scale = wqi_categories() if STATIONS[code][5] == "wqi_daily" else aqi_categories()
    return next(c.hex for c in scale if c.label_en == label).lower()


def open_map(page: Any, site: PublicSite, query: str = "") -> None:
    page.goto(site.url + "/" + query)
    page.wait_for_selector("#map[data-ready='1']")
    if "province=" in query:  # the map frames the province once its boundary has loaded
        page.wait_for_selector("#map[data-settled='1']")


# Resolves once the map has not moved for 300 ms: an opened popup pans the map into view, and a
# click aimed at it while it moves lands on the map (which closes the popup) instead.
MAP_STILL = """() => new Promise((done) => {
  const map = window.QT_MAP.map;
  let timer = setTimeout(done, 300);
  map.on("move", () => { clearTimeout(timer); timer = setTimeout(done, 300); });
})"""


def marker_codes(page: Any) -> set[str]:
    codes = page.eval_on_selector_all("path[data-station]", "ps => ps.map(p => p.dataset.station)")
    return set(codes)


def test_markers_are_coloured_by_current_category(page: Any, public_site: PublicSite) -> None:
    open_map(page, public_site)
    assert marker_codes(page) == set(EXPECTED_CATEGORY)  # the restricted station is absent
    for code, label in EXPECTED_CATEGORY.items():
        path = page.locator(f"path[data-station='{code}']")
        assert path.get_attribute("fill").lower() == expected_colour(code), code
        assert path.get_attribute("data-category") == (label or "")
    # Yesterday's VN_WQI colours the river station although today's row has no value yet.
    assert page.locator("path[data-station='PUB_WATER']").get_attribute("stroke") == "#0d47a1"
    # An index from ten days ago is drawn faded and dashed; a current one is not.
    old = page.locator("path[data-station='PUB_AIR_OLD']")
    assert old.get_attribute("data-stale") == "1" and old.get_attribute("stroke-dasharray")
    assert page.locator("path[data-station='PUB_AIR_BAD']").get_attribute("data-stale") == "0"
    assert page.locator("#map-count").inner_text() == "Đang hiển thị 5/5 trạm"


def test_legend_and_boundaries(page: Any, public_site: PublicSite) -> None:
    open_map(page, public_site)
    colours = page.eval_on_selector_all(
        "#legend-body li[data-colour]", "ls => ls.map(l => l.dataset.colour)"
    )
    assert colours[:6] == [c.hex for c in sorted(aqi_categories(), key=lambda c: c.minimum)]
    assert sorted(colours[6:]) == sorted(c.hex for c in wqi_categories())
    assert "Tốt (0–50)" in page.locator("#legend-body").inner_text()
    # 34 provinces (interactive) under the former borders and the national outline.
    selector = ".leaflet-boundaries-pane path.leaflet-interactive"
    page.wait_for_function(f"document.querySelectorAll('{selector}').length >= 34")
    assert page.locator(selector).count() == 34
    assert page.locator(".archipelago", has_text="Hoàng Sa").count() == 1


def test_filters_by_medium_and_province(page: Any, public_site: PublicSite) -> None:
    open_map(page, public_site)
    page.select_option("#f-medium", "surface_water")
    assert marker_codes(page) == {"PUB_WATER"}
    page.select_option("#f-medium", "")
    page.select_option("#f-province", "01-2025")
    assert marker_codes(page) == {"PUB_AIR_GOOD", "PUB_GW"}
    # A station registered under the pre-2025 unit (79-2008) belongs to today's 79-2025.
    page.select_option("#f-province", "79-2025")
    assert marker_codes(page) == {"PUB_AIR_OLD"}
    assert "province=79-2025" in page.url
    open_map(page, public_site, "?medium=ambient_air")
    assert marker_codes(page) == {"PUB_AIR_GOOD", "PUB_AIR_BAD", "PUB_AIR_OLD"}


def test_popup_links_to_the_station_page(page: Any, public_site: PublicSite) -> None:
    open_map(page, public_site, "?province=48-2025")
    page.locator("path[data-station='PUB_AIR_BAD']").click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "Xấu" in popup.inner_text() and "175" in popup.inner_text()
    page.evaluate(MAP_STILL)
    popup.locator("a.button").click()
    page.wait_for_url("**/stations/PUB_AIR_BAD")
    assert page.locator("[data-testid=station-name]").inner_text() == "Trạm PUB_AIR_BAD"
