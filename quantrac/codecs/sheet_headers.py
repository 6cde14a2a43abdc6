"""Column headers of lab spreadsheets: which column is metadata, which is a parameter, and units.

Labs name the same column many ways ("Mã trạm", "MA TRAM", "station_id"), so headers are
compared after `header_key` folds diacritics, case and punctuation. The vocabulary below is the
whole rule; a header not in it is a parameter (wide layout) or ignored (long layout).
"""

from __future__ import annotations

import re
from typing import Literal

from quantrac.codecs.sheet_values import fold

Role = Literal[
    "station",
    "station_name",
    "sample_code",
    "campaign",
    "date",
    "time",
    "longitude",
    "latitude",
    "elevation",
    "depth",
    "layer",
    "sample_type",
    "lab",
    "method",
    "note",
    "index",
    "limit",
    "parameter_name",
    "value",
    "unit",
    "detection_limit",
    "parameter",
    "ignored",
]

#: Roles that describe the sample rather than a result (the same value for every parameter).
SAMPLE_ROLES: frozenset[Role] = frozenset(
    {
        "station", "station_name", "sample_code", "campaign", "date", "time", "longitude",
        "latitude", "elevation", "depth", "layer", "sample_type", "lab", "method", "note",
    }
)  # fmt: skip
#: Roles only a long layout has (one row per sample × parameter).
LONG_ROLES: frozenset[Role] = frozenset({"parameter_name", "value", "unit", "detection_limit"})

_VOCABULARY: dict[Role, tuple[str, ...]] = {
    "station": (
        "ma tram", "ma diem", "ma diem quan trac", "ma diem lay mau", "ma vi tri", "ma so diem",
        "ky hieu diem", "ky hieu diem quan trac", "ky hieu tram", "station", "station id",
        "station code", "site", "site id", "site code", "point", "point id",
    ),
    "station_name": (
        "ten tram", "ten diem", "ten diem quan trac", "ten vi tri", "vi tri", "dia diem",
        "station name", "site name", "location", "dia diem quan trac",
    ),
    "sample_code": ("ma mau", "so hieu mau", "ma so mau", "sample", "sample code", "sample id"),
    "campaign": ("dot", "dot quan trac", "dot lay mau", "campaign", "round", "ky quan trac"),
    "date": (
        "ngay", "ngay lay mau", "ngay quan trac", "ngay thang", "ngay thang nam", "date",
        "sampling date", "sample date",
    ),
    "time": (
        "gio", "gio lay mau", "thoi gian", "thoi gian lay mau", "thoi gian quan trac",
        "thoi diem lay mau", "time", "sampling time", "datetime", "date time", "sampled at",
    ),
    "longitude": ("kinh do", "longitude", "lon", "long", "lng"),
    "latitude": ("vi do", "latitude", "lat"),
    "elevation": ("z elev", "z", "elevation", "elev", "cao do", "do cao", "altitude"),
    "depth": ("do sau", "do sau lay mau", "depth", "sampling depth"),
    "layer": ("tang", "tang lay mau", "tang dat", "tang chua nuoc", "layer", "horizon", "aquifer"),
    "sample_type": (
        "loai mau", "kieu mau", "nen mau", "thanh phan moi truong", "moi truong",
        "sample type", "matrix", "medium",
    ),
    "lab": (
        "phong thi nghiem", "don vi phan tich", "phong thi nghiem phan tich",
        "don vi thuc hien", "lab", "laboratory",
    ),
    "method": ("phuong phap", "phuong phap phan tich", "phuong phap thu", "method"),
    "note": ("ghi chu", "note", "notes", "remark", "remarks", "comment", "comments"),
    "index": ("stt", "tt", "so tt", "so thu tu", "#"),
    "parameter_name": (
        "thong so", "chi tieu", "thong so quan trac", "chi tieu phan tich", "ten chi tieu",
        "ten thong so", "thong so phan tich", "parameter", "analyte", "determinand",
    ),
    "value": (
        "ket qua", "gia tri", "ket qua phan tich", "ket qua quan trac", "nong do", "value",
        "result", "concentration",
    ),
    "unit": ("don vi", "don vi tinh", "dvt", "unit", "units"),
    "detection_limit": (
        "gioi han phat hien", "ghph", "lod", "mdl", "detection limit", "gioi han dinh luong",
        "loq",
    ),
}  # fmt: skip

