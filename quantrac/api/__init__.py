"""The HTTP face of quantrac: REST under /api/v1 (and, later, SensorThings under /sta/v1.1)."""
