"""Writing and reading observations in bulk.

A batch lands in a per-connection staging table (SQLite: executemany; PostgreSQL: COPY), then
two set-based statements finish the job inside the same transaction:

1. every staged row whose key exists with a different value or device status is recorded in
   `observation_revision` (old value, new value, source, time) — nothing is overwritten
   silently;
2. one INSERT … ON CONFLICT DO UPDATE … WHERE <changed> writes new rows and changed ones and
   leaves identical ones alone, so writing the same batch twice changes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import astuple, dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, func, select

from quantrac.errors import ValidationError
from quantrac.store.db import Store, now_s
from quantrac.store.schema import observation, series
from quantrac.sync.changes import record_observations

#: Epoch seconds outside this window are refused as corrupt timestamps (1970 … 2100).
MIN_TIME = 0
MAX_TIME = 4_102_444_800

QC_NOT_EVALUATED = 2


class ObservationRow(NamedTuple):
    """One value of one series at one UTC instant (epoch seconds)."""

    series_id: int
    time: int
    value: float | None
    device_status: int | None = None
    qc_flag: int = QC_NOT_EVALUATED
    qc_reasons: str | None = None
    raw_file_id: int | None = None


@dataclass(frozen=True, slots=True)
class WriteResult:
    received: int
    inserted: int
    revised: int
    unchanged: int
    duplicates_in_batch: int
    #: Differing values refused because staff corrected that value (the raw file keeps them).
    protected: int = 0

    def __add__(self, other: WriteResult) -> WriteResult:
        return WriteResult(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))


_STAGE_COLUMNS = "series_id, time, value, device_status, qc_flag, qc_reasons, raw_file_id"


def validate_rows(rows: Sequence[ObservationRow]) -> None:
    """Refuse the whole batch on any bad row, naming each one (nothing is half-written)."""
    problems: list[tuple[str, str]] = []
    for i, r in enumerate(rows):
        v = r.value
        if v is not None and (not isinstance(v, (int, float)) or not math.isfinite(v)):
            problems.append(
                (
                    f"row {i} (series {r.series_id})",
                    f"value {v!r} is not a finite number; write None for a missing value",
                )
            )
        t = r.time
        if not isinstance(t, (int, np.integer)) or not MIN_TIME <= t <= MAX_TIME:
            problems.append(
                (
                    f"row {i} (series {r.series_id})",
                    f"time {t!r} is not UTC epoch seconds between 1970 and 2100",
                )
            )
        if len(problems) >= 100:
            break
    if problems:
        raise ValidationError(
            f"{len(problems)} invalid observation(s); nothing was written", problems
        )


def dedupe_last(rows: Sequence[ObservationRow]) -> tuple[Sequence[ObservationRow], int]:
    """Keep the last row per (series, time): a batch must not touch a key twice."""
    n = len(rows)
    if n < 2:
        return rows, 0
    keys = np.fromiter(((r[0] << 34) | r[1] for r in rows), dtype=np.int64, count=n)
    # Reverse so np.unique's first occurrence is the last row of the batch.
    _, first_rev = np.unique(keys[::-1], return_index=True)
    if len(first_rev) == n:
        return rows, 0
    keep = np.sort(n - 1 - first_rev)
    return [rows[i] for i in keep], n - len(keep)


def write_observations(
    store: Store,
    rows: Sequence[ObservationRow],
    *,
    source: str,
    changed_by: str | None = None,
    reason: str | None = None,
    conn: Connection | None = None,
) -> WriteResult:
    """Idempotent bulk upsert; differing values become revisions. One transaction."""
    validate_rows(rows)
    rows, duplicates = dedupe_last(rows)
    if not rows:
        return WriteResult(0, 0, 0, 0, duplicates)
    if conn is None:
        with store.write() as c:
            return _write(store, c, rows, source, changed_by, reason, duplicates)
    return _write(store, conn, rows, source, changed_by, reason, duplicates)


def _write(
    store: Store,
    conn: Connection,
    rows: Sequence[ObservationRow],
    source: str,
    changed_by: str | None,
    reason: str | None,
    duplicates: int,
) -> WriteResult:
    dbapi = conn.connection.dbapi_connection
    if dbapi is None:
        raise RuntimeError("connection is closed")
    now = now_s()
    first_time, last = _time_span(rows)
    latest = _latest_times(conn, first_time)
    result: WriteResult | None = None
    if _is_append(first_time, latest):
        if store.is_sqlite:
            # BEGIN IMMEDIATE already serialises writers, so no one can race this check.
            _append(store, dbapi, rows, now)
            result = WriteResult(len(rows), len(rows), 0, 0, duplicates)
        else:
            # PostgreSQL writers run concurrently: if one appended the same keys since the
            # check, the savepoint rolls back and the general path below sorts it out.
            from sqlalchemy.exc import IntegrityError

            try:
                with conn.begin_nested():
                    _append(store, dbapi, rows, now)
                result = WriteResult(len(rows), len(rows), 0, 0, duplicates)
            except IntegrityError:
                pass
    if result is None:
        result = _merge(store, dbapi, rows, source, changed_by, reason, duplicates, now)
    if result.inserted or result.revised:
        # Federation: one change-log entry per call (series and time span), not per row.
        record_observations(conn, first_time, min(first_time.values()), last, len(rows))
    return result


def _time_span(rows: Sequence[ObservationRow]) -> tuple[dict[int, int], int]:
    """The first time of each series in the batch, and the batch's last time."""
    first: dict[int, int] = {}
    last = MIN_TIME
    for r in rows:
        sid, t = r[0], r[1]
        f = first.get(sid)
        if f is None or t < f:
            first[sid] = t
        if t > last:  # noqa: PLR1730 - faster than a max() call per row
            last = t
    return first, int(last)


