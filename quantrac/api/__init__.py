"""The HTTP face of quantrac: REST under /api/v1 (OpenAPI), SensorThings v1.1 under /sta/v1.1.
Handlers are thin (`rest/`, `sta/router.py`); SQL lives in `queries/` and `sta/`, built on the
scope clauses of `quantrac.auth.scope`; errors map to HTTP in `errors.py` only."""
