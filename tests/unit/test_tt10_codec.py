"""TT10 codec: the four real station files, every accepted variant, every problem, round trips.

Format: Circular 10/2021 Phụ lục 15 as implemented by public dataloggers
(shared/reference/tt10-2021-data-transmission.md).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from quantrac.codecs.tt10 import (
    VIETNAM_TZ,
    Tt10File,
    Tt10FileName,
    Tt10Problem,
    Tt10Reading,
    parse_filename,
    read_tt10,
    tt10_filename,
    write_tt10,
)
from quantrac.errors import CodecError

AIR = "HN_BKHN_KHIKXQ_20260325000500.txt"
RIVER = "HN_PHCH_NUOPCH_20260203124500.txt"
WASTEWATER = "TB_CAPH_NUOSXL_20260325000000.txt"
STACK = "TB_NMAM_KHIAMO_20260325000000.txt"
PLUS7 = timedelta(hours=7)

NAME = "HN_ABCD_NUO001_20260101120000.txt"
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=VIETNAM_TZ)
STAMP = "20260101120000"


def tt10(*lines: str, end: str = "\r\n") -> bytes:
    return "".join(line + end for line in lines).encode("utf-8")


def row(name: str = "COD", value: str = "45.2", unit: str = "mg/L", stamp: str = STAMP) -> str:
    return f"{name}\t{value}\t{unit}\t{stamp}\t00"


def only(problems: tuple[Tt10Problem, ...], **match: object) -> Tt10Problem:
    found = [p for p in problems if all(getattr(p, k) == v for k, v in match.items())]
    assert len(found) == 1, f"expected one {match} in {problems}"
    return found[0]


# --------------------------------------------------------------------------- real files

REAL_FILES = [
    # file, readings, local time
    (AIR, 26, datetime(2026, 3, 25, 0, 5)),
    (RIVER, 7, datetime(2026, 2, 3, 12, 45)),
    (WASTEWATER, 7, datetime(2026, 3, 25, 0, 0)),
    (STACK, 5, datetime(2026, 3, 25, 0, 0)),
]


@pytest.mark.parametrize(("filename", "count", "local"), REAL_FILES)
def test_real_file_reads_cleanly(tt10_dir: Path, filename: str, count: int, local: datetime):
    parsed = read_tt10((tt10_dir / filename).read_bytes(), filename)
    assert parsed.problems == ()
    assert parsed.encoding == "utf-8"
    assert len(parsed.readings) == count
    assert [r.line for r in parsed.readings] == list(range(1, count + 1))
    assert parsed.name is not None
    assert parsed.name.station_key == filename.rsplit("_", 1)[0]
    for reading in (parsed.name, *parsed.readings):
        assert reading.time.utcoffset() == PLUS7
        assert reading.time.replace(tzinfo=None) == local


REAL_READINGS = [
    # file, line, parameter, value, unit, status, meaning
    (AIR, 1, "NO", 0.0, "ug/m3", "00", "measuring"),
    (AIR, 2, "NO2", 14.91, "ug/m3", "00", "measuring"),
    (AIR, 5, "CO", 3087.03, "ug/m3", "02", "error"),
    (AIR, 6, "O3", 45.14, "ug/m3", "01", "calibrating"),
    (AIR, 7, "PM2.5", 27.81, "ug/m3", "00", "measuring"),
    (AIR, 10, "Humidity", 86.37, "%", "00", "measuring"),
    (AIR, 12, "Radiation", -1.60, "w/m2", "00", "measuring"),
    (AIR, 14, "WindDir", 33.42, "Degree", "00", "measuring"),
    (AIR, 15, "Hg", 0.02, "ng/m3", "02", "error"),
    (AIR, 17, "Vinyl chloride", 0.0, "ppb", "00", "measuring"),
    (AIR, 25, "m,p-Xylene", 0.0, "ppb", "00", "measuring"),
    (AIR, 26, "o-Xylene", 0.0, "ppb", "00", "measuring"),
    (RIVER, 1, "pH", 8.81, "", "00", "measuring"),
    (RIVER, 4, "TURB", 0.58, "FNU", "00", "measuring"),
    (RIVER, 5, "NO3-N", 253.0, "mg/L", "00", "measuring"),
    (RIVER, 7, "Temp", 18.2, "oC", "00", "measuring"),
    (WASTEWATER, 2, "Flowin", 0.5833, "m3/h", "00", "measuring"),
    (WASTEWATER, 3, "Flow_Out", 10.1973, "m3/h", "00", "measuring"),
    (WASTEWATER, 4, "Amoni", 2.3308, "mg/l", "00", "measuring"),
    (WASTEWATER, 6, "pH", 7.8485, "", "00", "measuring"),
    # The bytes hold "Nhiệtđộ" / "Ápsuất" without a space (the .source.md says "Nhiệt độ").
    (STACK, 1, "Nhiệtđộ", 44.9342, "", "00", "measuring"),
    (STACK, 2, "Flow", 61617.0875, "m3/h", "00", "measuring"),
    (STACK, 3, "Ápsuất", 100.5425, "", "00", "measuring"),
    (STACK, 4, "NH3", 1.5858, "mg/Nm3", "00", "measuring"),
]


@pytest.mark.parametrize(
    ("filename", "line", "parameter", "value", "unit", "status", "meaning"), REAL_READINGS
)
def test_real_file_reading(
    tt10_dir: Path,
    *,
    filename: str,
    line: int,
    parameter: str,
    value: float,
    unit: str,
    status: str,
    meaning: str,
):
    parsed = read_tt10((tt10_dir / filename).read_bytes(), filename)
    reading = parsed.readings[line - 1]
    assert (reading.line, reading.parameter, reading.value, reading.unit) == (
        line,
        parameter,
        value,
        unit,
    )
    assert (reading.status, reading.status_meaning, reading.status_known) == (status, meaning, True)


@pytest.mark.parametrize("filename", [f for f, _, _ in REAL_FILES])
def test_real_file_round_trip(tt10_dir: Path, filename: str):
    original = (tt10_dir / filename).read_bytes()
    parsed = read_tt10(original, filename)
    written = write_tt10(parsed)
    again = read_tt10(written, filename)
    assert again == parsed
    assert written.endswith(b"\r\n")
    assert written.count(b"\r\n") == original.count(b"\r\n")
    assert not written.startswith(b"\xef\xbb\xbf")


# --------------------------------------------------------------------------- accepted variants

EXPECTED = (
    Tt10Reading("COD", 45.2, "mg/L", T0, "00"),
    Tt10Reading("Vinyl chloride", 0.5, "ppb", T0, "01"),
    Tt10Reading("pH", 7.12, "", T0, "02"),
)
CANONICAL = [
    f"COD\t45.2\tmg/L\t{STAMP}\t00",
    f"Vinyl chloride\t0.5\tppb\t{STAMP}\t01",
    f"pH\t7.12\t\t{STAMP}\t02",
]

VARIANTS = [
    ("crlf", tt10(*CANONICAL)),
    ("lf", tt10(*CANONICAL, end="\n")),
    ("cr", tt10(*CANONICAL, end="\r")),
    ("no final newline", "\r\n".join(CANONICAL).encode()),
    ("utf-8 bom", b"\xef\xbb\xbf" + tt10(*CANONICAL)),
    ("blank lines", tt10("", CANONICAL[0], "   ", "", CANONICAL[1], "\t", CANONICAL[2], "")),
    ("trailing spaces", tt10(*(line + "  " for line in CANONICAL))),
    ("trailing tab", tt10(*(line + "\t" for line in CANONICAL))),
    ("padded fields", tt10(*(" \t ".join(line.split("\t")) for line in CANONICAL))),
    ("leading indent", tt10(*("  " + line for line in CANONICAL))),
    ("two-space separated", tt10(*("  ".join(line.split("\t")) for line in CANONICAL))),
    ("space runs separated", tt10(*("    ".join(line.split("\t")) for line in CANONICAL))),
    ("one line, many groups", tt10("\t".join(CANONICAL))),
    ("one line, space separated", tt10("   ".join("  ".join(ln.split("\t")) for ln in CANONICAL))),
    ("padded status", tt10(*(line[:-2] + " " + line[-2:] + " " for line in CANONICAL))),
]


@pytest.mark.parametrize("data", [v for _, v in VARIANTS], ids=[k for k, _ in VARIANTS])
def test_accepted_variant(data: bytes):
    parsed = read_tt10(data, NAME)
    assert parsed.problems == ()
    assert parsed.readings == EXPECTED


def test_blank_lines_keep_line_numbers():
    parsed = read_tt10(tt10("", CANONICAL[0], "", "", CANONICAL[1]), NAME)
    assert [r.line for r in parsed.readings] == [2, 5]


def test_many_groups_on_one_line_share_its_number():
    parsed = read_tt10(tt10(CANONICAL[0], "\t".join(CANONICAL[1:])), NAME)
    assert [r.line for r in parsed.readings] == [1, 2, 2]


@pytest.mark.parametrize(
    ("written", "value"),
    [("", None), ("---", None), ("-", None), ("--", None), ("  ---  ", None), ("1e3", 1000.0),
     ("+5", 5.0), (".5", 0.5), ("-0.25", -0.25), ("007", 7.0)],
)  # fmt: skip
def test_value_forms(written: str, value: float | None):
    parsed = read_tt10(tt10(row(value=written)), NAME)
    assert parsed.problems == ()
    assert parsed.readings[0].value == value


@pytest.mark.parametrize(("written", "value"), [("12,5", 12.5), ("-0,25", -0.25), ("1,234", 1.234)])
def test_decimal_comma_is_read_and_flagged(written: str, value: float):
    parsed = read_tt10(tt10(row("PM2,5", written, "ug/m3")), NAME)
    assert parsed.readings == (Tt10Reading("PM2,5", value, "ug/m3", T0, "00"),)
    problem = only(parsed.problems, code="decimal_comma")
    assert (problem.line, problem.field, problem.severity) == (1, "value", "warning")


def test_names_with_commas_and_spaces_are_names():
    parsed = read_tt10(tt10(row("PM2,5", "12.5"), row("m,p-Xylene", "0.1"), row("Áp suất")), NAME)
    assert [r.parameter for r in parsed.readings] == ["PM2,5", "m,p-Xylene", "Áp suất"]
    assert parsed.problems == ()


def test_space_separated_line_with_empty_unit():
    line = f"Vinyl chloride  0.5  {STAMP}  01"
    parsed = read_tt10(tt10(line, f"pH  7.12    {STAMP}  02"), NAME)
    assert parsed.problems == ()
    assert parsed.readings == (Tt10Reading("Vinyl chloride", 0.5, "", T0, "01"), EXPECTED[2])


# Windows-1258 writes Vietnamese tones as combining marks: ệ = ê + dot below, ộ = ô + dot below.
CP1258_NHIET_DO = b"Nhi\xea\xf2t \xf0\xf4\xf2"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (CP1258_NHIET_DO + f"\t44.9\t\xb0C\t{STAMP}\t00\r\n".encode("latin-1"), "cp1258"),
        (f"Nhiệt độ\t44.9\t°C\t{STAMP}\t00\r\n".encode("utf-16"), "utf-16"),
    ],
)
def test_other_encodings_are_decoded_with_a_warning(data: bytes, encoding: str):
    parsed = read_tt10(data, NAME)
    assert parsed.encoding == encoding
    assert parsed.readings == (Tt10Reading("Nhiệt độ", 44.9, "°C", T0, "00"),)
    problem = only(parsed.problems, code="encoding")
    assert (problem.severity, problem.line, problem.file) == ("warning", None, NAME)


def test_latin1_is_the_last_resort():
    data = b"Temp\x81\t1.0\toC\t" + STAMP.encode() + b"\t00\r\n"
    parsed = read_tt10(data, NAME)
    assert parsed.encoding == "latin-1"
    assert parsed.readings[0].parameter == "Temp\x81"
    assert only(parsed.problems, code="encoding").severity == "warning"


def test_time_zone_is_configurable():
    parsed = read_tt10(tt10(row()), NAME, tz=UTC)
    assert parsed.readings[0].time == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert parsed.name is not None
    assert parsed.name.time.utcoffset() == timedelta(0)


def test_legacy_tt24_file_reads_the_same_five_fields():
    # Circular 24/2017 Art. 56 files carry the same five fields; only the older name differs.
    parsed = read_tt10(tt10(row(stamp="20170228145700")), "KCNDiemThuy20170228145700.txt")
    assert parsed.problems == ()
    assert parsed.name is not None
    assert parsed.name.legacy
    assert parsed.name.station_key == "KCNDiemThuy"
    assert parsed.readings[0].time == datetime(2017, 2, 28, 14, 57, tzinfo=VIETNAM_TZ)


# --------------------------------------------------------------------------- problems

PROBLEMS = [
    # id, line 2 as written, code, field, severity, reading kept
    ("4 fields", "COD\t45.2\tmg/L\t" + STAMP, "field_count", None, "error", False),
    ("7 fields", row() + "\tTSS\t1", "field_count", None, "error", False),
    ("one word", "garbage", "field_count", None, "error", False),
    ("empty parameter", row(name=""), "empty_parameter", "parameter", "error", False),
    ("text value", row(value="abc"), "bad_value", "value", "error", False),
    ("two commas", row(value="1,2,3"), "bad_value", "value", "error", False),
    ("thousands", row(value="1.234,5"), "bad_value", "value", "error", False),
    ("underscore", row(value="1_000"), "bad_value", "value", "error", False),
    ("arabic digits", row(value="١٢"), "bad_value", "value", "error", False),
    ("nan", row(value="NaN"), "non_finite_value", "value", "error", False),
    ("inf", row(value="inf"), "non_finite_value", "value", "error", False),
    ("-infinity", row(value="-Infinity"), "non_finite_value", "value", "error", False),
    ("iso time", row(stamp="2026-01-01 12:00"), "bad_time", "time", "error", False),
    ("13 digits", row(stamp=STAMP[:-1]), "bad_time", "time", "error", False),
    ("30 February", row(stamp="20260230120000"), "bad_time", "time", "error", False),
    ("hour 24", row(stamp="20260101240000"), "bad_time", "time", "error", False),
    ("second 60", row(stamp="20260101235960"), "bad_time", "time", "error", False),
    ("year 0", row(stamp="00000101000000"), "bad_time", "time", "error", False),
    ("other time", row(stamp="20260101120500"), "time_mismatch", "time", "warning", True),
    ("status 03", row()[:-2] + "03", "unknown_status", "status", "warning", True),
    ("status text", row()[:-2] + "OK", "unknown_status", "status", "warning", True),
    ("status 0", row()[:-2] + "0", "unknown_status", "status", "warning", True),
    ("decimal comma", row(value="45,2"), "decimal_comma", "value", "warning", True),
]


@pytest.mark.parametrize(
    ("line", "code", "field", "severity", "kept"),
    [p[1:] for p in PROBLEMS],
    ids=[p[0] for p in PROBLEMS],
)
def test_problem_is_reported_and_other_lines_survive(
    line: str, code: str, field: str | None, severity: str, kept: bool
):
    parsed = read_tt10(tt10(CANONICAL[0], line, CANONICAL[1]), NAME)
    problem = only(parsed.problems, code=code)
    assert (problem.file, problem.line, problem.field, problem.severity) == (
        NAME,
        2,
        field,
        severity,
    )
    assert problem.message
    assert NAME in str(problem)
    assert "line 2" in str(problem)
    assert [r.line for r in parsed.readings] == ([1, 2, 3] if kept else [1, 3])
    assert parsed.readings[0] == EXPECTED[0]
    assert parsed.readings[-1] == EXPECTED[1]


def test_unknown_status_reading_is_kept_as_written():
    parsed = read_tt10(tt10(row()[:-2] + "03"), NAME)
    reading = parsed.readings[0]
    assert (reading.status, reading.status_known, reading.status_meaning) == ("03", False, None)


def test_every_bad_field_of_a_line_is_reported():
    parsed = read_tt10(tt10("\tabc\tmg/L\t2026\t09"), NAME)
    found = {(p.code, p.field) for p in parsed.problems if p.line == 1}
    assert found == {
        ("empty_parameter", "parameter"),
        ("bad_value", "value"),
        ("bad_time", "time"),
        ("unknown_status", "status"),
    }


def test_time_mismatch_is_reported_once_per_distinct_time():
    other = row(stamp="20260101120500")
    parsed = read_tt10(tt10(other, other, row(), other), NAME)
    assert [(p.code, p.line) for p in parsed.problems] == [("time_mismatch", 1)]
    assert len(parsed.readings) == 4


def test_bad_time_is_reported_on_every_line():
    bad = row(stamp="20260230120000")
    parsed = read_tt10(tt10(bad, bad), NAME)
    assert [p.line for p in parsed.problems if p.code == "bad_time"] == [1, 2]


@pytest.mark.parametrize("data", [b"", b"\r\n\r\n", b"   \n\t\n", b"\xef\xbb\xbf"])
def test_empty_file_has_no_readings_error(data: bytes):
    parsed = read_tt10(data, NAME)
    assert parsed.readings == ()
    problem = only(parsed.problems, code="no_readings")
    assert (problem.severity, problem.line, problem.field) == ("error", None, None)


def test_bad_file_name_is_a_problem_and_lines_are_still_read():
    parsed = read_tt10(tt10(row()), "upload.dat")
    assert parsed.name is None
    assert parsed.readings == (EXPECTED[0],)
    problem = only(parsed.problems, code="bad_filename")
    assert (problem.field, problem.line, problem.severity) == ("filename", None, "error")


def test_errors_and_warnings_are_split():
    parsed = read_tt10(tt10(row(value="x"), row()[:-2] + "03"), NAME)
    assert [p.code for p in parsed.errors] == ["bad_value"]
    assert [p.code for p in parsed.warnings] == ["unknown_status"]


# --------------------------------------------------------------------------- file names

GOOD_NAMES = [
    # name, province, facility, station, local time, key
    (AIR, "HN", "BKHN", "KHIKXQ", datetime(2026, 3, 25, 0, 5), "HN_BKHN_KHIKXQ"),
    (NAME, "HN", "ABCD", "NUO001", datetime(2026, 1, 1, 12), "HN_ABCD_NUO001"),
    ("hn_abcd_nuo001_20261231235959.TXT", "hn", "abcd", "nuo001",
     datetime(2026, 12, 31, 23, 59, 59), "hn_abcd_nuo001"),
    ("/srv/ftp/NUO001/2026/01/01/" + NAME, "HN", "ABCD", "NUO001", datetime(2026, 1, 1, 12),
     "HN_ABCD_NUO001"),
    ("C:\\upload\\" + NAME, "HN", "ABCD", "NUO001", datetime(2026, 1, 1, 12), "HN_ABCD_NUO001"),
    ("KCNDiemThuy20170228145700.txt", None, None, "KCNDiemThuy", datetime(2017, 2, 28, 14, 57),
     "KCNDiemThuy"),
    ("Tram120170228145700.Txt", None, None, "Tram1", datetime(2017, 2, 28, 14, 57), "Tram1"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "province", "facility", "station", "local", "key"), GOOD_NAMES)
def test_parse_filename(
    *,
    name: str,
    province: str | None,
    facility: str | None,
    station: str,
    local: datetime,
    key: str,
):
    parsed = parse_filename(name)
    assert (parsed.province, parsed.facility, parsed.station) == (province, facility, station)
    assert parsed.time == local.replace(tzinfo=VIETNAM_TZ)
    assert parsed.station_key == key
    assert parsed.legacy == (province is None)
    assert parse_filename(parsed.to_filename()) == parsed


BAD_NAMES = [
    "HN_BKHN_KHIKXQ_20260325000500.csv",
    "HN_BKHN_KHIKXQ_20260325000500",
    "HN_BKHN_20260325000500.txt",
    "HN_BKHN_KHIKXQ_X_20260325000500.txt",
    "HN__KHIKXQ_20260325000500.txt",
    "HN_BKHN_KHIKXQ_2026032500050.txt",
    "HN_BKHN_KHIKXQ_20260325000500 (1).txt",
    "HN_BKHN_KHIKXQ_20261325000500.txt",
    "HN_BK HN_KHIKXQ_20260325000500.txt",
    "20170228145700.txt",
    "KCNDiemThuy2017022814570.txt",
    ".txt",
    "",
]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_filename_raises_naming_the_file(name: str):
    with pytest.raises(CodecError) as caught:
        parse_filename(name)
    assert caught.value.file == name
    assert caught.value.field == "filename"


def test_build_filename_converts_to_local_time():
    utc = datetime(2026, 3, 24, 17, 5, tzinfo=UTC)
    assert tt10_filename("HN", "BKHN", "KHIKXQ", utc) == AIR
    legacy = Tt10FileName("KCNDiemThuy", datetime(2017, 2, 28, 14, 57, tzinfo=VIETNAM_TZ))
    assert legacy.to_filename() == "KCNDiemThuy20170228145700.txt"


@pytest.mark.parametrize(
    ("province", "facility", "station", "time"),
    [
        ("HN", "BK_HN", "KHI", T0),
        ("HN", "BKHN", "", T0),
        ("HN", "BKHN", "K I", T0),
        ("HN", "BKHN", "a/b", T0),
        ("HN", "BKHN", "KHI", datetime(2026, 1, 1)),
        ("HN", "BKHN", "KHI", T0.replace(microsecond=5)),
    ],
)
def test_build_filename_refuses_what_cannot_be_read_back(
    province: str, facility: str, station: str, time: datetime
):
    with pytest.raises(CodecError):
        tt10_filename(province, facility, station, time)


# --------------------------------------------------------------------------- writing


def test_write_layout():
    readings = (
        Tt10Reading("COD", 45.2, "mg/L", T0, "00"),
        Tt10Reading("pH", None, "", T0, "02"),
        Tt10Reading("Hg", 1e-05, "ng/m3", T0, "01"),
        Tt10Reading("Flow", 1e16, "m3/h", T0, "00"),
        Tt10Reading("Nhiệt độ", -3.0, "°C", datetime(2026, 1, 1, 5, 0, tzinfo=UTC), "03"),
    )
    written = write_tt10(Tt10File.new(parse_filename(NAME), readings))
    assert (
        written
        == (
            "COD\t45.2\tmg/L\t20260101120000\t00\r\n"
            "pH\t---\t\t20260101120000\t02\r\n"
            "Hg\t0.00001\tng/m3\t20260101120000\t01\r\n"
            "Flow\t10000000000000000\tm3/h\t20260101120000\t00\r\n"
            "Nhiệt độ\t-3.0\t°C\t20260101120000\t03\r\n"
        ).encode()
    )


def test_read_of_write_is_identity():
    readings = (*EXPECTED, Tt10Reading("Áp suất", None, "", T0, "00"))
    original = Tt10File.new(parse_filename(NAME), readings)
    assert read_tt10(write_tt10(original), original.filename) == original


def test_write_of_read_is_identity_for_canonical_bytes():
    data = tt10(*CANONICAL, f"TSS\t---\tmg/L\t{STAMP}\t00")
    assert write_tt10(read_tt10(data, NAME)) == data


def test_write_in_another_zone():
    original = Tt10File.new(parse_filename(NAME), EXPECTED)
    written = write_tt10(original, tz=UTC)
    assert b"\t20260101050000\t" in written
    assert read_tt10(written, NAME, tz=UTC).readings == EXPECTED


def test_empty_file_writes_nothing():
    assert write_tt10(Tt10File.new(parse_filename(NAME), ())) == b""


@pytest.mark.parametrize(
    ("reading", "field"),
    [
        (Tt10Reading("", 1.0, "mg/L", T0, "00"), "parameter"),
        (Tt10Reading("C\tOD", 1.0, "mg/L", T0, "00"), "parameter"),
        (Tt10Reading("COD\r\n", 1.0, "mg/L", T0, "00"), "parameter"),
        (Tt10Reading(" COD", 1.0, "mg/L", T0, "00"), "parameter"),
        (Tt10Reading("\ufeffCOD", 1.0, "mg/L", T0, "00"), "parameter"),
        (Tt10Reading("COD", 1.0, "\xa0mg/L", T0, "00"), "unit"),
        (Tt10Reading("COD", 1.0, "mg/\nL", T0, "00"), "unit"),
        (Tt10Reading("COD", 1.0, "mg/L ", T0, "00"), "unit"),
        (Tt10Reading("COD", float("nan"), "mg/L", T0, "00"), "value"),
        (Tt10Reading("COD", float("inf"), "mg/L", T0, "00"), "value"),
        (Tt10Reading("COD", 1.0, "mg/L", datetime(2026, 1, 1), "00"), "time"),
        (Tt10Reading("COD", 1.0, "mg/L", T0.replace(microsecond=1), "00"), "time"),
        (Tt10Reading("COD", 1.0, "mg/L", T0, ""), "status"),
        (Tt10Reading("COD", 1.0, "mg/L", T0, "0 0"), "status"),
    ],
)
def test_write_refuses_what_cannot_be_read_back(reading: Tt10Reading, field: str):
    file = Tt10File.new(parse_filename(NAME), (EXPECTED[0], reading))
    with pytest.raises(CodecError) as caught:
        write_tt10(file)
    assert (caught.value.file, caught.value.line, caught.value.field) == (NAME, 2, field)


def test_stray_bom_is_trimmed_from_names_and_kept_inside():
    data = tt10(CANONICAL[0], "\ufeff" + CANONICAL[1]) + b"\xef\xbb\xbf\t" + tt10(CANONICAL[2])
    assert read_tt10(data, NAME).readings == EXPECTED
    inner = Tt10Reading("C\ufeffOD", 1.0, "mg/\ufeffL", T0, "00")
    written = write_tt10(Tt10File.new(parse_filename(NAME), (inner,)))
    assert read_tt10(written, NAME).readings == (inner,)


def test_write_refuses_text_utf8_cannot_hold():
    file = Tt10File.new(parse_filename(NAME), (Tt10Reading("CO\udc80D", 1.0, "", T0, "00"),))
    with pytest.raises(CodecError) as caught:
        write_tt10(file)
    assert caught.value.line == 1
