"""The definitions, as pure functions, so the figures a department reports can be checked.

- A station is **online** while data keeps arriving: the newest file or message arrived no
  longer ago than its offline threshold. Arrival, not measurement time, because a link that
  delivers a backlog of old records is connected; how old the data is shows as the delay.
- **Offline threshold**: ``factor × reporting interval`` (default 3 ×; with a floor so one
  late 1-minute file is not an outage), or a fixed default (30 min) when the interval is
  unknown.
- **Delay**: now minus the newest measurement time received.
- **Daily completeness**: distinct record times received in a local day (Asia/Ho_Chi_Minh)
  divided by the records the reporting interval implies for that day (for today: so far).
  Circular 10/2021 (and Art. 56 of Circular 24/2017 before it) has automatic stations send
  within 5 minutes, hence a 300 s interval when the registry gives none.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

DEFAULT_INTERVAL_S = 300


def offline_after_s(
    interval_s: int | None, *, factor: float = 3.0, default_s: int = 1800, minimum_s: int = 600
) -> int:
    """Seconds without arrivals after which a station counts as offline."""
    if not interval_s:
        return default_s
    return max(int(factor * interval_s), minimum_s)


def is_online(last_received_at: int | None, now: int, threshold_s: int) -> bool | None:
    """True/False, or None for a station that never sent anything."""
    if last_received_at is None:
        return None
    return now - last_received_at <= threshold_s


def local_day_bounds(day: date, tz: tzinfo) -> tuple[int, int]:
    """[start, end) of a local calendar day as UTC epoch seconds."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return int(start.timestamp()), int(end.timestamp())


def expected_records(interval_s: int, start: int, end: int) -> int:
    """Records a station reporting every `interval_s` seconds owes for [start, end)."""
    if interval_s <= 0:
        raise ValueError("interval_s must be positive")
    return max(0, (end - start) // interval_s)


def completeness_ratio(received: int, expected: int) -> float | None:
    """received / expected, capped at 1 (extra records do not make up for missing ones
    elsewhere); None when nothing was expected yet."""
    if expected <= 0:
        return None
    return min(1.0, received / expected)