def _latest_times(conn: Connection, first_time: dict[int, int]) -> dict[int, int | None]:
    """The newest stored time of each series in the batch; refuses unknown series ids.

    One index probe per series (max over the primary key), however large the table is.
    """
    ids = sorted(first_time)
    known = set(conn.scalars(select(series.c.id).where(series.c.id.in_(ids))))
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise ValidationError(
            "observations for unknown series; nothing was written",
            [(f"series {i}", "no such series") for i in unknown[:20]],
        )
    o = observation.c
    latest: dict[int, int | None] = {}
    for sid in ids:
        latest[sid] = conn.scalar(select(func.max(o.time)).where(o.series_id == sid))
    return latest


def _is_append(first_time: dict[int, int], latest: dict[int, int | None]) -> bool:
    return all(latest[s] is None or t > latest[s] for s, t in first_time.items())


def _append(store: Store, dbapi: Any, rows: Sequence[ObservationRow], now: int) -> None:
    """Rows all newer than anything stored for their series: no key can exist yet."""
    cur = dbapi.cursor()
    try:
        if store.is_sqlite:
            cur.executemany(
                f"INSERT INTO observation ({_STAGE_COLUMNS}, received_at) "
                f"VALUES (?, ?, ?, ?, ?, ?, ?, {int(now)})",
                rows,
            )
        else:
            cur.execute("SET LOCAL synchronous_commit = off")
            with cur.copy(f"COPY observation ({_STAGE_COLUMNS}, received_at) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row((*r, now))
    finally:
        cur.close()


def _merge(
    store: Store,
    dbapi: Any,
    rows: Sequence[ObservationRow],
    source: str,
    changed_by: str | None,
    reason: str | None,
    duplicates: int,
    now: int,
) -> WriteResult:
    """The general path: staging table, revisions for changed keys, one write."""
    cur = dbapi.cursor()
    merge = _merge_sqlite if store.is_sqlite else _merge_postgres
    try:
        revised, written, protected = merge(cur, rows, source, changed_by, reason, now)
    finally:
        cur.close()
    return WriteResult(
        received=len(rows),
        inserted=written - revised,
        revised=revised,
        unchanged=len(rows) - written - protected,
        duplicates_in_batch=duplicates,
        protected=protected,
    )


#: Revisions whose source starts with this were made by staff (quantrac.review).
STAFF_SOURCE_PREFIX = "review:"
STAFF_CORRECTION = "review:correct"


def _protection(source: str, alias: str, ph: str) -> tuple[str, tuple[str, ...]]:
    """SQL that keeps a staff-corrected value from being overwritten by automatic data.

    A person's correction is deliberate: a station re-sending its original file must not put
    the wrong value back. Staff sources themselves may change it again.
    """
    if source.startswith(STAFF_SOURCE_PREFIX):
        return "", ()
    clause = (
        "EXISTS (SELECT 1 FROM observation_revision r WHERE r.series_id = "
        f"{alias}.series_id AND r.time = {alias}.time AND r.source = {ph})"
    )
    return clause, (STAFF_CORRECTION,)


_REVISION_COLUMNS = (
    "series_id, time, old_value, new_value, old_status, new_status, "
    "old_flag, new_flag, source, changed_by, reason, changed_at"
)


def _merge_sqlite(
    cur: Any,
    rows: Sequence[ObservationRow],
    source: str,
    changed_by: str | None,
    reason: str | None,
    now: int,
) -> tuple[int, int, int]:
    cur.execute(
        "CREATE TEMP TABLE IF NOT EXISTS obs_stage (series_id INTEGER, time INTEGER, "
        "value REAL, device_status INTEGER, qc_flag INTEGER, qc_reasons TEXT, "
        "raw_file_id INTEGER)"
    )
    cur.execute("DELETE FROM obs_stage")
    cur.executemany(f"INSERT INTO obs_stage ({_STAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    changed = "(o.value IS NOT s.value OR o.device_status IS NOT s.device_status)"
    guard, guard_args = _protection(source, "s", "?")
    protected = 0
    if guard:
        cur.execute(
            "SELECT count(*) FROM obs_stage s JOIN observation o ON o.series_id = s.series_id "
            f"AND o.time = s.time WHERE {changed} AND {guard}",
            guard_args,
        )
        protected = int(cur.fetchone()[0])
    not_guarded = f"AND NOT {guard}" if guard else ""
    cur.execute(
        f"INSERT INTO observation_revision ({_REVISION_COLUMNS}) "
        "SELECT s.series_id, s.time, o.value, s.value, o.device_status, s.device_status, "
        "o.qc_flag, s.qc_flag, ?, ?, ?, ? "
        "FROM obs_stage s JOIN observation o ON o.series_id = s.series_id "
        f"AND o.time = s.time WHERE {changed} {not_guarded}",
        (source, changed_by, reason, now, *guard_args),
    )
    revised = max(cur.rowcount, 0)
    upsert_guard, upsert_args = _protection(source, "observation", "?")
    cur.execute(
        f"INSERT INTO observation ({_STAGE_COLUMNS}, received_at) "
        f"SELECT {_STAGE_COLUMNS}, ? FROM obs_stage WHERE true "
        "ON CONFLICT (series_id, time) DO UPDATE SET value = excluded.value, "
        "device_status = excluded.device_status, qc_flag = excluded.qc_flag, "
        "qc_reasons = excluded.qc_reasons, raw_file_id = excluded.raw_file_id, "
        "received_at = excluded.received_at "
        "WHERE (observation.value IS NOT excluded.value "
        "OR observation.device_status IS NOT excluded.device_status)"
        + (f" AND NOT {upsert_guard}" if upsert_guard else ""),
        (now, *upsert_args),
    )
    written = max(cur.rowcount, 0)
    cur.execute("DELETE FROM obs_stage")
    return revised, written, protected


def _merge_postgres(
    cur: Any,
    rows: Sequence[ObservationRow],
    source: str,
    changed_by: str | None,
    reason: str | None,
    now: int,
) -> tuple[int, int, int]:
    """One statement joins staging with stored rows once and feeds the revision insert, the
    update of changed rows and the insert of new ones."""
    # Room to hash a large batch in memory rather than on disk.
    cur.execute("SET LOCAL work_mem = '256MB'")
    cur.execute(
        "CREATE TEMP TABLE IF NOT EXISTS obs_stage (series_id integer, time bigint, "
        "value double precision, device_status smallint, qc_flag smallint, "
        "qc_reasons text, raw_file_id integer) ON COMMIT DELETE ROWS"
    )
    with cur.copy(f"COPY obs_stage ({_STAGE_COLUMNS}) FROM STDIN") as copy:
        for r in rows:
            copy.write_row(r)
    cur.execute("ANALYZE obs_stage")
    guard, _ = _protection(source, "d", "%(staff)s")
    cur.execute(
        "WITH j AS ("
        "  SELECT s.*, o.value AS old_value, o.device_status AS old_status, "
        "         o.qc_flag AS old_flag, o.series_id IS NOT NULL AS existed "
        "  FROM obs_stage s LEFT JOIN observation o "
        "    ON o.series_id = s.series_id AND o.time = s.time), "
        "differs AS ("
        "  SELECT * FROM j WHERE existed AND (old_value IS DISTINCT FROM value "
        "    OR old_status IS DISTINCT FROM device_status)), "
        "changed AS ("
        f"  SELECT * FROM differs d {'WHERE NOT ' + guard if guard else ''}), "
        "rev AS ("
        f"  INSERT INTO observation_revision ({_REVISION_COLUMNS}) "
        "  SELECT series_id, time, old_value, value, old_status, device_status, old_flag, "
        "         qc_flag, %(source)s, %(by)s, %(why)s, %(now)s FROM changed RETURNING 1), "
        "upd AS ("
        "  UPDATE observation o SET value = c.value, device_status = c.device_status, "
        "    qc_flag = c.qc_flag, qc_reasons = c.qc_reasons, raw_file_id = c.raw_file_id, "
        "    received_at = %(now)s "
        "  FROM changed c WHERE o.series_id = c.series_id AND o.time = c.time RETURNING 1), "
        # A concurrent writer may have inserted one of these keys since the join; the final
        # value still wins, only that key's revision record is not written.
        "ins AS ("
        f"  INSERT INTO observation ({_STAGE_COLUMNS}, received_at) "
        f"  SELECT {_STAGE_COLUMNS}, %(now)s FROM j WHERE NOT existed "
        "  ORDER BY series_id, time "
        "  ON CONFLICT (series_id, time) DO UPDATE SET value = excluded.value, "
        "    device_status = excluded.device_status, qc_flag = excluded.qc_flag, "
        "    qc_reasons = excluded.qc_reasons, raw_file_id = excluded.raw_file_id, "
        "    received_at = excluded.received_at RETURNING 1) "
        "SELECT (SELECT count(*) FROM rev), (SELECT count(*) FROM upd), "
        "(SELECT count(*) FROM ins), "
        "(SELECT count(*) FROM differs) - (SELECT count(*) FROM changed)",
        {"source": source, "by": changed_by, "why": reason, "now": now, "staff": STAFF_CORRECTION},
    )
    revised, updated, inserted, protected = cur.fetchone()
    return int(revised), int(updated) + int(inserted), int(protected)


@dataclass(frozen=True, slots=True)
class SeriesData:
    """A series' values as arrays: cheap to hand to QC, indices and the API."""

    time: NDArray[np.int64]
    value: NDArray[np.float64]
    device_status: NDArray[np.float64]
    qc_flag: NDArray[np.int16]

    def __len__(self) -> int:
        return len(self.time)


def read_series(
    store: Store,
    series_id: int,
    start: int | None = None,
    end: int | None = None,
    conn: Connection | None = None,
) -> SeriesData:
    """Values of one series with start ≤ time < end (epoch seconds UTC), in time order."""
    o = observation.c
    q = (
        select(o.time, o.value, o.device_status, o.qc_flag)
        .where(o.series_id == series_id)
        .order_by(o.time)
    )
    if start is not None:
        q = q.where(o.time >= start)
    if end is not None:
        q = q.where(o.time < end)

    def run(c: Connection) -> list[Any]:
        return list(c.execute(q))

    if conn is not None:
        rows = run(conn)
    else:
        with store.read() as c:
            rows = run(c)
    if not rows:
        return SeriesData(np.empty(0, np.int64), np.empty(0), np.empty(0), np.empty(0, np.int16))
    t, v, s, f = zip(*rows, strict=True)
    return SeriesData(
        np.asarray(t, dtype=np.int64),
        np.asarray([np.nan if x is None else x for x in v], dtype=np.float64),
        np.asarray([np.nan if x is None else x for x in s], dtype=np.float64),
        np.asarray(f, dtype=np.int16),
    )