#: "Ký hiệu mẫu" and "Điểm quan trắc" name the station only when no explicit code column exists.
_WEAK_STATION: dict[str, Role] = {
    "ky hieu mau": "sample_code",
    "ky hieu": "sample_code",
    "diem quan trac": "station_name",
    "vi tri quan trac": "station_name",
    "diem lay mau": "station_name",
    "vi tri lay mau": "station_name",
}

_ROLE_OF: dict[str, Role] = {name: role for role, names in _VOCABULARY.items() for name in names}
_LIMIT_PREFIXES = ("qcvn", "tcvn", "gioi han cho phep", "ghcp", "gia tri gioi han", "limit")
_NON_WORD = re.compile(r"[^0-9a-z#]+")
_UNIT_GROUP = re.compile(r"^(.*?)\s*[(\[]([^()\[\]]*)[)\]]\s*$")
_COMMA_UNIT = re.compile(r"^(.*\S)\s*,\s*([^,]+)$")
_FOOTNOTE = re.compile(r"\s*(?:\(\*+\)|\*+)\s*$")

#: Units that carry no "/" (those with one, like mg/L or MPN/100mL, are recognised by the slash).
_BARE_UNITS = frozenset(
    {
        "-", "°c", "oc", "độ c", "°f", "ntu", "ftu", "fnu", "jtu", "pt-co", "ptco", "pt co", "tcu",
        "hazen", "%", "‰", "ppt", "psu", "ppm", "ppb", "m", "cm", "mm", "km", "mv", "ph", "°",
        "độ", "°e", "°n", "m3", "m³", "ml", "ms", "µs", "us", "bq", "pci", "db", "dba", "kg",
        "mg", "µg", "ug", "ng",
    }
)  # fmt: skip


def header_key(text: str) -> str:
    """'Mã Trạm', 'MA_TRAM' and 'ma-tram' all give 'ma tram'."""
    return _NON_WORD.sub(" ", fold(_FOOTNOTE.sub("", text))).strip()


def looks_like_unit(text: str) -> bool:
    """True for 'mg/L', 'MPN/100mL', '°C', 'Pt-Co', '-'; False for 'VI', 'Cl-', 'BOD5 ở 20°C'."""
    stripped = text.strip()
    if not stripped or len(stripped) > 25:
        return False
    return "/" in stripped or stripped.lower() in _BARE_UNITS


def split_unit(header: str) -> tuple[str, str | None]:
    """'COD (mg/L)' → ('COD', 'mg/L'); 'Crom (VI)' stays whole because 'VI' is not a unit.

    Only a trailing (…), […] or ', unit' group is taken, and only if it looks like a unit, so
    parenthesised parts of names ('Amoni (NH4+ tính theo N)') are kept.
    """
    text = _FOOTNOTE.sub("", " ".join(header.split()))
    for pattern in (_UNIT_GROUP, _COMMA_UNIT):
        match = pattern.match(text)
        if match and match.group(1) and looks_like_unit(match.group(2)):
            return match.group(1).strip(), match.group(2).strip()
    return text, None


def role_of(name: str) -> Role | None:
    """The vocabulary role of a header name (unit already split off), or None."""
    key = header_key(name)
    if key in _ROLE_OF:
        return _ROLE_OF[key]
    if key in _WEAK_STATION:
        return "station"
    if key.startswith(_LIMIT_PREFIXES):
        return "limit"
    return None


def demote_weak_station(name: str) -> Role:
    """The role a weak station header takes when another column holds the station code."""
    return _WEAK_STATION.get(header_key(name), "station_name")


def is_weak_station(name: str) -> bool:
    return header_key(name) in _WEAK_STATION
