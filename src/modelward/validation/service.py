"""Validation use-cases: evaluate a registered version on held-out data and keep the report.

The report is stored as two artifacts (JSON for machines, self-contained HTML for people) and
a `ReportRecord` linked to the version, in one transaction with its audit event. Storing one
needs the `validate` permission; the record keeps the roles its author held, which decide
whether the governance gate may rely on it (`Policy.evidence_roles`).
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
from modelward.domain.tracking import DatasetRef
from modelward.errors import InvalidInput, NotFound
from modelward.registry import service as registry
from modelward.registry.signature import enforce
from modelward.stats import profile as profiling
from modelward.stats import row_hashes
from modelward.stats.quality import check_quality, to_check_results
from modelward.validation.checks import evaluate
from modelward.validation.config import ValidationConfig
from modelward.validation.report_html import render_html


@dataclass(frozen=True)
class Validated:
    """A stored validation: the full report and its record (with artifact addresses)."""

    report: ValidationReport
    record: ReportRecord


def _training_dataset(uow: UnitOfWork, version: ModelVersion) -> DatasetRef | None:
    if not version.run_id:
        return None
    run = uow.tracking.get_run(version.run_id)
    training = [d for d in run.datasets if d.role == "training"]
    return training[0] if training else None


def _train_overlap(
    artifacts: ArtifactStore, frame: Any, training: DatasetRef | None
) -> dict[str, Any] | str:
    """Validation rows that are also rows of the run's training data set (by fingerprint).

    Returns the `train_overlap` report section, or why it could not be measured.
    """
    if training is None:
        return "the version's run logged no training data set"
    if training.row_hashes_sha256 is None:
        return f"the training data set {training.name!r} was logged without row fingerprints"
    columns = list(training.schema)
    absent = [column for column in columns if column not in frame.columns]
    if absent:
        shown = ", ".join(map(repr, absent[:5]))
        return f"the validation data lacks training columns {shown}"
    reference = row_hashes.from_npy(artifacts.get_bytes(training.row_hashes_sha256))
    found = row_hashes.overlap(row_hashes.row_hashes(frame, columns), reference)
    return {
        "overlap_rows": found.rows,
        "overlap_share": found.share,
        "validation_rows": len(frame),
        "training_dataset": training.name,
        "training_dataset_id": training.dataset_id,
        "training_rows": training.row_count,
    }


def _with_overlap(report: ValidationReport, overlap: dict[str, Any] | str) -> ValidationReport:
    if isinstance(overlap, str):
        warning = f"Train/validation overlap was not measured: {overlap}."
        return replace(report, warnings=(*report.warnings, warning))
    warnings = report.warnings
    if overlap["overlap_rows"]:
        warnings = (
            *warnings,
            f"{overlap['overlap_rows']} validation rows ({overlap['overlap_share']:.2%}) are"
            f" also rows of the training data set {overlap['training_dataset']!r}.",
        )
    return replace(
        report, sections={**report.sections, "train_overlap": overlap}, warnings=warnings
    )


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
    The report records how many validation rows are also rows of the training data set the
    version's run logged (`train_overlap` section), and the record the roles the actor held.

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
        training = _training_dataset(uow, version)
    profile = training.profile if training is not None else None
    overlap = _train_overlap(artifacts, frame, training)
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
    report = _with_overlap(report, overlap)
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
    overlap = report.sections.get("train_overlap")
    if isinstance(overlap, dict):
        summary["overlap_rows"] = overlap["overlap_rows"]
        summary["overlap_share"] = overlap["overlap_share"]
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
        # Checked again here, in the transaction that stores it: the roles recorded are the
        # ones the author held when storing, and decide whether the gate may rely on it.
        roles = guard.require(uow, Action.VALIDATE, subject=f"{report.model}/{report.version}")
        record = replace(record, author_roles=tuple(roles))
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
                    "author_roles": list(roles),
                    "overlap_share": summary.get("overlap_share"),
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
