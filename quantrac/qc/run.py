"""Run the configured QC checks on one series: `run_qc(series, config, others) -> QcResult`.

Pure: arrays and a `QcConfig` in, flags and reasons out; nothing is read from a clock, a
file or a database, and the input arrays are never modified.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quantrac.errors import ValidationError
from quantrac.qc.checks import (
    CheckResult,
    CrossRule,
    align_on_times,
    as_times,
    as_values,
    cross_parameter_test,
    device_status_test,
    flat_line_test,
    range_test,
    rate_of_change_test,
    sampling_interval,
    spike_test,
    timestamp_test,
)
from quantrac.qc.config import DEFAULT_CROSS_RULES, QcConfig
from quantrac.qc.flags import FLAG_DTYPE, QcFlag, combine_flags


@dataclass(frozen=True, slots=True)
class Reason:
    """A reason code with the text a person reads, in Vietnamese and English."""

    code: str
    vi: str
    en: str


#: Every reason code the built-in checks produce. Cross-parameter rules bring their own.
REASONS: Mapping[str, Reason] = {
    r.code: r
    for r in (
        Reason("missing", "Không có giá trị (thiếu số liệu)", "No value (missing)"),
        Reason(
            "gross_range",
            "Ngoài dải đo của thiết bị hoặc giới hạn vật lý",
            "Outside the instrument's measuring range or physical bounds",
        ),
        Reason(
            "plausible_range",
            "Ngoài khoảng giá trị hợp lý của thông số (theo khí hậu, quá trình)",
            "Outside the plausible range for the parameter (climate, process)",
        ),
        Reason(
            "spike",
            "Giá trị đột biến: lệch hẳn so với cả hai giá trị liền kề",
            "Spike: departs sharply from both neighbouring values",
        ),
        Reason(
            "rate_of_change",
            "Thay đổi quá nhanh so với giá trị trước",
            "Changes faster than the allowed rate since the previous value",
        ),
        Reason(
            "flat_line",
            "Giá trị không đổi quá lâu (cảm biến có thể bị treo)",
            "Same value for too long (sensor may be stuck)",
        ),
        Reason(
            "status_calibrating",
            "Thiết bị đang hiệu chuẩn (trạng thái 01)",
            "Instrument calibrating (status 01)",
        ),
        Reason(
            "status_device_error",
            "Thiết bị báo lỗi (trạng thái 02)",
            "Instrument fault (status 02)",
        ),
        Reason(
            "status_unknown",
            "Mã trạng thái thiết bị không xác định",
            "Unknown device status code",
        ),
        Reason("future_time", "Thời điểm đo nằm ở tương lai", "Timestamp in the future"),
        Reason(
            "duplicate_time",
            "Trùng thời điểm đo với bản ghi khác",
            "Same timestamp as another record",
        ),
        Reason(
            "out_of_order_time",
            "Thời điểm đo không theo thứ tự thời gian",
            "Timestamp out of chronological order",
        ),
        Reason(
            "clock_jump",
            "Đồng hồ bị nhảy: thời điểm đo lệch khỏi chu kỳ lấy mẫu",
            "Clock jump: the timestamp leaves the sampling grid",
        ),
    )
}


def reason_catalogue(rules: tuple[CrossRule, ...] = DEFAULT_CROSS_RULES) -> dict[str, Reason]:
    """The built-in reasons plus those of the cross-parameter rules in use."""
    out = dict(REASONS)
    for rule in rules:
        out[rule.code] = Reason(
            rule.code, rule.description_vi or rule.code, rule.description_en or rule.code
        )
    return out


def describe_reason(
    code: str, lang: str = "vi", rules: tuple[CrossRule, ...] = DEFAULT_CROSS_RULES
) -> str:
    """The description of a reason code in `lang` ('vi' or 'en')."""
    if lang not in ("vi", "en"):
        raise ValueError(f"lang must be 'vi' or 'en', got {lang!r}")
    reason = reason_catalogue(rules).get(code)
    if reason is None:
        raise KeyError(f"unknown QC reason code {code!r}")
    return reason.vi if lang == "vi" else reason.en


@dataclass(frozen=True, slots=True)
class Series:
    """One parameter's readings at one station: times (int64 epoch s, UTC), values (float64,
    NaN = missing) and, optionally, the TT10 device status of each reading."""

    parameter: str
    medium: str
    times: ArrayLike
    values: ArrayLike
    status: ArrayLike | None = None
    station: str = ""


@dataclass(frozen=True, slots=True)
class QcResult:
    """The verdict on each value of a series.

    `flags` is the combined flag per value (worst wins, 9 for missing); `reasons` lists the
    reason codes per value; `reason_masks` holds the same as one boolean array per code;
    `checks` keeps each check's own result for whoever wants the detail.
    """

    flags: NDArray[np.uint8]
    reasons: tuple[tuple[str, ...], ...]
    reason_masks: Mapping[str, NDArray[np.bool_]]
    checks: Mapping[str, CheckResult]
    descriptions: Mapping[str, Reason] = field(default_factory=lambda: dict(REASONS))

    def flagged(self, minimum: QcFlag = QcFlag.SUSPECT) -> NDArray[np.intp]:
        """Indices of values flagged `minimum` or worse, missing values excluded."""
        worse = (self.flags >= minimum) & (self.flags != QcFlag.MISSING)
        return np.flatnonzero(worse)

    def describe(self, index: int, lang: str = "vi") -> list[str]:
        """The reasons of value `index` as sentences in `lang` ('vi' or 'en')."""
        if lang not in ("vi", "en"):
            raise ValueError(f"lang must be 'vi' or 'en', got {lang!r}")
        texts = []
        for code in self.reasons[index]:
            reason = self.descriptions[code]
            texts.append(reason.vi if lang == "vi" else reason.en)
        return texts

    def counts(self) -> dict[QcFlag, int]:
        """How many values carry each flag."""
        codes, n = np.unique(self.flags, return_counts=True)
        return {QcFlag(int(c)): int(k) for c, k in zip(codes, n, strict=True)}


def _unsort(result: CheckResult, order: NDArray[np.intp]) -> CheckResult:
    """A check computed on time-sorted arrays, put back in the series' own row order."""
    flags = np.empty_like(result.flags)
    flags[order] = result.flags
    reasons = {}
    for code, mask in result.reasons.items():
        back = np.empty_like(mask)
        back[order] = mask
        reasons[code] = back
    return CheckResult(flags, reasons)


