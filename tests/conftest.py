"""Fixtures shared by every test level."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def need(condition: bool, reason: str) -> None:
    """Skip outside CI, fail in CI: CI must exercise everything the machine offers."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ../shared folder beside the repository (reference tables and real data)."""
    path = REPO_ROOT.parent / "shared"
    need(path.is_dir(), f"{path} not found (the shared reference folder sits beside the repo)")
    return path


@pytest.fixture(scope="session")
def tt10_dir(shared_dir: Path) -> Path:
    return shared_dir / "data" / "tt10" / "envisoft-demo-normal"


# --- stores ---------------------------------------------------------------------------------
PG_ENV = "QUANTRAC_TEST_DATABASE_URL"
#: Catalogue tables are loaded once per database; everything else is emptied between tests.
_CATALOGUE_TABLES = {"admin_unit", "parameter", "limit_rule"}


def _data_tables() -> list[str]:
    from quantrac.store.schema import metadata

    return [t.name for t in metadata.sorted_tables if t.name not in _CATALOGUE_TABLES]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from quantrac.store.catalog_sync import sync_catalog
    from quantrac.store.db import Store
    from quantrac.store.migrate import upgrade

    path = tmp_path_factory.mktemp("template") / "template.db"
    store = Store(f"sqlite:///{path}")
    upgrade(store)
    sync_catalog(store)
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.dispose()
    return path


@pytest.fixture(scope="session")
def pg_url() -> str:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from quantrac.store.catalog_sync import sync_catalog
    from quantrac.store.db import Store, normalize_url
    from quantrac.store.migrate import upgrade

    base = os.environ.get(PG_ENV)
    need(bool(base), f"PostgreSQL tests need {PG_ENV}=postgresql://user@host/db")
    assert base is not None
    admin_url = make_url(normalize_url(base))
    name = f"quantrac_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as e:
        need(False, f"cannot reach PostgreSQL at {base}: {e}")
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    store = Store(url)
    upgrade(store)
    sync_catalog(store)
    store.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@lru_cache(maxsize=1)
def _package_parameters() -> tuple[str, ...]:
    """The codes of the package catalogue (loaded once: a load takes ~20 ms)."""
    from quantrac.catalog.catalog import Catalog

    return tuple(sorted(Catalog.load().parameters.by_code))


def _drop_local_parameters(conn: object) -> None:
    """Parameters a test added to the catalogue (a province's own) go with its data."""
    from sqlalchemy import delete

    from quantrac.store.schema import parameter

    codes = _package_parameters()
    conn.execute(delete(parameter).where(parameter.c.code.not_in(codes)))  # type: ignore[attr-defined]


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path):
    """A migrated, empty store on each backend (catalogue tables loaded)."""
    import shutil

    from quantrac.store.db import Store

    if request.param == "sqlite":
        path = tmp_path / "quantrac.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        s = Store(f"sqlite:///{path}")
    else:
        s = Store(request.getfixturevalue("pg_url"))
        with s.engine.begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE {', '.join(_data_tables())} RESTART IDENTITY CASCADE")
            _drop_local_parameters(conn)
    yield s
    s.dispose()
