"""Quality review of stored data: the QC job over stored windows, staff review and approval
(periods, flag overrides, corrections — each audited), QC reports, and tamper screening.

Public API for the portal and the API:

- `quantrac.review.approval.approved_clause(series_id_col, time_col)` — SQL filter for what
  the public sees; `approved_mask(store, series_id, times)` — the same as an array.
- `quantrac.review.approval.mark_period`, `quantrac.review.edits.override_flags`,
  `correct_value`, `history` — staff actions and the revision trail.
- `quantrac.review.qc_job.run_qc_job` — the automatic context checks.
- `quantrac.review.tamper_job.screen_station` — tamper indicators with evidence.
"""
