"""Strict instants for the API: ISO 8601 with an offset (or Z), stored as UTC epoch seconds.

A time that cannot be read is a 400 naming the field — never replaced by the server's clock
(a failure seen in a peer SensorThings server). Sub-second digits are truncated: quantrac
stores observations at one-second resolution.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from quantrac.api.errors import ApiError
from quantrac.store.observations import MAX_TIME, MIN_TIME


def parse_instant(text: object, where: str) -> int:
    if not isinstance(text, str) or not text.strip():
        raise ApiError(
            400,
            f"{where}: expected an ISO 8601 time such as 2026-03-01T07:00:00+07:00",
            [(where, "missing or not text")],
        )
    raw = text.strip()
    if "/" in raw:
        raise ApiError(
            400,
            f"{where}: time intervals are not stored; send one instant "
            "(the end of the averaging period)",
            [(where, raw)],
        )
    try:
        value = datetime.fromisoformat(raw.replace("z", "Z"))
    except ValueError:
        raise ApiError(400, f"{where}: {raw!r} is not an ISO 8601 time", [(where, raw)]) from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ApiError(
            400,
            f"{where}: {raw!r} has no UTC offset; add Z or e.g. +07:00",
            [(where, raw)],
        )
    epoch = int(value.timestamp() // 1)
    if not MIN_TIME <= epoch <= MAX_TIME:
        raise ApiError(400, f"{where}: {raw!r} is outside 1970–2100", [(where, raw)])
    return epoch


def iso(epoch: int | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_many(epochs: np.ndarray) -> list[str]:
    """Vectorised ISO formatting: a year of 5-minute data in a few milliseconds."""
    if len(epochs) == 0:
        return []
    stamps = np.asarray(epochs, dtype="int64").astype("datetime64[s]")
    return np.datetime_as_string(stamps, unit="s", timezone="UTC").tolist()
