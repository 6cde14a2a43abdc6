"""QCVN limit rules as data (qcvn_limits.csv, verbatim from the reference pack).

Each row of the reference names a regulation, a medium, a parameter (by its printed name), a
column/class, a min and/or max, and an averaging period. We map the printed name to a catalogue
code with `limit_parameters.csv`, and add validity dates where the regulation itself sets them
(QCVN 05:2023 PM2.5 24 h: 50 µg/Nm³ until 31/12/2025, 45 µg/Nm³ from 01/01/2026).

Confidence differs per row (high → low); it is carried on every rule so a report can say how
sure the limit is. Rows marked low must be confirmed against the Official Gazette before they
drive enforcement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

#: Averaging periods used by the regulations, as written in the data.
AVERAGING_PERIODS = ("1h", "8h", "24h", "year", "single sample")


@dataclass(frozen=True, slots=True)
class LimitRule:
    """One limit of one regulation for one parameter, column/class and averaging period.

    `minimum`/`maximum` are in `unit`. A rule with only `minimum` is a floor (DO). A rule with
    both is a range (pH). `scalable` says whether QCVN 40:2011-style Kq × Kf (or QCVN 14 K)
    multiplies the maximum; the regulations exempt pH and coliforms (sibling regulations; not
    verified for QCVN 40:2011 itself).
    """

    regulation: str
    medium: str
    parameter_name: str
    parameter_code: str | None
    unit: str
    column: str
    minimum: float | None
    maximum: float | None
    averaging: str
    valid_from: date | None
    valid_to: date | None
    scalable: bool
    note: str
    confidence: str
    source: str
    line: int

    def applies_on(self, day: date) -> bool:
        """True when the rule is in force on `day` (validity is inclusive at both ends)."""
        if self.valid_from and day < self.valid_from:
            return False
        return not (self.valid_to and day > self.valid_to)
