"""Parameters (thông số quan trắc) with Vietnamese/English names, aliases, units and media.

The reference catalogue (parameters_catalog.csv) is kept verbatim; parameters_extra.csv adds
the aliases seen in real station files and the parameters those files carry that the
reference lacks. One alias can name two parameters ('NO2' the gas and 'NO2-' nitrite,
'Flow' of wastewater and of a stack, 'Hg' in water and in air): the medium decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from quantrac.catalog.csvdata import parse_float, read_rows, split_list
from quantrac.catalog.media import MediaTable
from quantrac.catalog.text import match_key, nearest
from quantrac.catalog.units import UnitTable
from quantrac.errors import CatalogError, UnknownParameter

REFERENCE_FILE = "parameters_catalog.csv"
EXTRA_FILE = "parameters_extra.csv"
#: A province's own parameters and aliases, kept in its data folder (same columns as
#: parameters_extra.csv), so local additions survive upgrades of the package.
LOCAL_FILE = "parameters_local.csv"
EXTRA_COLUMNS = (
    "code",
    "name_vi",
    "name_en",
    "aliases",
    "canonical_unit",
    "media",
    "molar_mass_g_mol",
    "provenance",
)

#: Concentrations at a stack are regulated in mg/Nm³ (QCVN 19), ambient ones in µg/Nm³.
STACK_CONCENTRATION_UNIT = "mg/Nm3"
SOLID_CONCENTRATION_UNIT = "mg/kg"
WATER_CONCENTRATION_UNIT = "mg/L"
AIR_CONCENTRATION_UNIT = "µg/Nm3"
SOLID_MEDIA = frozenset({"soil", "sediment"})
WATER_MEDIA = frozenset({"surface_water", "groundwater", "seawater", "rain", "wastewater"})


@dataclass(frozen=True, slots=True)
class Parameter:
    code: str
    name_vi: str
    name_en: str
    unit: str
    media: tuple[str, ...]
    assumed_media: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    tt10_symbol: str = ""
    molar_mass: float | None = None
    notes: str = ""
    provenance: str = ""
    derived: bool = False
    extra_aliases: tuple[str, ...] = field(default=())

    def all_names(self) -> tuple[str, ...]:
        return (self.code, self.name_vi, self.name_en, *self.aliases, *self.extra_aliases)


class ParameterTable:
    """Parameters by code and by every alias, with medium-aware resolution."""

    def __init__(self, parameters: Iterable[Parameter], units: UnitTable) -> None:
        self.units = units
        self.by_code: dict[str, Parameter] = {p.code: p for p in parameters}
        self._by_key: dict[str, list[str]] = {}
        for p in self.by_code.values():
            for name in p.all_names():
                codes = self._by_key.setdefault(match_key(name), [])
                if p.code not in codes:
                    codes.append(p.code)
        # A Bảng 34 symbol shared by several parameters ('Flow', 'Cl') is only a fallback:
        # the aliases seen in real files say which one a bare symbol usually means.
        self._by_symbol: dict[str, list[str]] = {}
        for p in self.by_code.values():
            if p.tt10_symbol:
                self._by_symbol.setdefault(match_key(p.tt10_symbol), []).append(p.code)

    @classmethod
    def load(
        cls,
        media: MediaTable,
        units: UnitTable,
        reference_text: str | None = None,
        extra_text: str | None = None,
        local_text: str | None = None,
    ) -> ParameterTable:
        """Reference catalogue, our extensions, then a province's own additions (if any)."""
        params = _load_reference(media, units, reference_text)
        _merge_extra(params, media, units, extra_text, EXTRA_FILE)
        if local_text is not None:
            _merge_extra(params, media, units, local_text, LOCAL_FILE)
        return cls(params.values(), units)

    def get(self, code: str) -> Parameter:
        try:
            return self.by_code[code]
        except KeyError:
            raise UnknownParameter(code, nearest(code, self.by_code)) from None

    def candidates(self, name: str) -> list[Parameter]:
        key = match_key(name)
        codes = self._by_key.get(key) or self._by_symbol.get(key, [])
        return [self.by_code[c] for c in codes]

    def resolve(self, name: str, medium: str | None = None) -> Parameter:
        """The parameter a file means by `name` at a station of `medium`.

        An exact code wins; otherwise aliases. When an alias names several parameters the
        medium picks one (declared media before assumed ones); when it still cannot, the
        error lists the candidates so the station's configuration can be fixed.
        """
        if name in self.by_code:
            return self.by_code[name]
        found = self.candidates(name)
        if len(found) == 1:
            return found[0]
        if found and medium:
            exact = [p for p in found if medium in p.media]
            if len(exact) == 1:
                return exact[0]
            assumed = [p for p in found if medium in p.assumed_media]
            if not exact and len(assumed) == 1:
                return assumed[0]
            found = exact or assumed or found
        where = f"medium {medium}" if medium else ""
        if found:
            raise UnknownParameter(
                name, [p.code for p in found], context=f"ambiguous{', ' + where if where else ''}"
            )
        names = [n for p in self.by_code.values() for n in (p.code, *p.aliases, p.name_vi)]
        raise UnknownParameter(name, nearest(name, names), context=where)

    def canonical_unit(self, code: str, medium: str | None = None) -> str:
        """The unit a parameter is stored in at a station of `medium`.

        The catalogue gives one unit per parameter; a concentration is expressed per medium:
        a stack in mg/Nm³ (QCVN 19), soil and sediment as mass fractions in mg/kg dry weight
        (QCVN 03:2023; its values are not in the reference pack), water in mg/L even for
        substances the catalogue lists in an air unit (benzene, PCE), and ambient air in
        µg/Nm³ even for those it lists in a water unit.
        """
        p = self.get(code)
        unit = self.units.find(p.unit)
        if medium is None or unit is None or unit.dimension != "mass_concentration":
            return p.unit
        if medium == "stack_emission":
            return STACK_CONCENTRATION_UNIT
        if medium in SOLID_MEDIA:
            return SOLID_CONCENTRATION_UNIT
        air_unit = p.unit.endswith("Nm3")
        if medium in WATER_MEDIA and air_unit:
            return WATER_CONCENTRATION_UNIT
        if medium == "ambient_air" and not air_unit:
            return AIR_CONCENTRATION_UNIT
        return p.unit


