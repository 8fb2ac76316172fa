"""Ports: what services need from storage, as Protocols (adapters live in ``modelward.store``).

Every repository method runs inside the unit of work's transaction; nothing here commits.
Naming: ``get_*`` raises NotFound, ``find_*`` returns None, ``list_*`` returns a list,
``save_*``/``insert_*`` write.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, Protocol, Self

from modelward.domain.audit import AuditEvent, AuditQuery, MalformedEvent
from modelward.domain.deployment import Deployment, DeploymentConfig
from modelward.domain.findings import Finding, Waiver
from modelward.domain.governance import (
    CheckpointRecord,
    ColumnTag,
    LineageEntry,
    ModelFacts,
    ReviewRequest,
    User,
)
from modelward.domain.graph import Acknowledgement, Dependency
from modelward.domain.monitoring import Alert, Label, MonitoringWindow, PerformancePoint
from modelward.domain.obligations import Annotation, WebhookDelivery, WindowFigure
from modelward.domain.policy import PersonalDataUse, PolicySet, SignOff
from modelward.domain.privacy_ports import PrivacyRepo
from modelward.domain.registry import AliasEvent, ModelVersion, RegisteredModel
from modelward.domain.reports import ReportRecord
from modelward.domain.risk import RiskAssessment
from modelward.domain.roles import Action
from modelward.domain.search import Filter, OrderBy
from modelward.domain.tokens import ApiToken, WebSession
from modelward.domain.tracking import (
    ArtifactRef,
    DatasetRef,
    Experiment,
    Metric,
    Run,
    RunStatus,
    ViewType,
)
from modelward.errors import ModelwardError


class TrackingRepo(Protocol):
    def create_experiment(self, name: str, *, at: datetime, description: str = "") -> Experiment:
        """Insert an experiment; if a concurrent writer just created it, return theirs."""
        ...

    def find_experiment(self, name: str) -> Experiment | None: ...

    def get_experiment(self, name: str) -> Experiment:
        """Raises NotFound naming the experiment."""
        ...

    def list_experiments(self, view: ViewType = ViewType.ALL) -> list[Experiment]:
        """Experiments by id, with their tags; deleted ones only as `view` asks."""
        ...

    def get_experiment_by_id(self, experiment_id: int) -> Experiment:
        """The experiment with its tags. Raises NotFound."""
        ...

    def experiment_tags(self, experiment_id: int) -> dict[str, str]: ...

    def rename_experiment(self, experiment_id: int, name: str) -> None:
        """Raises AlreadyExists if another experiment has the name."""
        ...

    def set_experiment_deleted(self, experiment_id: int, at: datetime | None) -> None:
        """Mark deleted at `at` with its active runs; None restores it and the runs deleted
        with it."""
        ...

    def set_experiment_tag(self, experiment_id: int, key: str, value: str) -> None: ...

    def delete_experiment_tag(self, experiment_id: int, key: str) -> bool:
        """False when there was no such tag."""
        ...

    def run_state(self, run_id: str) -> tuple[str, RunStatus, bool]:
        """The run's user, status and whether it is deleted. Raises NotFound."""
        ...

    def set_run_deleted(self, run_id: str, at: datetime | None) -> None:
        """Mark the run deleted at `at` (None: active again)."""
        ...

    def delete_run_tag(self, run_id: str, key: str) -> bool:
        """False when there was no such tag."""
        ...

    def insert_run(self, run: Run) -> None: ...

    def get_run(self, run_id: str) -> Run:
        """The run with its params, latest metrics, tags, datasets and artifacts.

        Raises NotFound naming the run.
        """
        ...

    def run_status(self, run_id: str) -> RunStatus:
        """The run's status. Raises NotFound naming the run."""
        ...

    def get_run_info(self, run_id: str) -> Run:
        """The run's own fields (status, times, source) without its logged values, in one
        query. Raises NotFound naming the run."""
        ...

    def run_owner(self, run_id: str) -> tuple[str, RunStatus]:
        """The run's user and status. Raises NotFound naming the run."""
        ...

    def end_if_running(self, run_id: str, status: RunStatus, *, end_time: datetime) -> bool:
        """Set a terminal status if the run is RUNNING; False when it is not (or unknown)."""
        ...

    def record_heartbeat(self, run_id: str, *, at: datetime) -> bool:
        """Set the run's last heartbeat to `at` if it is RUNNING; False when it is not."""
        ...

    def stale_runs(self, *, before: datetime, limit: int) -> list[str]:
        """Ids of RUNNING runs whose last heartbeat (else start) is older than `before`."""
        ...

    def log_batch(
        self,
        run_id: str,
        *,
        params: dict[str, str],
        metrics: Sequence[Metric],
        tags: dict[str, str],
    ) -> None:
        """Append metrics, upsert tags, insert params.

        Raises Conflict if a param already has another value; NotFound for an unknown run.
        """
        ...

    def metric_history(self, run_id: str, key: str) -> list[Metric]: ...

    def save_dataset(self, dataset: DatasetRef, *, at: datetime) -> None:
        """Insert the dataset record unless one with the same fingerprint exists."""
        ...

    def link_dataset(
        self, run_id: str, dataset_id: str, *, name: str, role: str, source: str | None = None
    ) -> None: ...

    def save_environment(self, environment_id: str, content: dict[str, Any]) -> None: ...

    def get_environment(self, environment_id: str) -> dict[str, Any]: ...

    def list_artifacts(self, run_id: str) -> list[ArtifactRef]: ...

    def add_artifact(self, run_id: str, artifact: ArtifactRef) -> None:
        """Record an artifact of the run. Raises AlreadyExists if the path is taken."""
        ...

    def search_runs(
        self,
        *,
        experiment_ids: Sequence[int] | None,
        filter: Filter | None,
        order_by: Sequence[OrderBy],
        limit: int,
        offset: int = 0,
        view: ViewType = ViewType.ACTIVE_ONLY,
    ) -> list[Run]: ...


