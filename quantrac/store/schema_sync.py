"""Federation bookkeeping: change sequence, node registry, sync cursors."""

from __future__ import annotations

from quantrac.store.schema import metadata  # noqa: F401
