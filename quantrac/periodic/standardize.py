"""Sheet records → standard results: station code → registered station, parameter alias → code
for the sample's medium, unit → canonical, naive local time → UTC.

Pure: the registry arrives as a mapping, the catalogue as an object; nothing is read or written.
Problems are grouped (one issue per unknown station code, per unusable column or parameter
name) so a file with one wrong header gives one line in the report, not thousands.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from quantrac.catalog import Catalog, get_catalog
from quantrac.catalog.text import fold, nearest
from quantrac.catalog.units import conversion
from quantrac.codecs.sheet import SheetReadResult, SheetResult
from quantrac.codecs.sheet_values import parse_value
from quantrac.errors import LookupFailed, UnitConversionError, UnknownUnit
from quantrac.periodic.messages import text
from quantrac.periodic.model import (
    Issue,
    ResultValues,
    SampleFields,
    StandardResult,
    StationInfo,
)

#: Vietnamese labs write local time; Việt Nam keeps UTC+7 all year.
VN_ZONE = "Asia/Ho_Chi_Minh"
#: The store's sample and campaign codes are String(64).
CODE_MAX = 64
#: Soil and sediment results are mass fractions (QCVN 03:2023 gives mg/kg dry weight).
SOLID_MEDIA = frozenset({"soil", "sediment"})
SOLID_CONCENTRATION_UNIT = "mg/kg"
#: A lab may date a sample "today" in a zone ahead of ours; more than a day ahead is a typo.
FUTURE_SLACK_S = 86_400


@dataclass(frozen=True, slots=True)
class _Resolved:
    code: str
    unit: str
    scale: float
    shift: float


@dataclass(frozen=True, slots=True)
class _Failed:
    message: str
    suggestion: str | None


def standardize(
    read: SheetReadResult,
    stations: Mapping[str, StationInfo],
    *,
    catalog: Catalog | None = None,
    zone: str = VN_ZONE,
    now: int | None = None,
    lang: str = "vi",
) -> tuple[list[StandardResult], list[Issue]]:
    """Resolve every record; records that cannot be resolved are left out and reported.

    `stations` maps every registered code (not only those in the file) so unknown codes get
    nearest-code suggestions. `now` (UTC epoch s) enables the future-date check.
    """
    return _Standardizer(read, stations, catalog or get_catalog(), zone, now, lang).run()


class _Standardizer:
    def __init__(
        self,
        read: SheetReadResult,
        stations: Mapping[str, StationInfo],
        catalog: Catalog,
        zone: str,
        now: int | None,
        lang: str,
    ) -> None:
        self.read = read
        self.stations = stations
        self.catalog = catalog
        self.zone = ZoneInfo(zone)
        self.now = now
        self.lang = lang
        self.headers = {c.letter: c.header for c in read.columns}
        self.resolved: dict[tuple[str, str, str], _Resolved | _Failed] = {}
        self.instants: dict[datetime, int] = {}
        #: Sample fields per sheet row (a wide row's results share them).
        self.samples: dict[int, tuple[str, SampleFields, str | None]] = {}
        self.unknown: dict[str, list[int]] = {}
        self.failed: dict[tuple[str, str, str, str], list[int]] = {}
        self.retired: dict[str, list[int]] = {}
        self.future_rows: set[int] = set()
        self.issues: list[Issue] = []

    def run(self) -> tuple[list[StandardResult], list[Issue]]:
        results = []
        for record in self.read.records:
            result = self._one(record)
            if result is not None:
                results.append(result)
        self._group_issues()
        return results, self.issues

    def _one(self, record: SheetResult) -> StandardResult | None:
        station = self.stations.get(record.station_code)
        if station is None:
            self.unknown.setdefault(record.station_code, []).append(record.row)
            return None
        cached = self.samples.get(record.row)
        if cached is None or cached[0] != station.code:
            cached = self.samples[record.row] = (station.code, *self._sample(record, station))
        _, fields, sample_code = cached
        if sample_code is None:
            return None
        resolved = self._resolve(record, fields.matrix)
        if resolved is None:
            return None
        sampled_at = self._instant(record)
        if sampled_at is None:
            return None
        if station.retired_at is not None and sampled_at > station.retired_at:
            self.retired.setdefault(station.code, []).append(record.row)
        return StandardResult(
            record=record,
            station=station,
            sampled_at=sampled_at,
            local_day=record.sampled_at.date(),
            sample_code=sample_code,
            parameter_code=resolved.code,
            values=ResultValues(
                _linear(record.value, resolved),
                resolved.unit,
                record.qualifier,
                _linear(record.detection_limit, resolved),
                record.method,
            ),
            sample=fields,
        )

    # --- sample identity ---------------------------------------------------------------------

    def _sample(self, record: SheetResult, station: StationInfo) -> tuple[SampleFields, str | None]:
        """Sample fields, and the stored sample code (None when unusable).

        The store keys samples by station, time and code; a file without codes that gives
        depths or layers (soil, groundwater) still needs one sample per depth, so the code
        then becomes '@<depth>/<layer>'.
        """
        depth_m, layer = _depth(record.depth), record.layer
        if record.depth and depth_m is None:
            layer = f"{record.depth} / {layer}" if layer else record.depth
            self.issues.append(
                Issue(
                    text("depth_text", self.lang, value=record.depth),
                    severity="warning",
                    scope="row",
                    rows=(record.row,),
                    value=record.depth,
                    suggestion=text("depth_hint", self.lang),
                )
            )
        code = record.sample_code or ""
        if not code and (record.depth or record.layer):
            code = "@" + "/".join(p for p in (record.depth, record.layer) if p)
        matrix = station.medium
        if record.sample_type:
            medium = self.catalog.media.find(record.sample_type)
            matrix = medium.code if medium is not None else matrix
        fields = SampleFields(
            matrix, depth_m, layer, record.sample_type, record.lab, record.campaign
        )
        too_long = next((c for c in (code, record.campaign or "") if len(c) > CODE_MAX), None)
        if too_long is not None:
            self.issues.append(
                Issue(
                    text("code_too_long", self.lang, value=too_long, limit=CODE_MAX),
                    rows=(record.row,),
                    value=too_long,
                )
            )
            return fields, None
        return fields, code

    # --- parameter and unit --------------------------------------------------------------------

    def _resolve(self, record: SheetResult, matrix: str) -> _Resolved | None:
        unit = record.unit or ""
        key = (record.parameter, unit, matrix)
        found = self.resolved.get(key)
        if found is None:
            found = self.resolved[key] = self._lookup(record.parameter, unit, matrix)
        if isinstance(found, _Failed):
            group = (record.column, found.message, found.suggestion or "", record.parameter)
            self.failed.setdefault(group, []).append(record.row)
            return None
        return found

    def _lookup(self, name: str, unit: str, matrix: str) -> _Resolved | _Failed:
        lang, catalog = self.lang, self.catalog
        try:
            code = catalog.parameter(name, matrix).code
        except LookupFailed as exc:
            names = ", ".join(exc.suggestions)
            if exc.context.startswith("ambiguous"):
                message = text("ambiguous_parameter", lang, name=name, medium=matrix, names=names)
                return _Failed(message, text("ambiguous_hint", lang))
            message = text("unknown_parameter", lang, name=name, medium=matrix)
            hint = text("parameter_hint", lang, names=names) if names else None
            return _Failed(message, hint or text("parameter_hint_none", lang))
        canonical = canonical_unit(catalog, code, matrix)
        try:
            target = catalog.units.get(canonical)
            source = catalog.units.get(unit) if unit.strip() else target
            scale, shift = conversion(source, target, catalog.parameters.get(code).molar_mass)
        except UnknownUnit as exc:
            hint = text("unit_hint", lang, code=code, canonical=canonical)
            if exc.suggestions:
                hint += "; " + text("did_you_mean", lang, names=", ".join(exc.suggestions))
            return _Failed(text("unknown_unit", lang, unit=unit, code=code), hint)
        except UnitConversionError:
            message = text("wrong_unit", lang, unit=unit, code=code, canonical=canonical)
            return _Failed(message, text("unit_hint", lang, code=code, canonical=canonical))
        return _Resolved(code, canonical, scale, shift)

    # --- time ----------------------------------------------------------------------------------

    def _instant(self, record: SheetResult) -> int | None:
        local = record.sampled_at
        instant = self.instants.get(local)
        if instant is None:
            instant = self.instants[local] = int(local.replace(tzinfo=self.zone).timestamp())
        if self.now is not None and instant > self.now + FUTURE_SLACK_S:
            if record.row in self.future_rows:
                return None
            self.future_rows.add(record.row)
            when = local.strftime("%d/%m/%Y %H:%M" if record.time_given else "%d/%m/%Y")
            self.issues.append(
                Issue(
                    text("future_time", self.lang, when=when),
                    rows=(record.row,),
                    value=when,
                    suggestion=text("future_hint", self.lang),
                )
            )
            return None
        return instant

    # --- grouped issues -------------------------------------------------------------------------

    def _group_issues(self) -> None:
        station_column = next((c for c in self.read.columns if c.role == "station"), None)
        names_by_row: dict[int, str] = {}
        if self.unknown:
            names_by_row = {r.row: r.station_name for r in self.read.records if r.station_name}
        for code, rows in self.unknown.items():
            hint = text("register_station", self.lang, code=code)
            names = self._nearest_stations(code, names_by_row.get(rows[0]))
            if names:
                hint = text("did_you_mean", self.lang, names=", ".join(names)) + " — " + hint
            self.issues.append(
                Issue(
                    text("unknown_station", self.lang, code=code, n=len(_distinct(rows))),
                    rows=_distinct(rows),
                    column=station_column.letter if station_column else None,
                    column_name=station_column.header if station_column else None,
                    value=code,
                    suggestion=hint,
                )
            )
        for (column, message, suggestion, name), rows in self.failed.items():
            self.issues.append(
                Issue(
                    message,
                    scope="cell",
                    rows=_distinct(rows),
                    column=column,
                    column_name=self.headers.get(column),
                    value=name,
                    suggestion=suggestion or None,
                )
            )
        for code, rows in self.retired.items():
            self.issues.append(
                Issue(
                    text("retired_station", self.lang, code=code, n=len(_distinct(rows))),
                    severity="warning",
                    rows=_distinct(rows),
                    value=code,
                )
            )

    def _nearest_stations(self, code: str, station_name: str | None) -> list[str]:
        """Stations whose name is the file's station name first, then the nearest codes."""
        found = nearest(code, self.stations)
        if station_name:
            wanted = fold(station_name)
            by_name = [s.code for s in self.stations.values() if fold(s.name) == wanted]
            found = by_name + [c for c in found if c not in by_name]
        return found[:5]


def canonical_unit(catalog: Catalog, code: str, medium: str) -> str:
    """The unit a result is stored in (per medium: mg/kg for soil and sediment, …)."""
    return catalog.parameters.canonical_unit(code, medium)


def _linear(value: float | None, resolved: _Resolved) -> float | None:
    if value is None:
        return None
    if resolved.scale == 1.0 and resolved.shift == 0.0:
        return value
    # Through the decimal text, so 21 µg/L is 0.021 mg/L and not 0.021000000000000001.
    return float(f"{value * resolved.scale + resolved.shift:.12g}")


def _depth(text_value: str | None) -> float | None:
    """Depth in metres from '0,5', '1.2', '3' — None for ranges and words ('0-20 cm')."""
    if not text_value:
        return None
    cell = parse_value(text_value, "auto")
    if cell.qualifier is None and cell.value is not None and cell.error is None:
        return cell.value
    if cell.ambiguous is not None and cell.readings is not None:
        return cell.readings[0]  # '1.250' m of depth is 1.25 m, never 1250 m
    return None


def _distinct(rows: Sequence[int]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(rows))