class RegistryRepo(Protocol):
    def create_model(self, model: RegisteredModel) -> None:
        """Raises AlreadyExists if the name is taken."""
        ...

    def find_model(self, name: str) -> RegisteredModel | None: ...

    def has_model(self, name: str) -> bool: ...

    def get_model(self, name: str) -> RegisteredModel:
        """Raises NotFound naming the model."""
        ...

    def list_models(
        self, *, name_like: str | None, limit: int, offset: int
    ) -> list[RegisteredModel]: ...

    def model_deleted(self, name: str) -> bool:
        """True when a model of that name was deleted (its name stays reserved)."""
        ...

    def update_model(self, name: str, *, description: str, at: datetime) -> None: ...

    def set_model_tag(self, name: str, key: str, value: str) -> None: ...

    def delete_model_tag(self, name: str, key: str) -> bool:
        """False when there was no such tag."""
        ...

    def delete_model(self, name: str, *, at: datetime) -> None:
        """Mark the model and its versions deleted (rows stay for governance records)."""
        ...

    def update_version(self, name: str, version: int, *, description: str) -> None: ...

    def set_version_tag(self, name: str, version: int, key: str, value: str) -> None: ...

    def delete_version_tag(self, name: str, version: int, key: str) -> bool:
        """False when there was no such tag."""
        ...

    def delete_version(self, name: str, version: int, *, at: datetime) -> None:
        """Mark the version deleted (the row stays for governance records)."""
        ...

    def next_version_number(self, name: str) -> int:
        """The number the next version of this model gets (locks the model row where possible)."""
        ...

    def save_version(self, version: ModelVersion) -> None: ...

    def get_version(self, name: str, version: int) -> ModelVersion:
        """Raises NotFound naming the model and version."""
        ...

    def list_versions(self, name: str) -> list[ModelVersion]: ...

    def versions_of_run(self, run_id: str) -> list[ModelVersion]:
        """The versions registered from one run, by model name and version ([] if none)."""
        ...

    def find_alias(self, name: str, alias: str) -> int | None: ...

    def find_version_by_alias(self, name: str, alias: str) -> ModelVersion | None:
        """The version holding the alias, or None. Raises NotFound for an unknown model."""
        ...

    def set_alias(self, event: AliasEvent) -> None:
        """Point the alias at event.version (None deletes it) and keep the event."""
        ...

    def alias_history(self, name: str, alias: str | None = None) -> list[AliasEvent]: ...


