"""A small province for the API tests: two enterprises, public and restricted stations,
users and API keys of every role, observations with one approved period.

Not a test module: `test_api_*`, `test_sta_*` and `test_auth_*` build on `build_world`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import insert

from quantrac.api.app import create_app
from quantrac.api.settings import ApiSettings
from quantrac.archive import Archive
from quantrac.auth import keys, users
from quantrac.store.db import Store
from quantrac.store.observations import ObservationRow, write_observations
from quantrac.store.registry import (
    OrganizationSpec,
    StationSpec,
    create_organization,
    create_station,
    ensure_series,
)
from quantrac.store.schema import review_period

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
STEP = 300
N_VALUES = 24  # two hours of 5-minute values per series
APPROVED_END = T0 + 12 * STEP  # the first hour of public stations is approved

#: station code → (owner org, visibility, province key, medium)
STATIONS = {
    "PUB_AIR": ("SO_TNMT", "public", "01-2008", "ambient_air"),
    "A_OUT": ("ENT_A", "restricted", "01-2008", "wastewater"),
    "A_PUB": ("ENT_A", "public", "01-2008", "wastewater"),
    "B_OUT": ("ENT_B", "restricted", "79-2008", "wastewater"),
    "HG_WELL": ("SO_TNMT", "restricted", "02-2008", "groundwater"),
}
PARAMS = {"ambient_air": "PM25", "wastewater": "COD", "groundwater": "PH"}
COORDS = {
    "PUB_AIR": (21.03, 105.85),
    "A_OUT": (21.0, 105.8),
    "A_PUB": (21.01, 105.81),
    "B_OUT": (10.78, 106.7),
    "HG_WELL": (22.8, 104.98),
}


@dataclass
class World:
    store: Store
    client: TestClient
    keys: dict[str, str] = field(default_factory=dict)
    series: dict[str, int] = field(default_factory=dict)

    def h(self, who: str | None) -> dict[str, str]:
        return {} if who is None else {"Authorization": f"Bearer {self.keys[who]}"}


def empty_collection(world: World, entity_set: str, who: str = "admin") -> None:
    """Empty a SensorThings collection the way the OGC suite empties a server: GET it,
    DELETE each entity listed (200, then GET 404), again until it lists none."""
    base = "/sta/v1.1"
    for _ in range(100):
        listed = world.client.get(f"{base}/{entity_set}", headers=world.h(who)).json()["value"]
        if not listed:
            return
        for entity in listed:
            ident = entity["@iot.id"]
            key = f"'{ident}'" if isinstance(ident, str) else str(ident)
            path = f"{base}/{entity_set}({key})"
            r = world.client.delete(path, headers=world.h(who))
            assert r.status_code == 200, f"DELETE {path}: {r.status_code} {r.text}"
            assert world.client.get(path, headers=world.h(who)).status_code == 404, path
    raise AssertionError(f"{entity_set} still lists entities after 100 rounds of DELETE")


def build_world(store: Store, tmp_path: Path, **settings: object) -> World:
    create_organization(
        store,
        OrganizationSpec(code="SO_TNMT", name="Sở TN&MT", kind="agency", admin_unit="01-2008"),
    )
    create_organization(store, OrganizationSpec(code="ENT_A", name="Công ty A", kind="enterprise"))
    create_organization(store, OrganizationSpec(code="ENT_B", name="Công ty B", kind="enterprise"))
    w_series: dict[str, int] = {}
    for code, (owner, vis, unit, medium) in STATIONS.items():
        lat, lon = COORDS[code]
        create_station(
            store,
            StationSpec(
                code=code,
                name=f"Trạm {code}",
                kind="automatic",
                medium=medium,
                owner=owner,
                visibility=vis,
                admin_unit=unit,
                latitude=lat,
                longitude=lon,
                reporting_interval_s=STEP,
                network="test",
            ),
        )
        w_series[code] = ensure_series(store, code, PARAMS[medium])
    rows = [
        ObservationRow(sid, T0 + i * STEP, float(10 + i), None, 1)
        for sid in w_series.values()
        for i in range(N_VALUES)
    ]
    write_observations(store, rows, source="test")
    with store.write() as conn:
        for code in ("PUB_AIR", "A_PUB"):
            conn.execute(
                insert(review_period).values(
                    series_id=w_series[code],
                    start=T0,
                    end=APPROVED_END,
                    state="approved",
                    by="reviewer",
                    at=T0,
                )
            )
    users.create_user(store, "admin", "admin-password", "admin")
    users.create_user(store, "hn", "hn-password", "province", admin_unit="01-2025")
    users.create_user(store, "tq", "tq-password", "province", admin_unit="08-2025")
    users.create_user(store, "ent_a", "ent-a-password", "enterprise", organization_code="ENT_A")
    users.create_user(store, "ent_b", "ent-b-password", "enterprise", organization_code="ENT_B")
    users.create_user(store, "citizen", "citizen-password", "public")
    world_keys = {
        "admin": keys.create_key(store, "admin", username="admin", scopes="read,write,admin").key,
        "hn": keys.create_key(store, "hn", username="hn", scopes="read,write").key,
        "tq": keys.create_key(store, "tq", username="tq", scopes="read,write").key,
        "ent_a": keys.create_key(store, "a", organization_code="ENT_A", scopes="read,write").key,
        "ent_b": keys.create_key(store, "b", username="ent_b", scopes="read,write").key,
        "ent_a_read": keys.create_key(
            store, "a-read", organization_code="ENT_A", scopes="read"
        ).key,
        "citizen": keys.create_key(store, "c", username="citizen", scopes="read").key,
    }
    api_settings = ApiSettings(
        secret="test-secret", rate_limit_enabled=False, latest_cache_s=0, **settings
    )
    app = create_app(store, Archive(store, tmp_path / "archive"), api_settings)
    return World(store, TestClient(app), world_keys, w_series)


# --- helpers shared by the API test modules -------------------------------------------------
def cheap_password_hashing(monkeypatch: object) -> None:
    """argon2 at its smallest cost: the tests check behaviour, not hashing strength."""
    from argon2 import PasswordHasher

    from quantrac.auth import passwords

    monkeypatch.setattr(  # type: ignore[attr-defined]
        passwords, "PERSON_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


class LiveServer:
    """The app under a real uvicorn server on 127.0.0.1 (a free port), in a thread."""

    def __init__(self, app: object) -> None:
        import socket
        import threading

        import uvicorn

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        import time

        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
