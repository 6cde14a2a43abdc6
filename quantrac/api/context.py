"""What every request handler needs, built once per app: store, archive, settings, secret,
rate-limit buckets and the small in-process caches."""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quantrac.api.settings import ApiSettings
from quantrac.archive import Archive
from quantrac.auth.principal import ANONYMOUS, Principal
from quantrac.auth.ratelimit import TokenBuckets
from quantrac.store.db import Store


def load_secret(settings: ApiSettings) -> bytes:
    """The configured secret, else one kept in the data folder so restarts keep sessions."""
    if settings.secret:
        return settings.secret.encode()
    from quantrac.settings import get_settings

    path = Path(get_settings().data_dir) / "api_secret"
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(value)
    return value


class TtlCache:
    """A tiny thread-safe cache for answers that may be a few seconds old (map layers)."""

    def __init__(self, ttl_s: float, max_entries: int = 256) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._data: dict[Any, tuple[float, int, Any]] = {}
        self._lock = threading.Lock()

    def peek(self, key: Any, version: int) -> Any:
        """The cached value if fresh, else None (cheap enough for the event loop)."""
        if self.ttl_s <= 0:
            return None
        with self._lock:
            hit = self._data.get(key)
        if hit and hit[0] > time.monotonic() and hit[1] == version:
            return hit[2]
        return None

    def get_or_compute(self, key: Any, version: int, compute: Callable[[], Any]) -> Any:
        if self.ttl_s <= 0:
            return compute()
        now = time.monotonic()
        with self._lock:
            hit = self._data.get(key)
        if hit and hit[0] > now and hit[1] == version:
            return hit[2]
        value = compute()
        with self._lock:
            if len(self._data) >= self.max_entries:
                self._data.clear()
            self._data[key] = (now + self.ttl_s, version, value)
        return value


@dataclass
class ApiContext:
    store: Store
    settings: ApiSettings
    archive_root: Path
    secret: bytes
    ip_buckets: TokenBuckets
    key_buckets: TokenBuckets
    latest_cache: TtlCache
    #: sha256(user:password) → (user id, expiry): HTTP Basic without an argon2 run per request.
    basic_cache: dict[str, tuple[int, float]] = field(default_factory=dict)
    key_touched: dict[int, float] = field(default_factory=dict)
    #: Bumped by every write through this process, so caches never outlive a write made here.
    data_version: int = 0
    #: Who a request without credentials is: the public, except on the throwaway server of
    #: `quantrac sta-conformance` (conformance.py), where test suites that send no
    #: credentials act as an administrator.
    anonymous: Principal = ANONYMOUS
    _archive: Archive | None = None

    @property
    def archive(self) -> Archive:
        if self._archive is None:
            self._archive = Archive(self.store, self.archive_root)
        return self._archive

    def bump(self) -> None:
        self.data_version += 1


def build_context(store: Store, archive: Archive | None, settings: ApiSettings) -> ApiContext:
    from quantrac.settings import get_settings

    root = settings.archive_dir or Path(get_settings().data_dir) / "archive"
    ctx = ApiContext(
        store=store,
        settings=settings,
        archive_root=archive.root if archive else root,
        secret=load_secret(settings),
        ip_buckets=TokenBuckets(settings.rate_ip_per_s, settings.rate_ip_burst),
        key_buckets=TokenBuckets(settings.rate_key_per_s, settings.rate_key_burst),
        latest_cache=TtlCache(settings.latest_cache_s),
    )
    ctx._archive = archive
    return ctx