class ValidationRepo(Protocol):
    def save_report(self, record: ReportRecord) -> int:
        """Store the record; returns its id. Raises NotFound for an unknown version."""
        ...

    def list_reports(self, model: str, version: int | None = None) -> list[ReportRecord]:
        """Newest first."""
        ...

    def latest_report(self, model: str, version: int) -> ReportRecord | None: ...


class DeploymentRepo(Protocol):
    """Deployments and their append-only configuration history (newest = live)."""

    def create_deployment(self, deployment: Deployment) -> Deployment:
        """Insert the deployment and its first configuration (seq 1).

        Raises AlreadyExists if the name is taken.
        """
        ...

    def find_deployment(self, name: str) -> Deployment | None: ...

    def get_deployment(self, name: str) -> Deployment:
        """The deployment with its live configuration. Raises NotFound naming it."""
        ...

    def list_deployments(self) -> list[Deployment]: ...

    def append_config(self, name: str, config: DeploymentConfig) -> DeploymentConfig:
        """Store `config` as the next (live) configuration; returns it with its seq.

        Raises NotFound for an unknown deployment.
        """
        ...

    def list_configs(self, name: str) -> list[DeploymentConfig]:
        """The configuration history, oldest first. Raises NotFound."""
        ...

    def update_state(self, name: str, *, at: datetime, **values: Any) -> None:
        """Set kill switch / fallback / request settings. Raises NotFound."""
        ...


class GraphRepo(Protocol):
    """Declared dependencies between models, acknowledgements, and deployments' guardrails."""

    def add_dependency(self, dependency: Dependency) -> Dependency:
        """Insert it; returns it with its id. Raises AlreadyExists for the same declaration."""
        ...

    def remove_dependency(self, dependency_id: int) -> Dependency:
        """Delete it; returns what was deleted. Raises NotFound naming the id."""
        ...

    def list_dependencies(self, *, model: str | None = None) -> list[Dependency]:
        """Every declared dependency (of which `model` is the consumer or the upstream)."""
        ...

    def edges(self) -> list[tuple[str, str]]:
        """(upstream model, consumer model) for every declaration, distinct."""
        ...

    def save_ack(self, ack: Acknowledgement) -> None:
        """Insert it. Raises AlreadyExists when it was acknowledged already."""
        ...

    def list_acks(
        self, upstream: str, upstream_version: int | None = None
    ) -> list[Acknowledgement]: ...

    def find_guardrails(self, deployment: str) -> dict[str, Any] | None:
        """The deployment's guardrail spec, or None. Raises NotFound for an unknown deployment."""
        ...

    def set_guardrails(
        self, deployment: str, spec: dict[str, Any] | None, *, by: str, at: datetime
    ) -> None:
        """Store (None: remove) the spec. Raises NotFound for an unknown deployment."""
        ...


