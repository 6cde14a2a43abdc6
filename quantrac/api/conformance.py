"""A throwaway server for SensorThings conformance suites (`quantrac sta-conformance`).

The OGC executable test suite sends no credentials, creates and deletes entities, and begins
by deleting everything it can list, so it cannot be pointed at a real node. This server runs
on a new, empty database in its own data directory, listens on the loopback interface only,
and treats a request without credentials as a national administrator named "conformance"
(every write is audited under that name). Nothing else about quantrac changes: the same
application, the same rules.
"""

from __future__ import annotations

import ipaddress

from fastapi import FastAPI

from quantrac.api.app import create_app
from quantrac.api.settings import ApiSettings
from quantrac.auth.principal import Principal
from quantrac.store.db import Store

CONFORMANCE = Principal(
    actor="conformance", role="admin", scopes=frozenset({"read", "write", "admin"})
)


def conformance_app(store: Store) -> FastAPI:
    """The application with open writes (no rate limit, no approval step for reading)."""
    settings = ApiSettings(rate_limit_enabled=False, public_requires_approval=False)
    app = create_app(store, settings=settings)
    app.state.ctx.anonymous = CONFORMANCE
    return app


def check_loopback(host: str) -> None:
    """Open writes are served to this machine only."""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise ValueError(
            f"{host} is not a loopback address: the conformance server opens writes "
            "to anyone who can reach it, so it listens on 127.0.0.1 or ::1 only"
        )
