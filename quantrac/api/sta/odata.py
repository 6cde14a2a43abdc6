"""The query language of SensorThings v1.1 (an OData 4 subset), parsed into plain nodes.

Grammar, lowest precedence first: `or` · `and` · `not` · comparison (eq ne gt ge lt le) ·
additive (add sub) · multiplicative (mul div mod) · unary minus · primary (literal, property
path, function call, parentheses). Literals: numbers, 'strings' ('' escapes a quote),
true/false/null, ISO 8601 instants and dates written bare (2026-01-01T00:00:00Z),
duration'P1D', geography'POINT(105.8 21.0)'. Nothing here touches SQL: `compile.py` turns the
nodes into SQLAlchemy expressions with every value bound as a parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from quantrac.api.errors import ApiError


# --- nodes ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Literal:
    value: Any
    kind: str  # num | str | bool | null | time | date | duration | geom


@dataclass(frozen=True, slots=True)
class Path:
    segments: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Binary:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Unary:
    op: str  # not | neg
    operand: Node


Node = Literal | Path | Call | Binary | Unary


def refers_to_data(node: Node) -> bool:
    """Whether the expression reads a property: one that does not (`0`, `now()`, `1 add 2`)
    has the same value on every row."""
    if isinstance(node, Path):
        return True
    if isinstance(node, Call):
        return any(refers_to_data(a) for a in node.args)
    if isinstance(node, Binary):
        return refers_to_data(node.left) or refers_to_data(node.right)
    if isinstance(node, Unary):
        return refers_to_data(node.operand)
    return False


def bad(message: str, where: str = "$filter") -> ApiError:
    return ApiError(400, f"{where}: {message}", [(where, message)])


# --- tokens --------------------------------------------------------------------------------
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<typed>(?:geography|geometry|duration)'(?:[^']|'')*')
  | (?P<str>'(?:[^']|'')*')
  | (?P<time>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2}(?![\d:T]))
  | (?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_@$][A-Za-z0-9_@$.]*(?:/[A-Za-z_@$][A-Za-z0-9_@$.]*)*)
  | (?P<punct>[(),/-])
    """,
    re.VERBOSE,
)

COMPARISONS = {"eq", "ne", "gt", "ge", "lt", "le"}
ADDITIVE = {"add", "sub"}
MULTIPLICATIVE = {"mul", "div", "mod"}


@dataclass(slots=True)
class Token:
    kind: str
    text: str


def tokenize(text: str, where: str = "$filter") -> list[Token]:
    out: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise bad(f"cannot read {text[pos : pos + 20]!r} at position {pos}", where)
        pos = m.end()
        kind = m.lastgroup or ""
        if kind != "ws":
            out.append(Token(kind, m.group()))
    return out


