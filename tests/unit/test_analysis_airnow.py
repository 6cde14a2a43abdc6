"""The AirNow DOS file reader: layouts, missing values, the US daylight-saving artefact."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from quantrac.analysis.airnow import airnow_sites, parse_airnow, read_airnow
from quantrac.errors import CodecError

HEADER = (
    "Site,Parameter,Date (LT),Year,Month,Day,Hour,NowCast Conc.,AQI,AQI Category,Raw Conc.,"
    "Conc. Unit,Duration,QC Name"
)


def row(day: int, hour: int, raw: float, qc: str = "Valid", month: int = 3) -> str:
    return (
        f"Hanoi,PM2.5 - Principal,2017-{month:02d}-{day:02d} {hour:02d}:00 AM,2017,{month:02d},"
        f"{day:02d},{hour:02d},-999,-999,N/A,{raw},UG/M3,1 Hr,{qc}"
    )


def epoch(day: int, hour: int, month: int = 3) -> int:
    return (
        int(np.datetime64(f"2017-{month:02d}-{day:02d}T{hour:02d}:00", "s").astype(int)) - 7 * 3600
    )


def test_us_spring_forward_repeat_goes_back_to_the_absent_hour() -> None:
    text = "\n".join(
        [HEADER, row(12, 1, 31.8), row(12, 3, 26.9), row(12, 3, 25.2), row(12, 4, 31.6)]
    )
    s = parse_airnow(text, "x.csv")
    assert s.times.tolist() == [epoch(12, h) for h in (1, 2, 3, 4)]
    assert s.values.tolist() == [31.8, 26.9, 25.2, 31.6]
    assert s.notes == ("x.csv: 1 repeated hour(s) moved to the absent hour before (US DST)",)


def test_missing_invalid_semicolons_and_no_header() -> None:
    text = "\n".join(
        r.replace(",", ";") for r in [row(1, 1, -999.0, "Missing"), row(1, 2, 985.0, "Invalid")]
    )
    s = parse_airnow(text)
    assert np.isnan(s.values[0]) and s.values[1] == 985.0
    assert s.qc.tolist() == ["Missing", "Invalid"]
    assert np.isnan(s.valid_values).all()  # neither is truth for a backtest
    assert s.site == "Hanoi"


def test_a_repeat_that_cannot_be_placed_is_reported_not_hidden() -> None:
    s = parse_airnow("\n".join([row(1, 1, 5.0), row(1, 2, 6.0), row(1, 2, 7.0)]))
    assert s.values.tolist() == [5.0, 6.0] and "first kept" in s.notes[-1]


def test_bad_rows_name_the_file_and_line() -> None:
    with pytest.raises(CodecError, match=r"x\.csv, line 2: expected 14 fields"):
        parse_airnow("\n".join([row(1, 1, 5.0), "Hanoi,PM2.5,oops"]), "x.csv")
    with pytest.raises(CodecError, match="no data rows"):
        parse_airnow(HEADER)


def test_real_files_merge_per_site(shared_dir: Path) -> None:
    sites = airnow_sites(shared_dir / "data/air/airnow-us-state-dept")
    assert set(sites) == {"Hanoi", "Ho Chi Minh City"}
    hanoi = sites["Hanoi"]
    assert np.all(np.diff(hanoi.times) > 0)  # sorted, unique: every DST repeat placed
    assert len(hanoi) == 35_740 and int(np.sum(hanoi.qc == "Invalid")) == 308
    one = read_airnow(shared_dir / "data/air/airnow-us-state-dept/Hanoi_PM2.5_2017_YTD.csv")
    assert len(one) == 8760 and one.times[0] == epoch(1, 1, month=1)
