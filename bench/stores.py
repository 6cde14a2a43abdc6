"""Throw-away stores for benchmarks: an SQLite file in a temporary folder and, when a
PostgreSQL URL is given, a temporary database on that server (dropped afterwards)."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

from quantrac.store.db import Store, normalize_url


@contextmanager
def sqlite_store() -> Iterator[Store]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            yield store
        finally:
            store.dispose()


@contextmanager
def postgres_store(server_url: str) -> Iterator[Store]:
    admin = create_engine(normalize_url(server_url), isolation_level="AUTOCOMMIT")
    name = f"quantrac_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    store = Store(admin.url.set(database=name).render_as_string(hide_password=False))
    try:
        yield store
    finally:
        store.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bench_stores(pg_url: str | None) -> Iterator[tuple[str, Store]]:
    """("SQLite", store) and, with `pg_url`, ("PostgreSQL", store), each fresh."""
    with sqlite_store() as store:
        yield "SQLite", store
    if pg_url:
        with postgres_store(pg_url) as store:
            yield "PostgreSQL", store
