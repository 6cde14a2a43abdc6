"""VN_AQI — Vietnam Air Quality Index (Decision 1459/QĐ-TCMT of 12/11/2019).

Pure functions over concentrations in µg/m³ (CO too). Breakpoints and categories come from
package data (`quantrac.catalog.index_tables`); nothing the decision defines is written here.

- Sub-index AQIx: linear interpolation over Bảng 2 (§2.2.1.b, Công thức 1/2).
- Hourly AQI: SO2/CO/NO2 current 1-h mean, O3 on its 1-h column, PM2.5/PM10 on the NowCast of
  the last 12 hours (§2.2.1.a).
- Daily AQI: PM 24-h mean; SO2/NO2/CO daily max 1-h; O3 the larger of the AQI of the daily
  max 1-h and of the daily max 8-h, the latter skipped above 400 µg/m³ (§2.2.2.b).
- AQI = max(AQIx) (§2.2.1.c, §2.2.2.c), at least one of PM2.5/PM10 required (§2.1.b).

Keys are Bảng 2 names in lower case — the catalogue codes lower-cased: `pm25`, `pm10`, `o3`,
`no2`, `so2`, `co`; daily O3 comes as `o3_1h` (daily max 1-h) and `o3_8h` (daily max 8-h).

Rounding: the decision only says "rounded to an integer". We round half-up per AQIx and then
take the maximum; this reproduces every worked example of §2.3 except the hourly NO2 case
(118.7 µg/m³ → 59.35 → 59, the decision prints 60). The tests document that discrepancy.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quantrac.catalog.index_tables import (
    AqiColumn,
    IndexCategory,
    aqi_breakpoints,
    aqi_categories,
    category_for,
)
from quantrac.errors import UnknownParameter
from quantrac.indices import aggregates as agg

METHOD = "VN_AQI (Decision 1459/QĐ-TCMT)"
#: Pollutants in the order used to break ties for the dominant pollutant.
POLLUTANTS = ("pm25", "pm10", "o3", "no2", "so2", "co")
PM = ("pm25", "pm10")
DAILY_KEYS = ("pm25", "pm10", "o3_1h", "o3_8h", "no2", "so2", "co")
#: Decision 1459 §2.2.1.a: NowCast uses the 12 latest hourly means and needs data in at least
#: 2 of the 3 latest hours; the weight factor is floored at one half.
NOWCAST_HOURS = 12
NOWCAST_RECENT_HOURS = 3
NOWCAST_MIN_RECENT = 2
NOWCAST_MIN_WEIGHT = 0.5
# Pre-rounding to this many decimals before the half-up step absorbs binary float error
# (55.7 µg/m³ PM2.5 → 109.4999999… instead of 109.5).
_ROUND_DECIMALS = 9

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class HealthAdvice:
    """Short advice for one AQI band, our own wording of the intent of Bảng 4 and Bảng 5."""

    effect_vi: str
    effect_en: str
    general_vi: str
    general_en: str
    sensitive_vi: str
    sensitive_en: str


# Keyed by the English label of Bảng 1 (vn_aqi_categories.csv). "Sensitive" = the elderly,
# children, and people with respiratory or cardiovascular disease (Bảng 4).
_ADVICE: Mapping[str, HealthAdvice] = MappingProxyType(
    {
        "Good": HealthAdvice(
            "Không khí trong lành, không gây hại cho sức khỏe.",
            "Clean air, no health effects expected.",
            "Hoạt động ngoài trời bình thường.",
            "Enjoy outdoor activities as usual.",
            "Hoạt động ngoài trời bình thường.",
            "Enjoy outdoor activities as usual.",
        ),
        "Moderate": HealthAdvice(
            "Chấp nhận được; người nhạy cảm có thể chịu một số tác động nhẹ.",
            "Acceptable; sensitive people may feel some mild effects.",
            "Hoạt động ngoài trời bình thường.",
            "Outdoor activities are fine.",
            "Vẫn có thể ra ngoài, nhưng hãy để ý nếu ho hoặc khó thở.",
            "Going out is fine, but watch for coughing or shortness of breath.",
        ),
        "Poor": HealthAdvice(
            "Người nhạy cảm bắt đầu có vấn đề sức khỏe; người khỏe mạnh ít bị ảnh hưởng.",
            "Sensitive people start to have health problems; healthy people are rarely affected.",
            "Nếu cay mắt, ho hay đau họng, hãy bớt thời gian ở ngoài trời.",
            "If your eyes sting or you cough or have a sore throat, spend less time outdoors.",
            "Giảm vận động mạnh và thời gian ở ngoài trời; người bị hen nên mang theo thuốc.",
            "Cut down strenuous exercise and time outdoors; keep asthma medicine at hand.",
        ),
        "Bad": HealthAdvice(
            "Mọi người bắt đầu bị ảnh hưởng; người nhạy cảm có thể bị ảnh hưởng nặng hơn.",
            "Everyone may begin to feel effects; sensitive people may be affected more seriously.",
            "Giảm vận động mạnh ngoài trời, nghỉ ngơi trong nhà nhiều hơn.",
            "Reduce strenuous outdoor activity and rest indoors more.",
            "Tránh hoạt động ngoài trời, chuyển sang hoạt động trong nhà.",
            "Avoid outdoor activity and move it indoors.",
        ),
        "Very bad": HealthAdvice(
            "Cảnh báo sức khỏe: mọi người đều có thể bị ảnh hưởng nghiêm trọng hơn.",
            "Health alert: everyone may experience more serious effects.",
            "Hạn chế ra ngoài, chuyển các hoạt động vào trong nhà.",
            "Limit time outside and move activities indoors.",
            "Ở trong nhà, chỉ vận động nhẹ; đi khám nếu có triệu chứng.",
            "Stay indoors with only light activity; see a doctor if symptoms appear.",
        ),
        "Hazardous": HealthAdvice(
            "Báo động khẩn cấp: toàn bộ người dân có thể bị ảnh hưởng nghiêm trọng.",
            "Health emergency: the whole population is likely to be seriously affected.",
            "Tránh mọi hoạt động ngoài trời, đóng cửa và ở trong nhà.",
            "Avoid all outdoor activity; stay inside with windows closed.",
            "Ở trong nhà, đóng cửa, nghỉ ngơi; tìm trợ giúp y tế khi thấy khó chịu.",
            "Stay inside with windows closed and rest; seek medical help if you feel unwell.",
        ),
    }
)


@dataclass(frozen=True, slots=True)
class SubIndex:
    """AQIx of one pollutant: the concentration used, the unrounded and the published value.

    `capped` marks a concentration above the last (level 8, "≥") breakpoint: the decision gives
    no formula there, and holding the index at the top of the scale is our implementation
    choice.
    """

    pollutant: str
    column: str
    concentration: float
    raw: float
    value: int
    capped: bool


@dataclass(frozen=True)
class AqiResult:
    """An hourly or daily VN_AQI for one station, or the reason there is none."""

    kind: str
    value: int | None
    category: IndexCategory | None
    advice: HealthAdvice | None
    dominant: tuple[str, ...]
    sub_indices: Mapping[str, SubIndex]
    reason: str | None = None
    notes: tuple[str, ...] = ()
    method: str = field(default=METHOD)


def round_half_up(values: ArrayLike) -> FloatArray:
    """Half-up rounding (x.5 → x+1) after absorbing float error; NaN stays NaN."""
    return np.floor(np.round(np.asarray(values, dtype=np.float64), _ROUND_DECIMALS) + 0.5)


def _column(name: str) -> AqiColumn:
    return aqi_breakpoints()[name]


def sub_index_array(column: str, concentrations: ArrayLike) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Unrounded AQIx for an array of concentrations on one Bảng 2 column, and a capped mask.

    Decision 1459 §2.2.1.b: AQIx = (I(i+1) − Ii)/(BP(i+1) − BPi) × (Cx − BPi) + Ii, i.e. linear
    interpolation between consecutive (BPi, Ii) — breakpoints are continuous. NaN, negative
    values, and values above the top of a column that stops early (O3 8h above 400 µg/m³,
    §2.2.2.b) give NaN. Above an open-ended level-8 breakpoint we hold the index at the top
    level (500): an implementation choice, the decision defines nothing there.
    """
    table = _column(column)
    x = np.asarray(concentrations, dtype=np.float64)
    top = table.breakpoints[-1]
    raw = np.interp(x, table.breakpoints, table.indices)
    capped = (x > top) & table.open_ended
    invalid = np.isnan(x) | (x < table.breakpoints[0]) | ((x > top) & (not table.open_ended))
    return np.where(invalid, np.nan, raw), capped & ~invalid


