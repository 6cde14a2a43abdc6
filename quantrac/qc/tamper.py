"""Tamper indicators for enterprise wastewater/emission series.

Automatic stations at factories report their own discharge. Provincial departments see the
same patterns of doctored data again and again: a value held constant, yesterday's day copied
into today, concentrations pinned just under the permit limit, two stations sending the same
series, curves too smooth to come from an analyser. Each indicator here looks for one pattern
in one period and returns a score in [0, 1] with the evidence — numbers a person can check
against the data — and nothing else: indicators never change, drop or flag data. A score at
or above `ALARM_THRESHOLD` means "an inspector should look", not "proven".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import norm

from quantrac.errors import ConfigError
from quantrac.qc.checks import align_on_times, as_times, as_values

#: A score at or above this asks for a person's attention.
ALARM_THRESHOLD = 0.5
#: Below this many values in a period an indicator does not judge (score 0, with a note).
MIN_VALUES = 48
#: Vietnam time (UTC+7, no daylight saving): days and months are cut in local time.
UTC_OFFSET_VN = 7 * 3600

Evidence = Mapping[str, float | int | str | None]


@dataclass(frozen=True, slots=True)
class Indicator:
    """One indicator's verdict on one series and period."""

    name: str
    score: float
    evidence: Evidence

    @property
    def alarm(self) -> bool:
        return self.score >= ALARM_THRESHOLD


@dataclass(frozen=True, slots=True)
class TamperFinding:
    """All indicators for one station (or station pair), parameter and period."""

    station: str
    parameter: str
    period: str
    indicators: tuple[Indicator, ...]

    @property
    def max_score(self) -> float:
        return max((i.score for i in self.indicators), default=0.0)

    @property
    def alarm(self) -> bool:
        return any(i.alarm for i in self.indicators)

    def alarms(self) -> list[str]:
        return [i.name for i in self.indicators if i.alarm]


def _clip01(x: float) -> float:
    return float(min(1.0, max(0.0, x))) if np.isfinite(x) else 0.0


def _too_few(name: str, n: int) -> Indicator:
    return Indicator(name, 0.0, {"n_values": n, "note": f"fewer than {MIN_VALUES} values"})


def _present(values: ArrayLike) -> NDArray[np.float64]:
    v = as_values(values)
    return v[~np.isnan(v)]


# --------------------------------------------------------------------------------------------
# constant values
# --------------------------------------------------------------------------------------------
def constant_values(values: ArrayLike, *, ignore_zero: bool = True) -> Indicator:
    """Values held constant: the share of consecutive readings that repeat the previous one.

    An analyser measuring a real effluent moves by at least its last digit from one reading to
    the next most of the time; a typed-in or frozen value does not. Score 0 up to 50 % repeats,
    1 from 90 %. Pairs of zeros are ignored when `ignore_zero` (a plant that does not discharge
    reads a flow of exactly 0). Evidence: the share, the longest run, the most common value.
    """
    x = _present(values)
    if x.shape[0] < MIN_VALUES:
        return _too_few("constant_values", x.shape[0])
    same = x[1:] == x[:-1]
    counted = ~((x[1:] == 0) & (x[:-1] == 0)) if ignore_zero else np.ones(same.shape, bool)
    share = float(np.mean(same[counted])) if counted.any() else 0.0
    starts = np.flatnonzero(np.concatenate(([True], ~same)))
    lengths = np.diff(np.append(starts, x.shape[0]))
    uniq, counts = np.unique(x, return_counts=True)
    top = int(np.argmax(counts))
    evidence = {
        "n_values": int(x.shape[0]),
        "share_repeating_previous": round(share, 4),
        "longest_run": int(lengths.max()),
        "longest_run_value": float(x[starts[int(np.argmax(lengths))]]),
        "most_common_value": float(uniq[top]),
        "most_common_share": round(float(counts[top] / x.shape[0]), 4),
    }
    return Indicator("constant_values", _clip01((share - 0.5) / 0.4), evidence)


