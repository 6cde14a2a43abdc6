"""QC configuration as data: thresholds per parameter and medium, per-station overrides, and
the cross-parameter rule table.

Defaults live in `quantrac/catalog/data/qc_thresholds.csv`, one row per (parameter, medium),
each with the reason for its numbers. They are validated once when loaded (a malformed row
raises `CatalogError(file, line, message)`); a station's overrides go through the same
validation and raise `ConfigError`. The checks themselves (`quantrac.qc.checks`) never read
this module: `quantrac.qc.run` passes them plain numbers.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from typing import Any

from quantrac.catalog import get_catalog
from quantrac.catalog.csvdata import read_rows
from quantrac.catalog.text import nearest
from quantrac.errors import CatalogError, ConfigError, UnknownMedium, UnknownParameter
from quantrac.qc.checks import TT10_STATUS, CrossRule
from quantrac.qc.flags import QcFlag

THRESHOLDS_FILE = "qc_thresholds.csv"

#: Threshold fields that hold a float; None = no bound / check not run.
FLOAT_FIELDS = (
    "gross_min",
    "gross_max",
    "plausible_min",
    "plausible_max",
    "spike",
    "rate_per_hour",
    "flat_tolerance",
    "flat_suspect_seconds",
    "flat_bad_seconds",
)
INT_FIELDS = ("flat_suspect_count", "flat_bad_count")
#: The columns of qc_thresholds.csv, in file order.
COLUMNS = (
    "parameter",
    "medium",
    "unit",
    "gross_min",
    "gross_max",
    "plausible_min",
    "plausible_max",
    "spike",
    "rate_per_hour",
    "flat_tolerance",
    "flat_suspect_count",
    "flat_bad_count",
    "flat_suspect_seconds",
    "flat_bad_seconds",
    "source",
)

#: Every check `run_qc` knows, in the order it runs them.
ALL_CHECKS = frozenset(
    {"range", "spike", "rate_of_change", "flat_line", "device_status", "timestamp", "cross"}
)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """QC thresholds of one parameter in one medium, in the catalogue's canonical unit."""

    parameter: str
    medium: str
    unit: str
    gross_min: float | None = None
    gross_max: float | None = None
    plausible_min: float | None = None
    plausible_max: float | None = None
    spike: float | None = None
    rate_per_hour: float | None = None
    flat_tolerance: float | None = None
    flat_suspect_count: int | None = None
    flat_bad_count: int | None = None
    flat_suspect_seconds: float | None = None
    flat_bad_seconds: float | None = None
    source: str = ""
    line: int = 0

    @property
    def flat_line_configured(self) -> bool:
        return any(
            x is not None
            for x in (
                self.flat_suspect_count,
                self.flat_bad_count,
                self.flat_suspect_seconds,
                self.flat_bad_seconds,
            )
        )


def threshold_problems(t: Thresholds) -> list[str]:
    """Everything wrong with a set of thresholds, as messages (empty = valid).

    One validator for the shipped CSV and for station overrides, so an override cannot
    create a combination the file would have refused.
    """
    problems: list[str] = []
    for name in FLOAT_FIELDS:
        value = getattr(t, name)
        if value is not None and not math.isfinite(value):
            problems.append(f"{name} must be a finite number, got {value!r}")
    if problems:
        return problems
    for low, high in (("gross_min", "gross_max"), ("plausible_min", "plausible_max")):
        lo, hi = getattr(t, low), getattr(t, high)
        if lo is not None and hi is not None and lo > hi:
            problems.append(f"{low} {lo} is above {high} {hi}")
    if t.gross_min is not None and t.plausible_min is not None and t.plausible_min < t.gross_min:
        problems.append("plausible_min is below gross_min: the plausible range must lie inside")
    if t.gross_max is not None and t.plausible_max is not None and t.plausible_max > t.gross_max:
        problems.append("plausible_max is above gross_max: the plausible range must lie inside")
    for name in ("spike", "rate_per_hour", "flat_suspect_seconds", "flat_bad_seconds"):
        value = getattr(t, name)
        if value is not None and value <= 0:
            problems.append(f"{name} must be > 0, got {value}")
    for name in INT_FIELDS:
        value = getattr(t, name)
        if value is not None and value < 2:
            problems.append(f"{name} must be at least 2 readings, got {value}")
    s_count, b_count = t.flat_suspect_count, t.flat_bad_count
    if s_count is not None and b_count is not None and b_count < s_count:
        problems.append(f"flat_bad_count {b_count} is below flat_suspect_count {s_count}")
    s_sec, b_sec = t.flat_suspect_seconds, t.flat_bad_seconds
    if s_sec is not None and b_sec is not None and b_sec < s_sec:
        problems.append(f"flat_bad_seconds {b_sec} is below flat_suspect_seconds {s_sec}")
    if t.flat_tolerance is not None and t.flat_tolerance < 0:
        problems.append(f"flat_tolerance must be ≥ 0, got {t.flat_tolerance}")
    if t.flat_line_configured and t.flat_tolerance is None:
        problems.append("a flat-line count or duration needs flat_tolerance (0 = exactly equal)")
    return problems


