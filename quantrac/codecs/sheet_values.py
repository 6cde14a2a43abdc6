"""Cell values of lab spreadsheets: result numbers with qualifiers, and sampling dates.

Labs type results by hand, so one column can hold ``0,05``, ``<0.05``, ``KPH`` and ``2,4x10^3``.
Every function here is total: it returns a value or an explanation, never raises, and never turns
a non-detect into zero.

Decimal marks (qcvn-limits.md: Vietnamese sources write ``30.000`` = 30000 and ``0,05`` = 0.05):

* Unambiguous forms are read the same in every style: ``0,05`` and ``0.021`` (integer part 0),
  ``12,5`` and ``8.28`` (not exactly three digits after the mark), ``1.234,5`` and
  ``1.234.567`` (dot thousands), ``1,234.5`` (comma thousands), ``30 000`` (space groups).
* The only ambiguous form is one mark followed by exactly three digits after a 1–3 digit integer
  part without a leading zero: ``30.000``, ``23.253``, ``2,400``. ``number_style="vi"`` reads a
  dot there as thousands and a comma as decimal; ``"en"`` the reverse. ``"auto"`` (default) never
  guesses thousands: it reads the mark as a decimal mark only when the same column writes
  unambiguous decimals with that mark and never with the other (see `resolve_ambiguous`);
  otherwise the cell is reported as ambiguous.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Literal

NumberStyle = Literal["auto", "vi", "en"]
Qualifier = Literal["<", ">", "ND"]

#: Spellings of "not detected" (Vietnamese KPH = "không phát hiện"), compared after `fold`
#: with spaces and dots removed.
ND_WORDS = frozenset(
    {"kph", "kphd", "nd", "khongphathien", "notdetected", "bdl", "<lod", "<mdl", "<dl"}
)
#: Cells meaning "not analysed": no result, and not a problem either.
MISSING_WORDS = frozenset({"-", "--", "---", "–", "—", "/", "n/a", "na", "kxd", "khongxacdinh"})

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
_INT = re.compile(r"[+-]?\d+")
_ONE_MARK = re.compile(r"([+-]?)(\d*)([.,])(\d+)")
_AMBIGUOUS_INT = re.compile(r"[1-9]\d{0,2}")
_DOT_GROUPS = re.compile(r"[+-]?[1-9]\d{0,2}(?:\.\d{3})+(?:,\d+)?")
_COMMA_GROUPS = re.compile(r"[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?")
_SPACE_GROUPS = re.compile(r"[+-]?[1-9]\d{0,2}(?: \d{3})+(?:[.,]\d+)?")
_SCIENTIFIC = re.compile(r"([+-]?\d*[.,]?\d+)\s*[eE]\s*([+-]?\d{1,3})")
# "2,4x10^3", "2.4×103", "2,4.10^3", "2,4.10³": a dot means "times" only before ^ or superscripts.
_TIMES_TEN = re.compile(
    r"([+-]?\d*[.,]?\d+)\s*(?:[x×*]\s*10\s*\^?|\.\s*10\s*\^|\.\s*10(?=[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]))"
    r"\s*([+-]?\d{1,3}|[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,3})"
)
_QUALIFIED = re.compile(r"(<=|>=|≤|≥|<|>)\s*(.+)")
_TRAILING_NOTE = re.compile(r"(.*?)\s*\(([^()]*)\)")
_LEADING_NUMBER = re.compile(r"[<>]?\s*[+-]?\d[\d.,]*")
_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1"})
_QUALIFIERS: dict[str, Qualifier] = {"<": "<", "<=": "<", "≤": "<", ">": ">", ">=": ">", "≥": ">"}
_VALUE_HINT = "write a number such as 0.05, '<0.05' below the detection limit, or 'KPH'"


def fold(text: str) -> str:
    """Lower-case ASCII skeleton of Vietnamese text, so 'Ký hiệu' and 'KY HIEU' compare equal."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@dataclass(frozen=True, slots=True)
class CellValue:
    """One parsed result cell; `value` is None when the cell is empty, non-detect or invalid.

    `decimal_mark` is the mark this text proves the column uses ('.' or ','); `ambiguous` is the
    mark of an unresolved ``30.000``-style text, with `readings` = (as decimal, as thousands).
    """

    value: float | None = None
    qualifier: Qualifier | None = None
    detection_limit: float | None = None
    error: str | None = None
    suggestion: str | None = None
    decimal_mark: str | None = None
    ambiguous: str | None = None
    readings: tuple[float, float] | None = None

    @property
    def is_empty(self) -> bool:
        return (
            self.value is None
            and self.qualifier is None
            and self.error is None
            and self.ambiguous is None
        )


