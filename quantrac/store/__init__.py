"""Persistence: SQLAlchemy schema, Alembic migrations, and the repositories over them
(SQLite by default, PostgreSQL in production)."""
