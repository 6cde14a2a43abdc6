"""The staff-workspace endpoints (/api/v1/workspace/…) on SQLite and PostgreSQL: each role
reaches exactly the stations it manages through every one of them, and every change leaves
its audit row.

The world (api_world.py): PUB_AIR (public, agency, Hà Nội), A_PUB / A_OUT (enterprise A,
public / restricted, Hà Nội), B_OUT (enterprise B, restricted, Hồ Chí Minh City), HG_WELL
(restricted, Hà Giang, merged into Tuyên Quang). `hn` is Hà Nội staff, `tq` Tuyên Quang staff.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from quantrac.store.schema import audit_log, raw_file, sample, station
from tests.integration.api_world import World

#: credential → stations it manages
MANAGES = {
    "admin": {"PUB_AIR", "A_OUT", "A_PUB", "B_OUT", "HG_WELL"},
    "hn": {"PUB_AIR", "A_OUT", "A_PUB"},
    "tq": {"HG_WELL"},
    "ent_a": {"A_OUT", "A_PUB"},
    "ent_b": {"B_OUT"},
    "citizen": set(),
}
W = "/api/v1/workspace"


def audit_rows(world: World, action: str) -> list[dict[str, Any]]:
    with world.store.read() as conn:
        rows = conn.execute(select(audit_log).where(audit_log.c.action == action)).mappings()
        return [dict(r) | {"details": json.loads(r["details"] or "null")} for r in rows]


def actor(world: World, who: str) -> str:
    return world.client.get("/api/v1/auth/me", headers=world.h(who)).json()["actor"]


# --- who sees which stations --------------------------------------------------------------


@pytest.mark.parametrize("who", list(MANAGES))
def test_pickers_and_board_list_exactly_the_managed_stations(world: World, who: str) -> None:
    c, h = world.client, world.h(who)
    assert {s["code"] for s in c.get(f"{W}/stations", headers=h).json()} == MANAGES[who]
    board = c.get(f"{W}/connectivity", headers=h).json()
    assert {r["station"] for r in board} == MANAGES[who]  # every world station is automatic
    for row in board:
        # Nothing was received by a receiver, so no arrival; the day's expectation is counted.
        assert row["online"] is None and row["today_expected"] >= 0
        assert row["offline_after_s"] == 900  # 3 × the 300 s interval


def test_anonymous_callers_get_401_everywhere(world: World) -> None:
    c = world.client
    for path in ("stations", "connectivity", "raw-files", "alert-rules"):
        assert c.get(f"{W}/{path}").status_code == 401
    assert c.post(f"{W}/imports?filename=x.csv", content=b"a").status_code == 401
    sid = world.series["PUB_AIR"]
    assert c.get(f"{W}/series/{sid}/review").status_code == 401


# --- registry -----------------------------------------------------------------------------
NEW = {"code": "HN_NEW", "name": "Trạm mới", "kind": "periodic", "medium": "surface_water"}


def test_province_staff_create_and_edit_only_in_their_province(world: World) -> None:
    c, hn = world.client, world.h("hn")
    created = c.post(f"{W}/stations", json=NEW, headers=hn)
    assert created.status_code == 201, created.text
    assert created.json()["province"] == "01-2025"  # their own unit by default
    outside = c.post(f"{W}/stations", json={**NEW, "code": "X2", "admin_unit": "79"}, headers=hn)
    assert outside.status_code == 403
    moved = c.patch(f"{W}/stations/HN_NEW", json={"admin_unit": "79"}, headers=hn)
    assert moved.status_code == 403
    edit = c.patch(f"{W}/stations/A_OUT", json={"visibility": "public", "kq": 0.9}, headers=hn)
    assert edit.status_code == 200 and edit.json()["visibility"] == "public"
    assert edit.json()["kq"] == 0.9 and edit.json()["name"] == "Trạm A_OUT"  # rest kept
    # Another province's restricted station does not exist for them; a public one is 403.
    assert c.patch(f"{W}/stations/B_OUT", json={"name": "x"}, headers=hn).status_code == 404
    assert (
        c.patch(f"{W}/stations/PUB_AIR", json={"name": "x"}, headers=world.h("tq")).status_code
        == 403
    )
    assert c.post(f"{W}/stations/HN_NEW/retire", headers=hn).status_code == 204
    assert "HN_NEW" not in {s["code"] for s in c.get(f"{W}/stations", headers=hn).json()}
    who = actor(world, "hn")
    assert [r["target"] for r in audit_rows(world, "station.create")] == ["station:HN_NEW"]
    (update,) = audit_rows(world, "station.update")
    assert update["actor"] == who and update["details"]["old"]["visibility"] == "restricted"
    assert update["details"]["new"] == {"visibility": "public", "kq": 0.9}
    assert [r["actor"] for r in audit_rows(world, "station.retire")] == [who]


def test_enterprises_read_their_stations_but_do_not_edit_the_registry(world: World) -> None:
    c, a = world.client, world.h("ent_a")
    assert c.post(f"{W}/stations", json=NEW, headers=a).status_code == 403
    assert c.patch(f"{W}/stations/A_OUT", json={"name": "x"}, headers=a).status_code == 403
    assert c.post(f"{W}/stations/A_OUT/retire", headers=a).status_code == 403
    assert [o["code"] for o in c.get(f"{W}/organizations", headers=a).json()] == ["ENT_A"]
    with world.store.read() as conn:
        assert conn.scalar(select(station.c.name).where(station.c.code == "A_OUT")) == "Trạm A_OUT"
    assert audit_rows(world, "station.update") == []


def test_registry_input_errors_are_422_or_409_never_500(world: World) -> None:
    c, admin = world.client, world.h("admin")
    bad = [
        {**NEW, "medium": "lava"},
        {**NEW, "owner": "NOBODY"},
        {**NEW, "regulation": "QCVN 99"},
        {**NEW, "code": "bad code!"},
        {**NEW, "admin_unit": "Atlantis"},
    ]
    for body in bad:
        assert c.post(f"{W}/stations", json=body, headers=admin).status_code == 422, body
    assert c.post(f"{W}/stations", json={**NEW, "code": "A_OUT"}, headers=admin).status_code == 409
    assert c.patch(f"{W}/stations/A_OUT", json={"medium": "lava"}, headers=admin).status_code == 422


# --- ingest monitor -------------------------------------------------------------------------
TT10 = b"COD\t45.2\tmg/L\t20260101120000\t00\r\nPH\t7.1\t\t20260101120000\t00\r\n"


def test_quarantined_files_are_listed_and_replayed_within_scope(world: World) -> None:
    c = world.client
    archive = c.app.state.ctx.archive
    from quantrac.pipeline.files import process_pending

    archive.receive(TT10, "HN_NEW_NUOC_20260101120000.txt", "ftp", "hn_new", "HN_NEW_NUOC")
    archive.receive(b"\x00junk", "B_OUT_20260101120000.txt", "ftp", "b_out", "B_OUT")
    process_pending(world.store, archive)
    files = c.get(f"{W}/raw-files?state=quarantined", headers=world.h("admin")).json()["files"]
    by_station = {f["station"]: f for f in files}
    assert "not registered" in by_station["HN_NEW_NUOC"]["reason"]
    new_id, b_id = by_station["HN_NEW_NUOC"]["id"], by_station["B_OUT"]["id"]
    # Enterprise A sees neither; B sees its own; Hà Nội staff not yet (no such station).
    assert c.get(f"{W}/raw-files", headers=world.h("ent_a")).json()["files"] == []
    assert [f["id"] for f in c.get(f"{W}/raw-files", headers=world.h("ent_b")).json()["files"]] == [
        b_id
    ]
    assert c.post(f"{W}/raw-files/{b_id}/replay", headers=world.h("ent_a")).status_code == 404
    again = c.post(f"{W}/raw-files/{b_id}/replay", headers=world.h("ent_b"))
    assert again.status_code == 200 and again.json()["state"] == "quarantined"
    assert c.post(f"{W}/raw-files/{new_id}/replay", headers=world.h("hn")).status_code == 404
    spec = {"code": "HN_NEW_NUOC", "name": "n", "kind": "automatic", "medium": "wastewater"}
    assert c.post(f"{W}/stations", json=spec, headers=world.h("hn")).status_code == 201
    done = c.post(f"{W}/raw-files/{new_id}/replay", headers=world.h("hn"))
    assert done.status_code == 200 and done.json()["state"] == "parsed"
    assert done.json()["stored"] == 2
    assert c.post(f"{W}/raw-files/{new_id}/replay", headers=world.h("hn")).status_code == 409
    targets = [r["target"] for r in audit_rows(world, "archive.replay")]
    assert targets == [f"raw_file:{b_id}", f"raw_file:{new_id}"]
    counts = c.get(f"{W}/raw-files", headers=world.h("hn")).json()["counts"]
    assert counts == {"parsed": 1}


# --- periodic import ----------------------------------------------------------------------
SHEET = (
    "Mã điểm,Ngày lấy mẫu,COD (mg/L),BOD5 (mg/L)\n{code},05/01/2025,12,4\n{code},06/02/2025,18,<2\n"
)


def test_upload_report_commit_archives_the_bytes_and_audits(world: World) -> None:
    c, hn = world.client, world.h("hn")
    c.post(f"{W}/stations", json=NEW, headers=hn)
    data = SHEET.format(code="HN_NEW").encode()
    report = c.post(f"{W}/imports?filename=dot1.csv&campaign=2025-D1", content=data, headers=hn)
    assert report.status_code == 200, report.text
    r = report.json()
    assert (r["errors"], r["records_read"], r["committable"], r["written"]) == (0, 4, True, False)
    assert r["counts"]["samples_new"] == 2 and r["counts"]["results_new"] == 4
    rid = r["raw_file_id"]
    with world.store.read() as conn:
        assert conn.scalar(select(sample.c.id)) is None  # the report wrote nothing
        row = conn.execute(select(raw_file).where(raw_file.c.id == rid)).mappings().one()
    assert (row["source"], row["state"], row["sender"]) == ("upload", "parsed", actor(world, "hn"))
    assert c.app.state.ctx.archive.read_bytes(row) == data
    # Someone else cannot commit (or even see) hn's upload …
    assert c.post(f"{W}/imports/{rid}/commit", headers=world.h("tq")).status_code == 404
    # … until they upload the same file: the archive keeps one entry, either may commit it.
    again = c.post(f"{W}/imports?filename=dot1.csv", content=data, headers=world.h("tq")).json()
    assert again["raw_file_id"] == rid and again["committable"] is False  # not tq's station
    assert c.post(f"{W}/imports/{rid}/commit", headers=world.h("tq")).status_code == 422
    done = c.post(f"{W}/imports/{rid}/commit?campaign=2025-D1", headers=hn)
    assert done.status_code == 200 and done.json()["written"] is True
    with world.store.read() as conn:
        assert set(conn.scalars(select(sample.c.raw_file_id))) == {rid}
    samples = c.get("/api/v1/samples?station=HN_NEW", headers=hn).json()
    assert sorted(x["value"] for s in samples for x in s["results"] if x["parameter"] == "COD") == [
        12,
        18,
    ]
    assert [a["target"] for a in audit_rows(world, "periodic.upload")] == [f"raw_file:{rid}"] * 2
    (commit,) = audit_rows(world, "periodic.commit")
    assert commit["details"]["results_new"] == 4 and commit["actor"] == actor(world, "hn")
    assert len(audit_rows(world, "periodic.import")) == 1
    assert "imported (strict)" in c.app.state.ctx.archive.get(rid)["error"]


def test_a_sheet_naming_stations_outside_the_scope_is_refused_without_revealing_them(
    world: World,
) -> None:
    c, a = world.client, world.h("ent_a")
    data = (
        SHEET.format(code="A_OUT") + SHEET.format(code="B_OUT").split("\n", 1)[1]
        + SHEET.format(code="NOPE").split("\n", 1)[1]
    ).encode()  # fmt: skip
    r = c.post(f"{W}/imports?filename=x.csv&lang=en", content=data, headers=a).json()
    lines = {i["value"]: i for i in r["issues"] if i["value"] in {"B_OUT", "NOPE"}}
    # The restricted station of B and an unregistered code read exactly alike.
    assert lines["B_OUT"]["message"].replace("B_OUT", "X") == lines["NOPE"]["message"].replace(
        "NOPE", "X"
    )
    assert "not one of your stations" in lines["B_OUT"]["message"]
    assert not any("not registered (" in i["message"] for i in r["issues"])
    assert r["committable"] is False and r["counts"]["results_new"] == 0
    assert all(e["station"] == "A_OUT" for e in r["exceedances"])
    for mode in ("strict", "accept-valid"):
        refused = c.post(f"{W}/imports/{r['raw_file_id']}/commit?mode={mode}", headers=a)
        assert refused.status_code == 422
    with world.store.read() as conn:
        assert conn.scalar(select(sample.c.id)) is None


def test_an_unreadable_upload_stays_archived_in_quarantine(world: World) -> None:
    c = world.client
    bad = c.post(f"{W}/imports?filename=x.xlsx", content=b"not a workbook", headers=world.h("hn"))
    assert bad.status_code == 422
    row = c.app.state.ctx.archive.get(bad.json()["raw_file_id"])
    assert row["state"] == "quarantined" and "Excel" in row["error"]
    # An uploaded sheet is not replayed through the TT10 pipeline.
    replay = c.post(f"{W}/raw-files/{row['id']}/replay", headers=world.h("admin"))
    assert replay.status_code == 409
    assert (
        c.post(f"{W}/imports?filename=x.csv", content=b"a", headers=world.h("citizen")).status_code
        == 403
    )


def test_strict_commit_with_errors_is_refused_and_accept_valid_stores_the_rest(
    world: World,
) -> None:
    c, hn = world.client, world.h("hn")
    c.post(f"{W}/stations", json=NEW, headers=hn)
    data = (SHEET.format(code="HN_NEW") + "HN_NEW,07/03/2025,abc,3\n").encode()
    r = c.post(f"{W}/imports?filename=e.csv", content=data, headers=hn).json()
    assert r["errors"] >= 1 and r["committable"] is True
    strict = c.post(f"{W}/imports/{r['raw_file_id']}/commit", headers=hn)
    assert strict.status_code == 422 and strict.json()["problems"]
    ok = c.post(f"{W}/imports/{r['raw_file_id']}/commit?mode=accept-valid", headers=hn)
    assert ok.status_code == 200 and ok.json()["counts"]["samples_new"] == 2


# --- review ---------------------------------------------------------------------------------
def test_review_actions_follow_roles_and_leave_the_trail(world: World) -> None:
    c = world.client
    sid = world.series["A_OUT"]
    t = "2026-01-01T00:10:00Z"  # the third stored value (T0 + 2 × 300 s)
    period = {"state": "approved", "start": "2026-01-01T00:00:00Z", "end": "2026-01-01T01:00:00Z"}
    a = world.h("ent_a")
    trail = c.get(f"{W}/series/{sid}/review", headers=a).json()
    assert (trail["can_approve"], trail["can_correct"]) == (False, True)
    assert c.post(f"{W}/series/{sid}/periods", json=period, headers=a).status_code == 403
    fix = {"time": t, "value": 33.5, "reason": "nhập sai dấu phẩy"}
    assert c.post(f"{W}/series/{sid}/corrections", json=fix, headers=a).status_code == 201
    # B's restricted series does not exist for A; the public agency series is not A's.
    b_sid, pub_sid = world.series["B_OUT"], world.series["PUB_AIR"]
    assert c.post(f"{W}/series/{b_sid}/corrections", json=fix, headers=a).status_code == 404
    assert c.post(f"{W}/series/{pub_sid}/corrections", json=fix, headers=a).status_code == 403
    assert c.get(f"{W}/series/{pub_sid}/review", headers=a).status_code == 403
    hn = world.h("hn")
    assert (
        c.post(f"{W}/series/{sid}/periods", json={**period, "note": "ok"}, headers=hn).status_code
        == 201
    )
    over = {
        "start": "2026-01-01T00:30:00Z",
        "end": "2026-01-01T00:40:00Z",
        "flag": 3,
        "reason": "lọc tắc",
    }
    assert c.post(f"{W}/series/{sid}/overrides", json=over, headers=hn).json() == {"changed": 2}
    assert (
        c.post(f"{W}/series/{sid}/periods", json=period, headers=world.h("tq")).status_code == 404
    )
    trail = c.get(f"{W}/series/{sid}/review", headers=hn).json()
    assert [(p["state"], p["by"], p["note"]) for p in trail["periods"]] == [
        ("approved", actor(world, "hn"), "ok")
    ]
    correction = trail["revisions"][0]
    assert (correction["time"], correction["old_value"], correction["new_value"]) == (t, 12.0, 33.5)
    assert (correction["changed_by"], correction["reason"]) == (
        actor(world, "ent_a"),
        "nhập sai dấu phẩy",
    )
    assert len(trail["revisions"]) == 3
    values = c.get(f"/api/v1/series/{sid}/observations", headers=hn).json()["value"]
    assert values[2] == 33.5
    assert [r["actor"] for r in audit_rows(world, "review.approved")] == [actor(world, "hn")]
    assert audit_rows(world, "review.correct")[0]["remote_addr"] == "testclient"


def test_bad_review_input_is_4xx(world: World) -> None:
    c, hn, sid = world.client, world.h("hn"), world.series["A_OUT"]
    backwards = {
        "state": "approved",
        "start": "2026-01-02T00:00:00Z",
        "end": "2026-01-01T00:00:00Z",
    }
    assert c.post(f"{W}/series/{sid}/periods", json=backwards, headers=hn).status_code == 422
    naive = {"time": "2026-01-01 00:10", "value": 1, "reason": "x"}
    assert c.post(f"{W}/series/{sid}/corrections", json=naive, headers=hn).status_code == 400
    nothing = {"time": "2030-01-01T00:00:00Z", "value": 1, "reason": "x"}
    assert c.post(f"{W}/series/{sid}/corrections", json=nothing, headers=hn).status_code == 422
    assert c.get(f"{W}/series/999999/review", headers=hn).status_code == 404


# --- alert rules ----------------------------------------------------------------------------
def test_alert_rules_are_scoped_to_the_stations_a_caller_manages(world: World) -> None:
    c, a, b = world.client, world.h("ent_a"), world.h("ent_b")
    rule = {"name": "A", "event_kinds": ["exceedance"], "stations": ["A_OUT"],
            "channel": "email", "target": "qa@a.vn"}  # fmt: skip
    made = c.post(f"{W}/alert-rules", json=rule, headers=a)
    assert made.status_code == 201 and made.json()["stations"] == ["A_OUT"]
    rid = made.json()["id"]
    national = {**rule, "stations": None, "name": "all"}
    assert c.post(f"{W}/alert-rules", json=national, headers=a).status_code == 422
    assert c.post(f"{W}/alert-rules", json=national, headers=world.h("admin")).status_code == 201
    for foreign in (["B_OUT"], ["NOPE"], ["PUB_AIR"]):
        assert (
            c.post(f"{W}/alert-rules", json={**rule, "stations": foreign}, headers=a).status_code
            == 422
        )
    hook = {**rule, "channel": "webhook", "target": "https://a.vn/h", "secret": "short"}
    assert c.post(f"{W}/alert-rules", json=hook, headers=a).status_code == 422
    assert [r["name"] for r in c.get(f"{W}/alert-rules", headers=a).json()] == ["A"]
    assert c.get(f"{W}/alert-rules", headers=b).json() == []
    assert len(c.get(f"{W}/alert-rules", headers=world.h("admin")).json()) == 2
    assert c.post(f"{W}/alert-rules/{rid}/disable", headers=b).status_code == 404
    assert c.post(f"{W}/alert-rules/{rid}/disable", headers=a).status_code == 204
    assert c.get(f"{W}/alert-rules", headers=a).json()[0]["active"] is False
    assert [r["actor"] for r in audit_rows(world, "alert_rule.disable")] == [actor(world, "ent_a")]
    assert len(audit_rows(world, "alert_rule.create")) == 2


def test_cookie_sessions_need_the_csrf_header_on_workspace_writes(world: World) -> None:
    c = world.client
    login = c.post("/api/v1/auth/login", json={"username": "hn", "password": "hn-password"})
    assert login.status_code == 200
    assert c.get(f"{W}/stations").status_code == 200  # reads with the cookie alone
    assert c.post(f"{W}/stations", json=NEW).status_code == 403
    made = c.post(f"{W}/stations", json=NEW, headers={"X-Requested-With": "quantrac"})
    assert made.status_code == 201
    assert audit_rows(world, "station.create")[0]["actor"] == "user:hn"


def test_templates_for_the_lab(world: World) -> None:
    c, hn = world.client, world.h("hn")
    xlsx = c.get(f"{W}/templates/nước mặt", headers=hn)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert "mau_nhap_surface_water.xlsx" in xlsx.headers["content-disposition"]
    assert c.get(f"{W}/templates/sediment", headers=hn).status_code == 422  # no parameters
    assert c.get(f"{W}/templates/lava", headers=hn).status_code == 422
    assert c.get(f"{W}/templates/soil").status_code == 401
