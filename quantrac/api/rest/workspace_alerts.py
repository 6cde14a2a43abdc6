"""Workspace: alert rules (list, create, disable, enable) through `quantrac.alerts.dispatch`.

A rule without stations covers every station of the country, so only an administrator may
make or see one. Anyone else (province staff, enterprises, with the write scope) names
stations, all of which they must manage, and sees only such rules. Secrets are write-only:
answers say whether a rule has one, never what it is. Events themselves are read from the
REST API (`/events`).
"""

from __future__ import annotations

from typing import Annotated, Any

import pydantic
from fastapi import APIRouter, Path, Request, Response

from quantrac.alerts.dispatch import AlertRuleSpec, add_rule, list_rules, set_rule_active
from quantrac.api.context import ApiContext
from quantrac.api.errors import ApiError
from quantrac.api.rest.common import Ctx
from quantrac.api.rest.workspace_common import (
    managed_codes,
    record,
    require_login,
    require_writer,
)
from quantrac.api.rest.workspace_models import AlertRule, AlertRuleIn
from quantrac.api.security import CurrentPrincipal
from quantrac.api.timeparse import iso
from quantrac.auth.principal import Principal

router = APIRouter(prefix="/workspace", tags=["workspace"])

RuleId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _stations(row: Any) -> list[str] | None:
    text = row["station_filter"]
    return [c for c in text.split(",") if c] if text else None


def _visible_rules(ctx: ApiContext, p: Principal) -> list[Any]:
    rows = list_rules(ctx.store)
    if p.role == "admin":
        return rows
    with ctx.store.read() as conn:
        mine = set(managed_codes(conn, p, include_retired=True))
    return [r for r in rows if (codes := _stations(r)) and set(codes) <= mine]


def _rule_out(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "event_kinds": row["event_kinds"].split(","),
        "stations": _stations(row),
        "channel": row["channel"],
        "target": row["target"],
        "has_secret": bool(row["secret"]),
        "active": bool(row["active"]),
        "created_at": iso(row["created_at"]),
    }


@router.get("/alert-rules", response_model=list[AlertRule])
def rules(p: CurrentPrincipal, ctx: ApiContext = Ctx) -> list[dict[str, Any]]:
    """Alert rules the caller may see: all for an administrator, otherwise the rules whose
    stations are all the caller's."""
    require_login(p)
    return [_rule_out(r) for r in _visible_rules(ctx, p)]


@router.post("/alert-rules", response_model=AlertRule, status_code=201)
def create_rule(
    body: AlertRuleIn, request: Request, p: CurrentPrincipal, ctx: ApiContext = Ctx
) -> dict[str, Any]:
    """A new rule (webhook with a secret of ≥ 16 characters, or e-mail). Events that exist
    now are not replayed to it."""
    require_writer(p)
    stations = sorted(set(body.stations or [])) or None
    if stations is None and p.role != "admin":
        raise ApiError(
            422,
            "name the stations of the rule (a rule without stations covers the whole country)",
            [("stations", "required")],
        )
    with ctx.store.read() as conn:
        mine = set(managed_codes(conn, p))
    strangers = [c for c in stations or () if c not in mine]
    if strangers:  # unknown, invisible and someone else's look the same
        raise ApiError(
            422,
            "not stations of yours: " + ", ".join(strangers[:20]),
            [("stations", c) for c in strangers],
        )
    try:
        spec = AlertRuleSpec(
            name=body.name,
            event_kinds=list(body.event_kinds),
            stations=stations,
            channel=body.channel,
            target=body.target,
            secret=body.secret,
        )
    except pydantic.ValidationError as e:
        problems = [(".".join(map(str, x["loc"])) or "body", x["msg"]) for x in e.errors()]
        raise ApiError(422, "invalid alert rule", problems) from None
    rule_id = add_rule(ctx.store, spec)
    details = {"name": spec.name, "kinds": spec.event_kinds, "stations": stations}
    record(ctx, request, p, "alert_rule.create", f"alert_rule:{rule_id}", details)
    row = next(r for r in list_rules(ctx.store) if r["id"] == rule_id)
    return _rule_out(row)


def _switch(
    rule_id: int, active: bool, request: Request, p: CurrentPrincipal, ctx: ApiContext
) -> Response:
    require_writer(p)
    if not any(r["id"] == rule_id for r in _visible_rules(ctx, p)):
        raise ApiError(404, f"no alert rule {rule_id}")
    set_rule_active(ctx.store, rule_id, active)
    action = "alert_rule.enable" if active else "alert_rule.disable"
    record(ctx, request, p, action, f"alert_rule:{rule_id}")
    return Response(status_code=204)


@router.post("/alert-rules/{rule_id}/disable", status_code=204)
def disable_rule(
    rule_id: RuleId, request: Request, p: CurrentPrincipal, ctx: ApiContext = Ctx
) -> Response:
    """Stop a rule; its pending deliveries wait until it is enabled again."""
    return _switch(rule_id, False, request, p, ctx)


@router.post("/alert-rules/{rule_id}/enable", status_code=204)
def enable_rule(
    rule_id: RuleId, request: Request, p: CurrentPrincipal, ctx: ApiContext = Ctx
) -> Response:
    return _switch(rule_id, True, request, p, ctx)