# --------------------------------------------------------------------------------------------
# repeated daily pattern
# --------------------------------------------------------------------------------------------
def repeating_pattern(
    times: ArrayLike,
    values: ArrayLike,
    *,
    period_s: int = 86400,
    utc_offset_s: int = UTC_OFFSET_VN,
    match_share: float = 0.9,
    min_distinct: int = 4,
) -> Indicator:
    """A cycle copied exactly: days whose readings equal those one `period_s` earlier.

    Each reading is compared with the reading at exactly t − period. A day counts as copied
    when at least `match_share` of its comparable readings are identical and the day is not
    near-constant (≥ `min_distinct` distinct values — a constant day is `constant_values`'
    business). By chance, even coarse data match on a few readings, never on a whole day.
    Score: one copied day 0.5, two or more 1. Evidence: the copied days, and the share of
    identical readings at lag period vs. at lag period + one sampling step (chance level).
    """
    v = as_values(values)
    t = as_times(times, v.shape[0])
    keep = ~np.isnan(v)
    t, v = t[keep], v[keep]
    if v.shape[0] < MIN_VALUES:
        return _too_few("repeating_pattern", v.shape[0])
    uniq_t, first = np.unique(t, return_index=True)
    uniq_v = v[first]

    def lagged(lag: int) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
        earlier = align_on_times(uniq_t - lag, uniq_t, uniq_v)
        has = ~np.isnan(earlier)
        return has, has & (earlier == uniq_v)

    has, equal = lagged(period_s)
    step = int(np.median(np.diff(uniq_t))) if uniq_t.shape[0] > 1 else period_s
    has_other, equal_other = lagged(period_s + step)
    day = (uniq_t + utc_offset_s) // period_s
    day0 = int(day.min())
    idx = (day - day0).astype(np.int64)
    n_days = int(idx.max()) + 1
    compared = np.bincount(idx, weights=has, minlength=n_days)
    matched = np.bincount(idx, weights=equal, minlength=n_days)
    day_value = np.unique(np.stack([idx.astype(np.float64), uniq_v]), axis=1)
    distinct = np.bincount(day_value[0].astype(np.int64), minlength=n_days)
    typical = np.median(compared[compared > 0]) if (compared > 0).any() else 0.0
    enough = (compared >= max(6.0, 0.5 * typical)) & (distinct >= min_distinct)
    with np.errstate(invalid="ignore", divide="ignore"):
        day_share = np.where(compared > 0, matched / np.maximum(compared, 1), 0.0)
    copied = np.flatnonzero(enough & (day_share >= match_share))
    days = [
        str(np.datetime64((day0 + int(d)) * period_s, "s").astype("datetime64[D]"))
        for d in copied[:10]
    ]
    evidence = {
        "n_values": int(v.shape[0]),
        "days_compared": int(np.count_nonzero(enough)),
        "copied_days": int(copied.shape[0]),
        "first_copied_days": ", ".join(days),
        "share_identical_at_period": round(float(equal.sum() / max(has.sum(), 1)), 4),
        "share_identical_at_period_plus_step": round(
            float(equal_other.sum() / max(has_other.sum(), 1)), 4
        ),
    }
    return Indicator("repeating_pattern", _clip01(copied.shape[0] / 2), evidence)


# --------------------------------------------------------------------------------------------
# pinned below the limit
# --------------------------------------------------------------------------------------------
def _resolution(x: NDArray[np.float64]) -> float:
    """The step the values are written in: 10^-decimals (7.25 → 0.01, 48 → 1)."""
    return float(10.0 ** -int(_decimals(x).max()))


def _natural_expectation(
    x: NDArray[np.float64], limit: float, edge: float, sign: float
) -> tuple[float, float, float, str] | None:
    """(share in band, share beyond the limit, sigma, description) that a lognormal fitted on
    the quantiles below the band expects — None when too few values lie below the band.

    Those quantiles are untouched by pinning: moving high readings down to just under the
    limit keeps them above every lower reading, so their rank does not change.
    """
    y = sign * np.log(np.where(x > 0, x, np.nan))
    y_edge, y_limit = sign * np.log(edge), sign * np.log(limit)
    # A non-positive value has no logarithm: it is as far inside a maximum (as far beyond a
    # minimum) as a value can be.
    ys = np.sort(np.where(np.isnan(y), -sign * np.inf, y))
    below = float(np.mean(ys <= y_edge))
    if below < 0.2:
        return None
    levels = (min(0.25, below / 3), min(0.5, 2 * below / 3))
    q_lo, q_hi = (ys[int(level * (ys.shape[0] - 1))] for level in levels)
    if not (np.isfinite(q_lo) and q_hi > q_lo):
        return None
    z_lo, z_hi = norm.ppf(levels[0]), norm.ppf(levels[1])
    sigma = (q_hi - q_lo) / (z_hi - z_lo)
    mu = q_hi - sigma * z_hi
    in_band = float(norm.cdf((y_limit - mu) / sigma) - norm.cdf((y_edge - mu) / sigma))
    beyond = float(norm.sf((y_limit - mu) / sigma))
    return in_band, beyond, sigma, f"lognormal below the band: mu={mu:.4g} sigma={sigma:.4g}"


