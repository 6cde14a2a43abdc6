"""The SQL behind the API, in small modules; every query is built on `quantrac.auth.scope`."""