_EMPTY = CellValue()


def parse_value(raw: object, style: NumberStyle = "auto") -> CellValue:
    """Read one result cell: a number, ``<x``/``>x``, a non-detect word, or an explanation.

    ``<0,05`` → value and detection limit 0.05 with qualifier '<' (``≤``/``<=`` too);
    ``>2400`` → 2400 with '>'; ``KPH``/``ND``/``không phát hiện`` → qualifier 'ND' and no value
    (with a limit if one follows: ``KPH (<0,05)``). '-', '—', 'N/A', 'KXĐ' mean not analysed:
    no result, no problem. A plain 0 stays 0: deciding it was a non-detect is not a codec's job.
    """
    if raw is None:
        return _EMPTY
    if isinstance(raw, bool):
        return CellValue(
            error=f"'{raw}' is a true/false cell, not a result", suggestion=_VALUE_HINT
        )
    if isinstance(raw, int | float):
        if math.isfinite(raw):
            return CellValue(float(raw))
        return CellValue(error="not a finite number", suggestion=_VALUE_HINT)
    if isinstance(raw, datetime | date | time | timedelta):
        return CellValue(error="a date or time in a result cell", suggestion=_VALUE_HINT)
    text = _SPACES.sub(" ", str(raw)).strip().replace("−", "-")
    if not text:
        return _EMPTY
    if len(text) > 60:
        return CellValue(error="text in a result cell", suggestion=_VALUE_HINT)
    cell = _parse_text(text)
    if cell.ambiguous is not None and style != "auto":
        thousands = (cell.ambiguous == ".") == (style == "vi")
        return _settle(cell, thousands)
    return cell


def resolve_ambiguous(cell: CellValue, column_marks: set[str]) -> CellValue:
    """Settle a ``30.000``-style cell in auto style from the decimal marks seen in its column.

    A dot is taken as a decimal mark only when the column also writes unambiguous dot decimals
    (``8.28``) and no comma decimals; likewise for a comma. Thousands are never guessed.
    """
    mark = cell.ambiguous
    if mark is None or cell.readings is None:
        return cell
    if column_marks == {mark}:
        return _settle(cell, thousands=False)
    as_decimal, as_thousands = cell.readings
    other = "," if mark == "." else "."
    style = "vi" if mark == "." else "en"
    likely = ""
    if column_marks == {other}:
        likely = f" This column writes decimals with '{other}', so it is probably {as_thousands:g}."
    return replace(
        cell,
        error=(
            f"ambiguous number: {as_decimal:g} if '{mark}' is a decimal mark, "
            f"{as_thousands:g} if it separates thousands.{likely}"
        ),
        suggestion=(
            f"write the number without a thousands separator, or re-import with "
            f"number_style='{style}' if this lab writes {as_thousands:g} that way"
        ),
    )


def _settle(cell: CellValue, thousands: bool) -> CellValue:
    if cell.readings is None:
        return cell
    number = cell.readings[1] if thousands else cell.readings[0]
    limit = number if cell.qualifier == "<" else cell.detection_limit
    return replace(cell, value=number, detection_limit=limit, ambiguous=None, readings=None)


def _parse_text(text: str) -> CellValue:
    number = _parse_number(text)
    if number is not None:
        return number
    key = fold(text).replace(" ", "").replace(".", "")
    if key in ND_WORDS:
        return CellValue(qualifier="ND")
    if key in MISSING_WORDS or text in MISSING_WORDS:
        return _EMPTY
    qualified = _QUALIFIED.fullmatch(text)
    if qualified:
        inner = _without_nd_note(qualified.group(2))
        number = _parse_number(inner)
        if number is None:
            return _invalid(text)
        qualifier = _QUALIFIERS[qualified.group(1)]
        limit = number.value if qualifier == "<" else None
        return replace(number, qualifier=qualifier, detection_limit=limit)
    return _non_detect_with_limit(text) or _invalid(text)


def _without_nd_note(text: str) -> str:
    """'0,05 (KPH)' → '0,05': the note repeats what the '<' already says."""
    noted = _TRAILING_NOTE.fullmatch(text)
    if noted and fold(noted.group(2)).replace(" ", "").replace(".", "") in ND_WORDS:
        return noted.group(1)
    return text


