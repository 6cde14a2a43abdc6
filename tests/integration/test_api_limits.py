"""GET /api/v1/stations/{code}/limits on both backends: the limit lines of a station's
regulation for its series, 404 for what the caller may not see."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from quantrac.api.app import create_app
from quantrac.api.settings import ApiSettings
from quantrac.store.db import Store
from quantrac.store.registry import StationSpec, create_station, ensure_series


def client_with_stations(store: Store) -> TestClient:
    for code, vis, regulation in (
        ("AIR_PUB", "public", "QCVN 05:2023/BTNMT"),
        ("AIR_HIDDEN", "restricted", "QCVN 05:2023/BTNMT"),
        ("AIR_NOREG", "public", None),
    ):
        create_station(
            store,
            StationSpec(
                code=code,
                name=code,
                kind="automatic",
                medium="ambient_air",
                visibility=vis,
                regulation=regulation,
            ),
        )
        ensure_series(store, code, "PM25")
        ensure_series(store, code, "NO2")
    settings = ApiSettings(secret="test-secret", rate_limit_enabled=False)
    return TestClient(create_app(store, settings=settings))


def test_limits_of_a_public_station(store: Store, tmp_path: Path) -> None:
    client = client_with_stations(store)
    found = client.get("/api/v1/stations/AIR_PUB/limits").json()
    assert {(r["parameter"], r["averaging"]) for r in found} == {
        ("PM25", "24h"),
        ("PM25", "year"),
        ("NO2", "1h"),
        ("NO2", "24h"),
        ("NO2", "year"),
    }
    assert all(r["unit"] == "µg/Nm3" and r["regulation"] == "QCVN 05:2023/BTNMT" for r in found)
    only = client.get("/api/v1/stations/AIR_PUB/limits", params={"parameter": "NO2"}).json()
    assert {r["parameter"] for r in only} == {"NO2"}
    assert client.get("/api/v1/stations/AIR_NOREG/limits").json() == []


def test_limits_of_hidden_or_unknown_stations_are_404(store: Store, tmp_path: Path) -> None:
    client = client_with_stations(store)
    for code in ("AIR_HIDDEN", "NOPE"):
        response = client.get(f"/api/v1/stations/{code}/limits")
        assert response.status_code == 404 and response.json()["error"] == "not_found"
