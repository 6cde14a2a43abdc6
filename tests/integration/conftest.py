"""The API tests' shared small province (api_world.py), fresh for each test and backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from quantrac.store.db import Store
from tests.integration.api_world import World, build_world, cheap_password_hashing


@pytest.fixture
def world(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    cheap_password_hashing(monkeypatch)
    return build_world(store, tmp_path)