class GovernanceRepo(Protocol):
    """Risk assessments, reviews, sign-offs, users, card fields, column tags, checkpoints."""

    def save_assessment(self, assessment: RiskAssessment) -> None:
        """Append an assessment (the newest is current). Raises NotFound for an unknown model."""
        ...

    def find_assessment(self, model: str) -> RiskAssessment | None:
        """The model's current (newest) assessment, or None."""
        ...

    def list_assessments(self, model: str) -> list[RiskAssessment]:
        """Every assessment of the model, newest first."""
        ...

    def save_review_request(self, request: ReviewRequest) -> None:
        """Raises NotFound for an unknown version."""
        ...

    def list_review_requests(self, model: str, version: int) -> list[ReviewRequest]: ...

    def save_sign_off(self, sign_off: SignOff) -> None:
        """Raises NotFound for an unknown version."""
        ...

    def list_sign_offs(self, model: str, version: int) -> list[SignOff]:
        """Oldest first."""
        ...

    def count_users(self) -> int: ...

    def held_roles(self, name: str) -> tuple[str, ...] | None:
        """The roles user `name` holds (none when unregistered), or None while no user at
        all is registered (the workspace's bootstrap; see `governance.access`)."""
        ...

    def require_server(self) -> bool:
        """True when the workspace accepts writes only through its platform server."""
        ...

    def set_require_server(self, on: bool, *, at: datetime, by: str) -> None: ...

    def find_user(self, name: str) -> User | None: ...

    def list_users(self) -> list[User]: ...

    def add_user_roles(self, name: str, roles: Sequence[str], *, at: datetime, by: str) -> User:
        """Create the user if new and grant `roles` (already held ones are kept)."""
        ...

    def set_card_field(
        self, model: str, version: int, field: str, value: str, *, at: datetime, by: str
    ) -> str | None:
        """Store a card field (version 0: every version); returns the previous value."""
        ...

    def card_fields(self, model: str, version: int) -> dict[str, str]:
        """The version's card fields: its own values over the model-wide ones."""
        ...

    def model_card_values(self, field: str, models: Sequence[str]) -> dict[str, str]:
        """model -> its model-wide (version 0) value of card `field`, one query."""
        ...

    def resolve_dataset(self, dataset: str) -> str:
        """The full fingerprint of a dataset given by fingerprint or unique prefix.

        Raises NotFound (no such dataset) or InvalidInput (ambiguous or too short prefix).
        """
        ...

    def dataset_columns(self, dataset_id: str) -> list[str]:
        """The columns of the dataset's schema. Raises NotFound."""
        ...

    def save_column_tag(self, tag: ColumnTag) -> ColumnTag | None:
        """Upsert the tag; returns the previous one."""
        ...

    def list_column_tags(self, dataset_id: str | None = None) -> list[ColumnTag]: ...

    def inherited_column_tags(self, dataset_id: str) -> list[ColumnTag]:
        """Tags the dataset inherits, by column: the newest tag on a column of the same name
        in another dataset used by a version of a model whose versions used this one."""
        ...

    def personal_data_uses(self, model: str, version: int) -> list[PersonalDataUse]:
        """Personal-data columns of the datasets the version's source run used: each
        dataset's own tags, else the tags its columns inherit from the model's other datasets
        (the newest tag on a column of that name)."""
        ...

    def lineage(self, *, dataset_id: str | None, column: str | None) -> list[LineageEntry]:
        """Versions whose source run used the dataset, or any dataset with that column."""
        ...

    def save_checkpoint(self, record: CheckpointRecord) -> None: ...

    def list_checkpoints(self) -> list[CheckpointRecord]:
        """Oldest first."""
        ...

    def inventory_facts(
        self, *, protected: Sequence[str], names: Sequence[str] | None = None
    ) -> list[ModelFacts]:
        """Every model (or only `names`) with its current assessment, newest and production
        versions, in a constant number of queries (no per-model query)."""
        ...

    def model_names(
        self, *, search: str | None, owner: str | None, offset: int, limit: int
    ) -> tuple[list[str], int]:
        """One page of model names by name (substring `search`, exact `owner`), and the total."""
        ...


