"""Provinces with validity dates, so a station keeps its history across the 2025 merger.

On 2025-07-01 the 63 provinces became 34 (Resolution 202/2025/QH15). A station keeps its
original admin unit; `current_unit` follows successor links to present data by today's
provinces, and `unit_on` answers which unit a place belonged to on a given day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from quantrac.catalog.csvdata import parse_date, read_rows
from quantrac.catalog.text import fold, match_key, nearest
from quantrac.errors import CatalogError, UnknownAdminUnit

FILE = "admin_units.csv"


@dataclass(frozen=True, slots=True)
class AdminUnit:
    key: str
    code: str
    name: str
    kind: str
    valid_from: date
    valid_to: date | None
    successor_key: str | None
    abbrev: str

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class AdminUnitTable:
    def __init__(self, units: list[AdminUnit]) -> None:
        self.by_key = {u.key: u for u in units}

    @classmethod
    def load(cls, text: str | None = None) -> AdminUnitTable:
        required = (
            "key",
            "code",
            "name",
            "kind",
            "valid_from",
            "valid_to",
            "successor_key",
            "abbrev",
        )
        units: list[AdminUnit] = []
        for line, row in read_rows(FILE, required, text):
            start = parse_date(FILE, line, "valid_from", row["valid_from"])
            if start is None:
                raise CatalogError(FILE, line, "valid_from is required")
            end = parse_date(FILE, line, "valid_to", row["valid_to"])
            if end is not None and end < start:
                raise CatalogError(FILE, line, "valid_to is before valid_from")
            units.append(
                AdminUnit(
                    row["key"],
                    row["code"],
                    row["name"],
                    row["kind"],
                    start,
                    end,
                    row["successor_key"] or None,
                    row["abbrev"],
                )
            )
        table = cls(units)
        for u in units:
            if u.successor_key and u.successor_key not in table.by_key:
                raise CatalogError(FILE, 0, f"{u.key}: successor {u.successor_key!r} unknown")
        return table

    def get(self, key: str) -> AdminUnit:
        try:
            return self.by_key[key]
        except KeyError:
            raise UnknownAdminUnit(
                key, nearest(key, [f"{u.key} ({u.name})" for u in self.by_key.values()])
            ) from None

    def find(self, text: str, on: date | None = None) -> AdminUnit:
        """A unit by key, code or name ('79', 'Hồ Chí Minh', 'ho chi minh'), valid on `on`.

        Without `on`, today's unit wins when a code or name was reused by the merger.
        """
        if text in self.by_key:
            return self.by_key[text]
        day = on or date.today()
        key = match_key(text)
        hits = [
            u
            for u in self.by_key.values()
            if text in (u.code, u.abbrev) or key == match_key(u.name) or fold(text) == fold(u.name)
        ]
        for u in hits:
            if u.valid_on(day):
                return u
        if hits:
            return max(hits, key=lambda u: u.valid_from)
        raise UnknownAdminUnit(text, nearest(text, [u.name for u in self.by_key.values()]))

    def current_unit(self, key: str, on: date | None = None) -> AdminUnit:
        """Follow successor links until the unit valid on `on` (default: today)."""
        day = on or date.today()
        unit = self.get(key)
        while not unit.valid_on(day) and unit.successor_key:
            unit = self.get(unit.successor_key)
        return unit

    def valid_on(self, day: date) -> list[AdminUnit]:
        return [u for u in self.by_key.values() if u.valid_on(day)]

    def predecessors(self, key: str) -> list[AdminUnit]:
        return [u for u in self.by_key.values() if u.successor_key == key]
