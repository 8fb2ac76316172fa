"""SQL repository for data protection (a deployment's settings, label erasure and retention,
dataset samples and data snapshots that hold a column) and run reproductions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, tuple_, update

from modelward.domain.privacy import DataProtection, LegalBasis, Reproduction
from modelward.errors import NotFound
from modelward.store.sql._util import chunks, inserted_id, upsert
from modelward.store.sql.tables import (
    data_protection,
    datasets,
    deployments,
    ground_truth_labels,
    model_versions,
    registered_models,
    reproductions,
    run_artifacts,
    run_datasets,
)

SNAPSHOT_PREFIX = "modelward/data/"  # run artifacts holding a full data set (reproducibility)

_PROTECTION = select(data_protection, deployments.c.name.label("deployment")).join(
    deployments, deployments.c.id == data_protection.c.deployment_id
)


def _protection(row: Any) -> DataProtection:
    return DataProtection(
        deployment=row.deployment,
        legal_basis=LegalBasis(row.legal_basis) if row.legal_basis else None,
        retention_days=row.retention_days,
        personal_columns=tuple(row.personal_columns or ()),
        subject_column=row.subject_column,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
        note=row.note,
    )


def _reproduction(row: Any) -> Reproduction:
    return Reproduction(
        run_id=row.run_id,
        reproduced_run_id=row.reproduced_run_id,
        metrics_match=row.metrics_match,
        model_identical=row.model_identical,
        metric_diffs=dict(row.metric_diffs or {}),
        tolerance=row.tolerance,
        environment=row.environment,
        actor=row.actor,
        created_at=row.created_at,
        detail=row.detail,
        id=row.id,
    )


class SqlPrivacyRepo:
    """Implements ``modelward.domain.ports.PrivacyRepo`` on one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _deployment_id(self, name: str) -> int:
        found = self.conn.execute(select(deployments.c.id).where(deployments.c.name == name))
        value = found.scalar()
        if value is None:
            raise NotFound(
                f"Deployment {name!r} does not exist; 'modelward deploy list' shows deployments."
            )
        return int(value)

    # -- settings -------------------------------------------------------------------------

    def find_protection(self, deployment: str) -> DataProtection | None:
        row = self.conn.execute(_PROTECTION.where(deployments.c.name == deployment)).first()
        return None if row is None else _protection(row)

    def list_protection(self) -> list[DataProtection]:
        rows = self.conn.execute(_PROTECTION.order_by(deployments.c.name)).all()
        return [_protection(row) for row in rows]

    def save_protection(self, settings: DataProtection) -> DataProtection | None:
        """Insert or replace; returns the previous settings."""
        previous = self.find_protection(settings.deployment)
        values = {
            "legal_basis": settings.legal_basis.value if settings.legal_basis else None,
            "retention_days": settings.retention_days,
            "personal_columns": list(settings.personal_columns),
            "subject_column": settings.subject_column,
            "note": settings.note,
            "updated_by": settings.updated_by,
            "updated_at": settings.updated_at,
        }
        statement = upsert(self.conn, data_protection).values(
            deployment_id=self._deployment_id(settings.deployment), **values
        )
        self.conn.execute(
            statement.on_conflict_do_update(index_elements=["deployment_id"], set_=values)
        )
        return previous

    # -- labels ---------------------------------------------------------------------------

    def delete_labels(self, deployment: str, keys: Sequence[tuple[str, int]]) -> int:
        """Delete the labels of (request_id, row) keys; returns how many went."""
        if not keys:
            return 0
        dep = self._deployment_id(deployment)
        removed = 0
        pair = tuple_(ground_truth_labels.c.request_id, ground_truth_labels.c.row)
        for part in chunks(list(keys), 400):
            done = self.conn.execute(
                delete(ground_truth_labels).where(
                    ground_truth_labels.c.deployment_id == dep, pair.in_(list(part))
                )
            )
            removed += int(done.rowcount or 0)
        return removed

    def delete_labels_before(self, deployment: str, before: datetime) -> int:
        """Delete labels of predictions made before `before`; returns how many went."""
        done = self.conn.execute(
            delete(ground_truth_labels).where(
                ground_truth_labels.c.deployment_id == self._deployment_id(deployment),
                ground_truth_labels.c.predicted_at < before,
            )
        )
        return int(done.rowcount or 0)

    # -- datasets and snapshots -----------------------------------------------------------

    def dataset_samples(self) -> list[tuple[str, str | None, list[str]]]:
        """(dataset id, sample sha256 or None, column names) of every dataset."""
        rows = self.conn.execute(
            select(datasets.c.id, datasets.c.sample_sha256, datasets.c.schema)
        ).all()
        return [(r.id, r.sample_sha256, list((r.schema or {}).keys())) for r in rows]

    def dataset_profile(self, dataset_id: str) -> dict[str, Any]:
        found = self.conn.execute(
            select(datasets.c.profile).where(datasets.c.id == dataset_id)
        ).scalar()
        return dict(found or {})

    def set_dataset_profile(self, dataset_id: str, profile: dict[str, Any]) -> None:
        self.conn.execute(
            update(datasets).where(datasets.c.id == dataset_id).values(profile=profile)
        )

    def model_dataset_samples(self, model: str) -> list[tuple[str, str, datetime, int]]:
        """(dataset id, sample sha256, dataset recorded at, version) of the samples of every
        data set a run behind one of `model`'s versions used."""
        rows = self.conn.execute(
            select(
                datasets.c.id,
                datasets.c.sample_sha256,
                datasets.c.created_at,
                model_versions.c.version,
            )  # fmt: skip
            .join(run_datasets, run_datasets.c.dataset_id == datasets.c.id)
            .join(model_versions, model_versions.c.run_id == run_datasets.c.run_id)
            .join(registered_models, registered_models.c.id == model_versions.c.model_id)
            .where(registered_models.c.name == model, datasets.c.sample_sha256.is_not(None))
        ).all()
        return [(r.id, r.sample_sha256, r.created_at, int(r.version)) for r in rows]

    def clear_dataset_sample(self, dataset_id: str) -> None:
        self.conn.execute(
            update(datasets).where(datasets.c.id == dataset_id).values(sample_sha256=None)
        )

    def set_dataset_sample(self, dataset_id: str, sha256: str) -> None:
        self.conn.execute(
            update(datasets).where(datasets.c.id == dataset_id).values(sample_sha256=sha256)
        )

    def snapshots(self) -> list[tuple[str, str, str]]:
        """(run id, artifact path, sha256) of every stored full data set."""
        rows = self.conn.execute(
            select(run_artifacts.c.run_id, run_artifacts.c.path, run_artifacts.c.sha256).where(
                run_artifacts.c.path.startswith(SNAPSHOT_PREFIX, autoescape=True)
            )
        ).all()
        return [(r.run_id, r.path, r.sha256) for r in rows]

    def replace_artifact(self, run_id: str, path: str, sha256: str, size: int) -> None:
        self.conn.execute(
            update(run_artifacts)
            .where(and_(run_artifacts.c.run_id == run_id, run_artifacts.c.path == path))
            .values(sha256=sha256, size=size)
        )

    def blob_in_use(self, sha256: str) -> bool:
        """Whether any dataset sample or run artifact still points at the blob."""
        count = self.conn.execute(
            select(func.count()).select_from(run_artifacts).where(run_artifacts.c.sha256 == sha256)
        ).scalar()
        samples = self.conn.execute(
            select(func.count())
            .select_from(datasets)
            .where(or_(datasets.c.sample_sha256 == sha256, datasets.c.row_hashes_sha256 == sha256))
        ).scalar()
        return bool(count) or bool(samples)

    # -- reproductions --------------------------------------------------------------------

    def add_reproduction(self, result: Reproduction) -> Reproduction:
        new_id = inserted_id(
            self.conn.execute(
                insert(reproductions).values(
                    run_id=result.run_id,
                    reproduced_run_id=result.reproduced_run_id,
                    metrics_match=result.metrics_match,
                    model_identical=result.model_identical,
                    metric_diffs=result.metric_diffs,
                    tolerance=result.tolerance,
                    environment=result.environment,
                    actor=result.actor,
                    created_at=result.created_at,
                    detail=result.detail,
                )
            )
        )
        row = self.conn.execute(select(reproductions).where(reproductions.c.id == new_id)).one()
        return _reproduction(row)

    def list_reproductions(self, run_id: str) -> list[Reproduction]:
        """Newest first."""
        rows = self.conn.execute(
            select(reproductions)
            .where(reproductions.c.run_id == run_id)
            .order_by(reproductions.c.id.desc())
        ).all()
        return [_reproduction(row) for row in rows]