class MonitoringRepo(Protocol):
    """Ground-truth labels, monitoring windows with their time series, and alerts."""

    def find_labels(
        self, deployment: str, keys: Sequence[tuple[str, int]]
    ) -> dict[tuple[str, int], Label]:
        """Stored labels of these (request id, row) keys. Raises NotFound (deployment)."""
        ...

    def save_labels(self, deployment: str, labels: Sequence[Label]) -> None:
        """Insert new labels and overwrite stored ones with the same key (newest wins)."""
        ...

    def list_labels(
        self, deployment: str, *, start: datetime | None = None, end: datetime | None = None
    ) -> list[Label]:
        """Labels whose prediction was made in ``[start, end)``, oldest prediction first."""
        ...

    def find_window(
        self, deployment: str, start: datetime, end: datetime
    ) -> MonitoringWindow | None: ...

    def last_window(self, deployment: str) -> MonitoringWindow | None:
        """The window with the latest end, or None."""
        ...

    def recent_windows(
        self, deployment: str, *, ending_after: datetime | None = None, limit: int = 24
    ) -> list[MonitoringWindow]:
        """The newest `limit` windows ending after `ending_after`, newest first, without their
        drift and performance series (the summary holds per-version figures); one query, and
        an unknown deployment has none."""
        ...

    def list_windows(self, deployment: str, *, with_series: bool = True) -> list[MonitoringWindow]:
        """Every window of the deployment, oldest first, with drift and performance points."""
        ...

    def save_window(self, window: MonitoringWindow) -> int:
        """Insert the window with its points; returns its id. Raises AlreadyExists."""
        ...

    def windows_with_new_labels(self, deployment: str) -> list[MonitoringWindow]:
        """Windows holding labels received after their performance was last computed."""
        ...

    def replace_performance(
        self, window_id: int, points: Sequence[PerformancePoint], *, n_labels: int, at: datetime
    ) -> None: ...

    def update_window_summary(self, window_id: int, summary: dict[str, Any]) -> None:
        """Replace a stored window's summary (late labels complete its estimated figures)."""
        ...

    def save_alert(self, alert: Alert) -> Alert | None:
        """Insert the alert; None (nothing written) when the same one exists already."""
        ...

    def list_alerts(
        self,
        *,
        deployment: str | None = None,
        model: str | None = None,
        open_only: bool = False,
        limit: int = 1000,
    ) -> list[Alert]:
        """Newest first."""
        ...

    def set_webhook_status(self, alert_ids: Sequence[int], status: str, detail: str) -> None: ...

    def acknowledge_alert(self, alert_id: int, *, by: str, at: datetime) -> Alert:
        """Raises NotFound naming the alert."""
        ...


class FindingsRepo(Protocol):
    """Validation findings on versions and waivers of gate items (`domain/findings.py`)."""

    def save_finding(self, finding: Finding) -> int:
        """Insert; returns its id. Raises NotFound for an unknown version."""
        ...

    def get_finding(self, finding_id: int) -> Finding:
        """Raises NotFound naming the finding."""
        ...

    def update_finding(self, finding: Finding) -> None:
        """Store severity, owner, due date, status, resolution and who changed it."""
        ...

    def list_findings(
        self, *, model: str | None = None, version: int | None = None, open_only: bool = False
    ) -> list[Finding]:
        """Oldest first; every model's when `model` is None."""
        ...

    def save_waiver(self, waiver: Waiver) -> int:
        """Insert a requested waiver; returns its id. Raises NotFound for an unknown version."""
        ...

    def get_waiver(self, waiver_id: int) -> Waiver:
        """Raises NotFound naming the waiver."""
        ...

    def update_waiver(self, waiver: Waiver) -> None:
        """Store its approval or revocation."""
        ...

    def list_waivers(self, *, model: str | None = None, version: int | None = None) -> list[Waiver]:
        """Oldest first; every model's when `model` is None."""
        ...


class AuditLog(Protocol):
    """Append-only: no update, no delete."""

    def append(self, event: AuditEvent) -> AuditEvent:
        """Chain the event after the current head and store it; returns it with seq and hash."""
        ...

    def iter_events(self, *, batch_size: int = 10_000) -> Iterator[AuditEvent]:
        """Every event in seq order. Raises IntegrityViolation at a malformed row."""
        ...

    def iter_records(self, *, batch_size: int = 10_000) -> Iterator[AuditEvent | MalformedEvent]:
        """Every row in seq order, a malformed one as `MalformedEvent` (it ends the stream)."""
        ...

    def head(self) -> tuple[int, str] | None:
        """The recorded chain head (seq, hash); None when it is missing or malformed."""
        ...

    def lock_head(self) -> None:
        """Make other appenders wait until this transaction ends (check, then append)."""
        ...

    def latest_event(self, action: str) -> AuditEvent | None:
        """The newest well-formed event with `action`, or None."""
        ...

    def list_events(
        self, *, entity_type: str | None = None, entity_id: str | None = None, limit: int = 100
    ) -> list[AuditEvent]: ...

    def search_events(self, query: AuditQuery) -> list[AuditEvent]:
        """The events `query` selects, newest first."""
        ...


