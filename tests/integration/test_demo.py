"""The demo loaded into a real store: a map worth looking at (several VN_AQI and VN_WQI
categories across provinces, exceedances) and a second load that changes nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from quantrac.api.app import create_app
from quantrac.api.settings import ApiSettings
from quantrac.demo import load_demo
from quantrac.store.db import Store


@pytest.fixture(scope="module")
def demo_client(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Store, TestClient]:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    shutil.copy(sqlite_template, path)
    store = Store(f"sqlite:///{path}")
    load_demo(store, days=2)
    settings = ApiSettings(secret="test-secret", rate_limit_enabled=False, latest_cache_s=0)
    return store, TestClient(create_app(store, settings=settings))


def test_demo_map_has_many_colours(demo_client: tuple[Store, TestClient]) -> None:
    _, client = demo_client
    air = client.get("/api/v1/indices/latest", params={"kind": "aqi_hourly"}).json()
    current = {r["category"] for r in air if not r["time"].startswith(("2017", "2020"))}
    assert len(current) >= 4, current
    water = client.get("/api/v1/indices", params={"kind": "wqi_daily"}).json()
    assert len({r["category"] for r in water if r["value"] is not None}) >= 4
    stations = client.get("/api/v1/stations").json()
    assert len({s["province"] for s in stations}) >= 10
    assert "HN_DET_NT" not in {s["code"] for s in stations}  # restricted stays hidden


def test_demo_has_public_exceedances_and_limits(demo_client: tuple[Store, TestClient]) -> None:
    _, client = demo_client
    events = client.get("/api/v1/events", params={"kind": "exceedance", "status": "open"}).json()
    assert {"PM25", "DO"} <= {e["parameter"] for e in events}
    limits = client.get("/api/v1/stations/HN_PVD_KK/limits", params={"parameter": "PM25"}).json()
    assert {r["averaging"] for r in limits} == {"24h", "year"}


def test_loading_the_demo_again_adds_nothing(demo_client: tuple[Store, TestClient]) -> None:
    store, _ = demo_client
    again = load_demo(store, days=2)
    assert again.revised == 0
