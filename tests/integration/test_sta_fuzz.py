"""Generated SensorThings requests never get a 500: query options built from the grammar's own
pieces (properties, navigation paths, functions, operators, literals of every type) and from
arbitrary text, on every entity set, for every kind of caller — whose answers must never name
a station it may not see; and bodies of
creates and updates built from the entities' own keys with values of every JSON type. A
refusal must be a 4xx whose JSON body says what is wrong."""

from __future__ import annotations

import json
import os
import string
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.api_world import STATIONS, World

STA = "/sta/v1.1"
#: By default the same generated requests on every run (CI is never failed by chance); set
#: QUANTRAC_FUZZ_EXAMPLES=5000 to explore that many new ones per test instead.
EXAMPLES = int(os.environ.get("QUANTRAC_FUZZ_EXAMPLES", "0"))
SETS = [
    "Things",
    "Locations",
    "HistoricalLocations",
    "FeaturesOfInterest",
    "Datastreams",
    "Sensors",
    "ObservedProperties",
    "Observations",
]
PROPERTIES = [
    "id", "name", "description", "properties/code", "properties/medium", "result",
    "phenomenonTime", "resultTime", "unitOfMeasurement/symbol", "location", "feature",
    "encodingType", "time", "definition", "observationType", "@iot.id", "nosuch",
    "Datastream/id", "Thing/name", "Datastreams/ObservedProperty/id", "Locations/location",
    "FeatureOfInterest/feature", "Observations/result", "Thing/Locations/location",
]  # fmt: skip
LITERALS = [
    "1", "-7", "2.5", "1e308", "9223372036854775808", "0", "'PM25'", "''", "'it''s'", "null",
    "true", "false", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00+07:00", "2026-13-45T99:00Z",
    "duration'PT1H'", "geography'POINT(105.85 21.03)'",
    "geography'POLYGON((105 20, 106 20, 106 22, 105 22, 105 20))'",
    "geography'LINESTRING(1 2, 3 4)'", "geography'POLYGON((1 2))'", "'Trạm'",
]  # fmt: skip
COMPARISONS = ["eq", "ne", "gt", "ge", "lt", "le"]
ARITHMETIC = ["add", "sub", "mul", "div", "mod"]
FUNCTIONS = {
    "substringof": 2, "contains": 2, "startswith": 2, "endswith": 2, "length": 1,
    "indexof": 2, "substring": 2, "tolower": 1, "toupper": 1, "trim": 1, "concat": 2,
    "year": 1, "month": 1, "day": 1, "hour": 1, "minute": 1, "second": 1,
    "fractionalseconds": 1, "date": 1, "time": 1, "totaloffsetminutes": 1, "now": 0,
    "mindatetime": 0, "maxdatetime": 0, "round": 1, "floor": 1, "ceiling": 1,
    "geo.intersects": 2, "geo.distance": 2, "geo.length": 1, "st_within": 2,
    "st_intersects": 2, "st_disjoint": 2, "st_equals": 2, "st_contains": 2, "st_touches": 2,
    "nosuchfunction": 1,
}  # fmt: skip


def operands(depth: int) -> st.SearchStrategy[str]:
    leaf = st.sampled_from(PROPERTIES + LITERALS)
    if depth <= 0:
        return leaf

    def call(name: str) -> st.SearchStrategy[str]:
        args = st.lists(operands(depth - 1), min_size=FUNCTIONS[name], max_size=FUNCTIONS[name])
        return args.map(lambda a: f"{name}({','.join(a)})")

    arith = st.tuples(operands(depth - 1), st.sampled_from(ARITHMETIC), operands(depth - 1))
    return st.one_of(
        leaf,
        st.sampled_from(sorted(FUNCTIONS)).flatmap(call),
        arith.map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
    )


