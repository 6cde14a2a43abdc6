"""Registering simulated stations and their FTP accounts, so `simulate` runs on a fresh store.

Passwords are generated (machine accounts, see receivers/accounts.py) and kept in a
credentials file (mode 0600) beside the data, so later runs log in with the same accounts.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select

from quantrac.receivers.accounts import create_accounts, find_account, reset_password
from quantrac.simulator.model import SimStation
from quantrac.store.db import Store
from quantrac.store.registry import StationSpec, create_station
from quantrac.store.schema import station

INTERVAL_S = 300  # Circular 10/2021: a file every 5 minutes


def ensure_stations(store: Store, stations: Sequence[SimStation]) -> int:
    """Register the stations that do not exist yet (one transaction); returns how many."""
    with store.read() as conn:
        known = set(conn.scalars(select(station.c.code)))
    new = [s for s in stations if s.code not in known]
    if new:
        with store.write() as conn:
            for s in new:
                spec = StationSpec(
                    code=s.code,
                    name=f"Trạm mô phỏng {s.facility} ({s.station})",
                    kind="automatic",
                    medium=s.medium,
                    reporting_interval_s=INTERVAL_S,
                    network="simulator",
                    notes="Dữ liệu mô phỏng (quantrac simulate)",
                )
                create_station(store, spec, conn=conn)
    return len(new)


def load_credentials(path: Path) -> dict[str, str]:
    return json.loads(path.read_text()) if path.exists() else {}


def save_credentials(path: Path, credentials: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(credentials, fh, indent=0, sort_keys=True)
    tmp.replace(path)


def ensure_accounts(
    store: Store, stations: Sequence[SimStation], credentials_file: Path
) -> dict[str, str]:
    """One FTP account per station (username = code in lower case); returns all passwords."""
    credentials = load_credentials(credentials_file)
    missing = []
    for s in stations:
        account = find_account(store, s.username)
        if account is None:
            missing.append((s.username, s.code, None, None, None))
        elif s.username not in credentials:  # made elsewhere: take it over with a new password
            credentials[s.username] = reset_password(store, s.username)
    for username, password in create_accounts(store, missing):
        credentials[username] = password
    save_credentials(credentials_file, credentials)
    return credentials