def _parse_cell(name: str, cell: str) -> float | int | None:
    if cell == "":
        return None
    if name in INT_FIELDS:
        try:
            return int(cell)
        except ValueError:
            raise ValueError(f"{name}: {cell!r} is not a whole number") from None
    try:
        return float(cell)
    except ValueError:
        raise ValueError(f"{name}: {cell!r} is not a number") from None


def _catalogue_checks(parameter: str, medium: str, unit: str) -> str | None:
    """Why (parameter, medium, unit) does not match the catalogue, or None when it does."""
    catalog = get_catalog()
    try:
        param = catalog.parameters.get(parameter)
    except UnknownParameter as exc:
        return str(exc)
    if medium not in (*param.media, *param.assumed_media):
        known = ", ".join((*param.media, *param.assumed_media))
        return f"{parameter} is not measured in medium {medium!r} (catalogue: {known})"
    expected = catalog.parameters.canonical_unit(parameter, medium)
    if unit != expected:
        return f"unit {unit!r} is not the canonical unit {expected!r} of {parameter} in {medium}"
    return None


class ThresholdTable(Mapping[tuple[str, str], Thresholds]):
    """Thresholds by (parameter code, medium)."""

    def __init__(self, rows: Iterable[Thresholds]) -> None:
        self._rows: dict[tuple[str, str], Thresholds] = {(r.parameter, r.medium): r for r in rows}

    def __getitem__(self, key: tuple[str, str]) -> Thresholds:
        return self._rows[key]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def get_thresholds(self, parameter: str, medium: str) -> Thresholds:
        """The row for (parameter, medium); unknown names raise with suggestions."""
        row = self._rows.get((parameter, medium))
        if row is not None:
            return row
        params = sorted({p for p, _ in self._rows})
        if parameter not in params:
            raise UnknownParameter(parameter, nearest(parameter, params), context="QC thresholds")
        media = sorted(m for p, m in self._rows if p == parameter)
        raise UnknownMedium(medium, media, context=f"QC thresholds of {parameter}")

    def with_overrides(self, overrides: Mapping[str, Mapping[str, Any]]) -> ThresholdTable:
        """A new table with a station's overrides merged in: {parameter: {field: value}}.

        An override applies to every medium the parameter has in the table (a station has one
        medium). None removes a bound or switches a check off ({"spike": None}).
        """
        rows = dict(self._rows)
        for parameter, changes in overrides.items():
            keys = [k for k in rows if k[0] == parameter]
            if not keys:
                raise UnknownParameter(
                    parameter, nearest(parameter, {p for p, _ in rows}), "QC overrides"
                )
            for key in keys:
                rows[key] = merge_override(rows[key], changes)
        return ThresholdTable(rows.values())


_OVERRIDABLE = tuple(
    f.name for f in fields(Thresholds) if f.name not in ("parameter", "medium", "unit", "line")
)


