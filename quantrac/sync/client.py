"""Pushing a province's changes to the national node: resumable, with back-off and
back-pressure.

The national node's applied position is the truth: a push starts by asking for it, and after
any failure whose outcome is unknown (cut link, timeout, national restart) it asks again
before going on — a batch that was applied is never sent twice in a row, one that was not is
sent again. Batches are resized so one applies in about `target_apply_s`; a busy national
node answers 503 with Retry-After and is waited for. Transient failures back off
exponentially with jitter up to `retry_max_s`; a refusal that retrying cannot fix (wrong key,
a station of another province, a station code another node owns) stops the push with the
national node's message.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from quantrac.errors import ConfigError, QuantracError
from quantrac.store.db import Store, now_s
from quantrac.store.schema_sync import sync_push_state
from quantrac.sync.changes import expand_seeds, head, pending, prune, request_seed
from quantrac.sync.position import Position
from quantrac.sync.protocol import CONTENT_TYPE, encode
from quantrac.sync.reader import OutgoingBatch, SeedPending, build_batch
from quantrac.sync.settings import SyncSettings, get_sync_settings

log = logging.getLogger("quantrac.sync")
_TRANSIENT = {408, 425, 429, 500, 502, 503, 504}


class SyncRefused(QuantracError):
    """The national node refused a batch for a reason retrying cannot fix."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(f"national node refused the batch ({status}): {message}")


class _Transient(Exception):
    def __init__(self, message: str, wait_s: float | None = None) -> None:
        super().__init__(message)
        self.wait_s = wait_s


@dataclass
class PushReport:
    batches: int = 0
    rows: int = 0
    retries: int = 0
    position: Position = field(default_factory=Position)
    caught_up: bool = False
    seconds: float = 0.0


Progress = Callable[[PushReport, dict[str, Any]], None]


