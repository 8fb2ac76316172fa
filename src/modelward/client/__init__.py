"""The Client facade: the Python API and the CLI both go through it.

`Client(settings)` talks to the local workspace (services over the SQL and artifact stores).
The platform-server backend plugs in behind the same methods.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from modelward.client.contract import (
    BackendAPI,
    DataProtectionAPI,
    DeploymentsAPI,
    EvidenceAPI,
    GovernanceAPI,
    GraphAPI,
    GuardrailsAPI,
    MonitoringAPI,
    RegistryAPI,
    TrackingAPI,
    ValidationAPI,
)
from modelward.client.deploy import DeploymentClient
from modelward.client.evidence import EvidenceClient
from modelward.client.governance import GovernanceClient
from modelward.client.graph import GraphClient, GuardrailsClient
from modelward.client.local import LocalBackend
from modelward.client.monitoring import MonitoringClient
from modelward.client.privacy import DataProtectionClient
from modelward.client.run import ActiveRun, current_run
from modelward.client.validation import ValidationClient
from modelward.config import Settings
from modelward.domain.privacy import Reproduction
from modelward.domain.registry import AliasEvent, ModelVersion, RegisteredModel
from modelward.domain.tracking import ArtifactRef, DatasetRef, Experiment, Metric, Run, RunStatus
from modelward.registry import card
from modelward.registry import service as registry_service
from modelward.registry.flavors import LoadedModel
from modelward.tracking import capture, reproduction, uploads
from modelward.tracking import service as tracking_service

if TYPE_CHECKING:
    from modelward.client.retrain import RetrainResult


class TrackingClient:
    """Experiments and runs."""

    def __init__(self, backend: LocalBackend) -> None:
        self._b = backend
        self._saved_environments: set[str] = set()

    def start_run(
        self,
        *,
        experiment: str,
        name: str | None = None,
        parent_run_id: str | None = None,
        tags: dict[str, Any] | None = None,
    ) -> Run:
        env_id, env = capture.environment()
        run = tracking_service.start_run(
            self._b.uow(),
            guard=self._b.guard(),
            experiment=experiment,
            name=name,
            parent_run_id=parent_run_id,
            source=capture.source(),
            # the environment row is written once per process, then only referenced
            environment=(env_id, None if env_id in self._saved_environments else env),
            tags={k: str(v) for k, v in (tags or {}).items()},
        )
        self._saved_environments.add(env_id)
        return run

    def log_batch(
        self,
        run_id: str,
        *,
        params: dict[str, Any] | None = None,
        metrics: Sequence[Metric] = (),
        tags: dict[str, Any] | None = None,
    ) -> None:
        tracking_service.log_batch(
            self._b.uow(),
            guard=self._b.guard(),
            run_id=run_id,
            params=params,
            metrics=metrics,
            tags=tags,
        )

    def end_run(
        self,
        run_id: str,
        *,
        status: RunStatus = RunStatus.FINISHED,
        params: dict[str, Any] | None = None,
        metrics: Sequence[Metric] = (),
        tags: dict[str, Any] | None = None,
    ) -> None:
        tracking_service.end_run(
            self._b.uow(),
            guard=self._b.guard(),
            run_id=run_id,
            status=status,
            params=params,
            metrics=metrics,
            tags=tags,
        )

    def heartbeat(self, run_id: str) -> None:
        """Note that the process logging into the run is alive (ActiveRun does this)."""
        tracking_service.record_heartbeat(self._b.uow(), guard=self._b.guard(), run_id=run_id)

    def reap_stale_runs(self, *, timeout: float | None = None) -> list[str]:
        """Mark RUNNING runs without a heartbeat for `timeout` seconds (default
        MODELWARD_RUN_HEARTBEAT_TIMEOUT) as FAILED; returns their ids."""
        seconds = self._b.settings.run_heartbeat_timeout if timeout is None else timeout
        return tracking_service.reap_stale_runs(
            self._b.uow(), now=self._b.now(), timeout=timedelta(seconds=seconds)
        )

    def get_run(self, run_id: str) -> Run:
        return tracking_service.get_run(self._b.uow(read_only=True), run_id=run_id)

    def metric_history(self, run_id: str, key: str) -> list[Metric]:
        return tracking_service.metric_history(self._b.uow(read_only=True), run_id=run_id, key=key)

    def search_runs(
        self,
        *,
        experiments: Sequence[str] | None = None,
        filter: str | None = None,
        order_by: Sequence[str] | None = None,
        limit: int = 1000,
        offset: int = 0,
    ) -> list[Run]:
        return tracking_service.search_runs(
            self._b.uow(read_only=True),
            experiments=experiments,
            filter=filter,
            order_by=order_by,
            limit=limit,
            offset=offset,
        )

    def list_experiments(self) -> list[Experiment]:
        return tracking_service.list_experiments(self._b.uow(read_only=True))

    def log_dataset(
        self,
        run_id: str,
        data: Any,
        *,
        name: str,
        role: str = "training",
        source: str | None = None,
    ) -> DatasetRef:
        prepared = tracking_service.prepare_dataset(data, name=name, role=role, source=source)
        return tracking_service.log_dataset(
            self._b.uow(),
            self._b.artifacts,
            guard=self._b.guard(),
            run_id=run_id,
            prepared=prepared,
        )

    def log_model(
        self, run_id: str, model: Any, *, name: str = "model", input_example: Any = None
    ) -> ArtifactRef:
        return tracking_service.log_model(
            self._b.uow(),
            self._b.artifacts,
            guard=self._b.guard(),
            run_id=run_id,
            model=model,
            name=name,
            input_example=input_example,
            environment=capture.environment()[1],
        )

    def log_artifact(self, run_id: str, path: str, data: bytes) -> ArtifactRef:
        return tracking_service.log_artifact_bytes(
            self._b.uow(),
            self._b.artifacts,
            guard=self._b.guard(),
            run_id=run_id,
            path=path,
            data=data,
        )

    def read_artifact(self, run_id: str, path: str) -> bytes:
        ref = uploads.run_artifact(self._b.uow(read_only=True), run_id=run_id, path=path)
        return self._b.artifacts.get_bytes(ref.sha256)

    def diff_runs(self, run_a: str, run_b: str) -> tracking_service.RunDiff:
        return tracking_service.diff_runs(self._b.uow(read_only=True), run_a=run_a, run_b=run_b)

    def record_reproduction(self, result: Reproduction) -> Reproduction:
        return reproduction.record_reproduction(self._b.uow(), guard=self._b.guard(), result=result)

    def reproductions(self, run_id: str) -> list[Reproduction]:
        return reproduction.list_reproductions(self._b.uow(read_only=True), run_id=run_id)

    def delete_run(self, run_id: str) -> None:
        tracking_service.set_run_deleted(
            self._b.uow(), guard=self._b.guard(), run_id=run_id, deleted=True
        )

    def restore_run(self, run_id: str) -> None:
        tracking_service.set_run_deleted(
            self._b.uow(), guard=self._b.guard(), run_id=run_id, deleted=False
        )


class RegistryClient:
    """Registered models, versions and aliases."""

    def __init__(self, backend: LocalBackend) -> None:
        self._b = backend

    def create_model(
        self, name: str, *, description: str = "", tags: dict[str, str] | None = None
    ) -> RegisteredModel:
        return registry_service.create_model(
            self._b.uow(),
            guard=self._b.guard(),
            name=name,
            description=description,
            tags=tags,
        )

    def register(
        self, run_id: str, artifact: str = "model", *, name: str, description: str = ""
    ) -> ModelVersion:
        return registry_service.register_version(
            self._b.uow(),
            self._b.artifacts,
            guard=self._b.guard(),
            run_id=run_id,
            artifact=artifact,
            name=name,
            description=description,
        )

    def get_model(self, name: str) -> RegisteredModel:
        return registry_service.get_model(self._b.uow(read_only=True), name=name)

    def list_models(
        self, *, search: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[RegisteredModel]:
        return registry_service.list_models(
            self._b.uow(read_only=True), search=search, limit=limit, offset=offset
        )

    def list_versions(self, name: str) -> list[ModelVersion]:
        return registry_service.list_versions(self._b.uow(read_only=True), name=name)

    def get_version(self, name: str, version: int) -> ModelVersion:
        return registry_service.get_version(self._b.uow(read_only=True), name=name, version=version)

    def resolve(self, uri: str) -> ModelVersion:
        return registry_service.resolve(self._b.uow(read_only=True), uri)

    def set_alias(self, name: str, alias: str, version: int, *, reason: str = "") -> AliasEvent:
        return registry_service.set_alias(
            self._b.uow(),
            name=name,
            guard=self._b.guard(),  # protected aliases pass the governance gate
            alias=alias,
            version=version,
            reason=reason,
        )

    def delete_alias(self, name: str, alias: str, *, reason: str = "") -> AliasEvent:
        return registry_service.delete_alias(
            self._b.uow(), guard=self._b.guard(), name=name, alias=alias, reason=reason
        )

    def alias_history(self, name: str, alias: str | None = None) -> list[AliasEvent]:
        return registry_service.alias_history(self._b.uow(read_only=True), name=name, alias=alias)

    def alias_at(self, name: str, alias: str, when: datetime) -> int | None:
        """The version that held `alias` at `when` (None: no version did)."""
        return registry_service.alias_at(
            self._b.uow(read_only=True), name=name, alias=alias, when=when
        )

    def load_model(self, uri: str) -> LoadedModel:
        return registry_service.load_model(
            self._b.uow(read_only=True), self._b.artifacts, uri=uri, allow_pickle=True
        )

    def model_card(self, name: str, version: int) -> str:
        return card.model_card(
            self._b.uow(read_only=True), self._b.artifacts, name=name, version=version
        )

    def version_meta(self, name: str, version: int) -> dict[str, Any]:
        return registry_service.version_meta(self._b.artifacts, self.get_version(name, version))

    def delete_version(self, name: str, version: int, *, reason: str = "") -> None:
        registry_service.delete_version(
            self._b.uow(), guard=self._b.guard(), name=name, version=version, reason=reason
        )

    def delete_model(self, name: str, *, reason: str = "") -> None:
        registry_service.delete_model(
            self._b.uow(), guard=self._b.guard(), name=name, reason=reason
        )


class Client:
    """One entry point to modelward: `client.tracking`, `client.registry`, and shortcuts.

    Each namespace is typed by its Protocol in `client/contract.py`, which the local backend
    (the workspace) and the HTTP backend (MODELWARD_SERVER_URL) both implement.
    """

    backend: BackendAPI
    tracking: TrackingAPI
    registry: RegistryAPI
    validation: ValidationAPI
    deployments: DeploymentsAPI
    governance: GovernanceAPI
    monitoring: MonitoringAPI
    evidence: EvidenceAPI
    graph: GraphAPI
    guardrails: GuardrailsAPI
    data: DataProtectionAPI

    def __init__(self, settings: Settings | None = None, *, create: bool = True) -> None:
        self.settings = settings or Settings()
        if self.settings.server_url:  # remote mode: the platform server, same methods
            self._open_remote()
            return
        self._open_local(create=create)

    def _open_local(self, *, create: bool) -> None:
        backend = LocalBackend.open(self.settings, create=create)
        self.backend = backend
        self.tracking = TrackingClient(backend)
        self.registry = RegistryClient(backend)
        self.validation = ValidationClient(backend)
        self.deployments = DeploymentClient(backend)
        self.governance = GovernanceClient(backend)
        self.monitoring = MonitoringClient(backend)
        self.evidence = EvidenceClient(backend)
        self.graph = GraphClient(backend)
        self.guardrails = GuardrailsClient(backend)
        self.data = DataProtectionClient(backend)

    def _open_remote(self) -> None:
        from modelward.client import (
            http,
            http_evidence,
            http_governance,
            http_graph,
            http_monitoring,
            http_ops,
            http_privacy,
        )

        backend = http.HttpBackend(self.settings)
        governance = http_governance.HttpGovernanceClient(backend)
        self.backend = backend
        self.tracking = http.HttpTrackingClient(backend)
        self.registry = http.HttpRegistryClient(backend)
        self.validation = http_ops.HttpValidationClient(backend)
        self.deployments = http_ops.HttpDeploymentClient(backend)
        self.governance = governance
        self.monitoring = http_monitoring.HttpMonitoringClient(backend, governance)
        self.evidence = http_evidence.HttpEvidenceClient(backend)
        self.graph = http_graph.HttpGraphClient(backend)
        self.guardrails = http_graph.HttpGuardrailsClient(backend)
        self.data = http_privacy.HttpDataProtectionClient(backend)

    @property
    def actor(self) -> str:
        return self.backend.actor

    def start_run(
        self,
        experiment: str = tracking_service.DEFAULT_EXPERIMENT,
        *,
        name: str | None = None,
        parent_run_id: str | None = None,
        tags: dict[str, Any] | None = None,
        nested: bool = True,
        capture_code: bool = True,
    ) -> ActiveRun:
        """Start a run; inside another `with start_run()` it becomes that run's child.

        With `capture_code` (the default) the run stores its code state (commit and a patch
        of uncommitted changes) and a lock of its environment, so it can be reproduced.
        """
        if parent_run_id is None and nested and (outer := current_run()) is not None:
            parent_run_id = outer.id
        run = self.tracking.start_run(
            experiment=experiment, name=name, parent_run_id=parent_run_id, tags=tags
        )
        if capture_code:
            from modelward.client.reproduce import record_code_state

            record_code_state(self, run.id)
        return ActiveRun(self, run, flush_interval=self.settings.flush_interval)

    def reproduce_run(
        self,
        run_id: str,
        *,
        repo: str | None = None,
        in_current_env: bool = False,
        tolerance: float | None = None,
        timeout: float = 1800.0,
    ) -> Reproduction:
        """Rebuild run `run_id` (code, environment, data), re-run its entry point here, and
        store how it compared; see `client/reproduce.py`."""
        from modelward.client.reproduce import reproduce

        return reproduce(
            self,
            run_id,
            repo=repo,
            in_current_env=in_current_env,
            tolerance=reproduction.DEFAULT_TOLERANCE if tolerance is None else tolerance,
            timeout=timeout,
        )

    def retrain(
        self,
        model: str,
        *,
        data: Any = None,
        trigger: str = "manual",
        deployment: str | None = None,
        target: str | None = None,
        params: dict[str, Any] | None = None,
        entry_point: str | None = None,
    ) -> RetrainResult:
        """Retrain `model` with the project's entry point, in this process, over this client's
        namespaces (so locally and through a server alike); see `client/retrain.py`."""
        from modelward.client.retrain import retrain

        return retrain(
            self,
            model,
            data=data,
            trigger=trigger,
            deployment=deployment,
            target=target,
            params=params,
            entry_point=entry_point,
        )

    def retraining_due(self, model: str) -> bool:
        """True when the champion is older than its policy's ``max_model_age_days``."""
        from modelward.client.retrain import retraining_due

        return retraining_due(self, model)

    def close(self) -> None:
        self.backend.close()


__all__ = ["ActiveRun", "Client", "RegistryClient", "TrackingClient"]
