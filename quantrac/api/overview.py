"""The plain HTML overview at / (until the portal of issue 8 replaces it): public stations and
their newest public values, Vietnamese, times in Asia/Ho_Chi_Minh."""

from __future__ import annotations

import html

from quantrac.api.context import ApiContext
from quantrac.api.queries.latest import latest_values
from quantrac.api.queries.stations import list_stations
from quantrac.auth.principal import ANONYMOUS
from quantrac.catalog import get_catalog


def _number(value: float) -> str:
    return f"{value:.4g}".replace(".", ",")


def render(ctx: ApiContext) -> str:
    from quantrac.cli.common import local_time

    catalog = get_catalog()
    with ctx.store.read() as conn:
        stations = list_stations(conn, ANONYMOUS)
        latest = {
            s["station"]: s["values"]
            for s in latest_values(
                conn, ANONYMOUS, requires_approval=ctx.settings.public_requires_approval
            )
        }
    body = []
    for r in stations:
        medium = catalog.media.get(r["medium"]).name_vi
        kind = "tự động" if r["kind"] == "automatic" else "định kỳ"
        values = latest.get(r["code"], [])
        when = local_time(max(v["time"] for v in values)) if values else "—"
        shown = ", ".join(
            f"{html.escape(catalog.parameters.get(v['parameter']).name_vi)} "
            f"<b>{_number(v['value'])}</b> "
            f"{html.escape(v['unit']) if v['unit'] != '-' else ''}"
            for v in values[:6]
            if v["value"] is not None
        )
        code = html.escape(r["code"])
        body.append(
            f"<tr><td><a href='/api/v1/stations/{code}/series'>{code}</a></td>"
            f"<td>{html.escape(r['name'])}</td><td>{html.escape(medium)}</td><td>{kind}</td>"
            f"<td>{when}</td><td>{shown or '—'}</td></tr>"
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
        "<a href='/docs'>API (OpenAPI)</a> · <a href='/sta/v1.1'>SensorThings API</a></p>"
        "<table><tr><th>Mã trạm</th><th>Tên trạm</th><th>Môi trường</th><th>Loại</th>"
        f"<th>Số liệu mới nhất</th><th>Giá trị</th></tr>{''.join(body)}</table></body></html>"
    )
