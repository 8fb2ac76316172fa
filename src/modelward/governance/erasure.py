"""The data-protection lifecycle: erase one person's rows everywhere (GDPR Art. 17) and enforce
each deployment's retention, compacting the prediction log as it goes.

Erasure matches the subject in the deployments' subject columns (and any column given), both
in clear and as its keyed pseudonym, in: the prediction log (every file, compacted ones too),
the labels of the erased records, the stored samples of every data set that has the column,
and full data snapshots. The audit event it leaves holds a keyed hash of the subject and the
counts: no personal data.

Files are rewritten before the metadata transaction commits; erasure is idempotent, so a
failure half-way is finished by running it again.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from modelward.domain.audit import AuditEvent
from modelward.domain.ports import ArtifactStore, Guard, UnitOfWork
from modelward.domain.privacy import (
    ErasureResult,
    MaintenanceResult,
    pseudonym,
    subject_reference,
)
from modelward.domain.privacy_ports import PredictionFiles
from modelward.domain.roles import Action
from modelward.errors import InvalidInput, NotFound

INPUT_PREFIX = "in_"


def _log_matcher(columns: Collection[str], targets: list[str]) -> Callable[[Any], Any]:
    values = pa.array(targets, pa.string())

    def match(table: pa.Table) -> Any:
        mask = pa.array([False] * table.num_rows)
        for name in columns:
            field = INPUT_PREFIX + name
            if field in table.column_names:
                text = pc.cast(table.column(field), pa.string())
                hit = pc.fill_null(pc.is_in(text, value_set=values), False)
                mask = pc.or_(mask, hit)
        return mask.to_numpy(zero_copy_only=False)

    return match


def _frame_mask(frame: pd.DataFrame, columns: Collection[str], targets: list[str]) -> Any:
    mask = pd.Series(False, index=frame.index)
    for name in columns:
        if name in frame.columns:
            mask |= frame[name].astype("string").isin(targets).fillna(False)
    return mask


def _filter_blob(data: bytes, columns: Collection[str], targets: list[str]) -> tuple[bytes, int]:
    """The blob without the subject's rows (Parquet, else CSV) and how many rows went."""
    is_parquet = data[:4] == b"PAR1"
    frame = pd.read_parquet(io.BytesIO(data)) if is_parquet else pd.read_csv(
        io.BytesIO(data), dtype=str, keep_default_na=False
    )  # fmt: skip
    mask = _frame_mask(frame, columns, targets)
    removed = int(mask.sum())
    if not removed:
        return data, 0
    kept = frame[~mask]
    buffer = io.BytesIO()
    if is_parquet:
        kept.to_parquet(buffer, index=False)
    else:
        kept.to_csv(buffer, index=False)
    return buffer.getvalue(), removed


def _subject_columns(uow: UnitOfWork, columns: Sequence[str]) -> list[str]:
    found = dict.fromkeys(p.subject_column for p in uow.privacy.list_protection())
    found.update(dict.fromkeys(columns))
    named = [c for c in found if c]
    if not named:
        raise InvalidInput(
            "No subject column to search: set one with 'modelward data protect DEPLOYMENT"
            " --subject-column NAME', or pass --column NAME."
        )
    return named


def _scrub_profile(
    uow: UnitOfWork, dataset_id: str, columns: list[str], targets: list[str]
) -> None:
    """Drop the subject from a data set profile's most frequent values (counted as other)."""
    profile = uow.privacy.dataset_profile(dataset_id)
    changed = False
    for name in columns:
        column = (profile.get("columns") or {}).get(name) or {}
        top = column.get("top")
        for value in targets:
            if isinstance(top, dict) and value in top:
                column["other_count"] = int(column.get("other_count", 0)) + int(top.pop(value))
                changed = True
    if changed:
        uow.privacy.set_dataset_profile(dataset_id, profile)


def _erase_blobs(
    uow: UnitOfWork, artifacts: ArtifactStore, columns: list[str], targets: list[str]
) -> tuple[int, int, list[str]]:
    """Rewrite samples and snapshots; returns (sample rows, snapshot rows, old blobs)."""
    sample_rows = snapshot_rows = 0
    old: list[str] = []
    for dataset_id, sha, names in uow.privacy.dataset_samples():
        if not set(names) & set(columns):
            continue
        _scrub_profile(uow, dataset_id, columns, targets)
        if sha is not None:
            data, removed = _filter_blob(artifacts.get_bytes(sha), columns, targets)
            if removed:
                uow.privacy.set_dataset_sample(dataset_id, artifacts.put_bytes(data))
                sample_rows, old = sample_rows + removed, [*old, sha]
    for run_id, path, sha in uow.privacy.snapshots():
        data, removed = _filter_blob(artifacts.get_bytes(sha), columns, targets)
        if removed:
            uow.privacy.replace_artifact(run_id, path, artifacts.put_bytes(data), len(data))
            snapshot_rows, old = snapshot_rows + removed, [*old, sha]
    return sample_rows, snapshot_rows, old


