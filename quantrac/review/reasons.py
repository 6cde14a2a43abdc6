"""Reason codes beyond the automatic checks', and one lookup for every code a value can carry.

`quantrac.qc.run.REASONS` describes what the rule-based checks say; a stored value can also
carry the anomaly model's verdict and the marks of staff decisions. Reports and the API
describe any stored code through `describe`, in Vietnamese (default) or English.
"""

from __future__ import annotations

from collections.abc import Mapping

from quantrac.qc.run import Reason, reason_catalogue

ML_ANOMALY = "ml_anomaly"
STAFF_OVERRIDE = "staff_override"
STAFF_CORRECTED = "staff_corrected"
SOURCE_FLAG = "source_flag"

EXTRA_REASONS: Mapping[str, Reason] = {
    r.code: r
    for r in (
        Reason(
            ML_ANOMALY,
            "Mô hình phát hiện bất thường: giá trị không phù hợp với diễn biến của chính chuỗi",
            "Anomaly model: the value does not fit the series' own behaviour",
        ),
        Reason(
            STAFF_OVERRIDE,
            "Cán bộ đã xem xét và đặt lại cờ chất lượng",
            "Staff reviewed the value and set its quality flag",
        ),
        Reason(
            SOURCE_FLAG,
            "Cờ chất lượng do nguồn dữ liệu gửi kèm (giữ nguyên)",
            "Quality flag sent by the data source (kept as sent)",
        ),
        Reason(
            STAFF_CORRECTED,
            "Giá trị đã được cán bộ hiệu chỉnh (xem lịch sử sửa đổi)",
            "Value corrected by staff (see the revision history)",
        ),
    )
}


def all_reasons() -> dict[str, Reason]:
    """Every known reason code: the checks', the cross-parameter rules' and these."""
    return {**reason_catalogue(), **EXTRA_REASONS}


def describe(code: str, lang: str = "vi") -> str:
    """The description of any stored reason code; an unknown code is shown as itself (data
    written by a newer version must still be readable)."""
    if lang not in ("vi", "en"):
        raise ValueError(f"lang must be 'vi' or 'en', got {lang!r}")
    reason = all_reasons().get(code)
    if reason is None:
        return code
    return reason.vi if lang == "vi" else reason.en


def split_reasons(text: str | None) -> list[str]:
    """'spike|flat_line' → ['spike', 'flat_line']; None or '' → []."""
    return [c for c in (text or "").split("|") if c]


def join_reasons(codes: list[str] | tuple[str, ...]) -> str | None:
    """Codes in first-seen order without repeats, '|'-joined; None when there are none."""
    seen = list(dict.fromkeys(c for c in codes if c))
    return "|".join(seen) if seen else None
