"""DeploymentClient: deployments, bundles and batch scoring, over the local workspace."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from modelward.client.local import LocalBackend
from modelward.deploy import package as packaging
from modelward.deploy import service as deploy_service
from modelward.domain.deployment import (
    DEFAULT_MAX_BODY_BYTES,
    Deployment,
    DeploymentConfig,
    Strategy,
    UnseenCategories,
)
from modelward.serving import batch, notice
from modelward.serving.notice import Notice, NoticeSettings
from modelward.store import predictions


class DeploymentClient:
    """Create and change deployments; package versions; score files in batch. Every change
    passes the workspace's guard: the deploy permission, and the risk tier's gate in
    protected environments."""

    def __init__(self, backend: LocalBackend) -> None:
        self._b = backend

    def create(
        self,
        name: str,
        *,
        model_uri: str,
        environment: str = "production",
        unseen_categories: UnseenCategories | str = UnseenCategories.ALLOW,
        allow_missing: bool = False,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        reason: str = "",
    ) -> Deployment:
        return deploy_service.create_deployment(
            self._b.uow(),
            name=name,
            environment=environment,
            model_uri=model_uri,
            guard=self._b.guard(),
            unseen_categories=UnseenCategories(unseen_categories),
            allow_missing=allow_missing,
            max_body_bytes=max_body_bytes,
            reason=reason,
        )

    def get(self, name: str) -> Deployment:
        return deploy_service.get_deployment(self._b.uow(read_only=True), name=name)

    def list(self) -> list[Deployment]:
        return deploy_service.list_deployments(self._b.uow(read_only=True))

    def history(self, name: str) -> builtins.list[DeploymentConfig]:
        return deploy_service.history(self._b.uow(read_only=True), name=name)

    def set_challenger(
        self,
        name: str,
        version: int,
        *,
        strategy: Strategy | str,
        share: float = 0.0,
        ab_key: str | None = None,
        reason: str = "",
    ) -> Deployment:
        return deploy_service.set_challenger(
            self._b.uow(),
            name=name,
            version=version,
            strategy=Strategy(strategy),
            share=share,
            ab_key=ab_key,
            guard=self._b.guard(),
            reason=reason,
        )

    def clear_challenger(self, name: str, *, reason: str = "") -> Deployment:
        return deploy_service.clear_challenger(
            self._b.uow(), name=name, guard=self._b.guard(), reason=reason
        )

    def promote(self, name: str, *, reason: str = "") -> Deployment:
        """The challenger becomes the champion (blue-green: switch at once)."""
        return deploy_service.promote(
            self._b.uow(),
            name=name,
            guard=self._b.guard(),
            reason=reason,
        )

    def rollback(self, name: str, *, reason: str = "") -> Deployment:
        return deploy_service.rollback(
            self._b.uow(), name=name, guard=self._b.guard(), reason=reason
        )

    def kill(self, name: str, *, fallback: Any = None, reason: str = "") -> Deployment:
        return deploy_service.set_kill_switch(
            self._b.uow(),
            name=name,
            killed=True,
            fallback=fallback,
            guard=self._b.guard(),
            reason=reason,
        )

    def revive(self, name: str, *, reason: str = "") -> Deployment:
        return deploy_service.set_kill_switch(
            self._b.uow(),
            name=name,
            killed=False,
            guard=self._b.guard(),
            reason=reason,
        )

    def package(
        self,
        model_uri: str,
        output: str | Path,
        *,
        deployment: str | None = None,
        environment: str | None = None,
    ) -> packaging.BundleInfo:
        """Write a self-contained bundle of the version `model_uri` points at; for a protected
        environment (given, or the deployment's) the version passes the gate first."""
        return packaging.build_bundle(
            self._b.uow(),
            self._b.artifacts,
            guard=self._b.guard(),
            model_uri=model_uri,
            output=Path(output),
            deployment=deployment,
            environment=environment,
        )

    def score(
        self,
        model_uri: str,
        source: str | Path,
        output: str | Path,
        *,
        deployment: str | None = None,
        chunk_size: int = 100_000,
        engine: str = "pandas",
        scheduler: str | None = None,
        log_predictions: bool = True,
        on_progress: Callable[[int, int | None], None] | None = None,
    ) -> batch.BatchResult:
        """Score a Parquet or CSV file in chunks (pandas) or partitions (Dask)."""
        from modelward.registry import service as registry_service

        plan = deploy_service.authorize_batch(
            self._b.uow(), guard=self._b.guard(), model_uri=model_uri, deployment=deployment
        )
        version = plan.version
        model = registry_service.load_model(
            self._b.uow(read_only=True), self._b.artifacts, uri=version.uri, allow_pickle=True
        )
        model = notice.with_explanations(
            self._b.uow(read_only=True), self._b.artifacts, model, version, plan.deployment
        )
        sink = None
        if log_predictions:
            sink = batch.LogSpec(
                root=self._b.settings.resolved_predictions_root(),
                deployment=deployment or f"batch-{version.model}",
                model=version.model,
                version=version.version,
            )
        return batch.score_file(
            model,
            Path(source),
            Path(output),
            chunk_size=chunk_size,
            engine=engine,
            scheduler=scheduler,
            log=sink,
            write_log=partial(
                predictions.write_entries,
                transform=self._b.workspace.pseudonymiser(sink.deployment) if sink else None,
            ),
            entry=predictions.PredictionEntry,
            on_progress=on_progress,
            deployment=plan.deployment,  # its kill switch: the fallback answer, model not called
        )

    def read_predictions(self, deployment: str, start: Any = None, end: Any = None) -> Any:
        """The logged records of `deployment` (pandas DataFrame)."""
        return predictions.read_predictions(
            self._b.settings.resolved_predictions_root(), deployment, start, end
        )

    def set_explanations(self, name: str, *, top: int, reason: str = "") -> Deployment:
        """Answers carry each row's `top` main contributions (0: none); the log keeps all."""
        return deploy_service.set_explanations(
            self._b.uow(), name=name, top=top, guard=self._b.guard(), reason=reason
        )

    def explain(
        self,
        request_id: str,
        *,
        deployment: str | None = None,
        row: int = 0,
        settings: NoticeSettings | None = None,
    ) -> Notice:
        """The notice of one logged decision (reason codes: the project file's ``explain:``)."""
        from modelward.store.prediction_log import ParquetPredictionLog

        return notice.explain_decision(
            self._b.uow(),
            self._b.artifacts,
            ParquetPredictionLog(self._b.settings.resolved_predictions_dir()),
            request_id=request_id,
            deployment=deployment,
            row=row,
            settings=settings or notice_settings(),
            guard=self._b.guard(),
            allow_pickle=True,
        )


def notice_settings() -> NoticeSettings:
    """The ``explain:`` section of the caller's project file (modelward.yaml)."""
    from modelward.project import load_project

    return NoticeSettings.from_mapping(load_project().section("explain"))