def erase_subject(
    uow: UnitOfWork,
    artifacts: ArtifactStore,
    files: PredictionFiles,
    *,
    guard: Guard,
    subject: str,
    key: bytes,
    columns: Sequence[str] = (),
) -> ErasureResult:
    """Remove every row of one data subject from prediction logs, labels, dataset samples and
    data snapshots; audit it without personal data.

    Raises:
        InvalidInput: an empty subject, or no subject column to search.
        PermissionDenied: the actor may not set policy (data protection officers hold it).
    """
    if not subject.strip():
        raise InvalidInput("Give the subject's key, e.g. --subject C-1042.", field="subject")
    ref = subject_reference(subject, key)
    targets = [subject, pseudonym(subject, key)]
    with uow:
        guard.require(uow, Action.SET_POLICY, subject=f"data subject {ref[:12]}")
        names = _subject_columns(uow, columns)
    counts = {"prediction_rows": 0, "labels": 0, "files_rewritten": 0}
    touched: list[str] = []
    with uow:
        for deployment in files.deployments():
            rows, keys, rewritten = files.remove_rows(
                deployment, _log_matcher(names, targets), columns=[INPUT_PREFIX + n for n in names]
            )
            if not rows:
                continue
            touched.append(deployment)
            counts["prediction_rows"] += rows
            counts["files_rewritten"] += rewritten
            try:
                counts["labels"] += uow.privacy.delete_labels(deployment, keys)
            except NotFound:  # an ad-hoc batch log: no deployment, no labels
                pass
        sample_rows, snapshot_rows, old = _erase_blobs(uow, artifacts, names, targets)
        result = ErasureResult(
            ref, counts["prediction_rows"], counts["labels"], sample_rows, snapshot_rows,
            counts["files_rewritten"], tuple(touched),
        )  # fmt: skip
        uow.audit.append(
            AuditEvent(
                "data.subject_erased",
                "data_subject",
                ref,
                guard.actor,
                guard.now(),
                after={
                    "columns": names,
                    "deployments": list(touched),
                    "prediction_rows": result.prediction_rows,
                    "labels": result.labels,
                    "sample_rows": sample_rows,
                    "snapshot_rows": snapshot_rows,
                    "files_rewritten": result.files_rewritten,
                },
            )
        )
        uow.commit()
    _drop_unused(uow, artifacts, old)
    return result


def _drop_unused(uow: UnitOfWork, artifacts: ArtifactStore, blobs: list[str]) -> None:
    with uow:
        for sha in dict.fromkeys(blobs):
            if not uow.privacy.blob_in_use(sha):
                artifacts.delete(sha)


def _expire_samples(
    uow: UnitOfWork, model: str, deployed: set[int], before: datetime
) -> tuple[int, list[str]]:
    """Drop samples older than `before` of data sets no deployed version trains on."""
    by_dataset: dict[str, tuple[str, datetime, set[int]]] = {}
    for dataset_id, sha, at, version in uow.privacy.model_dataset_samples(model):
        entry = by_dataset.setdefault(dataset_id, (sha, at, set()))
        entry[2].add(version)
    old: list[str] = []
    for dataset_id, (sha, at, versions) in by_dataset.items():
        if at < before and not versions & deployed:
            uow.privacy.clear_dataset_sample(dataset_id)
            old.append(sha)
    return len(old), old


def run_maintenance(
    uow: UnitOfWork,
    artifacts: ArtifactStore,
    files: PredictionFiles,
    *,
    guard: Guard,
    compact: bool = True,
) -> MaintenanceResult:
    """Enforce every deployment's retention (prediction log, labels, samples of data sets no
    deployed version uses) and compact each past day's prediction-log files into one.

    Raises:
        PermissionDenied: the actor may not deploy.
    """
    now = guard.now()
    with uow:
        guard.require(uow, Action.DEPLOY, subject="data maintenance")
        settings = {p.deployment: p for p in uow.privacy.list_protection()}
    done: dict[str, dict[str, int]] = {}
    for name in sorted(set(files.deployments()) | set(settings)):
        counts: dict[str, int] = {}
        old: list[str] = []
        with uow:
            kept = settings.get(name)
            if kept is not None and kept.retention_days is not None:
                before = now - timedelta(days=kept.retention_days)
                dep = uow.deployments.get_deployment(name)
                deployed = {v for v in (dep.config.champion, dep.config.challenger) if v}
                counts["prediction_rows"] = files.remove_before(name, before)
                counts["labels"] = uow.privacy.delete_labels_before(name, before)
                counts["samples"], old = _expire_samples(uow, dep.model, deployed, before)
            if compact:
                counts["days_compacted"], counts["files_merged"] = files.compact(
                    name, today=now.date()
                )
            if any(counts.values()):
                done[name] = counts
                uow.audit.append(
                    AuditEvent(
                        "data.maintenance", "deployment", name, guard.actor, now, after=counts
                    )
                )
            uow.commit()
        _drop_unused(uow, artifacts, old)
    return MaintenanceResult(done)
