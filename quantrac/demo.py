"""The demo province: a handful of stations of different media with data to look at.

One air station carries real hourly PM2.5 from Hà Nội (2020, public domain, see
demo_data/README.md); the others carry generated data — plausible diurnal cycles with noise,
occasional calibration and device-error status — and say so in their notes.
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

ORGANIZATIONS = [
    OrganizationSpec(
        code="SNNMT-HN",
        name="Sở Nông nghiệp và Môi trường Hà Nội",
        kind="agency",
        admin_unit="01-2025",
    ),
    OrganizationSpec(
        code="CTY-DEMO-DET",
        name="Công ty TNHH Dệt nhuộm Demo",
        kind="enterprise",
        admin_unit="01-2025",
        tax_code="0100000001",
    ),
    OrganizationSpec(
        code="CTY-DEMO-XM",
        name="Công ty CP Xi măng Demo",
        kind="enterprise",
        admin_unit="37-2025",
        tax_code="0700000002",
    ),
]

STATIONS = [
    StationSpec(
        code="HN_DSQ_KK",
        name="Đại sứ quán Hoa Kỳ, Hà Nội (PM2,5 thực đo)",
        kind="automatic",
        medium="ambient_air",
        latitude=21.0245,
        longitude=105.8412,
        admin_unit="01-2025",
        owner="SNNMT-HN",
        network="Không khí tự động",
        regulation="QCVN 05:2023/BTNMT",
        reporting_interval_s=3600,
        notes="Real hourly PM2.5 from the US Department of State monitor (AirNow, "
        "public domain), 2020.",
    ),
    StationSpec(
        code="HN_NHUE_NM",
        name="Sông Nhuệ - Cầu Hà Đông",
        kind="automatic",
        medium="surface_water",
        latitude=20.9712,
        longitude=105.7778,
        admin_unit="01-2025",
        owner="SNNMT-HN",
        network="Nước mặt tự động",
        regulation="QCVN 08:2023/BTNMT",
        regulation_column="river-B",
        reporting_interval_s=300,
        notes=GENERATED,
    ),
    StationSpec(
        code="HN_DET_NT",
        name="Nước thải sau xử lý - Dệt nhuộm Demo",
        kind="automatic",
        medium="wastewater",
        latitude=21.0612,
        longitude=105.7321,
        admin_unit="01-2025",
        owner="CTY-DEMO-DET",
        network="Nước thải doanh nghiệp",
        visibility="restricted",
        regulation="QCVN 40:2011/BTNMT",
        regulation_column="B",
        kq=0.9,
        kf=1.0,
        reporting_interval_s=300,
        notes=GENERATED,
    ),
    StationSpec(
        code="NB_XM_KT",
        name="Ống khói lò nung - Xi măng Demo",
        kind="automatic",
        medium="stack_emission",
        latitude=20.2506,
        longitude=105.9745,
        admin_unit="37-2025",
        owner="CTY-DEMO-XM",
        network="Khí thải doanh nghiệp",
        visibility="restricted",
        regulation="QCVN 19:2009/BTNMT",
        regulation_column="B",
        reporting_interval_s=300,
        notes=GENERATED,
    ),
    StationSpec(
        code="HN_GW_01",
        name="Giếng quan trắc Thanh Xuân",
        kind="periodic",
        medium="groundwater",
        latitude=20.9935,
        longitude=105.8092,
        admin_unit="01-2025",
        owner="SNNMT-HN",
        network="Nước dưới đất",
        regulation="QCVN 09:2023/BTNMT",
        notes="Periodic station; samples are imported from lab spreadsheets.",
    ),
]


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


GENERATED_SERIES: dict[str, list[SeriesModel]] = {
    "HN_NHUE_NM": [
        SeriesModel("Temp", "oC", 27.0, 0.05, 0.01, 15),
        SeriesModel("pH", "", 7.2, 0.02, 0.01, 14),
        SeriesModel("DO", "mg/L", 3.8, 0.25, 0.05, 14),
        SeriesModel("TSS", "mg/L", 38.0, 0.1, 0.15, 9),
        SeriesModel("COD", "mg/L", 24.0, 0.15, 0.1, 10),
        SeriesModel("NH4", "mg/L", 2.4, 0.2, 0.1, 8),
        SeriesModel("EC", "uS/cm", 420.0, 0.05, 0.03, 12),
    ],
    "HN_DET_NT": [
        SeriesModel("Flow_Out", "m3/h", 42.0, 0.6, 0.1, 11),
        SeriesModel("Temp", "oC", 31.0, 0.05, 0.02, 14),
        SeriesModel("pH", "", 7.6, 0.02, 0.02, 12),
        SeriesModel("COD", "mg/l", 96.0, 0.25, 0.12, 11),
        SeriesModel("TSS", "mg/l", 48.0, 0.2, 0.15, 11),
        SeriesModel("Amoni", "mg/l", 5.4, 0.3, 0.12, 11),
        SeriesModel("Color", "Pt-Co", 80.0, 0.3, 0.1, 11),
    ],
    "NB_XM_KT": [
        SeriesModel("Temp", "oC", 135.0, 0.05, 0.02, 13),
        SeriesModel("O2", "%", 11.5, 0.05, 0.03, 13),
        SeriesModel("PM", "mg/Nm3", 62.0, 0.2, 0.2, 13),
        SeriesModel("SO2", "mg/Nm3", 180.0, 0.15, 0.1, 13),
        SeriesModel("NOx", "mg/Nm3", 540.0, 0.1, 0.08, 13),
        SeriesModel("CO", "mg/Nm3", 260.0, 0.2, 0.15, 13),
        SeriesModel("Flow", "m3/h", 61000.0, 0.1, 0.03, 13),
    ],
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
                    round(float(values[i]), 3),
                    m.unit,
                    int(status[i]),
                    where=f"demo {station}",
                )


def airnow_rows() -> Iterator[tuple[datetime, float | None, int]]:
    """(hour-ending local time, PM2.5 µg/m³ or None, QC flag) from the shipped AirNow file."""
    raw = resources.files("quantrac").joinpath("demo_data", "hanoi_pm25_2020.csv.gz")
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
    sid = ensure_series(store, "HN_DSQ_KK", "PM25")  # type: ignore[arg-type]
    rows = [ObservationRow(sid, int(t.timestamp()), v, 0, flag) for t, v, flag in airnow_rows()]
    total += write_observations(store, rows, source="demo:airnow")  # type: ignore[arg-type]
    if progress:
        progress("HN_DSQ_KK", len(rows))
    end = datetime.now(UTC).astimezone(VN_TZ).replace(second=0, microsecond=0)
    end -= timedelta(minutes=end.minute % 5)
    for code, models in GENERATED_SERIES.items():
        readings = list(generated_readings(code, models, end, days))
        total += store_readings(store, readings, source="demo:generated")  # type: ignore[arg-type]
        if progress:
            progress(code, len(readings))
    derive_demo(store, end)  # type: ignore[arg-type]
    if progress:
        progress("indices", 0)
    return total


def derive_demo(store: Store, end: datetime) -> None:
    """What a department does next with fresh data: approve it for publication, compute
    VN_AQI, and check the enterprise outlet against its QCVN column (events).

    Approval is by the demo account; in real use staff approve after review.
    """
    from sqlalchemy import func, select

    from quantrac.jobs.compliance_job import run_compliance
    from quantrac.jobs.indices_job import run_indices
    from quantrac.review.approval import mark_period
    from quantrac.store.schema import observation, series

    with store.read() as conn:
        spans = conn.execute(
            select(series.c.id, func.min(observation.c.time), func.max(observation.c.time))
            .join(observation, observation.c.series_id == series.c.id)
            .group_by(series.c.id)
        ).all()
    for sid, first, last in spans:
        mark_period(
            store, sid, first, last + 1, "approved", by="demo", note="Dữ liệu mẫu (demo data)"
        )
    run_indices(store, stations=["HN_DSQ_KK"])
    stop = int(end.timestamp())
    run_compliance(store, "HN_DET_NT", stop - 7 * 86400, stop)