def pinned_below_limit(
    values: ArrayLike, limit: float, *, band: float = 0.05, side: str = "max"
) -> Indicator:
    """Values pinned just inside a permit limit, compared with a natural distribution.

    The band is the last `band` fraction before the limit (71.25–75 mg/L for COD 75), snapped
    to the values' own resolution so that it holds as many representable values as the
    equal-width bands beside it. Doctoring moves readings that were over the limit into the
    band: it then holds more than (a) the equal-width band just inside it and (b) what a
    natural distribution gives — a lognormal fitted on the quantiles below the band, which
    pinning leaves untouched — while (c) the equal-width band just beyond the limit, and (d)
    everything beyond it, hold far less than the band and than the fit expects. A natural
    series is smooth across the limit, so (a)–(d) do not line up. Score = min(excess / 5 %,
    drop_local / 0.8, drop_global / 0.8) with excess = share(band) − max(inner band, fit),
    drop_local = 1 − share(band beyond) / share(band), drop_global = 1 − share(beyond) /
    fit(beyond). Not judged (score 0, with a note) when fewer than 20 % of the values lie
    inside the band or the band is wider than the natural spread (pH: use band ≈ 0.01).
    `side="min"` mirrors the test for a minimum limit (pH ≥ 5.5, DO ≥ a floor).
    """
    if side not in ("max", "min"):
        raise ConfigError(f"side must be 'max' or 'min', got {side!r}")
    if not (0 < band < 0.5) or not np.isfinite(limit) or limit <= 0:
        raise ConfigError(f"need 0 < band < 0.5 and a positive limit, got {band}, {limit}")
    x = _present(values)
    name = "pinned_below_limit" if side == "max" else "pinned_above_limit"
    if x.shape[0] < MIN_VALUES:
        return _too_few(name, x.shape[0])
    step = _resolution(x)
    width = max(1, round(band * limit / step)) * step
    sign = 1.0 if side == "max" else -1.0
    # Distance inside the limit (positive on the allowed side), in units of the band width;
    # half a resolution step absorbs float noise in values like 74.99999999.
    inside = sign * (limit - x) + 0.5 * step
    in_band = (inside > 0) & (inside <= width)
    inner = (inside > width) & (inside <= 2 * width)
    beyond_band = (inside <= 0) & (inside > -width)
    p_band, p_inner, p_beyond_band = (float(np.mean(m)) for m in (in_band, inner, beyond_band))
    p_beyond = float(np.mean(inside <= 0))
    edge = limit - sign * width
    evidence: dict[str, float | int | str | None] = {
        "n_values": int(x.shape[0]),
        "limit": float(limit),
        "band": f"{min(edge, limit):g}–{max(edge, limit):g}",
        "share_in_band": round(p_band, 4),
        "share_in_inner_band": round(p_inner, 4),
        "share_in_band_beyond_limit": round(p_beyond_band, 4),
        "share_beyond_limit": round(p_beyond, 4),
    }
    natural = _natural_expectation(x, limit, edge, sign)
    if natural is None:
        evidence["note"] = "fewer than 20 % of values short of the band: no natural fit"
        return Indicator(name, 0.0, evidence)
    e_band, e_beyond, sigma, fit = natural
    evidence.update(
        expected_in_band=round(e_band, 4), expected_beyond_limit=round(e_beyond, 4), natural_fit=fit
    )
    if abs(np.log(limit / edge)) > sigma:
        evidence["note"] = "band wider than the natural spread: choose a narrower band"
        return Indicator(name, 0.0, evidence)
    excess = p_band - max(p_inner, e_band)
    drop_local = 1.0 - p_beyond_band / p_band if p_band > 0 else 0.0
    drop_global = 1.0 - p_beyond / e_beyond if e_beyond > 0 else 0.0
    evidence["excess_in_band"] = round(excess, 4)
    score = min(_clip01(excess / 0.05), _clip01(drop_local / 0.8), _clip01(drop_global / 0.8))
    return Indicator(name, score, evidence)


