"""A small province for the staff-workspace browser tests (not a test module).

Hà Nội staff (`hn`) manage HN_AIR (automatic air, online, PM2.5 of the last day with flagged
values), A_WW (enterprise A's automatic wastewater, restricted, offline for two hours) and
HN_SW (a periodic river point under QCVN 08:2023 level B). Enterprise B's B_WW is in Hồ Chí
Minh City and has never sent anything. Users: `admin`, `hn`, `ent_a` (enterprise A),
`citizen`; the password of each is `<name>-password`.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert

from quantrac.api.app import create_app
from quantrac.api.settings import ApiSettings
from quantrac.archive import Archive
from quantrac.auth import users
from quantrac.store.db import Store, now_s
from quantrac.store.observations import ObservationRow, write_observations
from quantrac.store.registry import (
    OrganizationSpec,
    StationSpec,
    create_organization,
    create_station,
    ensure_series,
    get_station,
)
from quantrac.store.schema import station_status

STEP = 300
HOURS = 24
#: Indices (from the oldest) of the PM2.5 values flagged suspect (3) and bad (4).
SUSPECT, BAD = (100, 101), (200,)
SHEET = (
    "Mã điểm,Tên điểm,Ngày lấy mẫu,COD (mg/L),BOD5 (mg/L)\n"
    "HN_SW,Sông Tô Lịch,05/01/2025,12,4\n"
    'HN_SW,Sông Tô Lịch,06/02/2025,"18,5",<2\n'
)


@dataclass
class StaffWorld:
    store: Store
    archive: Archive
    app: object
    t_end: int  # just after the newest PM2.5 value


def _stations(store: Store) -> None:
    for code, name, kind in (
        ("SO_HN", "Sở NN&MT Hà Nội", "agency"),
        ("ENT_A", "Công ty A", "enterprise"),
        ("ENT_B", "Công ty B", "enterprise"),
    ):
        create_organization(store, OrganizationSpec(code=code, name=name, kind=kind))
    common = {"latitude": 21.0, "longitude": 105.8, "reporting_interval_s": STEP}
    for spec in (
        StationSpec(code="HN_AIR", name="Trạm Hoàn Kiếm", kind="automatic",
                    medium="ambient_air", admin_unit="01", owner="SO_HN", **common),
        StationSpec(code="A_WW", name="Nước thải công ty A", kind="automatic",
                    medium="wastewater", admin_unit="01", owner="ENT_A",
                    visibility="restricted", **common),
        StationSpec(code="B_WW", name="Nước thải công ty B", kind="automatic",
                    medium="wastewater", admin_unit="79", owner="ENT_B",
                    visibility="restricted", **common),
        StationSpec(code="HN_SW", name="Sông Tô Lịch", kind="periodic", medium="surface_water",
                    admin_unit="01", owner="SO_HN", regulation="QCVN 08:2023/BTNMT",
                    regulation_column="river-B"),
    ):  # fmt: skip
        create_station(store, spec)


def _observations(store: Store, now: int) -> int:
    """A day of 5-minute PM2.5 at HN_AIR (some flagged) and COD at A_WW; status rows."""
    end = now - now % STEP
    start = end - HOURS * 3600
    pm = ensure_series(store, "HN_AIR", "PM25")
    cod = ensure_series(store, "A_WW", "COD")
    rows = []
    for i, t in enumerate(range(start, end, STEP)):
        flag = 3 if i in SUSPECT else 4 if i in BAD else 1
        rows.append(ObservationRow(pm, t, 20.0 + (i % 12), None, flag))
        rows.append(ObservationRow(cod, t, 40.0 + (i % 5), None, 1))
    write_observations(store, rows, source="test")
    with store.write() as conn:
        for code, received in (("HN_AIR", now - 60), ("A_WW", now - 2 * 3600)):
            sid = get_station(store, code, conn)["id"]
            conn.execute(
                insert(station_status).values(
                    station_id=sid,
                    last_data_at=end - STEP,
                    last_received_at=received,
                    online=received > now - 900,
                    changed_at=received,
                )
            )
    return end


def build_staff_world(template: Path, folder: Path) -> StaffWorld:
    """A copy of the migrated SQLite template with the world above, and its app."""
    path = folder / "staff.db"
    shutil.copy(template, path)
    store = Store(f"sqlite:///{path}")
    _stations(store)
    t_end = _observations(store, now_s())
    users.create_user(store, "admin", "admin-password", "admin")
    users.create_user(store, "hn", "hn-password", "province", admin_unit="01")
    users.create_user(store, "ent_a", "ent_a-password", "enterprise", organization_code="ENT_A")
    users.create_user(store, "citizen", "citizen-password", "public")
    archive = Archive(store, folder / "archive")
    settings = ApiSettings(secret="browser-test-secret", latest_cache_s=0)
    return StaffWorld(store, archive, create_app(store, archive, settings), t_end)


def log_in(page: object, base: str, name: str, next_path: str = "/staff") -> None:
    """Through the login form, as a person would."""
    page.goto(f"{base}/login?next={next_path}")  # type: ignore[attr-defined]
    page.fill("#username", name)  # type: ignore[attr-defined]
    page.fill("#password", f"{name}-password")  # type: ignore[attr-defined]
    page.click("#login-submit")  # type: ignore[attr-defined]
    page.wait_for_url(f"{base}{next_path}*")  # type: ignore[attr-defined]