def sub_index(column: str, concentration: float | None) -> float | None:
    """Unrounded AQIx of one concentration, or None where Bảng 2 defines none."""
    if concentration is None:
        return None
    raw, _ = sub_index_array(column, concentration)
    value = float(raw)
    return None if np.isnan(value) else value


def nowcast_series(hourly: ArrayLike) -> FloatArray:
    """NowCast at every hour of a regular hourly series (time on the last axis, oldest first).

    Decision 1459 §2.2.1.a, with c1 the current hour and c12 eleven hours before:
    w* = Cmin/Cmax over the available values; w = w* if w* > 1/2 else 1/2; missing ci get
    weight 0; NowCast = Σ w^(i−1)·ci / Σ w^(i−1); no value unless ≥ 2 of c1..c3 exist.

    The decision writes the w = 1/2 case without a denominator, Σ (1/2)^i·ci. With all 12 hours
    present that equals the normalised form times (1 − 2⁻¹²) — the two agree to 0.03 % — but
    with missing hours (weight 0) the unnormalised sum would fall short of a weighted mean.
    We use the normalised form in both cases, as the decision's own w > 1/2 formula does.
    A series of zeros has no Cmin/Cmax ratio; its NowCast is 0 (w = 1).
    """
    x = np.asarray(hourly, dtype=np.float64)
    n = x.shape[-1]
    pad = [(0, 0)] * (x.ndim - 1) + [(NOWCAST_HOURS - 1, 0)]
    padded = np.pad(x, pad, constant_values=np.nan)

    def lag(i: int) -> FloatArray:  # c(i+1): the value i hours before the current one
        start = NOWCAST_HOURS - 1 - i
        return padded[..., start : start + n]

    cmin = np.full(x.shape, np.inf)
    cmax = np.full(x.shape, -np.inf)
    recent = np.zeros(x.shape, dtype=np.int64)
    for i in range(NOWCAST_HOURS):
        c = lag(i)
        cmin = np.fmin(cmin, c)
        cmax = np.fmax(cmax, c)
        if i < NOWCAST_RECENT_HOURS:
            recent += ~np.isnan(c)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(cmax > 0, cmin / cmax, 1.0)
    w = np.maximum(ratio, NOWCAST_MIN_WEIGHT)
    numerator = np.zeros(x.shape)
    denominator = np.zeros(x.shape)
    weight = np.ones(x.shape)
    for i in range(NOWCAST_HOURS):
        c = lag(i)
        present = ~np.isnan(c)
        numerator += weight * np.where(present, c, 0.0)
        denominator += weight * present
        weight = weight * w
    with np.errstate(invalid="ignore", divide="ignore"):
        result = numerator / denominator
    return np.where(recent >= NOWCAST_MIN_RECENT, result, np.nan)


