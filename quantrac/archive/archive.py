"""The raw archive: every received file or message, byte for byte, before anything parses it.

- Bytes go to `<root>/YYYY/MM/DD/<sha256>` (content-addressed, written to a temporary file,
  fsynced, renamed) *before* the `raw_file` row commits; a row therefore never points at a
  missing file, and a crash between the two leaves only an orphan file that is never counted.
- The same file (same name, same bytes by SHA-256) received twice is neither stored nor
  counted twice.
- Entries form a hash chain: each row records the previous row's chain hash, and its own chain
  hash covers that plus its SHA-256, name, size, time and source. Changing a stored file, a
  row, or deleting a row breaks the chain, which `verify` reports.
- Rows move received → parsed | quarantined. Whatever is still `received` after a crash is
  processed on restart; processing is idempotent (the observation upsert), so nothing is lost
  or doubled.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, RowMapping, func, insert, select, text, update

from quantrac.store.db import Store, now_s
from quantrac.store.schema import raw_file

GENESIS = "0" * 64
#: An arbitrary constant key for PostgreSQL's advisory lock around the chain head.
_CHAIN_LOCK = 1618_2017


@dataclass(frozen=True, slots=True)
class Received:
    raw_file_id: int
    sha256: str
    duplicate: bool


@dataclass(frozen=True, slots=True)
class VerifyReport:
    checked: int
    problems: list[tuple[int, str]]

    @property
    def ok(self) -> bool:
        return not self.problems


def chain_hash(prev: str, sha256: str, name: str, size: int, received_at: int, source: str) -> str:
    material = f"{prev}|{sha256}|{name}|{size}|{received_at}|{source}".encode()
    return hashlib.sha256(material).hexdigest()


class Archive:
    """Raw bytes on disk under `root`, their register in the `raw_file` table."""

    def __init__(self, store: Store, root: Path) -> None:
        self.store = store
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    # receiving ---------------------------------------------------------------------------
    def receive(
        self,
        data: bytes,
        name: str,
        source: str,
        sender: str | None = None,
        station_code: str | None = None,
        queue: bool = True,
    ) -> Received:
        """Archive `data`; returns once it is durable. A repeat of known bytes is a duplicate.

        `queue=False` archives bytes that the receiving code processes itself (spreadsheet
        uploads awaiting a commit): they enter as `held`, so the ingest worker never picks
        them up in the moment before their receiver marks them."""
        digest = hashlib.sha256(data).hexdigest()
        safe_name = name[-255:]
        same = (raw_file.c.sha256 == digest) & (raw_file.c.name == safe_name)
        with self.store.read() as conn:
            known = conn.scalar(select(raw_file.c.id).where(same))
        if known is not None:
            return Received(int(known), digest, duplicate=True)
        received_at = now_s()
        rel = self._write_bytes(data, digest, received_at)
        with self.store.write() as conn:
            self._lock_chain(conn)
            known = conn.scalar(select(raw_file.c.id).where(same))
            if known is not None:  # another receiver won the race
                return Received(int(known), digest, duplicate=True)
            prev = (
                conn.scalar(select(raw_file.c.chain_hash).order_by(raw_file.c.id.desc()).limit(1))
                or GENESIS
            )
            row = conn.execute(
                insert(raw_file).values(
                    name=safe_name,
                    source=source,
                    sender=sender,
                    station_code=station_code,
                    sha256=digest,
                    prev_hash=prev,
                    chain_hash=chain_hash(prev, digest, safe_name, len(data), received_at, source),
                    size=len(data),
                    path=rel,
                    received_at=received_at,
                    state="received" if queue else "held",
                )
            )
            return Received(int(row.inserted_primary_key[0]), digest, duplicate=False)

    def _write_bytes(self, data: bytes, digest: str, received_at: int) -> str:
        day = datetime.fromtimestamp(received_at, UTC)
        rel = f"{day:%Y/%m/%d}/{digest}"
        path = self.root / rel
        if path.exists():
            return rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{digest}.{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return rel

    def _lock_chain(self, conn: Connection) -> None:
        # SQLite write transactions already begin IMMEDIATE (one writer at a time).
        if not self.store.is_sqlite:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK})

    # reading and state --------------------------------------------------------------------
    def read_bytes(self, row: RowMapping) -> bytes:
        return (self.root / row["path"]).read_bytes()

    def get(self, raw_file_id: int) -> RowMapping:
        with self.store.read() as conn:
            row = (
                conn.execute(select(raw_file).where(raw_file.c.id == raw_file_id))
                .mappings()
                .first()
            )
        if row is None:
            from quantrac.errors import ValidationError

            raise ValidationError(f"no archived file with id {raw_file_id}")
        return row

    def pending(self, limit: int | None = None) -> list[RowMapping]:
        """Files archived but not yet processed, oldest first (also after a crash)."""
        q = select(raw_file).where(raw_file.c.state == "received").order_by(raw_file.c.id)
        if limit:
            q = q.limit(limit)
        with self.store.read() as conn:
            return list(conn.execute(q).mappings())

    def mark(
        self,
        raw_file_id: int,
        state: str,
        error: str | None = None,
        line: int | None = None,
        field: str | None = None,
        conn: Connection | None = None,
    ) -> None:
        stmt = (
            update(raw_file)
            .where(raw_file.c.id == raw_file_id)
            .values(
                state=state, error=error, error_line=line, error_field=field, processed_at=now_s()
            )
        )
        if conn is not None:
            conn.execute(stmt)
            return
        with self.store.write() as c:
            c.execute(stmt)

    def requeue(self, ids: list[int] | None = None) -> int:
        """Put quarantined files (all, or `ids`) back in the queue, e.g. after a registry fix."""
        stmt = update(raw_file).where(raw_file.c.state == "quarantined")
        if ids:
            stmt = stmt.where(raw_file.c.id.in_(ids))
        with self.store.write() as conn:
            return conn.execute(stmt.values(state="received")).rowcount

    def listing(self, state: str | None = None, limit: int = 50) -> list[RowMapping]:
        q = select(raw_file).order_by(raw_file.c.id.desc()).limit(limit)
        if state:
            q = q.where(raw_file.c.state == state)
        with self.store.read() as conn:
            return list(conn.execute(q).mappings())

    def counts(self) -> dict[str, int]:
        with self.store.read() as conn:
            return {
                s: int(n)
                for s, n in conn.execute(
                    select(raw_file.c.state, func.count()).group_by(raw_file.c.state)
                )
            }

    # integrity ------------------------------------------------------------------------------
    def iter_rows(self, batch: int = 1000) -> Iterator[RowMapping]:
        last = 0
        while True:
            with self.store.read() as conn:
                rows = list(
                    conn.execute(
                        select(raw_file)
                        .where(raw_file.c.id > last)
                        .order_by(raw_file.c.id)
                        .limit(batch)
                    ).mappings()
                )
            if not rows:
                return
            yield from rows
            last = rows[-1]["id"]

    def verify(self, progress: Callable[[int], None] | None = None) -> VerifyReport:
        """Recompute every file's SHA-256 and the whole chain; list every break found."""
        problems: list[tuple[int, str]] = []
        prev = GENESIS
        checked = 0
        for row in self.iter_rows():
            checked += 1
            if row["prev_hash"] != prev:
                problems.append(
                    (
                        row["id"],
                        "previous-hash link broken (a row was removed or altered before this one)",
                    )
                )
            expected = chain_hash(
                row["prev_hash"],
                row["sha256"],
                row["name"],
                row["size"],
                row["received_at"],
                row["source"],
            )
            if row["chain_hash"] != expected:
                problems.append((row["id"], "chain hash does not match the row's contents"))
            path = self.root / row["path"]
            if not path.exists():
                problems.append((row["id"], f"archived file missing: {row['path']}"))
            else:
                data = path.read_bytes()
                if hashlib.sha256(data).hexdigest() != row["sha256"] or len(data) != row["size"]:
                    problems.append((row["id"], f"archived bytes changed: {row['path']}"))
            prev = row["chain_hash"]
            if progress:
                progress(checked)
        return VerifyReport(checked, problems)
