"""Processing archived files: pick the codec, turn bytes into readings, ingest, and record
the outcome on the archive entry (parsed, or quarantined with the reason).

A file from a station that is not registered is quarantined with that reason; `quantrac
archive replay` ingests it once the station exists. Files are processed oldest first, and
processing is idempotent, so running this again after a crash loses and doubles nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import RowMapping, select

from quantrac.archive import Archive
from quantrac.catalog.text import nearest
from quantrac.codecs.tt10 import read_tt10
from quantrac.pipeline.ingest import ingest_readings
from quantrac.pipeline.standardize import Reading
from quantrac.store.db import Store
from quantrac.store.schema import station

MAX_PROBLEMS_KEPT = 50


@dataclass
class FileOutcome:
    raw_file_id: int
    name: str
    state: str  # parsed | quarantined
    stored: int = 0  # readings written (new or revised)
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)
    reason: str | None = None
    line: int | None = None
    field: str | None = None


class Quarantine(Exception):
    """Raised by a file handler: the file cannot be ingested as it is."""

    def __init__(self, reason: str, line: int | None = None, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.line, self.field = reason, line, field


def _tt10_readings(store: Store, row: RowMapping, data: bytes) -> tuple[list[Reading], list[str]]:
    parsed = read_tt10(data, row["name"])
    problems = [str(p) for p in parsed.problems]
    if parsed.name is not None:
        code = parsed.name.station_key
    elif row["station_code"]:
        # A name outside the convention (an MQTT message's synthetic name): the station is the
        # one the transport named (topic or FTP account), recorded by the receiver.
        code = row["station_code"]
        problems = [str(p) for p in parsed.problems if p.code != "bad_filename"]
    else:
        first = parsed.errors[0] if parsed.errors else None
        raise Quarantine(first.message if first else "unreadable file name", None, "filename")
    with store.read() as conn:
        known = conn.scalar(
            select(station.c.code).where(station.c.code == code, station.c.retired_at.is_(None))
        )
        if known is None:
            codes = list(conn.scalars(select(station.c.code)))
    if known is None:
        hint = nearest(code, codes)
        raise Quarantine(
            f"station {code!r} is not registered"
            + (f" (nearest: {', '.join(hint)})" if hint else "")
            + "; register it, then run `quantrac archive replay`",
            None,
            "station",
        )
    if not parsed.readings:
        first = parsed.errors[0] if parsed.errors else None
        raise Quarantine(
            first.message if first else "the file holds no readings",
            first.line if first else None,
            first.field if first else None,
        )
    readings = [
        Reading(
            code,
            r.parameter,
            r.time,
            r.value,
            r.unit,
            int(r.status) if r.status.isdigit() else None,
            where=f"{row['name']} line {r.line}",
        )
        for r in parsed.readings
    ]
    return readings, problems


def _json_readings(store: Store, row: RowMapping, data: bytes) -> tuple[list[Reading], list[str]]:
    """JSON pushes (MQTT); the station is the topic's, else the payload's ``station``."""
    from quantrac.codecs.json_readings import read_json_readings

    parsed = read_json_readings(data)
    code = row["station_code"] or parsed.station
    if not code:
        raise Quarantine('the message names no station (topic or "station")', None, "station")
    if parsed.station and parsed.station != code:
        raise Quarantine(f"payload station {parsed.station!r} is not {code!r}", None, "station")
    if not parsed.readings:
        first = parsed.errors[0] if parsed.errors else None
        raise Quarantine(str(first) if first else "the message holds no readings", None, None)
    readings = [
        Reading(
            code,
            r.parameter,
            r.time,
            r.value,
            r.unit,
            int(r.status) if r.status and r.status.isdigit() else None,
            where=f"{row['name']} {r.path}",
        )
        for r in parsed.readings
    ]
    return readings, [str(p) for p in parsed.problems]


#: Codecs by name: how a kind of archived file becomes readings. One line per new format.
HANDLERS: dict[str, Callable[[Store, RowMapping, bytes], tuple[list[Reading], list[str]]]] = {
    "tt10": _tt10_readings,
    "json": _json_readings,
    "sta": lambda store, row, data: _sta_readings()(store, row, data),  # noqa: PLW0108
}


def _sta_readings() -> Callable[[Store, RowMapping, bytes], tuple[list[Reading], list[str]]]:
    """SensorThings bodies archived by the API; imported lazily (the API depends on us)."""
    from quantrac.api.sta.ingest import sta_readings

    return sta_readings


def codec_for(row: RowMapping) -> str:
    name = row["name"].lower()
    if name.endswith(".sta.json"):
        return "sta"
    if name.endswith(".json"):
        return "json"
    return "tt10"


def process_file(store: Store, archive: Archive, row: RowMapping) -> FileOutcome:
    outcome = FileOutcome(row["id"], row["name"], "parsed")
    handler = HANDLERS.get(codec_for(row))
    try:
        if handler is None:
            raise Quarantine(f"no codec for {row['name']!r}", None, "filename")
        readings, problems = handler(store, row, archive.read_bytes(row))
        result = ingest_readings(
            store, readings, source=f"{row['source']}:{row['name']}", raw_file_id=row["id"]
        )
        problems += [f"{p.where}, field {p.field}: {p.message}" for p in result.problems]
        if result.result.received == 0 and problems:
            raise Quarantine(problems[0], None, None)
        outcome.stored = result.result.inserted + result.result.revised
        outcome.unchanged = result.result.unchanged
        outcome.problems = problems
    except Quarantine as q:
        outcome.state, outcome.reason, outcome.line, outcome.field = (
            "quarantined",
            q.reason,
            q.line,
            q.field,
        )
    except FileNotFoundError as e:
        outcome.state, outcome.reason = "quarantined", f"archived bytes missing: {e}"
    summary = outcome.reason or ("\n".join(outcome.problems[:MAX_PROBLEMS_KEPT]) or None)
    archive.mark(row["id"], outcome.state, summary, outcome.line, outcome.field)
    return outcome


def process_pending(
    store: Store,
    archive: Archive,
    limit: int | None = None,
    progress: Callable[[FileOutcome], None] | None = None,
) -> list[FileOutcome]:
    """Process every archived-but-unprocessed file, oldest first."""
    outcomes = []
    for row in archive.pending(limit):
        outcome = process_file(store, archive, row)
        outcomes.append(outcome)
        if progress:
            progress(outcome)
    return outcomes