def nowcast(latest_first: Sequence[float | None]) -> float | None:
    """NowCast from the latest hourly means, c1 (current hour) first, up to 12 values.

    Fewer than 12 values means the older hours are missing. See `nowcast_series` for the rule.
    """
    if len(latest_first) > NOWCAST_HOURS:
        raise ValueError(f"NowCast uses at most {NOWCAST_HOURS} hourly values")
    values = [np.nan if v is None else float(v) for v in reversed(latest_first)]
    if not values:
        return None
    result = float(nowcast_series(np.array(values))[-1])
    return None if np.isnan(result) else result


def aqi_category(value: int) -> IndexCategory | None:
    """Decision 1459 Bảng 1 band of an integer AQI (None outside 0..500)."""
    return category_for(value, aqi_categories())


def health_advice(category: IndexCategory) -> HealthAdvice:
    """Our short advice for a band (general public and sensitive groups, vi/en)."""
    return _ADVICE[category.label_en]


def _key(key: str, allowed: Sequence[str]) -> str:
    """Lower-case a key and accept 'PM2.5'/'PM2,5' for pm25; UnknownParameter otherwise."""
    name = key.lower().replace(".", "").replace(",", "")
    if name not in allowed:
        raise UnknownParameter(key, difflib.get_close_matches(name, allowed), "VN_AQI")
    return name


