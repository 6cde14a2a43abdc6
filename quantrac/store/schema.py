"""The database schema (SQLAlchemy Core), the same on SQLite and PostgreSQL.

Every instant is stored as integer seconds since the Unix epoch, UTC (columns `time`, `*_at`):
one representation for both databases, the bulk paths and the federation cursors, with no
time-zone ambiguity. Dates that are legal validity bounds are `Date`. Alembic migrations in
`migrations/versions` create exactly this schema (a test compares them).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

admin_unit = Table(
    "admin_unit",
    metadata,
    Column("key", String(16), primary_key=True),
    Column("code", String(8), nullable=False),
    Column("name", String(128), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),
    Column("successor_key", String(16), ForeignKey("admin_unit.key")),
)

organization = Table(
    "organization",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(255), nullable=False),
    Column("kind", String(16), nullable=False),  # agency | enterprise | lab | other
    Column("admin_unit_key", String(16), ForeignKey("admin_unit.key")),
    Column("tax_code", String(32)),
    Column("address", Text),
    Column("email", String(255)),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("retired_at", BigInteger),
)

station = Table(
    "station",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(255), nullable=False),
    Column("kind", String(16), nullable=False),  # automatic | periodic
    Column("medium", String(32), nullable=False),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("admin_unit_key", String(16), ForeignKey("admin_unit.key")),
    Column("owner_id", Integer, ForeignKey("organization.id")),
    Column("network", String(64)),
    Column("visibility", String(16), nullable=False),  # public | restricted
    Column("regulation", String(64)),
    Column("regulation_column", String(64)),
    Column("kq", Float),
    Column("kf", Float),
    Column("reporting_interval_s", Integer),
    Column("address", Text),
    Column("notes", Text),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("retired_at", BigInteger),
    Index(None, "admin_unit_key"),
    Index(None, "owner_id"),
)

parameter = Table(
    "parameter",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name_vi", String(255), nullable=False),
    Column("name_en", String(255), nullable=False),
    Column("unit", String(32), nullable=False),
    Column("media", String(255), nullable=False),
)

series = Table(
    "series",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("station_id", Integer, ForeignKey("station.id"), nullable=False),
    Column("parameter_code", String(32), ForeignKey("parameter.code"), nullable=False),
    Column("method", String(64), nullable=False, server_default=""),
    Column("unit", String(32), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("retired_at", BigInteger),  # stopped: no new data, its history stays readable
    Column("deleted_at", BigInteger),  # deleted (DELETE /Datastreams): hidden, data kept
    UniqueConstraint("station_id", "parameter_code", "method"),
)

# Clustered on (series_id, time) on SQLite (WITHOUT ROWID) so a time-range read of one series
# is one index range scan; PostgreSQL keeps the same primary key. No foreign key to series: a
# per-row FK trigger costs PostgreSQL more than the insert itself, so the bulk writer checks
# the batch's series ids once instead (store/observations.py).
observation = Table(
    "observation",
    metadata,
    Column("series_id", Integer, primary_key=True, autoincrement=False),
    Column("time", BigInteger, primary_key=True, autoincrement=False),
    Column("value", Float),
    Column("device_status", SmallInteger),
    Column("qc_flag", SmallInteger, nullable=False, server_default="2"),
    Column("qc_reasons", Text),
    Column("raw_file_id", Integer),
    Column("received_at", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

observation_revision = Table(
    "observation_revision",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("series_id", Integer, nullable=False),
    Column("time", BigInteger, nullable=False),
    Column("old_value", Float),
    Column("new_value", Float),
    Column("old_status", SmallInteger),
    Column("new_status", SmallInteger),
    Column("old_flag", SmallInteger),
    Column("new_flag", SmallInteger),
    Column("source", String(255), nullable=False),
    Column("changed_by", String(128)),
    Column("reason", Text),
    Column("changed_at", BigInteger, nullable=False),
    Index(None, "series_id", "time"),
)

# Staff review of a series over a period: "reviewed" or "approved" (what the public sees by
# default). Value corrections and flag overrides are rows of observation_revision.
review_period = Table(
    "review_period",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("series_id", Integer, ForeignKey("series.id"), nullable=False),
    Column("start", BigInteger, nullable=False),  # inclusive
    Column("end", BigInteger, nullable=False),  # exclusive
    Column("state", String(16), nullable=False),  # reviewed | approved | rejected
    Column("by", String(128), nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("note", Text),
    Index(None, "series_id", "start"),
)

raw_file = Table(
    "raw_file",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("source", String(32), nullable=False),  # ftp | mqtt | http | upload | cli | folder
    Column("sender", String(128)),
    Column("station_code", String(64)),
    Column("sha256", String(64), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("chain_hash", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("path", Text, nullable=False),
    Column("received_at", BigInteger, nullable=False),
    Column("state", String(16), nullable=False),  # received | held | parsed | quarantined
    Column("error", Text),
    Column("error_line", Integer),
    Column("error_field", String(64)),
    Column("processed_at", BigInteger),
    Index(None, "state"),
    # "The same file" is the same name with the same bytes: two stations may well send
    # identical contents (all-zero values at the same minute) under different names.
    UniqueConstraint("sha256", "name"),
)

campaign = Table(
    "campaign",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(255), nullable=False),
    Column("network", String(64)),
    Column("medium", String(32)),
    Column("period_start", Date),
    Column("period_end", Date),
    Column("notes", Text),
    Column("created_at", BigInteger, nullable=False),
)

sample = Table(
    "sample",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaign.id")),
    Column("station_id", Integer, ForeignKey("station.id"), nullable=False),
    Column("sample_code", String(64), nullable=False, server_default=""),
    Column("sampled_at", BigInteger, nullable=False),
    Column("matrix", String(32), nullable=False),
    Column("depth_m", Float),
    Column("layer", String(64)),
    Column("sample_type", String(64)),
    Column("lab", String(255)),
    Column("raw_file_id", Integer, ForeignKey("raw_file.id")),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("station_id", "sampled_at", "sample_code"),
)

sample_result = Table(
    "sample_result",
    metadata,
    Column("sample_id", Integer, ForeignKey("sample.id"), primary_key=True),
    Column("parameter_code", String(32), ForeignKey("parameter.code"), primary_key=True),
    Column("value", Float),
    Column("unit", String(32), nullable=False),
    Column("qualifier", String(8)),  # None | '<' | '>' | 'ND'
    Column("detection_limit", Float),
    Column("method", String(255)),
    Column("qc_flag", SmallInteger, nullable=False, server_default="2"),
)

limit_rule = Table(
    "limit_rule",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("regulation", String(64), nullable=False),
    Column("medium", String(32), nullable=False),
    Column("parameter_code", String(32)),
    Column("parameter_name", String(255), nullable=False),
    Column("unit", String(32), nullable=False),
    Column("column_class", String(128), nullable=False),
    Column("minimum", Float),
    Column("maximum", Float),
    Column("averaging", String(16), nullable=False),
    Column("valid_from", Date),
    Column("valid_to", Date),
    Column("scalable", Boolean, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("confidence", String(32)),
    Column("source", Text),
    Index(None, "regulation", "parameter_code"),
)

event = Table(
    "event",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),  # exceedance | offline | delayed | qc_failure
    Column("station_id", Integer, ForeignKey("station.id"), nullable=False),
    Column("series_id", Integer, ForeignKey("series.id")),
    Column("limit_rule_id", Integer, ForeignKey("limit_rule.id")),
    Column("status", String(16), nullable=False),  # open | closed
    Column("started_at", BigInteger, nullable=False),
    Column("last_at", BigInteger, nullable=False),
    Column("ended_at", BigInteger),
    Column("peak_value", Float),
    Column("peak_at", BigInteger),
    Column("details", Text),
    Index(None, "station_id", "status"),
)

station_status = Table(
    "station_status",
    metadata,
    Column("station_id", Integer, ForeignKey("station.id"), primary_key=True),
    Column("last_data_at", BigInteger),  # newest measurement time received
    Column("last_received_at", BigInteger),  # when the newest file/message arrived
    Column("online", Boolean),
    Column("changed_at", BigInteger),  # when `online` last changed
)

alert_rule = Table(
    "alert_rule",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(128), nullable=False),
    Column("event_kinds", String(255), nullable=False),
    Column("station_filter", Text),
    Column("channel", String(16), nullable=False),  # webhook | email
    Column("target", Text, nullable=False),
    Column("secret", String(255)),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("created_at", BigInteger, nullable=False),
)

alert_delivery = Table(
    "alert_delivery",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", Integer, ForeignKey("event.id"), nullable=False),
    Column("alert_rule_id", Integer, ForeignKey("alert_rule.id"), nullable=False),
    Column("transition", String(16), nullable=False),  # opened | closed
    Column("status", String(16), nullable=False),  # pending | delivered | failed
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", BigInteger, nullable=False),
    Column("last_error", Text),
    Column("delivered_at", BigInteger),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("event_id", "alert_rule_id", "transition"),
    Index(None, "status", "next_attempt_at"),
)

index_value = Table(
    "index_value",
    metadata,
    Column("station_id", Integer, ForeignKey("station.id"), primary_key=True),
    Column("kind", String(16), primary_key=True),  # aqi_hourly | aqi_daily | wqi_sample | wqi_daily
    Column("time", BigInteger, primary_key=True, autoincrement=False),  # period end, UTC
    Column("value", Float),
    Column("category", String(32)),
    Column("dominant", String(64)),
    Column("details", Text),  # JSON: sub-indices, completeness, notes
    Column("computed_at", BigInteger, nullable=False),
)

ftp_account = Table(
    "ftp_account",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("home", String(255), nullable=False),  # relative to the FTP root
    Column("station_code", String(64)),
    Column("organization_code", String(64)),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("created_at", BigInteger, nullable=False),
)

app_user = Table(
    "app_user",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("full_name", String(255)),
    Column("role", String(16), nullable=False),  # admin | province | enterprise | public
    Column("admin_unit_key", String(16), ForeignKey("admin_unit.key")),
    Column("organization_id", Integer, ForeignKey("organization.id")),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("created_at", BigInteger, nullable=False),
)

api_key = Table(
    "api_key",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("prefix", String(16), nullable=False, unique=True),
    Column("key_hash", String(255), nullable=False),
    Column("name", String(128), nullable=False),
    Column("user_id", Integer, ForeignKey("app_user.id")),
    Column("organization_id", Integer, ForeignKey("organization.id")),
    Column("scopes", String(255), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("last_used_at", BigInteger),
    Column("revoked_at", BigInteger),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", BigInteger, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(255)),
    Column("details", Text),
    Column("remote_addr", String(64)),
    Index(None, "at"),
)

# Tables kept in their own modules register on the same metadata.
from quantrac.store import schema_sta, schema_sync  # noqa: E402, F401
