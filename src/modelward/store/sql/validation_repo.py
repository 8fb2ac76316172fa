"""SQL repository for validation report records (the reports are artifacts)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select

from modelward.domain.reports import ReportRecord
from modelward.errors import NotFound
from modelward.store.sql._util import inserted_id
from modelward.store.sql.tables import model_versions, registered_models, validation_reports


def _record(row: Any) -> ReportRecord:
    return ReportRecord(
        id=row.id,
        model=row.model_name,
        version=row.version,
        created_at=row.created_at,
        created_by=row.created_by,
        passed=row.passed,
        task=row.task,
        report_sha256=row.report_sha256,
        html_sha256=row.html_sha256,
        dataset_id=row.dataset_id,
        against=row.against,
        summary=row.summary,
        author_roles=None if row.author_roles is None else tuple(row.author_roles),
    )


_REPORTS = (
    select(
        validation_reports,
        registered_models.c.name.label("model_name"),
        model_versions.c.version,
    )
    .join(model_versions, model_versions.c.id == validation_reports.c.model_version_id)
    .join(registered_models, registered_models.c.id == model_versions.c.model_id)
)


class SqlValidationRepo:
    """Implements ``modelward.domain.ports.ValidationRepo``."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _version_id(self, model: str, version: int) -> int:
        found = self.conn.execute(
            select(model_versions.c.id)
            .join(registered_models, registered_models.c.id == model_versions.c.model_id)
            .where(registered_models.c.name == model, model_versions.c.version == version)
        ).scalar()
        if found is None:
            raise NotFound(f"Model {model!r} has no version {version}.")
        return int(found)

    def save_report(self, record: ReportRecord) -> int:
        result = self.conn.execute(
            insert(validation_reports).values(
                model_version_id=self._version_id(record.model, record.version),
                created_at=record.created_at,
                created_by=record.created_by,
                passed=record.passed,
                task=record.task,
                dataset_id=record.dataset_id,
                against=record.against,
                report_sha256=record.report_sha256,
                html_sha256=record.html_sha256,
                summary=record.summary,
                author_roles=None if record.author_roles is None else list(record.author_roles),
            )
        )
        return int(inserted_id(result))

    def list_reports(self, model: str, version: int | None = None) -> list[ReportRecord]:
        query = _REPORTS.where(registered_models.c.name == model)
        if version is not None:
            query = query.where(model_versions.c.version == version)
        rows = self.conn.execute(
            query.order_by(validation_reports.c.created_at.desc(), validation_reports.c.id.desc())
        )
        return [_record(row) for row in rows]

    def latest_report(self, model: str, version: int) -> ReportRecord | None:
        found = self.list_reports(model, version)
        return found[0] if found else None