def merge_override(base: Thresholds, changes: Mapping[str, Any]) -> Thresholds:
    """`base` with `changes` applied and validated; raises ConfigError naming the field."""
    unknown = [k for k in changes if k not in _OVERRIDABLE]
    if unknown:
        hints = nearest(unknown[0], _OVERRIDABLE)
        raise ConfigError(
            f"QC override for {base.parameter}/{base.medium}: unknown field(s) "
            f"{', '.join(map(repr, unknown))}"
            + (f"; did you mean {', '.join(hints)}?" if hints else "")
        )
    clean: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "source":
            clean[name] = str(value)
        elif value is None:
            clean[name] = None
        elif isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ConfigError(
                f"QC override {base.parameter}/{base.medium}.{name}: {value!r} is not a number"
            )
        elif name in INT_FIELDS:
            if int(value) != value:
                raise ConfigError(
                    f"QC override {base.parameter}/{base.medium}.{name}: {value!r} is not whole"
                )
            clean[name] = int(value)
        else:
            clean[name] = float(value)
    if "source" not in clean:
        listed = ", ".join(f"{k}={v}" for k, v in changes.items())
        clean["source"] = f"{base.source} | station override: {listed}"
    merged = replace(base, **clean)
    problems = threshold_problems(merged)
    if problems:
        raise ConfigError(f"QC override for {base.parameter}/{base.medium}: {'; '.join(problems)}")
    return merged


def load_thresholds(text: str | None = None) -> ThresholdTable:
    """Load and validate qc_thresholds.csv (or `text` with the same layout, for tests).

    Each row must name a catalogue parameter in one of its media, in its canonical unit, with
    numbers that make sense together (see `threshold_problems`) and a source; a (parameter,
    medium) pair appears once. The first problem raises CatalogError(file, line, message).
    """
    rows: list[Thresholds] = []
    seen: dict[tuple[str, str], int] = {}
    for line, row in read_rows(THRESHOLDS_FILE, COLUMNS, text):
        key = (row["parameter"], row["medium"])
        if key in seen:
            raise CatalogError(
                THRESHOLDS_FILE, line, f"{key[0]}/{key[1]} already on line {seen[key]}"
            )
        mismatch = _catalogue_checks(row["parameter"], row["medium"], row["unit"])
        if mismatch:
            raise CatalogError(THRESHOLDS_FILE, line, mismatch)
        if not row["source"]:
            raise CatalogError(THRESHOLDS_FILE, line, "source: every row must say why")
        try:
            numbers = {name: _parse_cell(name, row[name]) for name in (*FLOAT_FIELDS, *INT_FIELDS)}
        except ValueError as exc:
            raise CatalogError(THRESHOLDS_FILE, line, str(exc)) from None
        thresholds = Thresholds(
            parameter=row["parameter"],
            medium=row["medium"],
            unit=row["unit"],
            source=row["source"],
            line=line,
            **numbers,  # type: ignore[arg-type]
        )
        problems = threshold_problems(thresholds)
        if problems:
            raise CatalogError(THRESHOLDS_FILE, line, "; ".join(problems))
        seen[key] = line
        rows.append(thresholds)
    return ThresholdTable(rows)


@lru_cache(maxsize=1)
def default_thresholds() -> ThresholdTable:
    """The shipped thresholds, loaded and validated once per process."""
    return load_thresholds()


# --------------------------------------------------------------------------------------------
# cross-parameter rules (data)
# --------------------------------------------------------------------------------------------
#: The default cross-parameter rules. A new rule is one more entry (or one more dict passed
#: to `cross_rules_from_dicts`), with its own Vietnamese and English description.
DEFAULT_CROSS_RULES: tuple[CrossRule, ...] = (
    CrossRule(
        code="pm25_gt_pm10",
        subject="PM25",
        reference="PM10",
        transform="identity",
        factor=1.0,
        margin=0.0,
        flag=QcFlag.SUSPECT,
        flag_reference=True,
        media=frozenset({"ambient_air"}),
        description_vi="PM2,5 lớn hơn PM10 cùng thời điểm (PM2,5 là một phần của PM10)",
        description_en="PM2.5 above PM10 at the same time (PM2.5 is a fraction of PM10)",
    ),
    CrossRule(
        code="do_gt_saturation",
        subject="DO",
        reference="TEMP",
        transform="do_saturation",
        factor=1.5,
        margin=0.0,
        flag=QcFlag.SUSPECT,
        flag_reference=False,
        media=frozenset({"surface_water", "seawater", "wastewater"}),
        description_vi="Oxy hòa tan vượt 1,5 lần mức bão hòa theo nhiệt độ nước",
        description_en="Dissolved oxygen above 1.5 × saturation at the water temperature",
    ),
    # BOD5 measures the biodegradable part of what COD oxidises chemically, so BOD5 ≤ COD;
    # a BOD5 above COD means one analyser (or a unit) is wrong.
    CrossRule(
        code="bod5_gt_cod",
        subject="BOD5",
        reference="COD",
        transform="identity",
        factor=1.0,
        margin=0.0,
        flag=QcFlag.SUSPECT,
        flag_reference=True,
        media=frozenset({"surface_water", "wastewater"}),
        description_vi="BOD5 lớn hơn COD cùng thời điểm (BOD5 là một phần của COD)",
        description_en="BOD5 above COD at the same time (BOD5 is a part of COD)",
    ),
)


