"""Writers that turn an iterator of row chunks into an iterator of bytes.

None of them holds the whole export in memory: CSV and Parquet hand each chunk's bytes on as
soon as they are encoded (Parquet one row group per chunk); XLSX is built by openpyxl's
write-only mode in a temporary file (a ZIP cannot be finished before its end) and then read
out in blocks.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

Chunk = Sequence[Sequence[Any]]
XLSX_MAX_ROWS = 1_048_576
_BLOCK = 1 << 20


def csv_stream(columns: Sequence[str], chunks: Iterable[Chunk]) -> Iterator[bytes]:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    yield ("\ufeff" + buf.getvalue()).encode()  # BOM: Excel then reads UTF-8 Vietnamese
    for chunk in chunks:
        buf.seek(0)
        buf.truncate()
        w.writerows(("" if v is None else v for v in row) for row in chunk)
        yield buf.getvalue().encode()


def xlsx_stream(columns: Sequence[str], chunks: Iterable[Chunk]) -> Iterator[bytes]:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    sheet, rows_in_sheet, n = None, 0, 0
    for chunk in chunks:
        for row in chunk:
            if sheet is None or rows_in_sheet >= XLSX_MAX_ROWS:
                n += 1
                sheet = wb.create_sheet(f"data{n}")
                sheet.append(list(columns))
                rows_in_sheet = 1
            sheet.append(list(row))
            rows_in_sheet += 1
    if sheet is None:
        wb.create_sheet("data1").append(list(columns))
    with tempfile.TemporaryFile() as fh:
        wb.save(fh)
        fh.seek(0)
        while block := fh.read(_BLOCK):
            yield block


class _Sink:
    """A file-like object pyarrow writes into; we drain it after every row group."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.closed = False
        self.pos = 0

    def write(self, data: Any) -> int:
        b = bytes(data)
        self.parts.append(b)
        self.pos += len(b)
        return len(b)

    def tell(self) -> int:
        return self.pos

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def drain(self) -> bytes:
        out = b"".join(self.parts)
        self.parts.clear()
        return out


def parquet_stream(
    columns: Sequence[str], chunks: Iterable[Chunk], types: Sequence[str]
) -> Iterator[bytes]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow = {"str": pa.string(), "int": pa.int64(), "float": pa.float64()}
    schema = pa.schema([(c, arrow[t]) for c, t in zip(columns, types, strict=True)])
    sink = _Sink()
    writer = pq.ParquetWriter(pa.PythonFile(sink, mode="w"), schema, compression="zstd")
    try:
        for chunk in chunks:
            if not chunk:
                continue
            cols = list(zip(*chunk, strict=True))
            writer.write_table(
                pa.Table.from_arrays(
                    [pa.array(c, type=f.type) for c, f in zip(cols, schema, strict=True)],
                    schema=schema,
                )
            )
            if data := sink.drain():
                yield data
    finally:
        writer.close()
    yield sink.drain()


Writer = Callable[[Sequence[str], Iterable[Chunk], Sequence[str]], Iterator[bytes]]

WRITERS: dict[str, Writer] = {
    "csv": lambda cols, chunks, _types: csv_stream(cols, chunks),
    "xlsx": lambda cols, chunks, _types: xlsx_stream(cols, chunks),
    "parquet": parquet_stream,
}

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}


def stream_rows(
    fmt: str, columns: Sequence[str], types: Sequence[str], chunks: Iterable[Chunk]
) -> Iterator[bytes]:
    return WRITERS[fmt](columns, chunks, types)
