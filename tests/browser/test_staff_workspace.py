"""The staff workspace in headless Chromium against a real uvicorn server (issue 8):
log in, upload a lab spreadsheet, read the validation report, commit it and see the values on
the review chart; an enterprise sees only its own stations; review, registry, ingest, alert
and admin pages do what they say, and what they did is in the store and the audit log."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from quantrac.pipeline.files import process_pending
from quantrac.store.schema import (
    alert_rule,
    audit_log,
    observation,
    raw_file,
    review_period,
    sample,
    sample_result,
    series,
    station,
)
from tests.browser.conftest import live_server
from tests.browser.staff_world import SHEET, SUSPECT, StaffWorld, build_staff_world, log_in
from tests.integration.api_world import cheap_password_hashing


@pytest.fixture
def world(sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StaffWorld:
    cheap_password_hashing(monkeypatch)
    return build_staff_world(sqlite_template, tmp_path)


@pytest.fixture
def base(world: StaffWorld) -> Iterator[str]:
    with live_server(world.app) as url:
        yield url


def scalar(world: StaffWorld, query: Any) -> Any:
    with world.store.read() as conn:
        return conn.scalar(query)


def audit(world: StaffWorld, action: str) -> list[dict[str, Any]]:
    with world.store.read() as conn:
        rows = conn.execute(select(audit_log).where(audit_log.c.action == action)).mappings()
        return [dict(r) | {"details": json.loads(r["details"] or "null")} for r in rows]


def test_login_is_required_and_logout_ends_the_session(page: Any, base: str) -> None:
    page.goto(base + "/staff/review")
    assert page.url == base + "/login?next=/staff/review"
    page.fill("#username", "hn")
    page.fill("#password", "not-the-password")
    page.click("#login-submit")
    expect(page.locator("#login-error")).to_have_text("Sai tên đăng nhập hoặc mật khẩu.")
    page.fill("#password", "hn-password")
    page.click("#login-submit")
    page.wait_for_url(base + "/staff/review")
    expect(page.get_by_test_id("who")).to_have_text("user:hn")
    page.click("#logout")
    page.wait_for_url(base + "/login")
    page.goto(base + "/staff")
    assert page.url.startswith(base + "/login?next=/staff")


def test_upload_report_commit_then_the_values_are_on_the_review_chart(
    page: Any, base: str, world: StaffWorld
) -> None:
    log_in(page, base, "hn", "/staff/import")
    page.set_input_files(
        "#import-file",
        files=[{"name": "dot1.csv", "mimeType": "text/csv", "buffer": SHEET.encode()}],
    )
    page.fill("#import-campaign", "2025-D1")
    page.click("#import-check")
    report = page.locator("#import-report")
    expect(report.locator("h2")).to_have_text("Báo cáo kiểm tra")
    expect(page.get_by_test_id("error-count")).to_have_text("0")
    expect(page.get_by_test_id("results-new")).to_have_text("4 / 0 / 0")
    expect(report).to_contain_text("18,5 mg/L")  # COD over QCVN 08:2023 level B (15 mg/L)
    assert scalar(world, select(func.count()).select_from(sample)) == 0  # nothing stored yet
    page.click("#import-commit")
    expect(page.get_by_test_id("commit-result")).to_contain_text("2 mẫu mới")
    assert scalar(world, select(func.count()).select_from(sample_result)) == 4
    upload = scalar(world, select(raw_file.c.id).where(raw_file.c.source == "upload"))
    assert scalar(world, select(func.min(sample.c.raw_file_id))) == upload
    assert [a["actor"] for a in audit(world, "periodic.commit")] == ["user:hn"]

    page.click("[data-testid=commit-result] a.chip")
    page.wait_for_url("**/staff/review?station=HN_SW*")
    expect(page.locator("#review-title")).to_contain_text("HN_SW · BOD5")  # the first
    page.select_option("#review-parameter", "COD")
    page.click("#review-load")
    expect(page.locator("#review-title")).to_have_text("HN_SW · COD (mg/L)")
    values = page.locator("#review-values tbody tr")
    expect(values).to_have_count(2)
    expect(values.nth(0)).to_contain_text("05/01/2025 00:00")
    expect(values.nth(1)).to_contain_text("18,5")
    assert page.evaluate("window.QTS_REVIEW.chart.data[1]") == [12, 18.5]
    assert page.locator("#review-chart canvas").count() == 1


def test_a_report_with_errors_offers_to_store_only_the_valid_rows(
    page: Any, base: str, world: StaffWorld
) -> None:
    broken = SHEET + "HN_SX,Sông X,07/03/2025,abc,3\nHN_SW,Sông Tô Lịch,08/03/2025,9,2\n"
    log_in(page, base, "hn", "/staff/import")
    page.set_input_files(
        "#import-file",
        files=[{"name": "loi.csv", "mimeType": "text/csv", "buffer": broken.encode()}],
    )
    page.click("#import-check")
    errors = page.locator("#import-report tr[data-severity=error]")
    expect(errors).to_have_count(2)  # the station code, and text in a number cell
    # An unknown code reads like a station outside one's scope (nothing is revealed).
    station_line = errors.filter(has_text="'HN_SX' không phải trạm bạn quản lý")
    expect(station_line.locator("td").nth(1)).to_have_text("4")  # the sheet row
    expect(errors.filter(has_text="abc")).to_have_count(1)
    expect(page.locator("#import-commit")).to_have_count(0)  # someone else's row: no commit
    fixed = SHEET + "HN_SW,Sông Tô Lịch,07/03/2025,abc,3\nHN_SW,Sông Tô Lịch,08/03/2025,9,2\n"
    page.set_input_files(
        "#import-file",
        files=[{"name": "loi2.csv", "mimeType": "text/csv", "buffer": fixed.encode()}],
    )
    page.click("#import-check")
    expect(page.locator("#import-report dl")).to_contain_text("loi2.csv")
    expect(page.locator("#import-report tr[data-severity=error]")).to_contain_text("abc")
    expect(page.locator("#import-commit")).to_have_attribute("data-mode", "accept-valid")
    page.click("#import-commit")
    expect(page.get_by_test_id("commit-result")).to_contain_text("3 mẫu mới")
    assert scalar(world, select(func.count()).select_from(sample)) == 3


def test_an_enterprise_sees_only_its_own_stations(page: Any, base: str) -> None:
    log_in(page, base, "ent_a")
    board = page.locator("#conn-board tr[data-station]")
    expect(board).to_have_count(1)
    assert board.get_attribute("data-station") == "A_WW"
    expect(page.get_by_test_id("offline-count")).to_have_text("1")
    page.goto(base + "/staff/registry")
    expect(page.locator("#registry-list tr[data-station]")).to_have_count(1)
    assert page.locator("#registry-new, [data-edit]").count() == 0  # enterprises do not edit
    page.goto(base + "/staff/review")
    expect(page.locator("#review-station option")).to_have_count(1)
    assert page.locator("#review-station option").all_inner_texts() == [
        "A_WW — Nước thải công ty A"
    ]
    page.goto(base + "/staff/events")
    expect(page.locator("#events-station option")).to_have_count(2)
    assert page.locator("#events-station option").all_inner_texts()[1].startswith("A_WW")
    page.goto(base + "/staff/import")
    expect(page.locator("#import-station option")).to_have_count(2)
    codes = page.evaluate(
        "fetch('/api/v1/workspace/connectivity')"
        ".then(r => r.json()).then(b => b.map(s => s.station))"
    )
    assert codes == ["A_WW"]
    denied = page.goto(base + "/staff/users")
    assert denied.status == 403
    expect(page.get_by_test_id("denied")).to_be_visible()


def test_correct_a_flagged_value_and_approve_the_period(
    page: Any, base: str, world: StaffWorld
) -> None:
    log_in(page, base, "hn", "/staff/review")
    page.select_option("#review-station", "HN_AIR")
    expect(page.locator("#review-parameter option[value=PM25]")).to_have_count(1)
    page.click("#review-load")
    expect(page.locator("#review-title")).to_have_text("HN_AIR · PM25 (µg/Nm3)")
    flagged = page.locator("#review-values tbody tr")
    expect(flagged).to_have_count(3)
    expect(page.locator("#review-stats")).to_contain_text("288 giá trị, 2 nghi ngờ, 1 sai")
    flagged.first.locator("button").click()
    page.fill("#correct-value", "33,5")
    page.fill("#correct-reason", "nhập sai dấu phẩy")
    page.click("#correct-submit")
    expect(page.locator("#review-message")).to_have_text("Đã sửa giá trị.")
    expect(flagged).to_have_count(2)  # corrected values are vouched for (flag 1)
    latest = page.locator("#review-revisions tbody tr").first
    for text in ("→ 33,5", "3 → 1", "user:hn", "nhập sai dấu phẩy"):
        expect(latest).to_contain_text(text)
    page.select_option("#decision-state", "approved")
    page.fill("#decision-note", "đã kiểm tra")
    page.click("#decision-submit")
    expect(page.locator("#review-periods tbody tr").first).to_contain_text("user:hn")
    pm = scalar(world, select(series.c.id).where(series.c.parameter_code == "PM25"))
    t_fixed = world.t_end - 24 * 3600 + SUSPECT[0] * 300
    value = select(observation.c.value).where(
        observation.c.series_id == pm, observation.c.time == t_fixed
    )
    assert scalar(world, value) == 33.5
    assert scalar(world, select(review_period.c.by).where(review_period.c.series_id == pm)) == (
        "user:hn"
    )
    (fix,) = audit(world, "review.correct")
    assert fix["details"]["reason"] == "nhập sai dấu phẩy" and fix["remote_addr"] == "127.0.0.1"


TT10 = b"COD\t45.2\tmg/L\t20260101120000\t00\r\nPH\t7.1\t\t20260101120000\t00\r\n"


def test_register_a_station_then_replay_its_quarantined_file(
    page: Any, base: str, world: StaffWorld
) -> None:
    name = "HN_NEW_NUOC_20260101120000.txt"
    world.archive.receive(TT10, name, "ftp", "hn_new", "HN_NEW_NUOC")
    (outcome,) = process_pending(world.store, world.archive)
    assert outcome.state == "quarantined"
    log_in(page, base, "hn", "/staff/registry")
    page.click("#registry-new")
    page.fill("#f-code", "HN_NEW_NUOC")
    page.fill("#f-name", "Nước thải mới")
    page.select_option("#f-kind", "automatic")
    page.select_option("#f-medium", "wastewater")
    page.fill("#f-reporting_interval_s", "300")
    page.fill("#f-latitude", "21,02")
    page.click("#station-save")
    expect(page.locator("#registry-message")).to_contain_text("Đã lưu trạm HN_NEW_NUOC")
    expect(page.locator("#registry-list tr[data-station=HN_NEW_NUOC]")).to_contain_text("Nước thải")
    assert scalar(world, select(station.c.latitude).where(station.c.code == "HN_NEW_NUOC")) == 21.02

    page.goto(base + "/staff/ingest")
    row = page.locator(f"tr[data-file='{outcome.raw_file_id}']")
    expect(row).to_have_attribute("data-state", "quarantined")
    expect(row).to_contain_text("not registered")
    row.locator("[data-replay]").click()
    expect(page.locator("#ingest-message")).to_contain_text("lưu 2 giá trị")
    expect(row).to_have_attribute("data-state", "parsed")
    assert [a["actor"] for a in audit(world, "archive.replay")] == ["user:hn"]


def test_edit_a_station_and_manage_an_alert_rule(page: Any, base: str, world: StaffWorld) -> None:
    log_in(page, base, "hn", "/staff/registry")
    page.click("[data-edit=A_WW]")
    expect(page.locator("#f-code")).to_be_disabled()
    page.select_option("#f-visibility", "public")
    page.fill("#f-kq", "0,9")
    page.click("#station-save")
    expect(page.locator("tr[data-station=A_WW]")).to_contain_text("công khai")
    (change,) = audit(world, "station.update")
    assert change["details"]["new"] == {"visibility": "public", "kq": 0.9}

    page.goto(base + "/staff/events")
    page.fill("#rule-name", "Trực ban")
    page.fill("#rule-target", "truc.ban@example.vn")
    page.check("input[name=kinds][value=offline]")
    page.select_option("#rule-stations", ["HN_AIR", "A_WW"])
    page.click("#rule-save")
    expect(page.locator("#rules-message")).to_contain_text("Đã tạo quy tắc Trực ban")
    rule_row = page.locator("#rules-list tbody tr").first
    expect(rule_row).to_contain_text("A_WW, HN_AIR")
    rule_row.locator("[data-rule]").click()
    expect(rule_row).to_contain_text("đã tắt")
    assert scalar(world, select(alert_rule.c.active)) is False
    assert scalar(world, select(alert_rule.c.event_kinds)) == "exceedance,offline"


def test_admin_creates_a_user_and_a_key_shown_once(page: Any, base: str, world: StaffWorld) -> None:
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, base, "admin", "/staff/users")
    page.fill("#u-username", "tn")
    page.fill("#u-password", "tn-password-1")
    page.select_option("#u-role", "province")
    page.select_option("#u-admin_unit", label="Thái Nguyên")
    page.click("#user-save")
    expect(page.locator("tr[data-user=tn]")).to_contain_text("Thái Nguyên")
    page.fill("#k-name", "trạm A gửi số liệu")
    page.select_option("#k-organization", "ENT_A")
    page.check("input[name=scopes][value=write]")
    page.click("#key-save")
    key = page.get_by_test_id("new-key").inner_text()
    assert key.startswith("qtk_")
    prefix = key.split("_")[1]
    page.click(f"[data-revoke='{prefix}']")
    expect(page.locator("#users-message")).to_contain_text(f"Đã thu hồi khóa {prefix}")
    actions = {a["action"] for a in audit(world, "user.create") + audit(world, "key.revoke")}
    assert actions == {"user.create", "key.revoke"}
    expect(page.locator("#audit-list")).to_contain_text("key.revoke")


def test_english_switch_and_formats(page: Any, base: str) -> None:
    log_in(page, base, "hn")
    page.goto(base + "/staff?lang=en")
    expect(page.locator("h1")).to_have_text("Connectivity")
    expect(page.locator(".staffnav")).to_contain_text("QC review")
    assert page.evaluate("window.QTS.parseNumber('1,234.5')") == 1234.5
    page.goto(base + "/staff/review?lang=vi")
    expect(page.locator("h1")).to_have_text("Kiểm tra và duyệt số liệu")
    assert page.evaluate("window.QTS.parseNumber('1.234,5')") == 1234.5
    assert page.evaluate("window.QTS.parseDay('5/1/2025')") == "2025-01-05"
    assert page.evaluate("window.QTS.parseDay('31/02/2025')") is None
    expect(page.locator("#review-from")).to_have_value(re.compile(r"^\d{2}/\d{2}/\d{4}$"))


def test_the_board_fits_a_phone(browser: Any, base: str) -> None:
    context = browser.new_context(
        locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", viewport={"width": 375, "height": 740}
    )
    page = context.new_page()
    try:
        log_in(page, base, "hn")
        expect(page.locator("#conn-board tr[data-station]")).to_have_count(2)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        label = page.evaluate(
            "getComputedStyle(document.querySelector('#conn-board td'), '::before').content"
        )
        assert label == '"Trạm"'  # each cell carries its column's name
    finally:
        context.close()
