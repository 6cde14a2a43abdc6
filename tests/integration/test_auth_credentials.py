"""Credentials: passwords (argon2), API keys (hash only, revocable), session tokens and the
cookie's CSRF rule, HTTP Basic, rate limits, the audit log, and `quantrac users|keys`."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from quantrac.auth import keys, tokens, users
from quantrac.auth.ratelimit import TokenBuckets
from quantrac.store.db import Store
from quantrac.store.schema import api_key, app_user, audit_log
from tests.integration.api_world import World, build_world, cheap_password_hashing


def test_only_hashes_are_stored(world: World) -> None:
    with world.store.read() as conn:
        hashes = list(conn.scalars(select(app_user.c.password_hash)))
        key_hashes = list(conn.scalars(select(api_key.c.key_hash)))
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert all(k not in h for k in world.keys.values() for h in key_hashes)
    assert all(len(h) == 64 for h in key_hashes)


def test_keys_revoked_and_users_disabled_stop_working_at_once(world: World) -> None:
    c = world.client
    assert c.get("/api/v1/auth/me", headers=world.h("ent_a")).json()["role"] == "enterprise"
    keys.revoke_key(world.store, world.keys["ent_a"])
    r = c.get("/api/v1/auth/me", headers=world.h("ent_a"))
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    users.set_active(world.store, "ent_b", False)
    assert c.get("/api/v1/auth/me", headers=world.h("ent_b")).status_code == 401
    wrong = world.keys["hn"][:-3] + "xyz"
    assert c.get("/api/v1/stations", headers={"X-API-Key": wrong}).status_code == 401
    assert c.get("/api/v1/stations", headers={"Authorization": "Token x"}).status_code == 401


def test_login_token_cookie_and_basic(world: World) -> None:
    c = world.client
    bad = c.post("/api/v1/auth/login", json={"username": "hn", "password": "nope-nope"})
    assert bad.status_code == 401
    ok = c.post("/api/v1/auth/login", json={"username": "hn", "password": "hn-password"})
    assert ok.status_code == 200
    token = ok.json()["token"]
    me = c.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["actor"] == "user:hn" and me["role"] == "province"
    # the cookie works for reads; a write through the cookie needs the CSRF header
    body = {
        "phenomenonTime": "2026-01-05T00:00:00Z",
        "result": 3,
        "Datastream": {"@iot.id": world.series["PUB_AIR"]},
    }
    assert c.get("/api/v1/auth/me").json()["actor"] == "user:hn"
    assert c.post("/sta/v1.1/Observations", json=body).status_code == 403
    assert (
        c.post(
            "/sta/v1.1/Observations", json=body, headers={"X-Requested-With": "fetch"}
        ).status_code
        == 201
    )
    c.cookies.clear()
    basic = base64.b64encode(b"ent_a:ent-a-password").decode()
    me = c.get("/api/v1/auth/me", headers={"Authorization": f"Basic {basic}"}).json()
    assert me["role"] == "enterprise"
    basic_key = base64.b64encode(f"any:{world.keys['tq']}".encode()).decode()
    me = c.get("/api/v1/auth/me", headers={"Authorization": f"Basic {basic_key}"}).json()
    assert me["role"] == "province"
    expired, _ = tokens.issue(b"test-secret", 1, -10)
    assert (
        c.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {expired}"}).status_code == 401
    )
    forged, _ = tokens.issue(b"another-secret", 1, 3600)
    assert (
        c.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    )
    # an ended session's cookie makes the visitor anonymous again, free to log in
    c.cookies.set("quantrac_session", expired)
    assert c.get("/api/v1/auth/me").json()["role"] == "public"
    assert c.get("/api/v1/stations").status_code == 200
    again = c.post("/api/v1/auth/login", json={"username": "hn", "password": "hn-password"})
    assert again.status_code == 200
    c.cookies.clear()


def test_every_write_and_admin_action_is_audited(world: World) -> None:
    c = world.client
    c.post(
        "/api/v1/stations/A_OUT/push",
        headers=world.h("ent_a"),
        json={
            "time": "2026-01-02T00:00:00+07:00",
            "readings": [{"parameter": "COD", "value": 7, "unit": "mg/L"}],
        },
    )
    c.post(
        "/sta/v1.1/Observations",
        headers=world.h("hn"),
        json={
            "phenomenonTime": "2026-01-05T00:00:00Z",
            "result": 3,
            "Datastream": {"@iot.id": world.series["PUB_AIR"]},
        },
    )
    c.post(
        "/api/v1/admin/keys",
        headers=world.h("admin"),
        json={"name": "agency pull", "user": "hn", "scopes": "read"},
    )
    c.post("/api/v1/auth/login", json={"username": "hn", "password": "wrong-password"})
    with world.store.read() as conn:
        rows = conn.execute(
            select(audit_log.c.actor, audit_log.c.action, audit_log.c.remote_addr)
        ).all()
    actions = {(a.split(":")[0], b) for a, b, _ in rows}
    assert ("key", "observations.push") in actions
    assert ("key", "sta.observations") in actions
    assert ("key", "key.create") in actions
    assert ("user", "auth.login_failed") in actions
    assert ("cli", "user.create") in actions
    assert all(addr == "testclient" for a, b, addr in rows if a.startswith("key:"))
    listed = c.get("/api/v1/admin/audit", headers=world.h("admin")).json()
    assert listed[0]["action"] in {"auth.login_failed", "key.create"}
    assert c.get("/api/v1/admin/audit", headers=world.h("hn")).status_code == 403
    assert c.get("/api/v1/admin/audit").status_code == 401


def test_rate_limit_per_ip_and_per_key(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cheap_password_hashing(monkeypatch)
    w = build_world(store, tmp_path)
    ctx = w.client.app.state.ctx
    ctx.settings.rate_limit_enabled = True
    ctx.ip_buckets = TokenBuckets(rate=0.001, burst=3)
    ctx.key_buckets = TokenBuckets(rate=0.001, burst=5)
    codes = [w.client.get("/api/v1/health").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    limited = w.client.get("/api/v1/health")
    assert limited.json()["error"] == "too_many_requests"
    assert int(limited.headers["Retry-After"]) >= 1
    keyed = [w.client.get("/api/v1/health", headers=w.h("hn")).status_code for _ in range(6)]
    assert keyed == [200] * 5 + [429]
    assert w.client.get("/api/v1/health", headers=w.h("tq")).status_code == 200


def test_token_bucket_refills() -> None:
    b = TokenBuckets(rate=1.0, burst=2)
    assert b.take("k", now=0.0) == 0 and b.take("k", now=0.0) == 0
    assert b.take("k", now=0.0) == pytest.approx(1.0)
    assert b.take("k", now=1.0) == 0


def test_cli_users_and_keys(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from quantrac.cli import users_cmd

    cheap_password_hashing(monkeypatch)
    monkeypatch.setattr(users_cmd, "open_store", lambda: store)
    runner = CliRunner()
    r = runner.invoke(
        users_cmd.users_app, ["add", "ops", "--role", "admin", "--password", "ops-password"]
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        users_cmd.users_app, ["add", "x", "--role", "province", "--password", "long-enough"]
    )
    assert r.exit_code != 0
    r = runner.invoke(
        users_cmd.keys_app, ["create", "pull", "--user", "ops", "--scopes", "read,admin"]
    )
    assert r.exit_code == 0, r.output
    key = r.output.strip().splitlines()[-1]
    assert key.startswith("qtk_")
    with store.read() as conn:
        assert keys.principal_for_key(conn, key).is_admin
    assert "ops" in runner.invoke(users_cmd.users_app, ["list"]).output
    assert runner.invoke(users_cmd.keys_app, ["revoke", key]).exit_code == 0
    assert (
        runner.invoke(
            users_cmd.users_app, ["passwd", "ops", "--password", "new-password"]
        ).exit_code
        == 0
    )
    assert users.authenticate(store, "ops", "new-password") is not None
    assert runner.invoke(users_cmd.users_app, ["disable", "ops"]).exit_code == 0
    assert users.authenticate(store, "ops", "new-password") is None
    with store.read() as conn:
        assert keys.principal_for_key(conn, key) is None
        actions = list(conn.scalars(select(audit_log.c.action).order_by(audit_log.c.id)))
    assert actions == ["user.create", "key.create", "key.revoke", "user.passwd", "user.disable"]