def cross_rules_from_dicts(rows: Iterable[Mapping[str, Any]]) -> tuple[CrossRule, ...]:
    """Cross rules from plain dicts (a station's YAML/JSON): the fields of `CrossRule`, with
    `flag` as 'suspect'/'bad' (or 3/4) and `media` as a list. Raises ConfigError."""
    known = {f.name for f in fields(CrossRule)}
    rules = []
    for i, row in enumerate(rows, start=1):
        unknown = set(row) - known
        if unknown:
            raise ConfigError(f"cross rule #{i}: unknown field(s) {sorted(unknown)}")
        data = dict(row)
        flag = data.get("flag", QcFlag.SUSPECT)
        try:
            data["flag"] = QcFlag[flag.upper()] if isinstance(flag, str) else QcFlag(flag)
        except (KeyError, ValueError):
            raise ConfigError(f"cross rule #{i}: flag {flag!r} is not suspect/bad") from None
        data["media"] = frozenset(data.get("media", ()))
        try:
            rules.append(CrossRule(**data))
        except TypeError as exc:
            raise ConfigError(f"cross rule #{i}: {exc}") from None
    return tuple(rules)


# --------------------------------------------------------------------------------------------
# one series' configuration
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class QcConfig:
    """Everything `run_qc` needs to judge one series, as plain values.

    `now` is the reception time (epoch s) for the future-timestamp check: passed in, never
    read from a clock, so a QC run can be repeated with the same result. The sampling
    interval is inferred from the series when `expected_interval_s` is None.
    """

    thresholds: Thresholds
    now: int | None = None
    future_tolerance_s: float = 300.0
    expected_interval_s: int | None = None
    grid_tolerance_s: float | None = None
    spike_max_gap_steps: float = 3.0
    rate_min_interval_s: float = 3600.0
    cross_rules: tuple[CrossRule, ...] = DEFAULT_CROSS_RULES
    status_meanings: Mapping[str, tuple[QcFlag, str | None]] = field(
        default_factory=lambda: dict(TT10_STATUS)
    )
    checks: frozenset[str] = ALL_CHECKS

    def __post_init__(self) -> None:
        unknown = set(self.checks) - ALL_CHECKS
        if unknown:
            raise ConfigError(
                f"unknown QC check(s) {sorted(unknown)}; known: {', '.join(sorted(ALL_CHECKS))}"
            )
        if self.future_tolerance_s < 0:
            raise ConfigError("future_tolerance_s must be ≥ 0")
        if self.spike_max_gap_steps <= 0:
            raise ConfigError("spike_max_gap_steps must be > 0")
        if self.rate_min_interval_s < 0:
            raise ConfigError("rate_min_interval_s must be ≥ 0")


def config_for(
    parameter: str,
    medium: str,
    *,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    table: ThresholdTable | None = None,
    **settings: Any,
) -> QcConfig:
    """The QC configuration of `parameter` at a station of `medium`.

    `overrides` is the station's {parameter: {field: value}}; `settings` are `QcConfig`
    fields (now, expected_interval_s, checks, cross_rules …).
    """
    base = table if table is not None else default_thresholds()
    if overrides:
        base = base.with_overrides(overrides)
    thresholds = base.get_thresholds(parameter, medium)
    try:
        return QcConfig(thresholds=thresholds, **settings)
    except TypeError as exc:
        raise ConfigError(f"QC settings: {exc}") from None