def filters(depth: int = 2) -> st.SearchStrategy[str]:
    comparison = st.tuples(operands(depth), st.sampled_from(COMPARISONS), operands(depth)).map(
        " ".join
    )
    if depth <= 0:
        return comparison
    return st.one_of(
        comparison,
        operands(depth),  # a bare function or property: boolean or not
        st.tuples(filters(depth - 1), st.sampled_from(["and", "or"]), filters(depth - 1)).map(
            lambda t: f"({t[0]}) {t[1]} ({t[2]})"
        ),
        filters(depth - 1).map(lambda f: f"not ({f})"),
    )


NAVS = ["Datastreams", "Thing", "Locations", "Observations", "Sensor", "ObservedProperty",
        "FeatureOfInterest", "HistoricalLocations", "Datastream", "Things", "Nope"]  # fmt: skip
NOISE = st.text(alphabet=string.printable + "ạờđ€(),'$;=/", max_size=40)


def expands() -> st.SearchStrategy[str]:
    inner = st.lists(
        st.one_of(
            filters(1).map(lambda f: f"$filter={f}"),
            st.integers(-2, 20_000).map(lambda n: f"$top={n}"),
            st.sampled_from(["$count=true", "$select=id,name", "$orderby=id desc", "$skip=1"]),
        ),
        max_size=3,
    ).map(";".join)
    nav = st.lists(st.sampled_from(NAVS), min_size=1, max_size=3).map("/".join)
    one = st.tuples(nav, inner).map(lambda t: f"{t[0]}({t[1]})" if t[1] else t[0])
    return st.lists(one, min_size=1, max_size=2).map(",".join)


OPTION_VALUES = {
    "$filter": st.one_of(filters(), NOISE),
    "$select": st.one_of(
        st.lists(st.sampled_from([*PROPERTIES, *NAVS]), max_size=4).map(",".join), NOISE
    ),
    "$expand": st.one_of(expands(), NOISE),
    "$orderby": st.one_of(
        st.lists(
            st.tuples(operands(1), st.sampled_from(["", " asc", " desc", " sideways"])).map(
                "".join
            ),
            min_size=1,
            max_size=2,
        ).map(",".join),
        NOISE,
    ),
    "$top": st.one_of(st.integers(-5, 100_000).map(str), NOISE),
    "$skip": st.one_of(st.integers(-5, 10**12).map(str), NOISE),
    "$count": st.sampled_from(["true", "false", "yes", ""]),
    "$resultFormat": st.sampled_from(["dataArray", "GeoJSON", ""]),
    "$skiptoken": NOISE,
}
#: One to three options a request: with more, nearly every request is refused for one of them
#: and the deeper paths (SQL compilation and execution) would be reached too rarely.
OPTIONS = st.lists(
    st.sampled_from(sorted(OPTION_VALUES)), min_size=1, max_size=3, unique=True
).flatmap(lambda names: st.fixed_dictionaries({n: OPTION_VALUES[n] for n in names}))


KEYS = ["1", "2", "0", "-1", "2147483649", "9223372036854775807", "99999999999999999999",
        "'PM25'", "'x'", "''", "abc", "1.5", "4294967296001"]  # fmt: skip
SEGMENTS = [*NAVS, "$ref", "$value", "name", "properties", "location", "result", "id"]
PATHS = st.tuples(
    st.sampled_from(SETS),
    st.one_of(st.just(""), st.sampled_from(KEYS).map(lambda k: f"({k})")),
    st.lists(st.sampled_from(SEGMENTS), max_size=3),
).map(lambda t: "/".join([t[0] + t[1], *t[2]]))


#: Stations each caller must never see (tests/integration/api_world.py): restricted ones for
#: the public; another enterprise's restricted ones; another province's for province staff.
HIDDEN: dict[str | None, set[str]] = {
    None: {c for c, (_, vis, _, _) in STATIONS.items() if vis == "restricted"},
    "admin": set(),
    "ent_a": {"B_OUT", "HG_WELL"},
    "ent_b": {"A_OUT", "HG_WELL"},
    "hn": {"B_OUT", "HG_WELL"},
}