def _value_checks(
    ts: NDArray[np.int64],
    values: NDArray[np.float64],
    config: QcConfig,
    step: int | None,
    excluded: NDArray[np.bool_] | None = None,
) -> dict[str, CheckResult]:
    """Range, spike, rate of change and flat line on the time-sorted series.

    `excluded` marks values measured while the device was calibrating or faulty: they are
    judged by the status check alone and are no neighbour for the others (otherwise the first
    normal value after a calibration against a pH 4 buffer would look like a jump).
    """
    th = config.thresholds
    out: dict[str, CheckResult] = {}
    bounds = (th.gross_min, th.gross_max, th.plausible_min, th.plausible_max)
    if "range" in config.checks and any(b is not None for b in bounds):
        out["range"] = range_test(
            values, (th.gross_min, th.gross_max), (th.plausible_min, th.plausible_max)
        )
    if excluded is not None and excluded.any():
        keep = ~excluded
        inner = _context_checks(ts[keep], values[keep], config, step, out.get("range"), keep)
        for name, result in inner.items():
            out[name] = _expand(result, keep)
        return out
    out.update(_context_checks(ts, values, config, step, out.get("range"), None))
    return out


def _context_checks(
    ts: NDArray[np.int64],
    vs: NDArray[np.float64],
    config: QcConfig,
    step: int | None,
    range_result: CheckResult | None,
    keep: NDArray[np.bool_] | None,
) -> dict[str, CheckResult]:
    """Checks that compare a value with its neighbours (spike, rate of change, flat line)."""
    th = config.thresholds
    out: dict[str, CheckResult] = {}
    if range_result is not None:
        out["range"] = range_result if keep is None else _subset(range_result, keep)
    if "spike" in config.checks and th.spike is not None:
        gap = step * config.spike_max_gap_steps if step else None
        out["spike"] = spike_test(vs, th.spike, times=ts, max_gap_s=gap)
    if "rate_of_change" in config.checks and th.rate_per_hour is not None:
        # A value already known bad or a spike is no reference for its neighbour: without
        # this, the value after every spike would also be "too fast".
        rejected = np.zeros(vs.shape, dtype=bool)
        if "range" in out:
            rejected |= out["range"].reasons["gross_range"]
        if "spike" in out:
            rejected |= out["spike"].reasons["spike"]
        masked = np.where(rejected, np.nan, vs)
        rate = rate_of_change_test(
            ts, masked, th.rate_per_hour, min_interval_s=config.rate_min_interval_s
        )
        flags = rate.flags.copy()
        flags[rejected & ~np.isnan(vs)] = QcFlag.NOT_EVALUATED
        out["rate_of_change"] = CheckResult(flags, rate.reasons)
    if "flat_line" in config.checks and th.flat_line_configured:
        out["flat_line"] = flat_line_test(
            ts,
            vs,
            th.flat_tolerance if th.flat_tolerance is not None else 0.0,
            suspect_count=th.flat_suspect_count,
            bad_count=th.flat_bad_count,
            suspect_seconds=th.flat_suspect_seconds,
            bad_seconds=th.flat_bad_seconds,
        )
    out.pop("range", None)
    return out