def _media_list(media: MediaTable, cell: str, file: str, line: int) -> tuple[list[str], list[str]]:
    declared: list[str] = []
    assumed: list[str] = []
    for item in split_list(cell):
        sure = not item.endswith("?")
        code = media.find(item.rstrip("?").strip())
        if code is None:
            raise CatalogError(file, line, f"unknown medium {item!r}")
        target = declared if sure else assumed
        if code.code not in declared and code.code not in target:
            target.append(code.code)
    return declared, assumed


def _unit_symbol(units: UnitTable, cell: str, file: str, line: int) -> str:
    unit = units.find(cell) if cell else units.find("-")
    if unit is None:
        raise CatalogError(file, line, f"unknown canonical unit {cell!r}")
    return unit.symbol


def _load_reference(media: MediaTable, units: UnitTable, text: str | None) -> dict[str, Parameter]:
    required = (
        "code",
        "name_vi",
        "name_en",
        "aliases_seen",
        "aliases_assumed",
        "canonical_unit",
        "media",
        "tt10_symbol",
        "notes",
        "provenance",
    )
    params: dict[str, Parameter] = {}
    for line, row in read_rows(REFERENCE_FILE, required, text):
        code = row["code"]
        if not code:
            raise CatalogError(REFERENCE_FILE, line, "empty code")
        if code in params:
            raise CatalogError(REFERENCE_FILE, line, f"duplicate code {code!r}")
        declared, assumed = _media_list(media, row["media"], REFERENCE_FILE, line)
        symbol = row["tt10_symbol"].split(" (")[0].strip()
        aliases = split_list(row["aliases_seen"]) + split_list(row["aliases_assumed"])
        params[code] = Parameter(
            code=code,
            name_vi=row["name_vi"],
            name_en=row["name_en"],
            unit=_unit_symbol(units, row["canonical_unit"], REFERENCE_FILE, line),
            media=tuple(declared),
            assumed_media=tuple(assumed),
            aliases=tuple(aliases),
            tt10_symbol=symbol,
            notes=row["notes"],
            provenance=row["provenance"],
            derived="Derived" in row["notes"],
        )
    return params


def _merge_extra(
    params: dict[str, Parameter], media: MediaTable, units: UnitTable, text: str | None, file: str
) -> None:
    for line, row in read_rows(EXTRA_FILE, EXTRA_COLUMNS, text, label=file):
        code = row["code"]
        aliases = tuple(split_list(row["aliases"]))
        mass = parse_float(file, line, "molar_mass_g_mol", row["molar_mass_g_mol"])
        if code in params:
            old = params[code]
            params[code] = replace(
                old,
                extra_aliases=old.extra_aliases + aliases,
                molar_mass=mass if mass is not None else old.molar_mass,
            )
            continue
        if not (row["name_vi"] and row["name_en"] and row["canonical_unit"] and row["media"]):
            raise CatalogError(file, line, f"new parameter {code!r} needs names, unit and media")
        if not code or not code.replace("_", "").isalnum() or code != code.upper():
            raise CatalogError(file, line, f"code {code!r}: use upper-case letters, digits, _")
        declared, assumed = _media_list(media, row["media"], file, line)
        params[code] = Parameter(
            code=code,
            name_vi=row["name_vi"],
            name_en=row["name_en"],
            unit=_unit_symbol(units, row["canonical_unit"], file, line),
            media=tuple(declared),
            assumed_media=tuple(assumed),
            aliases=aliases,
            molar_mass=mass,
            provenance=row["provenance"],
        )
