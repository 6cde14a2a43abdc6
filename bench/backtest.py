"""Reproduce the published analysis figures (docs/analysis.md) from ../shared/data.

1. 24-hour PM2.5 forecast backtest: rolling origin, one fold per test year, on the AirNow
   hourly PM2.5 of Hà Nội (2016–2020) and TP.HCM (2016–2017), provider-valid hours only.
   Persistence and seasonal naive (same hour yesterday) against direct ridge and gradient
   boosting models; MAE per horizon and hit rate of the hourly NowCast VN_AQI category.
2. Anomaly detection: planted faults (spikes, dropouts, stuck runs, calibration offsets) in
   the provider-valid hours after each site's first year, and the provider's Invalid labels;
   rule-based QC alone, each model alone, and rules + model.

Run from the repository root: ``PYTHONPATH=. python bench/backtest.py`` (about two minutes
on two cores; ``--fast`` leaves out gradient boosting, ~20 s). Deterministic: fixed seeds.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from quantrac.analysis import anomaly, evaluation
from quantrac.analysis import backtest as bt
from quantrac.analysis.airnow import AirnowSeries, airnow_sites
from quantrac.indices.aggregates import hourly_grid
from quantrac.qc.config import config_for
from quantrac.qc.flags import QcFlag
from quantrac.qc.run import Series, run_qc

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "air" / "airnow-us-state-dept"
FAULTS = {"spike": 100, "dropout": 100, "stuck": 20, "offset": 20}


def forecast_section(sites: dict[str, AirnowSeries], kinds: tuple[str, ...]) -> None:
    grids = {}
    for site, s in sites.items():
        g = hourly_grid(s.times, s.valid_values)
        grids[site] = (g.times, g.values)
    started = time.perf_counter()
    folds = bt.backtest_sites(grids, kinds=kinds)
    print(f"## Forecast backtest ({time.perf_counter() - started:.0f} s)\n")
    print(bt.markdown_table(folds, kinds))
    print()
    for line in bt.verdict_lines(folds, kinds):
        print(f"- {line}")
    print()


def _first_year(times: np.ndarray) -> np.ndarray:
    years = bt.local_years(times)
    return years == years.min()


def _flags(
    t: np.ndarray,
    v: np.ndarray,
    forest: anomaly.IsolationForestDetector,
    robust: anomaly.RobustResidualDetector,
) -> dict[str, np.ndarray]:
    """Which values each detector (and each combination with the rules) calls anomalous."""
    result = run_qc(Series("PM25", "ambient_air", t, v), config_for("PM25", "ambient_air"))
    rules = np.isin(result.flags, [QcFlag.SUSPECT, QcFlag.BAD])
    rob = robust.check(t, v).reasons[anomaly.REASON]
    iso = forest.check(t, v).reasons[anomaly.REASON]
    return {
        "rules": rules,
        "robust residual": rob,
        "isolation forest": iso,
        "rules + robust": rules | rob,
        "rules + forest": rules | iso,
    }


def anomaly_section(sites: dict[str, AirnowSeries]) -> None:
    print("## Anomaly detection\n")
    lines = [
        "| site | detector | precision | recall | false-positive rate | recall by fault kind |",
        "|---|---|---|---|---|---|",
    ]
    labels = [
        "| site | detector | Invalid hours flagged | Valid hours flagged "
        "| Invalid caught only by the model |",
        "|---|---|---|---|---|",
    ]
    for site, s in sites.items():
        t, valid = s.times, s.valid_values
        train = _first_year(t)
        planted = evaluation.plant_faults(np.where(train, np.nan, valid), FAULTS, seed=1)
        values = np.where(train, valid, planted.values)
        judged = ~train & ~np.isnan(values)
        forest = anomaly.IsolationForestDetector().fit(t[train], valid[train])
        robust = anomaly.RobustResidualDetector()
        for name, f in _flags(t, values, forest, robust).items():
            d = evaluation.detection(name, f, planted.any_fault, judged)
            kinds = ", ".join(
                f"{k} {r:.0%}" for k, r in evaluation.recall_by_kind(f, planted).items()
            )
            lines.append(
                f"| {site} | {name} | {d.precision:.2f} | {d.recall:.2f} | "
                f"{d.false_positive_rate:.2%} | {kinds} |"
            )
        present = ~np.isnan(s.values)
        invalid = (s.qc == "Invalid") & present
        ok = (s.qc == "Valid") & present
        raw = _flags(t, s.values, forest, robust)
        for name, f in raw.items():
            extra = int(np.sum(f & ~raw["rules"] & invalid))
            labels.append(
                f"| {site} | {name} | {f[invalid].mean():.1%} ({int(f[invalid].sum())}/"
                f"{int(invalid.sum())}) | {f[ok].mean():.2%} | {extra} |"
            )
    print("Planted faults (after each site's first year; the model learns on the first year):\n")
    print("\n".join(lines))
    print("\nAgainst the provider's labels (all years, raw values):\n")
    print("\n".join(labels))
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=DATA, help="folder of AirNow CSV files")
    parser.add_argument("--fast", action="store_true", help="ridge only (no gradient boosting)")
    args = parser.parse_args()
    sites = airnow_sites(args.data)
    for site, s in sites.items():
        print(
            f"- {site}: {len(s)} hours, {int(np.sum(s.qc == 'Valid'))} valid; "
            f"{'; '.join(s.notes) or 'no notes'}"
        )
    print()
    forecast_section(sites, ("ridge",) if args.fast else ("ridge", "hgb"))
    anomaly_section(sites)


if __name__ == "__main__":
    main()
