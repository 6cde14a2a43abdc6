"""Bytes of a CSV or XLSX file → a plain grid of cell values, plus how it was decoded.

Kept apart from the sheet logic so that header finding and value parsing see one shape for both
formats: ``rows[i][j]`` is sheet row ``i + 1``, column ``j + 1``; CSV cells are ``str``, XLSX
cells are what openpyxl gives (number, text, datetime, None).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from typing import Literal
from xml.etree import ElementTree

import openpyxl
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.exceptions import InvalidFileException

from quantrac.errors import CodecError

Cell = object
#: A merged range as (min_row, min_col, max_row, max_col), 1-based and inclusive.
Merge = tuple[int, int, int, int]

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_DELIMITERS = (",", ";", "\t", "|")
_SAMPLE_LINES = 60
_MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]+\d+(?::[A-Z]+\d+)?)"')
_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"


@dataclass(frozen=True, slots=True)
class Grid:
    """Cell values of one sheet and how they were read (for messages and the header mapping)."""

    rows: list[list[Cell]]
    kind: Literal["csv", "xlsx"]
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    merges: tuple[Merge, ...] = ()
    #: Set when the CSV was not UTF-8: Vietnamese letters may then be wrong.
    encoding_fallback: bool = False


def load_grid(data: bytes, filename: str, sheet: str | None = None) -> Grid:
    """Read the bytes as XLSX when they are a zip package, otherwise as delimited text."""
    suffix = PurePath(filename).suffix.lower()
    if data.startswith(_OLE_MAGIC) or suffix == ".xls":
        raise CodecError(
            "old Excel 97-2003 (.xls) workbooks are not read; save the sheet as .xlsx or CSV",
            file=filename,
        )
    if data.startswith(_ZIP_MAGIC):
        return _load_xlsx(data, filename, sheet)
    if suffix in {".xlsx", ".xlsm"}:
        raise CodecError("the file is named .xlsx but is not an Excel workbook", file=filename)
    return _load_csv(data, filename)


def _decode(data: bytes, filename: str) -> tuple[str, str, bool]:
    """Text, encoding name and whether a non-UTF-8 fallback was used (then flagged to the user)."""
    for bom, name in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(name), name, False
            except UnicodeDecodeError as exc:
                raise CodecError(f"invalid UTF-16 text: {exc}", file=filename) from exc
    if b"\x00" in data[:4096]:
        raise CodecError("binary data, not a CSV or XLSX file", file=filename)
    if data.startswith(codecs.BOM_UTF8):
        data, name = data[len(codecs.BOM_UTF8) :], "utf-8-sig"
    else:
        name = "utf-8"
    try:
        return data.decode("utf-8"), name, False
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1258"), "cp1258", True
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1", True


def _load_csv(data: bytes, filename: str) -> Grid:
    text, encoding, fallback = _decode(data, filename)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)  # cp1258 writes tone marks as combining marks
    first, _, rest = text.partition("\n")
    if first.strip().lower().startswith("sep=") and len(first.strip()) == 5:
        delimiter, text = first.strip()[4], rest  # Excel's "sep=;" hint line is not a row
    else:
        delimiter = sniff_delimiter(text)
    try:
        rows: list[list[Cell]] = list(
            csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        )
    except csv.Error as exc:
        raise CodecError(f"unreadable CSV: {exc}", file=filename) from exc
    return Grid(rows, "csv", encoding=encoding, delimiter=delimiter, encoding_fallback=fallback)


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits most of the first lines into the same number (> 1) of fields.

    Counting consistent lines (not characters) copes with comma decimals in a ';' file and with
    one-cell title lines above the header.
    """
    lines = [line for line in text.splitlines()[: _SAMPLE_LINES * 2] if line.strip()]
    sample = "\n".join(lines[:_SAMPLE_LINES])
    best, best_score = ",", (0, 0)
    for delimiter in _DELIMITERS:
        try:
            widths = [len(r) for r in csv.reader(io.StringIO(sample), delimiter=delimiter)]
        except csv.Error:
            continue
        multi = [w for w in widths if w > 1]
        if not multi:
            continue
        modal = max(set(multi), key=lambda w: (multi.count(w), w))
        score = (multi.count(modal), modal)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _load_xlsx(data: bytes, filename: str, sheet: str | None) -> Grid:
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (
        zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, TypeError, OSError,
        ElementTree.ParseError,
    ) as exc:  # fmt: skip
        raise CodecError(f"cannot read the workbook: {exc}", file=filename) from exc
    try:
        names = book.sheetnames
        if sheet is None:
            if not book.worksheets:
                raise CodecError("the workbook has no worksheet", file=filename)
            worksheet = book.worksheets[0]
        elif sheet in names:
            worksheet = book[sheet]
        else:
            raise CodecError(
                f"no sheet named {sheet!r}; the workbook has: {', '.join(names)}", file=filename
            )
        worksheet.reset_dimensions()  # some writers store wrong dimensions; read what is there
        rows: list[list[Cell]] = [list(r) for r in worksheet.iter_rows(values_only=True)]
        title = worksheet.title
    finally:
        book.close()
    return Grid(rows, "xlsx", sheet=title, merges=_merged_ranges(data, title))


def _merged_ranges(data: bytes, title: str) -> tuple[Merge, ...]:
    """Merged ranges of the sheet, read from its XML: openpyxl's read-only mode drops them."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        try:
            part = _sheet_part(package, title)
            xml = package.read(part) if part else b""
        except (KeyError, ElementTree.ParseError):
            return ()
    merges = []
    for ref in _MERGE_REF.findall(xml):
        min_col, min_row, max_col, max_row = range_boundaries(ref.decode())
        merges.append((min_row, min_col, max_row, max_col))
    return tuple(merges)


def _sheet_part(package: zipfile.ZipFile, title: str) -> str | None:
    """Zip path of the worksheet called `title`, following the workbook's relationships."""
    book_part = "xl/workbook.xml"
    for rel in ElementTree.fromstring(package.read("_rels/.rels")).iter(f"{_NS_PKG}Relationship"):
        if rel.get("Type", "").endswith("/officeDocument"):
            book_part = rel.get("Target", book_part).lstrip("/")
    folder, _, name = book_part.rpartition("/")
    rels_part = f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"
    targets = {
        rel.get("Id"): rel.get("Target", "")
        for rel in ElementTree.fromstring(package.read(rels_part)).iter(f"{_NS_PKG}Relationship")
    }
    for entry in ElementTree.fromstring(package.read(book_part)).iter(f"{_NS_MAIN}sheet"):
        if entry.get("name") == title:
            target = targets.get(entry.get(f"{_NS_REL}id"), "")
            if target.startswith("/"):
                return target.lstrip("/")
            return f"{folder}/{target}" if folder else target
    return None
