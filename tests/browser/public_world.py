"""A small country for the public portal's browser tests (and, scaled up, its benchmark).

Stations with index values of known categories (the colours the map must show), a station
whose index is old, one with no index, a restricted one (never shown to the public), an air
station with a week of approved hourly PM2.5 crossing its QCVN 05:2023 limit, and open
exceedance events. Times are relative to now, because the pages compare with the clock.

Not a test module: test modules import the `public_site` fixture from here.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import insert

from quantrac.store.db import Store
from quantrac.store.observations import ObservationRow, write_observations
from quantrac.store.registry import (
    OrganizationSpec,
    StationSpec,
    create_organization,
    create_station,
    ensure_series,
)
from quantrac.store.schema import event, index_value, review_period, sample, sample_result

HOUR = 3600
DAY = 86400
VN_OFFSET = 7 * HOUR

#: code → (medium, province key, lat, lon, visibility, index kind, value, hours ago)
STATIONS: dict[str, tuple[str, str, float, float, str, str | None, float | None, int]] = {
    "PUB_AIR_GOOD": ("ambient_air", "01-2025", 21.03, 105.85, "public", "aqi_hourly", 30, 1),
    "PUB_AIR_BAD": ("ambient_air", "48-2025", 16.07, 108.21, "public", "aqi_hourly", 175, 1),
    "PUB_AIR_OLD": ("ambient_air", "79-2008", 10.78, 106.70, "public", "aqi_hourly", 120, 240),
    "PUB_WATER": ("surface_water", "92-2025", 10.04, 105.79, "public", "wqi_daily", 60, 0),
    "PUB_GW": ("groundwater", "01-2025", 20.99, 105.81, "public", None, None, 0),
    "SECRET_KK": ("ambient_air", "01-2025", 21.10, 105.90, "restricted", "aqi_hourly", 250, 1),
}
#: What the map must show for each public station: the English category label, or None.
EXPECTED_CATEGORY = {
    "PUB_AIR_GOOD": "Good",
    "PUB_AIR_BAD": "Bad",
    "PUB_AIR_OLD": "Poor",
    "PUB_WATER": "Medium",
    "PUB_GW": None,
}
CHART_STATION = "PUB_AIR_BAD"


@dataclass
class PublicWorld:
    store: Store
    now: int
    series: dict[str, int] = field(default_factory=dict)


def _index_row(station_id: int, kind: str, t: int, value: float | None) -> dict[str, object]:
    return {
        "station_id": station_id,
        "kind": kind,
        "time": t,
        "value": value,
        "category": None,
        "dominant": "pm25" if kind.startswith("aqi") else None,
        "details": None,
        "computed_at": t,
    }


def _day_end(t: int) -> int:
    """End of the local (UTC+7) day holding instant t, as UTC epoch seconds."""
    return ((t + VN_OFFSET) // DAY + 1) * DAY - VN_OFFSET


def build_public_world(store: Store, now: int | None = None) -> PublicWorld:
    now = int(time.time()) if now is None else now
    hour = now // HOUR * HOUR
    world = PublicWorld(store, now)
    create_organization(
        store, OrganizationSpec(code="SO_DEMO", name="Sở Môi trường (thử)", kind="agency")
    )
    ids: dict[str, int] = {}
    with store.write() as conn:
        for code, (medium, unit, lat, lon, vis, *_rest) in STATIONS.items():
            ids[code] = create_station(
                store,
                StationSpec(
                    code=code,
                    name=f"Trạm {code}",
                    kind="periodic" if medium == "groundwater" else "automatic",
                    medium=medium,
                    latitude=lat,
                    longitude=lon,
                    admin_unit=unit,
                    owner="SO_DEMO",
                    visibility=vis,
                    regulation="QCVN 05:2023/BTNMT" if medium == "ambient_air" else None,
                    reporting_interval_s=HOUR,
                ),
                conn,
            )
        rows = []
        for code, (_m, _u, _la, _lo, _v, kind, value, ago) in STATIONS.items():
            if kind == "aqi_hourly":
                rows.append(_index_row(ids[code], kind, hour - ago * HOUR, value))
            elif kind == "wqi_daily":
                today_end = _day_end(now)
                # Yesterday's complete day has the value; today's row is still empty.
                rows.append(_index_row(ids[code], kind, today_end - DAY, value))
                rows.append(_index_row(ids[code], kind, today_end, None))
        for d in range(1, 8):  # a week of daily VN_AQI for the calendar
            rows.append(_index_row(ids[CHART_STATION], "aqi_daily", _day_end(now) - d * DAY, 140))
        conn.execute(insert(index_value), rows)
    sid = ensure_series(store, CHART_STATION, "PM25")
    world.series[CHART_STATION] = sid
    start = hour - 7 * DAY
    values = [
        ObservationRow(sid, t, round(45 + 30 * math.sin(i / 5), 2), 0, 1)
        for i, t in enumerate(range(start + HOUR, hour + 1, HOUR))
    ]
    write_observations(store, values, source="test")
    with store.write() as conn:
        conn.execute(
            insert(review_period).values(
                series_id=sid, start=start, end=hour + 1, state="approved", by="test", at=now
            )
        )
        for code in (CHART_STATION, "SECRET_KK"):
            conn.execute(
                insert(event).values(
                    kind="exceedance",
                    station_id=ids[code],
                    series_id=sid if code == CHART_STATION else None,
                    status="open",
                    started_at=hour - 2 * DAY,
                    last_at=hour,
                    peak_value=74.5,
                    peak_at=hour - DAY,
                    details=json.dumps(
                        {
                            "averaging": "24h",
                            "unit": "µg/Nm3",
                            "maximum": 45.0,
                            "minimum": None,
                            "direction": "above_maximum",
                            "regulation": "QCVN 05:2023/BTNMT",
                        }
                    ),
                )
            )
        # Two lab samples at the groundwater well (periodic): one result below detection.
        for i, day in enumerate((40, 10)):
            sample_id = conn.execute(
                insert(sample).values(
                    station_id=ids["PUB_GW"],
                    sample_code=f"GW-{i + 1}",
                    sampled_at=hour - day * DAY,
                    matrix="groundwater",
                    created_at=now,
                )
            ).inserted_primary_key[0]
            conn.execute(
                insert(sample_result),
                [
                    {
                        "sample_id": sample_id,
                        "parameter_code": "PH",
                        "value": (6.8, 6.9)[i],
                        "unit": "-",
                        "qualifier": None,
                        "detection_limit": None,
                        "qc_flag": 1,
                    },
                    {
                        "sample_id": sample_id,
                        "parameter_code": "AS",
                        "value": None,
                        "unit": "mg/L",
                        "qualifier": "<",
                        "detection_limit": 0.001,
                        "qc_flag": 1,
                    },
                ],
            )
    return world


# --- fixtures (import them into a test module to use them) --------------------------------
@dataclass
class PublicSite:
    url: str
    world: PublicWorld


@pytest.fixture(name="public_site", scope="session")
def public_site_fixture(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PublicSite]:
    """One server for every public-page test: a copy of the migrated template store with the
    world above, served by uvicorn on loopback (rate limits off, no /latest cache)."""
    from quantrac.api.app import create_app
    from quantrac.api.settings import ApiSettings
    from tests.browser.conftest import live_server

    path = tmp_path_factory.mktemp("public") / "public.db"
    shutil.copy(sqlite_template, path)
    store = Store(f"sqlite:///{path}")
    world = build_public_world(store)
    settings = ApiSettings(secret="test-secret", rate_limit_enabled=False, latest_cache_s=0)
    with live_server(create_app(store, settings=settings)) as url:
        yield PublicSite(url, world)
    store.dispose()