# --------------------------------------------------------------------------------------------
# identical series at two stations
# --------------------------------------------------------------------------------------------
def identical_series(
    times_a: ArrayLike, values_a: ArrayLike, times_b: ArrayLike, values_b: ArrayLike
) -> Indicator:
    """Two stations sending the same series, or one scaled/shifted from the other.

    Readings are paired by exact time. Two real effluents — or two real instruments — never
    agree to within rounding: even co-located analysers differ by their own noise. The score
    rises as 1 − r² (the share of variance a straight line b = slope·a + offset cannot explain)
    falls from 1e-3 to 1e-5, or as the share of exactly equal pairs rises from 50 % to 90 %.
    Evidence: pairs, r, 1 − r², slope, offset, residual RMS, share of identical values.
    """
    va_all = as_values(values_a, "values_a")
    vb_all = as_values(values_b, "values_b")
    ta = as_times(times_a, va_all.shape[0], "times_a")
    tb = as_times(times_b, vb_all.shape[0], "times_b")
    b = align_on_times(ta, tb, vb_all)
    ok = ~np.isnan(va_all) & ~np.isnan(b)
    a, b = va_all[ok], b[ok]
    if a.shape[0] < MIN_VALUES:
        return _too_few("identical_series", int(a.shape[0]))
    share_equal = float(np.mean(a == b))
    evidence: dict[str, float | int | str | None] = {
        "n_pairs": int(a.shape[0]),
        "share_identical": round(share_equal, 4),
    }
    equal_score = _clip01((share_equal - 0.5) / 0.4)
    if np.std(a) == 0 or np.std(b) == 0:
        evidence["note"] = "a series is constant: no correlation"
        return Indicator("identical_series", equal_score, evidence)
    r = float(np.corrcoef(a, b)[0, 1])
    slope, offset = np.polyfit(a, b, 1)
    residual = b - (slope * a + offset)
    unexplained = max(1.0 - r * r, 1e-15)
    evidence.update(
        {
            "r": round(r, 6),
            "one_minus_r2": float(f"{unexplained:.3g}"),
            "slope": float(f"{slope:.6g}"),
            "offset": float(f"{offset:.6g}"),
            "residual_rms": float(f"{np.sqrt(np.mean(residual**2)):.4g}"),
        }
    )
    fit_score = _clip01((-np.log10(unexplained) - 3) / 2) if r > 0 else 0.0
    return Indicator("identical_series", max(fit_score, equal_score), evidence)


# --------------------------------------------------------------------------------------------
# too smooth / too coarse
# --------------------------------------------------------------------------------------------
def _decimals(x: NDArray[np.float64], most: int = 6) -> NDArray[np.int64]:
    """Decimals each value needs (0…`most`), as written: 7.25 → 2, 7.0 → 0."""
    need = np.full(x.shape[0], most, dtype=np.int64)
    for d in range(most - 1, -1, -1):
        fits = np.abs(np.round(x, d) - x) <= 1e-9 * np.maximum(1.0, np.abs(x))
        need[fits] = d
    return need