def _non_detect_with_limit(text: str) -> CellValue | None:
    """'KPH (<0,05)', 'ND (LOD=0.05)', 'KPH<0.05' → ND with its detection limit."""
    noted = _TRAILING_NOTE.fullmatch(text)
    if noted:
        word, note = noted.group(1), noted.group(2)
    else:
        split = re.fullmatch(r"([^\d<]+?)\s*(<.*)", text)
        if not split:
            return None
        word, note = split.group(1), split.group(2)
    if fold(word).replace(" ", "").replace(".", "") not in ND_WORDS:
        return None
    limit_text = re.sub(r"^(?:lod|mdl|dl|ghph)?\s*[=:]?\s*[<≤]?\s*", "", fold(note).strip())
    number = _parse_number(limit_text)
    if number is None or number.value is None:
        return None
    return replace(number, value=None, qualifier="ND", detection_limit=number.value)


def _parse_number(text: str) -> CellValue | None:
    """A bare number in any of the forms in the module docstring, or None if it is not one."""
    if _INT.fullmatch(text):
        return CellValue(float(text))
    one = _ONE_MARK.fullmatch(text)
    if one:
        sign, whole, mark, frac = one.groups()
        as_decimal = float(f"{sign}{whole or '0'}.{frac}")
        if len(frac) == 3 and _AMBIGUOUS_INT.fullmatch(whole):
            readings = (as_decimal, float(f"{sign}{whole}{frac}"))
            return CellValue(ambiguous=mark, readings=readings)
        return CellValue(as_decimal, decimal_mark=mark)
    if _DOT_GROUPS.fullmatch(text):
        return CellValue(float(text.replace(".", "").replace(",", ".")), decimal_mark=",")
    if _COMMA_GROUPS.fullmatch(text):
        return CellValue(float(text.replace(",", "")), decimal_mark=".")
    if _SPACE_GROUPS.fullmatch(text):
        mark = "," if "," in text else ("." if "." in text else None)
        return CellValue(float(text.replace(" ", "").replace(",", ".")), decimal_mark=mark)
    powered = _SCIENTIFIC.fullmatch(text) or _TIMES_TEN.fullmatch(text)
    if powered:
        exponent = int(powered.group(2).translate(_SUPERSCRIPT))
        # Through the decimal text, so 9,3x10^2 is exactly 930 (9.3 * 100 is not).
        number = float(f"{powered.group(1).replace(',', '.')}e{exponent}")
        return CellValue(number) if math.isfinite(number) else None
    return None


def _invalid(text: str) -> CellValue:
    """Explain a cell that is not a result, with the most likely fix."""
    lookalike = text.translate(_LOOKALIKES)
    if lookalike != text and _parse_number(lookalike) is not None:
        return CellValue(error="text in a result cell", suggestion=f"did you mean {lookalike}?")
    leading = _LEADING_NUMBER.match(text)
    if leading and leading.end() < len(text):
        rest = text[leading.end() :].strip()
        if rest[:1] in {"-", "–", "÷", "~"}:
            hint = "give one value per cell, not a range"
        else:
            hint = f"remove '{rest}' from the cell (units belong in the header)"
        return CellValue(error="text in a result cell", suggestion=hint)
    return CellValue(error="text in a result cell", suggestion=_VALUE_HINT)


# --- dates -------------------------------------------------------------------------------------

#: Excel serial numbers accepted as dates: 1950-01-01 .. 2099-12-31 (1900 date system).
_SERIAL_MIN, _SERIAL_MAX = 18264, 73050
_EXCEL_EPOCH = datetime(1899, 12, 30)
_TIME = r"(\d{1,2})\s*[:hH]\s*(\d{2})?(?::(\d{2}))?"
_DAY_FIRST = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{2}|\d{4})(?:[ T,]+" + _TIME + ")?")
_YEAR_FIRST = re.compile(r"(\d{4})([/.-])(\d{1,2})\2(\d{1,2})(?:[ T]+" + _TIME + ")?")
_TIME_ONLY = re.compile(_TIME)
_WORDS_DATE = re.compile(r"ngay (\d{1,2}) thang (\d{1,2}) nam (\d{4})")
_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")
_DATE_HINT = "write dates day first as dd/mm/yyyy (optionally with hh:mm), or as yyyy-mm-dd"


@dataclass(frozen=True, slots=True)
class WhenValue:
    """A sampling date and/or time of day as written (naive local time), or an explanation."""

    day: date | None = None
    clock: time | None = None
    error: str | None = None
    suggestion: str | None = None


