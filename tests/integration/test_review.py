"""Review and approval: staff decisions land in review_period, observation_revision and
audit_log with who/when/why; the public filter agrees in SQL and in arrays; tamper screening
finds planted tampering in stored enterprise data and changes nothing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from quantrac.errors import ValidationError
from quantrac.qc.flags import QcFlag
from quantrac.review.approval import (
    ReviewPeriod,
    approved_clause,
    approved_mask,
    list_periods,
    mark_period,
    review_states,
)
from quantrac.review.edits import correct_value, history, override_flags
from quantrac.review.qc_job import qc_series
from quantrac.review.report import qc_report
from quantrac.review.tamper_job import enterprise_stations, screen_station
from quantrac.store.db import Store
from quantrac.store.observations import ObservationRow, write_observations
from quantrac.store.registry import (
    OrganizationSpec,
    StationSpec,
    create_organization,
    create_station,
    ensure_series,
)
from quantrac.store.schema import audit_log, observation, observation_revision, review_period
from tests.unit.test_qc_tamper import DAY, enterprise

T0 = 1_704_042_000  # 2024-01-01 00:00 Vietnam time
H = 3600
NOW = 1_760_000_000


def _hourly(store: Store, code: str = "KK_A", n: int = 48) -> int:
    create_station(
        store,
        StationSpec(
            code=code, name=f"Trạm {code}", kind="automatic", medium="ambient_air", admin_unit="01"
        ),
    )
    sid = ensure_series(store, code, "PM25")
    values = 40 + 10 * np.sin(np.arange(n) / 4)
    rows = [ObservationRow(sid, T0 + H * i, round(float(v), 1), 0, 1) for i, v in enumerate(values)]
    write_observations(store, rows, source="test")
    return sid


def _audit(store: Store, action: str) -> list[dict]:
    with store.read() as conn:
        rows = conn.execute(
            select(audit_log).where(audit_log.c.action == action).order_by(audit_log.c.id)
        ).mappings()
        return [{**r, "details": json.loads(r["details"])} for r in rows]


# --------------------------------------------------------------------------------------------
# approval and the public filter
# --------------------------------------------------------------------------------------------
def test_approving_a_period_is_recorded_with_who_when_and_what_was_approved(store: Store) -> None:
    sid = _hourly(store)
    period = mark_period(
        store,
        sid,
        T0,
        T0 + 24 * H,
        "approved",
        by="nguyen.van.a",
        note="tháng 1 đã kiểm tra",
        now=NOW,
    )
    assert list_periods(store, sid) == [period]
    (row,) = _audit(store, "review.approved")
    assert (row["actor"], row["at"], row["target"]) == ("nguyen.van.a", NOW, f"series:{sid}")
    assert row["details"]["flags"] == {"1": 24} and row["details"]["note"] == "tháng 1 đã kiểm tra"
    mask = approved_mask(store, sid, T0 + H * np.arange(48))
    assert mask.tolist() == [True] * 24 + [False] * 24


def test_the_latest_decision_wins_in_sql_and_in_arrays(store: Store) -> None:
    sid = _hourly(store, n=96)
    other = _hourly(store, "KK_B", n=96)
    decisions = [
        (T0, T0 + 72 * H, "approved", NOW),
        (T0 + 10 * H, T0 + 20 * H, "rejected", NOW + 10),  # a problem found later
        (T0 + 12 * H, T0 + 15 * H, "approved", NOW + 20),  # …part of it fixed and approved
        (T0 + 40 * H, T0 + 50 * H, "reviewed", NOW + 20),  # re-opened: withdrawn from public
        (T0 + 60 * H, T0 + 80 * H, "approved", NOW + 20),  # same second as the one above
        (T0 + 70 * H, T0 + 75 * H, "rejected", NOW + 20),  # same second, later id: wins
    ]
    for start, end, state, at in decisions:
        mark_period(store, sid, start, end, state, by="reviewer", now=at)
    mark_period(store, other, T0, T0 + 96 * H, "approved", by="reviewer", now=NOW)
    times = T0 + H * np.arange(96)
    expected = np.zeros(96, dtype=bool)
    expected[0:10] = expected[12:15] = expected[20:40] = expected[50:70] = expected[75:80] = True
    assert approved_mask(store, sid, times).tolist() == expected.tolist()
    o = observation.c
    with store.read() as conn:
        public = conn.scalars(
            select(o.time)
            .where(o.series_id == sid, approved_clause(o.series_id, o.time))
            .order_by(o.time)
        ).all()
        all_public = conn.scalar(
            select(func.count())
            .select_from(observation)
            .where(approved_clause(o.series_id, o.time))
        )
    assert public == times[expected].tolist()
    assert all_public == expected.sum() + 96  # the other series' approval is its own


def test_review_states_pure_rule() -> None:
    p = [
        ReviewPeriod(2, 1, 0, 10, "rejected", "b", 5, None),
        ReviewPeriod(1, 1, 0, 10, "approved", "a", 5, None),
        ReviewPeriod(3, 1, 5, 20, "reviewed", "c", 4, None),
    ]
    states = review_states(np.arange(0, 25, 5), p)
    assert states.tolist() == ["rejected", "rejected", "reviewed", "reviewed", ""]


@pytest.mark.parametrize(
    ("start", "end", "state", "by", "problem"),
    [
        (T0, T0, "approved", "a", "start < end"),
        (T0, T0 + H, "published", "a", "state must be"),
        (T0, T0 + H, "approved", "  ", "by is required"),
    ],
)
def test_bad_decisions_are_refused(
    store: Store, start: int, end: int, state: str, by: str, problem: str
) -> None:
    sid = _hourly(store)
    with pytest.raises(ValidationError, match=problem):
        mark_period(store, sid, start, end, state, by=by)
    with store.read() as conn:
        assert conn.scalar(select(func.count()).select_from(review_period)) == 0


# --------------------------------------------------------------------------------------------
# overrides and corrections
# --------------------------------------------------------------------------------------------
def test_override_is_a_revision_per_value_and_one_audit_row(store: Store) -> None:
    sid = _hourly(store)
    changed = override_flags(
        store, sid, T0 + 5 * H, T0 + 8 * H, 4, by="le.c", reason="bộ lọc bị tắc", now=NOW
    )
    assert changed == 3
    revs = history(store, sid)
    assert [(r.time, r.old_flag, r.new_flag, r.old_value == r.new_value) for r in revs] == [
        (T0 + k * H, 1, 4, True) for k in (5, 6, 7)
    ]
    assert {(r.source, r.changed_by, r.reason, r.changed_at) for r in revs} == {
        ("review:override", "le.c", "bộ lọc bị tắc", NOW)
    }
    (row,) = _audit(store, "review.override")
    assert row["details"]["changed"] == 3 and row["details"]["reason"] == "bộ lọc bị tắc"
    # Overriding again to the same flag changes nothing and writes no revision.
    assert override_flags(store, sid, T0 + 5 * H, T0 + 8 * H, 4, by="le.c", reason="x") == 0
    assert len(history(store, sid)) == 3
    with pytest.raises(ValidationError, match="flag 1"):
        override_flags(store, sid, T0, T0 + H, 9, by="le.c", reason="x")
    with pytest.raises(ValidationError, match="reason is required"):
        override_flags(store, sid, T0, T0 + H, 3, by="le.c", reason="")


def test_correction_keeps_the_old_value_in_the_trail(store: Store) -> None:
    sid = _hourly(store)
    rev = correct_value(
        store, sid, T0 + 3 * H, 42.5, by="pham.d", reason="nhập sai dấu phẩy", now=NOW
    )
    o = observation.c
    with store.read() as conn:
        stored = conn.execute(
            select(o.value, o.qc_flag, o.qc_reasons).where(o.series_id == sid, o.time == rev.time)
        ).one()
    assert tuple(stored) == (42.5, 1, "staff_corrected")
    assert (rev.old_value, rev.new_value, rev.changed_by) == (
        round(40 + 10 * np.sin(0.75), 1),
        42.5,
        "pham.d",
    )
    assert history(store, sid) == [rev]
    (row,) = _audit(store, "review.correct")
    assert row["details"]["old"] == rev.old_value and row["details"]["revision_id"] == rev.id
    # Removing a value keeps the row, flagged missing.
    gone = correct_value(store, sid, T0 + 4 * H, None, by="pham.d", reason="thiết bị hỏng")
    assert gone.new_flag == QcFlag.MISSING
    with pytest.raises(ValidationError, match="no stored value"):
        correct_value(store, sid, T0 + 999 * H, 1.0, by="pham.d", reason="x")
    with pytest.raises(ValidationError, match="finite"):
        correct_value(store, sid, T0, float("nan"), by="pham.d", reason="x")


def test_a_corrected_value_survives_the_qc_job_and_a_resent_file(store: Store) -> None:
    sid = _hourly(store)
    correct_value(store, sid, T0 + 3 * H, 400.0, by="pham.d", reason="đã đối chiếu sổ tay")
    outcome = qc_series(store, sid, start=T0, end=T0 + 48 * H)
    assert outcome.staff_kept == 1
    resent = write_observations(
        store, [ObservationRow(sid, T0 + 3 * H, 46.0, 0, 2)], source="ftp:resent"
    )
    assert resent.protected == 1
    assert qc_series(store, sid, start=T0, end=T0 + 48 * H).staff_kept == 1
    assert [r.source for r in history(store, sid)] == ["review:correct"]


def test_report_counts_flags_reasons_and_approved_rows(store: Store) -> None:
    sid = _hourly(store)
    override_flags(store, sid, T0, T0 + 2 * H, 3, by="a", reason="kiểm tra lại")
    mark_period(store, sid, T0 + 24 * H, T0 + 48 * H, "approved", by="b")
    (report,) = qc_report(store, "KK_A", start=T0, end=T0 + 48 * H)
    assert report.flags == {1: 46, 3: 2} and report.approved == 24 and report.flagged == 2
    assert [(r.code, r.count) for r in report.reasons] == [("staff_override", 2)]
    assert report.reasons[0].description.startswith("Cán bộ đã xem xét")
    (english,) = qc_report(store, "KK_A", lang="en")
    assert english.reasons[0].description == "Staff reviewed the value and set its quality flag"


# --------------------------------------------------------------------------------------------
# tamper screening over stored data
# --------------------------------------------------------------------------------------------
def _observation_digest(store: Store) -> str:
    o = observation.c
    with store.read() as conn:
        rows = conn.execute(
            select(o.series_id, o.time, o.value, o.qc_flag).order_by(o.series_id, o.time)
        ).all()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_tamper_screening_finds_planted_tampering_and_changes_nothing(store: Store) -> None:
    for org in ("CTY_A", "CTY_B"):
        create_organization(store, OrganizationSpec(code=org, name=org, kind="enterprise"))
    t, cod = enterprise("COD", seed=14)
    limit = float(np.round(np.quantile(cod, 0.8), 1))  # ~20 % of readings would exceed it
    kq = limit / 150.0  # QCVN 40:2011 column B COD 150 mg/L × Kq
    rng = np.random.default_rng(15)
    over = cod > limit
    pinned = cod.copy()
    pinned[over] = np.round(limit * (1 - rng.uniform(0.1, 0.9, over.sum()) * 0.05), 1)
    _, nh4 = enterprise("NH4", seed=20)
    for code, owner in (("WW_A", "CTY_A"), ("WW_B", "CTY_B")):
        create_station(
            store,
            StationSpec(
                code=code,
                name=code,
                kind="automatic",
                medium="wastewater",
                owner=owner,
                regulation="QCVN 40:2011/BTNMT",
                regulation_column="B",
                kq=kq,
                kf=1.0,
            ),
        )
    feeds = {
        ("WW_A", "COD"): pinned,
        ("WW_A", "NH4"): nh4,
        ("WW_B", "COD"): enterprise("COD", seed=30)[1],
        ("WW_B", "NH4"): np.round(1.08 * nh4 + 0.2, 2),  # B sends A's series, rescaled
    }
    rows = []
    for (code, param), values in feeds.items():
        sid = ensure_series(store, code, param)
        rows += [
            ObservationRow(sid, int(a), float(b), 0, 1) for a, b in zip(t, values, strict=True)
        ]
    write_observations(store, rows, source="test")
    before = _observation_digest(store)

    assert enterprise_stations(store) == ["WW_A", "WW_B"]
    result = screen_station(store, "WW_A")
    assert result.limits["COD"] == pytest.approx(limit)
    alarms = {(f.station, f.parameter, f.period, tuple(f.alarms())) for f in result.alarms}
    assert alarms == {
        ("WW_A", "COD", "2024-01", ("pinned_below_limit",)),
        ("WW_A|WW_B", "NH4", "2024-01", ("identical_series",)),
    }
    pinned_ind = next(i for f in result.findings for i in f.indicators if i.alarm)
    assert pinned_ind.evidence["share_beyond_limit"] == 0.0
    assert screen_station(store, "WW_B", compare=False).alarms == []

    assert _observation_digest(store) == before
    with store.read() as conn:
        assert conn.scalar(select(func.count()).select_from(observation_revision)) == 0
        assert conn.scalar(select(func.count()).select_from(audit_log)) == 0
    assert len(t) == 30 * DAY


# --------------------------------------------------------------------------------------------
# the command line
# --------------------------------------------------------------------------------------------
def test_cli_commands_end_to_end(
    store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import typer

    from quantrac.cli import analysis_cmd
    from quantrac.settings import get_settings

    sid = _hourly(store, n=96)
    monkeypatch.setenv("QUANTRAC_DATABASE_URL", store.url)
    monkeypatch.setenv("QUANTRAC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("QUANTRAC_LANGUAGE", "vi")
    monkeypatch.setenv("COLUMNS", "250")
    get_settings.cache_clear()
    app = typer.Typer()
    app.add_typer(analysis_cmd.qc_app, name="qc")
    app.add_typer(analysis_cmd.review_app, name="review")
    app.command("trend")(analysis_cmd.trend)
    app.command("tamper")(analysis_cmd.tamper)
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    try:
        assert "96 giá trị" in run("qc", "run", "--station", "KK_A")
        run(
            "review",
            "override",
            "KK_A",
            "PM25",
            "--from",
            "2024-01-01 03:00",
            "--to",
            "2024-01-01 05:00",
            "--flag",
            "4",
            "--by",
            "le.c",
            "--reason",
            "bụi bám",
        )
        run(
            "review",
            "correct",
            "KK_A",
            "PM25",
            "--at",
            "2024-01-01 07:00",
            "--value",
            "33,5",
            "--by",
            "le.c",
            "--reason",
            "đối chiếu",
        )
        run(
            "review",
            "approve",
            "KK_A",
            "PM25",
            "--from",
            "2024-01-01",
            "--to",
            "2024-01-02",
            "--by",
            "tran.b",
        )
        out = run("qc", "report", "KK_A", "--values", "PM25")
        assert "Cán bộ đã xem xét" in out and "đã phê duyệt" in out
        assert "bụi bám" in run("review", "history", "KK_A", "PM25")
        assert "seasonal Kendall not run" in run("trend", "KK_A", "PM25")  # 4 days: too short
        run("tamper", "KK_A")
    finally:
        get_settings.cache_clear()
    assert approved_mask(store, sid, [T0 + 5 * H])[0]
    assert len(history(store, sid)) == 3


# --------------------------------------------------------------------------------------------
# analysis over stored series (what `quantrac trend` and `quantrac forecast` run)
# --------------------------------------------------------------------------------------------
def test_trend_statistics_and_forecast_on_stored_real_data(store: Store, shared_dir: Path) -> None:
    from quantrac.analysis.airnow import read_airnow
    from quantrac.analysis.stored import forecast, statistics, trend

    folder = shared_dir / "data/air/airnow-us-state-dept"
    s = read_airnow([folder / f"Hanoi_PM2.5_{y}_YTD.csv" for y in (2016, 2017, 2018)])
    create_station(
        store,
        StationSpec(
            code="HN_EMB",
            name="Hà Nội",
            kind="automatic",
            medium="ambient_air",
            reporting_interval_s=3600,
        ),
    )
    sid = ensure_series(store, "HN_EMB", "PM25")
    flags = np.where(s.qc == "Valid", 1, np.where(np.isnan(s.values), 9, 4))
    write_observations(
        store,
        [
            ObservationRow(sid, int(t), None if np.isnan(v) else float(v), 0, int(f))
            for t, v, f in zip(s.times, s.values, flags, strict=True)
        ],
        source="test",
    )

    report = trend(store, "HN_EMB", "PM25")
    assert report.seasonal is not None and report.seasonal.n >= 30
    assert report.annual is None and "annual" in report.notes[0]  # three years: too few

    _, months = statistics(store, "HN_EMB", "PM25", period="month")
    assert len(months) == 36 and months[0].period == "2016-01"  # 2019-01-01 00:00 ends 2018
    assert months[0].expected == 744 and 0.8 < months[0].completeness <= 1.0  # type: ignore[operator]

    result = forecast(store, "HN_EMB")
    assert result.hour_ends[0] == s.times[-1] + H and result.values.shape == (24,)
    assert set(result.holdout) == {"persistence", "seasonal_naive", "ridge"}
    best = min(result.holdout, key=result.holdout.__getitem__)
    assert result.method == best  # the model is used only when it won the holdout
    assert all(
        c in {"Tốt", "Trung bình", "Kém", "Xấu", "Rất xấu", "Nguy hại"} for c in result.categories
    )
