"""Fetching many rows without SQLAlchemy's per-row result objects.

The statement is still a SQLAlchemy expression, compiled by SQLAlchemy for the connection's
dialect with every value a bound parameter; only the fetching skips the Row machinery, which
costs more than the database itself for the 100,000-row pages of a long series.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from sqlalchemy.sql import Select


def fetch_all(conn: Connection, stmt: Select[Any]) -> list[tuple[Any, ...]]:
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.params
    args: Any = tuple(params[k] for k in compiled.positiontup) if compiled.positiontup else params
    dbapi = conn.connection.dbapi_connection
    if dbapi is None:
        raise RuntimeError("connection is closed")
    cur = dbapi.cursor()
    try:
        cur.execute(str(compiled), args)
        return cur.fetchall()
    finally:
        cur.close()