def _normalise_keys(
    concentrations: Mapping[str, float | None], allowed: Sequence[str]
) -> dict[str, float]:
    """Keys through `_key`; None/NaN values dropped (missing data)."""
    out: dict[str, float] = {}
    seen: set[str] = set()
    for key, value in concentrations.items():
        name = _key(key, allowed)
        if name in seen:
            raise ValueError(f"{key!r} given twice")
        seen.add(name)
        if value is not None and not np.isnan(value):
            out[name] = float(value)
    return out


def _sub(pollutant: str, column: str, concentration: float) -> tuple[SubIndex | None, str | None]:
    raw, capped = sub_index_array(column, concentration)
    if np.isnan(raw):
        top = _column(column).breakpoints[-1]
        why = "negative" if concentration < 0 else f"above {top:g} µg/m³, no index defined"
        return None, f"{column} {concentration:g} µg/m³: {why}"
    value = int(round_half_up(raw))
    note = None
    if bool(capped):
        note = (f"{column} {concentration:g} µg/m³ above the level-8 breakpoint: AQIx held at "
                f"{value} (implementation choice)")  # fmt: skip
    return SubIndex(pollutant, column, concentration, float(raw), value, bool(capped)), note


def _combine(kind: str, subs: dict[str, SubIndex], notes: list[str]) -> AqiResult:
    view = MappingProxyType(subs)
    if not any(p in subs for p in PM):
        reason = "no PM2.5 or PM10 sub-index: Decision 1459 §2.1.b requires at least one of them"
        return AqiResult(kind, None, None, None, (), view, reason=reason, notes=tuple(notes))
    top = max(s.value for s in subs.values())
    dominant = tuple(p for p in POLLUTANTS if p in subs and subs[p].value == top)
    category = aqi_category(top)
    advice = health_advice(category) if category else None
    return AqiResult(kind, top, category, advice, dominant, view, notes=tuple(notes))


def hourly_aqi(concentrations: Mapping[str, float | None]) -> AqiResult:
    """Hourly VN_AQI (Decision 1459 §2.2.1) from this hour's Cx per pollutant.

    `pm25`/`pm10` must already be NowCast values (see `nowcast`); `o3`, `no2`, `so2`, `co` are
    the current 1-h means (O3 on the O3 (1h) column). Missing keys or None are missing data.
    """
    values = _normalise_keys(concentrations, POLLUTANTS)
    subs: dict[str, SubIndex] = {}
    notes: list[str] = []
    for pollutant in POLLUTANTS:
        if pollutant in values:
            column = "o3_1h" if pollutant == "o3" else pollutant
            sub, note = _sub(pollutant, column, values[pollutant])
            if sub:
                subs[pollutant] = sub
            if note:
                notes.append(note)
    return _combine("hourly", subs, notes)


