"""Connectivity and completeness: is each station sending, how late, and what share of the
expected records arrived each day — the figures departments report on; outages become events."""

from quantrac.connectivity.events import EventChanges, update_offline_events
from quantrac.connectivity.rules import (
    DEFAULT_INTERVAL_S,
    completeness_ratio,
    expected_records,
    local_day_bounds,
    offline_after_s,
)
from quantrac.connectivity.status import (
    Completeness,
    ConnectivitySettings,
    StationConnectivity,
    completeness_by_day,
    daily_completeness,
    station_connectivity,
)

__all__ = [
    "DEFAULT_INTERVAL_S",
    "Completeness",
    "ConnectivitySettings",
    "EventChanges",
    "StationConnectivity",
    "completeness_by_day",
    "completeness_ratio",
    "daily_completeness",
    "expected_records",
    "local_day_bounds",
    "offline_after_s",
    "station_connectivity",
    "update_offline_events",
]
