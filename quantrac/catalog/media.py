"""Monitoring media (môi trường thành phần): surface water, groundwater, air, …"""

from __future__ import annotations

from dataclasses import dataclass

from quantrac.catalog.csvdata import read_rows, split_list
from quantrac.catalog.text import match_key, nearest
from quantrac.errors import CatalogError, UnknownMedium

FILE = "media.csv"


@dataclass(frozen=True, slots=True)
class Medium:
    code: str
    name_vi: str
    name_en: str
    aliases: tuple[str, ...]


class MediaTable:
    def __init__(self, media: list[Medium]) -> None:
        self.by_code = {m.code: m for m in media}
        self._by_key: dict[str, Medium] = {}
        for m in media:
            for name in (m.code, m.name_vi, m.name_en, *m.aliases):
                self._by_key.setdefault(match_key(name), m)

    @classmethod
    def load(cls, text: str | None = None) -> MediaTable:
        media = []
        for line, row in read_rows(FILE, ("code", "name_vi", "name_en", "aliases"), text):
            if not row["code"]:
                raise CatalogError(FILE, line, "empty code")
            media.append(
                Medium(
                    row["code"], row["name_vi"], row["name_en"], tuple(split_list(row["aliases"]))
                )
            )
        return cls(media)

    def find(self, name: str) -> Medium | None:
        return self.by_code.get(name) or self._by_key.get(match_key(name))

    def get(self, name: str) -> Medium:
        medium = self.find(name)
        if medium is None:
            raise UnknownMedium(
                name, nearest(name, [*self.by_code, *(m.name_vi for m in self.by_code.values())])
            )
        return medium
