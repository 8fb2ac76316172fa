"""Validation use-cases: evaluate a registered version on held-out data and keep the report.

The report is stored as two artifacts (JSON for machines, self-contained HTML for people) and
a `ReportRecord` linked to the version, in one transaction with its audit event.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from modelward.domain.audit import AuditEvent
from modelward.domain.ports import ArtifactStore, Guard, UnitOfWork
from modelward.domain.registry import ModelVersion, parse_model_uri
from modelward.domain.reports import ReportRecord
from modelward.domain.results import ValidationReport
from modelward.domain.roles import Action
from modelward.errors import InvalidInput, NotFound
from modelward.registry import service as registry
from modelward.registry.signature import enforce
from modelward.stats import profile as profiling
from modelward.stats.quality import check_quality, to_check_results
from modelward.validation.checks import evaluate
from modelward.validation.config import ValidationConfig
from modelward.validation.report_html import render_html


@dataclass(frozen=True)
class Validated:
    """A stored validation: the full report and its record (with artifact addresses)."""

    report: ValidationReport
    record: ReportRecord


def _training_profile(uow: UnitOfWork, version: ModelVersion) -> dict[str, Any] | None:
    if not version.run_id:
        return None
    run = uow.tracking.get_run(version.run_id)
    training = [d for d in run.datasets if d.role == "training"]
    return training[0].profile if training else None


def _against(
    uow: UnitOfWork,
    artifacts: ArtifactStore,
    version: ModelVersion,
    against: str | None,
    *,
    allow_pickle: bool,
) -> tuple[Any, str | None]:
    """Load the champion to compare with: an alias of the same model, or any model URI."""
    if not against:
        return None, None
    uri = against if against.startswith("models:/") else f"models:/{version.model}@{against}"
    parse_model_uri(uri)
    try:
        other = registry.resolve(uow, uri)
    except NotFound as exc:
        raise NotFound(f"Cannot compare with {against!r}: {exc}") from exc
    if (other.model, other.version) == (version.model, version.version):
        return None, None  # comparing a version with itself says nothing
    champion = registry.load_model(uow, artifacts, uri=other.uri, allow_pickle=allow_pickle)
    return champion.without_checks(), other.uri


def _features(version: ModelVersion) -> list[str] | None:
    columns = [c["name"] for c in version.signature.get("columns", [])]
    return columns or None


def may_validate(uow: UnitOfWork, *, guard: Guard, model_uri: str) -> ModelVersion:
    """The version `model_uri` points at, if the actor may validate it: checked before the
    data is read or the model loaded.

    Raises:
        InvalidInput: not a model URI.
        NotFound: no such model, version or alias.
        PermissionDenied: the actor may not validate.
    """
    version = registry.resolve(uow, model_uri)
    with uow:
        guard.require(uow, Action.VALIDATE, subject=f"{version.model}/{version.version}")
    return version


def validate_version(
    uow: UnitOfWork,
    artifacts: ArtifactStore,
    *,
    model_uri: str,
    data: object,
    target: str,
    guard: Guard,
    sensitive: Sequence[str] = (),
    against: str | None = None,
    config: ValidationConfig | None = None,
    custom_metrics: Mapping[str, Callable[..., float]] | None = None,
    allow_pickle: bool,
) -> Validated:
    """Validate the version `model_uri` points at on `data`; store and return the report.

    `allow_pickle` says whether pickle-format models (the version, or the one compared against)
    may be unpickled: True in the user's own process, False on the platform server.

    Raises:
        InvalidInput: the data is empty or does not match the model (target missing, columns
            missing or mistyped, one group in a sensitive attribute, a regression target for a
            classifier ...); the message names the problem. Also a pickle-format model when
            `allow_pickle` is False.
        NotFound: no such model, version or alias to compare against.
        PermissionDenied: the actor may not validate.
    """
    actor, now = guard.actor, guard.now()
    frame = profiling.to_frame(data)
    if len(frame) == 0:
        raise InvalidInput("The validation data has no rows.")
    if target not in frame.columns:
        raise InvalidInput(
            f"Target column {target!r} is not in the validation data; its columns are"
            f" {', '.join(map(repr, list(frame.columns)[:20]))}."
        )
    version = may_validate(uow, guard=guard, model_uri=model_uri)
    model = registry.load_model(
        uow, artifacts, uri=version.uri, allow_pickle=allow_pickle
    ).without_checks()
    features = _features(version)
    if features:
        # The signature check names every missing or mistyped column in one message.
        checked = enforce(version.signature, frame)
        frame = frame.assign(**{c: checked[c] for c in features})
    with uow:
        profile = _training_profile(uow, version)
    champion, champion_uri = _against(uow, artifacts, version, against, allow_pickle=allow_pickle)
    quality = None
    if profile is not None:
        quality = to_check_results(check_quality(frame, profile))
    evaluation = evaluate(
        model,
        frame,
        target=target,
        sensitive=tuple(sensitive),
        config=config,
        features=features,
        champion=champion,
        reference_profile=profile,
        custom_metrics=dict(custom_metrics or {}),
        quality_checks=quality,
    )
    dataset_id = profiling.fingerprint(profiling.to_arrow(frame))
    report = evaluation.to_report(
        model=version.model,
        version=version.version,
        created_at=now,
        created_by=actor,
        dataset_id=dataset_id,
        against=champion_uri,
    )
    return Validated(report, _store(uow, artifacts, report, guard=guard))


def _store(
    uow: UnitOfWork,
    artifacts: ArtifactStore,
    report: ValidationReport,
    *,
    guard: Guard,
) -> ReportRecord:
    actor, now = guard.actor, guard.now()
    report_sha = artifacts.put_bytes(json.dumps(report.to_dict(), sort_keys=True).encode())
    html_sha = artifacts.put_bytes(render_html(report).encode())
    summary = {
        "checks": [
            {k: v for k, v in check.to_dict().items() if k != "details"} for check in report.checks
        ],
        "warnings": list(report.warnings),
        "data_rows": report.data_rows,
    }
    record = ReportRecord(
        model=report.model,
        version=report.version,
        created_at=now,
        created_by=actor,
        passed=report.passed,
        task=report.task,
        report_sha256=report_sha,
        html_sha256=html_sha,
        dataset_id=report.dataset_id,
        against=report.against,
        summary=summary,
    )
    with uow:
        guard.require(uow, Action.VALIDATE, subject=f"{report.model}/{report.version}")
        report_id = uow.validation.save_report(record)
        uow.audit.append(
            AuditEvent(
                action="version.validated",
                entity_type="model_version",
                entity_id=f"{report.model}/{report.version}",
                actor=actor,
                at=now,
                after={
                    "passed": report.passed,
                    "report_sha256": report_sha,
                    "failed": [c.name for c in report.failed_checks],
                },
            )
        )
        uow.commit()
    return replace(record, id=report_id)


def latest_report(
    uow: UnitOfWork, artifacts: ArtifactStore, *, model: str, version: int
) -> Validated:
    """The newest stored validation of a version. Raises NotFound when it has none."""
    with uow:
        uow.registry.get_version(model, version)
        record = uow.validation.latest_report(model, version)
    if record is None:
        raise NotFound(
            f"{model} v{version} has not been validated; run 'modelward validate"
            f" models:/{model}/{version} --data FILE --target COLUMN'."
        )
    report = ValidationReport.from_dict(json.loads(artifacts.get_bytes(record.report_sha256)))
    return Validated(report, record)


def list_reports(uow: UnitOfWork, *, model: str, version: int | None = None) -> list[ReportRecord]:
    """Stored validations of a model (or one version), newest first. Raises NotFound."""
    with uow:
        uow.registry.get_model(model)
        return uow.validation.list_reports(model, version)


def record_html(artifacts: ArtifactStore, record: ReportRecord) -> str:
    """The HTML page of one stored validation (rendered from its JSON if no page was kept)."""
    if record.html_sha256 is not None:
        return artifacts.get_bytes(record.html_sha256).decode()
    return render_html(
        ValidationReport.from_dict(json.loads(artifacts.get_bytes(record.report_sha256)))
    )


def report_html(uow: UnitOfWork, artifacts: ArtifactStore, *, model: str, version: int) -> str:
    """The newest report of a version as its self-contained HTML page.

    Raises:
        NotFound: no such version, or it was never validated.
    """
    return record_html(
        artifacts, latest_report(uow, artifacts, model=model, version=version).record
    )
