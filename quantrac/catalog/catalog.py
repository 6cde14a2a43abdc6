"""The loaded catalogue: one object, built once per process, that every module queries."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quantrac.catalog.admin_units import AdminUnitTable
from quantrac.catalog.limits import (
    LimitRule,
    Regulation,
    load_limit_rules,
    load_regulations,
)
from quantrac.catalog.media import MediaTable
from quantrac.catalog.parameters import LOCAL_FILE, Parameter, ParameterTable
from quantrac.catalog.units import Unit, UnitTable, conversion
from quantrac.catalog.units import convert as convert_values
from quantrac.errors import UnknownParameter


@dataclass(frozen=True)
class Catalog:
    units: UnitTable
    media: MediaTable
    parameters: ParameterTable
    regulations: dict[str, Regulation]
    limits: tuple[LimitRule, ...]
    admin_units: AdminUnitTable

    @classmethod
    def load(cls, local_parameters: str | None = None) -> Catalog:
        """Package data, plus a province's `parameters_local.csv` text when given."""
        units = UnitTable.load()
        media = MediaTable.load()
        parameters = ParameterTable.load(media, units, local_text=local_parameters)
        regulations = load_regulations(media)
        limits = tuple(load_limit_rules(media, regulations))
        catalog = cls(units, media, parameters, regulations, limits, AdminUnitTable.load())
        catalog._check_limits()
        return catalog

    def _check_limits(self) -> None:
        from quantrac.errors import CatalogError

        seen: dict[tuple, int] = {}
        for rule in self.limits:
            key = (
                rule.regulation,
                rule.medium,
                rule.parameter_name,
                rule.column,
                rule.averaging,
                rule.valid_from,
                rule.valid_to,
            )
            if key in seen:
                raise CatalogError(
                    "qcvn_limits.csv",
                    rule.line,
                    f"same rule as line {seen[key]} (regulation, parameter, "
                    "column, averaging period and dates)",
                )
            seen[key] = rule.line
            if rule.parameter_code and rule.parameter_code not in self.parameters.by_code:
                raise CatalogError(
                    "limit_parameters.csv",
                    0,
                    f"code {rule.parameter_code!r} is not a known parameter",
                )
            if self.units.find(rule.unit) is None:
                raise CatalogError("qcvn_limits.csv", rule.line, f"unknown unit {rule.unit!r}")

    # parameters -----------------------------------------------------------------------
    def parameter(self, name: str, medium: str | None = None) -> Parameter:
        return self.parameters.resolve(name, medium)

    def unit(self, text: str) -> Unit:
        return self.units.get(text)

    def canonical_unit(self, code: str, medium: str | None = None) -> Unit:
        return self.units.get(self.parameters.canonical_unit(code, medium))

    def to_canonical(
        self, values: ArrayLike, unit_text: str, code: str, medium: str | None = None
    ) -> NDArray[np.float64]:
        """Convert values written in `unit_text` to the unit `code` is stored in.

        An empty unit field (common for pH in real files) means the canonical unit.
        """
        target = self.canonical_unit(code, medium)
        source = self.units.get(unit_text) if unit_text.strip() else target
        return convert_values(values, source, target, self.parameters.get(code).molar_mass)

    def conversion(
        self, unit_text: str, code: str, medium: str | None = None
    ) -> tuple[float, float]:
        target = self.canonical_unit(code, medium)
        source = self.units.get(unit_text) if unit_text.strip() else target
        return conversion(source, target, self.parameters.get(code).molar_mass)

    # limits -----------------------------------------------------------------------------
    def limit_rules(
        self,
        *,
        regulation: str | None = None,
        column: str | None = None,
        parameter_code: str | None = None,
        medium: str | None = None,
        on: date | None = None,
    ) -> list[LimitRule]:
        """Rules filtered by any of the keys; `column` matches the printed column or its
        short key, and a regulation's always-applying tables are included with it."""
        out = []
        for rule in self.limits:
            if regulation and rule.regulation != regulation:
                continue
            if column is not None:
                reg = self.regulations[rule.regulation]
                short = reg.column_keys.get(rule.column, rule.column)
                if column not in (rule.column, short) and rule.column not in reg.always_applies:
                    continue
            if parameter_code and rule.parameter_code != parameter_code:
                continue
            if medium and rule.medium != medium:
                continue
            if on and not rule.applies_on(on):
                continue
            out.append(rule)
        return out

    def column_keys(self, regulation: str) -> list[str]:
        reg = self.regulations.get(regulation)
        if reg is None:
            raise UnknownParameter(regulation, list(self.regulations), context="regulation")
        return list(reg.column_keys.values())


def local_parameters_path() -> Path:
    from quantrac.settings import get_settings

    return get_settings().data_dir / "catalog" / LOCAL_FILE


def get_catalog() -> Catalog:
    """The catalogue, loaded and validated on first use and then shared.

    A province's own parameters (`<data dir>/catalog/parameters_local.csv`) join the package
    data; a malformed local row is an error naming that file and line, like any other. When
    that file changes (`quantrac catalog add-parameter`, a Datastream of a new quantity) every
    process sees the new catalogue within a second: the file's stamp is part of the key, and
    it is looked at no more than once a second (this is called in loops).
    """
    now = time.monotonic()
    if _seen.checked is None or now - _seen.checked >= 1.0:
        path = local_parameters_path()
        try:
            _seen.stamp = path.stat().st_mtime_ns
        except FileNotFoundError:
            _seen.stamp = 0
        _seen.path, _seen.checked = str(path), now
    return _catalog_at(_seen.path, _seen.stamp)


class _Seen:
    """Where the local file was looked at last, and what it was then."""

    checked: float | None = None
    path = ""
    stamp = 0


_seen = _Seen()


@lru_cache(maxsize=2)
def _catalog_at(path: str, stamp: int) -> Catalog:
    local = Path(path)
    return Catalog.load(local.read_text("utf-8") if stamp and local.exists() else None)


def _clear() -> None:
    _seen.checked = None
    _catalog_at.cache_clear()


get_catalog.cache_clear = _clear  # type: ignore[attr-defined]


def add_local_parameter(
    code: str,
    name_vi: str,
    name_en: str,
    unit: str,
    media: str,
    aliases: str = "",
    molar_mass: float | None = None,
) -> None:
    """Append a province's own parameter to its `parameters_local.csv`, validated with the
    whole catalogue first (a bad row is refused, naming file and line, before any write)."""
    import csv
    import io

    from quantrac.catalog.parameters import EXTRA_COLUMNS

    path = local_parameters_path()
    text = path.read_text("utf-8") if path.exists() else ",".join(EXTRA_COLUMNS) + "\n"
    buf = io.StringIO()
    row = [code, name_vi, name_en, aliases, unit, media, "" if molar_mass is None else molar_mass]
    csv.writer(buf, lineterminator="\n").writerow([*row, "local"])
    new_text = text + buf.getvalue()
    Catalog.load(new_text)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new_text, "utf-8")