def _subset(result: CheckResult, keep: NDArray[np.bool_]) -> CheckResult:
    return CheckResult(result.flags[keep], {c: m[keep] for c, m in result.reasons.items()})


def _expand(result: CheckResult, keep: NDArray[np.bool_]) -> CheckResult:
    """Back to the full series; the values left out were not evaluated by this check."""
    flags = np.full(keep.shape, QcFlag.NOT_EVALUATED, dtype=result.flags.dtype)
    flags[keep] = result.flags
    reasons = {}
    for code, mask in result.reasons.items():
        full = np.zeros(keep.shape, dtype=bool)
        full[keep] = mask
        reasons[code] = full
    return CheckResult(flags, reasons)


def _cross_checks(
    series: Series,
    t: NDArray[np.int64],
    v: NDArray[np.float64],
    config: QcConfig,
    others: Mapping[str, Series],
) -> list[CheckResult]:
    """Every applicable cross-parameter rule, aligned on this series' times."""
    out = []
    for rule in config.cross_rules:
        if not rule.applies(series.medium):
            continue
        if series.parameter == rule.subject and rule.reference in others:
            other = others[rule.reference]
            reference = align_on_times(t, other.times, other.values)
            out.append(cross_parameter_test(v, reference, rule))
        elif series.parameter == rule.reference and rule.flag_reference and rule.subject in others:
            other = others[rule.subject]
            subject = align_on_times(t, other.times, other.values)
            out.append(cross_parameter_test(subject, v, rule))
    return out


def run_qc(
    series: Series, config: QcConfig, others: Mapping[str, Series] | None = None
) -> QcResult:
    """Run the configured checks on `series` and combine their verdicts per value.

    Value checks (range, spike, rate of change, flat line) run on the series sorted by time,
    so a late-delivered row is judged against its real neighbours; timestamp checks run on the
    rows as they arrived. `others` maps parameter codes to series at the same station for the
    cross-parameter rules. Checks whose thresholds are empty, or that are not in
    `config.checks`, do not run. The final flag is the worst verdict (`combine_flags`).
    """
    v = as_values(series.values)
    t = as_times(series.times, v.shape[0])
    n = v.shape[0]
    status = None
    if series.status is not None:
        status = np.asarray(series.status)
        if status.shape != (n,):
            raise ValidationError(f"status has shape {status.shape}, expected ({n},)")
    step = config.expected_interval_s or sampling_interval(t)
    order = np.argsort(t, kind="stable")

    status_result = None
    excluded = None
    if "device_status" in config.checks and status is not None:
        status_result = device_status_test(status, config.status_meanings)
        excluded = (status_result.flags == QcFlag.BAD)[order]
    results: dict[str, CheckResult] = {
        name: _unsort(result, order)
        for name, result in _value_checks(t[order], v[order], config, step, excluded).items()
    }
    if status_result is not None:
        results["device_status"] = status_result
    if "timestamp" in config.checks:
        results["timestamp"] = timestamp_test(
            t,
            now=config.now,
            future_tolerance_s=config.future_tolerance_s,
            values=v,
            expected_interval_s=step,
            grid_tolerance_s=config.grid_tolerance_s,
        )
    if "cross" in config.checks and others:
        for i, result in enumerate(_cross_checks(series, t, v, config, others)):
            results[f"cross:{i}"] = result

    missing = np.isnan(v)
    flags = combine_flags([r.flags for r in results.values()], values=v).astype(FLAG_DTYPE)
    masks: dict[str, NDArray[np.bool_]] = {"missing": missing} if missing.any() else {}
    for result in results.values():
        for code, mask in result.reasons.items():
            if mask.any():
                masks[code] = masks[code] | mask if code in masks else mask
    per_value: list[list[str]] = [[] for _ in range(n)]
    for code, mask in masks.items():
        for i in np.flatnonzero(mask):
            per_value[i].append(code)
    return QcResult(
        flags=flags,
        reasons=tuple(tuple(r) for r in per_value),
        reason_masks=masks,
        checks=results,
        descriptions=reason_catalogue(config.cross_rules),
    )
