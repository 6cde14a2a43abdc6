"""Synthetic automatic stations: believable Circular 10/2021 files, no I/O.

Each parameter follows a daily cycle (traffic peaks for air pollutants, afternoon heat for
temperature, a plant's shift pattern for flows) plus noise, scaled per station so stations
differ. Real logger habits are reproduced on purpose: now and then a parameter is being
calibrated (status 01) or the analyser reports a fault (02), a cycle is never sent (a gap),
or a file arrives cycles late. The numbers are invented — plausible orders of magnitude, not
measurements — and only feed tests, demos and benchmarks.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from quantrac.codecs.tt10 import VIETNAM_TZ, Tt10File, Tt10FileName, Tt10Reading, write_tt10


@dataclass(frozen=True, slots=True)
class ParameterModel:
    name: str  # as loggers write it (an alias the catalogue resolves)
    unit: str
    base: float
    amplitude: float  # of the daily cycle
    peak_hour: float  # local hour of the daily maximum
    noise: float  # standard deviation, as a fraction of base
    decimals: int = 2
    minimum: float = 0.0


_AIR = (
    ParameterModel("PM2,5", "ug/m3", 35, 15, 8, 0.15),
    ParameterModel("PM10", "ug/m3", 60, 25, 8, 0.15),
    ParameterModel("NO2", "ug/m3", 30, 15, 19, 0.2),
    ParameterModel("SO2", "ug/m3", 12, 4, 10, 0.2),
    ParameterModel("CO", "ug/m3", 1500, 600, 19, 0.15),
    ParameterModel("O3", "ug/m3", 45, 30, 14, 0.15),
    ParameterModel("Temp", "oC", 27, 4, 14, 0.02, 1, -10),
    ParameterModel("Humidity", "%", 75, -12, 14, 0.03, 1),
    ParameterModel("Pressure", "hPa", 1008, 2, 10, 0.001, 1),
    ParameterModel("WindSpeed", "m/s", 2, 1, 15, 0.3, 1),
)
_WASTEWATER = (
    ParameterModel("Temp", "oC", 29, 2, 15, 0.02, 1),
    ParameterModel("pH", "", 7.2, 0.3, 11, 0.02),
    ParameterModel("TSS", "mg/L", 35, 10, 11, 0.15),
    ParameterModel("COD", "mg/L", 60, 20, 11, 0.12),
    ParameterModel("Amoni", "mg/L", 4, 1.5, 11, 0.15),
    ParameterModel("TN", "mg/L", 15, 4, 11, 0.12),
    ParameterModel("TP", "mg/L", 2, 0.6, 11, 0.15),
    ParameterModel("Color", "Pt-Co", 40, 10, 11, 0.1, 0),
    ParameterModel("Flowin", "m3/h", 40, 25, 10, 0.1),
    ParameterModel("Flow_Out", "m3/h", 38, 24, 11, 0.1),
)
_SURFACE_WATER = (
    ParameterModel("Temp", "oC", 26, 2, 15, 0.02, 1),
    ParameterModel("pH", "", 7.4, 0.2, 14, 0.01),
    ParameterModel("DO", "mg/L", 6.5, 1.2, 14, 0.05),
    ParameterModel("TSS", "mg/L", 25, 5, 12, 0.15),
    ParameterModel("COND", "uS/cm", 320, 20, 12, 0.03, 0),
    ParameterModel("TURB", "NTU", 15, 4, 12, 0.2),
    ParameterModel("NH4", "mg/L", 0.3, 0.1, 8, 0.2, 3),
    ParameterModel("NO3-N", "mg/L", 1.2, 0.3, 8, 0.1),
    ParameterModel("COD", "mg/L", 12, 3, 12, 0.1),
    ParameterModel("TOC", "mg/L", 5, 1, 12, 0.1),
)
_STACK = (
    ParameterModel("Flow", "m3/h", 60000, 8000, 10, 0.05, 0),
    ParameterModel("Temp", "oC", 140, 15, 10, 0.03, 1),
    ParameterModel("Pressure", "kPa", 101, 0.5, 10, 0.002, 1),
    ParameterModel("O2", "%", 9, 1, 10, 0.05, 1),
    ParameterModel("PM", "mg/Nm3", 25, 8, 10, 0.15),
    ParameterModel("SO2", "mg/Nm3", 150, 40, 10, 0.1),
    ParameterModel("NOx", "mg/Nm3", 250, 60, 10, 0.1),
    ParameterModel("CO", "mg/Nm3", 80, 30, 10, 0.15),
    ParameterModel("NH3", "mg/Nm3", 2, 0.8, 10, 0.2),
    ParameterModel("H2S", "mg/Nm3", 1, 0.4, 10, 0.2),
)

#: Parameter models by medium code (catalogue media), ~10 parameters each as real stations send.
PROFILES: dict[str, tuple[ParameterModel, ...]] = {
    "ambient_air": _AIR,
    "wastewater": _WASTEWATER,
    "surface_water": _SURFACE_WATER,
    "stack_emission": _STACK,
}
#: Station-code part per medium, after the naming habits of real stations (KHIKXQ, NUOSXL…).
MEDIUM_TAGS = {
    "ambient_air": "KHIKXQ",
    "wastewater": "NUOSXL",
    "surface_water": "NUOMAT",
    "stack_emission": "KHITHAI",
}


@dataclass(frozen=True, slots=True)
class SimStation:
    province: str
    facility: str
    station: str
    medium: str

    @property
    def code(self) -> str:
        """The registry code, which is also the TT10 file name's station key."""
        return f"{self.province}_{self.facility}_{self.station}"

    @property
    def username(self) -> str:
        return self.code.lower()


