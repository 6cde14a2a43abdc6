"""Helpers shared by the REST modules: parsing common query parameters, fast JSON."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import Response

from quantrac.api.context import ApiContext
from quantrac.api.errors import ApiError
from quantrac.api.queries.stations import Bbox
from quantrac.api.security import ctx_of
from quantrac.api.timeparse import iso, parse_instant


class FastJSON(Response):
    """json.dumps without FastAPI's per-item encoder pass: big columnar bodies stay cheap."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(
            content, ensure_ascii=False, allow_nan=False, separators=(",", ":")
        ).encode()


def time_range(start: str | None, end: str | None) -> tuple[int | None, int | None]:
    s = parse_instant(start, "start") if start is not None else None
    e = parse_instant(end, "end") if end is not None else None
    if s is not None and e is not None and e <= s:
        raise ApiError(400, "end must be after start", [("end", "not after start")])
    return s, e


QC_FLAGS = {1, 2, 3, 4, 9}


def qc_flags(text: str | None) -> list[int] | None:
    if text is None or not text.strip():
        return None
    try:
        flags = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        flags = [-1]
    if not flags or any(f not in QC_FLAGS for f in flags):
        raise ApiError(
            400, "qc must be a comma-separated list of flags from 1,2,3,4,9", [("qc", text)]
        )
    return flags


def bbox(text: str | None) -> Bbox | None:
    if text is None:
        return None
    try:
        parts = [float(x) for x in text.split(",")]
    except ValueError:
        parts = []
    if len(parts) != 4 or not all(math.isfinite(x) for x in parts):
        raise ApiError(400, "bbox must be min_lon,min_lat,max_lon,max_lat", [("bbox", text)])
    box = Bbox(*parts)
    if box.min_lon > box.max_lon or box.min_lat > box.max_lat:
        raise ApiError(400, "bbox minimum exceeds maximum", [("bbox", text)])
    return box


def page_limit(ctx: ApiContext, limit: int | None) -> int:
    if limit is None:
        return ctx.settings.page_default
    if limit > ctx.settings.page_max:
        raise ApiError(
            400, f"limit may be at most {ctx.settings.page_max}", [("limit", str(limit))]
        )
    return limit


def with_iso(rows: Iterable[Mapping[str, Any]], *fields: str) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        d = dict(r)
        for f in fields:
            if f in d:
                d[f] = iso(d[f])
        out.append(d)
    return out


def get_ctx(request: Request) -> ApiContext:
    return ctx_of(request)


Ctx = Depends(get_ctx)
