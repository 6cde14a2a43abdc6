"""SensorThings entities that have no home in the monitoring model, and the per-series counts
that make `$count` exact and fast.

The registry stays the source of truth: a Datastream is still a `series`, a Thing a `station`.
These tables hold what a SensorThings client adds beyond it — standalone Sensors,
ObservedProperties outside the national catalogue, FeaturesOfInterest other than a station's
point, recorded HistoricalLocations — and the links from series and observations to them.
Rows without a link keep the derived entity (a series' own Sensor, the station's point as the
FeatureOfInterest), so data that arrives by FTP or MQTT needs none of this.

`series_observation_count` holds the number of stored observations of each series. On
PostgreSQL it is kept exact by statement-level triggers on `observation` (migration 0004), in
the same transaction as the insert or delete; SQLite has no such triggers and counts from the
primary-key index instead (see `quantrac.api.queries.counts`).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, ForeignKey, Index, Integer, String, Table, Text

from quantrac.store.schema import metadata

sta_sensor = Table(
    "sta_sensor",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("description", Text, nullable=False),
    Column("encoding_type", String(255), nullable=False),
    Column("meta", Text, nullable=False),  # SensorThings `metadata`: a URL or a description
    Column("properties", Text),  # JSON object
    Column("created_by", String(128), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

# An ObservedProperty a client described in its own words. `parameter_code` is the catalogue
# parameter it measures when one matches: only such a property can carry a Datastream, whose
# values are stored, checked and compared as that parameter.
sta_observed_property = Table(
    "sta_observed_property",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("definition", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("properties", Text),
    Column("parameter_code", String(32), ForeignKey("parameter.code")),
    Column("created_by", String(128), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

# Any GeoJSON geometry (a lake, a river reach): `geometry` holds it when it is not a point, and
# latitude/longitude a point on it (where a map puts it).
sta_feature_of_interest = Table(
    "sta_feature_of_interest",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("description", Text, nullable=False),
    Column("encoding_type", String(255), nullable=False),
    Column("latitude", Float, nullable=False),
    Column("longitude", Float, nullable=False),
    Column("geometry", Text),  # GeoJSON, when not a point
    Column("properties", Text),
    Column("created_by", String(128), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

# Where a station was from `time` on, recorded when its location changes (or posted).
sta_historical_location = Table(
    "sta_historical_location",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("station_id", Integer, ForeignKey("station.id"), nullable=False),
    Column("time", BigInteger, nullable=False),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("created_by", String(128), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index(None, "station_id", "time"),
)

# A Location a client stored. A row with `station_id` holds that station's own Location's
# words (its derived Location keeps the station's id and point); a row without one is a
# free-standing Location (id 2³¹ + n), points only, like the features.
sta_location = Table(
    "sta_location",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("station_id", Integer, ForeignKey("station.id"), unique=True),
    Column("name", String(255)),
    Column("description", Text),
    Column("encoding_type", String(255)),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("properties", Text),
    Column("created_by", String(128), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

# The Locations a Thing was given explicitly (by API id: a station's own Location or a stored
# one), the first (`position` 0) being where the station's point is taken from. A Thing without
# rows here has one Location: its own point.
sta_thing_location = Table(
    "sta_thing_location",
    metadata,
    Column("station_id", Integer, ForeignKey("station.id"), primary_key=True),
    Column("location_id", BigInteger, primary_key=True, autoincrement=False),
    Column("position", Integer, nullable=False),
    Index(None, "location_id"),
)

# What a client said about a series beyond the registry: its Sensor, its ObservedProperty in
# the client's words, its name and description. No row: everything is derived.
sta_datastream = Table(
    "sta_datastream",
    metadata,
    Column("series_id", Integer, ForeignKey("series.id"), primary_key=True, autoincrement=False),
    Column("sensor_id", Integer, ForeignKey("sta_sensor.id")),
    Column("observed_property_id", Integer, ForeignKey("sta_observed_property.id")),
    Column("name", String(255)),
    Column("description", Text),
    Column("unit_json", Text),  # unitOfMeasurement in the client's words
    Column("observation_type", String(255)),  # NULL: OM_Measurement
    Column("updated_at", BigInteger, nullable=False),
    Index(None, "sensor_id"),
    Index(None, "observed_property_id"),
)

# The FeatureOfInterest of one observation when it is not its station's point. Keyed like
# `observation` (and, like it, without a foreign key to series: see schema.py).
sta_observation_foi = Table(
    "sta_observation_foi",
    metadata,
    Column("series_id", Integer, primary_key=True, autoincrement=False),
    Column("time", BigInteger, primary_key=True, autoincrement=False),
    Column("foi_id", Integer, ForeignKey("sta_feature_of_interest.id"), nullable=False),
    Index(None, "foi_id"),
)

# When an observation's result was made and for when it is valid, as a SensorThings client
# sent them (`resultTime`, `validTime`): few observations have them, so they live here,
# keyed like `observation`, rather than in every row of it.
sta_observation_time = Table(
    "sta_observation_time",
    metadata,
    Column("series_id", Integer, primary_key=True, autoincrement=False),
    Column("time", BigInteger, primary_key=True, autoincrement=False),
    Column("result_time", BigInteger),
    Column("valid_from", BigInteger),
    Column("valid_to", BigInteger),
)

# The result of an observation when it is not a number (a string, a boolean, an object or an
# array, which a Datastream whose observationType allows them may hold): its `observation` row
# keeps value NULL, so every numeric reader sees a missing value, and the result lives here.
sta_observation_result = Table(
    "sta_observation_result",
    metadata,
    Column("series_id", Integer, primary_key=True, autoincrement=False),
    Column("time", BigInteger, primary_key=True, autoincrement=False),
    Column("result_json", Text, nullable=False),
)

# What a SensorThings client says in a Thing's `properties` beyond the station registry's own
# keys (`{"reference": "Third Floor"}`): kept as a JSON object and answered with them.
sta_thing_properties = Table(
    "sta_thing_properties",
    metadata,
    Column("station_id", Integer, ForeignKey("station.id"), primary_key=True, autoincrement=False),
    Column("properties", Text, nullable=False),
)

# The last point of a station that lost it (its last Location deleted): its observations were
# made there, so their FeatureOfInterest — the station's point — keeps that geometry.
sta_kept_point = Table(
    "sta_kept_point",
    metadata,
    Column("station_id", Integer, ForeignKey("station.id"), primary_key=True, autoincrement=False),
    Column("latitude", Float, nullable=False),
    Column("longitude", Float, nullable=False),
    Column("kept_at", BigInteger, nullable=False),
)

# A station's derived FeatureOfInterest (its point) or registered HistoricalLocation deleted
# through SensorThings: `kind` is "feature" or "historical_location". The station keeps its
# point; only the entity is gone from every answer.
sta_derived_deleted = Table(
    "sta_derived_deleted",
    metadata,
    Column("kind", String(32), primary_key=True),
    Column("station_id", Integer, ForeignKey("station.id"), primary_key=True, autoincrement=False),
    Column("deleted_by", String(128), nullable=False),
    Column("deleted_at", BigInteger, nullable=False),
)

# An observation whose phenomenonTime was corrected moved to another key; its old @iot.id
# (series · 2³² + old time) still names it through this row, unless an observation is stored
# at the old time again.
sta_observation_moved = Table(
    "sta_observation_moved",
    metadata,
    Column("series_id", Integer, primary_key=True, autoincrement=False),
    Column("old_time", BigInteger, primary_key=True, autoincrement=False),
    Column("new_time", BigInteger, nullable=False),
    Index(None, "series_id", "new_time"),
)

series_observation_count = Table(
    "series_observation_count",
    metadata,
    Column("series_id", Integer, primary_key=True, autoincrement=False),
    Column("n", BigInteger, nullable=False),
)
