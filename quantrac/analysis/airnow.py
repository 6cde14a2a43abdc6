"""Reader for the US State Department AirNow "DOS historical data" PM2.5 files.

These hourly files (US Embassy Hanoi, US Consulate HCMC) are the longest public reference-grade
PM2.5 record in Vietnam, with the provider's own QC verdict per hour, so the analysis package
uses them to evaluate anomaly detection and to backtest forecasts. Layout (see the
`.source.md` beside each file): comma or semicolon separated, with or without a header row;
`Raw Conc.` in µg/m³ with −999 for missing; `QC Name` Valid | Invalid | Suspect | Missing.

Times come from Year/Month/Day/Hour, hour-ending, UTC+7. The `Date (LT)` column and the Hour
field carry a US daylight-saving artefact (on the US spring-forward day hour 02 is absent and
hour 03 appears twice, although Vietnam has no DST): when a time repeats and the hour before it
is absent, the first copy is that absent hour — the provider's own NowCast column confirms
this order. Nothing is dropped silently: other repeated times are counted in `notes`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from quantrac.errors import CodecError

HOUR_S = 3600
#: Vietnam (UTC+7, no daylight saving).
UTC_OFFSET_S = 7 * HOUR_S
MISSING = -999.0
_MIN_FIELDS = 14
_SITE, _YEAR, _MONTH, _DAY, _HOUR, _RAW, _QC = 0, 3, 4, 5, 6, 10, 13


@dataclass(frozen=True, eq=False)
class AirnowSeries:
    """One site's hourly PM2.5: hour-end UTC epoch seconds (sorted, unique), raw values (NaN =
    missing) and the provider's QC name per hour."""

    site: str
    times: NDArray[np.int64]
    values: NDArray[np.float64]
    qc: NDArray[np.str_]
    notes: tuple[str, ...] = field(default=())

    def __len__(self) -> int:
        return int(self.times.shape[0])

    @property
    def valid_values(self) -> NDArray[np.float64]:
        """Values the provider kept (QC Name Valid); NaN elsewhere — the truth for backtests."""
        return np.where(self.qc == "Valid", self.values, np.nan)


def _rows(text: str, name: str) -> list[list[str]]:
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = [r for r in csv.reader(text.splitlines(), delimiter=delimiter) if r]
    if rows and rows[0][0].strip() == "Site":
        rows = rows[1:]
    for i, r in enumerate(rows, start=1):
        if len(r) < _MIN_FIELDS:
            raise CodecError(f"expected {_MIN_FIELDS} fields, got {len(r)}", name, i)
    return rows


def _fix_dst_repeats(times: NDArray[np.int64]) -> tuple[NDArray[np.int64], int]:
    """Move the first copy of a repeated hour into the absent hour before it (US DST)."""
    out = times.copy()
    moved = 0
    present = set(out.tolist())
    for i in np.flatnonzero(out[1:] == out[:-1]):
        earlier = int(out[i]) - HOUR_S
        if earlier not in present:
            out[i] = earlier
            present.add(earlier)
            moved += 1
    return out, moved


def parse_airnow(text: str, name: str = "<text>") -> AirnowSeries:
    """Parse one AirNow DOS file's text (see the module docstring for the rules)."""
    rows = _rows(text, name)
    if not rows:
        raise CodecError("no data rows", name)
    try:
        ymd = np.array(
            [f"{int(r[_YEAR]):04d}-{int(r[_MONTH]):02d}-{int(r[_DAY]):02d}" for r in rows],
            dtype="datetime64[D]",
        )
        hours = np.array([int(r[_HOUR]) for r in rows], dtype=np.int64)
        values = np.array([float(r[_RAW]) for r in rows], dtype=np.float64)
    except ValueError as exc:
        raise CodecError(f"bad date or value: {exc}", name) from None
    times = ymd.astype("datetime64[s]").astype(np.int64) + hours * HOUR_S - UTC_OFFSET_S
    qc = np.array([r[_QC].strip() for r in rows])
    values[values <= MISSING] = np.nan
    times, moved = _fix_dst_repeats(times)
    notes = [f"{name}: {moved} repeated hour(s) moved to the absent hour before (US DST)"]
    notes = notes if moved else []
    return _assemble(rows[0][_SITE].strip(), times, values, qc, notes)


def _assemble(
    site: str,
    times: NDArray[np.int64],
    values: NDArray[np.float64],
    qc: NDArray[np.str_],
    notes: list[str],
) -> AirnowSeries:
    order = np.argsort(times, kind="stable")
    times, values, qc = times[order], values[order], qc[order]
    keep = np.concatenate(([True], times[1:] != times[:-1]))
    if not keep.all():
        notes.append(f"{int((~keep).sum())} repeated hour(s) left after the DST fix: first kept")
    return AirnowSeries(site, times[keep], values[keep], qc[keep], tuple(notes))


def read_airnow(paths: Path | Sequence[Path]) -> AirnowSeries:
    """One site's series from one or more yearly files (all of the same site)."""
    files = [paths] if isinstance(paths, Path) else list(paths)
    if not files:
        raise CodecError("no AirNow files given")
    parts = [parse_airnow(p.read_text(encoding="utf-8-sig"), p.name) for p in files]
    sites = {p.site for p in parts}
    if len(sites) != 1:
        raise CodecError(f"files of several sites given together: {sorted(sites)}")
    return _assemble(
        parts[0].site,
        np.concatenate([p.times for p in parts]),
        np.concatenate([p.values for p in parts]),
        np.concatenate([p.qc for p in parts]),
        [n for p in parts for n in p.notes],
    )


def airnow_sites(folder: Path, files: Iterable[Path] | None = None) -> dict[str, AirnowSeries]:
    """Every site in a folder of AirNow files ('Hanoi', 'Ho Chi Minh City'), files merged."""
    by_site: dict[str, list[Path]] = {}
    for path in sorted(files if files is not None else folder.glob("*.csv")):
        site = parse_airnow_site(path)
        by_site.setdefault(site, []).append(path)
    return {site: read_airnow(paths) for site, paths in by_site.items()}


def parse_airnow_site(path: Path) -> str:
    """The site named on the first data row of a file."""
    with path.open(encoding="utf-8-sig") as fh:
        for line in fh:
            cells = line.replace(";", ",").split(",")
            if cells and cells[0].strip() and cells[0].strip() != "Site":
                return cells[0].strip()
    raise CodecError("no data rows", path.name)
