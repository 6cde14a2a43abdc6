"""Periodic monitoring: lab results from CSV/XLSX sheets into campaigns, samples and results,
with a row-by-row validation report, QCVN compliance at import, and XLSX templates per medium.

Flow: `codecs.sheet` (bytes → records) → `standardize` → `validate` → `compliance` → `plan`
(pure diff against the store) → `store` (the only module here that touches the database).
"""

from quantrac.periodic.importer import import_sheet
from quantrac.periodic.model import (
    Exceedance,
    ImportReport,
    Issue,
    Mode,
    StationInfo,
    WriteCounts,
)
from quantrac.periodic.store import list_results
from quantrac.periodic.templates import write_template

__all__ = [
    "Exceedance",
    "ImportReport",
    "Issue",
    "Mode",
    "StationInfo",
    "WriteCounts",
    "import_sheet",
    "list_results",
    "write_template",
]
