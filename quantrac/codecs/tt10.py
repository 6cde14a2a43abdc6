"""Automatic-monitoring text files of Circular 10/2021/TT-BTNMT ("TT10"), read and written.

Rule: Circular 10/2021 Phụ lục 15 as implemented by public dataloggers (the primary text was not
readable; see shared/reference/tt10-2021-data-transmission.md). A reading is five fields —
parameter, value, unit, time ``YYYYMMDDhhmmss``, device status ``00``/``01``/``02`` (Art. 39:
measuring, calibrating, device fault) — TAB separated, one reading per line or several readings
on one line. Circular 24/2017 Art. 56 files carry the same five fields and the same file name, so
this one codec reads both; the pre-TT24 ``<Station>YYYYMMDDhhmmss.txt`` name is read as legacy.

Pure: bytes in, records out, no I/O. Names and units are reported exactly as written; mapping
them to the catalogue is the standardizer's job. A bad line never stops the other lines: every
defect becomes a `Tt10Problem` naming file, line and field.
"""

from __future__ import annotations

import re
import unicodedata
from codecs import BOM_UTF16_BE, BOM_UTF16_LE
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from math import isfinite
from typing import Literal

from quantrac.errors import CodecError

# The format carries no UTC offset and no source states one (reference, "Time zone": uncertain).
# Every known implementation writes Vietnamese local time, so UTC+07:00 is assumed. Asia/Ho_Chi_Minh
# has kept a fixed +07:00 without daylight saving since 1975, so a fixed offset equals the zone for
# any real file, avoids zoneinfo's pre-1975 history and is cheaper to build.
VIETNAM_TZ: tzinfo = timezone(timedelta(hours=7))

StatusMeaning = Literal["measuring", "calibrating", "error"]
Severity = Literal["error", "warning"]
ProblemField = Literal["filename", "parameter", "value", "unit", "time", "status"]

#: Device status codes, TT10 Art. 39 ("đang đo, hiệu chuẩn, báo lỗi thiết bị").
STATUS_MEANINGS: dict[str, StatusMeaning] = {"00": "measuring", "01": "calibrating", "02": "error"}

#: What `write_tt10` writes for a reading without a value (one public implementation's marker).
MISSING_VALUE = "---"

_TIME_DIGITS = 14
_SPACE_RUN = re.compile(r" {2,}")
_FIELD_NAMES = "parameter, value, unit, time, status"
# Trimmed from names and units: whitespace as str.strip() sees it (none lies above U+3000) plus
# U+FEFF, a stray byte-order mark (e.g. from concatenated files) that is never part of a name.
_PADDING = "".join(c for c in map(chr, range(0x3001)) if c.isspace()) + "\ufeff"


@dataclass(frozen=True, slots=True)
class Tt10FileName:
    """``<Province>_<Facility>_<Station>_<YYYYMMDDhhmmss>.txt``, or legacy ``<Station><time>.txt``.

    Codes are assigned by the receiving Department; they may not hold ``_``, whitespace or path
    separators. Legacy (pre-TT24) names have no province or facility.
    """

    station: str
    time: datetime
    province: str | None = None
    facility: str | None = None

    def __post_init__(self) -> None:
        if (self.province is None) != (self.facility is None):
            raise CodecError("province and facility must both be given or both be omitted")
        for label, code in (("province", self.province), ("facility", self.facility)):
            if code is not None:
                _check_code(label, code)
        _check_code("station", self.station)
        if self.time.tzinfo is None:
            raise CodecError("file-name time must be timezone-aware")

    @property
    def legacy(self) -> bool:
        return self.province is None

    @property
    def station_key(self) -> str:
        """The code the station registry matches, e.g. ``HN_BKHN_KHIKXQ``."""
        if self.province is None:
            return self.station
        return f"{self.province}_{self.facility}_{self.station}"

    def to_filename(self, tz: tzinfo = VIETNAM_TZ) -> str:
        """The file name, with the time written as local time in `tz`."""
        separator = "" if self.legacy else "_"
        return f"{self.station_key}{separator}{_format_time(self.time, tz)}.txt"


@dataclass(frozen=True, slots=True)
class Tt10Reading:
    """One parameter's result: the five Phụ lục 15 fields, plus the line it came from.

    `value` is None when the logger wrote no value (empty or ``---``). `line` is provenance
    (0 when not read from a file) and takes no part in equality.
    """

    parameter: str
    value: float | None
    unit: str
    time: datetime
    status: str
    line: int = field(default=0, compare=False)

    @property
    def status_meaning(self) -> StatusMeaning | None:
        return STATUS_MEANINGS.get(self.status.upper())

    @property
    def status_known(self) -> bool:
        return self.status.upper() in STATUS_MEANINGS


