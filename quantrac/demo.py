"""The demo: stations across several provinces, air and water, with data worth looking at.

Two air stations carry real hourly PM2.5 (US Department of State monitors in Hà Nội 2020 and
TP. Hồ Chí Minh 2017, public domain, see demo_data/README.md). The others carry generated
data — plausible daily cycles with noise, occasional calibration and device-error status —
and say so in their notes. What is registered and generated is data: `demo_data/
organizations.csv`, `stations.csv` and `generated_profiles.csv` (one profile per VN_AQI or
VN_WQI band, so the map shows several colours).
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from importlib import resources

import numpy as np

from quantrac.pipeline.standardize import Reading
from quantrac.store.db import Store
from quantrac.store.observations import ObservationRow, WriteResult, write_observations
from quantrac.store.registry import OrganizationSpec, StationSpec, ensure_series

VN_TZ = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")
GENERATED = "Dữ liệu mô phỏng (generated demo data, not measurements)."
#: Exceedances are evaluated over this many past days for generated stations (the whole
#: record for real ones).
COMPLIANCE_DAYS = 7


def _rows(name: str) -> list[dict[str, str]]:
    """A CSV of demo_data without its '#' comment lines."""
    text = resources.files("quantrac").joinpath("demo_data", name).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return list(csv.DictReader(lines))


@dataclass(frozen=True)
class SeriesModel:
    """A generated parameter: mean, diurnal amplitude (fraction), noise (fraction), unit."""

    parameter: str
    unit: str
    mean: float
    diurnal: float
    noise: float
    peak_hour: float = 15.0
    floor: float = 0.0


def _profiles() -> dict[str, list[SeriesModel]]:
    out: dict[str, list[SeriesModel]] = {}
    for r in _rows("generated_profiles.csv"):
        out.setdefault(r["profile"], []).append(
            SeriesModel(
                r["parameter"],
                r["unit"],
                float(r["mean"]),
                float(r["diurnal"]),
                float(r["noise"]),
                float(r["peak_hour"]),
            )
        )
    return out


def _optional_float(text: str) -> float | None:
    return float(text) if text.strip() else None


def _stations() -> tuple[list[StationSpec], dict[str, str]]:
    specs: list[StationSpec] = []
    data: dict[str, str] = {}
    for r in _rows("stations.csv"):
        source = r["data"].strip()
        notes = r["notes"].strip() or (GENERATED if source.startswith("profile:") else None)
        specs.append(
            StationSpec(
                code=r["code"],
                name=r["name"],
                kind=r["kind"],  # type: ignore[arg-type]
                medium=r["medium"],
                latitude=float(r["latitude"]),
                longitude=float(r["longitude"]),
                admin_unit=r["admin_unit"] or None,
                owner=r["owner"] or None,
                network=r["network"] or None,
                visibility=r["visibility"],  # type: ignore[arg-type]
                regulation=r["regulation"] or None,
                regulation_column=r["regulation_column"] or None,
                kq=_optional_float(r["kq"]),
                kf=_optional_float(r["kf"]),
                reporting_interval_s=int(r["reporting_interval_s"])
                if r["reporting_interval_s"]
                else None,
                notes=notes,
            )
        )
        if source:
            data[r["code"]] = source
    return specs, data


ORGANIZATIONS = [
    OrganizationSpec(
        code=r["code"],
        name=r["name"],
        kind=r["kind"],  # type: ignore[arg-type]
        admin_unit=r["admin_unit"] or None,
        tax_code=r["tax_code"] or None,
    )
    for r in _rows("organizations.csv")
]
STATIONS, STATION_DATA = _stations()
PROFILES = _profiles()
#: station code → its generated series (the stations whose data is generated).
GENERATED_SERIES: dict[str, list[SeriesModel]] = {
    code: PROFILES[source.removeprefix("profile:")]
    for code, source in STATION_DATA.items()
    if source.startswith("profile:")
}
#: station code → shipped AirNow file with real hourly PM2.5.
REAL_PM25: dict[str, str] = {
    code: source.removeprefix("airnow:")
    for code, source in STATION_DATA.items()
    if source.startswith("airnow:")
}


def generated_readings(
    station: str,
    models: list[SeriesModel],
    end: datetime,
    days: int,
    step_s: int = 300,
    seed: int = 1618,
) -> Iterator[Reading]:
    """Diurnal cycle + autocorrelated noise, a calibration hour each Monday 09:00 and a few
    device-error readings, as real automatic stations show.

    Each local day is generated from its own seed, so loading the demo again later yields the
    same values for the days already loaded (no spurious revisions).
    """
    first_day = (end - timedelta(days=days)).date()
    per_day = 86400 // step_s
    for offset in range(days + 1):
        day = first_day + timedelta(days=offset)
        midnight = datetime(day.year, day.month, day.day, tzinfo=VN_TZ)
        times = [midnight + timedelta(seconds=(i + 1) * step_s) for i in range(per_day)]
        keep = [i for i, t in enumerate(times) if end - timedelta(days=days) < t <= end]
        if not keep:
            continue
        rng = np.random.default_rng([seed, day.toordinal(), sum(map(ord, station))])
        hours = np.array([t.hour + t.minute / 60 for t in times])
        status = np.zeros(per_day, dtype=int)
        if day.weekday() == 0:
            status[np.floor(hours) == 9] = 1
        status[rng.choice(per_day, size=1)] = 2
        for m in models:
            noise = np.cumsum(rng.normal(0, m.noise, per_day)) * 0.05
            noise += rng.normal(0, m.noise, per_day) - noise.mean()
            values = m.mean * (
                1 + m.diurnal * np.cos((hours - m.peak_hour) / 24 * 2 * np.pi) + noise
            )
            values = np.maximum(values, m.floor)
            for i in keep:
                yield Reading(
                    station,
                    m.parameter,
                    times[i],
                    round(float(values[i]), 3 if m.mean >= 1 else 5),
                    m.unit,
                    int(status[i]),
                    where=f"demo {station}",
                )


def airnow_rows(
    name: str = "hanoi_pm25_2020.csv.gz",
) -> Iterator[tuple[datetime, float | None, int]]:
    """(hour-ending local time, PM2.5 µg/m³ or None, QC flag) from a shipped AirNow file."""
    raw = resources.files("quantrac").joinpath("demo_data", name)
    text = gzip.decompress(raw.read_bytes()).decode("utf-8")
    seen: set[datetime] = set()
    for row in csv.DictReader(io.StringIO(text)):
        # Year/Month/Day/Hour avoid the file's US daylight-saving artefact in "Date (LT)".
        t = datetime(
            int(row["Year"]), int(row["Month"]), int(row["Day"]), int(row["Hour"]), tzinfo=VN_TZ
        )
        if t in seen:
            continue
        seen.add(t)
        value = float(row["Raw Conc."])
        missing = value <= -999
        flag = 9 if missing else (1 if row["QC Name"] == "Valid" else 4)
        yield t, None if missing else value, flag


def demo_end(now: datetime | None = None) -> datetime:
    """The last instant of generated data: now, local time, down to 5 minutes."""
    end = (now or datetime.now(UTC)).astimezone(VN_TZ).replace(second=0, microsecond=0)
    return end - timedelta(minutes=end.minute % 5)


def load_demo(
    store: object, days: int = 7, progress: Callable[[str, int], None] | None = None
) -> WriteResult:
    """Register the demo organizations and stations and load their data (idempotent)."""
    from sqlalchemy import select

    from quantrac.errors import ConflictError
    from quantrac.pipeline.ingest import store_readings
    from quantrac.store.registry import create_organization, create_station
    from quantrac.store.schema import organization, station

    with store.read() as conn:  # type: ignore[attr-defined]
        orgs = set(conn.scalars(select(organization.c.code)))
        stations = set(conn.scalars(select(station.c.code)))
    for org in ORGANIZATIONS:
        if org.code not in orgs:
            create_organization(store, org)  # type: ignore[arg-type]
    for st in STATIONS:
        if st.code not in stations:
            with suppress(ConflictError):
                create_station(store, st)  # type: ignore[arg-type]
    total = WriteResult(0, 0, 0, 0, 0)
    real = 0
    for code, name in REAL_PM25.items():
        sid = ensure_series(store, code, "PM25")  # type: ignore[arg-type]
        rows = [ObservationRow(sid, int(t.timestamp()), v, 0, f) for t, v, f in airnow_rows(name)]
        total += write_observations(store, rows, source="demo:airnow")  # type: ignore[arg-type]
        real += len(rows)
    if progress:
        progress("airnow", real)
    end = demo_end()
    interval = {st.code: st.reporting_interval_s or 300 for st in STATIONS}
    for code, models in GENERATED_SERIES.items():
        readings = list(generated_readings(code, models, end, days, step_s=interval[code]))
        total += store_readings(store, readings, source="demo:generated")  # type: ignore[arg-type]
        if progress:
            progress(code, len(readings))
    derive_demo(store, end)  # type: ignore[arg-type]
    if progress:
        progress("indices", 0)
    return total


def derive_demo(store: Store, end: datetime) -> None:
    """What a department does next with fresh data: approve it for publication, compute
    VN_AQI / VN_WQI, and check every station that names a regulation against it (events).

    Approval is by the demo account; in real use staff approve after review.
    """
    from sqlalchemy import func, select

    from quantrac.jobs.compliance_job import run_compliance
    from quantrac.jobs.indices_job import run_indices
    from quantrac.review.approval import mark_period
    from quantrac.store.schema import observation, review_period, series

    with store.read() as conn:
        approved = (
            select(func.max(review_period.c.end))
            .where(review_period.c.series_id == series.c.id, review_period.c.state == "approved")
            .scalar_subquery()
        )
        spans = conn.execute(
            select(series.c.id, func.min(observation.c.time), func.max(observation.c.time))
            .join(observation, observation.c.series_id == series.c.id)
            .where(observation.c.time >= func.coalesce(approved, 0))
            .group_by(series.c.id)
        ).all()
    for sid, first, last in spans:
        mark_period(
            store, sid, first, last + 1, "approved", by="demo", note="Dữ liệu mẫu (demo data)"
        )
    run_indices(store)
    stop = int(end.timestamp())
    for st in STATIONS:
        if st.regulation and st.code in STATION_DATA:
            start = 0 if st.code in REAL_PM25 else stop - COMPLIANCE_DAYS * 86400
            run_compliance(store, st.code, start, stop)
