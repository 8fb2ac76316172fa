"""The metadata schema as SQLAlchemy Core tables. Change it only together with a migration
(``alembic revision --autogenerate``); ``tests/store/test_schema.py`` fails when they drift."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from modelward.store.sql.types import BigId, Json, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

experiments = Table(
    "experiments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(256), nullable=False, unique=True),
    Column("description", Text, nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
)

environments = Table(
    "environments",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("content", Json, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("experiment_id", Integer, ForeignKey("experiments.id"), nullable=False),
    Column("name", String(256), nullable=False),
    Column("status", String(16), nullable=False),
    Column("user", String(256), nullable=False),
    Column("start_time", UTCDateTime, nullable=False),
    Column("end_time", UTCDateTime, nullable=True),
    Column("parent_run_id", String(32), nullable=True),
    Column("entry_point", Text, nullable=True),
    Column("git_commit", String(64), nullable=True),
    Column("git_dirty", Boolean, nullable=True),
    Column("environment_id", String(64), ForeignKey("environments.id"), nullable=True),
    # set by the logging process every ~30 s; a RUNNING run without one for long has died
    Column("last_heartbeat_at", UTCDateTime, nullable=True),
    Index("ix_runs_experiment_start", "experiment_id", "start_time"),
    Index("ix_runs_status", "status"),
)

params = Table(
    "params",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
)

run_tags = Table(
    "run_tags",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
)

metrics = Table(
    "metrics",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(250), nullable=False),
    Column("value", Float, nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Index("ix_metrics_run_key_step", "run_id", "key", "step"),
)

latest_metrics = Table(
    "latest_metrics",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Float, nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Index("ix_latest_metrics_key_value", "key", "value"),
)

datasets = Table(
    "datasets",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("row_count", BigInteger, nullable=False),
    Column("schema", Json, nullable=False),
    Column("profile", Json, nullable=False),
    Column("source", Text, nullable=True),
    Column("sample_sha256", String(64), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    # every row's fingerprint (uint64 .npy artifact), to find training rows among
    # validation rows (0010)
    Column("row_hashes_sha256", String(64), nullable=True),
)

run_datasets = Table(
    "run_datasets",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(256), primary_key=True),
    Column("dataset_id", String(64), ForeignKey("datasets.id"), nullable=False, index=True),
    Column("role", String(64), nullable=False),
    Column("source", Text, nullable=True),
)

run_artifacts = Table(
    "run_artifacts",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("path", String(512), primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("kind", String(16), nullable=False),
)

registered_models = Table(
    "registered_models",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(256), nullable=False, unique=True),
    Column("description", Text, nullable=False, default=""),
    Column("owner", String(256), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

model_tags = Table(
    "model_tags",
    metadata,
    Column("model_id", Integer, ForeignKey("registered_models.id"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model_id", Integer, ForeignKey("registered_models.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("run_id", String(32), ForeignKey("runs.id"), nullable=True, index=True),
    Column("artifact_sha256", String(64), nullable=False),
    Column("meta_sha256", String(64), nullable=False),
    Column("flavor", String(64), nullable=False),
    Column("signature", Json, nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("created_by", String(256), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("model_id", "version", name="uq_model_versions_model_version"),
)

model_aliases = Table(
    "model_aliases",
    metadata,
    Column("model_id", Integer, ForeignKey("registered_models.id"), primary_key=True),
    Column("alias", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(256), nullable=False),
)

alias_events = Table(
    "alias_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("model_id", Integer, ForeignKey("registered_models.id"), nullable=False),
    Column("alias", String(64), nullable=False),
    Column("version", Integer, nullable=True),
    Column("previous_version", Integer, nullable=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(256), nullable=False),
    Index("ix_alias_events_model_alias_at", "model_id", "alias", "at"),
)

validation_reports = Table(
    "validation_reports",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("model_version_id", Integer, ForeignKey("model_versions.id"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(256), nullable=False),
    Column("passed", Boolean, nullable=False),
    Column("task", String(32), nullable=False),
    Column("dataset_id", String(64), nullable=True),
    Column("against", String(512), nullable=True),
    Column("report_sha256", String(64), nullable=False),
    Column("html_sha256", String(64), nullable=True),
    Column("summary", Json, nullable=False),
    # the roles its author held when storing it: whether it may serve as gate evidence (0010)
    Column("author_roles", Json, nullable=True),
    Index("ix_validation_reports_version_created", "model_version_id", "created_at"),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(256), nullable=False),
    Column("action", String(64), nullable=False),
    Column("entity_type", String(64), nullable=False),
    Column("entity_id", String(512), nullable=False),
    Column("before", Json, nullable=True),
    Column("after", Json, nullable=True),
    Column("reason", Text, nullable=False, default=""),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_events_entity", "entity_type", "entity_id"),
)

# One row (id = 1) holding the chain head; locking it serialises appends on PostgreSQL.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

# Deployments (issue 5): the named deployment with its kill switch and request settings, and its
# configuration history (append-only; the newest row is the live configuration).
deployments = Table(
    "deployments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(256), nullable=False, unique=True),
    Column("environment", String(64), nullable=False),
    Column("model_name", String(256), nullable=False),
    Column("created_by", String(256), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("killed", Boolean, nullable=False, default=False),
    Column("fallback", Json, nullable=True),
    Column("unseen_categories", String(16), nullable=False),
    Column("allow_missing", Boolean, nullable=False, default=False),
    Column("max_body_bytes", BigInteger, nullable=False),
    Column("explain_top", Integer, nullable=False, default=0, server_default="0"),  # 0015
)

deployment_configs = Table(
    "deployment_configs",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("deployment_id", Integer, ForeignKey("deployments.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("parent_seq", Integer, nullable=True),
    Column("champion_version", Integer, nullable=False),
    Column("challenger_version", Integer, nullable=True),
    Column("strategy", String(16), nullable=False),
    Column("share", Float, nullable=False),
    Column("ab_key", String(256), nullable=True),
    Column("action", String(32), nullable=False),
    Column("created_by", String(256), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("reason", Text, nullable=False, default=""),
    UniqueConstraint("deployment_id", "seq", name="uq_deployment_configs_deployment_seq"),
)

# Governance (issue 4): risk assessments per model (every one kept: the newest is current),
# review requests and sign-offs per version, users and their roles, model card fields,
# dataset column tags (personal data, legal basis) and the index of audit checkpoints.
risk_assessments = Table(
    "risk_assessments",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("model_id", Integer, ForeignKey("registered_models.id"), nullable=False),
    Column("likelihood", Integer, nullable=False),
    Column("severity", Integer, nullable=False),
    Column("level", String(16), nullable=False),
    Column("rationale", Text, nullable=False, default=""),
    Column("answers", Json, nullable=False),
    Column("assessed_by", String(256), nullable=False),
    Column("assessed_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=True),
    Index("ix_risk_assessments_model_at", "model_id", "assessed_at"),
)

review_requests = Table(
    "review_requests",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("model_version_id", Integer, ForeignKey("model_versions.id"), nullable=False),
    Column("requested_by", String(256), nullable=False),
    Column("requested_at", UTCDateTime, nullable=False),
    Column("comment", Text, nullable=False, default=""),
    Index("ix_review_requests_version", "model_version_id"),
)

sign_offs = Table(
    "sign_offs",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("model_version_id", Integer, ForeignKey("model_versions.id"), nullable=False),
    Column("role", String(64), nullable=False),
    Column("user_name", String(256), nullable=False),
    Column("decision", String(16), nullable=False),
    Column("comment", Text, nullable=False, default=""),
    Column("at", UTCDateTime, nullable=False),
    # sha256 of the evidence report the decision was given on; null: none existed (0010)
    Column("evidence_sha256", String(64), nullable=True),
    Index("ix_sign_offs_version_at", "model_version_id", "at"),
)

users = Table(
    "users",
    metadata,
    Column("name", String(256), primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(256), nullable=False),
)

# Settings of the workspace itself (e.g. require_server): in the database, not the environment.
workspace_settings = Table(
    "workspace_settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(256), nullable=False),
)

user_roles = Table(
    "user_roles",
    metadata,
    Column("user_name", String(256), ForeignKey("users.name"), primary_key=True),
    Column("role", String(64), primary_key=True),
)

# version 0 holds a field for every version of the model; a version's own value wins.
model_card_fields = Table(
    "model_card_fields",
    metadata,
    Column("model_id", Integer, ForeignKey("registered_models.id"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("field", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_by", String(256), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

dataset_column_tags = Table(
    "dataset_column_tags",
    metadata,
    Column("dataset_id", String(64), ForeignKey("datasets.id"), primary_key=True),
    Column("column_name", String(256), primary_key=True),
    Column("personal_data", Boolean, nullable=False),
    Column("legal_basis", Text, nullable=True),
    Column("note", Text, nullable=False, default=""),
    Column("tagged_by", String(256), nullable=False),
    Column("tagged_at", UTCDateTime, nullable=False),
)

# An index of the checkpoints written to the artifact store (the JSON there is the anchor).
audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("address", String(64), nullable=False),
    Column("created_by", String(256), nullable=False),
)

# API tokens for the platform server: only the sha256 of a token is kept (it is shown once).
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_name", String(256), ForeignKey("users.name"), nullable=False, index=True),
    Column("label", String(256), nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(256), nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    # 0007: expiry, last use (written at most once a minute) and who revoked the token
    Column("expires_at", UTCDateTime, nullable=True),
    Column("last_used_at", UTCDateTime, nullable=True),
    Column("revoked_by", String(256), nullable=True),
)

# Web UI sessions (0007): the cookie carries a nonce, the row is keyed by its sha256; every
# cookie-authenticated request looks the row up by primary key (revoked or expired: refused).
sessions = Table(
    "sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("user_name", String(256), ForeignKey("users.name"), nullable=False, index=True),
    Column("token_id", BigId, ForeignKey("api_tokens.id"), nullable=True, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
    Column("revoked_at", UTCDateTime, nullable=True),
)

# Monitoring (issue 6): late ground-truth labels (one per logged record: a newer label for the
# same request id and row replaces the older one and counts the repeat), monitoring windows
# (unique per deployment and span: re-running a window finds it and changes nothing), their
# drift and performance time series, and alerts (unique per window, kind and subject).
ground_truth_labels = Table(
    "ground_truth_labels",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("deployment_id", Integer, ForeignKey("deployments.id"), nullable=False),
    Column("request_id", String(128), nullable=False),
    Column("row", Integer, nullable=False),
    Column("label", Json, nullable=True),
    Column("predicted_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("times_received", Integer, nullable=False),
    UniqueConstraint(
        "deployment_id", "request_id", "row", name="uq_ground_truth_labels_request_row"
    ),
    Index("ix_ground_truth_labels_predicted", "deployment_id", "predicted_at"),
)

monitoring_windows = Table(
    "monitoring_windows",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("deployment_id", Integer, ForeignKey("deployments.id"), nullable=False),
    Column("window_start", UTCDateTime, nullable=False),
    Column("window_end", UTCDateTime, nullable=False),
    Column("status", String(32), nullable=False),
    Column("n_rows", BigInteger, nullable=False),
    Column("n_labels", BigInteger, nullable=False),
    Column("champion_version", Integer, nullable=True),
    Column("reference", Text, nullable=False, default=""),
    Column("computed_at", UTCDateTime, nullable=False),
    Column("performance_at", UTCDateTime, nullable=True),
    Column("summary", Json, nullable=False),
    UniqueConstraint(
        "deployment_id", "window_start", "window_end", name="uq_monitoring_windows_span"
    ),
)

monitoring_drift = Table(
    "monitoring_drift",
    metadata,
    Column(
        "window_id",
        BigId,
        ForeignKey("monitoring_windows.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("target", String(16), primary_key=True),  # "input" or "prediction"
    Column("column_name", String(256), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("method", String(32), nullable=False),
    Column("statistic", Float, nullable=True),
    Column("p_value", Float, nullable=True),
    Column("effect_size", Float, nullable=True),
    Column("threshold", Float, nullable=True),
    Column("drifted", Boolean, nullable=True),
    Column("status", String(32), nullable=False),
    Column("message", Text, nullable=False, default=""),
)

monitoring_performance = Table(
    "monitoring_performance",
    metadata,
    Column(
        "window_id",
        BigId,
        ForeignKey("monitoring_windows.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("metric", String(64), primary_key=True),
    Column("value", Float, nullable=True),
    Column("baseline", Float, nullable=True),
    Column("threshold", Float, nullable=True),
    Column("degraded", Boolean, nullable=True),
    Column("n_labels", BigInteger, nullable=False),
)

monitoring_alerts = Table(
    "monitoring_alerts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("deployment_id", Integer, ForeignKey("deployments.id"), nullable=False),
    Column("model_name", String(256), nullable=False),
    Column("version", Integer, nullable=True),
    Column("kind", String(16), nullable=False),  # drift, performance, data
    Column("severity", String(16), nullable=False),  # warning, critical
    Column("subject", String(256), nullable=False),  # the column or metric
    Column("message", Text, nullable=False),
    Column("window_start", UTCDateTime, nullable=False),
    Column("window_end", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("acknowledged_at", UTCDateTime, nullable=True),
    Column("acknowledged_by", String(256), nullable=True),
    Column("webhook_status", String(32), nullable=False),
    Column("webhook_detail", Text, nullable=False, default=""),
    Column("details", Json, nullable=False),
    UniqueConstraint(
        "deployment_id",
        "window_start",
        "kind",
        "subject",
        name="uq_monitoring_alerts_window_subject",
    ),
    Index("ix_monitoring_alerts_model", "model_name", "acknowledged_at"),
)

# Findings and waivers (issue 16): a validator's findings on a version, and time-boxed
# waivers that let one named gate item pass (requested by one person, approved by another).
findings = Table(
    "findings",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("model_version_id", Integer, ForeignKey("model_versions.id"), nullable=False),
    Column("title", String(512), nullable=False),
    Column("detail", Text, nullable=False, default=""),
    Column("severity", String(16), nullable=False),
    Column("owner", String(256), nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_by", String(256), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_by", String(256), nullable=True),
    Column("updated_at", UTCDateTime, nullable=True),
    Column("resolution", Text, nullable=False, default=""),
    Index("ix_findings_version", "model_version_id"),
    Index("ix_findings_status_due", "status", "due_at"),
)

waivers = Table(
    "waivers",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("model_version_id", Integer, ForeignKey("model_versions.id"), nullable=False),
    Column("item", String(256), nullable=False),
    Column("reason", Text, nullable=False),
    Column("approver_role", String(64), nullable=False),
    Column("requested_by", String(256), nullable=False),
    Column("requested_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("approved_by", String(256), nullable=True),
    Column("approved_at", UTCDateTime, nullable=True),
    Column("revoked_by", String(256), nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("revoke_reason", Text, nullable=False, default=""),
    Index("ix_waivers_version", "model_version_id"),
    Index("ix_waivers_expires", "expires_at"),
)

# Model interactions and guardrails (issue 15): what a model, a version or a deployment
# consumes (the graph between models), the acknowledgements of downstream owners, and each
# deployment's guardrail spec.
model_dependencies = Table(
    "model_dependencies",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("key", String(1200), nullable=False, unique=True),
    Column("model_name", String(256), nullable=False),
    Column("version", Integer, nullable=True),
    Column("deployment_name", String(256), nullable=True),
    Column("upstream_model", String(256), nullable=False),
    Column("upstream_ref", String(256), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("dataset", String(256), nullable=True),
    Column("created_by", String(256), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_model_dependencies_upstream", "upstream_model"),
    Index("ix_model_dependencies_model", "model_name"),
)

dependency_acks = Table(
    "dependency_acks",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("upstream_model", String(256), nullable=False),
    Column("upstream_version", Integer, nullable=False),
    Column("downstream_model", String(256), nullable=False),
    Column("acknowledged_by", String(256), nullable=False),
    Column("acknowledged_at", UTCDateTime, nullable=False),
    Column("comment", Text, nullable=False, default=""),
    UniqueConstraint(
        "upstream_model",
        "upstream_version",
        "downstream_model",
        name="uq_dependency_acks_change",
    ),
)

deployment_guardrails = Table(
    "deployment_guardrails",
    metadata,
    Column("deployment_id", Integer, ForeignKey("deployments.id"), primary_key=True),
    Column("spec", Json, nullable=False),
    Column("updated_by", String(256), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Data protection (issue 16): a deployment's legal basis, retention and personal-data columns.
data_protection = Table(
    "data_protection",
    metadata,
    Column("deployment_id", Integer, ForeignKey("deployments.id"), primary_key=True),
    Column("legal_basis", String(16), nullable=True),
    Column("retention_days", Integer, nullable=True),
    Column("personal_columns", Json, nullable=False),
    Column("subject_column", String(256), nullable=True),
    Column("note", Text, nullable=False, default=""),
    Column("updated_by", String(256), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Obligations (issue 14, parts 3-5): records' protected context (sensitive attributes, never
# given to the model, kept apart from its inputs with their own retention) and business
# outcomes, both joined to logged records by request id and row; per-window fairness,
# business and ranking figures; monitoring check-ins (the policy's cadence); webhook
# deliveries kept for retry and replay.
record_annotations = Table(
    "record_annotations",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("deployment_id", Integer, ForeignKey("deployments.id"), nullable=False),
    Column("channel", String(16), nullable=False),  # "context" or "outcome"
    Column("request_id", String(128), nullable=False),
    Column("row", Integer, nullable=False),
    Column("payload", Json, nullable=False),
    Column("predicted_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    UniqueConstraint(
        "deployment_id", "channel", "request_id", "row", name="uq_record_annotations_record"
    ),
    Index("ix_record_annotations_predicted", "deployment_id", "channel", "predicted_at"),
)

window_figures = Table(
    "window_figures",
    metadata,
    Column(
        "window_id",
        BigId,
        ForeignKey("monitoring_windows.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("family", String(16), primary_key=True),  # fairness, business, ranking
    Column("name", String(256), primary_key=True),
    Column("value", Float, nullable=True),
    Column("threshold", Float, nullable=True),
    Column("breached", Boolean, nullable=True),
    Column("n_rows", BigInteger, nullable=False),
    Column("details", Json, nullable=False),
    Column("computed_at", UTCDateTime, nullable=False),
)

monitoring_checkins = Table(
    "monitoring_checkins",
    metadata,
    Column("deployment_id", Integer, ForeignKey("deployments.id"), primary_key=True),
    Column("last_run_at", UTCDateTime, nullable=False),
    Column("last_run_by", String(256), nullable=False),
    Column("windows", BigInteger, nullable=False),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("deployment_id", Integer, ForeignKey("deployments.id"), nullable=False),
    Column("payload", Json, nullable=False),
    Column("status", String(16), nullable=False),  # delivered, failed
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_attempt_at", UTCDateTime, nullable=False),
    # the URL it was sent to (0018): a replay re-sends there and nowhere else; NULL before
    Column("target", Text, nullable=True),
    Index("ix_webhook_deliveries_status", "status", "created_at"),
)

# Reproducibility (issue 16): each re-run of a run's entry point and how it compared.
reproductions = Table(
    "reproductions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("run_id", String(32), ForeignKey("runs.id"), nullable=False, index=True),
    Column("reproduced_run_id", String(32), nullable=True),
    Column("metrics_match", Boolean, nullable=False),
    Column("model_identical", Boolean, nullable=True),
    Column("metric_diffs", Json, nullable=False),
    Column("tolerance", Float, nullable=False),
    Column("environment", String(16), nullable=False),
    Column("actor", String(256), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("detail", Text, nullable=False, default=""),
)