def _reading_builder() -> Callable[[str, float | None, str, datetime, str, int], Tt10Reading]:
    """A positional Tt10Reading constructor for the read loop, about twice as fast as __init__.

    A frozen dataclass __init__ sets each field through object.__setattr__; setting the slots
    through their descriptors does the same thing in half the time, which is ~15 % of reading
    a large file. The result is an ordinary, fully initialised, immutable Tt10Reading.
    """
    slots = [getattr(Tt10Reading, name).__set__ for name in Tt10Reading.__slots__]
    if len(slots) != 6:  # keep in step with the fields above
        raise RuntimeError("Tt10Reading fields changed; update _reading_builder")
    set_parameter, set_value, set_unit, set_time, set_status, set_line = slots
    new = object.__new__

    def build(
        parameter: str, value: float | None, unit: str, time: datetime, status: str, line: int
    ) -> Tt10Reading:
        reading = new(Tt10Reading)
        set_parameter(reading, parameter)
        set_value(reading, value)
        set_unit(reading, unit)
        set_time(reading, time)
        set_status(reading, status)
        set_line(reading, line)
        return reading

    return build


_new_reading = _reading_builder()


@dataclass(frozen=True, slots=True)
class Tt10Problem:
    """A defect found while reading; `line` is None only for whole-file problems.

    Severity ``error``: the reading (or file name) could not be used and is left out.
    Severity ``warning``: the reading is returned as written, but someone should look.
    Codes — per line: field_count, empty_parameter, bad_value, non_finite_value, bad_time,
    decimal_comma (warning), time_mismatch (warning, once per distinct time), unknown_status
    (warning); per file: bad_filename, no_readings, encoding (warning).
    """

    file: str
    line: int | None
    field: ProblemField | None
    code: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = [self.file]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field is not None:
            where.append(f"field {self.field}")
        return f"{', '.join(where)}: {self.severity}: {self.message}"


