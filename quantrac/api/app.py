"""The FastAPI application. For now: health, public stations, their series and observations,
and a plain overview page; the API issue grows this into the full /api/v1 and SensorThings."""

from __future__ import annotations

import html
import math
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from quantrac import __version__
from quantrac.errors import QuantracError
from quantrac.store.db import Store
from quantrac.store.observations import read_series
from quantrac.store.schema import observation, series, station


def create_app(store: Store) -> FastAPI:
    app = FastAPI(
        title="quantrac",
        version=__version__,
        description="Vietnam environmental monitoring database — public API",
    )

    def public_station(code: str) -> Any:
        with store.read() as conn:
            row = (
                conn.execute(
                    select(station).where(
                        station.c.code == code,
                        station.c.visibility == "public",
                        station.c.retired_at.is_(None),
                    )
                )
                .mappings()
                .first()
            )
        if row is None:
            raise HTTPException(404, detail=f"no public station {code!r}")
        return row

    @app.get("/api/v1/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__, "database": store.dialect}

    @app.get("/api/v1/stations")
    def stations() -> list[dict[str, Any]]:
        with store.read() as conn:
            rows = conn.execute(
                select(
                    station.c.code,
                    station.c.name,
                    station.c.kind,
                    station.c.medium,
                    station.c.latitude,
                    station.c.longitude,
                    station.c.admin_unit_key,
                )
                .where(station.c.visibility == "public", station.c.retired_at.is_(None))
                .order_by(station.c.code)
            ).mappings()
            return [dict(r) for r in rows]

    @app.get("/api/v1/stations/{code}/series")
    def station_series(code: str) -> list[dict[str, Any]]:
        st = public_station(code)
        with store.read() as conn:
            rows = conn.execute(
                select(
                    series.c.id,
                    series.c.parameter_code,
                    series.c.unit,
                    func.count(observation.c.time).label("count"),
                    func.max(observation.c.time).label("last_time"),
                )
                .outerjoin(observation, observation.c.series_id == series.c.id)
                .where(series.c.station_id == st["id"])
                .group_by(series.c.id)
                .order_by(series.c.parameter_code)
            ).mappings()
            return [dict(r) for r in rows]

    @app.get("/api/v1/stations/{code}/observations/{parameter}")
    def observations(
        code: str,
        parameter: str,
        start: Annotated[datetime | None, Query(description="ISO 8601 with offset")] = None,
        end: Annotated[datetime | None, Query()] = None,
    ) -> dict[str, Any]:
        st = public_station(code)
        for name, value in (("start", start), ("end", end)):
            if value is not None and value.tzinfo is None:
                raise HTTPException(422, detail=f"{name} needs a time-zone offset")
        with store.read() as conn:
            sid = conn.scalar(
                select(series.c.id).where(
                    series.c.station_id == st["id"], series.c.parameter_code == parameter
                )
            )
        if sid is None:
            raise HTTPException(404, detail=f"station {code!r} has no series {parameter!r}")
        data = read_series(
            store,
            sid,
            int(start.timestamp()) if start else None,
            int(end.timestamp()) if end else None,
        )
        return {
            "station": code,
            "parameter": parameter,
            "time": [datetime.fromtimestamp(int(x), UTC).isoformat() for x in data.time],
            "value": [None if math.isnan(v) else float(v) for v in data.value],
            "qc_flag": [int(f) for f in data.qc_flag],
        }

    @app.exception_handler(QuantracError)
    async def quantrac_error(_request: Any, exc: QuantracError) -> Any:
        from fastapi.responses import JSONResponse

        return JSONResponse(status_code=400, content={"detail": str(exc)})

    @app.get("/", response_class=HTMLResponse)
    def overview() -> str:
        from quantrac.catalog import get_catalog
        from quantrac.cli.common import local_time

        catalog = get_catalog()
        latest = _latest_values(store)
        body = []
        for r in stations():
            medium = catalog.media.get(r["medium"]).name_vi
            kind = "tự động" if r["kind"] == "automatic" else "định kỳ"
            values = latest.get(r["code"], [])
            when = local_time(max(v[3] for v in values)) if values else "—"
            shown = ", ".join(
                f"{html.escape(catalog.parameters.get(code).name_vi)} "
                f"<b>{f'{value:.4g}'.replace('.', ',')}</b> "
                f"{html.escape(unit) if unit != '-' else ''}"
                for code, value, unit, _ in values[:6]
                if value is not None
            )
            body.append(
                f"<tr><td><a href='/api/v1/stations/{html.escape(r['code'])}/series'>"
                f"{html.escape(r['code'])}</a></td><td>{html.escape(r['name'])}</td>"
                f"<td>{html.escape(medium)}</td><td>{kind}</td><td>{when}</td>"
                f"<td>{shown or '—'}</td></tr>"
            )
        return (
            "<!doctype html><html lang='vi'><head><meta charset='utf-8'><title>quantrac</title>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'><style>"
            "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:75em;color:#222}"
            "table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;"
            "padding:.4em;text-align:left;vertical-align:top}th{background:#f3f6f4}"
            "h1{color:#1b5e20}</style></head><body>"
            "<h1>quantrac — Cơ sở dữ liệu quan trắc môi trường</h1>"
            f"<p>{len(body)} trạm công khai · giờ Việt Nam (UTC+7) · "
            "<a href='/docs'>API (OpenAPI)</a></p><table><tr><th>Mã trạm</th>"
            "<th>Tên trạm</th><th>Môi trường</th><th>Loại</th><th>Số liệu mới nhất</th>"
            f"<th>Giá trị</th></tr>{''.join(body)}</table></body></html>"
        )

    return app


def _latest_values(store: Store) -> dict[str, list[tuple[str, float | None, str, int]]]:
    """(parameter, value, unit, time) of each public station's newest reading per series."""
    newest = (
        select(observation.c.series_id, func.max(observation.c.time).label("t"))
        .group_by(observation.c.series_id)
        .subquery()
    )
    q = (
        select(
            station.c.code,
            series.c.parameter_code,
            observation.c.value,
            series.c.unit,
            observation.c.time,
        )
        .join(series, series.c.station_id == station.c.id)
        .join(newest, newest.c.series_id == series.c.id)
        .join(
            observation,
            (observation.c.series_id == newest.c.series_id) & (observation.c.time == newest.c.t),
        )
        .where(station.c.visibility == "public")
        .order_by(station.c.code, series.c.parameter_code)
    )
    out: dict[str, list[tuple[str, float | None, str, int]]] = {}
    with store.read() as conn:
        for code, param, value, unit, t in conn.execute(q):
            out.setdefault(code, []).append((param, value, unit, t))
    return out
