"""SQL repository for the model graph (declared dependencies), downstream acknowledgements and
deployments' guardrail specs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, or_, select, update

from modelward.domain.graph import Acknowledgement, Dependency, DependencyKind
from modelward.errors import AlreadyExists, NotFound
from modelward.store.sql.tables import (
    dependency_acks,
    deployment_guardrails,
    deployments,
    model_dependencies,
)


def _dependency(row: Any) -> Dependency:
    return Dependency(
        model=row.model_name,
        upstream=row.upstream_model,
        upstream_ref=row.upstream_ref,
        kind=DependencyKind(row.kind),
        version=row.version,
        deployment=row.deployment_name,
        dataset=row.dataset,
        created_by=row.created_by,
        created_at=row.created_at,
        id=int(row.id),
    )


class SqlGraphRepo:
    """Implements ``modelward.domain.ports.GraphRepo`` on one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_dependency(self, dependency: Dependency) -> Dependency:
        found = self.conn.execute(
            select(model_dependencies.c.id).where(model_dependencies.c.key == dependency.key)
        ).scalar()
        if found is not None:
            raise AlreadyExists(
                f"{dependency.consumer()} already declares that it consumes"
                f" {dependency.upstream_uri} (dependency id {found})."
            )
        result = self.conn.execute(
            insert(model_dependencies).values(
                key=dependency.key,
                model_name=dependency.model,
                version=dependency.version,
                deployment_name=dependency.deployment,
                upstream_model=dependency.upstream,
                upstream_ref=dependency.upstream_ref,
                kind=dependency.kind.value,
                dataset=dependency.dataset,
                created_by=dependency.created_by,
                created_at=dependency.created_at,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return self._get(int(key[0]))

    def _get(self, dependency_id: int) -> Dependency:
        row = self.conn.execute(
            select(model_dependencies).where(model_dependencies.c.id == dependency_id)
        ).first()
        if row is None:
            raise NotFound(
                f"Dependency {dependency_id} does not exist; 'modelward models graph NAME'"
                " lists a model's dependencies with their ids."
            )
        return _dependency(row)

    def remove_dependency(self, dependency_id: int) -> Dependency:
        found = self._get(dependency_id)
        self.conn.execute(
            delete(model_dependencies).where(model_dependencies.c.id == dependency_id)
        )
        return found

    def list_dependencies(self, *, model: str | None = None) -> list[Dependency]:
        query = select(model_dependencies).order_by(model_dependencies.c.id)
        if model is not None:
            query = query.where(
                or_(
                    model_dependencies.c.model_name == model,
                    model_dependencies.c.upstream_model == model,
                )
            )
        return [_dependency(row) for row in self.conn.execute(query)]

    def edges(self) -> list[tuple[str, str]]:
        rows = self.conn.execute(
            select(model_dependencies.c.upstream_model, model_dependencies.c.model_name).distinct()
        )
        return sorted((str(a), str(b)) for a, b in rows)

    def save_ack(self, ack: Acknowledgement) -> None:
        c = dependency_acks.c
        exists = self.conn.execute(
            select(c.id).where(
                (c.upstream_model == ack.upstream)
                & (c.upstream_version == ack.upstream_version)
                & (c.downstream_model == ack.downstream)
            )
        ).scalar()
        if exists is not None:
            raise AlreadyExists(
                f"The owner of {ack.downstream!r} already acknowledged {ack.upstream}"
                f" v{ack.upstream_version}."
            )
        self.conn.execute(
            insert(dependency_acks).values(
                upstream_model=ack.upstream,
                upstream_version=ack.upstream_version,
                downstream_model=ack.downstream,
                acknowledged_by=ack.by,
                acknowledged_at=ack.at,
                comment=ack.comment,
            )
        )

    def list_acks(
        self, upstream: str, upstream_version: int | None = None
    ) -> list[Acknowledgement]:
        c = dependency_acks.c
        query = select(dependency_acks).where(c.upstream_model == upstream).order_by(c.id)
        if upstream_version is not None:
            query = query.where(c.upstream_version == upstream_version)
        return [
            Acknowledgement(
                upstream=row.upstream_model,
                upstream_version=row.upstream_version,
                downstream=row.downstream_model,
                by=row.acknowledged_by,
                at=row.acknowledged_at,
                comment=row.comment,
            )
            for row in self.conn.execute(query)
        ]

    def _deployment_id(self, name: str) -> int:
        found = self.conn.execute(
            select(deployments.c.id).where(deployments.c.name == name)
        ).scalar()
        if found is None:
            raise NotFound(
                f"Deployment {name!r} does not exist; 'modelward deploy list' shows deployments."
            )
        return int(found)

    def find_guardrails(self, deployment: str) -> dict[str, Any] | None:
        deployment_id = self._deployment_id(deployment)
        spec = self.conn.execute(
            select(deployment_guardrails.c.spec).where(
                deployment_guardrails.c.deployment_id == deployment_id
            )
        ).scalar()
        return None if spec is None else dict(spec)

    def set_guardrails(
        self, deployment: str, spec: dict[str, Any] | None, *, by: str, at: datetime
    ) -> None:
        deployment_id = self._deployment_id(deployment)
        table = deployment_guardrails
        self.conn.execute(delete(table).where(table.c.deployment_id == deployment_id))
        if spec is not None:
            self.conn.execute(
                insert(table).values(
                    deployment_id=deployment_id, spec=spec, updated_by=by, updated_at=at
                )
            )
        self.conn.execute(
            update(deployments).where(deployments.c.id == deployment_id).values(updated_at=at)
        )
