"""VN_AQI and VN_WQI tables as validated package data.

The numbers live in four CSV files copied from the reference pack (each cites its source in a
'#' header): Decision 1459/QĐ-TCMT Bảng 1 and Bảng 2 (`vn_aqi_categories.csv`,
`vn_aqi_breakpoints.csv`) and Decision 1460/QĐ-TCMT Bảng 1 and the sub-index tables
(`vn_wqi_categories.csv`, `vn_wqi_tables.csv`). They are read once (lru_cache) and checked
row by row, so a bad edit fails at load time with `CatalogError(file, line, message)` instead of
producing a wrong index later. The `parse_*` functions take the file text so tests can feed a
malformed file through the same checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from types import MappingProxyType

from quantrac.catalog.csvdata import parse_float, read_rows
from quantrac.errors import CatalogError

AQI_BREAKPOINTS_FILE = "vn_aqi_breakpoints.csv"
AQI_CATEGORIES_FILE = "vn_aqi_categories.csv"
WQI_TABLES_FILE = "vn_wqi_tables.csv"
WQI_CATEGORIES_FILE = "vn_wqi_categories.csv"

#: Concentration columns of Decision 1459 Bảng 2, as named in the CSV (µg/m³).
AQI_COLUMNS = ("o3_1h", "o3_8h", "co", "so2", "no2", "pm10", "pm25")

#: VN_WQI parameter groups of Decision 1460 (I pH, II pesticides, III metals,
#: IV organics and nutrients, V microbiology).
WQI_GROUPS = ("I", "II", "III", "IV", "V")

#: Comparison codes of `vn_wqi_tables.csv`: how a row's breakpoint bounds its sub-index.
WQI_OPS = ("le", "lt", "eq", "ge", "gt")


@dataclass(frozen=True, slots=True)
class IndexCategory:
    """One band of an index scale (Decision 1459 Bảng 1 / Decision 1460 Bảng 1).

    `minimum`/`maximum` are inclusive integer index values; the published index is an integer.
    """

    minimum: int
    maximum: int
    label_vi: str
    label_en: str
    rgb: tuple[int, int, int]
    colour_vi: str | None = None

    @property
    def hex(self) -> str:
        """'#RRGGBB' for web pages and maps."""
        return "#{:02X}{:02X}{:02X}".format(*self.rgb)

    def contains(self, value: int) -> bool:
        return self.minimum <= value <= self.maximum


@dataclass(frozen=True, slots=True)
class AqiColumn:
    """The breakpoints BPi and index values Ii of one Bảng 2 column, for the defined levels only.

    `open_ended` is True when the column's last breakpoint is printed as a lower bound ("≥",
    level 8): concentrations above it are still this column's business (the caller decides how
    to treat them). A column that stops earlier (O3 8h stops at level 6 = 400 µg/m³) is not
    open-ended: above its last breakpoint the decision defines no index.
    """

    name: str
    breakpoints: tuple[float, ...]
    indices: tuple[float, ...]
    open_ended: bool


@dataclass(frozen=True, slots=True)
class WqiRow:
    """One row of a VN_WQI sub-index table: sub-index `q` at concentration `bp`.

    `op` says how the row bounds the curve: "le"/"lt" on the first row (at or below / strictly
    below bp → q), "ge"/"gt" on the last row (at or above / strictly above bp → q), "eq" an
    interpolation node.
    """

    row: int
    q: float
    bp: float
    op: str


@dataclass(frozen=True, slots=True)
class WqiTable:
    """The sub-index curve of one VN_WQI parameter (Decision 1460, as reconstructed)."""

    group: str
    parameter: str
    unit: str
    rows: tuple[WqiRow, ...]


def _category_ints(file: str, line: int, row: Mapping[str, str], field: str) -> int:
    cell = row[field]
    try:
        return int(cell)
    except ValueError:
        raise CatalogError(file, line, f"{field}: {cell!r} is not an integer") from None


def _parse_categories(
    file: str, text: str | None, lo_field: str, hi_field: str, colour_field: str | None
) -> tuple[IndexCategory, ...]:
    """Shared reader for both category files: contiguous integer bands from 0 upwards."""
    required = [lo_field, hi_field, "label_vi", "label_en", "r", "g", "b"]
    if colour_field:
        required.append(colour_field)
    found: list[tuple[int, IndexCategory]] = []
    for line, row in read_rows(file, required, text):
        lo = _category_ints(file, line, row, lo_field)
        hi = _category_ints(file, line, row, hi_field)
        rgb = (
            _category_ints(file, line, row, "r"),
            _category_ints(file, line, row, "g"),
            _category_ints(file, line, row, "b"),
        )
        if hi < lo:
            raise CatalogError(file, line, f"{hi_field} {hi} is below {lo_field} {lo}")
        if any(not 0 <= c <= 255 for c in rgb):
            raise CatalogError(file, line, f"RGB {rgb} outside 0..255")
        if not row["label_vi"] or not row["label_en"]:
            raise CatalogError(file, line, "empty label")
        colour = row[colour_field] if colour_field else None
        category = IndexCategory(lo, hi, row["label_vi"], row["label_en"], rgb, colour)
        found.append((line, category))
    if not found:
        raise CatalogError(file, 1, "no categories")
    found.sort(key=lambda item: item[1].minimum)
    if found[0][1].minimum != 0:
        raise CatalogError(file, found[0][0], "the lowest band must start at 0")
    for (_, below), (line, above) in pairwise(found):
        if above.minimum != below.maximum + 1:
            raise CatalogError(
                file,
                line,
                f"band {above.minimum}-{above.maximum} does not follow "
                f"{below.minimum}-{below.maximum} without gap or overlap",
            )
    return tuple(category for _, category in found)


def parse_aqi_categories(text: str | None = None) -> tuple[IndexCategory, ...]:
    """Decision 1459/QĐ-TCMT Bảng 1: AQI bands, labels and RGB colours, lowest band first."""
    return _parse_categories(AQI_CATEGORIES_FILE, text, "aqi_min", "aqi_max", "colour_vi")


def parse_wqi_categories(text: str | None = None) -> tuple[IndexCategory, ...]:
    """Decision 1460/QĐ-TCMT Bảng 1: WQI bands, labels and RGB colours, lowest band first."""
    return _parse_categories(WQI_CATEGORIES_FILE, text, "wqi_min", "wqi_max", None)


def _strictly_increasing(values: list[float]) -> bool:
    return all(b > a for a, b in pairwise(values))


def parse_aqi_breakpoints(text: str | None = None) -> Mapping[str, AqiColumn]:
    """Decision 1459/QĐ-TCMT Bảng 2: BPi per pollutant column and Ii per level.

    Checks: levels numbered 1..n in order, Ii strictly increasing, each column defined on a
    prefix of the levels (empty cells only at the end) with strictly increasing breakpoints,
    and only the last level may be marked as a lower bound ("≥").
    """
    file = AQI_BREAKPOINTS_FILE
    required = ["level_i", "aqi_Ii", *AQI_COLUMNS, "level8_is_lower_bound"]
    indices: list[float] = []
    cells: dict[str, list[float | None]] = {c: [] for c in AQI_COLUMNS}
    lower_bound_flags: list[bool] = []
    last_line = 1
    for line, row in read_rows(file, required, text):
        last_line = line
        level = _category_ints(file, line, row, "level_i")
        if level != len(indices) + 1:
            raise CatalogError(file, line, f"level_i {level} out of order")
        index = parse_float(file, line, "aqi_Ii", row["aqi_Ii"])
        if index is None:
            raise CatalogError(file, line, "aqi_Ii is empty")
        if indices and index <= indices[-1]:
            raise CatalogError(file, line, f"aqi_Ii {index:g} is not above the previous level")
        indices.append(index)
        for column in AQI_COLUMNS:
            value = parse_float(file, line, column, row[column])
            previous = [v for v in cells[column] if v is not None]
            if value is not None and len(previous) != len(cells[column]):
                raise CatalogError(file, line, f"{column}: value after an undefined level")
            if value is not None and value < 0:
                raise CatalogError(file, line, f"{column}: negative breakpoint {value:g}")
            if value is not None and previous and value <= previous[-1]:
                raise CatalogError(file, line, f"{column}: breakpoint {value:g} is not increasing")
            cells[column].append(value)
        flag = row["level8_is_lower_bound"].lower()
        if flag not in ("", "true", "false"):
            raise CatalogError(file, line, f"level8_is_lower_bound: {flag!r} is not true/false")
        lower_bound_flags.append(flag == "true")
    if len(indices) < 2:
        raise CatalogError(file, last_line, "Bảng 2 needs at least two levels")
    if any(lower_bound_flags[:-1]):
        raise CatalogError(file, last_line, "only the last level may be a lower bound (≥)")
    columns: dict[str, AqiColumn] = {}
    for column, values in cells.items():
        defined = [v for v in values if v is not None]
        if len(defined) < 2 or not _strictly_increasing(defined):
            raise CatalogError(file, last_line, f"{column}: fewer than two defined breakpoints")
        open_ended = len(defined) == len(indices) and lower_bound_flags[-1]
        columns[column] = AqiColumn(
            column, tuple(defined), tuple(indices[: len(defined)]), open_ended
        )
    return MappingProxyType(columns)


def _check_wqi_shape(file: str, line: int, parameter: str, rows: list[WqiRow]) -> None:
    """A curve is: first row le/lt, interior rows eq, last row ge/gt (or a single le row),
    with non-decreasing breakpoints; equal breakpoints (a jump) only next to a bound row."""
    if len(rows) == 1:
        if rows[0].op != "le":
            raise CatalogError(file, line, f"{parameter}: a one-row table must be 'le'")
        return
    if rows[0].op not in ("le", "lt"):
        raise CatalogError(file, line, f"{parameter}: first row must be 'le' or 'lt'")
    if rows[-1].op not in ("ge", "gt"):
        raise CatalogError(file, line, f"{parameter}: last row must be 'ge' or 'gt'")
    if any(r.op != "eq" for r in rows[1:-1]):
        raise CatalogError(file, line, f"{parameter}: interior rows must be 'eq'")
    for i, (a, b) in enumerate(pairwise(rows)):
        if b.bp < a.bp:
            raise CatalogError(file, line, f"{parameter}: breakpoints decrease at row {b.row}")
        if b.bp == a.bp and 0 < i < len(rows) - 2:
            raise CatalogError(
                file, line, f"{parameter}: repeated interior breakpoint, row {b.row}"
            )


def parse_wqi_tables(text: str | None = None) -> Mapping[str, WqiTable]:
    """Decision 1460/QĐ-TCMT sub-index tables (reconstructed — see vn-wqi-1460-2019.md).

    A parameter given by a single "le" row (group II pesticides: "≤ threshold → 100, else 10")
    is completed with an implicit "gt" row whose sub-index is the lowest q of the whole file
    (10), so every table has the same shape and one evaluator serves all.
    """
    file = WQI_TABLES_FILE
    required = ["group", "parameter", "unit", "row_i", "q_i", "bp", "op"]
    grouped: dict[str, tuple[str, str, list[WqiRow], int]] = {}
    for line, row in read_rows(file, required, text):
        group, parameter, unit, op = row["group"], row["parameter"], row["unit"], row["op"]
        if group not in WQI_GROUPS:
            raise CatalogError(file, line, f"group {group!r} is not one of {', '.join(WQI_GROUPS)}")
        if not parameter:
            raise CatalogError(file, line, "empty parameter")
        if op not in WQI_OPS:
            raise CatalogError(file, line, f"op {op!r} is not one of {', '.join(WQI_OPS)}")
        number = _category_ints(file, line, row, "row_i")
        q = parse_float(file, line, "q_i", row["q_i"])
        bp = parse_float(file, line, "bp", row["bp"])
        if q is None or bp is None:
            raise CatalogError(file, line, "q_i and bp are required")
        if not 0 < q <= 100:
            raise CatalogError(file, line, f"q_i {q:g} outside (0, 100]")
        if parameter in grouped:
            g, u, rows, _ = grouped[parameter]
            if (g, u) != (group, unit):
                raise CatalogError(file, line, f"{parameter}: group/unit differ from earlier rows")
            if number <= rows[-1].row:
                raise CatalogError(file, line, f"{parameter}: row_i {number} out of order")
            rows.append(WqiRow(number, q, bp, op))
            grouped[parameter] = (g, u, rows, line)
        else:
            grouped[parameter] = (group, unit, [WqiRow(number, q, bp, op)], line)
    if not grouped:
        raise CatalogError(file, 1, "no tables")
    floor_q = min(r.q for _, _, rows, _ in grouped.values() for r in rows)
    tables: dict[str, WqiTable] = {}
    for parameter, (group, unit, rows, line) in grouped.items():
        _check_wqi_shape(file, line, parameter, rows)
        if len(rows) == 1:
            only = rows[0]
            complete = (only, WqiRow(only.row + 1, floor_q, only.bp, "gt"))
        else:
            complete = tuple(rows)
        tables[parameter] = WqiTable(group, parameter, unit, complete)
    missing = [g for g in WQI_GROUPS if not any(t.group == g for t in tables.values())]
    if missing:
        raise CatalogError(file, 1, f"no parameter in group(s) {', '.join(missing)}")
    return MappingProxyType(tables)


@lru_cache(maxsize=1)
def aqi_breakpoints() -> Mapping[str, AqiColumn]:
    """Bảng 2 of Decision 1459/QĐ-TCMT, loaded once."""
    return parse_aqi_breakpoints()


@lru_cache(maxsize=1)
def aqi_categories() -> tuple[IndexCategory, ...]:
    """Bảng 1 of Decision 1459/QĐ-TCMT, loaded once."""
    return parse_aqi_categories()


@lru_cache(maxsize=1)
def wqi_tables() -> Mapping[str, WqiTable]:
    """Sub-index tables of Decision 1460/QĐ-TCMT, loaded once."""
    return parse_wqi_tables()


@lru_cache(maxsize=1)
def wqi_categories() -> tuple[IndexCategory, ...]:
    """Bảng 1 of Decision 1460/QĐ-TCMT, loaded once."""
    return parse_wqi_categories()


def category_for(value: int, categories: tuple[IndexCategory, ...]) -> IndexCategory | None:
    """The band holding integer `value`, or None outside the scale."""
    for category in categories:
        if category.contains(value):
            return category
    return None
