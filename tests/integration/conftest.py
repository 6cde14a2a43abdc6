"""The API tests' shared small province (api_world.py), fresh for each test and backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from quantrac.catalog import get_catalog
from quantrac.settings import get_settings
from quantrac.store.db import Store
from tests.integration.api_world import World, build_world, cheap_password_hashing


@pytest.fixture
def world(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    cheap_password_hashing(monkeypatch)
    # the province's own parameters (a Datastream of a new quantity adds one) stay this test's
    monkeypatch.setenv("QUANTRAC_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    get_catalog.cache_clear()  # type: ignore[attr-defined]
    yield build_world(store, tmp_path)
    # before the variable is unset: the next caller reads it anew
    get_settings.cache_clear()
    get_catalog.cache_clear()  # type: ignore[attr-defined]