class Pusher:
    """Pushes one store's change log to one national node."""

    def __init__(
        self,
        store: Store,
        settings: SyncSettings | None = None,
        *,
        client: httpx.Client | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.store = store
        self.settings = settings or get_sync_settings()
        if not self.settings.national_url or not self.settings.key:
            raise ConfigError(
                "set QUANTRAC_SYNC_NATIONAL_URL and QUANTRAC_SYNC_KEY (from `quantrac nodes "
                "add` on the national node) to push"
            )
        self.target = self.settings.national_url.rstrip("/")
        self.client = client or httpx.Client(
            base_url=self.target,
            timeout=self.settings.timeout_s,
            verify=self.settings.ca_file or True,
        )
        self.client.headers["Authorization"] = f"Bearer {self.settings.key}"
        self.budget = self.settings.batch_rows
        self.progress = progress

    def close(self) -> None:
        self.client.close()

    # --- the loop -------------------------------------------------------------------------
    def push(self, max_batches: int | None = None) -> PushReport:
        """Send batches until nothing is pending (or `max_batches` were applied)."""
        started = time.monotonic()
        report = PushReport()
        with self.store.write() as conn:
            expand_seeds(conn)
        position = self._retrying(report, self.fetch_position)
        report.position = position
        self._check_not_behind(position)
        self._refill_if_pruned(position)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-read") as reader:
            ahead: Future[OutgoingBatch | None] | None = None
            waited = 0.0
            while max_batches is None or report.batches < max_batches:
                batch = self._next(reader, ahead, position)
                if batch is None:
                    if not self._unsettled(position) or waited >= self.settings.settle_wait_s:
                        report.caught_up = not self._unsettled(position)
                        break
                    # Entries of transactions still open (PostgreSQL): they will settle.
                    time.sleep(0.2)
                    waited += 0.2
                    ahead = None
                    continue
                # Read the following batch while the national node applies this one; it is
                # used only if the national node then stands where it starts (`_next`).
                ahead = reader.submit(self._build, batch.end)
                self._send_until_done(report, batch)
                position = report.position
        report.seconds = round(time.monotonic() - started, 2)
        return report

    def _unsettled(self, position: Position) -> bool:
        with self.store.read() as conn:
            return pending(conn, position)[0] > 0

    def _check_not_behind(self, national: Position) -> None:
        """The national node cannot have applied entries this log never had — unless this
        database was restored from a backup, whose new entries would then be skipped."""
        with self.store.read() as conn:
            last = head(conn)
        if (national.xid, national.seq) > (last.xid, last.seq):
            raise SyncRefused(
                409,
                f"the national node has applied up to {national}, beyond this node's change "
                f"log ({last}): was this database restored from a backup? Run `quantrac nodes "
                "reset <node>` on the national node and `quantrac sync reseed` here",
            )

    def _refill_if_pruned(self, national: Position) -> None:
        """A national node restored from a backup may stand before entries this node has
        already forgotten: send everything again (applying changes only what differs)."""
        state = local_state(self.store, self.target)
        if state is None or (national.xid, national.seq) >= (
            state["pruned_xid"],
            state["pruned_seq"],
        ):
            return
        log.warning("sync: the national node is behind this node's pruned log; resending all")
        with self.store.write() as conn:
            request_seed(conn)
            expand_seeds(conn)

    def _build(self, position: Position) -> OutgoingBatch | None:
        while True:
            try:
                return build_batch(self.store, position, self.budget, self.settings.max_entries)
            except SeedPending:
                with self.store.write() as conn:
                    expand_seeds(conn)

    def _next(
        self, reader: ThreadPoolExecutor, ahead: Future | None, position: Position
    ) -> OutgoingBatch | None:
        if ahead is not None:
            batch = ahead.result()
            if batch is None or batch.start == position:
                return batch
        return self._build(position)

    def _send_until_done(self, report: PushReport, batch: OutgoingBatch) -> dict | None:
        body = encode(batch.header, batch.table, self.settings.compression)
        attempt = 0
        while True:
            try:
                result = self._post(body)
            except _Transient as e:
                attempt += 1
                report.retries += 1
                self._note_error(str(e))
                self._give_up_after(attempt, e)
                time.sleep(e.wait_s if e.wait_s is not None else self._backoff(attempt))
                national = self._retrying(report, self.fetch_position)
                if national != batch.start:
                    report.position = national  # applied after all, or moved: rebuild
                    return None
                continue
            except _Mismatch as e:
                report.position = e.position
                return None
            except _TooLarge:
                report.retries += 1
                return None  # built again, smaller, from the same position
            report.batches += 1
            report.rows += batch.rows
            report.position = Position.from_list(result["position"])
            self._acknowledged(report.position, batch)
            self._resize(float(result.get("seconds", 0.0)))
            if self.progress is not None:
                self.progress(report, result)
            return result

    # --- HTTP -----------------------------------------------------------------------------
    def fetch_position(self) -> Position:
        data = self._call("GET", "/api/v1/sync/position")
        return Position.from_list(data["position"])

    def _post(self, body: bytes) -> dict[str, Any]:
        return self._call(
            "POST", "/api/v1/sync/batches", content=body, headers={"Content-Type": CONTENT_TYPE}
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.HTTPError as e:  # refused, reset, timed out, TLS …
            raise _Transient(f"{type(e).__name__}: {e}") from None
        if response.status_code == 200:
            return response.json()
        message = _message(response)
        if response.status_code == 409 and "position" in _json(response):
            raise _Mismatch(Position.from_list(_json(response)["position"]))
        if response.status_code == 413:
            if self.budget <= self.settings.min_batch_rows:
                raise SyncRefused(413, message)
            self.budget = max(self.settings.min_batch_rows, self.budget // 2)
            raise _TooLarge(message)
        if response.status_code in _TRANSIENT:
            retry_after = response.headers.get("retry-after", "")
            wait = float(retry_after) if retry_after.isdigit() else None
            raise _Transient(f"{response.status_code}: {message}", wait_s=wait)
        self._note_error(message)
        raise SyncRefused(response.status_code, message)

    def _retrying(self, report: PushReport, call: Callable[[], Position]) -> Position:
        attempt = 0
        while True:
            try:
                return call()
            except _Transient as e:
                attempt += 1
                report.retries += 1
                self._note_error(str(e))
                self._give_up_after(attempt, e)
                time.sleep(e.wait_s if e.wait_s is not None else self._backoff(attempt))

    def _backoff(self, attempt: int) -> float:
        cap = min(self.settings.retry_max_s, self.settings.retry_initial_s * 2 ** (attempt - 1))
        return cap * random.uniform(0.5, 1.0)  # jitter, not secrecy

    def _give_up_after(self, attempt: int, error: Exception) -> None:
        if self.settings.max_attempts and attempt >= self.settings.max_attempts:
            raise SyncRefused(0, f"gave up after {attempt} attempts: {error}")

    def _resize(self, apply_s: float) -> None:
        """Back-pressure: aim at `target_apply_s` per batch on the national node."""
        s = self.settings
        if apply_s > s.target_apply_s:
            self.budget = max(s.min_batch_rows, int(self.budget * s.target_apply_s / apply_s))
        elif apply_s < s.target_apply_s / 2:
            self.budget = min(s.max_batch_rows, int(self.budget * 1.5))

    # --- local bookkeeping ----------------------------------------------------------------
    def _acknowledged(self, position: Position, batch: OutgoingBatch) -> None:
        now = now_s()
        with self.store.write() as conn:
            _upsert_state(conn, self.target, position.columns() | {"last_success_at": now})
            conn.execute(
                update(sync_push_state)
                .where(sync_push_state.c.target == self.target)
                .values(
                    batches=sync_push_state.c.batches + 1,
                    rows=sync_push_state.c.rows + batch.rows,
                    last_attempt_at=now,
                )
            )
            pruned = prune(conn, position, self.settings.retain_s)
            if pruned is not None:
                conn.execute(
                    update(sync_push_state)
                    .where(sync_push_state.c.target == self.target)
                    .values(pruned_xid=pruned.xid, pruned_seq=pruned.seq)
                )

    def _note_error(self, message: str) -> None:
        log.warning("sync: %s", message)
        try:
            with self.store.write() as conn:
                _upsert_state(
                    conn,
                    self.target,
                    {"last_error": message[:2000], "last_error_at": now_s()},
                )
        except Exception:  # the local database being busy must not stop the retries
            log.exception("sync: could not record the error locally")


class _TooLarge(Exception):
    """413: the batch must be built again with the (halved) budget."""


class _Mismatch(Exception):
    def __init__(self, position: Position) -> None:
        super().__init__(str(position))
        self.position = position


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _message(response: httpx.Response) -> str:
    data = _json(response)
    return str(data.get("message") or response.text[:300] or response.reason_phrase)


def _upsert_state(conn: Any, target: str, values: dict[str, Any]) -> None:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(sync_push_state).values(target=target, **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=["target"], set_=values))


def local_state(store: Store, target: str) -> dict[str, Any] | None:
    with store.read() as conn:
        row = (
            conn.execute(select(sync_push_state).where(sync_push_state.c.target == target))
            .mappings()
            .first()
        )
    return None if row is None else dict(row)
