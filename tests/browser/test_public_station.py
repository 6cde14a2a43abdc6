"""A station page in Chromium: latest values, a chart with data and the QCVN limit line, the
index card and calendar, exceedances, downloads; restricted and unknown stations are 404."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from quantrac.catalog import get_catalog
from tests.browser.public_world import (
    CHART_STATION,
    PublicSite,
    public_site_fixture,  # noqa: F401 - the `public_site` fixture
)

VN = timezone(timedelta(hours=7))


def pm25_daily_limit() -> float:
    """QCVN 05:2023 PM2.5 24-h limit in force today (50 until 31/12/2025, then 45)."""
    today = datetime.now(VN).date()
    rules = get_catalog().limit_rules(
        regulation="QCVN 05:2023/BTNMT", parameter_code="PM25", on=today
    )
    return next(r.maximum for r in rules if r.averaging == "24h" and r.maximum is not None)


def open_station(page: Any, site: PublicSite, query: str = "") -> None:
    page.goto(f"{site.url}/stations/{CHART_STATION}{query}")
    page.wait_for_selector("#chart[data-points]")


def test_chart_has_data_points_and_the_limit_line(page: Any, public_site: PublicSite) -> None:
    open_station(page, public_site, "?period=7d")
    chart = page.locator("#chart")
    assert chart.locator("canvas").count() == 1
    points = int(chart.get_attribute("data-points"))
    assert 150 <= points <= 169  # a week of hourly means
    assert chart.get_attribute("data-limits") == "1"
    data = page.evaluate(
        "({values: QT_STATION.chart.data[1].filter(v => v !== null).length,"
        " limit: [...new Set(QT_STATION.chart.data[2])],"
        " label: QT_STATION.chart.series[2].label})"
    )
    assert data["values"] == points
    assert data["limit"] == [pm25_daily_limit()]
    assert "QCVN 05:2023" in data["label"] and "trung bình 24 giờ" in data["label"]
    # The y axis reaches the limit line: it is drawn, not clipped.
    y_max = page.evaluate("QT_STATION.chart.scales.y.max")
    assert y_max >= pm25_daily_limit()
    assert "trung bình giờ" in page.locator("#chart-note").inner_text()
    # Ticks every 12 hours over a week: each day is named once, the noon ticks show the time.
    labels = page.evaluate(
        "(() => { const t0 = Date.UTC(2026, 0, 4, 17) / 1000;"  # 05/01/2026 00:00 in Vietnam
        " const splits = Array.from({length: 8}, (_, i) => t0 + i * 43200);"
        " return QTChart.tickFormatter(7 * 86400)(null, splits); })()"
    )
    assert labels == ["05/01", "12:00", "06/01", "12:00", "07/01", "12:00", "08/01", "12:00"]


def test_period_and_parameter_choice(page: Any, public_site: PublicSite) -> None:
    open_station(page, public_site)
    button = page.locator(".periods button[data-period='24h']")
    button.click()
    page.wait_for_function("document.querySelector('#chart').dataset.points <= 25")
    assert button.get_attribute("aria-pressed") == "true"
    assert "period=24h" in page.url and "parameter=PM25" in page.url
    assert "giá trị đo" in page.locator("#chart-note").inner_text()
    csv = page.locator("#dl-csv").get_attribute("href")
    assert csv.startswith("/api/v1/exports/observations.csv?station=PUB_AIR_BAD&start=")
    response = page.request.get(public_site.url + csv)
    assert response.status == 200
    body = response.text()
    assert "PUB_AIR_BAD" in body and "PM25" in body
    xlsx = page.locator("#dl-xlsx").get_attribute("href")
    assert page.request.get(public_site.url + xlsx).body()[:2] == b"PK"


def test_latest_values_index_card_calendar_and_events(page: Any, public_site: PublicSite) -> None:
    open_station(page, public_site)
    row = page.locator("#latest tr[data-parameter='PM25']")
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == "Bụi PM2,5"
    assert re.fullmatch(r"\d+,\d{1,2}", cells[1]), cells[1]  # decimal comma
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", cells[3]), cells[3]
    card = page.locator("#index-card")
    assert card.get_attribute("data-category") == "Bad"
    assert "175" in card.inner_text() and "Xấu" in card.inner_text()
    page.wait_for_selector("#history:not([hidden])")
    poor = page.locator("#calendar .day[data-category='Poor']").count()
    assert poor == 7
    events = page.locator("#events tbody tr")
    assert events.count() == 1 and "đang diễn ra" in events.inner_text()
    assert "Thông số" in page.locator("#events thead").inner_text()


def test_restricted_and_unknown_stations_are_not_found(page: Any, public_site: PublicSite) -> None:
    for code in ("SECRET_KK", "NO_SUCH_STATION"):
        response = page.goto(f"{public_site.url}/stations/{code}")
        assert response.status == 404
        assert page.locator("[data-testid=not-found]").is_visible()
        assert "Không tìm thấy trạm" in page.locator("h1").inner_text()
        api = page.request.get(f"{public_site.url}/api/v1/stations/{code}/limits")
        assert api.status == 404


def test_periodic_station_shows_its_lab_samples(page: Any, public_site: PublicSite) -> None:
    page.goto(f"{public_site.url}/stations/PUB_GW")
    page.wait_for_selector("#sample-table tbody tr td:not(.muted)")
    rows = page.locator("#sample-table tbody tr")
    assert rows.count() == 2
    newest = rows.first.inner_text()
    assert "GW-2" in newest and "pH: 6,9" in newest and "Asen: < 0,001 mg/L" in newest
    assert page.locator("#samples-note").inner_text() == "2 mẫu trong hai năm qua"
    assert page.locator(".downloads").first.is_hidden()  # no automatic series to download
