"""Resource paths of SensorThings v1.1 (§9.2): Things(1)/Datastreams, Datastreams(1)/Thing,
Things(1)/name/$value, Things/$ref … parsed into a chain of steps."""

from __future__ import annotations

import re
from dataclasses import dataclass

from quantrac.api.errors import ApiError
from quantrac.api.sta.model import SETS, EntitySet

_SEGMENT = re.compile(r"^(?P<name>[A-Za-z]+)(?:\((?P<id>.*)\))?$")


@dataclass(frozen=True, slots=True)
class Step:
    es: EntitySet
    ident: int | str | None  # None: the whole collection (or a to-one navigation)
    nav: str | None  # the navigation from the previous step that led here
    single: bool  # a to-one navigation or an id: one entity


@dataclass(frozen=True, slots=True)
class ResourcePath:
    steps: tuple[Step, ...]
    prop: str | None = None  # Things(1)/name
    value: bool = False  # …/$value
    ref: bool = False  # …/$ref

    @property
    def last(self) -> Step:
        return self.steps[-1]


def not_found(text: str) -> ApiError:
    return ApiError(404, text, [("path", text)])


def parse_id(text: str, es: EntitySet) -> int | str:
    raw = text.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] == "'":
        return raw[1:-1].replace("''", "'")
    if raw.isdigit():
        value = int(raw)
        if value < 2**63:
            return value
    raise ApiError(400, f"{raw!r} is not an id of {es.name} (a number, or 'text')", [("path", raw)])


def parse_path(path: str) -> ResourcePath:
    segments = [s for s in path.strip("/").split("/") if s]
    if not segments:
        raise not_found("empty path")
    steps: list[Step] = []
    prop, value, ref = None, False, False
    for i, seg in enumerate(segments):
        if seg == "$ref":
            if i != len(segments) - 1 or not steps:
                raise ApiError(400, "$ref must end the path", [("path", path)])
            ref = True
            continue
        if seg == "$value":
            if prop is None or i != len(segments) - 1:
                raise ApiError(400, "$value must follow a property", [("path", path)])
            value = True
            continue
        if prop is not None:
            raise not_found(f"nothing below property {prop!r}")
        m = _SEGMENT.match(seg)
        if m is None:
            raise not_found(f"{seg!r} is not an entity set, navigation or property")
        name, ident_text = m.group("name"), m.group("id")
        if not steps:
            es = SETS.get(name)
            if es is None:
                raise not_found(f"no entity set {name!r}; known: {', '.join(SETS)}")
            ident = parse_id(ident_text, es) if ident_text is not None else None
            steps.append(Step(es, ident, None, ident is not None))
            continue
        prev = steps[-1]
        if not prev.single:
            raise ApiError(
                400, f"{seg!r} follows a collection; address one entity first", [("path", path)]
            )
        nav = prev.es.navs.get(name)
        if nav is None:
            if ident_text is None:
                prop = name
                continue
            raise not_found(f"{prev.es.name} have no navigation {name!r}")
        target = SETS[nav.target]
        if not nav.many and ident_text is not None:
            raise ApiError(400, f"{name} is one entity; it takes no id", [("path", path)])
        ident = parse_id(ident_text, target) if ident_text is not None else None
        steps.append(Step(target, ident, name, (not nav.many) or ident is not None))
    return ResourcePath(tuple(steps), prop, value, ref)
