"""The validation report and what it keeps out of the store.

Pure. Collects the codec's problems and the standardizer's issues, adds duplicate checks on
resolved keys (two aliases of one parameter, or two rows of one sample, are only visible once
names are codes), and selects the results an import may store:

- an error in a cell, a date or a station code keeps its whole **row** out (a wide row is one
  sample; half a sample is not stored);
- an error in a header (unknown parameter, wrong unit) keeps that **column's** cells out;
- an error about the whole file keeps everything out.

Duplicate samples keep **both** rows out: which one the lab meant is for a person to say.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from quantrac.codecs.sheet import SheetProblem, SheetReadResult
from quantrac.periodic.messages import text
from quantrac.periodic.model import Issue, StandardResult

_SHOWN = 6


@dataclass(frozen=True, slots=True)
class Validation:
    accepted: list[StandardResult]
    issues: list[Issue]
    rejected_rows: tuple[int, ...]
    blocked: bool


def validate(
    read: SheetReadResult,
    results: Sequence[StandardResult],
    issues: Iterable[Issue],
    lang: str = "vi",
) -> Validation:
    """All issues in sheet order, the results that may be stored, and the rows that may not."""
    duplicates, replaced_rows = duplicate_issues(results, lang)
    codec = [
        issue
        for problem, issue in ((p, codec_issue(p)) for p in read.problems)
        if not (_is_row_duplicate(problem) and problem.row in replaced_rows)
    ]
    every = [*codec, *issues, *duplicates]
    accepted, blocked = select(results, every)
    return Validation(accepted, _ordered(every), _rejected_rows(read, accepted, every), blocked)


def codec_issue(problem: SheetProblem) -> Issue:
    """A codec problem as a report line; its scope follows from where it points."""
    if problem.row is not None:
        scope = "row"
    elif problem.column is not None:
        scope = "column"
    else:
        scope = "file"
    return Issue(
        problem.message,
        severity=problem.severity,
        scope=scope,
        rows=(problem.row,) if problem.row is not None else (),
        column=problem.column,
        column_name=problem.column_name,
        value=problem.value,
        suggestion=problem.suggestion,
        stage="read",
    )


def duplicate_issues(
    results: Sequence[StandardResult], lang: str = "vi"
) -> tuple[list[Issue], set[int]]:
    """Issues for results that share a sample key and parameter; and the later rows of pairs
    the codec already saw (same text), whose codec problem this report replaces."""
    first_of: dict[tuple[object, ...], StandardResult] = {}
    row_pairs: dict[tuple[int, int], list[str]] = {}
    column_pairs: dict[tuple[str, str, str], list[int]] = {}
    replaced: set[int] = set()
    for result in results:
        key = (*result.key, result.parameter_code)
        first = first_of.setdefault(key, result)
        if first is result:
            continue
        if first.row == result.row:
            pair = (first.column, result.column, result.parameter_code)
            column_pairs.setdefault(pair, []).append(result.row)
            continue
        row_pairs.setdefault((first.row, result.row), []).append(result.parameter_code)
        if _codec_key(first) == _codec_key(result):
            replaced.add(result.row)
    issues = []
    for (first_row, later_row), codes in row_pairs.items():
        shown = ", ".join(codes[:_SHOWN]) + (f" … ({len(codes)})" if len(codes) > _SHOWN else "")
        issues.append(
            Issue(
                text("duplicate_rows", lang, first=first_row, later=later_row, params=shown),
                rows=(first_row, later_row),
                suggestion=text("duplicate_rows_hint", lang),
                stage="validate",
            )
        )
    for (first_column, later_column, code), rows in column_pairs.items():
        issues.append(
            Issue(
                text("duplicate_columns", lang, first=first_column, later=later_column, code=code),
                scope="cell",
                rows=tuple(rows),
                column=later_column,
                suggestion=text("duplicate_columns_hint", lang),
                stage="validate",
            )
        )
    return issues, replaced


def select(
    results: Sequence[StandardResult], issues: Iterable[Issue]
) -> tuple[list[StandardResult], bool]:
    """The results no error keeps out, and whether an error blocks the whole file."""
    rows: set[int] = set()
    cells: set[tuple[int, str | None]] = set()
    columns: set[str | None] = set()
    blocked = False
    for issue in issues:
        if issue.severity != "error":
            continue
        if issue.scope == "file":
            blocked = True
        elif issue.scope == "column" or (issue.scope == "row" and not issue.rows):
            columns.add(issue.column)
        elif issue.scope == "cell":
            cells.update((row, issue.column) for row in issue.rows)
        else:
            rows.update(issue.rows)
    if blocked:
        return [], True
    accepted = [
        r
        for r in results
        if r.row not in rows and r.column not in columns and (r.row, r.column) not in cells
    ]
    return accepted, False


def _is_row_duplicate(problem: SheetProblem) -> bool:
    """The codec's duplicate-sample problem: an error on a row with no column."""
    return problem.severity == "error" and problem.row is not None and problem.column is None


def _codec_key(result: StandardResult) -> tuple[object, ...]:
    """The key the codec compares duplicates on: names as written."""
    r = result.record
    name = " ".join(r.parameter.casefold().split())
    return (r.station_code, r.sampled_at, r.sample_code, r.depth, r.layer, name)


def _rejected_rows(
    read: SheetReadResult, accepted: Sequence[StandardResult], issues: Iterable[Issue]
) -> tuple[int, ...]:
    """Rows with an error, or with a result that is not stored."""
    kept: dict[int, int] = {}
    for r in accepted:
        kept[r.row] = kept.get(r.row, 0) + 1
    read_per_row: dict[int, int] = {}
    for record in read.records:
        read_per_row[record.row] = read_per_row.get(record.row, 0) + 1
    rows = {row for row, n in read_per_row.items() if kept.get(row, 0) < n}
    rows.update(row for i in issues if i.severity == "error" and i.scope == "row" for row in i.rows)
    return tuple(sorted(rows))


def _ordered(issues: Iterable[Issue]) -> list[Issue]:
    """Errors first, then by row and column, so the report reads like the sheet."""
    rank = {"error": 0, "warning": 1, "info": 2}
    return sorted(
        issues, key=lambda i: (rank[i.severity], i.row or 0, len(i.column or ""), i.column or "")
    )