def hourly_aqi_from_history(latest_first: Mapping[str, Sequence[float | None]]) -> AqiResult:
    """Hourly VN_AQI from recent hourly means per pollutant, current hour first.

    PM2.5/PM10 use the NowCast of up to 12 values; the gases use the first (current) value.
    """
    current: dict[str, float | None] = {}
    notes: list[str] = []
    for key, series in latest_first.items():
        name = _key(key, POLLUTANTS)
        if name in PM:
            current[name] = nowcast(series)
            if current[name] is None:
                notes.append(
                    f"{name}: no NowCast — fewer than {NOWCAST_MIN_RECENT} of the "
                    f"{NOWCAST_RECENT_HOURS} latest hours have data (§2.2.1.a)"
                )
        else:
            current[name] = series[0] if len(series) else None
    result = hourly_aqi(current)
    return AqiResult(
        result.kind,
        result.value,
        result.category,
        result.advice,
        result.dominant,
        result.sub_indices,
        result.reason,
        tuple(notes) + result.notes,
    )


def daily_aqi(concentrations: Mapping[str, float | None]) -> AqiResult:
    """Daily VN_AQI (Decision 1459 §2.2.2) from the day's statistics.

    Keys: `pm25`, `pm10` (24-h means), `o3_1h` (daily max 1-h), `o3_8h` (daily max 8-h), `no2`,
    `so2`, `co` (daily max 1-h). O3's AQIx is the larger of its 1-h and 8-h AQIx; when the daily
    max 8-h mean is above 400 µg/m³ (the end of the O3 8h column) only the 1-h one is used.
    """
    values = _normalise_keys(concentrations, DAILY_KEYS)
    subs: dict[str, SubIndex] = {}
    notes: list[str] = []
    for column in DAILY_KEYS:
        if column not in values:
            continue
        pollutant = "o3" if column.startswith("o3") else column
        sub, note = _sub(pollutant, column, values[column])
        if note:
            notes.append(note + (" — 8-h AQI not used (§2.2.2.b)" if column == "o3_8h" else ""))
        if sub and (pollutant not in subs or sub.raw > subs[pollutant].raw):
            subs[pollutant] = sub
    return _combine("daily", subs, notes)


@dataclass(frozen=True, eq=False)
class AqiArrays:
    """Vectorised VN_AQI over a time axis (last axis; leading axes such as stations allowed).

    `value` is NaN where no AQI exists (no PM sub-index); `dominant` holds the pollutant key
    of the largest AQIx ("" where none; ties go to the first of `POLLUTANTS`). `sub_indices`
    are the rounded AQIx per pollutant and `concentrations` the Cx used per Bảng 2 key, so one
    element can be re-derived in full with `result`.
    """

    kind: str
    labels: NDArray[np.generic]
    value: FloatArray
    dominant: NDArray[np.str_]
    sub_indices: Mapping[str, FloatArray]
    concentrations: Mapping[str, FloatArray]

    def result(self, index: int | tuple[int, ...]) -> AqiResult:
        """The full `AqiResult` (category, advice, notes) of one element."""
        cx: dict[str, float | None] = {k: float(v[index]) for k, v in self.concentrations.items()}
        return daily_aqi(cx) if self.kind == "daily" else hourly_aqi(cx)


def _rounded_sub(column: str, concentrations: FloatArray) -> FloatArray:
    raw, _ = sub_index_array(column, concentrations)
    return round_half_up(raw)


def _combine_arrays(subs: Mapping[str, FloatArray]) -> tuple[FloatArray, NDArray[np.str_]]:
    shape = next(iter(subs.values())).shape
    missing = np.full(shape, np.nan)
    stack = np.stack([subs.get(p, missing) for p in POLLUTANTS])
    filled = np.where(np.isnan(stack), -1.0, stack)
    winner = np.argmax(filled, axis=0)
    top = np.take_along_axis(filled, winner[None, ...], axis=0)[0]
    has_pm = np.zeros(shape, dtype=bool)
    for p in PM:
        has_pm |= ~np.isnan(subs.get(p, missing))
    value = np.where(has_pm & (top >= 0), top, np.nan)
    dominant = np.where(np.isnan(value), "", np.array(POLLUTANTS)[winner])
    return value, dominant


