"""The client contract: one Protocol per `Client` namespace, implemented by the local backend
(services over the workspace) and by the HTTP backend (the platform server).

Both backends return the same domain types, so code that uses a `Client` cannot tell local from
remote. To add a use case, add its method here first; mypy (``--strict``) then refuses a
backend that lacks it, and ``tests/client/test_contract.py`` refuses a method that no
local-and-remote scenario calls.

What differs by nature, and is documented on the method: callables (custom metrics) run only in
the caller's process; a remote batch score runs on the server with the pandas engine; a
remote monitoring run notifies the webhook the server's project configures.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import pandas as pd

    from modelward.config import Settings
    from modelward.deploy.package import BundleInfo
    from modelward.domain.audit import AuditEvent
    from modelward.domain.deployment import (
        Deployment,
        DeploymentConfig,
        Strategy,
        UnseenCategories,
    )
    from modelward.domain.findings import Finding, GovernanceAlert, Waiver
    from modelward.domain.gate import GateDecision
    from modelward.domain.governance import (
        CheckpointRecord,
        ColumnTag,
        LineageEntry,
        ReviewRequest,
        User,
    )
    from modelward.domain.graph import Acknowledgement, Dependency
    from modelward.domain.guardrails import GuardrailSpec
    from modelward.domain.monitoring import Alert, MonitoringWindow
    from modelward.domain.obligations import MonitoringDue, WebhookDelivery
    from modelward.domain.policy import PolicySet, SignOff
    from modelward.domain.privacy import (
        DataProtection,
        ErasureResult,
        MaintenanceResult,
        PersonalDataHolding,
        Reproduction,
    )
    from modelward.domain.questionnaire import Suggestion
    from modelward.domain.registry import AliasEvent, ModelVersion, RegisteredModel
    from modelward.domain.reports import ReportRecord
    from modelward.domain.risk import RiskAssessment
    from modelward.domain.tokens import ApiToken, RevokedUser
    from modelward.domain.tracking import (
        ArtifactRef,
        DatasetRef,
        Experiment,
        Metric,
        Run,
        RunStatus,
    )
    from modelward.governance.audit_verify import VerifyResult
    from modelward.governance.evidence_pack import EvidencePack
    from modelward.governance.graph import Impact, ModelGraph
    from modelward.governance.inventory import InventoryRow
    from modelward.governance.pack_format import PackCheck
    from modelward.governance.service import GovernanceStatus
    from modelward.governance.users import Identity
    from modelward.monitoring.comparison import Evidence
    from modelward.monitoring.feeds import FeedIngestResult
    from modelward.monitoring.labels import LabelIngestResult
    from modelward.monitoring.service import RunResult
    from modelward.monitoring.windows_compute import MonitorOptions
    from modelward.project import Project
    from modelward.registry.flavors import LoadedModel
    from modelward.serving.batch import BatchResult
    from modelward.serving.notice import Notice, NoticeSettings
    from modelward.tracking.service import RunDiff
    from modelward.validation.config import ValidationConfig
    from modelward.validation.service import Validated

__all__ = [
    "BackendAPI",
    "DataProtectionAPI",
    "DeploymentsAPI",
    "EvidenceAPI",
    "GovernanceAPI",
    "GraphAPI",
    "GuardrailsAPI",
    "MonitoringAPI",
    "RegistryAPI",
    "TrackingAPI",
    "ValidationAPI",
]


class BackendAPI(Protocol):
    """What every backend offers besides the namespaces: its settings, the acting user, the
    time, and closing."""

    @property
    def settings(self) -> Settings:
        """The settings the backend was opened with."""
        ...

    @property
    def actor(self) -> str:
        """The acting user (declared locally; the token's user remotely)."""
        ...

    def now(self) -> datetime:
        """The current time as the backend sees it (timezone-aware, UTC)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class TrackingAPI(Protocol):
    """`client.tracking`: experiments, runs, their data, models and artifacts."""

    def start_run(
        self,
        *,
        experiment: str,
        name: str | None = None,
        parent_run_id: str | None = None,
        tags: dict[str, Any] | None = None,
    ) -> Run:
        """Start a run in `experiment` (created on first use)."""
        ...

    def log_batch(
        self,
        run_id: str,
        *,
        params: dict[str, Any] | None = None,
        metrics: Sequence[Metric] = (),
        tags: dict[str, Any] | None = None,
    ) -> None:
        """Params, metrics and tags in one transaction."""
        ...

    def end_run(
        self,
        run_id: str,
        *,
        status: RunStatus = ...,
        params: dict[str, Any] | None = None,
        metrics: Sequence[Metric] = (),
        tags: dict[str, Any] | None = None,
    ) -> None:
        """End a run (FINISHED by default), with a last batch."""
        ...

    def heartbeat(self, run_id: str) -> None:
        """Note that the process logging into the run is alive."""
        ...

    def reap_stale_runs(self, *, timeout: float | None = None) -> list[str]:
        """Mark RUNNING runs without a recent heartbeat as FAILED; their ids."""
        ...

    def get_run(self, run_id: str) -> Run:
        """One run with its params, metrics, tags, datasets and artifacts."""
        ...

    def metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every value logged for a metric, by step."""
        ...

    def search_runs(
        self,
        *,
        experiments: Sequence[str] | None = None,
        filter: str | None = None,
        order_by: Sequence[str] | None = None,
        limit: int = 1000,
        offset: int = 0,
    ) -> list[Run]:
        """Runs matching a filter expression, ordered."""
        ...

    def list_experiments(self) -> list[Experiment]:
        """Every experiment."""
        ...

    def log_dataset(
        self,
        run_id: str,
        data: Any,
        *,
        name: str,
        role: str = "training",
        source: str | None = None,
    ) -> DatasetRef:
        """Fingerprint, profile and store a dataset used by the run."""
        ...

    def log_model(
        self, run_id: str, model: Any, *, name: str = "model", input_example: Any = None
    ) -> ArtifactRef:
        """Serialize and store a model as a run artifact."""
        ...

    def log_artifact(self, run_id: str, path: str, data: bytes) -> ArtifactRef:
        """Store bytes as a run artifact at `path`."""
        ...

    def read_artifact(self, run_id: str, path: str) -> bytes:
        """The bytes of a run's artifact at `path`, verified against their recorded hash."""
        ...

    def diff_runs(self, run_a: str, run_b: str) -> RunDiff:
        """Two runs side by side."""
        ...

    def record_reproduction(self, result: Reproduction) -> Reproduction:
        """Store how a reproduction of a run compared (guarded: validate; audited)."""
        ...

    def reproductions(self, run_id: str) -> builtins.list[Reproduction]:
        """A run's reproductions, newest first."""
        ...


class RegistryAPI(Protocol):
    """`client.registry`: registered models, versions and aliases."""

    def create_model(
        self, name: str, *, description: str = "", tags: dict[str, str] | None = None
    ) -> RegisteredModel:
        """Create a registered model owned by the actor."""
        ...

    def register(
        self, run_id: str, artifact: str = "model", *, name: str, description: str = ""
    ) -> ModelVersion:
        """Register a run's model as the next version of `name`."""
        ...

    def get_model(self, name: str) -> RegisteredModel:
        """One registered model with its aliases."""
        ...

    def list_models(
        self, *, search: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[RegisteredModel]:
        """Registered models by name."""
        ...

    def list_versions(self, name: str) -> list[ModelVersion]:
        """Every version of a model."""
        ...

    def get_version(self, name: str, version: int) -> ModelVersion:
        """One version."""
        ...

    def resolve(self, uri: str) -> ModelVersion:
        """The version a models:/ URI points at."""
        ...

    def set_alias(self, name: str, alias: str, version: int, *, reason: str = "") -> AliasEvent:
        """Point an alias at a version (protected aliases pass the gate)."""
        ...

    def delete_alias(self, name: str, alias: str, *, reason: str = "") -> AliasEvent:
        """Remove an alias (kept in its history)."""
        ...

    def alias_history(self, name: str, alias: str | None = None) -> list[AliasEvent]:
        """Every alias move of a model (of one alias), oldest first."""
        ...

    def alias_at(self, name: str, alias: str, when: datetime) -> int | None:
        """The version that held `alias` at `when` (None: no version did)."""
        ...

    def load_model(self, uri: str) -> LoadedModel:
        """Load a version's model into this process (checked against its recorded hash)."""
        ...

    def model_card(self, name: str, version: int) -> str:
        """The version's model card (Markdown)."""
        ...

    def version_meta(self, name: str, version: int) -> dict[str, Any]:
        """The model's description: flavor, signature, requirements, input example."""
        ...


class ValidationAPI(Protocol):
    """`client.validation`: validate versions and read their stored reports."""

    def validate(
        self,
        model_uri: str,
        data: Any,
        *,
        target: str,
        sensitive: Sequence[str] = (),
        against: str | None = None,
        config: ValidationConfig | Mapping[str, Any] | None = None,
        custom_metrics: Mapping[str, Callable[..., float]] | None = None,
    ) -> Validated:
        """Validate a version on held-out data (custom metric callables: local only)."""
        ...

    def latest(self, model: str, version: int) -> Validated:
        """The newest validation of a version."""
        ...

    def list(self, model: str, version: int | None = None) -> builtins.list[ReportRecord]:
        """Every stored validation of a model (of one version), newest first."""
        ...

    def html(self, record: ReportRecord) -> str:
        """The self-contained HTML page of a stored validation."""
        ...


class GovernanceAPI(Protocol):
    """`client.governance`: risk, reviews, sign-offs, gates, users, tokens, data, audit."""

    @property
    def policies(self) -> PolicySet:
        """The policies in force."""
        ...

    @property
    def protected_aliases(self) -> tuple[str, ...]:
        """Aliases whose moves pass the gate."""
        ...

    @property
    def protected_environments(self) -> tuple[str, ...]:
        """Deployment environments whose changes pass the gate."""
        ...

    def suggest(self, answers: Mapping[str, object]) -> Suggestion:
        """Likelihood and severity the questionnaire suggests."""
        ...

    def assess(
        self,
        model: str,
        *,
        likelihood: object = None,
        severity: object = None,
        rationale: str = "",
        answers: Mapping[str, object] | None = None,
    ) -> RiskAssessment:
        """Record a risk assessment."""
        ...

    def assessment(self, model: str) -> RiskAssessment | None:
        """The model's current assessment."""
        ...

    def assessment_history(self, model: str) -> list[RiskAssessment]:
        """Every assessment of the model, newest first."""
        ...

    def request_review(
        self, model: str, version: int, *, comment: str = ""
    ) -> tuple[ReviewRequest, AliasEvent | None]:
        """Ask for sign-offs; the automatic promotion's alias move, if any."""
        ...

    def auto_promote(self, model: str, version: int) -> AliasEvent | None:
        """Promote to the first protected alias when the policy allows it automatically."""
        ...

    def approve(self, model: str, version: int, *, role: str, comment: str = "") -> SignOff:
        """Approve a version in `role`."""
        ...

    def reject(self, model: str, version: int, *, role: str, comment: str) -> SignOff:
        """Reject a version in `role`."""
        ...

    def status(self, model: str, version: int) -> GovernanceStatus:
        """The gate checklist, risk level and stage of a version."""
        ...

    def check_promotion(self, model: str, version: int) -> GateDecision:
        """The gate decision; raises PolicyViolation listing every unmet item."""
        ...

    def set_card_field(self, model: str, version: int, field: str, value: str) -> str | None:
        """Fill a model card field (version 0: every version); the previous value."""
        ...

    def model_card(self, model: str, version: int, *, html: bool = False) -> str:
        """The full model card (Markdown, or HTML)."""
        ...

    def add_user(self, name: str, roles: Sequence[str]) -> User:
        """Register a user with roles."""
        ...

    def users(self) -> list[User]:
        """Registered users."""
        ...

    def whoami(self) -> Identity:
        """The acting user and their roles."""
        ...

    def issue_token(
        self,
        name: str,
        *,
        label: str = "",
        expires_days: int = ...,
        break_glass: bool = False,
    ) -> str:
        """A new API token for a user (shown once)."""
        ...

    def require_server(self) -> bool:
        """True when the workspace accepts writes only through its platform server."""
        ...

    def set_require_server(self, on: bool) -> bool:
        """Turn `require_server` on or off; the previous value."""
        ...

    def tokens(self, user: str | None = None) -> list[ApiToken]:
        """API tokens (of `user`)."""
        ...

    def revoke_token(self, token_id: int) -> ApiToken:
        """Revoke one API token."""
        ...

    def revoke_user(self, name: str) -> RevokedUser:
        """Revoke every token and session of a user."""
        ...

    def tag_column(
        self,
        dataset: str,
        column: str,
        *,
        personal: bool,
        legal_basis: str | None = None,
        note: str = "",
    ) -> ColumnTag:
        """Mark a dataset column as personal data (or not)."""
        ...

    def column_tags(self, dataset: str | None = None) -> list[ColumnTag]:
        """Column tags of one dataset or all."""
        ...

    def lineage(
        self, *, dataset: str | None = None, column: str | None = None
    ) -> list[LineageEntry]:
        """Model versions trained on a dataset, or on any dataset with a column."""
        ...

    def verify_audit(self) -> VerifyResult:
        """Verify the audit chain against every checkpoint."""
        ...

    def checkpoint_audit(self) -> CheckpointRecord:
        """Verify, then anchor the chain head."""
        ...

    def audit_events(
        self, *, entity_type: str | None = None, entity_id: str | None = None, limit: int = 50
    ) -> list[AuditEvent]:
        """The newest audit events, newest first."""
        ...

    def checkpoints(self) -> list[CheckpointRecord]:
        """The checkpoints indexed in the database, oldest first."""
        ...

    def export_audit(self, fmt: str = "jsonl") -> Iterator[str]:
        """The trail as JSON Lines or CSV text chunks."""
        ...

    def inventory(self, **filters: Any) -> list[InventoryRow]:
        """Every model with risk, stage, validation, pending sign-offs and what is overdue."""
        ...


class EvidenceAPI(Protocol):
    """`client.evidence`: validation findings, waivers of gate items, their alerts, and the
    evidence pack of a version (built by the workspace or server, verified offline)."""

    def record_finding(
        self,
        model: str,
        version: int,
        *,
        title: str,
        severity: str,
        owner: str,
        due: datetime,
        detail: str = "",
    ) -> Finding:
        """Record a validation finding (needs `record_finding`: validators, risk managers)."""
        ...

    def update_finding(
        self,
        finding_id: int,
        *,
        status: str | None = None,
        severity: str | None = None,
        owner: str | None = None,
        due: datetime | None = None,
        resolution: str = "",
    ) -> Finding:
        """Change a finding's status (open, resolved, withdrawn), severity, owner or due date."""
        ...

    def findings(
        self, model: str | None = None, version: int | None = None, *, open_only: bool = False
    ) -> builtins.list[Finding]:
        """Findings, oldest first (of a version, a model, or all)."""
        ...

    def request_waiver(
        self,
        model: str,
        version: int,
        *,
        item: str,
        reason: str,
        approver_role: str,
        expires: datetime,
    ) -> Waiver:
        """Ask that one gate item pass until `expires`; someone else in `approver_role`
        must approve it."""
        ...

    def approve_waiver(self, waiver_id: int, *, comment: str = "") -> Waiver:
        """Approve a waiver (never the requester nor an author of the version)."""
        ...

    def revoke_waiver(self, waiver_id: int, *, reason: str) -> Waiver:
        """Revoke a waiver: its item is judged again at once."""
        ...

    def waivers(
        self, model: str | None = None, version: int | None = None
    ) -> builtins.list[Waiver]:
        """Waivers, oldest first (of a version, a model, or all)."""
        ...

    def alerts(
        self, model: str | None = None, *, within_days: int = 14
    ) -> builtins.list[GovernanceAlert]:
        """Overdue findings and waivers expiring within `within_days`."""
        ...

    def pack(self, model: str, version: int, output: str | Path | None = None) -> EvidencePack:
        """Build the evidence pack of a version (written to `output` when given)."""
        ...

    def verify_pack(self, path: str | Path) -> PackCheck:
        """Check a pack offline (same in both modes: nothing is sent anywhere)."""
        ...


class DeploymentsAPI(Protocol):
    """`client.deployments`: deployments, bundles and batch scoring."""

    def create(
        self,
        name: str,
        *,
        model_uri: str,
        environment: str = "production",
        unseen_categories: UnseenCategories | str = ...,
        allow_missing: bool = False,
        max_body_bytes: int = ...,
        reason: str = "",
    ) -> Deployment:
        """Deploy a version under a name in an environment."""
        ...

    def get(self, name: str) -> Deployment:
        """One deployment."""
        ...

    def list(self) -> builtins.list[Deployment]:
        """Every deployment."""
        ...

    def history(self, name: str) -> builtins.list[DeploymentConfig]:
        """Every configuration the deployment had, oldest first."""
        ...

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
        """Put a challenger version behind a strategy."""
        ...

    def clear_challenger(self, name: str, *, reason: str = "") -> Deployment:
        """Remove the challenger."""
        ...

    def promote(self, name: str, *, reason: str = "") -> Deployment:
        """The challenger becomes the champion."""
        ...

    def rollback(self, name: str, *, reason: str = "") -> Deployment:
        """Go back to the configuration before the last change."""
        ...

    def kill(self, name: str, *, fallback: Any = None, reason: str = "") -> Deployment:
        """Stop answering with the model."""
        ...

    def revive(self, name: str, *, reason: str = "") -> Deployment:
        """Answer with the model again."""
        ...

    def package(
        self,
        model_uri: str,
        output: str | Path,
        *,
        deployment: str | None = None,
        environment: str | None = None,
    ) -> BundleInfo:
        """Write a self-contained bundle of a version into the folder `output`."""
        ...

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
    ) -> BatchResult:
        """Score a Parquet or CSV file into `output` (Parquet)."""
        ...

    def read_predictions(self, deployment: str, start: Any = None, end: Any = None) -> Any:
        """The logged records of a deployment (pandas DataFrame)."""
        ...

    def set_explanations(self, name: str, *, top: int, reason: str = "") -> Deployment:
        """Answers carry each row's `top` main contributions (0: none); the log keeps all."""
        ...

    def explain(
        self,
        request_id: str,
        *,
        deployment: str | None = None,
        row: int = 0,
        settings: NoticeSettings | None = None,
    ) -> Notice:
        """The notice of one logged decision, recomputed from the registered version."""
        ...


class MonitoringAPI(Protocol):
    """`client.monitoring`: labels, monitoring runs, windows, alerts, reports, comparisons."""

    @property
    def project(self) -> Project:
        """The caller's project file (modelward.yaml)."""
        ...

    def options(self, **overrides: Any) -> MonitorOptions:
        """The options of a run: the project's monitoring section, then `overrides`."""
        ...

    def ingest_labels(
        self,
        deployment: str,
        data: Any,
        *,
        id_column: str = "request_id",
        label_column: str = "label",
        row_column: str | None = None,
    ) -> LabelIngestResult:
        """Store ground-truth labels for logged requests."""
        ...

    def run(
        self,
        deployment: str,
        *,
        window: str | timedelta | None = None,
        webhook: str | None = None,
        reference_window: tuple[datetime, datetime] | None = None,
        on_window: Callable[[int, int], None] | None = None,
        **overrides: Any,
    ) -> RunResult:
        """Compute every complete window since the last run of a deployment."""
        ...

    def run_all(self, **kwargs: Any) -> builtins.list[RunResult]:
        """`run` for every deployment."""
        ...

    def ingest_context(
        self, deployment: str, data: Any, *, id_column: str = "request_id",
        row_column: str | None = None, columns: builtins.list[str] | None = None,
    ) -> FeedIngestResult:  # fmt: skip
        """Store records' protected context (sensitive attributes; never given to the model)."""
        ...

    def ingest_outcomes(
        self, deployment: str, data: Any, *, id_column: str = "request_id",
        row_column: str | None = None, columns: builtins.list[str] | None = None,
    ) -> FeedIngestResult:  # fmt: skip
        """Store records' business outcomes (clicked, converted, value ...)."""
        ...

    def purge_context(self, deployment: str, *, retention_days: int | None = None) -> int:
        """Delete protected context older than the retention; how many records."""
        ...

    def figures(self, deployment: str) -> builtins.list[dict[str, Any]]:
        """Per-window fairness, business and ranking figures, oldest window first."""
        ...

    def webhooks(self, *, failed_only: bool = False) -> builtins.list[WebhookDelivery]:
        """Kept webhook deliveries."""
        ...

    def replay_webhooks(self, *, deployment: str | None = None) -> builtins.list[WebhookDelivery]:
        """Send failed webhook deliveries (of one deployment) again, each to the URL it was
        first sent to and nowhere else (remotely, the server sends them)."""
        ...

    def obligations(self, model: str | None = None) -> builtins.list[MonitoringDue]:
        """Production deployments and whether monitoring keeps the policy's cadence."""
        ...

    def alerts(
        self, *, deployment: str | None = None, model: str | None = None, open_only: bool = False
    ) -> builtins.list[Alert]:
        """Alerts, newest first."""
        ...

    def open_alerts(self, model: str | None = None) -> builtins.list[Alert]:
        """Unacknowledged alerts, newest first."""
        ...

    def acknowledge(self, alert_id: int, *, comment: str) -> Alert:
        """Mark an alert as seen, saying what was done about it (required; audited)."""
        ...

    def windows(self, deployment: str) -> builtins.list[MonitoringWindow]:
        """Computed monitoring windows, oldest first."""
        ...

    def latest_labelled_window(self, deployment: str) -> MonitoringWindow:
        """The newest window with labels (NotFound when none)."""
        ...

    def labelled_rows(
        self,
        deployment: str,
        *,
        features: Sequence[str],
        target: str,
        start: datetime | None = None,
        end: datetime | None = None,
        context: Sequence[str] = (),
    ) -> pd.DataFrame:
        """Logged inputs joined with their labels, oldest first, with ``ts``."""
        ...

    def status(self, deployment: str) -> dict[str, Any]:
        """Last window, open alerts, labelled windows."""
        ...

    def report(self, deployment: str, output: str | Path | None = None) -> str:
        """The self-contained HTML report; written to `output` when given."""
        ...

    def compare(
        self,
        deployment: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        request_review: bool = False,
    ) -> Evidence:
        """Champion vs challenger on labelled live traffic (stored and audited)."""
        ...


class GraphAPI(Protocol):
    """`client.graph`: what models consume (the graph between models), what a change to a
    model affects downstream, and downstream owners' acknowledgements."""

    def declare(
        self,
        model: str,
        upstream_uri: str,
        *,
        version: int | None = None,
        deployment: str | None = None,
        dataset: str | None = None,
        reason: str = "",
    ) -> Dependency:
        """Record that `model` (a version, a deployment of it, or the whole model) consumes
        the output of `upstream_uri`'s model, or a `dataset` it produced. Conflict when it
        would close a cycle (the message names it)."""
        ...

    def remove(self, dependency_id: int, *, reason: str = "") -> Dependency:
        """Delete a declaration; returns what was deleted."""
        ...

    def graph(self, model: str) -> ModelGraph:
        """Every model upstream and downstream of `model`, with risk, stage and health."""
        ...

    def impact(self, model: str) -> Impact:
        """The models downstream of `model` (any depth), their deployments and owners."""
        ...

    def acknowledge(
        self, upstream: str, version: int, *, downstream: str, comment: str = ""
    ) -> Acknowledgement:
        """As the owner of `downstream`, acknowledge that `upstream` moves to `version`."""
        ...

    def acknowledgements(
        self, upstream: str, version: int | None = None
    ) -> builtins.list[Acknowledgement]:
        """Acknowledgements of changes to `upstream` (of one version)."""
        ...


class GuardrailsAPI(Protocol):
    """`client.guardrails`: a deployment's guardrails (see `domain.guardrails.GuardrailSpec`)."""

    def set(self, deployment: str, spec: Mapping[str, Any], *, reason: str = "") -> GuardrailSpec:
        """Store the deployment's guardrails; InvalidInput names a bad field."""
        ...

    def get(self, deployment: str) -> GuardrailSpec | None:
        """The deployment's guardrails, or None."""
        ...

    def clear(self, deployment: str, *, reason: str = "") -> None:
        """Remove the deployment's guardrails (Conflict when it has none)."""
        ...


class DataProtectionAPI(Protocol):
    """`client.data`: retention, legal basis and personal columns per deployment; erasure of
    a data subject; the maintenance pass."""

    def protect(
        self,
        deployment: str,
        *,
        legal_basis: str | None = None,
        retention_days: int | None = None,
        personal_columns: Sequence[str] | None = None,
        subject_column: str | None = None,
        note: str = "",
    ) -> DataProtection:
        """Set a deployment's data-protection settings (they replace the previous ones)."""
        ...

    def protection(self, deployment: str) -> DataProtection:
        """A deployment's settings (NotFound when none are recorded)."""
        ...

    def protections(self) -> builtins.list[DataProtection]:
        """Every deployment's settings."""
        ...

    def inventory(self) -> builtins.list[PersonalDataHolding]:
        """Every deployment holding personal data: columns, legal basis, retention."""
        ...

    def pseudonymised_columns(self, deployment: str) -> builtins.list[str]:
        """The input columns the prediction log pseudonymises for `deployment`."""
        ...

    def erase(self, subject: str, *, columns: Sequence[str] = ()) -> ErasureResult:
        """Remove one person's rows from logs, labels, samples and snapshots (audited)."""
        ...

    def maintenance(self, *, compact: bool = True) -> MaintenanceResult:
        """Enforce retention and compact the prediction log (audited)."""
        ...
