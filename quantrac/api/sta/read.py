"""Reading SensorThings entities: collections with every query option, single entities,
navigation, nested $expand, $count within a time budget, and @iot.nextLink.

Paging: with the default order (by @iot.id) the next link carries a `$skiptoken` — the last
key — so page N costs what page 1 costs (a primary-key range scan, no OFFSET); with an
explicit $orderby it carries `$skip`. `$count` is exact (`count.py`); on PostgreSQL, if
counting takes longer than `count_budget_ms`, the planner's row estimate is returned instead
and the response says so (`@quantrac.countEstimated`).
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Connection, func, select, tuple_

from quantrac.api.errors import ApiError
from quantrac.api.sta import count as counting
from quantrac.api.sta.compile import Compiler
from quantrac.api.sta.model import (
    SETS,
    EntitySet,
    StaScope,
    View,
    id_clause,
    row_id,
    self_link,
    split_observation_id,
)
from quantrac.api.sta.odata import Expand, Options, bad

#: The properties each entity set has in its JSON (for $select checks).
PROPERTIES: dict[str, tuple[str, ...]] = {
    "Things": ("name", "description", "properties"),
    "Locations": ("name", "description", "encodingType", "location", "properties"),
    "HistoricalLocations": ("time",),
    "FeaturesOfInterest": ("name", "description", "encodingType", "feature", "properties"),
    "Datastreams": ("name", "description", "observationType", "unitOfMeasurement",
                    "properties", "observedArea", "phenomenonTime", "resultTime"),
    "Sensors": ("name", "description", "encodingType", "metadata", "properties"),
    "ObservedProperties": ("name", "definition", "description", "properties"),
    "Observations": ("phenomenonTime", "resultTime", "result", "resultQuality", "validTime",
                     "parameters"),
}  # fmt: skip


@dataclass
class Reader:
    scope: StaScope
    conn: Connection
    base: str
    top_default: int
    top_max: int
    count_budget_ms: int

    def __post_init__(self) -> None:
        self.compiler = Compiler(self.scope, self.conn)

    # --- building blocks ---------------------------------------------------------------------
    def view(self, es: EntitySet, key: str | None = None) -> View:
        """The set's view; with `key`, one whose `keys[key]` is a column to group by even
        where the link is many-to-many (Things and Locations)."""
        keyed = es.extra.get("keyed", {}).get(key) if key is not None else None
        return (keyed or es.build)(self.scope)

    def filtered(self, es: EntitySet, view: View, opts: Options) -> Any:
        q = view.select()
        if opts.filter is not None:
            q = q.where(self.compiler.condition(opts.filter, view))
        return q

    def order(self, es: EntitySet, view: View, opts: Options) -> list[Any]:
        keys = []
        for node, desc in opts.orderby:
            col = self.compiler.sort_key(node, view)
            if col is not None:
                keys.append(col.desc() if desc else col.asc())
        if es.name == "Observations":
            keys += [view.keys["series_id"].asc(), view.props["_time"].sql.asc()]
        else:
            keys.append(view.id.asc())
        return keys

    def top(self, opts: Options) -> int:
        n = self.top_default if opts.top is None else opts.top
        if n > self.top_max:
            raise bad(f"at most {self.top_max}", "$top")
        return n

    def check_select(self, es: EntitySet, opts: Options) -> None:
        if not opts.select:
            return
        known = {"id", "@iot.id", "@iot.selfLink", *PROPERTIES[es.name], *es.navs}
        unknown = [s for s in opts.select if s not in known]
        if unknown:
            raise bad(
                f"{es.name} have no {', '.join(unknown)}; known: {', '.join(sorted(known))}",
                "$select",
            )

    # --- serialization -----------------------------------------------------------------------
    def entity(self, es: EntitySet, row: Mapping[str, Any], opts: Options) -> dict[str, Any]:
        ident = row_id(es, row)
        link = self_link(self.base, es.name, ident)
        doc: dict[str, Any] = {"@iot.id": ident, "@iot.selfLink": link}
        doc.update(es.serialize(row, self.base))
        for nav in es.navs:
            doc[f"{nav}@iot.navigationLink"] = f"{link}/{nav}"
        if opts.select:
            wanted = {"@iot.id" if s == "id" else s for s in opts.select}
            doc = {
                k: v
                for k, v in doc.items()
                if k in wanted or (k.split("@", 1)[0] in wanted and "@iot.navigationLink" in k)
            }
        return doc

    # --- collections -------------------------------------------------------------------------
    def collection(
        self,
        es: EntitySet,
        opts: Options,
        url: str,
        params: Mapping[str, str],
        constraint: tuple[str, Any] | None = None,
        ref: bool = False,
    ) -> dict[str, Any]:
        self.check_select(es, opts)
        view = self.view(es)
        q = self.filtered(es, view, opts)
        if constraint is not None:
            q = q.where(view.match(*constraint))
        out: dict[str, Any] = {}
        if opts.count:
            n, estimated = counting.collection(self, es, view, q, opts, constraint)
            out["@iot.count"] = n
            if estimated:
                out["@quantrac.countEstimated"] = True
        top = self.top(opts)
        keyset = not opts.orderby
        if opts.skiptoken is not None:
            if not keyset:
                raise bad("$skiptoken needs the default order", "$skiptoken")
            q = q.where(self._after(es, view, opts.skiptoken))
        q = q.order_by(*self.order(es, view, opts)).limit(top + 1)
        if opts.skip:
            q = q.offset(opts.skip)
        rows = list(self.conn.execute(q).mappings())
        more = len(rows) > top
        rows = rows[:top]
        if ref:
            values = [{"@iot.selfLink": self_link(self.base, es.name, row_id(es, r))} for r in rows]
        elif opts.result_format == "dataArray" and es.name == "Observations":
            values = self.data_array(rows)
        elif opts.result_format not in (None, "default"):
            raise bad("supported: dataArray (Observations)", "$resultFormat")
        else:
            values = [self.entity(es, r, opts) for r in rows]
            self.expand(es, rows, values, opts.expand)
        out["value"] = values
        if more and top > 0:
            nxt = dict(params)
            if keyset:
                nxt.pop("$skip", None)
                nxt["$skiptoken"] = self._token(es, rows[-1])
            else:
                nxt["$skip"] = str(opts.skip + top)
            out["@iot.nextLink"] = f"{url}?{urlencode(nxt)}"
        return out

    def _token(self, es: EntitySet, row: Mapping[str, Any]) -> str:
        key = row_id(es, row)
        return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")

    def _after(self, es: EntitySet, view: View, token: str) -> Any:
        try:
            key = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        except ValueError:
            raise bad("invalid token; follow @iot.nextLink as given", "$skiptoken") from None
        if es.name == "Observations":
            if not isinstance(key, int):
                raise bad("invalid token", "$skiptoken")
            sid, t = split_observation_id(key)
            return tuple_(view.keys["series_id"], view.props["_time"].sql) > tuple_(sid, t)
        if not isinstance(key, int | str) or isinstance(key, bool):
            raise bad("invalid token", "$skiptoken")
        return view.id > (str(key) if es.string_id else key)

    def data_array(self, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        groups: dict[int, list[list[Any]]] = defaultdict(list)
        for r in rows:
            doc = SETS["Observations"].serialize(r, self.base)
            groups[r["series_id"]].append(
                [row_id(SETS["Observations"], r), doc["phenomenonTime"], doc["result"]]
            )
        return [
            {
                "Datastream@iot.navigationLink": f"{self.base}/Datastreams({sid})",
                "components": ["id", "phenomenonTime", "result"],
                "dataArray@iot.count": len(items),
                "dataArray": items,
            }
            for sid, items in groups.items()
        ]

    # --- one entity --------------------------------------------------------------------------
    def one(
        self,
        es: EntitySet,
        ident: Any,
        opts: Options | None = None,
        constraint: tuple[str, Any] | None = None,
    ) -> Mapping[str, Any] | None:
        view = self.view(es)
        q = view.select()
        if ident is not None:
            q = q.where(id_clause(es, view, ident))
        if constraint is not None:
            q = q.where(view.match(*constraint))
        return self.conn.execute(q.limit(1)).mappings().first()

    def one_json(self, es: EntitySet, row: Mapping[str, Any], opts: Options) -> dict[str, Any]:
        self.check_select(es, opts)
        doc = self.entity(es, row, opts)
        self.expand(es, [row], [doc], opts.expand)
        return doc

    # --- $expand -----------------------------------------------------------------------------
    def expand(
        self,
        es: EntitySet,
        rows: Sequence[Mapping[str, Any]],
        docs: list[dict[str, Any]],
        items: Sequence[Expand],
    ) -> None:
        if not rows or not items:
            return
        for item in _merge(items):
            name = item.path[0]
            nav = es.navs.get(name)
            if nav is None:
                raise bad(
                    f"{es.name} have no navigation {name!r}; known: {', '.join(es.navs)}", "$expand"
                )
            target = SETS[nav.target]
            opts = item.options
            if len(item.path) > 1:
                opts = Options(expand=[Expand(item.path[1:], item.options)])
            self.check_select(target, opts)
            keys = sorted(
                {r[nav.src] for r in rows if r[nav.src] is not None},
                key=lambda k: (str(type(k)), k),
            )
            if nav.many:
                self._expand_many(es, target, nav.dst, name, keys, rows, docs, nav.src, opts)
            else:
                self._expand_one(target, nav.dst, name, keys, rows, docs, nav.src, opts)

    def _expand_one(
        self,
        target: EntitySet,
        dst: str,
        name: str,
        keys: list[Any],
        rows: Sequence[Mapping[str, Any]],
        docs: list[dict[str, Any]],
        src: str,
        opts: Options,
    ) -> None:
        found: dict[Any, Mapping[str, Any]] = {}
        if keys:
            view = self.view(target, dst)
            q = self.filtered(target, view, opts).add_columns(view.keys[dst].label("_k"))
            for r in self.conn.execute(q.where(view.match_any(dst, keys))).mappings():
                found.setdefault(r["_k"], r)
        children = list(found.values())
        child_docs = [self.entity(target, r, opts) for r in children]
        self.expand(target, children, child_docs, opts.expand)
        by_key = {r["_k"]: d for r, d in zip(children, child_docs, strict=True)}
        for r, d in zip(rows, docs, strict=True):
            if r[src] in by_key:
                d[name] = by_key[r[src]]

    def _expand_many(
        self,
        parent: EntitySet,
        target: EntitySet,
        dst: str,
        name: str,
        keys: list[Any],
        rows: Sequence[Mapping[str, Any]],
        docs: list[dict[str, Any]],
        src: str,
        opts: Options,
    ) -> None:
        top = self.top(opts)
        groups: dict[Any, list[Mapping[str, Any]]] = defaultdict(list)
        counts: dict[Any, int] = {}
        if opts.count and keys:
            counts = self._expanded_counts(target, dst, keys, opts)
        if keys and top > 0:
            view = self.view(target, dst)
            key_col = view.keys[dst]
            q = self.filtered(target, view, opts).where(view.match_any(dst, keys))
            rn = (
                func.row_number()
                .over(partition_by=key_col, order_by=self.order(target, view, opts))
                .label("_rn")
            )
            sub = q.add_columns(key_col.label("_k"), rn).subquery()
            outer = (
                select(sub)
                .where(sub.c._rn > opts.skip, sub.c._rn <= opts.skip + top + 1)
                .order_by(sub.c._k, sub.c._rn)
            )
            for r in self.conn.execute(outer).mappings():
                groups[r["_k"]].append(r)
        all_children = [c for k in groups for c in groups[k][:top]]
        child_docs = [self.entity(target, c, opts) for c in all_children]
        self.expand(target, all_children, child_docs, opts.expand)
        doc_of = {id(c): d for c, d in zip(all_children, child_docs, strict=True)}
        for r, d in zip(rows, docs, strict=True):
            kids = groups.get(r[src], [])
            d[name] = [doc_of[id(c)] for c in kids[:top]]
            if opts.count:
                d[f"{name}@iot.count"] = counts.get(r[src], 0)
            if len(kids) > top:
                link = self_link(self.base, parent.name, row_id(parent, r))
                params = {"$top": str(top), "$skip": str(opts.skip + top)}
                d[f"{name}@iot.nextLink"] = f"{link}/{name}?{urlencode(params)}"

    def _expanded_counts(
        self, target: EntitySet, dst: str, keys: list[Any], opts: Options
    ) -> dict[Any, int]:
        """`…@iot.count` of an expanded collection per parent key; a Datastream's
        Observations by visible time ranges (exact, whatever the size, so no budget)."""
        if target.name == "Observations" and dst == "series_id":
            ids = [k for k in keys if isinstance(k, int)]
            return counting.observations(self, opts, series_ids=ids, budget=False)
        view = self.view(target, dst)
        q = self.filtered(target, view, opts).where(view.match_any(dst, keys))
        return counting.grouped(self, q, view.keys[dst])


def _merge(items: Sequence[Expand]) -> list[Expand]:
    """Datastreams and Datastreams/Observations in one $expand become one nested item."""
    merged: dict[str, Expand] = {}
    order: list[str] = []
    for it in items:
        head = it.path[0]
        if len(it.path) == 1:
            if head in merged and len(merged[head].path) == 1:
                raise bad(f"{head} expanded twice", "$expand")
            existing = merged.get(head)
            new = Expand([head], it.options)
            if existing is not None:
                new.options.expand += existing.options.expand
            merged[head] = new
        else:
            base = merged.get(head)
            if base is None:
                base = merged[head] = Expand([head], Options())
            base.options.expand.append(Expand(it.path[1:], it.options))
        if head not in order:
            order.append(head)
    return [merged[h] for h in order]


def property_value(doc: Mapping[str, Any], prop: str, es: EntitySet) -> Any:
    if prop in ("id", "@iot.id"):
        return doc["@iot.id"]
    if prop not in PROPERTIES[es.name]:
        raise ApiError(404, f"{es.name} have no property {prop!r}", [("path", prop)])
    return doc.get(prop)
