"""SensorThings entities that have no home in the monitoring model (standalone Sensors,
FeaturesOfInterest, HistoricalLocations, non-catalogue ObservedProperties)."""

from __future__ import annotations

from quantrac.store.schema import metadata  # noqa: F401
