"""The batch on the wire: a JSON header (registry, events, samples, revisions, ranges) and the
observations as an Arrow IPC stream, in one HTTP body.

    b"QTSYNC1\\n" | u8 codec (0 none, 1 zstd, 2 lz4) | u64 header length | u64 compressed
    length | header (JSON, compressed) | Arrow IPC stream of observations (buffers compressed
    with the same codec)

Arrow keeps 8 M values compact and typed (no float → text → float round trip: a value
arrives bit for bit) and decodes without a Python loop; the header stays readable JSON.
"""

from __future__ import annotations

import json
import struct
from typing import Any

import pyarrow as pa

from quantrac.errors import ValidationError

MAGIC = b"QTSYNC1\n"
CONTENT_TYPE = "application/vnd.quantrac.sync-batch"
VERSION = 1
_LENGTHS = struct.Struct("<BQQ")
_CODECS = (None, "zstd", "lz4")

#: Observations of a batch, grouped by range in the order of `header["ranges"]`.
OBS_SCHEMA = pa.schema(
    [
        ("sid", pa.int64()),  # the province's series id (mapped on arrival)
        ("time", pa.int64()),
        ("value", pa.float64()),
        ("device_status", pa.int16()),
        ("qc_flag", pa.int16()),
        ("qc_reasons", pa.string()),
    ]
)


class BatchFormatError(ValidationError):
    """The body is not a quantrac sync batch."""


def _codec(compression: str | None) -> str | None:
    return None if compression in (None, "none") else compression


def encode(header: dict[str, Any], table: pa.Table | None, compression: str | None) -> bytes:
    """One HTTP body: header and observations."""
    codec = _codec(compression)
    raw = json.dumps(header, separators=(",", ":")).encode()
    packed = raw if codec is None else pa.compress(raw, codec=codec, asbytes=True)
    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression=codec)
    with pa.ipc.new_stream(sink, OBS_SCHEMA, options=options) as writer:
        if table is not None and table.num_rows:
            writer.write_table(table, max_chunksize=1 << 20)
    return b"".join(
        (
            MAGIC,
            _LENGTHS.pack(_CODECS.index(codec), len(raw), len(packed)),
            packed,
            sink.getvalue().to_pybytes(),
        )
    )


def decode(body: bytes) -> tuple[dict[str, Any], pa.Table]:
    """Header and observations of a body made by `encode`; refuses anything else."""
    head = len(MAGIC) + _LENGTHS.size
    if len(body) < head or not body.startswith(MAGIC):
        raise BatchFormatError("not a quantrac sync batch", [("body", "bad magic")])
    codec_id, raw_len, packed_len = _LENGTHS.unpack_from(body, len(MAGIC))
    if head + packed_len > len(body) or raw_len > 1 << 31 or codec_id >= len(_CODECS):
        raise BatchFormatError("truncated sync batch", [("body", "header length")])
    packed = body[head : head + packed_len]
    try:
        codec = _CODECS[codec_id]
        raw = packed if codec is None else pa.decompress(packed, raw_len, codec, asbytes=True)
        header = json.loads(raw)
        reader = pa.ipc.open_stream(pa.py_buffer(body)[head + packed_len :])
        table = reader.read_all()
    except (pa.ArrowException, ValueError, UnicodeDecodeError) as e:
        raise BatchFormatError("malformed sync batch", [("body", str(e)[:200])]) from None
    if not isinstance(header, dict) or header.get("version") != VERSION:
        raise BatchFormatError(
            f"unsupported sync batch version {header.get('version')!r}; expected {VERSION}"
        )
    if not table.schema.equals(OBS_SCHEMA):
        raise BatchFormatError("unexpected observation columns", [("schema", str(table.schema))])
    return header, table


def empty_table() -> pa.Table:
    return OBS_SCHEMA.empty_table()