class TokenRepo(Protocol):
    """API tokens of the platform server (only hashes are stored)."""

    def save_token(self, token: ApiToken) -> ApiToken:
        """Insert a token; returns it with its id."""
        ...

    def find_token(self, token_hash: str) -> ApiToken | None: ...

    def find_token_by_id(self, token_id: int) -> ApiToken | None: ...

    def list_tokens(self, user: str | None = None) -> list[ApiToken]: ...

    def touch_token(self, token_id: int, *, at: datetime, older_than: datetime) -> None:
        """Set last_used_at to `at` unless it is already later than `older_than`."""
        ...

    def revoke_tokens(
        self, *, at: datetime, by: str, user: str | None = None, token_id: int | None = None
    ) -> int:
        """Revoke the live tokens of `user`, or the token `token_id`; returns how many."""
        ...

    def save_session(self, session: WebSession) -> None: ...

    def find_session(self, session_id: str) -> WebSession | None:
        """The session with this id (the sha256 of its nonce): a primary-key lookup."""
        ...

    def revoke_sessions(
        self,
        *,
        at: datetime,
        session_id: str | None = None,
        user: str | None = None,
        token_id: int | None = None,
    ) -> int:
        """Revoke one session, a user's sessions, or those started with a token; how many."""
        ...

    def delete_sessions_expired_before(self, when: datetime) -> int: ...


class ObligationsRepo(Protocol):
    """Records' protected context and outcomes, per-window figures, monitoring check-ins and
    webhook deliveries (issue 14)."""

    def save_annotations(
        self, deployment: str, channel: str, items: Sequence[Annotation]
    ) -> tuple[int, int]: ...

    def list_annotations(
        self, deployment: str, channel: str, *, start: datetime, end: datetime
    ) -> list[Annotation]: ...

    def purge_annotations(self, deployment: str, channel: str, *, before: datetime) -> int: ...

    def replace_figures(self, window_id: int, figures: Sequence[WindowFigure]) -> None: ...

    def list_figures(self, deployment: str) -> dict[int, list[WindowFigure]]: ...

    def windows_with_new_annotations(self, deployment: str) -> list[int]: ...

    def check_in(self, deployment: str, *, at: datetime, by: str, windows: int) -> None: ...

    def last_check_ins(self) -> dict[str, datetime]: ...

    def save_delivery(self, delivery: WebhookDelivery) -> int: ...

    def update_delivery(
        self,
        delivery_id: int,
        *,
        status: str,
        attempts: int,
        last_error: str,
        at: datetime,
        target: str | None = None,
    ) -> None:
        """Record a new attempt's outcome (and, when given, the URL it went to)."""
        ...

    def list_deliveries(
        self, *, status: str | None = None, deployment: str | None = None, limit: int = 1000
    ) -> list[WebhookDelivery]: ...


class WouldWait(Exception):  # noqa: N818 (a signal, not an error anyone is shown)
    """A unit of work opened with ``wait=False`` found the store locked by another writer:
    nothing was done, and the caller may run the same work again where waiting is allowed."""


class UnitOfWork(Protocol):
    """One transaction over all repositories; rolled back on exit unless committed.

    The repositories are read-only members (properties), so an adapter may declare them with
    its own, more specific repository classes (mutable Protocol members would be invariant).
    """

    @property
    def tracking(self) -> TrackingRepo: ...

    @property
    def registry(self) -> RegistryRepo: ...

    @property
    def validation(self) -> ValidationRepo: ...

    @property
    def deployments(self) -> DeploymentRepo: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def governance(self) -> GovernanceRepo: ...

    @property
    def monitoring(self) -> MonitoringRepo: ...

    @property
    def graph(self) -> GraphRepo: ...

    @property
    def tokens(self) -> TokenRepo: ...

    @property
    def findings(self) -> FindingsRepo: ...

    @property
    def obligations(self) -> ObligationsRepo: ...

    @property
    def privacy(self) -> PrivacyRepo: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc_info: object) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None:
        """Undo everything since the transaction began and begin a new one (used to record a
        refusal in the audit trail without what the refused call had written)."""
        ...


