"""Helpers shared by the CLI modules: the store, tables, dates in local time."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from quantrac.archive import Archive
from quantrac.settings import get_settings
from quantrac.store.db import Store

console = Console()


def open_archive(store: Store) -> Archive:
    """The raw archive in the data directory (every received byte, hash-chained)."""
    return Archive(store, get_settings().data_dir / "archive")


def open_store(migrate: bool = True) -> Store:
    """The configured store, created or upgraded on first use so no command needs `init`."""
    from quantrac.store.catalog_sync import sync_catalog
    from quantrac.store.migrate import current_revision, head_revision, upgrade

    store = Store.from_settings()
    if migrate and current_revision(store) != head_revision(store):
        upgrade(store)
        sync_catalog(store)
    return store


def local_time(epoch: int | None) -> str:
    """dd/mm/yyyy HH:MM in the configured zone (Asia/Ho_Chi_Minh by default)."""
    if epoch is None:
        return "—"
    zone = ZoneInfo(get_settings().timezone)
    return datetime.fromtimestamp(epoch, UTC).astimezone(zone).strftime("%d/%m/%Y %H:%M")


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> Table:
    tab = Table(title=title, header_style="bold cyan")
    for c in columns:
        tab.add_column(c)
    for r in rows:
        tab.add_row(*("" if v is None else str(v) for v in r))
    return tab
