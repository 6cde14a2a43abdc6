"""SensorThings observation bodies → readings, for the one ingest pipeline.

Two shapes arrive: one Observation {"Datastream": {"@iot.id": 5}, "phenomenonTime": …,
"result": …} (or a list of them), and the dataArray extension
[{"Datastream": {"@iot.id": 5}, "components": ["phenomenonTime", "result"], "dataArray":
[[…], …]}]. Every defect is collected with its JSON path; a request with any defect writes
nothing (a peer server answered 201 with the errors hidden in the body). The archived body can
be replayed by `sta_readings`, the `pipeline.files.HANDLERS` entry for archived names ending
in `.sta.json`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, select

from quantrac.api.errors import ApiError
from quantrac.api.sta.results import check_result
from quantrac.auth.scope import live_series
from quantrac.catalog import get_catalog
from quantrac.pipeline.standardize import Reading
from quantrac.store.db import Store
from quantrac.store.observations import MAX_TIME, MIN_TIME
from quantrac.store.schema import series, station
from quantrac.store.schema_sta import sta_datastream

SUFFIX = ".sta.json"


@dataclass(frozen=True, slots=True)
class Target:
    series_id: int
    station_id: int
    station_code: str
    parameter: str
    method: str
    unit: str
    admin_unit_key: str | None
    owner_id: int | None
    visibility: str
    located: bool
    observation_type: str | None = None
    #: a quantity outside the national catalogue: its values are kept in the unit its
    #: Datastream declares, never converted
    free: bool = False

    @property
    def reading_unit(self) -> str:
        """The unit a Reading names: the series' own for a catalogue parameter (the
        pipeline checks it), none (kept as sent) for a free quantity."""
        return "" if self.free else self.unit


#: One observation as sent: (JSON path, datastream id, time, result, device status, feature,
#: resultTime, validTime).
Item = tuple[str, Any, Any, Any, Any, Any, Any, Any]

#: (resultTime, validTime start, validTime end) of one observation, epoch seconds or None.
Times = tuple[int | None, int | None, int | None]
NO_TIMES: Times = (None, None, None)


@dataclass
class Parsed:
    readings: list[Reading]
    keys: list[tuple[int, int]]  # (series id, epoch) per reading, in order
    targets: dict[int, Target]
    problems: list[tuple[str, str]]
    #: per reading: its FeatureOfInterest as sent (a link, an object) or None, and its path
    features: list[tuple[str, Any]] = field(default_factory=list)
    #: per reading: its resultTime and validTime, when sent
    times: list[Times] = field(default_factory=list)
    #: per reading: its result as sent (JSON), when `observation.value` cannot say it
    results: list[str | None] = field(default_factory=list)


def link_id(value: Any) -> Any:
    """The id of an entity link: {"@iot.id": 5} (also {"id": 5}, as the 1.0 test suite sends)."""
    if isinstance(value, Mapping):
        for key in ("@iot.id", "id"):
            if key in value:
                return value[key]
    return None


def _time(raw: Any) -> datetime | None:
    """An aware instant between 1970 and 2100, else None (reported by the caller)."""
    if not isinstance(raw, str) or "/" in raw:
        return None
    try:
        value = datetime.fromisoformat(raw.strip().replace("z", "Z"))
    except ValueError:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        return None
    epoch = value.timestamp()
    if not MIN_TIME <= epoch <= MAX_TIME:
        return None
    return value if value.microsecond == 0 else value.replace(microsecond=0)


def targets(conn: Connection, ids: set[int]) -> dict[int, Target]:
    if not ids:
        return {}
    rows = conn.execute(
        select(
            series.c.id,
            series.c.station_id,
            station.c.code,
            series.c.parameter_code,
            series.c.method,
            series.c.unit,
            station.c.admin_unit_key,
            station.c.owner_id,
            station.c.visibility,
            station.c.latitude.is_not(None) & station.c.longitude.is_not(None),
            sta_datastream.c.observation_type,
        )
        .join(station, station.c.id == series.c.station_id)
        .outerjoin(sta_datastream, sta_datastream.c.series_id == series.c.id)
        # a retired series (a deleted Datastream) takes no new observations: "no Datastream"
        .where(series.c.id.in_(sorted(ids)), station.c.retired_at.is_(None), live_series())
    ).all()
    by_code = get_catalog().parameters.by_code
    return {
        r[0]: Target(
            *r[:-2],
            bool(r[-2]),
            r[-1],
            getattr(by_code.get(r.parameter_code), "provenance", "") == "local",
        )
        for r in rows
    }


class _Builder:
    def __init__(self) -> None:
        self.items: list[Item] = []
        self.problems: list[tuple[str, str]] = []

    def problem(self, where: str, message: str) -> None:
        if len(self.problems) < 200:
            self.problems.append((where, message))

    def observation(self, doc: Any, where: str, datastream: Any = None) -> None:
        if not isinstance(doc, Mapping):
            self.problem(where, "an Observation is a JSON object")
            return
        ds = datastream if datastream is not None else link_id(doc.get("Datastream"))
        if ds is None:
            self.problem(f"{where}.Datastream", 'missing: {"Datastream": {"@iot.id": …}}')
        status = None
        params = doc.get("parameters")
        if isinstance(params, Mapping) and params.get("device_status") is not None:
            status = params["device_status"]
        feature = doc.get("FeatureOfInterest")
        self.items.append(
            (
                where,
                ds,
                doc.get("phenomenonTime"),
                doc.get("result"),
                status,
                feature,
                doc.get("resultTime"),
                doc.get("validTime"),
            )
        )

    def data_array(self, doc: Any, where: str) -> None:
        if not isinstance(doc, Mapping):
            self.problem(where, "each item is {Datastream, components, dataArray}")
            return
        ds = link_id(doc.get("Datastream"))
        comps = doc.get("components")
        rows = doc.get("dataArray")
        if ds is None:
            self.problem(f"{where}.Datastream", 'missing: {"Datastream": {"@iot.id": …}}')
        if not isinstance(comps, list) or "phenomenonTime" not in comps or "result" not in comps:
            self.problem(f"{where}.components", 'must list "phenomenonTime" and "result"')
            return
        if not isinstance(rows, list):
            self.problem(f"{where}.dataArray", "must be a list of rows")
            return
        declared = doc.get("dataArray@iot.count")
        if declared is not None and declared != len(rows):
            self.problem(f"{where}.dataArray@iot.count", f"says {declared}, found {len(rows)}")
        ti, ri = comps.index("phenomenonTime"), comps.index("result")
        fi = comps.index("FeatureOfInterest/id") if "FeatureOfInterest/id" in comps else None
        rti = comps.index("resultTime") if "resultTime" in comps else None
        vti = comps.index("validTime") if "validTime" in comps else None
        for j, row in enumerate(rows):
            if not isinstance(row, list) or len(row) != len(comps):
                self.problem(f"{where}.dataArray[{j}]", f"needs {len(comps)} values")
                continue
            feature = None if fi is None else {"@iot.id": row[fi]}
            result_time = None if rti is None else row[rti]
            valid_time = None if vti is None else row[vti]
            self.items.append(
                (f"{where}.dataArray[{j}]", ds, row[ti], row[ri], None, feature, result_time,
                 valid_time)
            )  # fmt: skip


def parse_body(data: bytes) -> tuple[list[Item], list[tuple[str, str]]]:
    """Items (path, datastream id, time, result, status, feature) of either shape, and the
    defects."""
    b = _Builder()
    try:
        doc = json.loads(data, parse_constant=_refuse)
    except (ValueError, UnicodeDecodeError) as e:
        return [], [("$", f"not JSON: {e}")]
    docs = doc if isinstance(doc, list) else [doc]
    for i, item in enumerate(docs):
        where = f"$[{i}]" if isinstance(doc, list) else "$"
        if isinstance(item, Mapping) and "dataArray" in item:
            b.data_array(item, where)
        else:
            b.observation(item, where)
    if not b.items and not b.problems:
        b.problem("$", "no observations")
    return b.items, b.problems


def _refuse(name: str) -> float:
    raise ValueError(f"{name} is not a number")


def readings_of(conn: Connection, items: list[Item], problems: list[tuple[str, str]]) -> Parsed:
    ids = {ds for _, ds, *_ in items if isinstance(ds, int) and not isinstance(ds, bool)}
    found = targets(conn, ids)
    readings: list[Reading] = []
    keys: list[tuple[int, int]] = []
    features: list[tuple[str, Any]] = []
    times: list[Times] = []
    results: list[str | None] = []
    for where, ds, raw_time, result, status, feature, result_time, valid_time in items:
        target = found.get(ds) if isinstance(ds, int) and not isinstance(ds, bool) else None
        if target is None:
            problems.append((f"{where}.Datastream", f"no Datastream {ds!r}"))
            continue
        if target.method:
            problems.append(
                (
                    f"{where}.Datastream",
                    f"Datastream {ds} ({target.method}) is written by the lab import",
                )
            )
            continue
        when = _time(raw_time)
        if raw_time is None:
            problems.append(
                (
                    f"{where}.phenomenonTime",
                    "missing: quantrac needs the time of "
                    "the measurement (it is never replaced by the server's clock)",
                )
            )
            continue
        if when is None:
            problems.append(
                (
                    f"{where}.phenomenonTime",
                    f"{raw_time!r} is not an ISO 8601 instant with an offset "
                    "(e.g. 2026-03-01T07:00:00+07:00)",
                )
            )
            continue
        try:
            value, kept = check_result(result, target.observation_type)
        except ValueError as e:
            problems.append((f"{where}.result", str(e)))
            continue
        if status is not None and not (isinstance(status, int) and 0 <= status <= 99):
            problems.append((f"{where}.parameters.device_status", "an integer 0…99"))
            continue
        extra = _times(result_time, valid_time, where, problems)
        if extra is None:
            continue
        readings.append(
            Reading(
                target.station_code,
                target.parameter,
                when,
                value,
                target.reading_unit,
                status,
                where,
            )
        )
        keys.append((target.series_id, int(when.timestamp())))
        features.append((where, feature))
        times.append(extra)
        results.append(kept)
    return Parsed(readings, keys, found, problems, features, times, results)


def _times(
    result_time: Any, valid_time: Any, where: str, problems: list[tuple[str, str]]
) -> Times | None:
    """resultTime (an instant) and validTime (an interval start/end), or None after
    reporting what is wrong with them."""
    rt = None
    if result_time is not None:
        at = _time(result_time)
        if at is None:
            problems.append((f"{where}.resultTime", f"{result_time!r} is not an ISO 8601 instant "
                             "with an offset"))  # fmt: skip
            return None
        rt = int(at.timestamp())
    if valid_time is None:
        return (rt, None, None)
    parts = valid_time.split("/") if isinstance(valid_time, str) else []
    ends = [_time(p) for p in parts] if len(parts) == 2 else []
    if len(ends) != 2 or ends[0] is None or ends[1] is None or ends[0] > ends[1]:
        problems.append((f"{where}.validTime", f"{valid_time!r} is not an ISO 8601 interval "
                         "start/end (e.g. 2026-03-01T00:00:00Z/2026-03-02T00:00:00Z)"))  # fmt: skip
        return None
    return (rt, int(ends[0].timestamp()), int(ends[1].timestamp()))


def parse(conn: Connection, data: bytes) -> Parsed:
    items, problems = parse_body(data)
    return readings_of(conn, items, problems)


def refuse(parsed: Parsed) -> None:
    if parsed.problems:
        raise ApiError(
            400,
            f"{len(parsed.problems)} problem(s) in the observations; nothing was written",
            parsed.problems,
        )


def sta_readings(store: Store, row: RowMapping, data: bytes) -> tuple[list[Reading], list[str]]:
    """`pipeline.files.HANDLERS` entry: replay an archived SensorThings body."""
    from quantrac.pipeline.files import Quarantine

    with store.read() as conn:
        parsed = parse(conn, data)
    if not parsed.readings:
        first = parsed.problems[0] if parsed.problems else ("$", "no observations")
        raise Quarantine(f"{first[0]}: {first[1]}", None, None)
    return parsed.readings, [f"{w}: {m}" for w, m in parsed.problems]
