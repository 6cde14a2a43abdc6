"""Writing a province's observations on the national node: "this span of this series now
holds exactly these rows".

A span replaces what the national node holds in it: rows that differ in value, device
status, QC flag or reasons are updated, missing rows inserted, rows the province no longer
has deleted — so re-applying a batch changes nothing, and corrections, flag changes and
deletions all arrive the same way. No revision is written here: the province's own revision
rows (who, why, when) travel with the batch and are copied as they are.

Spans beyond the newest stored time of their series (how data normally flows) go straight
in: PostgreSQL `COPY` from CSV that Arrow writes in C, SQLite `executemany`. Other spans go
through a staging table and three set-based statements.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Connection, func, select

from quantrac.store.schema import observation, series
from quantrac.sync.protocol import BatchFormatError

Span = tuple[int, int, int, int]  # national series id, from, to (inclusive), rows
_COLS = "series_id, time, value, device_status, qc_flag, qc_reasons"
_CSV = pacsv.WriteOptions(include_header=False, batch_size=65_536)


@dataclass(frozen=True, slots=True)
class ReplicaResult:
    received: int
    appended: int
    merged: int  # rows inserted or changed through the staging table
    deleted: int


def check_spans(spans: Sequence[Span], times: np.ndarray) -> None:
    """Every row inside its span, strictly increasing in time within it; refuses otherwise."""
    counts = np.array([s[3] for s in spans], dtype=np.int64)
    if int(counts.sum()) != len(times) or (counts < 0).any():
        raise BatchFormatError("span row counts do not add up to the observations sent")
    ordered = sorted(spans)
    for a, b in pairwise(ordered):
        if a[0] == b[0] and b[1] <= a[2]:
            raise BatchFormatError(f"overlapping spans of series {a[0]}")
    if any(s[1] > s[2] for s in spans):
        raise BatchFormatError("a span ends before it starts")
    if not len(times):
        return
    idx = np.repeat(np.arange(len(spans)), counts)
    lo = np.array([s[1] for s in spans], dtype=np.int64)[idx]
    hi = np.array([s[2] for s in spans], dtype=np.int64)[idx]
    if ((times < lo) | (times > hi)).any():
        raise BatchFormatError("an observation lies outside the span it was sent in")
    same = idx[1:] == idx[:-1]
    if (np.diff(times)[same] <= 0).any():
        raise BatchFormatError("observations of a span must be in strictly increasing time")


def apply_observations(
    conn: Connection, spans: Sequence[Span], table: pa.Table, now: int
) -> ReplicaResult:
    """Make each span of the national node hold exactly the rows sent for it."""
    latest = latest_times(conn, {s[0] for s in spans})
    append: list[pa.Table] = []
    merge: list[pa.Table] = []
    merge_spans: list[Span] = []
    offset = 0
    for span in spans:
        sid, lo, _hi, count = span
        part = table.slice(offset, count)
        offset += count
        newest = latest[sid]
        if newest is None or lo > newest:
            append.append(part)
        else:
            merge.append(part)
            merge_spans.append(span)
    dbapi = conn.connection.dbapi_connection
    if dbapi is None:
        raise RuntimeError("connection is closed")
    cur = dbapi.cursor()
    try:
        if conn.dialect.name == "postgresql":
            cur.execute("SET LOCAL synchronous_commit = off")  # position commits with the data
        appended = _insert(cur, conn.dialect.name, _concat(append), now)
        merged = deleted = 0
        if merge_spans:
            merged, deleted = _merge(cur, conn.dialect.name, merge_spans, _concat(merge), now)
    finally:
        cur.close()
    return ReplicaResult(table.num_rows, appended, merged, deleted)


def latest_times(conn: Connection, ids: set[int]) -> dict[int, int | None]:
    """Newest stored time of each series: one index probe per series, one round trip per
    500 series (a batch of the national node touches hundreds)."""
    o = observation.c
    newest = select(func.max(o.time)).where(o.series_id == series.c.id).scalar_subquery()
    out: dict[int, int | None] = dict.fromkeys(ids)
    ordered = sorted(ids)
    for i in range(0, len(ordered), 500):
        q = select(series.c.id, newest).where(series.c.id.in_(ordered[i : i + 500]))
        out.update({int(sid): (None if t is None else int(t)) for sid, t in conn.execute(q)})
    return out


def _concat(parts: list[pa.Table]) -> pa.Table | None:
    parts = [p for p in parts if p.num_rows]
    return pa.concat_tables(parts) if parts else None


def _csv(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pacsv.write_csv(table, sink, _CSV)
    return sink.getvalue()


def _insert(cur: Any, dialect: str, table: pa.Table | None, now: int) -> int:
    if table is None:
        return 0
    if dialect == "postgresql":
        with cur.copy(f"COPY observation ({_COLS}, received_at) FROM STDIN (FORMAT csv)") as cp:
            cp.write(_csv(table.append_column("received_at", pa.array(np.full(len(table), now)))))
    else:
        cur.executemany(
            f"INSERT INTO observation ({_COLS}, received_at) VALUES (?, ?, ?, ?, ?, ?, {int(now)})",
            _tuples(table),
        )
    return table.num_rows


def _tuples(table: pa.Table) -> Any:
    return zip(*(table.column(i).to_pylist() for i in range(table.num_columns)), strict=True)


_DIFFERS_PG = (
    "(observation.value, observation.device_status, observation.qc_flag, observation.qc_reasons)"
    " IS DISTINCT FROM (excluded.value, excluded.device_status, excluded.qc_flag, "
    "excluded.qc_reasons)"
)
_DIFFERS_SQLITE = (
    "observation.value IS NOT excluded.value OR observation.device_status IS NOT "
    "excluded.device_status OR observation.qc_flag IS NOT excluded.qc_flag OR "
    "observation.qc_reasons IS NOT excluded.qc_reasons"
)
_UPSERT = (
    "INSERT INTO observation ({cols}, received_at) SELECT {cols}, {now} FROM sync_stage "
    "WHERE true ORDER BY series_id, time "
    "ON CONFLICT (series_id, time) DO UPDATE SET value = excluded.value, "
    "device_status = excluded.device_status, qc_flag = excluded.qc_flag, "
    "qc_reasons = excluded.qc_reasons, received_at = excluded.received_at WHERE {differs}"
)
_GONE = (
    "NOT EXISTS (SELECT 1 FROM sync_stage s WHERE s.series_id = o.series_id AND s.time = o.time)"
)
_DELETE_PG = (
    "DELETE FROM observation o USING sync_span r WHERE o.series_id = r.series_id "
    f"AND o.time BETWEEN r.lo AND r.hi AND {_GONE}"
)
_DELETE_SQLITE = (
    "DELETE FROM observation WHERE (series_id, time) IN (SELECT o.series_id, o.time "
    "FROM sync_span r JOIN observation o ON o.series_id = r.series_id "
    f"AND o.time BETWEEN r.lo AND r.hi WHERE {_GONE})"
)


def _merge(
    cur: Any, dialect: str, spans: Sequence[Span], table: pa.Table | None, now: int
) -> tuple[int, int]:
    """Spans that overlap stored data: delete what the province no longer has, upsert the
    rest where anything differs. Returns (rows written, rows deleted)."""
    pg = dialect == "postgresql"
    if pg:
        cur.execute("SET LOCAL work_mem = '256MB'")
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS sync_stage (series_id integer, time bigint, "
            "value double precision, device_status smallint, qc_flag smallint, "
            "qc_reasons text, PRIMARY KEY (series_id, time)) ON COMMIT DELETE ROWS"
        )
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS sync_span (series_id integer, lo bigint, "
            "hi bigint) ON COMMIT DELETE ROWS"
        )
        if table is not None:
            with cur.copy(f"COPY sync_stage ({_COLS}) FROM STDIN (FORMAT csv)") as cp:
                cp.write(_csv(table))
        cur.executemany("INSERT INTO sync_span VALUES (%s, %s, %s)", [s[:3] for s in spans])
        cur.execute("ANALYZE sync_stage")
        cur.execute("ANALYZE sync_span")
    else:
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS sync_stage (series_id INTEGER, time INTEGER, "
            "value REAL, device_status INTEGER, qc_flag INTEGER, qc_reasons TEXT, "
            "PRIMARY KEY (series_id, time))"
        )
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS sync_span (series_id, lo, hi)")
        cur.execute("DELETE FROM sync_stage")
        cur.execute("DELETE FROM sync_span")
        if table is not None:
            cur.executemany(
                f"INSERT INTO sync_stage ({_COLS}) VALUES (?, ?, ?, ?, ?, ?)", _tuples(table)
            )
        cur.executemany("INSERT INTO sync_span VALUES (?, ?, ?)", [s[:3] for s in spans])
    cur.execute(_DELETE_PG if pg else _DELETE_SQLITE)
    deleted = max(cur.rowcount, 0)
    written = 0
    if table is not None:
        differs = _DIFFERS_PG if pg else _DIFFERS_SQLITE
        cur.execute(_UPSERT.format(cols=_COLS, now=int(now), differs=differs))
        written = max(cur.rowcount, 0)
    if not pg:
        cur.execute("DELETE FROM sync_stage")
        cur.execute("DELETE FROM sync_span")
    return written, deleted
