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
    #: "limit" (minimum/maximum apply); "not_detected" (KPH: any detection exceeds);
    #: "class_bound" (QCVN 08:2023 level C/D rows whose minimum says where a worse class
    #: starts, exclusively — a classification boundary, not a limit to stay above); or
    #: "descriptive" (a class described in words, e.g. level D pH "< 6.0 or > 8.5").
    kind: str = "limit"

    @property
    def is_limit(self) -> bool:
        """Whether a value can comply with or exceed this rule."""
        return self.kind in ("limit", "not_detected")

    def applies_on(self, day: date) -> bool:
        """True when the rule is in force on `day` (validity is inclusive at both ends)."""
        if self.valid_from and day < self.valid_from:
            return False
        return not (self.valid_to and day > self.valid_to)


LIMITS_FILE = "qcvn_limits.csv"
NAMES_FILE = "limit_parameters.csv"
REGULATIONS_FILE = "regulations.csv"

#: Parameters that Kq/Kf (QCVN 40:2011) and K (QCVN 14:2008) never scale. QCVN 14:2008 says
#: so for pH and total coliforms; for QCVN 40:2011 this follows sibling regulations and is
#: NOT verified against the text (reference pack, qcvn-limits.md).
UNSCALED_PARAMETERS = frozenset({"PH", "COLIFORM", "TEMP", "COLOR"})
SCALED_REGULATIONS = ("QCVN 40:2011", "QCVN 14:2008")

#: Dates some rows carry in their note, as the regulation states them.
_NOTE_DATES = {
    "applies until 31/12/2025": (None, date(2025, 12, 31)),
    "applies from 01/01/2026": (date(2026, 1, 1), None),
}


@dataclass(frozen=True, slots=True)
class Regulation:
    code: str
    medium: str
    effective_from: date | None
    effective_to: date | None
    replaced_by: str | None
    issued_by: str
    column_keys: dict[str, str]
    always_applies: tuple[str, ...]
    note: str


def load_regulations(media: object, text: str | None = None) -> dict[str, Regulation]:
    from quantrac.catalog.csvdata import parse_date, read_rows, split_list
    from quantrac.errors import CatalogError

    required = (
        "code",
        "medium",
        "effective_from",
        "effective_to",
        "replaced_by",
        "issued_by",
        "column_keys",
        "always_applies",
        "note",
    )
    regs: dict[str, Regulation] = {}
    for line, row in read_rows(REGULATIONS_FILE, required, text):
        keys: dict[str, str] = {}
        for item in split_list(row["column_keys"]):
            printed, sep, short = item.rpartition("=")
            if not sep:
                raise CatalogError(REGULATIONS_FILE, line, f"column key {item!r} lacks '='")
            keys[printed] = short
        medium = media.get(row["medium"]).code  # type: ignore[attr-defined]
        regs[row["code"]] = Regulation(
            row["code"],
            medium,
            parse_date(REGULATIONS_FILE, line, "effective_from", row["effective_from"]),
            parse_date(REGULATIONS_FILE, line, "effective_to", row["effective_to"]),
            row["replaced_by"] or None,
            row["issued_by"],
            keys,
            tuple(split_list(row["always_applies"])),
            row["note"],
        )
    return regs


def load_limit_rules(
    media: object,
    regulations: dict[str, Regulation],
    text: str | None = None,
    names_text: str | None = None,
) -> list[LimitRule]:
    """Read qcvn_limits.csv; rows that are Kq factors (not limits) are left out."""
    from quantrac.catalog.csvdata import parse_float, read_rows
    from quantrac.errors import CatalogError

    codes = {
        row["name"]: row["code"] or None
        for _, row in read_rows(NAMES_FILE, ("name", "code"), names_text)
    }
    required = (
        "regulation",
        "medium",
        "parameter",
        "unit",
        "column_class",
        "limit_min",
        "limit_max",
        "averaging_period",
        "note",
        "confidence",
        "source",
    )
    rules: list[LimitRule] = []
    for line, row in read_rows(LIMITS_FILE, required, text):
        if row["column_class"] == "Kq":
            continue
        regulation = row["regulation"]
        if regulation not in regulations:
            raise CatalogError(
                LIMITS_FILE, line, f"regulation {regulation!r} not in {REGULATIONS_FILE}"
            )
        if row["parameter"] not in codes:
            raise CatalogError(
                LIMITS_FILE, line, f"parameter {row['parameter']!r} not mapped in {NAMES_FILE}"
            )
        averaging = row["averaging_period"] or "single sample"
        if averaging not in AVERAGING_PERIODS:
            raise CatalogError(LIMITS_FILE, line, f"averaging period {averaging!r} unknown")
        low = parse_float(LIMITS_FILE, line, "limit_min", row["limit_min"])
        high = parse_float(LIMITS_FILE, line, "limit_max", row["limit_max"])
        kind = "class_bound" if "exclusive lower bound" in row["note"].casefold() else "limit"
        if low is None and high is None:
            if "KPH" in row["note"]:
                kind = "not_detected"
            elif row["note"]:
                kind = "descriptive"
            else:
                raise CatalogError(LIMITS_FILE, line, "neither limit_min nor limit_max")
        if low is not None and high is not None and low > high:
            raise CatalogError(LIMITS_FILE, line, "limit_min is above limit_max")
        valid_from, valid_to = _NOTE_DATES.get(row["note"], (None, None))
        code = codes[row["parameter"]]
        rules.append(
            LimitRule(
                regulation=regulation,
                medium=media.get(row["medium"]).code,  # type: ignore[attr-defined]
                parameter_name=row["parameter"],
                parameter_code=code,
                unit=row["unit"],
                column=row["column_class"],
                minimum=low,
                maximum=high,
                averaging=averaging,
                valid_from=valid_from,
                valid_to=valid_to,
                scalable=regulation.startswith(SCALED_REGULATIONS)
                and code not in UNSCALED_PARAMETERS,
                note=row["note"],
                confidence=row["confidence"],
                source=row["source"],
                line=line,
                kind=kind,
            )
        )
    return rules
