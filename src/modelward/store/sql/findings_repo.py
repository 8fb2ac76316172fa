"""SQL repository for findings and waivers (see `domain/findings.py`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, insert, select, update

from modelward.domain.findings import Finding, FindingStatus, Severity, Waiver
from modelward.errors import NotFound
from modelward.store.sql.tables import (
    findings,
    model_versions,
    registered_models,
    waivers,
)

_NAMES = (registered_models.c.name.label("model_name"), model_versions.c.version.label("number"))


def _joined(table: Any) -> Select[Any]:
    return (
        select(table, *_NAMES)
        .join(model_versions, model_versions.c.id == table.c.model_version_id)
        .join(registered_models, registered_models.c.id == model_versions.c.model_id)
    )


def _finding(row: Any) -> Finding:
    return Finding(
        model=row.model_name,
        version=int(row.number),
        title=row.title,
        severity=Severity(row.severity),
        owner=row.owner,
        due_at=row.due_at,
        created_by=row.created_by,
        created_at=row.created_at,
        detail=row.detail,
        status=FindingStatus(row.status),
        updated_by=row.updated_by,
        updated_at=row.updated_at,
        resolution=row.resolution,
        id=int(row.id),
    )


def _waiver(row: Any) -> Waiver:
    return Waiver(
        model=row.model_name,
        version=int(row.number),
        item=row.item,
        reason=row.reason,
        approver_role=row.approver_role,
        requested_by=row.requested_by,
        requested_at=row.requested_at,
        expires_at=row.expires_at,
        approved=row.approved_by is not None,
        approved_by=row.approved_by,
        approved_at=row.approved_at,
        revoked=row.revoked_by is not None,
        revoked_by=row.revoked_by,
        revoked_at=row.revoked_at,
        revoke_reason=row.revoke_reason,
        id=int(row.id),
    )


class SqlFindingsRepo:
    """Implements ``modelward.domain.ports.FindingsRepo`` on one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _version_id(self, model: str, version: int) -> int:
        found = self.conn.execute(
            select(model_versions.c.id)
            .join(registered_models, registered_models.c.id == model_versions.c.model_id)
            .where(registered_models.c.name == model, model_versions.c.version == version)
        ).scalar()
        if found is None:
            raise NotFound(
                f"Model {model!r} has no version {version}; 'modelward models versions {model}'"
                " lists them."
            )
        return int(found)

    @staticmethod
    def _scope(query: Select[Any], model: str | None, version: int | None) -> Select[Any]:
        if model is not None:
            query = query.where(registered_models.c.name == model)
        if version is not None:
            query = query.where(model_versions.c.version == version)
        return query

    # -- findings ----------------------------------------------------------------------------

    def save_finding(self, finding: Finding) -> int:
        result = self.conn.execute(
            insert(findings)
            .values(
                model_version_id=self._version_id(finding.model, finding.version),
                title=finding.title,
                detail=finding.detail,
                severity=finding.severity.value,
                owner=finding.owner,
                due_at=finding.due_at,
                status=finding.status.value,
                created_by=finding.created_by,
                created_at=finding.created_at,
                resolution=finding.resolution,
            )
            .returning(findings.c.id)
        )
        return int(result.scalar_one())

    def get_finding(self, finding_id: int) -> Finding:
        row = self.conn.execute(_joined(findings).where(findings.c.id == finding_id)).first()
        if row is None:
            raise NotFound(
                f"Finding {finding_id} does not exist; 'modelward governance findings list'"
                " shows them."
            )
        return _finding(row)

    def update_finding(self, finding: Finding) -> None:
        self.conn.execute(
            update(findings)
            .where(findings.c.id == finding.id)
            .values(
                severity=finding.severity.value,
                owner=finding.owner,
                due_at=finding.due_at,
                status=finding.status.value,
                updated_by=finding.updated_by,
                updated_at=finding.updated_at,
                resolution=finding.resolution,
            )
        )

    def list_findings(
        self, *, model: str | None = None, version: int | None = None, open_only: bool = False
    ) -> list[Finding]:
        query = self._scope(_joined(findings), model, version)
        if open_only:
            query = query.where(findings.c.status == FindingStatus.OPEN.value)
        rows = self.conn.execute(query.order_by(findings.c.id))
        return [_finding(row) for row in rows]

    # -- waivers -----------------------------------------------------------------------------

    def save_waiver(self, waiver: Waiver) -> int:
        result = self.conn.execute(
            insert(waivers)
            .values(
                model_version_id=self._version_id(waiver.model, waiver.version),
                item=waiver.item,
                reason=waiver.reason,
                approver_role=waiver.approver_role,
                requested_by=waiver.requested_by,
                requested_at=waiver.requested_at,
                expires_at=waiver.expires_at,
                revoke_reason="",
            )
            .returning(waivers.c.id)
        )
        return int(result.scalar_one())

    def get_waiver(self, waiver_id: int) -> Waiver:
        row = self.conn.execute(_joined(waivers).where(waivers.c.id == waiver_id)).first()
        if row is None:
            raise NotFound(
                f"Waiver {waiver_id} does not exist; 'modelward governance waive list' shows them."
            )
        return _waiver(row)

    def update_waiver(self, waiver: Waiver) -> None:
        self.conn.execute(
            update(waivers)
            .where(waivers.c.id == waiver.id)
            .values(
                approved_by=waiver.approved_by,
                approved_at=waiver.approved_at,
                revoked_by=waiver.revoked_by,
                revoked_at=waiver.revoked_at,
                revoke_reason=waiver.revoke_reason,
            )
        )

    def list_waivers(self, *, model: str | None = None, version: int | None = None) -> list[Waiver]:
        query = self._scope(_joined(waivers), model, version)
        rows = self.conn.execute(query.order_by(waivers.c.id))
        return [_waiver(row) for row in rows]
