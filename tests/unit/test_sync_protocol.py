"""Federation pieces that need no database: positions, the wire format, span rules."""

from __future__ import annotations

import math
import struct
from itertools import pairwise

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantrac.errors import ValidationError
from quantrac.sync.changes import END_OF_TIME
from quantrac.sync.position import Position
from quantrac.sync.protocol import MAGIC, OBS_SCHEMA, BatchFormatError, decode, encode
from quantrac.sync.reader import Entry, merge_spans
from quantrac.sync.replica import check_spans


def _table(rows: list[tuple]) -> pa.Table:
    cols = list(zip(*rows, strict=True)) if rows else [[] for _ in OBS_SCHEMA]
    return pa.Table.from_arrays(
        [pa.array(c, type=f.type) for c, f in zip(cols, OBS_SCHEMA, strict=True)],
        schema=OBS_SCHEMA,
    )


# --- positions --------------------------------------------------------------------------------
def test_a_position_round_trips_as_four_integers() -> None:
    p = Position(12, 34, 5, 1_767_225_600)
    assert Position.from_list(p.as_list()) == p
    assert not p.complete
    assert Position().complete
    assert str(Position(0, 7)) == "7"


@pytest.mark.parametrize("bad", [[1, 2, 3], [1, 2, 3, "4"], [1, 2, 3, True], "1,2,3,4", None])
def test_a_malformed_position_is_refused(bad: object) -> None:
    with pytest.raises(ValidationError):
        Position.from_list(bad)  # type: ignore[arg-type]


# --- wire format ------------------------------------------------------------------------------
@pytest.mark.parametrize("codec", ["zstd", "lz4", "none"])
def test_a_batch_arrives_bit_for_bit(codec: str) -> None:
    values = [0.1, 1 / 3, -0.0, 5e-324, 1.7976931348623157e308, None, 12.5]
    rows = [(7, 1000 + i, v, None if i % 3 else 2, 1, None if i % 2 else "range;spike")
            for i, v in enumerate(values)]  # fmt: skip
    header = {"version": 1, "from": [0, 0, -1, 0], "events": [{"details": 'ý kiến, "x"'}]}
    got_header, got = decode(encode(header, _table(rows), codec))
    assert got_header == header
    assert got.to_pylist() == _table(rows).to_pylist()
    sent = np.array([math.nan if v is None else v for v in values])
    back = got.column("value").to_numpy(zero_copy_only=False)
    assert np.array_equal(np.signbit(sent), np.signbit(back))


def test_an_empty_batch_has_the_same_columns() -> None:
    _, table = decode(encode({"version": 1}, None, "zstd"))
    assert table.num_rows == 0 and table.schema.equals(OBS_SCHEMA)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"GET / HTTP/1.1\r\n",
        MAGIC + struct.pack("<BQQ", 1, 10, 999),  # header longer than the body
        MAGIC + struct.pack("<BQQ", 9, 2, 2) + b"{}",  # unknown codec
        MAGIC + struct.pack("<BQQ", 0, 2, 2) + b"{}",  # no Arrow stream
        MAGIC + struct.pack("<BQQ", 0, 14, 14) + b'{"version":99}',
    ],
)
def test_anything_else_is_refused_as_a_format_error(body: bytes) -> None:
    with pytest.raises(BatchFormatError):
        decode(body)


def test_other_observation_columns_are_refused() -> None:
    other = pa.schema([("sid", pa.int64()), ("time", pa.int64())])
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, other) as w:
        w.write_table(other.empty_table())
    body = encode({"version": 1}, None, "none")
    head = body[: body.index(b"}") + 1]
    with pytest.raises(BatchFormatError, match="columns"):
        decode(head + sink.getvalue().to_pybytes())


# --- spans --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("spans", "merged"),
    [
        ([], []),
        ([(0, 0)], [(0, 0)]),
        ([(300, 300), (0, 0), (600, 600)], [(0, 600)]),  # consecutive 5-minute files
        ([(0, 100), (50, 80)], [(0, 100)]),
        ([(0, 0), (100_000, 100_000)], [(0, 0), (100_000, 100_000)]),  # a day apart
    ],
)
def test_spans_of_a_series_merge_when_close(spans: list, merged: list) -> None:
    assert merge_spans(spans) == merged


@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**5)), max_size=30))
def test_merged_spans_cover_every_span_and_do_not_overlap(raw: list[tuple[int, int]]) -> None:
    spans = [(lo, lo + width) for lo, width in raw]
    merged = merge_spans(spans)
    assert all(any(m[0] <= lo and hi <= m[1] for m in merged) for lo, hi in spans)
    assert all(a[1] < b[0] for a, b in pairwise(merged))


def test_an_entry_costs_what_its_span_will_read() -> None:
    e = Entry(1, 0, "obs", None, "3,1,2", 0, 7200, None)
    assert e.series_ids == [1, 2, 3]
    assert e.estimate() == 3 * 3  # at least hourly data over the span
    assert Entry(1, 0, "obs", None, "1", 0, 3600, 500).estimate() == 500  # the rows written
    # Two rows a year apart read the year between them.
    assert Entry(1, 0, "obs", None, "1", 0, 365 * 86_400, 2).estimate() == 365 * 24 + 1
    assert Entry(1, 0, "obs", None, "1", 0, END_OF_TIME, 8640).estimate() == 8640  # a seed
    assert Entry(1, 0, "station", 4, None, None, None, None).estimate() == 1


@pytest.mark.parametrize(
    ("spans", "times", "message"),
    [
        ([(1, 0, 10, 2)], [5], "add up"),
        ([(1, 0, 10, 1)], [11], "outside"),
        ([(1, 0, 10, 2)], [5, 5], "increasing"),
        ([(1, 0, 10, 2)], [6, 5], "increasing"),
        ([(1, 0, 10, 0), (1, 10, 20, 0)], [], "overlapping"),
        ([(1, 10, 0, 0)], [], "ends before"),
    ],
)
def test_inconsistent_spans_are_refused(spans: list, times: list, message: str) -> None:
    with pytest.raises(BatchFormatError, match=message):
        check_spans(spans, np.array(times, dtype=np.int64))


def test_consistent_spans_pass() -> None:
    spans = [(1, 0, 10, 2), (1, 11, 20, 0), (2, 0, 10, 1)]
    check_spans(spans, np.array([0, 10, 3], dtype=np.int64))