def test_generated_queries_are_answered_or_refused_never_a_server_error(world: World) -> None:
    @given(
        entity_set=st.one_of(st.sampled_from(SETS), PATHS),
        options=OPTIONS,
        who=st.sampled_from(sorted(HIDDEN, key=str)),
    )
    @settings(
        max_examples=EXAMPLES or 400,
        deadline=None,
        database=None,
        derandomize=not EXAMPLES,
        suppress_health_check=list(HealthCheck),
    )
    def run(entity_set: str, options: dict[str, str], who: str | None) -> None:
        query = "&".join(f"{k}={quote(v, safe='')}" for k, v in options.items())
        url = f"{STA}/{entity_set}" + (f"?{query}" if query else "")
        r = world.client.get(url, headers=world.h(who))
        assert r.status_code < 500, f"{r.status_code} for {url}: {r.text[:300]}"
        leaked = [code for code in HIDDEN[who] if code in r.text]
        assert not leaked, f"{who or 'the public'} was shown {leaked} by {url}"
        if r.status_code >= 400:
            body = r.json()
            assert body.get("message") or body.get("detail") or body.get("error"), r.text

    run()


# --- writes --------------------------------------------------------------------------------------
BODY_KEYS = [
    "name", "description", "properties", "encodingType", "location", "feature", "metadata",
    "definition", "unitOfMeasurement", "observationType", "phenomenonTime", "result",
    "resultTime", "validTime", "parameters", "time", "@iot.id", "id", "Thing", "Things",
    "Locations", "Datastream", "Datastreams", "Sensor", "ObservedProperty", "FeatureOfInterest",
    "Observations", "HistoricalLocations", "components", "dataArray", "nosuch",
]  # fmt: skip
JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.sampled_from(
        [
            "PM25",
            "µg/Nm3",
            "2026-01-01T00:00:00Z",
            "2026-01-01T00:00:00Z/2026-01-02T00:00:00Z",
            "ambient_air",
            "public",
            "01",
            "application/geo+json",
            "x" * 300,
            "",
        ]
    ),
    st.text(max_size=12),
)
GEOMETRIES = st.sampled_from(
    [
        {"type": "Point", "coordinates": [105.8, 21.0]},
        {"type": "Point", "coordinates": [1000, -1000]},
        {"type": "Point", "coordinates": []},
        {"type": "Polygon", "coordinates": [[[1, 2], [3, 4], [1, 2]]]},
        {"type": "Nope"},
    ]
)
LINKS = st.sampled_from([1, 2, 0, -1, 2147483649, 2**63, 1.5, "PM25", "x", ""]).map(
    lambda k: {"@iot.id": k}
)
JSON_VALUES = st.recursive(
    st.one_of(JSON_LEAVES, GEOMETRIES, LINKS),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(BODY_KEYS), inner, max_size=4),
    ),
    max_leaves=12,
)
POINT = {"type": "Point", "coordinates": [105.8, 21.0]}
NEW_SENSOR = {"name": "S", "description": "d", "encodingType": "application/pdf", "metadata": "m"}
#: A valid body of each kind of write, which the generator then breaks one or two places at a
#: time (a value replaced by anything, a key dropped or added) so that the checks deep inside
#: each writer are reached, not only the first one.
VALID: dict[str, object] = {
    "Things": {
        "name": "T",
        "description": "d",
        "properties": {"medium": "ambient_air", "admin_unit": "01", "visibility": "public"},
        "Locations": [
            {"name": "L", "description": "d", "encodingType": "application/geo+json",
             "location": POINT}
        ],
    },
    "Locations": {"name": "L", "description": "d", "encodingType": "application/geo+json",
                  "location": POINT, "Things": [{"@iot.id": 1}]},
    "Sensors": NEW_SENSOR,
    "ObservedProperties": {"name": "PM2.5", "definition": "urn:quantrac:parameter:PM25",
                           "description": "d"},
    "FeaturesOfInterest": {"name": "F", "description": "d",
                           "encodingType": "application/geo+json",
                           "feature": {"type": "Polygon", "coordinates": [[[105, 21], [106, 21],
                                                                         [106, 22], [105, 21]]]}},
    "Datastreams": {
        "name": "D", "description": "d",
        "unitOfMeasurement": {"name": "µg/Nm3", "symbol": "µg/Nm3", "definition": "u"},
        "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
        "Thing": {"@iot.id": 1}, "Sensor": NEW_SENSOR, "ObservedProperty": {"@iot.id": "CO"},
    },
    "Observations": {"phenomenonTime": "2026-01-01T00:00:00Z", "result": 1.5,
                     "resultTime": "2026-01-01T00:10:00Z",
                     "validTime": "2026-01-01T00:00:00Z/2026-01-01T01:00:00Z",
                     "Datastream": {"@iot.id": 1}},
    "HistoricalLocations": {"time": "2026-01-01T00:00:00Z", "Thing": {"@iot.id": 1}},
    "CreateObservations": [
        {"Datastream": {"@iot.id": 1}, "components": ["phenomenonTime", "result"],
         "dataArray": [["2026-01-01T00:00:00Z", 1.0], ["2026-01-01T00:05:00Z", None]]}
    ],
}  # fmt: skip
MUTATION = st.tuples(
    st.sampled_from(["set", "drop", "set-inner", "drop-inner"]),
    st.sampled_from([*BODY_KEYS, "symbol", "coordinates", "type", "medium", "@iot.id"]),
    JSON_VALUES,
)


