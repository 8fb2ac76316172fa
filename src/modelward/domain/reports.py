"""The stored record of a validation: which version, when, by whom, passed or not, and where
the full report (JSON and HTML artifacts) is. The report itself is `domain.results`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ReportRecord:
    model: str
    version: int
    created_at: datetime
    created_by: str
    passed: bool
    task: str
    report_sha256: str
    html_sha256: str | None = None
    dataset_id: str | None = None
    against: str | None = None
    # {"checks": [...], "warnings": [...], "data_rows": N, "overlap_rows": N, "overlap_share": X}
    summary: dict[str, Any] = field(default_factory=dict)
    id: int | None = None
    # the roles `created_by` held when storing it (None: not recorded, before revision 0010);
    # only a report stored by one of the policy's `evidence_roles` is gate evidence
    author_roles: tuple[str, ...] | None = None
