"""OGC SensorThings API v1.1 over quantrac's tables: stations are Things, series Datastreams,
parameters ObservedProperties; query options compile to SQLAlchemy expressions."""
