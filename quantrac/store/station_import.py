"""Bulk import of a station list from CSV or XLSX, with a row-by-row error report.

Every row is validated first; by default nothing is written unless all rows are valid, so a
fixed file can simply be imported again. `accept_valid` writes the good rows and reports the
rest. Headers may be English field names or their Vietnamese equivalents.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError as PydanticError

from quantrac.catalog.text import match_key
from quantrac.errors import QuantracError, ValidationError
from quantrac.store.db import Store
from quantrac.store.registry import StationSpec, create_station

HEADER_ALIASES = {
    "code": ["code", "mã trạm", "ma tram", "station_code", "mã"],
    "name": ["name", "tên trạm", "ten tram", "tên"],
    "kind": ["kind", "loại trạm", "loai tram", "type"],
    "medium": ["medium", "môi trường", "moi truong", "thành phần môi trường"],
    "latitude": ["latitude", "lat", "vĩ độ", "vi do"],
    "longitude": ["longitude", "lon", "lng", "kinh độ", "kinh do"],
    "admin_unit": ["admin_unit", "province", "tỉnh", "tinh", "tỉnh/thành phố"],
    "owner": ["owner", "chủ sở hữu", "cơ sở", "doanh nghiệp", "organization"],
    "network": ["network", "mạng lưới", "mang luoi"],
    "visibility": ["visibility", "công khai", "cong khai"],
    "regulation": ["regulation", "quy chuẩn", "qcvn"],
    "regulation_column": ["regulation_column", "cột", "cot", "class", "column"],
    "kq": ["kq"],
    "kf": ["kf"],
    "reporting_interval_s": ["reporting_interval_s", "chu kỳ truyền (s)", "interval_s"],
    "address": ["address", "địa chỉ", "dia chi"],
    "notes": ["notes", "ghi chú", "ghi chu"],
}
KIND_WORDS = {
    "tự động": "automatic",
    "tu dong": "automatic",
    "định kỳ": "periodic",
    "dinh ky": "periodic",
}
_HEADER_KEYS = {
    match_key(alias): name for name, aliases in HEADER_ALIASES.items() for alias in aliases
}


@dataclass
class ImportReport:
    file: str
    created: list[str] = field(default_factory=list)
    problems: list[tuple[int, str, str]] = field(default_factory=list)  # (row, field, message)
    written: bool = False


def _read_table(path: Path) -> list[list[Any]]:
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        return [list(r) for r in wb.active.iter_rows(values_only=True)]
    text = path.read_bytes().decode("utf-8-sig")
    dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    return list(csv.reader(io.StringIO(text), dialect))


def import_stations(store: Store, path: Path, accept_valid: bool = False) -> ImportReport:
    report = ImportReport(file=str(path))
    table = _read_table(path)
    if not table:
        raise ValidationError(f"{path}: the file is empty")
    header = [_HEADER_KEYS.get(match_key(str(h or ""))) for h in table[0]]
    unknown = [str(h) for h, k in zip(table[0], header, strict=True) if h and k is None]
    if unknown:
        report.problems.append(
            (
                1,
                ", ".join(unknown),
                "unknown column(s), ignored; known: " + ", ".join(HEADER_ALIASES),
            )
        )
    specs: list[tuple[int, StationSpec]] = []
    for n, cells in enumerate(table[1:], start=2):
        raw = {k: v for k, v in zip(header, cells, strict=False) if k and v not in (None, "")}
        if not raw:
            continue
        if isinstance(raw.get("kind"), str):
            raw["kind"] = KIND_WORDS.get(raw["kind"].strip().lower(), raw["kind"].strip().lower())
        for key in ("code", "admin_unit", "owner"):
            if key in raw:
                raw[key] = str(raw[key]).strip()
        try:
            spec = StationSpec.model_validate(raw)
            spec.check_column()
            specs.append((n, spec))
        except PydanticError as e:
            for err in e.errors():
                where = ".".join(str(p) for p in err["loc"]) or "row"
                report.problems.append((n, where, err["msg"]))
        except QuantracError as e:
            report.problems.append((n, "row", str(e)))
    codes = [s.code for _, s in specs]
    for n, spec in specs:
        if codes.count(spec.code) > 1:
            report.problems.append((n, "code", f"station {spec.code!r} appears twice"))
    row_errors = {n for n, _, _ in report.problems if n > 1}
    if row_errors and not accept_valid:
        return report
    with store.write() as conn:
        for n, spec in specs:
            if n in row_errors:
                continue
            try:
                with conn.begin_nested():
                    create_station(store, spec, conn)
                report.created.append(spec.code)
            except QuantracError as e:
                report.problems.append((n, "code", str(e)))
                if not accept_valid:
                    raise ValidationError(
                        f"{path}: import stopped, nothing written", [(f"row {n}", str(e))]
                    ) from e
    report.written = True
    return report
