"""Builders for governance tests: governed clients, versions with data, stored reports."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from modelward.client import Client
from modelward.domain.registry import ModelVersion
from modelward.domain.reports import ReportRecord
from modelward.domain.results import CheckResult
from tests.builders import applicants, fitted_classifier

START = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


class Clock:
    """A settable clock that moves one second per reading."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@contextmanager
def acting_as(client: Client, user: str) -> Iterator[Client]:
    """Run the block as `user` (MODELWARD_USER for one block)."""
    before = client.backend.actor
    client.backend.actor = user
    try:
        yield client
    finally:
        client.backend.actor = before


def register(client: Client, name: str = "credit-risk", *, author: str = "alice") -> ModelVersion:
    """A new version of `name`, registered by `author`, trained on the applicants frame."""
    frame = applicants()
    model, features = fitted_classifier(frame)
    with acting_as(client, author):
        with client.start_run("credit") as run:
            run.log_dataset(frame, name="train", role="training")
            run.log_model(model, "model", input_example=features.head(5))
        return client.registry.register(run.id, name=name)


def check(name: str, value: float = 0.9, *, passed: bool | None = True) -> dict[str, Any]:
    """A check as a report summary holds it."""
    category = name.split(".", 1)[0]
    return CheckResult(name, category, value, 0.5, passed, "min").to_dict()


DEFAULT_CHECKS = ("performance.roc_auc", "data_quality.missing_rate")


def store_report(
    client: Client,
    version: ModelVersion,
    *,
    checks: tuple[str, ...] | list[dict[str, Any]] = DEFAULT_CHECKS,
    passed: bool = True,
    author: str = "val",
    roles: tuple[str, ...] | None = ("validator",),
    content: str = "report",
    overlap_share: float | None = None,
) -> ReportRecord:
    """Insert a validation report record directly through the repository, as stored by
    `author` holding `roles`; `content` stands for what was stored (its sha256 is the id
    sign-offs are bound to)."""
    summary_checks = [check(c) if isinstance(c, str) else c for c in checks]
    summary: dict[str, Any] = {"checks": summary_checks, "warnings": []}
    if overlap_share is not None:
        summary |= {"overlap_share": overlap_share, "overlap_rows": round(overlap_share * 1000)}
    record = ReportRecord(
        model=version.model,
        version=version.version,
        created_at=client.backend.now(),
        created_by=author,
        passed=passed,
        task="classification",
        report_sha256=hashlib.sha256(content.encode()).hexdigest(),
        summary=summary,
        author_roles=roles,
    )
    uow = client.backend.uow()
    with uow:
        report_id = uow.validation.save_report(record)
        uow.commit()
    return replace(record, id=report_id)


MEDIUM_FIELDS = ("intended_use", "limitations", "training_data")


def fill_card(
    client: Client, version: ModelVersion, fields: tuple[str, ...] = MEDIUM_FIELDS
) -> None:
    for field in fields:
        client.governance.set_card_field(version.model, version.version, field, f"{field} text")


def dataset_id(client: Client, version: ModelVersion) -> str:
    run = client.tracking.get_run(version.run_id or "")
    return run.datasets[0].dataset_id