def _mutate(body: object, mutations: list[tuple[str, str, object]]) -> object:
    body = json.loads(json.dumps(body))
    for what, key, value in mutations:
        target = body[0] if isinstance(body, list) else body
        if what.endswith("-inner") and isinstance(target, dict):
            inner = [v for v in target.values() if isinstance(v, dict)]
            target = inner[0] if inner else target
        if not isinstance(target, dict):
            continue
        if what.startswith("drop"):
            target.pop(key if key in target else next(iter(target), key), None)
        else:
            target[key] = json.loads(json.dumps(value))  # never share a generated object
    return body


def _write(path: str, base: str) -> st.SearchStrategy[tuple[str, str, object]]:
    methods = st.sampled_from(["POST"] if "(" not in path else ["PATCH", "PUT"])
    mutated = st.lists(MUTATION, max_size=2).map(lambda m: _mutate(VALID[base], m))
    return st.tuples(methods, st.just(path), st.one_of(mutated, JSON_VALUES))


WRITES = st.one_of(
    *[_write(name, name) for name in VALID],
    *[_write(f"{name}({key})", name) for name in SETS for key in ("1", "2147483649")],
    _write("Things(1)/Locations", "Locations"),
    _write("Datastreams(1)/Observations", "Observations"),
    _write("Things(1)/Datastreams", "Datastreams"),
    _write("Things(1)/HistoricalLocations", "HistoricalLocations"),
)


def test_generated_writes_are_stored_or_refused_never_a_server_error(world: World) -> None:
    @given(write=WRITES, raw=st.booleans())
    @settings(
        max_examples=EXAMPLES or 300,
        deadline=None,
        database=None,
        derandomize=not EXAMPLES,
        suppress_health_check=list(HealthCheck),
    )
    def run(write: tuple[str, str, object], raw: bool) -> None:
        method, path, body = write
        url = f"{STA}/{path}"
        content = json.dumps(body).encode()
        if raw:  # JSON cut short
            content = content[:-1] or b"{"
        r = world.client.request(
            method,
            url,
            content=content,
            headers={**world.h("admin"), "Content-Type": "application/json"},
        )
        assert r.status_code < 500, (
            f"{r.status_code} for {method} {url} {content[:200]!r}: {r.text[:300]}"
        )
        if r.status_code >= 400:
            err = r.json()
            assert err.get("message") or err.get("detail") or err.get("error"), r.text

    run()
