"""Wire models (``…In`` bodies, ``…Out`` answers) shared by the REST API and the HTTP client.

They mirror the domain entities but are not them: ``Out.of(entity)`` builds an answer from an
entity, ``Out.to_domain()`` turns an answer back into the entity the local client returns, so
local and remote calls give equal results. No rules live here, only shapes and bounds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from modelward.domain.audit import AuditEvent
from modelward.domain.governance import User
from modelward.domain.registry import AliasEvent, ModelVersion, RegisteredModel
from modelward.domain.reports import ReportRecord
from modelward.domain.tracking import (
    ArtifactRef,
    DatasetRef,
    Experiment,
    Metric,
    Run,
    RunStatus,
    Source,
)

Name = str  # names are checked by the services (domain.names), which say what is wrong
_FROM = ConfigDict(from_attributes=True, populate_by_name=True)


class ErrorBodyOut(BaseModel):
    """The content of every error answer: a stable code, one sentence, and details."""

    model_config = ConfigDict(extra="allow")
    code: str
    message: str


class ErrorOut(BaseModel):
    """``{"error": {...}}``."""

    error: ErrorBodyOut


# -- tracking -----------------------------------------------------------------------------


class ExperimentOut(BaseModel):
    model_config = _FROM
    id: int
    name: str
    created_at: datetime
    description: str = ""

    def to_domain(self) -> Experiment:
        return Experiment(self.id, self.name, self.created_at, self.description)


class SourceIO(BaseModel):
    model_config = _FROM
    entry_point: str | None = Field(default=None, max_length=4096)
    git_commit: str | None = Field(default=None, max_length=64)
    git_dirty: bool | None = None


class RunStartIn(BaseModel):
    experiment: Name = Field(default="Default", min_length=1, max_length=256)
    name: str | None = Field(default=None, max_length=256)
    parent_run_id: str | None = Field(default=None, max_length=64)
    tags: dict[str, str] = Field(default_factory=dict)
    source: SourceIO | None = None
    environment_id: str | None = Field(default=None, max_length=64)
    environment: dict[str, Any] | None = None


class MetricIO(BaseModel):
    model_config = _FROM
    key: str = Field(max_length=250)
    value: float
    step: int = Field(default=0, ge=-(2**62), le=2**62)
    timestamp: int = Field(default=0, ge=0, le=2**62)

    def to_domain(self) -> Metric:
        return Metric(self.key, self.value, self.step, self.timestamp)


class LogBatchIn(BaseModel):
    params: dict[str, str] = Field(default_factory=dict)
    metrics: list[MetricIO] = Field(default_factory=list, max_length=100_000)
    tags: dict[str, str] = Field(default_factory=dict)

    def domain_metrics(self) -> list[Metric]:
        return [m.to_domain() for m in self.metrics]


class EndRunIn(LogBatchIn):
    status: RunStatus = RunStatus.FINISHED


class DatasetOut(BaseModel):
    model_config = _FROM
    dataset_id: str
    name: str
    role: str
    row_count: int
    schema_: dict[str, str] = Field(alias="schema")
    profile: dict[str, Any] = Field(default_factory=dict)
    source: str | None = None
    sample_sha256: str | None = None
    row_hashes_sha256: str | None = None  # training sets: every row's fingerprint (.npy)

    def to_domain(self) -> DatasetRef:
        return DatasetRef(
            self.dataset_id,
            self.name,
            self.role,
            self.row_count,
            dict(self.schema_),
            dict(self.profile),
            self.source,
            self.sample_sha256,
            self.row_hashes_sha256,
        )


class ArtifactOut(BaseModel):
    model_config = _FROM
    path: str
    sha256: str
    size: int
    kind: str = "file"

    def to_domain(self) -> ArtifactRef:
        return ArtifactRef(self.path, self.sha256, self.size, self.kind)


class RunOut(BaseModel):
    model_config = _FROM
    id: str
    experiment_id: int
    experiment: str
    name: str
    status: RunStatus
    user: str
    start_time: datetime
    end_time: datetime | None = None
    parent_run_id: str | None = None
    source: SourceIO = SourceIO()
    environment_id: str | None = None
    params: dict[str, str] = Field(default_factory=dict)
    metrics: dict[str, float] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)
    datasets: list[DatasetOut] = Field(default_factory=list)
    artifacts: list[ArtifactOut] = Field(default_factory=list)
    deleted_at: datetime | None = None  # soft-deleted: hidden from searches

    def to_domain(self) -> Run:
        src = self.source
        return Run(
            id=self.id,
            experiment_id=self.experiment_id,
            experiment=self.experiment,
            name=self.name,
            status=self.status,
            user=self.user,
            start_time=self.start_time,
            end_time=self.end_time,
            parent_run_id=self.parent_run_id,
            source=Source(src.entry_point, src.git_commit, src.git_dirty),
            environment_id=self.environment_id,
            params=dict(self.params),
            metrics=dict(self.metrics),
            tags=dict(self.tags),
            datasets=tuple(d.to_domain() for d in self.datasets),
            artifacts=tuple(a.to_domain() for a in self.artifacts),
            deleted_at=self.deleted_at,
        )


class RunSearchIn(BaseModel):
    experiments: list[str] | None = None
    filter: str | None = Field(default=None, max_length=10_000)
    order_by: list[str] | None = None
    limit: int = Field(default=1000, ge=1, le=50_000)
    offset: int = Field(default=0, ge=0, le=2**31)


class RunDiffOut(BaseModel):
    a: RunOut
    b: RunOut
    sections: dict[str, list[tuple[str, Any, Any, bool]]]


# -- registry -----------------------------------------------------------------------------


class ModelCreateIn(BaseModel):
    name: Name = Field(min_length=1, max_length=256)
    description: str = Field(default="", max_length=10_000)
    tags: dict[str, str] = Field(default_factory=dict)


class ModelOut(BaseModel):
    model_config = _FROM
    name: str
    created_at: datetime
    owner: str
    description: str = ""
    tags: dict[str, str] = Field(default_factory=dict)
    aliases: dict[str, int] = Field(default_factory=dict)
    latest_version: int | None = None

    def to_domain(self) -> RegisteredModel:
        return RegisteredModel(
            self.name,
            self.created_at,
            self.owner,
            self.description,
            dict(self.tags),
            dict(self.aliases),
            self.latest_version,
        )


class RegisterIn(BaseModel):
    run_id: str = Field(min_length=1, max_length=64)
    artifact: str = Field(default="model", min_length=1, max_length=256)
    description: str = Field(default="", max_length=10_000)


class VersionOut(BaseModel):
    model_config = _FROM
    model: str
    version: int
    run_id: str | None
    artifact_sha256: str
    meta_sha256: str
    flavor: str
    signature: dict[str, Any]
    created_by: str
    created_at: datetime
    description: str = ""
    aliases: list[str] = Field(default_factory=list)

    def to_domain(self) -> ModelVersion:
        return ModelVersion(
            self.model,
            self.version,
            self.run_id,
            self.artifact_sha256,
            self.meta_sha256,
            self.flavor,
            dict(self.signature),
            self.created_by,
            self.created_at,
            self.description,
            tuple(self.aliases),
        )


class AliasIn(BaseModel):
    version: int = Field(ge=1, le=2**31)
    reason: str = Field(default="", max_length=10_000)


class AliasEventOut(BaseModel):
    model_config = _FROM
    model: str
    alias: str
    version: int | None
    previous_version: int | None
    at: datetime
    actor: str

    def to_domain(self) -> AliasEvent:
        return AliasEvent(
            self.model, self.alias, self.version, self.previous_version, self.at, self.actor
        )


class AliasAtOut(BaseModel):
    version: int | None  # None: no version held the alias then


class ReasonOnlyIn(BaseModel):
    reason: str = Field(default="", max_length=10_000)


class TextOut(BaseModel):
    """A text document (a model card in Markdown, say)."""

    text: str


class ShaOut(BaseModel):
    sha256: str
    size: int


# -- validation ---------------------------------------------------------------------------


class ReportRecordOut(BaseModel):
    model_config = _FROM
    model: str
    version: int
    created_at: datetime
    created_by: str
    passed: bool
    task: str
    report_sha256: str | None = None
    html_sha256: str | None = None
    dataset_id: str | None = None
    against: str | None = None
    summary: dict[str, Any] = Field(default_factory=dict)
    id: int | None = None
    author_roles: tuple[str, ...] | None = None

    def to_domain(self) -> ReportRecord:
        return ReportRecord(**self.model_dump())


class ValidationOut(BaseModel):
    record: ReportRecordOut
    report: dict[str, Any]


# -- governance ---------------------------------------------------------------------------


class UserIn(BaseModel):
    name: Name = Field(min_length=1, max_length=256)
    roles: list[str] = Field(min_length=1, max_length=32)


class UserOut(BaseModel):
    model_config = _FROM
    name: str
    roles: list[str]
    created_at: datetime
    created_by: str

    def to_domain(self) -> User:
        return User(self.name, tuple(self.roles), self.created_at, self.created_by)


class IdentityOut(BaseModel):
    model_config = _FROM
    user: str
    roles: list[str]
    bootstrap: bool


class AuditEventOut(BaseModel):
    model_config = _FROM
    action: str
    entity_type: str
    entity_id: str
    actor: str
    at: datetime
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    reason: str = ""
    seq: int = 0
    prev_hash: str = ""
    hash: str = ""

    def to_domain(self) -> AuditEvent:
        return AuditEvent(**self.model_dump())


class PageOut(BaseModel):
    """Paging facts of a listing."""

    total: int
    offset: int
    limit: int