def parse_when(raw: object) -> WhenValue:
    """Read a date, date-time or time-of-day cell; day first always (Vietnamese convention).

    An Excel date-time at exactly midnight is taken as a date without a time: Excel cannot tell
    the two apart, and a 00:00 sampling time is far rarer than a date-only cell.
    """
    if raw is None:
        return WhenValue()
    if isinstance(raw, datetime):
        return _from_datetime(raw)
    if isinstance(raw, date):
        return WhenValue(raw)
    if isinstance(raw, time):
        return WhenValue(clock=raw.replace(microsecond=0))
    if isinstance(raw, timedelta):
        return _from_serial(raw.total_seconds() / 86400)
    if isinstance(raw, bool):
        return WhenValue(error="not a date", suggestion=_DATE_HINT)
    if isinstance(raw, int | float):
        return _from_serial(float(raw))
    text = _SPACES.sub(" ", str(raw)).strip()
    if not text:
        return WhenValue()
    return _when_from_text(text)


def _when_from_text(text: str) -> WhenValue:
    day_first = _DAY_FIRST.fullmatch(text)
    if day_first:
        d, _, m, y, *clock = day_first.groups()
        return _build(text, int(y), int(m), int(d), clock, day_first_order=True)
    year_first = _YEAR_FIRST.fullmatch(text)
    if year_first:
        y, _, m, d, *clock = year_first.groups()
        return _build(text, int(y), int(m), int(d), clock, day_first_order=False)
    words = _WORDS_DATE.fullmatch(fold(text))
    if words:
        d, m, y = words.groups()
        return _build(text, int(y), int(m), int(d), [None, None, None], day_first_order=True)
    only = _TIME_ONLY.fullmatch(text)
    if only:
        clock_value = _clock(only.groups())
        if clock_value is None:
            return WhenValue(error=f"'{text}' is not a valid time of day", suggestion="use hh:mm")
        return WhenValue(clock=clock_value)
    if _SERIAL.fullmatch(text):
        return _from_serial(float(text))
    return WhenValue(error=f"'{text}' is not a date", suggestion=_DATE_HINT)


def _build(
    text: str, y: int, m: int, d: int, clock_parts: list[str | None], *, day_first_order: bool
) -> WhenValue:
    if y < 100:
        return WhenValue(
            error=f"'{text}' has a two-digit year", suggestion="write the year with four digits"
        )
    try:
        day = date(y, m, d)
    except ValueError:
        return _bad_date(text, y, m, d, day_first_order)
    if not 1900 <= y <= 2100:
        return WhenValue(error=f"year {y} is out of range", suggestion=_DATE_HINT)
    if clock_parts[0] is None:
        return WhenValue(day)
    clock_value = _clock(clock_parts)
    if clock_value is None:
        return WhenValue(error=f"'{text}' has an invalid time of day", suggestion="use hh:mm")
    return WhenValue(day, clock_value)


def _bad_date(text: str, y: int, m: int, d: int, day_first_order: bool) -> WhenValue:
    order = "dd/mm/yyyy (day first)" if day_first_order else "yyyy-mm-dd"
    message = f"'{text}' is not a valid date read as {order}"
    suggestion = _DATE_HINT
    if day_first_order and m > 12 >= d:
        try:
            swapped = date(y, d, m)
        except ValueError:
            pass
        else:
            suggestion = f"write it day first: {swapped:%d/%m/%Y}"
    return WhenValue(error=message, suggestion=suggestion)


def _clock(parts: list[str | None] | tuple[str | None, ...]) -> time | None:
    hour, minute, second = (int(p) if p else 0 for p in parts[:3])
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second)


def _from_datetime(value: datetime) -> WhenValue:
    value = (value + timedelta(microseconds=500_000)).replace(microsecond=0, tzinfo=None)
    clock = value.time()
    return WhenValue(value.date(), None if clock == time(0) else clock)


def _from_serial(serial: float) -> WhenValue:
    """Excel serial day numbers (1900 date system): 0 ≤ x < 1 is a time of day."""
    if not math.isfinite(serial) or serial < 0:
        return WhenValue(error=f"{serial:g} is not a date", suggestion=_DATE_HINT)
    if serial < 1:
        moment = _from_datetime(_EXCEL_EPOCH + timedelta(days=serial))
        return WhenValue(clock=moment.clock or time(0))
    if not _SERIAL_MIN <= serial <= _SERIAL_MAX:
        return WhenValue(error=f"{serial:g} is not a date", suggestion=_DATE_HINT)
    return _from_datetime(_EXCEL_EPOCH + timedelta(days=serial))