def parse_time_literal(text: str, where: str = "$filter") -> int:
    try:
        value = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise bad(f"{text!r} is not an ISO 8601 time", where) from None
    if value.tzinfo is None:
        raise bad(f"{text!r} needs Z or an offset", where)
    return int(value.timestamp() // 1)


_DURATION = re.compile(
    r"^(-)?P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str, where: str = "$filter") -> float:
    m = _DURATION.match(text)
    if m is None or text in ("P", "PT", "-P"):
        raise bad(f"{text!r} is not a duration such as P1DT2H", where)
    sign, d, h, mi, s = m.groups()
    total = sum(float(x or 0) * k for x, k in ((d, 86400), (h, 3600), (mi, 60), (s, 1)))
    return -total if sign else total


# --- parser --------------------------------------------------------------------------------
@dataclass
class _Parser:
    tokens: list[Token]
    where: str
    pos: int = 0
    depth: int = 0

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def word(self) -> str | None:
        t = self.peek()
        return t.text if t is not None and t.kind == "name" else None

    def take(self) -> Token:
        t = self.peek()
        if t is None:
            raise bad("unexpected end of expression", self.where)
        self.pos += 1
        return t

    def expect(self, text: str) -> None:
        t = self.take()
        if t.text != text:
            raise bad(f"expected {text!r}, found {t.text!r}", self.where)

    def enter(self) -> None:
        self.depth += 1
        if self.depth > 64:
            raise bad("expression nested too deeply", self.where)

    # precedence climbing, lowest first
    def expr(self) -> Node:
        self.enter()
        node = self.and_()
        while self.word() == "or":
            self.take()
            node = Binary("or", node, self.and_())
        self.depth -= 1
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self.word() == "and":
            self.take()
            node = Binary("and", node, self.not_())
        return node

    def not_(self) -> Node:
        if self.word() == "not":
            self.take()
            return Unary("not", self.not_())
        return self.comparison()

    def comparison(self) -> Node:
        node = self.additive()
        while (w := self.word()) in COMPARISONS:
            self.take()
            node = Binary(w, node, self.additive())
        return node

    def additive(self) -> Node:
        node = self.multiplicative()
        while (w := self.word()) in ADDITIVE:
            self.take()
            node = Binary(w, node, self.multiplicative())
        return node

    def multiplicative(self) -> Node:
        node = self.unary()
        while (w := self.word()) in MULTIPLICATIVE:
            self.take()
            node = Binary(w, node, self.unary())
        return node

    def unary(self) -> Node:
        t = self.peek()
        if t is not None and t.text == "-":
            self.take()
            operand = self.unary()
            if isinstance(operand, Literal) and operand.kind == "num":
                return Literal(-operand.value, "num")
            return Unary("neg", operand)
        return self.primary()

    def primary(self) -> Node:
        t = self.take()
        if t.text == "(":
            self.enter()
            node = self.expr()
            self.expect(")")
            self.depth -= 1
            return node
        if t.kind == "num":
            return Literal(float(t.text) if any(c in t.text for c in ".eE") else int(t.text), "num")
        if t.kind == "str":
            return Literal(t.text[1:-1].replace("''", "'"), "str")
        if t.kind == "time":
            return Literal(parse_time_literal(t.text, self.where), "time")
        if t.kind == "date":
            return Literal(parse_time_literal(t.text + "T00:00:00Z", self.where), "date")
        if t.kind == "typed":
            prefix, _, rest = t.text.partition("'")
            body = rest[:-1].replace("''", "'")
            if prefix == "duration":
                return Literal(parse_duration(body, self.where), "duration")
            from quantrac.api.sta.geo import parse_wkt

            return Literal(parse_wkt(body, self.where), "geom")
        if t.kind == "name":
            low = t.text.lower()
            if low in ("true", "false"):
                return Literal(low == "true", "bool")
            if low == "null":
                return Literal(None, "null")
            nxt = self.peek()
            if nxt is not None and nxt.text == "(" and "/" not in t.text:
                return self.call(t.text)
            return Path(tuple(t.text.split("/")))
        raise bad(f"unexpected {t.text!r}", self.where)

    def call(self, name: str) -> Node:
        self.expect("(")
        self.enter()
        args: list[Node] = []
        if (t := self.peek()) is not None and t.text == ")":
            self.take()
        else:
            while True:
                args.append(self.expr())
                t = self.take()
                if t.text == ")":
                    break
                if t.text != ",":
                    raise bad(f"expected ',' or ')' in {name}(…), found {t.text!r}", self.where)
        self.depth -= 1
        return Call(name.lower(), tuple(args))


def parse_expression(text: str, where: str = "$filter") -> Node:
    if len(text) > 10_000:
        raise bad("expression too long", where)
    p = _Parser(tokenize(text, where), where)
    node = p.expr()
    if p.peek() is not None:
        raise bad(f"unexpected {p.peek().text!r} after the expression", where)  # type: ignore[union-attr]
    return node


# --- the other query options ------------------------------------------------------------------
@dataclass
class Options:
    filter: Node | None = None
    orderby: list[tuple[Node, bool]] = field(default_factory=list)  # (expr, descending)
    select: list[str] | None = None
    expand: list[Expand] = field(default_factory=list)
    top: int | None = None
    skip: int = 0
    count: bool = False
    skiptoken: str | None = None
    result_format: str | None = None


@dataclass
class Expand:
    path: list[str]  # e.g. ["Datastreams", "Observations"]: nested shorthand
    options: Options


def _split_top(text: str, sep: str) -> list[str]:
    """Split on `sep` outside parentheses and quotes."""
    parts, depth, quote, cur = [], 0, False, []
    for ch in text:
        if ch == "'":
            quote = not quote
        elif not quote and ch == "(":
            depth += 1
        elif not quote and ch == ")":
            depth -= 1
            if depth < 0:
                raise bad("unbalanced parentheses", "$expand")
        if ch == sep and depth == 0 and not quote:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    if depth != 0 or quote:
        raise bad("unbalanced parentheses or quotes", "query options")
    parts.append("".join(cur))
    return parts


def _int_option(name: str, text: str) -> int:
    if not text.strip().isdigit():
        raise bad(f"{text!r} is not a non-negative integer", name)
    value = int(text)
    if value > 2**62:
        raise bad("too large", name)
    return value


def parse_orderby(text: str) -> list[tuple[Node, bool]]:
    out = []
    for part in _split_top(text, ","):
        item = part.strip()
        desc = False
        low = item.lower()
        if low.endswith(" desc"):
            item, desc = item[:-5].strip(), True
        elif low.endswith(" asc"):
            item = item[:-4].strip()
        if not item:
            raise bad("empty sort key", "$orderby")
        out.append((parse_expression(item, "$orderby"), desc))
    return out


def parse_options(params: dict[str, str], *, nested: bool = False) -> Options:
    opts = Options()
    for key, value in params.items():
        name = key.strip()
        if name == "$filter":
            opts.filter = parse_expression(value)
        elif name == "$orderby":
            opts.orderby = parse_orderby(value)
        elif name == "$select":
            opts.select = [s.strip() for s in value.split(",") if s.strip()]
            if not opts.select:
                raise bad("empty list", "$select")
        elif name == "$expand":
            opts.expand = parse_expand(value)
        elif name == "$top":
            opts.top = _int_option(name, value)
        elif name == "$skip":
            opts.skip = _int_option(name, value)
        elif name == "$count":
            if value not in ("true", "false"):
                raise bad("must be true or false", "$count")
            opts.count = value == "true"
        elif name == "$skiptoken" and not nested:
            opts.skiptoken = value
        elif name == "$resultFormat" and not nested:
            opts.result_format = value
        elif name.startswith("$"):
            raise bad(f"unknown query option {name}", name)
    return opts


def parse_expand(text: str) -> list[Expand]:
    out = []
    for part in _split_top(text, ","):
        item = part.strip()
        if not item:
            raise bad("empty item", "$expand")
        nested: dict[str, str] = {}
        if "(" in item:
            head, _, rest = item.partition("(")
            if not rest.endswith(")"):
                raise bad(f"{item!r}: options must end with ')'", "$expand")
            for opt in _split_top(rest[:-1], ";"):
                if not opt.strip():
                    continue
                k, eq, v = opt.partition("=")
                if not eq:
                    raise bad(f"{opt!r} is not name=value", "$expand")
                nested[k.strip()] = v
            item = head.strip()
        path = [s for s in item.split("/") if s]
        if not path:
            raise bad("empty path", "$expand")
        out.append(Expand(path, parse_options(nested, nested=True)))
    return out
