"""Pure helpers of the public portal pages: index scales, provinces across the 2025 merger,
media order, the tile setting, and that every text the pages show has its Vietnamese."""

from __future__ import annotations

import itertools
import re
from datetime import date
from pathlib import Path

import pytest

from quantrac.catalog.index_tables import aqi_categories, wqi_categories
from quantrac.web.messages import MESSAGES
from quantrac.web.public import (
    INDEX_KINDS,
    MapSettings,
    index_requests,
    index_scale,
    media_choices,
    parameter_names,
    prefetch_paths,
    province_choices,
)

WEB = Path(__file__).resolve().parents[2] / "quantrac" / "web"


@pytest.mark.parametrize("categories", [aqi_categories(), wqi_categories()])
def test_index_scale_is_contiguous_and_uses_catalogue_colours(categories: tuple) -> None:
    scale = index_scale(categories, "vi")
    assert [b["min"] for b in scale] == sorted(c.minimum for c in categories)
    assert scale[0]["min"] == 0
    for lower, upper in itertools.pairwise(scale):
        assert upper["min"] == lower["max"] + 1
    by_label = {c.label_en: c for c in categories}
    for band in scale:
        c = by_label[band["label_en"]]
        assert band["colour"] == c.hex and band["label"] == c.label_vi
    assert {b["label"] for b in index_scale(categories, "en")} == set(by_label)


def test_aqi_scale_matches_decision_1459() -> None:
    scale = index_scale(aqi_categories(), "en")
    assert [(b["min"], b["max"], b["label"], b["colour"]) for b in scale] == [
        (0, 50, "Good", "#00E400"),
        (51, 100, "Moderate", "#FFFF00"),
        (101, 150, "Poor", "#FF7E00"),
        (151, 200, "Bad", "#FF0000"),
        (201, 300, "Very bad", "#8F3F97"),
        (301, 500, "Hazardous", "#7E0023"),
    ]


@pytest.mark.parametrize(
    ("old", "today"),
    [
        ("01-2008", "01-2025"),  # Hà Nội stays Hà Nội
        ("74-2008", "79-2025"),  # Bình Dương joined TP. Hồ Chí Minh
        ("02-2008", "08-2025"),  # Hà Giang joined Tuyên Quang
        ("79-2025", "79-2025"),
    ],
)
def test_provinces_follow_the_2025_merger(old: str, today: str) -> None:
    choices, current = province_choices(date(2026, 3, 1))
    assert len(choices) == 34
    assert current[old] == today
    assert [c["name"] for c in choices] == sorted((c["name"] for c in choices), key=str.casefold)


def test_provinces_before_the_merger() -> None:
    choices, current = province_choices(date(2024, 1, 1))
    assert len(choices) == 63
    assert current["74-2008"] == "74-2008"


def test_media_order_puts_air_and_surface_water_first() -> None:
    media = media_choices("en")
    assert [m["code"] for m in media[:2]] == ["ambient_air", "surface_water"]
    assert media[0]["name"] == "Ambient air"
    assert media_choices("vi")[0]["name"] == "Không khí xung quanh"
    assert len({m["code"] for m in media}) == len(media)


def test_parameter_names_follow_the_language() -> None:
    assert parameter_names("vi")["PM25"] == "Bụi PM2,5"
    assert parameter_names("en")["DO"] == "Dissolved oxygen"


def test_index_requests_ask_yesterday_for_daily_wqi() -> None:
    now = 1_790_000_000  # 2026-09-21T14:13:20Z
    calls = index_requests(now)
    assert list(calls) == [k for kinds in INDEX_KINDS.values() for k in kinds]
    assert calls["aqi_hourly"] == {
        "latest": "/api/v1/indices/latest?kind=aqi_hourly",
        "window": None,
    }
    assert calls["wqi_daily"]["window"] == (
        "/api/v1/indices?kind=wqi_daily&start=2026-09-19T14%3A13%3A20Z&end=2026-09-21T14%3A13%3A20Z"
    )
    paths = prefetch_paths(calls)
    assert paths[0] == "/api/v1/stations" and len(paths) == 1 + len(calls) + 1


def test_tiles_are_off_by_default_and_set_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QUANTRAC_MAP_TILES_URL", raising=False)
    assert MapSettings(_env_file=None).tiles_url is None
    monkeypatch.setenv("QUANTRAC_MAP_TILES_URL", "http://tiles.local/{z}/{x}/{y}.png")
    assert MapSettings(_env_file=None).tiles_url == "http://tiles.local/{z}/{x}/{y}.png"


#: Keys the scripts translate through a table (AVERAGING_TEXT, AGGREGATION_TEXT) or a choice.
INDIRECT_KEYS = {
    "each value",
    "1-hour mean",
    "8-hour mean",
    "24-hour mean",
    "annual mean",
    "measured values",
    "hourly means",
    "daily means",
    "Automatic",
    "Periodic",
}


def public_text_keys() -> set[str]:
    keys = set(INDIRECT_KEYS)
    for path in (WEB / "templates" / "public").glob("*.html"):
        text = path.read_text(encoding="utf-8")
        keys |= set(re.findall(r'\bt\("([^"]+)"\)', text))
        keys |= set(re.findall(r"\bt\('([^']+)'\)", text))
    for path in (WEB / "static" / "js").glob("public-*.js"):
        keys |= set(re.findall(r'\b(?:QT\.t|P\.fmt)\("([^"]+)"', path.read_text(encoding="utf-8")))
    return keys


def test_every_public_text_has_vietnamese() -> None:
    keys = public_text_keys()
    assert len(keys) > 80
    missing = sorted(k for k in keys if k not in MESSAGES)
    assert not missing, f"no Vietnamese for: {missing}"


def test_placeholders_survive_translation() -> None:
    for key in public_text_keys():
        wanted = set(re.findall(r"\{\w+\}", key))
        assert set(re.findall(r"\{\w+\}", MESSAGES[key])) == wanted, key


def test_shipped_province_boundaries_match_the_catalogue() -> None:
    """provinces.geojson (web-src/vendor.mjs): today's 34 units, built from the 63 former
    provinces each exactly once, inside Viet Nam, with the former borders and the labels."""
    import json

    from quantrac.catalog import get_catalog

    data = json.loads((WEB / "static" / "geo" / "provinces.geojson").read_text(encoding="utf-8"))
    assert "Natural Earth" in data["source"]
    units = get_catalog().admin_units
    provinces = [f for f in data["features"] if "kind" not in f["properties"]]
    today = {u.key for u in units.valid_on(date(2026, 1, 1))}
    assert {f["properties"]["key"] for f in provinces} == today
    former = sorted(name for f in provinces for name in f["properties"]["merged"])
    assert former == sorted(u.name for u in units.valid_on(date(2024, 1, 1)))
    for f in provinces:
        key = f["properties"]["key"]
        merged = {u.name for u in units.predecessors(key)}
        assert set(f["properties"]["merged"]) == merged, key
        assert f["geometry"]["type"] == "MultiPolygon"
        points = [p for poly in f["geometry"]["coordinates"] for ring in poly for p in ring]
        assert all(102 < lon < 110 and 8 < lat < 23.5 for lon, lat in points), key
    kinds = [f["properties"].get("kind") for f in data["features"]]
    assert kinds.count("former_borders") == 1 and kinds.count("archipelago") == 2
