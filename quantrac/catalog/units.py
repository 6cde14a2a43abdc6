"""Units and conversion between them, driven by units.csv.

Within a dimension a unit converts to the dimension's base by `value * factor + offset`.
Gas mixing ratios (ppb, ppm) convert to mass concentration with the gas's molar mass at the
reference conditions of QCVN 05:2023 (25 °C, 760 mmHg): molar volume 24.45 L/mol, so
µg/Nm³ = ppb × M / 24.45.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quantrac.catalog.csvdata import parse_float, read_rows, split_list
from quantrac.catalog.text import fold, nearest
from quantrac.errors import CatalogError, UnitConversionError, UnknownUnit

#: Litres occupied by one mole of ideal gas at 25 °C and 101.325 kPa (QCVN 05:2023 conditions).
MOLAR_VOLUME_25C_L = 24.45

FILE = "units.csv"


@dataclass(frozen=True, slots=True)
class Unit:
    symbol: str
    dimension: str
    factor: float
    offset: float
    name_vi: str
    aliases: tuple[str, ...]
    note: str


def unit_key(text: str) -> str:
    """Fold the loose ways a unit is written: 'ug/m3', 'µg/m³', 'μg/Nm3', ' MG/L '."""
    t = text.strip().replace("μ", "µ").replace("³", "3").replace("²", "2").replace("º", "°")
    t = t.replace("µ", "u")  # fold() would decompose µ to the Greek letter; keep it ASCII.
    return fold(t).replace(" ", "")


class UnitTable:
    """All known units, looked up by any of their spellings."""

    def __init__(self, units: Iterable[Unit]) -> None:
        self.units: dict[str, Unit] = {}
        self._by_key: dict[str, Unit] = {}
        for u in units:
            self.units[u.symbol] = u
        # Symbols win over aliases so that e.g. 'mg/m3 (air)' can never shadow a symbol.
        for u in self.units.values():
            for alias in u.aliases:
                self._by_key.setdefault(unit_key(alias), u)
        for u in self.units.values():
            self._by_key[unit_key(u.symbol)] = u

    @classmethod
    def load(cls, text: str | None = None) -> UnitTable:
        required = ("symbol", "dimension", "factor", "offset", "name_vi", "aliases", "note")
        units = []
        seen: set[str] = set()
        for line, row in read_rows(FILE, required, text):
            if not row["symbol"] or not row["dimension"]:
                raise CatalogError(FILE, line, "symbol and dimension are required")
            if row["symbol"] in seen:
                raise CatalogError(FILE, line, f"duplicate unit {row['symbol']!r}")
            seen.add(row["symbol"])
            factor = parse_float(FILE, line, "factor", row["factor"])
            if factor is None or factor <= 0:
                raise CatalogError(FILE, line, "factor must be a positive number")
            offset = parse_float(FILE, line, "offset", row["offset"]) or 0.0
            units.append(
                Unit(
                    row["symbol"],
                    row["dimension"],
                    factor,
                    offset,
                    row["name_vi"],
                    tuple(split_list(row["aliases"])),
                    row["note"],
                )
            )
        return cls(units)

    def find(self, text: str) -> Unit | None:
        return self._by_key.get(unit_key(text))

    def get(self, text: str) -> Unit:
        """The unit written as `text`, or UnknownUnit listing the nearest known spellings."""
        unit = self.find(text)
        if unit is None:
            raise UnknownUnit(text, nearest(text, self.spellings()))
        return unit

    def spellings(self) -> list[str]:
        return [s for u in self.units.values() for s in (u.symbol, *u.aliases)]


def conversion(source: Unit, target: Unit, molar_mass: float | None = None) -> tuple[float, float]:
    """(scale, shift) such that value_in_target = value_in_source * scale + shift."""
    if source.symbol == target.symbol:
        return 1.0, 0.0
    if source.dimension == target.dimension:
        # Factors are decimal powers written in binary floating point; round their ratio so
        # that 3 mg/Nm³ becomes exactly 3000 µg/Nm³, not 3000.0000000000005.
        scale = float(f"{source.factor / target.factor:.12g}")
        shift = float(f"{(source.offset - target.offset) / target.factor:.12g}")
        return scale, shift
    dims = {source.dimension, target.dimension}
    if dims == {"mass_fraction", "mass_concentration"} and {source.symbol, target.symbol} & {
        "mg/kg",
        "g/kg",
        "%w",
    }:
        # Lab sheets for soil often write mg/L-style units loosely; a mass fraction and a
        # concentration are different quantities, so refuse rather than guess.
        raise UnitConversionError(
            f"{source.symbol} is a {source.dimension.replace('_', ' ')} and {target.symbol} a "
            f"{target.dimension.replace('_', ' ')}: soil and sediment results need mg/kg"
        )
    if dims == {"mixing_ratio", "mass_concentration"}:
        if not molar_mass:
            raise UnitConversionError(
                f"converting {source.symbol} to {target.symbol} needs the gas's molar mass"
            )
        # 1 ppb = M / 24.45 µg/m³; µg/m³ is 1e-6 in base mg/L.
        ppb_to_base = molar_mass / MOLAR_VOLUME_25C_L * 1e-6
        if source.dimension == "mixing_ratio":
            return source.factor * ppb_to_base / target.factor, 0.0
        return source.factor / ppb_to_base / target.factor, 0.0
    raise UnitConversionError(
        f"cannot convert {source.symbol} ({source.dimension}) to {target.symbol} "
        f"({target.dimension})"
    )


def convert(
    values: ArrayLike, source: Unit, target: Unit, molar_mass: float | None = None
) -> NDArray[np.float64]:
    scale, shift = conversion(source, target, molar_mass)
    return np.asarray(values, dtype=np.float64) * scale + shift