@dataclass(frozen=True, slots=True)
class Delivery:
    """One file to send: whose, for which measurement time, in which sending round."""

    station: SimStation
    time: datetime
    round: int


def make_stations(
    n: int, *, province: str = "SIM", media: Sequence[str] = tuple(PROFILES)
) -> list[SimStation]:
    """`n` stations ``SIM_F00001_KHIKXQ`` …, media taken in turn."""
    return [
        SimStation(
            province, f"F{i + 1:05d}", MEDIUM_TAGS[media[i % len(media)]], media[i % len(media)]
        )
        for i in range(n)
    ]


def _station_scale(station: SimStation) -> float:
    """A fixed per-station factor (0.6–1.6) so stations differ but stay the same across runs."""
    return 0.6 + (zlib.crc32(station.code.encode()) % 1000) / 1000


def readings(
    station: SimStation,
    time: datetime,
    rng: np.random.Generator,
    *,
    p_calibrating: float = 0.01,
    p_error: float = 0.005,
) -> list[Tt10Reading]:
    """One record: every parameter of the station's medium at `time` (aware)."""
    hour = time.astimezone(VIETNAM_TZ)
    hour_f = hour.hour + hour.minute / 60
    scale = _station_scale(station)
    models = PROFILES[station.medium]
    noise = rng.standard_normal(len(models))
    status_draw = rng.random(len(models))
    out = []
    for model, z, draw in zip(models, noise, status_draw, strict=True):
        cycle = math.cos(2 * math.pi * (hour_f - model.peak_hour) / 24)
        level = model.base + model.amplitude * cycle
        if model.name not in {"pH", "Temp", "Pressure", "Humidity", "O2"}:
            level *= scale
        value = max(model.minimum, level + z * model.noise * abs(model.base))
        status = "00"
        if draw < p_error:
            status, value = "02", 0.0  # analysers in fault often report 0
        elif draw < p_error + p_calibrating:
            status = "01"
        out.append(Tt10Reading(model.name, round(value, model.decimals), model.unit, time, status))
    return out


def tt10_file(
    station: SimStation, time: datetime, rng: np.random.Generator, **kw: float
) -> tuple[str, bytes]:
    """(file name, bytes) of one Circular 10/2021 file, as a logger would upload it."""
    name = Tt10FileName(station.station, time, station.province, station.facility)
    return name.to_filename(), write_tt10(Tt10File.new(name, readings(station, time, rng, **kw)))


def plan(
    stations: Iterable[SimStation],
    times: Sequence[datetime],
    rng: np.random.Generator,
    *,
    p_gap: float = 0.02,
    p_late: float = 0.03,
    max_late_rounds: int = 3,
) -> list[Delivery]:
    """Which file goes out in which round: mostly on time, some never, some rounds late.

    Round i is when the file for times[i] is due; a late one goes out up to
    `max_late_rounds` rounds later (the last rounds' late files go out in the final round).
    """
    last = len(times) - 1
    out = []
    for station in stations:
        for i, time in enumerate(times):
            draw = rng.random()
            if draw < p_gap:
                continue
            late = draw < p_gap + p_late
            delay = int(rng.integers(1, max_late_rounds + 1)) if late else 0
            out.append(Delivery(station, time, min(i + delay, last)))
    out.sort(key=lambda d: d.round)
    return out


def cycle_times(end: datetime, cycles: int, interval_s: int = 300) -> list[datetime]:
    """The `cycles` measurement times up to `end`, aligned to the interval, oldest first."""
    stamp = int(end.timestamp()) // interval_s * interval_s
    first = datetime.fromtimestamp(stamp, VIETNAM_TZ) - timedelta(seconds=interval_s * (cycles - 1))
    return [first + timedelta(seconds=interval_s * i) for i in range(cycles)]
