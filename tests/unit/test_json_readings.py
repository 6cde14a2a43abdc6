"""JSON readings codec: the documented payload, every accepted variant, every problem with its
JSON path, and fuzzing (no input makes it raise)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantrac.codecs.json_readings import JsonPayload, read_json_readings

PLUS7 = timezone(timedelta(hours=7))
UNKNOWN_STATUS = ("$.readings[0].status", "unknown_status", "warning")
T = "2026-03-25T00:05:00+07:00"
T_AWARE = datetime(2026, 3, 25, 0, 5, tzinfo=PLUS7)


def read(doc: object) -> JsonPayload:
    return read_json_readings(json.dumps(doc).encode())


def codes(payload: JsonPayload) -> list[tuple[str, str, str]]:
    return [(p.path, p.code, p.severity) for p in payload.problems]


def test_the_documented_payload() -> None:
    payload = read(
        {
            "time": T,
            "readings": [
                {"parameter": "PM2,5", "value": 27.8, "unit": "ug/m3", "status": "00"},
                {"parameter": "CO", "value": 3087, "unit": "ug/m3", "status": "02"},
            ],
        }
    )
    assert payload.problems == ()
    first, second = payload.readings
    assert (first.parameter, first.value, first.unit, first.time, first.status) == (
        "PM2,5",
        27.8,
        "ug/m3",
        T_AWARE,
        "00",
    )
    assert first.path == "$.readings[0]" and second.value == 3087.0 and second.status == "02"


@pytest.mark.parametrize(
    ("reading", "value", "status", "problem"),
    [
        ({"value": None}, None, None, None),  # no value (null), no status
        ({"value": 5, "status": 1}, 5.0, "01", None),  # integer status codes
        ({"value": 5, "status": "02"}, 5.0, "02", None),
        ({"value": "27,8"}, 27.8, None, ("$.readings[0].value", "value_as_text", "warning")),
        ({"value": " 3.5 "}, 3.5, None, ("$.readings[0].value", "value_as_text", "warning")),
        (
            {"value": 1, "status": "03"},
            1.0,
            "03",
            ("$.readings[0].status", "unknown_status", "warning"),
        ),
    ],
)
def test_accepted_variants(
    reading: dict[str, object],
    value: float | None,
    status: str | None,
    problem: tuple[str, str, str] | None,
) -> None:
    payload = read({"time": T, "readings": [{"parameter": "PM10", **reading}]})
    (r,) = payload.readings
    assert (r.value, r.status) == (value, status)
    assert codes(payload) == ([problem] if problem else [])


@pytest.mark.parametrize(
    ("reading", "problem"),
    [
        ({"value": True}, ("$.readings[0].value", "bad_value")),
        ({"value": "n/a"}, ("$.readings[0].value", "bad_value")),
        ({"value": [1]}, ("$.readings[0].value", "bad_value")),
        ({}, ("$.readings[0].value", "missing")),
        ({"value": 1, "parameter": ""}, ("$.readings[0].parameter", "bad_parameter")),
        ({"value": 1, "parameter": 7}, ("$.readings[0].parameter", "bad_parameter")),
        ({"value": 1, "unit": 3}, ("$.readings[0].unit", "bad_shape")),
        ({"value": 1, "status": ""}, ("$.readings[0].status", "bad_status")),
        ({"value": 1, "status": 1.5}, ("$.readings[0].status", "bad_status")),
        ({"value": 1, "time": "2026-03-25 00:05"}, ("$.readings[0].time", "no_offset")),
        ({"value": 1, "time": "yesterday"}, ("$.readings[0].time", "bad_time")),
        ({"value": 1, "time": 1774371900}, ("$.readings[0].time", "bad_time")),
    ],
)
def test_each_problem_names_its_json_path_and_leaves_the_reading_out(
    reading: dict[str, object], problem: tuple[str, str]
) -> None:
    doc = {
        "time": T,
        "readings": [{"parameter": "PM10", **reading}, {"parameter": "O3", "value": 4}],
    }
    payload = read(doc)
    assert [r.parameter for r in payload.readings] == ["O3"]  # the other reading survives
    assert [(p.path, p.code) for p in payload.errors] == [problem]


def test_a_reading_may_carry_its_own_time_and_utc_is_accepted() -> None:
    payload = read(
        {
            "readings": [
                {"parameter": "PM10", "value": 1, "time": "2026-03-24T17:05:00Z"},
                {"parameter": "O3", "value": 2, "time": T},
            ]
        }
    )
    assert payload.problems == ()
    assert [r.time for r in payload.readings] == [T_AWARE, T_AWARE]
    assert payload.readings[0].time.utcoffset() == timedelta(0)
    assert payload.readings[0].time == datetime(2026, 3, 24, 17, 5, tzinfo=UTC)


def test_a_reading_without_any_time_is_refused() -> None:
    payload = read({"readings": [{"parameter": "PM10", "value": 1}]})
    assert ("$.readings[0].time", "missing", "error") in codes(payload)
    assert payload.readings == ()


def test_an_array_of_messages_and_the_station_field() -> None:
    payload = read(
        [
            {"station": "HN_X_Y", "time": T, "readings": [{"parameter": "PM10", "value": 1}]},
            {"station": "HN_X_Y", "time": T, "readings": [{"parameter": "O3", "value": 2}]},
            {"station": "HN_OTHER", "time": T, "readings": []},
        ]
    )
    assert payload.station == "HN_X_Y"
    assert [r.path for r in payload.readings] == ["$[0].readings[0]", "$[1].readings[0]"]
    assert codes(payload) == [("$[2].station", "bad_station", "error")]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", ("$", "not_json")),
        (b"{", ("$", "not_json")),
        (b"\xff\xfe", ("$", "not_json")),
        (b'{"time": NaN}', ("$", "not_json")),
        (b"42", ("$", "bad_shape")),
        (b'{"time": "' + T.encode() + b'"}', ("$.readings", "missing")),
        (b'{"time": "' + T.encode() + b'", "readings": {}}', ("$.readings", "missing")),
        (b'{"time": "' + T.encode() + b'", "readings": [3]}', ("$.readings[0]", "bad_shape")),
    ],
)
def test_unusable_payloads(data: bytes, problem: tuple[str, str]) -> None:
    payload = read_json_readings(data)
    assert payload.readings == ()
    assert (payload.errors[0].path, payload.errors[0].code) == problem


def test_a_byte_order_mark_is_accepted() -> None:
    data = (
        b"\xef\xbb\xbf"
        + json.dumps({"time": T, "readings": [{"parameter": "O3", "value": 1}]}).encode()
    )
    assert len(read_json_readings(data).readings) == 1


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
_reading = st.fixed_dictionaries(
    {},
    optional={
        "parameter": _json | st.sampled_from(["PM10", "pH", ""]),
        "value": _json,
        "unit": _json,
        "status": _json | st.sampled_from(["00", "01", "02", "9"]),
        "time": _json | st.sampled_from([T, "2026-03-25T00:05:00", "2026-13-01T00:00+07:00"]),
    },
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_never_raise(data: bytes) -> None:
    payload = read_json_readings(data)
    assert payload.readings or payload.errors


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({"time": _json, "readings": st.lists(_reading, max_size=4)}))
def test_random_documents_give_readings_or_located_problems(doc: dict[str, object]) -> None:
    payload = read(doc)
    assert payload.readings or payload.errors
    assert all(p.path.startswith("$") for p in payload.problems)
    for r in payload.readings:
        assert r.time.utcoffset() is not None and r.parameter
