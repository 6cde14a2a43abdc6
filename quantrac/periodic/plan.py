"""What an import changes in the store, decided before anything is written.

Pure: given the standard results and what is stored under the same keys, `plan_writes` says
which samples and results are new, which changed (old and new values, for the audit trail) and
which are identical. Writing the same file twice therefore plans nothing the second time, and a
dry run reports exactly what a real import would do.

Keys: a sample is (station, sampled_at UTC, sample code); a result is (sample, parameter).
A corrected file overwrites what it gives; it never deletes a result it leaves out, and an empty
metadata cell (lab, layer…) keeps the stored value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date

from quantrac.periodic.model import (
    ResultValues,
    SampleFields,
    SampleKey,
    StandardResult,
    WriteCounts,
)


@dataclass(frozen=True, slots=True)
class StoredSample:
    id: int
    fields: SampleFields


@dataclass(frozen=True, slots=True)
class SampleChange:
    sample_id: int
    old: SampleFields
    new: SampleFields


@dataclass(frozen=True, slots=True)
class NewResult:
    key: SampleKey
    parameter_code: str
    values: ResultValues
    row: int


@dataclass(frozen=True, slots=True)
class ResultChange:
    sample_id: int
    parameter_code: str
    old: ResultValues
    new: ResultValues
    row: int


@dataclass(frozen=True, slots=True)
class WritePlan:
    new_samples: dict[SampleKey, SampleFields]
    sample_changes: list[SampleChange]
    new_results: list[NewResult]
    result_changes: list[ResultChange]
    samples_unchanged: int
    results_unchanged: int
    #: Local sampling dates each campaign code covers (its period is widened to include them).
    campaign_days: dict[str, tuple[date, date]] = field(default_factory=dict)
    new_campaigns: tuple[str, ...] = ()

    def counts(self) -> WriteCounts:
        return WriteCounts(
            samples_new=len(self.new_samples),
            samples_updated=len(self.sample_changes),
            samples_unchanged=self.samples_unchanged,
            results_new=len(self.new_results),
            results_updated=len(self.result_changes),
            results_unchanged=self.results_unchanged,
            campaigns_new=len(self.new_campaigns),
        )


def plan_writes(
    results: Sequence[StandardResult],
    stored_samples: Mapping[SampleKey, StoredSample],
    stored_results: Mapping[tuple[int, str], ResultValues],
    *,
    campaign: str | None = None,
    known_campaigns: frozenset[str] = frozenset(),
) -> WritePlan:
    """Diff the results against the store. `campaign` overrides the file's campaign column."""
    samples = sample_fields(results, campaign)
    new_samples: dict[SampleKey, SampleFields] = {}
    changes: list[SampleChange] = []
    unchanged_samples = 0
    for key, wanted in samples.items():
        stored = stored_samples.get(key)
        if stored is None:
            new_samples[key] = wanted
            continue
        merged = merge_fields(stored.fields, wanted)
        if merged == stored.fields:
            unchanged_samples += 1
        else:
            changes.append(SampleChange(stored.id, stored.fields, merged))
    new_results: list[NewResult] = []
    result_changes: list[ResultChange] = []
    unchanged_results = 0
    for r in results:
        stored = stored_samples.get(r.key)
        old = None if stored is None else stored_results.get((stored.id, r.parameter_code))
        if stored is None or old is None:
            new_results.append(NewResult(r.key, r.parameter_code, r.values, r.row))
        elif same_values(old, r.values):
            unchanged_results += 1
        else:
            result_changes.append(ResultChange(stored.id, r.parameter_code, old, r.values, r.row))
    days = campaign_days(results, samples)
    return WritePlan(
        new_samples,
        changes,
        new_results,
        result_changes,
        unchanged_samples,
        unchanged_results,
        days,
        tuple(c for c in days if c not in known_campaigns),
    )


def sample_fields(
    results: Sequence[StandardResult], campaign: str | None = None
) -> dict[SampleKey, SampleFields]:
    """One set of fields per sample: the first non-empty value each field has in the file."""
    out: dict[SampleKey, SampleFields] = {}
    overridden: dict[int, SampleFields] = {}
    for r in results:
        wanted = r.sample
        if campaign is not None:
            wanted = overridden.get(id(wanted)) or overridden.setdefault(
                id(wanted), replace(wanted, campaign=campaign)
            )
        current = out.get(r.key)
        if current is None:
            out[r.key] = wanted
        elif current is not wanted and current != wanted:
            out[r.key] = merge_fields(current, wanted)
    return out


def merge_fields(stored: SampleFields, given: SampleFields) -> SampleFields:
    """`given` over `stored`, except where `given` is empty."""
    changes = {
        f.name: getattr(given, f.name)
        for f in fields(SampleFields)
        if getattr(given, f.name) is not None
    }
    return replace(stored, **changes)


def same_values(a: ResultValues, b: ResultValues) -> bool:
    """Equal, with floats compared to 12 significant digits (what a unit conversion keeps)."""
    for x, y in zip(a, b, strict=True):
        if isinstance(x, float) and isinstance(y, float):
            if not math.isclose(x, y, rel_tol=1e-12, abs_tol=0.0):
                return False
        elif x != y:
            return False
    return True


def campaign_days(
    results: Sequence[StandardResult], samples: Mapping[SampleKey, SampleFields]
) -> dict[str, tuple[date, date]]:
    days: dict[str, tuple[date, date]] = {}
    for r in results:
        code = samples[r.key].campaign
        if code is None:
            continue
        first, last = days.get(code, (r.local_day, r.local_day))
        days[code] = (min(first, r.local_day), max(last, r.local_day))
    return days
