"""SqlUnitOfWork: one connection and one transaction shared by every repository."""

from __future__ import annotations

import sqlite3
from typing import Self

from sqlalchemy import Connection, Engine, RootTransaction
from sqlalchemy.exc import IntegrityError, OperationalError

from modelward.domain.ports import WouldWait
from modelward.errors import BackendUnavailable, Conflict
from modelward.store.sql.audit_log import SqlAuditLog
from modelward.store.sql.deploy_repo import SqlDeploymentRepo
from modelward.store.sql.engine import is_busy
from modelward.store.sql.findings_repo import SqlFindingsRepo
from modelward.store.sql.governance_repo import SqlGovernanceRepo
from modelward.store.sql.graph_repo import SqlGraphRepo
from modelward.store.sql.monitoring_repo import SqlMonitoringRepo
from modelward.store.sql.obligations_repo import SqlObligationsRepo
from modelward.store.sql.privacy_repo import SqlPrivacyRepo
from modelward.store.sql.registry_repo import SqlRegistryRepo
from modelward.store.sql.token_repo import SqlTokenRepo
from modelward.store.sql.tracking_repo import SqlTrackingRepo
from modelward.store.sql.validation_repo import SqlValidationRepo


class SqlUnitOfWork:
    """Rolled back on exit unless committed; database errors become domain errors."""

    tracking: SqlTrackingRepo
    registry: SqlRegistryRepo
    validation: SqlValidationRepo
    deployments: SqlDeploymentRepo
    audit: SqlAuditLog
    governance: SqlGovernanceRepo
    monitoring: SqlMonitoringRepo
    tokens: SqlTokenRepo
    findings: SqlFindingsRepo
    graph: SqlGraphRepo
    obligations: SqlObligationsRepo
    privacy: SqlPrivacyRepo

    def __init__(self, engine: Engine, *, read_only: bool = False, wait: bool = True) -> None:
        """`wait`: False when `engine` was made with ``wait=False``; a lock held by another
        writer is then raised as `WouldWait` (nothing done) instead of a failure."""
        self.engine = engine
        self.read_only = read_only
        self.wait = wait
        self._conn: Connection | None = None
        self._tx: RootTransaction | None = None

    def __enter__(self) -> Self:
        try:
            conn = self.engine.connect()
        except OperationalError as exc:
            raise BackendUnavailable(
                "Cannot reach the metadata database; check MODELWARD_DB_URL and that the server"
                " is running."
            ) from exc
        if self.read_only:
            conn = conn.execution_options(modelward_read_only=True)
        try:
            self._tx = conn.begin()  # a writer takes SQLite's lock here (BEGIN IMMEDIATE)
        except (OperationalError, sqlite3.OperationalError) as exc:  # BEGIN is the driver's
            conn.close()
            raise self._unavailable(exc) from exc
        self._conn = conn
        self.tracking = SqlTrackingRepo(conn)
        self.registry = SqlRegistryRepo(conn)
        self.validation = SqlValidationRepo(conn)
        self.deployments = SqlDeploymentRepo(conn)
        self.audit = SqlAuditLog(conn)
        self.governance = SqlGovernanceRepo(conn)
        self.monitoring = SqlMonitoringRepo(conn)
        self.tokens = SqlTokenRepo(conn)
        self.findings = SqlFindingsRepo(conn)
        self.graph = SqlGraphRepo(conn)
        self.obligations = SqlObligationsRepo(conn)
        self.privacy = SqlPrivacyRepo(conn)
        return self

    @property
    def connection(self) -> Connection:
        assert self._conn is not None, "use the unit of work inside 'with'"
        return self._conn

    def commit(self) -> None:
        assert self._tx is not None
        try:
            self._tx.commit()
        except IntegrityError as exc:
            raise Conflict(
                "Another writer changed the same records at the same time; retry the command."
            ) from exc

    def rollback(self) -> None:
        assert self._conn is not None and self._tx is not None
        if self._tx.is_active:
            self._tx.rollback()
        self._tx = self._conn.begin()

    def __exit__(self, *exc_info: object) -> None:
        try:
            if self._tx is not None and self._tx.is_active:
                self._tx.rollback()
        finally:
            if self._conn is not None:
                self._conn.close()
            self._conn = self._tx = None
        error = exc_info[1]
        # Driver errors never leave the store raw: name the situation, chain the cause.
        if isinstance(error, IntegrityError):
            raise Conflict(
                "Another writer created the same record at the same time; retry the command."
            ) from error
        if isinstance(error, OperationalError | sqlite3.OperationalError):
            raise self._unavailable(error) from error

    def _unavailable(self, error: Exception) -> Exception:
        if not self.wait and is_busy(error):
            return WouldWait()
        return BackendUnavailable(
            "The metadata database failed or stayed locked too long; nothing was changed."
            " Retry the command."
        )
