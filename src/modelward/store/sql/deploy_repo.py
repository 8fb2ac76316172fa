"""SQL repository for deployments and their append-only configuration history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from modelward.domain.deployment import (
    Deployment,
    DeploymentConfig,
    Strategy,
    UnseenCategories,
)
from modelward.errors import AlreadyExists, NotFound
from modelward.store.sql.tables import deployment_configs, deployments


def _config(row: Any) -> DeploymentConfig:
    return DeploymentConfig(
        champion=row.champion_version,
        challenger=row.challenger_version,
        strategy=Strategy(row.strategy),
        share=row.share,
        ab_key=row.ab_key,
        seq=row.seq,
        parent_seq=row.parent_seq,
        action=row.action,
        created_by=row.created_by,
        created_at=row.created_at,
        reason=row.reason,
    )


def _deployment(row: Any, config: DeploymentConfig) -> Deployment:
    return Deployment(
        name=row.name,
        environment=row.environment,
        model=row.model_name,
        created_by=row.created_by,
        created_at=row.created_at,
        config=config,
        killed=row.killed,
        fallback=row.fallback,
        unseen_categories=UnseenCategories(row.unseen_categories),
        allow_missing=row.allow_missing,
        max_body_bytes=row.max_body_bytes,
        explain_top=row.explain_top,
        updated_at=row.updated_at,
    )


# The live configuration of each deployment is its row with the highest seq.
_LATEST = (
    select(deployment_configs.c.deployment_id, func.max(deployment_configs.c.seq).label("seq"))
    .group_by(deployment_configs.c.deployment_id)
    .subquery()
)
_CURRENT = (
    select(deployments, deployment_configs)
    .join(_LATEST, _LATEST.c.deployment_id == deployments.c.id)
    .join(
        deployment_configs,
        (deployment_configs.c.deployment_id == deployments.c.id)
        & (deployment_configs.c.seq == _LATEST.c.seq),
    )
)


class SqlDeploymentRepo:
    """Implements ``modelward.domain.ports.DeploymentRepo`` on one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _id(self, name: str, *, for_update: bool = False) -> int:
        query = select(deployments.c.id).where(deployments.c.name == name)
        if for_update and self.conn.dialect.name == "postgresql":
            query = query.with_for_update()  # serialises config appends per deployment
        found = self.conn.execute(query).scalar()
        if found is None:
            raise NotFound(
                f"Deployment {name!r} does not exist; 'modelward deploy list' shows deployments."
            )
        return int(found)

    def create_deployment(self, deployment: Deployment) -> Deployment:
        if self.find_deployment(deployment.name) is not None:
            raise AlreadyExists(f"Deployment {deployment.name!r} already exists.")
        result = self.conn.execute(
            insert(deployments).values(
                name=deployment.name,
                environment=deployment.environment,
                model_name=deployment.model,
                created_by=deployment.created_by,
                created_at=deployment.created_at,
                updated_at=deployment.created_at,
                killed=deployment.killed,
                fallback=deployment.fallback,
                unseen_categories=deployment.unseen_categories.value,
                allow_missing=deployment.allow_missing,
                max_body_bytes=deployment.max_body_bytes,
                explain_top=deployment.explain_top,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        self._insert_config(int(key[0]), deployment.config, seq=1)
        return self.get_deployment(deployment.name)

    def _insert_config(self, deployment_id: int, config: DeploymentConfig, *, seq: int) -> None:
        self.conn.execute(
            insert(deployment_configs).values(
                deployment_id=deployment_id,
                seq=seq,
                parent_seq=config.parent_seq,
                champion_version=config.champion,
                challenger_version=config.challenger,
                strategy=config.strategy.value,
                share=config.share,
                ab_key=config.ab_key,
                action=config.action,
                created_by=config.created_by,
                created_at=config.created_at,
                reason=config.reason,
            )
        )

    def find_deployment(self, name: str) -> Deployment | None:
        row = self.conn.execute(_CURRENT.where(deployments.c.name == name)).first()
        return None if row is None else _deployment(row, _config(row))

    def get_deployment(self, name: str) -> Deployment:
        found = self.find_deployment(name)
        if found is None:
            self._id(name)  # raises NotFound with the message
        assert found is not None
        return found

    def list_deployments(self) -> list[Deployment]:
        rows = self.conn.execute(_CURRENT.order_by(deployments.c.name)).all()
        return [_deployment(row, _config(row)) for row in rows]

    def append_config(self, name: str, config: DeploymentConfig) -> DeploymentConfig:
        deployment_id = self._id(name, for_update=True)
        current = self.conn.execute(
            select(func.max(deployment_configs.c.seq)).where(
                deployment_configs.c.deployment_id == deployment_id
            )
        ).scalar()
        seq = int(current or 0) + 1
        self._insert_config(deployment_id, config, seq=seq)
        self.conn.execute(
            update(deployments)
            .where(deployments.c.id == deployment_id)
            .values(updated_at=config.created_at)
        )
        return self.list_configs(name)[-1]

    def list_configs(self, name: str) -> list[DeploymentConfig]:
        deployment_id = self._id(name)
        rows = self.conn.execute(
            select(deployment_configs)
            .where(deployment_configs.c.deployment_id == deployment_id)
            .order_by(deployment_configs.c.seq)
        )
        return [_config(row) for row in rows]

    def update_state(self, name: str, *, at: datetime, **values: Any) -> None:
        allowed = {"killed", "fallback", "unseen_categories", "allow_missing", "max_body_bytes"}
        allowed.add("explain_top")
        unknown = set(values) - allowed
        assert not unknown, f"not deployment settings: {unknown}"
        deployment_id = self._id(name, for_update=True)
        self.conn.execute(
            update(deployments)
            .where(deployments.c.id == deployment_id)
            .values(updated_at=at, **values)
        )