def _grids(hourly: Mapping[str, ArrayLike]) -> dict[str, FloatArray]:
    grids: dict[str, FloatArray] = {}
    for key, values in hourly.items():
        grids[_key(key, POLLUTANTS)] = np.asarray(values, dtype=np.float64)
    shapes = {g.shape for g in grids.values()}
    if len(shapes) != 1:
        raise ValueError(f"all hourly arrays must share one shape, got {sorted(shapes)}")
    return grids


def hourly_aqi_arrays(first_hour_end: int, hourly: Mapping[str, ArrayLike]) -> AqiArrays:
    """Hourly VN_AQI at every hour of regular hourly grids (NaN = missing hour).

    PM2.5/PM10 go through `nowcast_series`; O3 uses the O3 (1h) column; the others their own.
    """
    grids = _grids(hourly)
    concentrations: dict[str, FloatArray] = {}
    subs: dict[str, FloatArray] = {}
    for name, values in grids.items():
        cx = nowcast_series(values) if name in PM else values
        concentrations[name] = cx
        subs[name] = _rounded_sub("o3_1h" if name == "o3" else name, cx)
    value, dominant = _combine_arrays(subs)
    labels = agg.HourlyGrid(first_hour_end, next(iter(grids.values()))).times
    return AqiArrays(
        "hourly", labels, value, dominant, MappingProxyType(subs), MappingProxyType(concentrations)
    )


def daily_aqi_arrays(
    first_hour_end: int,
    hourly: Mapping[str, ArrayLike],
    *,
    min_hours: int = agg.DEFAULT_MIN_HOURS_DAY,
    min_hours_8h: int = agg.DEFAULT_MIN_HOURS_WINDOW,
    min_windows_8h: int = agg.DEFAULT_MIN_HOURS_DAY,
    utc_offset_s: int = agg.VN_UTC_OFFSET_S,
) -> AqiArrays:
    """Daily VN_AQI per local day from regular hourly grids (Decision 1459 §2.2.2).

    PM: 24-h mean; SO2/NO2/CO: daily max 1-h; O3: max of the AQIx of the daily max 1-h and of
    the daily max 8-h (rolling means labelled by their last hour, so the day's windows reach
    7 hours into the previous day; give the grid those hours to use them). The decision sets
    no completeness minimum; `min_hours` (per day), `min_hours_8h` (per 8-h window) and
    `min_windows_8h` (valid windows per day) are configurable defaults.
    """
    grids = _grids(hourly)
    concentrations: dict[str, FloatArray] = {}
    days: NDArray[np.datetime64] | None = None
    for name, values in grids.items():
        days, blocks = agg.day_blocks(agg.HourlyGrid(first_hour_end, values), utc_offset_s)
        if name in PM:
            concentrations[name] = agg.block_means(blocks, min_hours)[0]
            continue
        key = "o3_1h" if name == "o3" else name
        concentrations[key] = agg.block_maxima(blocks, min_hours)[0]
        if name == "o3":
            rolling = agg.rolling_grid_means(values, agg.DEFAULT_WINDOW_HOURS, min_hours_8h)[0]
            _, windows = agg.day_blocks(agg.HourlyGrid(first_hour_end, rolling), utc_offset_s)
            concentrations["o3_8h"] = agg.block_maxima(windows, min_windows_8h)[0]
    subs: dict[str, FloatArray] = {}
    for key, cx in concentrations.items():
        sub = _rounded_sub(key, cx)
        pollutant = "o3" if key.startswith("o3") else key
        subs[pollutant] = np.fmax(subs[pollutant], sub) if pollutant in subs else sub
    value, dominant = _combine_arrays(subs)
    labels = days if days is not None else np.array([], dtype="datetime64[D]")
    return AqiArrays(
        "daily", labels, value, dominant, MappingProxyType(subs), MappingProxyType(concentrations)
    )
