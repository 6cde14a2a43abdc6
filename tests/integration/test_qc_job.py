"""The QC job over stored windows: planted faults are flagged exactly, the flags and reasons
are stored and visible, and re-runs respect context, staff decisions and concurrent writes."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sqlalchemy import func, select, update

from quantrac.qc.flags import QcFlag
from quantrac.review import qc_job
from quantrac.review.edits import override_flags
from quantrac.review.qc_job import qc_series, run_qc_job
from quantrac.review.report import flagged_values, qc_report
from quantrac.store.db import Store, now_s
from quantrac.store.observations import ObservationRow, write_observations
from quantrac.store.registry import StationSpec, create_station, ensure_series
from quantrac.store.schema import audit_log, observation, observation_revision

T0 = 1_704_042_000  # 2024-01-01 00:00 Vietnam time
STEP = 300
N = 864  # three days of 5-minute readings
SPIKES = (100, 400)
STUCK = range(500, 580)  # 80 readings ≥ the pH bad count (72)
CALIBRATION = range(650, 662)
CLOCK_JUMP = 750  # from here on the logger's clock runs 2 minutes late
NOW = T0 + 10 * 86400


def _station(store: Store, code: str = "SW_TEST", medium: str = "surface_water") -> None:
    create_station(
        store,
        StationSpec(
            code=code, name=f"Trạm {code}", kind="automatic", medium=medium, admin_unit="01"
        ),
    )


def clean_ph(n: int = N, seed: int = 0, start: int = T0) -> tuple[np.ndarray, np.ndarray]:
    """River pH every 5 min: a daily cycle plus analyser noise, two decimals like a probe."""
    rng = np.random.default_rng(seed)
    t = start + STEP * np.arange(n, dtype=np.int64)
    hours = ((t + 7 * 3600) % 86400) / 3600
    v = 7.3 + 0.2 * np.sin(2 * np.pi * (hours - 14) / 24) + rng.normal(0, 0.03, n)
    return t, np.round(v, 2)


def planted_ph() -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, set[int]]]:
    """pH with two spikes, a stuck sensor, a calibration block (status 01) and a clock jump."""
    t, v = clean_ph()
    status = np.zeros(N, dtype=np.int64)
    v[SPIKES[0]] += 2.5
    v[SPIKES[1]] -= 2.0
    v[list(STUCK)] = 7.777  # three decimals: no accidental equality with its neighbours
    v[list(CALIBRATION)] = 7.0  # the pH 7 buffer the analyser reads while calibrating
    status[list(CALIBRATION)] = 1
    t[CLOCK_JUMP:] += 120
    expected = {
        "spike": set(SPIKES),
        "flat_line": set(STUCK),
        "status_calibrating": set(CALIBRATION),
        "clock_jump": {CLOCK_JUMP},
    }
    return t, v, status, expected


def _store_series(
    store: Store,
    t: np.ndarray,
    v: np.ndarray,
    status: np.ndarray | None = None,
    code: str = "SW_TEST",
    parameter: str = "PH",
) -> int:
    sid = ensure_series(store, code, parameter)
    rows = [
        ObservationRow(sid, int(ti), float(vi), None if status is None else int(si), 2, None)
        for ti, vi, si in zip(t, v, status if status is not None else np.zeros(len(t)), strict=True)
    ]
    write_observations(store, rows, source="test")
    return sid


def _stored(store: Store, sid: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    o = observation.c
    with store.read() as conn:
        rows = conn.execute(
            select(o.time, o.qc_flag, o.qc_reasons).where(o.series_id == sid).order_by(o.time)
        ).all()
    t, f, r = zip(*rows, strict=True)
    return np.array(t), np.array(f), [x or "" for x in r]


def _by_reason(reasons: list[str]) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for i, text in enumerate(reasons):
        for code in filter(None, text.split("|")):
            out.setdefault(code, set()).add(i)
    return out


def test_planted_faults_are_flagged_exactly_and_stored(store: Store) -> None:
    _station(store)
    t, v, status, expected = planted_ph()
    sid = _store_series(store, t, v, status)
    result = run_qc_job(store, station="SW_TEST", now=NOW)
    assert result.evaluated == N
    _, flags, reasons = _stored(store, sid)
    assert _by_reason(reasons) == expected
    flagged = set(np.flatnonzero(np.isin(flags, [QcFlag.SUSPECT, QcFlag.BAD])).tolist())
    assert flagged == set().union(*expected.values())
    assert set(flags[list(STUCK)]) == {QcFlag.BAD}  # a run longer than the bad count
    assert set(flags[list(CALIBRATION)]) == {QcFlag.BAD}
    assert flags[SPIKES[0]] == QcFlag.SUSPECT and flags[CLOCK_JUMP] == QcFlag.SUSPECT
    assert set(np.delete(flags, sorted(flagged)).tolist()) == {QcFlag.GOOD}

    # …and visible: in the report (Vietnamese by default) and in the flagged-value list.
    report = qc_report(store, "SW_TEST")[0]
    assert report.flags == {1: N - len(flagged), 3: 3, 4: len(STUCK) + len(CALIBRATION)}
    words = {r.code: r.description for r in report.reasons}
    assert words["status_calibrating"] == "Thiết bị đang hiệu chuẩn (trạng thái 01)"
    assert {r.code: r.count for r in report.reasons}["flat_line"] == len(STUCK)
    listed = flagged_values(store, sid, lang="en")
    assert [x.time for x in listed] == sorted(int(t[i]) for i in flagged)
    assert listed[0].descriptions == ("Spike: departs sharply from both neighbouring values",)


def test_no_revisions_one_audit_row_per_series_and_rerun_changes_nothing(store: Store) -> None:
    _station(store)
    t, v, status, _ = planted_ph()
    sid = _store_series(store, t, v, status)
    first = qc_series(store, sid, now=NOW)
    assert first.changed == N and first.transitions["2→1"] == N - 95
    again = qc_series(store, sid, start=int(t[0]), end=int(t[-1]) + 1, now=NOW + 60)
    assert again.evaluated == N and again.changed == 0
    with store.read() as conn:
        assert conn.scalar(select(func.count()).select_from(observation_revision)) == 0
        rows = conn.execute(select(audit_log).where(audit_log.c.action == "qc.run")).all()
    assert len(rows) == 2
    details = json.loads(rows[0].details)
    assert details["changed"] == N and rows[0].actor == "qc-job"
    (judged,) = details["judged"]
    assert (judged["parameter"], judged["transitions"]["2→4"]) == ("PH", 92)


def test_chunked_windows_give_the_same_verdict_as_one_pass(store: Store) -> None:
    """Context before and after each chunk: a stuck run or a spike across a chunk border is
    judged exactly as in one pass."""
    _station(store)
    t, v, status, _ = planted_ph()
    sid = _store_series(store, t, v, status)
    qc_series(store, sid, now=NOW)
    _, whole, whole_reasons = _stored(store, sid)
    with store.write() as conn:
        conn.execute(update(observation).values(qc_flag=2, qc_reasons=None))
    # 3-hour chunks: the stuck run (500…579, ~6.7 h) and spike 400 straddle chunk borders.
    qc_series(store, sid, now=NOW, start=int(t[0]), end=int(t[-1]) + 1, chunk_s=3 * 3600)
    _, chunked, chunked_reasons = _stored(store, sid)
    assert chunked.tolist() == whole.tolist()
    assert chunked_reasons == whole_reasons


def test_incremental_run_judges_new_rows_and_their_neighbours(store: Store) -> None:
    """Without bounds the job takes what arrived since its last run, widened back by the
    context: the last old value gets the neighbour its spike check was waiting for."""
    _station(store)
    recent = (now_s() // 86400 - 7) * 86400  # live data: incremental runs look back 90 days
    t, v = clean_ph(n=2 * N, start=recent)
    v[N - 1] += 3.0  # the newest value at the first run: a spike nobody can tell yet
    sid = _store_series(store, t[:N], v[:N])
    with store.write() as conn:  # received a minute before the first run, as in real life
        conn.execute(update(observation).values(received_at=observation.c.received_at - 60))
    assert qc_series(store, sid).evaluated == N  # the first run covers everything
    assert _by_reason(_stored(store, sid)[2]) == {"rate_of_change": {N - 1}}
    v[N + 10] += 3.0
    _store_series(store, t[N:], v[N:])
    outcome = qc_series(store, sid)
    assert outcome.start is not None and outcome.start < int(t[N - 1])
    assert N < outcome.evaluated < 2 * N  # the new rows and their context, not everything
    assert _by_reason(_stored(store, sid)[2]) == {"spike": {N - 1, N + 10}}
    with store.read() as conn:
        runs = conn.scalar(select(func.count()).where(audit_log.c.action == "qc.run"))
    assert runs == 2


def test_staff_override_survives_the_next_run(store: Store) -> None:
    _station(store)
    t, v, status, _ = planted_ph()
    sid = _store_series(store, t, v, status)
    qc_series(store, sid, now=NOW)
    spike_t = int(t[SPIKES[0]])
    override_flags(store, sid, spike_t, spike_t + 1, 1, by="tran.thi.b", reason="real pH shock")
    outcome = qc_series(store, sid, start=int(t[0]), end=int(t[-1]) + 1, now=NOW + 60)
    assert outcome.staff_kept == 1
    _, flags, reasons = _stored(store, sid)
    assert flags[SPIKES[0]] == QcFlag.GOOD
    assert reasons[SPIKES[0]] == "spike|staff_override"


def test_what_only_ingest_or_the_source_knew_is_kept(store: Store) -> None:
    """A duplicate seen in the file, and a provider's own "invalid" (a bad flag with no
    reason: no quantrac check writes one) survive every re-run."""
    _station(store)
    t, v = clean_ph(n=200)
    sid = ensure_series(store, "SW_TEST", "PH")
    rows = [ObservationRow(sid, int(a), float(b), 0, 2, None) for a, b in zip(t, v, strict=True)]
    rows[50] = rows[50]._replace(qc_flag=3, qc_reasons="duplicate_time")
    rows[80] = rows[80]._replace(qc_flag=4)  # the provider said invalid
    write_observations(store, rows, source="test")
    for _ in range(2):
        qc_series(store, sid, start=int(t[0]), end=int(t[-1]) + 1, now=NOW)
        _, flags, reasons = _stored(store, sid)
        assert (flags[50], reasons[50]) == (QcFlag.SUSPECT, "duplicate_time")
        assert (flags[80], reasons[80]) == (QcFlag.BAD, "source_flag")
        assert set(np.delete(flags, [50, 80]).tolist()) <= {QcFlag.GOOD, QcFlag.NOT_EVALUATED}


def test_a_value_changed_during_the_run_is_not_given_a_stale_flag(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    _station(store)
    t, v, status, _ = planted_ph()
    sid = _store_series(store, t, v, status)
    real = qc_job._judge

    def judge_then_ingest(*args, **kwargs):  # type: ignore[no-untyped-def]
        verdict = real(*args, **kwargs)
        with store.write() as conn:  # a station re-sends the spike, corrected, mid-run
            conn.execute(
                update(observation)
                .where(observation.c.series_id == sid, observation.c.time == int(t[SPIKES[0]]))
                .values(value=7.3)
            )
        return verdict

    monkeypatch.setattr(qc_job, "_judge", judge_then_ingest)
    outcome = qc_series(store, sid, now=NOW)
    assert outcome.raced == 1
    _, flags, _ = _stored(store, sid)
    assert flags[SPIKES[0]] == QcFlag.NOT_EVALUATED  # left for the next run


def test_cross_parameter_rule_flags_both_series(store: Store) -> None:
    _station(store, "KK_TEST", "ambient_air")
    hours = T0 + 3600 * np.arange(72, dtype=np.int64)
    rng = np.random.default_rng(3)
    pm10 = np.round(60 + rng.normal(0, 5, 72), 1)
    pm25 = np.round(0.6 * pm10 + rng.normal(0, 1, 72), 1)
    pm25[30] = pm10[30] + 20  # PM2.5 above PM10: one of the monitors is wrong
    s25 = _store_series(store, hours, pm25, code="KK_TEST", parameter="PM25")
    s10 = _store_series(store, hours, pm10, code="KK_TEST", parameter="PM10")
    run_qc_job(store, station="KK_TEST", now=NOW)
    for sid in (s25, s10):
        _, _, reasons = _stored(store, sid)
        assert _by_reason(reasons).get("pm25_gt_pm10") == {30}


def test_anomaly_model_adds_ml_flags_when_asked(store: Store) -> None:
    """Hourly PM2.5 with a clean history: a dropout to near zero on a polluted day passes
    every rule (in range, not a 100 µg/m³ spike) but not the model."""
    _station(store, "KK_TEST", "ambient_air")
    n = 24 * 60
    hours = T0 + 3600 * np.arange(n, dtype=np.int64)
    rng = np.random.default_rng(5)
    local_h = ((hours + 7 * 3600) % 86400) / 3600
    pm = np.exp(np.log(60) + 0.3 * np.sin(2 * np.pi * local_h / 24) + rng.normal(0, 0.08, n))
    pm = np.round(pm, 1)
    pm[n - 100] = 3.0
    sid = _store_series(store, hours, pm, code="KK_TEST", parameter="PM25")
    qc_series(store, sid, now=NOW + 60 * 86400)
    _, _, reasons = _stored(store, sid)
    assert "ml_anomaly" not in _by_reason(reasons)
    qc_series(store, sid, start=int(hours[-200]), now=NOW + 60 * 86400, ml=True)
    _, flags, reasons = _stored(store, sid)
    found = _by_reason(reasons).get("ml_anomaly", set())
    assert n - 100 in found and flags[n - 100] == QcFlag.SUSPECT
    assert len(found) <= 3  # a handful of values in 200 hours, not a flood
    # A later run without the model keeps the model's verdicts.
    qc_series(store, sid, start=int(hours[-200]), now=NOW + 60 * 86400)
    assert "ml_anomaly" in _stored(store, sid)[2][n - 100]
