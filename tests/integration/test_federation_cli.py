"""`quantrac nodes …` on a national node and `quantrac sync status|reseed|push` on a
province (the push itself runs as a real process in test_federation.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from quantrac.cli import sync_cmd
from quantrac.settings import get_settings
from quantrac.store.db import Store
from quantrac.store.schema_sync import sync_change, sync_node
from quantrac.sync.settings import get_sync_settings


@pytest.fixture
def cli(store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[CliRunner]:
    monkeypatch.setenv("QUANTRAC_DATABASE_URL", store.url)
    monkeypatch.setenv("QUANTRAC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "250")
    for name in ("NATIONAL_URL", "KEY"):
        monkeypatch.delenv(f"QUANTRAC_SYNC_{name}", raising=False)
    get_settings.cache_clear()
    get_sync_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()
    get_sync_settings.cache_clear()


def _app() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(sync_cmd.sync_app, name="sync")
    app.add_typer(sync_cmd.nodes_app, name="nodes")
    return app


def run(runner: CliRunner, *args: str, ok: bool = True) -> str:
    result = runner.invoke(_app(), list(args))
    if ok:
        assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def test_registering_and_managing_province_nodes(store: Store, cli: CliRunner) -> None:
    out = run(cli, "nodes", "add", "tuyen-quang", "--province", "Tuyên Quang")
    assert "08-2025" in out and "qtk_" in out
    with store.read() as conn:
        first = conn.execute(select(sync_node)).mappings().one()
    assert first["key_prefix"] in out  # shown once, stored as prefix + hash only
    assert first["key_hash"] not in out
    assert "tuyen-quang" in run(cli, "nodes", "list")
    rotated = run(cli, "nodes", "rotate-key", "tuyen-quang")
    assert "qtk_" in rotated and first["key_prefix"] not in rotated
    run(cli, "nodes", "revoke", "tuyen-quang")
    assert "revoked" in run(cli, "nodes", "list")
    run(cli, "nodes", "reset", "tuyen-quang")
    bad = cli.invoke(_app(), ["nodes", "add", "tuyen-quang", "--province", "Tuyên Quang"])
    assert bad.exit_code != 0  # the name is taken


def test_status_shows_what_waits_and_reseed_queues_everything(store: Store, cli: CliRunner) -> None:
    out = run(cli, "sync", "status")
    assert "QUANTRAC_SYNC_NATIONAL_URL not set" in out
    run(cli, "sync", "reseed")
    with store.read() as conn:
        seeds = conn.scalars(select(sync_change.c.entity)).all()
    assert "seed" in seeds
    assert "changes waiting" in run(cli, "sync", "status")
    push = cli.invoke(_app(), ["sync", "push"])
    assert push.exit_code != 0 and "QUANTRAC_SYNC_NATIONAL_URL" in str(push.exception)
