"""Readings pushed as JSON (MQTT or HTTP), read without touching the database.

The payload a station publishes (docs/ingest.md, "MQTT"):

    {"time": "2026-03-25T00:05:00+07:00",
     "readings": [{"parameter": "PM2,5", "value": 27.8, "unit": "ug/m3", "status": "00"}]}

A reading may carry its own ``time``; ``status`` is the TT10 device code (Circular 10/2021
Art. 39: 00 measuring, 01 calibrating, 02 device fault) and may be left out; ``value`` may be
null (no value). An optional top-level ``station`` names the station; the transport (the MQTT
topic) usually does. Several such objects may come as one JSON array.

Times must carry their UTC offset: unlike a TT10 file, a JSON time has a standard way to say
it, so a time without one is refused rather than guessed. Every defect is reported with the
JSON path of the offending value (e.g. ``$.readings[3].value``) and never stops the other
readings.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from quantrac.codecs.tt10 import STATUS_MEANINGS

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class JsonReading:
    """One value as received; `path` locates it in the payload (e.g. ``$.readings[0]``)."""

    parameter: str
    value: float | None
    unit: str
    time: datetime
    status: str | None
    path: str

    @property
    def status_known(self) -> bool:
        return self.status is None or self.status in STATUS_MEANINGS


@dataclass(frozen=True, slots=True)
class JsonProblem:
    """A defect: ``error`` leaves the reading out, ``warning`` keeps it as written.

    Codes: not_json, bad_shape, missing, bad_parameter, bad_value, value_as_text (warning),
    bad_time, no_offset, bad_status, unknown_status (warning), bad_station, no_readings.
    """

    path: str
    code: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"{self.path}: {self.severity}: {self.message}"


@dataclass(frozen=True, slots=True)
class JsonPayload:
    station: str | None
    readings: tuple[JsonReading, ...]
    problems: tuple[JsonProblem, ...] = ()

    @property
    def errors(self) -> tuple[JsonProblem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")


def read_json_readings(data: bytes) -> JsonPayload:
    """Decode one payload; never raises for bad content (problems say what was wrong)."""
    reader = _Reader()
    try:
        doc = json.loads(data.decode("utf-8-sig"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        reader.problem("$", "not_json", f"payload is not UTF-8 JSON: {exc}")
        return reader.result()
    if isinstance(doc, list):
        for i, item in enumerate(doc):
            reader.read_message(item, f"$[{i}]")
    else:
        reader.read_message(doc, "$")
    return reader.result()


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


class _Reader:
    def __init__(self) -> None:
        self.readings: list[JsonReading] = []
        self.problems: list[JsonProblem] = []
        self.station: str | None = None

    def problem(self, path: str, code: str, message: str, severity: Severity = "error") -> None:
        self.problems.append(JsonProblem(path, code, message, severity))

    def result(self) -> JsonPayload:
        if not self.readings and not any(p.code == "not_json" for p in self.problems):
            self.problem("$", "no_readings", "payload holds no usable reading")
        return JsonPayload(self.station, tuple(self.readings), tuple(self.problems))

    def read_message(self, doc: Any, path: str) -> None:
        if not isinstance(doc, dict):
            self.problem(path, "bad_shape", 'expected an object {"time": …, "readings": […]}')
            return
        self._read_station(doc, path)
        default_time = None
        if "time" in doc:
            default_time = self._time(doc["time"], f"{path}.time")
        items = doc.get("readings")
        if not isinstance(items, list):
            self.problem(f"{path}.readings", "missing", '"readings" must be a list of objects')
            return
        for i, item in enumerate(items):
            self._read_one(item, f"{path}.readings[{i}]", default_time, "time" in doc)

    def _read_station(self, doc: dict[str, Any], path: str) -> None:
        station = doc.get("station")
        if station is None:
            return
        if not isinstance(station, str) or not station.strip():
            self.problem(f"{path}.station", "bad_station", "station must be a non-empty text")
        elif self.station not in (None, station.strip()):
            self.problem(
                f"{path}.station",
                "bad_station",
                f"station {station!r} differs from {self.station!r} earlier in the payload",
            )
        else:
            self.station = station.strip()

    def _read_one(
        self, item: Any, path: str, default_time: datetime | None, had_time: bool
    ) -> None:
        if not isinstance(item, dict):
            self.problem(path, "bad_shape", "a reading must be an object")
            return
        raw_parameter = item.get("parameter")
        parameter = raw_parameter.strip() if isinstance(raw_parameter, str) else ""
        if not parameter:
            self.problem(f"{path}.parameter", "bad_parameter", "parameter must be non-empty text")
        value, value_ok = self._value(item.get("value"), f"{path}.value", "value" in item)
        raw_unit = "" if item.get("unit") is None else item["unit"]
        unit = raw_unit.strip() if isinstance(raw_unit, str) else None
        if unit is None:
            self.problem(f"{path}.unit", "bad_shape", "unit must be text")
        if "time" in item:
            time = self._time(item["time"], f"{path}.time")
        else:
            time = default_time
            if not had_time:
                self.problem(f"{path}.time", "missing", "no time for this reading or message")
        status, status_ok = self._status(item.get("status"), f"{path}.status")
        if parameter and unit is not None and value_ok and status_ok and time is not None:
            self.readings.append(JsonReading(parameter, value, unit, time, status, path))

    def _value(self, raw: Any, path: str, present: bool) -> tuple[float | None, bool]:
        if not present:
            self.problem(path, "missing", "value is missing (use null for no value)")
            return None, False
        if raw is None:
            return None, True
        if isinstance(raw, bool):
            self.problem(path, "bad_value", f"value {raw!r} is not a number")
            return None, False
        if isinstance(raw, int | float):
            value = float(raw)
            if math.isfinite(value):
                return value, True
            self.problem(path, "bad_value", f"value {raw!r} is not finite")
            return None, False
        if isinstance(raw, str):
            text = raw.strip()
            if text.count(",") == 1 and "." not in text:
                text = text.replace(",", ".")
            try:
                value = float(text)
            except ValueError:
                value = math.nan
            if math.isfinite(value) and text.isascii() and "_" not in text:
                self.problem(
                    path, "value_as_text", f"value {raw!r} is text; read as {value!r}", "warning"
                )
                return value, True
        self.problem(path, "bad_value", f"value {raw!r} is not a number")
        return None, False

    def _time(self, raw: Any, path: str) -> datetime | None:
        if not isinstance(raw, str):
            self.problem(path, "bad_time", "time must be ISO 8601 text (2026-03-25T00:05+07:00)")
            return None
        try:
            time = datetime.fromisoformat(raw.strip())
        except ValueError:
            self.problem(path, "bad_time", f"time {raw!r} is not ISO 8601")
            return None
        if time.tzinfo is None or time.utcoffset() is None:
            self.problem(path, "no_offset", f"time {raw!r} has no UTC offset; add one, e.g. +07:00")
            return None
        return time

    def _status(self, raw: Any, path: str) -> tuple[str | None, bool]:
        if raw is None:
            return None, True
        if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw <= 99:
            status = f"{raw:02d}"
        elif isinstance(raw, str) and raw.strip():
            status = raw.strip()
        else:
            self.problem(path, "bad_status", f'status {raw!r} must be a code such as "00"')
            return None, False
        if status not in STATUS_MEANINGS:
            self.problem(
                path,
                "unknown_status",
                f"device status {status!r} is not 00 (measuring), 01 (calibrating) or 02 (error)",
                "warning",
            )
        return status, True