class Guard(Protocol):
    """The acting identity and every rule that binds it: permissions, ownership, the risk
    tier's gate for protected aliases and environments, and the audit of refusals.

    Every service that changes state takes a Guard as a required argument; only the
    composition root (`modelward.workspace`) builds one, from the workspace's settings and
    policies, so no face can call a write without the checks. Each check runs inside the
    caller's open unit of work; a refusal rolls that transaction back, records the refusal
    in the audit trail, commits it, and raises.
    """

    @property
    def actor(self) -> str:
        """Who acts: the authenticated user (server) or the declared one (local mode)."""
        ...

    @property
    def authenticated(self) -> bool:
        """True when the server proved the identity (a token or session); False for a local,
        declared one."""
        ...

    @property
    def policy_hash(self) -> str:
        """sha256 of the policies in force, recorded with gate decisions and refusals."""
        ...

    def now(self) -> datetime:
        """The clock every write of this call records."""
        ...

    @property
    def policies(self) -> PolicySet:
        """The policies in force (levels and the role table)."""
        ...

    def require(self, uow: UnitOfWork, *actions: Action, subject: str = "") -> tuple[str, ...]:
        """Return the actor's roles if one of them allows one of `actions` on `subject`.

        Raises:
            PermissionDenied: no role allows it (audited), or the workspace is governed
                through its server and this is a local write.
        """
        ...

    def require_owner(self, uow: UnitOfWork, *, owner: str, subject: str) -> None:
        """Only `owner` may write to `subject` (a run).

        Raises:
            PermissionDenied: the actor is someone else (audited).
        """
        ...

    def is_protected(self, target: str, *, kind: str) -> bool:
        """True when alias (`kind="alias"`) or environment (`kind="environment"`) `target`
        is protected: changing what it serves is a promotion."""
        ...

    def gate(
        self,
        uow: UnitOfWork,
        version: ModelVersion,
        *,
        target: str,
        kind: str,
        auto: bool = False,
    ) -> int | None:
        """Pass the risk tier's gate before `version` serves protected `target`.

        Returns the sequence number of the audit event that records the passed gate, or None
        when `target` is not protected (nothing to pass). With `auto`, the policy must allow
        automatic promotion and the actor needs no promote permission.

        Raises:
            PermissionDenied: the actor may not promote (alias) or deploy (environment).
            PolicyViolation: an unmet item; `details["missing"]` names every one.
        """
        ...

    def refuse(self, uow: UnitOfWork, error: ModelwardError, *, action: str, subject: str) -> None:
        """Record `error` as a refused `action` on `subject` in the audit trail, then raise it."""
        ...


class ArtifactStore(Protocol):
    """Content-addressed bytes: the address of a blob is the sha256 of its content."""

    def put_bytes(self, data: bytes) -> str:
        """Store `data` (atomically) and return its sha256."""
        ...

    def put_file(self, path: str) -> str: ...

    def get_bytes(self, sha256: str) -> bytes:
        """Return the blob. Raises NotFound if absent, IntegrityViolation if it does not hash."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def delete(self, sha256: str) -> bool:
        """Remove a blob (erasure, retention); False when it was absent."""
        ...

    def size(self, sha256: str) -> int: ...

    def put_ref(self, name: str, sha256: str) -> None:
        """Record a named pointer to a blob (e.g. `audit-checkpoints/<sha>`), listable by prefix.

        Raises InvalidInput for a name that is not `segment/segment` of [A-Za-z0-9._-].
        """
        ...

    def list_refs(self, prefix: str) -> dict[str, str]:
        """Name -> the stored pointer text, for every ref under `prefix` (not validated)."""
        ...
