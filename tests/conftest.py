"""Fixtures shared by every test level."""

from __future__ import annotations

import os
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
