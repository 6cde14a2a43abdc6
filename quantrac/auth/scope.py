"""Scope as SQL: the WHERE clauses that make a query return only what the caller may see.

Every endpoint builds its query on these, so REST, SensorThings (incl. $expand and $count)
and exports cannot disagree on who sees what. Public view = public, non-retired stations and,
when `public_requires_approval` is on, only observations inside an approved review period.
Retired stations and deleted series are gone for everybody; their data stay in the database
(a retired series only stops: its history stays readable).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, FromClause, and_, exists, false, or_, select, true

from quantrac.auth.principal import Principal
from quantrac.store.schema import review_period, series, station

#: Every function takes the station (or series) table or an alias of it (SensorThings builds
#: its queries on fresh aliases so nested subqueries never correlate by accident).
St = FromClause


def full_access(p: Principal, st: St = station) -> ColumnElement[bool]:
    """Stations whose every value (restricted, unapproved) the caller may read."""
    if p.role == "admin":
        return true()
    if p.role == "province" and p.admin_unit_keys:
        return st.c.admin_unit_key.in_(sorted(p.admin_unit_keys))
    if p.role == "enterprise" and p.organization_id is not None:
        return st.c.owner_id == p.organization_id
    return false()


def public_station(st: St = station) -> ColumnElement[bool]:
    return st.c.visibility == "public"


def visible_station(
    p: Principal, st: St = station, *, retired: bool = False
) -> ColumnElement[bool]:
    """Stations the caller may know exist (retired ones are gone for everybody; `retired`:
    counted in, for what they leave behind — the feature their observations were made at)."""
    seen = or_(full_access(p, st), public_station(st))
    return seen if retired else and_(st.c.retired_at.is_(None), seen)


def live_series(d: FromClause = series) -> ColumnElement[bool]:
    """Series not deleted. Deleting a series (DELETE /Datastreams) hides it from every
    answer and keeps its observations for the audit; a retired one (`quantrac series
    retire`) has only stopped, and its history stays readable."""
    return d.c.deleted_at.is_(None)


def visible_series(p: Principal, d: FromClause = series, st: St = station) -> ColumnElement[bool]:
    """For a query joining series `d` to its station `st`: the series the caller may know."""
    return and_(live_series(d), visible_station(p, st))


def approved(series_id: ColumnElement[int], time: ColumnElement[int]) -> ColumnElement[bool]:
    """The value at (series, time) lies in an approved review period."""
    rp = review_period.c
    return exists(
        select(1).where(
            rp.series_id == series_id,
            rp.state == "approved",
            rp.start <= time,
            rp.end > time,
        )
    )


def visible_observation(
    p: Principal,
    series_id: ColumnElement[int],
    time: ColumnElement[int],
    requires_approval: bool,
    st: St = station,
) -> ColumnElement[bool]:
    """For a query joined to the station (`st`): the observations the caller may read."""
    public_part: ColumnElement[bool] = public_station(st)
    if requires_approval:
        public_part = and_(public_part, approved(series_id, time))
    if p.role == "admin":
        return st.c.retired_at.is_(None)
    return and_(st.c.retired_at.is_(None), or_(full_access(p, st), public_part))