@dataclass(frozen=True, slots=True)
class Tt10File:
    """A decoded file: what could be read, and every problem met on the way."""

    filename: str
    name: Tt10FileName | None
    readings: tuple[Tt10Reading, ...]
    problems: tuple[Tt10Problem, ...] = ()
    encoding: str = "utf-8"

    @classmethod
    def new(
        cls, name: Tt10FileName, readings: Iterable[Tt10Reading], tz: tzinfo = VIETNAM_TZ
    ) -> Tt10File:
        """A file to write: its name rendered in `tz`, no problems."""
        return cls(name.to_filename(tz), name, tuple(readings))

    @property
    def errors(self) -> tuple[Tt10Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Tt10Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")


# --------------------------------------------------------------------------- file names


def parse_filename(name: str, *, tz: tzinfo = VIETNAM_TZ) -> Tt10FileName:
    """Split a TT10/TT24 file name into its codes and time (local time in `tz`).

    Accepts a path (only the last component is read) and ``.txt`` in any case. Raises
    CodecError naming the file when the name fits neither the current nor the legacy form.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    try:
        if base[-4:].lower() != ".txt":
            raise CodecError("file name must end in .txt")
        return _split_stem(base[:-4], tz)
    except CodecError as exc:
        raise CodecError(exc.message, file=name, field="filename") from None


def _split_stem(stem: str, tz: tzinfo) -> Tt10FileName:
    if "_" in stem:
        parts = stem.split("_")
        if len(parts) != 4:
            raise CodecError(
                f"expected 4 parts <Province>_<Facility>_<Station>_<YYYYMMDDhhmmss>, "
                f"found {len(parts)}"
            )
        province, facility, station, stamp = parts
        return Tt10FileName(station, _parse_stamp(stamp, tz), province, facility)
    station, stamp = stem[:-_TIME_DIGITS], stem[-_TIME_DIGITS:]
    if not station:
        raise CodecError(
            "expected <Province>_<Facility>_<Station>_<YYYYMMDDhhmmss>.txt "
            "or legacy <Station>YYYYMMDDhhmmss.txt"
        )
    return Tt10FileName(station, _parse_stamp(stamp, tz))


def tt10_filename(
    province: str, facility: str, station: str, time: datetime, *, tz: tzinfo = VIETNAM_TZ
) -> str:
    """Build ``<Province>_<Facility>_<Station>_<YYYYMMDDhhmmss>.txt`` with `time` as local time."""
    return Tt10FileName(station, time, province, facility).to_filename(tz)


def _check_code(label: str, code: str) -> None:
    bad = not code or any(
        c == "_" or c in "/\\" or c.isspace() or not c.isprintable() for c in code
    )
    if bad:
        raise CodecError(
            f"{label} code {code!r} must be non-empty, without '_', spaces or path separators"
        )


def _parse_stamp(stamp: str, tz: tzinfo) -> datetime:
    """``YYYYMMDDhhmmss`` (14 ASCII digits, 24-hour clock) as an aware datetime in `tz`."""
    if len(stamp) != _TIME_DIGITS or not (stamp.isascii() and stamp.isdigit()):
        raise CodecError(f"time {stamp!r} is not YYYYMMDDhhmmss")
    try:
        return datetime(
            int(stamp[0:4]),
            int(stamp[4:6]),
            int(stamp[6:8]),
            int(stamp[8:10]),
            int(stamp[10:12]),
            int(stamp[12:14]),
            tzinfo=tz,
        )
    except ValueError as exc:
        raise CodecError(f"time {stamp} is not a real date and time ({exc})") from None


def _format_time(time: datetime, tz: tzinfo) -> str:
    """``YYYYMMDDhhmmss`` of `time` as local time in `tz` (the format holds whole seconds)."""
    if time.tzinfo is None:
        message = f"time {time.isoformat()} has no time zone; refusing to guess one"
    elif time.microsecond:
        message = f"time {time.isoformat()} has sub-second digits the format cannot hold"
    else:
        try:
            local = time if time.tzinfo is tz else time.astimezone(tz)
        except OverflowError:
            message = f"time {time.isoformat()} is out of range in the target zone"
        else:
            return (
                f"{local.year:04d}{local.month:02d}{local.day:02d}"
                f"{local.hour:02d}{local.minute:02d}{local.second:02d}"
            )
    raise CodecError(message, field="time")


# --------------------------------------------------------------------------- reading


def read_tt10(data: bytes, filename: str, *, tz: tzinfo = VIETNAM_TZ) -> Tt10File:
    """Decode one TT10 (or TT24/2017) data file; never raises for bad content.

    Accepts TAB or runs of 2+ spaces between fields (names may hold single spaces), CRLF/LF/CR,
    UTF-8 with or without BOM (else UTF-16 with BOM, cp1258 or latin-1, with a warning), blank
    lines, surrounding whitespace, one or many 5-field groups per line. Times are local in `tz`.
    """
    reader = _Reader(filename, tz)
    text = reader.decode(data)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Locals for the hot loop (a global lookup per name per line would cost ~10 % here).
    known_times, statuses, append = reader.known_times, STATUS_MEANINGS, reader.readings.append
    new_reading, finite, number, padding = _new_reading, isfinite, float, _PADDING
    for lineno, line in enumerate(text.split("\n"), 1):
        fields = line.split("\t")
        if len(fields) != 5:
            reader.add_line(lineno, line)
            continue
        # Fast path for the common line: one reading, every field plain. Anything it does not
        # accept outright goes to add_group, the one place that judges fields and reports problems.
        name, raw_value, unit, raw_time, status = fields
        parameter = name.strip(padding)
        time = known_times.get(raw_time)
        try:
            value = number(raw_value)
        except ValueError:
            value = None
        if (
            time is None
            or not parameter
            or status not in statuses
            or value is None
            or not finite(value)
            or not raw_value.isascii()
            or "_" in raw_value
        ):
            reader.add_group(lineno, fields)
        else:
            append(new_reading(parameter, value, unit.strip(padding), time, status, lineno))
    return reader.result()


class _Reader:
    """Per-file state: what was found, and the few distinct times a file holds, parsed once."""

    __slots__ = ("encoding", "file", "known_times", "name", "problems", "readings", "tz")

    def __init__(self, filename: str, tz: tzinfo) -> None:
        self.file = filename
        self.tz = tz
        self.encoding = "utf-8"
        self.readings: list[Tt10Reading] = []
        self.problems: list[Tt10Problem] = []
        # Time text -> time, for texts already parsed and reported; bad times never enter.
        self.known_times: dict[str, datetime] = {}
        try:
            self.name: Tt10FileName | None = parse_filename(filename, tz=tz)
        except CodecError as exc:
            self.name = None
            self._problem(None, "filename", "bad_filename", exc.message)

    def _problem(
        self,
        line: int | None,
        field_name: ProblemField | None,
        code: str,
        message: str,
        severity: Severity = "error",
    ) -> None:
        self.problems.append(Tt10Problem(self.file, line, field_name, code, message, severity))

    def decode(self, data: bytes) -> str:
        """UTF-8 (BOM stripped) as implementations write; older Windows encodings as fallbacks."""
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            bad_at = exc.start
        head = data[:bad_at]
        line = head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") + 1
        if data.startswith((BOM_UTF16_LE, BOM_UTF16_BE)):
            try:
                text = data.decode("utf-16")
            except UnicodeDecodeError:
                pass
            else:
                self._recoded("utf-16", "file has a UTF-16 byte-order mark")
                return text
        try:
            # cp1258 writes Vietnamese tones as combining marks; NFC gives the text a UTF-8
            # logger would have written for the same name.
            text = unicodedata.normalize("NFC", data.decode("cp1258"))
            self._recoded("cp1258", f"byte {bad_at} (line {line}) is not UTF-8")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
            self._recoded("latin-1", f"byte {bad_at} (line {line}) is not UTF-8 nor cp1258")
        return text

    def _recoded(self, encoding: str, why: str) -> None:
        self.encoding = encoding
        self._problem(
            None,
            None,
            "encoding",
            f"{why}; decoded as {encoding} — check names and units",
            "warning",
        )

    def add_line(self, lineno: int, line: str) -> None:
        """Any line but a plain 5-field TAB line: blank, padded, space-separated or multi-group."""
        stripped = line.strip(_PADDING)
        if not stripped:
            return
        fields = stripped.split("\t") if "\t" in stripped else _space_fields(stripped)
        if len(fields) % 5:
            self._problem(
                lineno,
                None,
                "field_count",
                f"line has {len(fields)} field(s); each reading needs 5 ({_FIELD_NAMES}) "
                "and a line may hold several readings only as whole groups of 5",
            )
            return
        for start in range(0, len(fields), 5):
            self.add_group(lineno, fields[start : start + 5])

    def add_group(self, lineno: int, fields: list[str]) -> None:
        """One 5-field group: keep it as a reading unless a field is unusable."""
        name, raw_value, unit, raw_time, raw_status = fields
        usable = True
        parameter = name.strip(_PADDING)
        if not parameter:
            usable = False
            self._problem(lineno, "parameter", "empty_parameter", "parameter name is empty")
        value, ok = self._value(lineno, raw_value)
        usable = usable and ok
        time = self._time(lineno, raw_time)
        status = raw_status
        if status not in STATUS_MEANINGS:
            status = self._odd_status(lineno, raw_status)
        if usable and time is not None:
            unit = unit.strip(_PADDING)
            self.readings.append(_new_reading(parameter, value, unit, time, status, lineno))

    def _value(self, lineno: int, raw: str) -> tuple[float | None, bool]:
        """A decimal number, a missing marker, a decimal comma or garbage: (value, usable)."""
        try:
            value = float(raw)
        except ValueError:
            pass
        else:
            # float() also takes "1_0", "inf", "nan" and non-ASCII digits; those are judged below.
            if isfinite(value) and raw.isascii() and "_" not in raw:
                return value, True
        text = raw.strip()
        if not text or not text.strip("-"):
            return None, True  # empty or ---: the logger had no value
        if text.count(",") == 1 and "." not in text and text.isascii() and "_" not in text:
            try:
                value = float(text.replace(",", "."))
            except ValueError:
                pass
            else:
                if isfinite(value):
                    self._problem(
                        lineno,
                        "value",
                        "decimal_comma",
                        f"value {raw!r} uses a decimal comma; read as {value!r}",
                        "warning",
                    )
                    return value, True
        try:
            number = float(text) if text.isascii() and "_" not in text else None
        except ValueError:
            number = None
        if number is not None and not isfinite(number):
            self._problem(lineno, "value", "non_finite_value", f"value {raw!r} is not finite")
        else:
            self._problem(lineno, "value", "bad_value", f"value {raw!r} is not a number")
        return None, False

    def _time(self, lineno: int, raw: str) -> datetime | None:
        """Parse a time text once per file; a mismatch with the file name is reported once.

        Loggers repeat one time on every line, so one warning per distinct time (at its first
        line) tells the operator as much as one per line, without burying other problems.
        """
        time = self.known_times.get(raw)
        if time is not None:
            return time
        try:
            time = _parse_stamp(raw.strip(), self.tz)
        except CodecError as exc:
            self._problem(lineno, "time", "bad_time", exc.message)
            return None
        if self.name is not None and time != self.name.time:
            self._problem(
                lineno,
                "time",
                "time_mismatch",
                f"measurement time {raw.strip()} differs from the file-name time "
                f"{_format_time(self.name.time, self.tz)} (reported at its first line only)",
                "warning",
            )
        self.known_times[raw] = time
        return time

    def _odd_status(self, lineno: int, raw: str) -> str:
        status = raw.strip()
        if status.upper() not in STATUS_MEANINGS:
            self._problem(
                lineno,
                "status",
                "unknown_status",
                f"device status {status!r} is not 00 (measuring), 01 (calibrating) or 02 (error)",
                "warning",
            )
        return status

    def result(self) -> Tt10File:
        if not self.readings:
            self._problem(None, None, "no_readings", "file holds no usable reading")
        return Tt10File(
            self.file, self.name, tuple(self.readings), tuple(self.problems), self.encoding
        )


def _space_fields(line: str) -> list[str]:
    """Fields of a line separated by runs of 2+ spaces.

    Such a line cannot show an empty unit as an empty field, so a group whose third token is
    already a time (14 digits) is read as having an empty unit.
    """
    tokens = _SPACE_RUN.split(line)
    fields: list[str] = []
    i, n = 0, len(tokens)
    while i < n:
        if i + 5 <= n and _looks_like_time(tokens[i + 3]):
            fields.extend(tokens[i : i + 5])
            i += 5
        elif i + 4 <= n and _looks_like_time(tokens[i + 2]):
            fields.extend((tokens[i], tokens[i + 1], "", tokens[i + 2], tokens[i + 3]))
            i += 4
        else:
            return tokens  # not recognisable: let the caller judge the raw count
    return fields


def _looks_like_time(token: str) -> bool:
    return len(token) == _TIME_DIGITS and token.isascii() and token.isdigit()


# --------------------------------------------------------------------------- writing


def write_tt10(file: Tt10File, *, tz: tzinfo = VIETNAM_TZ) -> bytes:
    """One TAB-separated line per reading, CRLF, UTF-8 without BOM, times local in `tz`.

    The layout the Python and Arduino implementations write (Phụ lục 15 as implemented).
    Values use the shortest text that reads back to the same float, never an exponent; a
    missing value is written ``---``. Raises CodecError for what the format cannot carry.
    """
    stamps: dict[datetime, str] = {}
    lines: list[str] = []
    for lineno, reading in enumerate(file.readings, 1):
        stamp = stamps.get(reading.time)
        try:
            if stamp is None:
                stamp = stamps[reading.time] = _format_time(reading.time, tz)
            _check_text(reading.parameter, "parameter", allow_empty=False)
            _check_text(reading.unit, "unit", allow_empty=True)
            _check_status(reading.status)
            value = _format_value(reading.value)
        except CodecError as exc:
            raise CodecError(exc.message, file.filename, lineno, exc.field) from None
        lines.append(f"{reading.parameter}\t{value}\t{reading.unit}\t{stamp}\t{reading.status}")
    text = "".join(f"{line}\r\n" for line in lines)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        line = text.count("\n", 0, exc.start) + 1
        raise CodecError("text cannot be encoded as UTF-8", file.filename, line) from None


def _check_text(text: str, label: ProblemField, *, allow_empty: bool) -> None:
    """Refuse what would not read back the same: separators, line breaks, padding, edge BOMs."""
    if not text and not allow_empty:
        raise CodecError(f"{label} is empty", field=label)
    if text != text.strip(_PADDING) or any(c in "\t\r\n" for c in text):
        raise CodecError(f"{label} {text!r} holds a tab, line break or padding", field=label)


def _check_status(status: str) -> None:
    if not status or any(c.isspace() for c in status):
        raise CodecError(
            f"status {status!r} must be a non-empty code without spaces", field="status"
        )


def _format_value(value: float | None) -> str:
    if value is None:
        return MISSING_VALUE
    number = float(value)
    if not isfinite(number):
        raise CodecError(f"value {number!r} is not finite", field="value")
    text = repr(number)
    return format(Decimal(text), "f") if "e" in text else text
