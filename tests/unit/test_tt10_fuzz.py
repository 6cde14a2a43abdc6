"""Property tests for the TT10 codec: any bytes read without raising, valid files round-trip."""

from __future__ import annotations

from datetime import datetime
from math import isfinite
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quantrac.codecs.tt10 import (
    STATUS_MEANINGS,
    VIETNAM_TZ,
    Tt10File,
    Tt10FileName,
    Tt10Reading,
    read_tt10,
    write_tt10,
)

FUZZ = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
LINE_FIELDS = {"parameter", "value", "unit", "time", "status"}
LINE_CODES = {"field_count", "empty_parameter", "bad_value", "non_finite_value", "decimal_comma",
              "bad_time", "time_mismatch", "unknown_status"}  # fmt: skip
FILE_CODES = {"bad_filename", "encoding", "no_readings"}
REAL_FILES = (
    "HN_BKHN_KHIKXQ_20260325000500.txt",
    "HN_PHCH_NUOPCH_20260203124500.txt",
    "TB_CAPH_NUOSXL_20260325000000.txt",
    "TB_NMAM_KHIAMO_20260325000000.txt",
)


def assert_well_formed(parsed: Tt10File, filename: str, data: bytes) -> None:
    """What every caller may rely on, whatever the input."""
    lines = data.count(b"\n") + data.count(b"\r") + 1  # upper bound on any decoding
    assert parsed.filename == filename
    for problem in parsed.problems:
        assert problem.file == filename
        assert problem.message
        assert problem.severity in {"error", "warning"}
        assert problem.code in LINE_CODES | FILE_CODES
        if problem.code in LINE_CODES or problem.field in LINE_FIELDS:
            assert problem.line is not None
            assert 1 <= problem.line <= lines
        else:
            assert problem.line is None
    for reading in parsed.readings:
        assert 1 <= reading.line <= lines
        assert reading.parameter
        assert reading.parameter == reading.parameter.strip()
        assert reading.value is None or isfinite(reading.value)
        assert reading.time.tzinfo is not None
    if not parsed.readings:
        assert any(p.code == "no_readings" for p in parsed.problems)


@FUZZ
@given(data=st.binary(max_size=400), filename=st.text(max_size=40))
def test_random_bytes_never_raise(data: bytes, filename: str):
    assert_well_formed(read_tt10(data, filename), filename, data)


# Bytes that matter to the format, so mutations hit separators, digits and encodings often.
INTERESTING = st.sampled_from(
    [b"\t", b"\r", b"\n", b"\r\n", b"  ", b" ", b",", b".", b"-", b"_", b"0", b"9", b"e",
     b"nan", b"inf", b"\xef\xbb\xbf", b"\xff", b"\xc3", b"\x00", b"\x85", b"03"]
)  # fmt: skip
MUTATION = st.tuples(
    st.sampled_from(["insert", "replace", "delete"]),
    st.floats(min_value=0, max_value=1, exclude_max=True),
    st.one_of(INTERESTING, st.binary(min_size=1, max_size=3)),
)


def mutate(data: bytes, mutations: list[tuple[str, float, bytes]]) -> bytes:
    for kind, where, chunk in mutations:
        at = int(where * (len(data) + 1))
        if kind == "insert":
            data = data[:at] + chunk + data[at:]
        elif kind == "replace":
            data = data[:at] + chunk + data[at + len(chunk) :]
        else:
            data = data[:at] + data[at + len(chunk) :]
    return data


@FUZZ
@given(
    which=st.sampled_from(REAL_FILES),
    mutations=st.lists(MUTATION, min_size=1, max_size=8),
)
def test_mutated_real_files_never_raise(
    tt10_dir: Path, which: str, mutations: list[tuple[str, float, bytes]]
):
    data = mutate((tt10_dir / which).read_bytes(), mutations)
    parsed = read_tt10(data, which)
    assert_well_formed(parsed, which, data)
    # A problem-free result must survive the trip back to bytes.
    if not parsed.problems:
        assert read_tt10(write_tt10(parsed), which).readings == parsed.readings


# Lines assembled from plausible and broken field texts, joined by plausible separators.
TOKENS = st.sampled_from(
    ["COD", "Vinyl chloride", "PM2,5", "Nhiệt độ", "", " ", "45.2", "12,5", "---", "-", "NaN",
     "1e999", "mg/L", "°C", "20260325000500", "20260230120000", "2026032500050", "00", "01",
     "02", "03", "\ufeff", "\x00"]
)  # fmt: skip
LINES = st.lists(
    st.tuples(st.lists(TOKENS, max_size=16), st.sampled_from(["\t", "  ", " ", "\t\t", "   "])),
    max_size=10,
).map(lambda lines: "\r\n".join(sep.join(tokens) for tokens, sep in lines).encode())


@FUZZ
@given(data=LINES)
def test_assembled_lines_never_raise(data: bytes):
    name = "HN_BKHN_KHIKXQ_20260325000500.txt"
    assert_well_formed(read_tt10(data, name), name, data)


# --------------------------------------------------------------------------- round trips

# Text the writer accepts: no tab, line break or BOM, no padding (surrogates cannot be UTF-8).
TEXT_CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\t\r\n\ufeff")
NAMES = st.text(TEXT_CHARS, min_size=1, max_size=20).filter(lambda s: s == s.strip())
UNITS = st.text(TEXT_CHARS, max_size=8).filter(lambda s: s == s.strip())
STATUSES = st.one_of(
    st.sampled_from(sorted(STATUS_MEANINGS)),
    st.text(st.characters(blacklist_categories=("Cs", "Zs", "Zl", "Zp", "Cc")), min_size=1,
            max_size=3).filter(lambda s: not any(c.isspace() for c in s)),
)  # fmt: skip
TIMES = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(VIETNAM_TZ)
).map(lambda t: t.replace(microsecond=0))
VALUES = st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False))
READINGS = st.builds(Tt10Reading, NAMES, VALUES, UNITS, TIMES, STATUSES)
CODES = st.text(st.sampled_from("ABCDEFGHIKLMNOPQRSTUVXYabc0123456789-."), min_size=1, max_size=8)
FILE_NAMES = st.one_of(
    st.builds(Tt10FileName, CODES, TIMES, CODES, CODES),
    st.builds(Tt10FileName, CODES, TIMES),  # legacy <Station>YYYYMMDDhhmmss.txt
)


@FUZZ
@given(name=FILE_NAMES, readings=st.lists(READINGS, max_size=12))
def test_generated_files_round_trip(name: Tt10FileName, readings: list[Tt10Reading]):
    original = Tt10File.new(name, readings)
    written = write_tt10(original)
    parsed = read_tt10(written, original.filename)
    assert parsed.name == name
    assert parsed.readings == original.readings
    assert [r.line for r in parsed.readings] == list(range(1, len(readings) + 1))
    assert not parsed.errors or not readings
    assert write_tt10(parsed) == written


@FUZZ
@given(name=FILE_NAMES, readings=st.lists(READINGS, min_size=1, max_size=12))
def test_generated_clean_files_are_equal_after_a_round_trip(
    name: Tt10FileName, readings: list[Tt10Reading]
):
    # Same time as the name and known statuses: nothing to warn about, so the whole file is equal.
    clean = [
        Tt10Reading(r.parameter, r.value, r.unit, name.time, r.status if r.status_known else "00")
        for r in readings
    ]
    original = Tt10File.new(name, clean)
    assert read_tt10(write_tt10(original), original.filename) == original