def too_smooth(values: ArrayLike, *, expected_decimals: int | None = None) -> Indicator:
    """Too little noise for a real instrument, too few distinct values, or too few decimals.

    An analyser's reading carries noise, so its second difference (x[i+1] − 2x[i] + x[i−1])
    keeps a sizeable share of the series' variance: for pure noise var(Δ²x) = 6 var(x). A
    generated curve (a sine, a spline) keeps almost none. The roughness ratio var(Δ²x) /
    (6 var(x)) scores 0 at 1e-3 and above, 1 at 1e-4 and below (real hourly PM2.5 and
    synthetic analyser series with realistic noise stay above 4e-3; a generated curve
    written with 0.1 resolution is near 2e-5). A month of readings with at most
    3 distinct values (score 0.5; ≤ 2 → 1), or fewer decimals than the station's instrument
    writes (`expected_decimals`, → 1), also counts. Pairs across a missing value are skipped.
    """
    v = as_values(values)
    x = v[~np.isnan(v)]
    if x.shape[0] < MIN_VALUES:
        return _too_few("too_smooth", x.shape[0])
    d2 = v[2:] - 2 * v[1:-1] + v[:-2]
    d2 = d2[~np.isnan(d2)]
    variance = float(np.var(x))
    roughness = float(np.var(d2) / (6 * variance)) if variance > 0 and d2.size > 2 else np.nan
    n_distinct = int(np.unique(x).shape[0])
    decimals = int(_decimals(x).max())
    smooth_score = _clip01(-np.log10(roughness) - 3) if np.isfinite(roughness) else 0.0
    distinct_score = _clip01((4 - n_distinct) / 2)
    decimals_score = 1.0 if expected_decimals is not None and decimals < expected_decimals else 0.0
    evidence = {
        "n_values": int(x.shape[0]),
        "roughness_ratio": float(f"{roughness:.3g}") if np.isfinite(roughness) else None,
        "n_distinct": n_distinct,
        "max_decimals": decimals,
        "expected_decimals": expected_decimals,
    }
    return Indicator("too_smooth", max(smooth_score, distinct_score, decimals_score), evidence)


# --------------------------------------------------------------------------------------------
# per station and period
# --------------------------------------------------------------------------------------------
def period_labels(times: ArrayLike, utc_offset_s: int = UTC_OFFSET_VN) -> NDArray[np.str_]:
    """The calendar month ('YYYY-MM', local time) of each epoch-second time."""
    t = as_times(times)
    return ((t + utc_offset_s).astype("datetime64[s]").astype("datetime64[M]")).astype(str)


def screen_series(
    station: str,
    parameter: str,
    times: ArrayLike,
    values: ArrayLike,
    *,
    limit: float | None = None,
    limit_side: str = "max",
    expected_decimals: int | None = None,
    utc_offset_s: int = UTC_OFFSET_VN,
) -> list[TamperFinding]:
    """Every single-series indicator for each calendar month of one station's parameter.

    `limit` is the permit/QCVN limit in the series' unit (None skips the pinned-limit
    indicator). The inputs are not changed; the result is evidence for a person.
    """
    v = as_values(values)
    t = as_times(times, v.shape[0])
    labels = period_labels(t, utc_offset_s)
    findings = []
    for period in np.unique(labels):
        sel = labels == period
        order = np.argsort(t[sel], kind="stable")
        tp, vp = t[sel][order], v[sel][order]
        indicators = [
            constant_values(vp),
            repeating_pattern(tp, vp, utc_offset_s=utc_offset_s),
            too_smooth(vp, expected_decimals=expected_decimals),
        ]
        if limit is not None:
            indicators.append(pinned_below_limit(vp, limit, side=limit_side))
        findings.append(TamperFinding(station, parameter, str(period), tuple(indicators)))
    return findings


def screen_pair(
    stations: tuple[str, str],
    parameter: str,
    times_a: ArrayLike,
    values_a: ArrayLike,
    times_b: ArrayLike,
    values_b: ArrayLike,
    *,
    utc_offset_s: int = UTC_OFFSET_VN,
) -> list[TamperFinding]:
    """`identical_series` for each calendar month two stations both report."""
    va = as_values(values_a, "values_a")
    ta = as_times(times_a, va.shape[0], "times_a")
    vb = as_values(values_b, "values_b")
    tb = as_times(times_b, vb.shape[0], "times_b")
    la, lb = period_labels(ta, utc_offset_s), period_labels(tb, utc_offset_s)
    findings = []
    for period in np.intersect1d(la, lb):
        sa, sb = la == period, lb == period
        indicator = identical_series(ta[sa], va[sa], tb[sb], vb[sb])
        findings.append(
            TamperFinding(f"{stations[0]}|{stations[1]}", parameter, str(period), (indicator,))
        )
    return findings
