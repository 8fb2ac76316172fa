"""Wire models of governance (risk, reviews, sign-offs, gates, inventory, lineage) and of
deployments. Shapes only: the rules are in the services."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from modelward.domain.deployment import (
    DEFAULT_MAX_BODY_BYTES,
    Deployment,
    DeploymentConfig,
    Strategy,
    UnseenCategories,
)
from modelward.domain.governance import LineageEntry, ReviewRequest
from modelward.domain.policy import Decision, SignOff
from modelward.domain.risk import Likelihood, RiskAssessment, Severity
from modelward.schemas.core import AliasEventOut, PageOut

_FROM = ConfigDict(from_attributes=True, populate_by_name=True)


class AssessIn(BaseModel):
    likelihood: int | str | None = None
    severity: int | str | None = None
    rationale: str = Field(default="", max_length=10_000)
    answers: dict[str, Any] | None = None


class AssessmentOut(BaseModel):
    model_config = _FROM
    model: str
    likelihood: int
    severity: int
    score: int
    level: str
    rationale: str
    assessed_by: str
    assessed_at: datetime
    expires_at: datetime | None = None
    answers: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def of(cls, a: RiskAssessment) -> AssessmentOut:
        return cls(
            model=a.model,
            likelihood=int(a.likelihood),
            severity=int(a.severity),
            score=a.score,
            level=a.level.value,
            rationale=a.rationale,
            assessed_by=a.assessed_by,
            assessed_at=a.assessed_at,
            expires_at=a.expires_at,
            answers=dict(a.answers),
        )

    def to_domain(self) -> RiskAssessment:
        return RiskAssessment(
            self.model,
            Likelihood(self.likelihood),
            Severity(self.severity),
            self.rationale,
            self.assessed_by,
            self.assessed_at,
            self.expires_at,
            dict(self.answers),
        )


class ReviewIn(BaseModel):
    comment: str = Field(default="", max_length=10_000)


class ReviewOut(BaseModel):
    model_config = _FROM
    model: str
    version: int
    requested_by: str
    requested_at: datetime
    comment: str = ""
    promoted_to: str | None = None  # the alias an automatic promotion moved, if any

    def to_domain(self) -> ReviewRequest:
        return ReviewRequest(
            self.model, self.version, self.requested_by, self.requested_at, self.comment
        )


class SignOffIn(BaseModel):
    role: str = Field(min_length=1, max_length=64)
    decision: Decision
    comment: str = Field(default="", max_length=10_000)


class SignOffOut(BaseModel):
    model_config = _FROM
    model: str
    version: int
    role: str
    user: str
    decision: Decision
    comment: str
    at: datetime
    evidence_sha256: str | None = None

    def to_domain(self) -> SignOff:
        return SignOff(
            self.model,
            self.version,
            self.role,
            self.user,
            self.decision,
            self.comment,
            self.at,
            self.evidence_sha256,
        )


class GateItemOut(BaseModel):
    model_config = _FROM
    name: str
    met: bool
    detail: str
    waiver_id: int | None = None  # met only because this waiver is active


class StatusOut(BaseModel):
    model: str
    version: int
    level: str | None
    stage: str
    allowed: bool
    items: list[GateItemOut]
    missing: list[str]
    evidence_id: int | None = None  # the validation report the gate relied on
    evidence_sha256: str | None = None


class InventoryRowOut(BaseModel):
    model_config = _FROM
    model: str
    owner: str
    risk_level: str
    risk_score: int | None
    stage: str
    production_version: int | None
    latest_version: int | None
    latest_stage: str | None
    last_validation: datetime | None
    last_validation_passed: bool | None
    last_validation_version: int | None = None  # the version that report validated
    pending_sign_offs: list[str]
    rejected: bool
    assessment_overdue: bool
    retraining_due: bool
    overdue: bool
    open_findings: int = 0
    overdue_findings: int = 0
    active_waivers: int = 0
    assessment_expires_at: datetime | None = None
    retraining_due_at: datetime | None = None
    business_owner: str = ""
    dependents: int = 0


class InventoryPageOut(PageOut):
    items: list[InventoryRowOut]


class LineageOut(BaseModel):
    model_config = _FROM
    model: str
    version: int
    run_id: str
    dataset_id: str
    dataset_name: str
    role: str

    def to_domain(self) -> LineageEntry:
        return LineageEntry(**self.model_dump())


class GovernanceSettingsOut(BaseModel):
    policies: str  # a policy file (YAML) that reads back to the set in force
    protected_aliases: list[str]
    protected_environments: list[str]


class AutoPromotedOut(BaseModel):
    event: AliasEventOut | None = None  # None: nothing moved


class CardFieldIn(BaseModel):
    version: int = Field(ge=0, le=2**31 - 1, description="0: every version.")
    value: str = Field(max_length=100_000)


class PreviousOut(BaseModel):
    previous: str | None = None


class ColumnTagIn(BaseModel):
    personal: bool
    legal_basis: str | None = Field(default=None, max_length=1000)
    note: str = Field(default="", max_length=10_000)


class VerifyOut(BaseModel):
    ok: bool
    detail: dict[str, Any]
    problems: list[dict[str, Any]] = Field(default_factory=list)  # each names a seq or address


# -- deployments --------------------------------------------------------------------------


class DeploymentIn(BaseModel):
    name: str = Field(min_length=1, max_length=256)
    environment: str = Field(min_length=1, max_length=64)
    model_uri: str = Field(min_length=1, max_length=600)
    unseen_categories: UnseenCategories = UnseenCategories.ALLOW
    allow_missing: bool = False
    max_body_bytes: int = Field(default=DEFAULT_MAX_BODY_BYTES, ge=1024, le=2**31 - 1)
    reason: str = Field(default="", max_length=10_000)


class ChallengerIn(BaseModel):
    version: int = Field(ge=1, le=2**31)
    strategy: Strategy
    share: float = Field(default=0.0, ge=0.0, le=1.0)
    ab_key: str | None = Field(default=None, max_length=256)
    reason: str = Field(default="", max_length=10_000)


class ReasonIn(BaseModel):
    reason: str = Field(default="", max_length=10_000)


class KillIn(ReasonIn):
    fallback: Any = None


class BundleIn(BaseModel):
    model_uri: str = Field(min_length=1, max_length=600)
    # the bundle's folder name (recorded in its audit event): one plain path segment
    folder: str = Field(
        default="bundle", min_length=1, max_length=255, pattern=r"^[A-Za-z0-9._-]+$"
    )
    deployment: str | None = Field(default=None, max_length=256)
    environment: str | None = Field(default=None, max_length=64)


class DeploymentConfigOut(BaseModel):
    model_config = _FROM
    champion: int
    challenger: int | None = None
    strategy: Strategy = Strategy.NONE
    share: float = 0.0
    ab_key: str | None = None
    seq: int = 0
    parent_seq: int | None = None
    action: str = "create"
    created_by: str = ""
    created_at: datetime | None = None
    reason: str = ""

    def to_domain(self) -> DeploymentConfig:
        return DeploymentConfig(**self.model_dump())


class DeploymentOut(BaseModel):
    model_config = _FROM
    name: str
    environment: str
    model: str
    created_by: str
    created_at: datetime
    config: DeploymentConfigOut
    killed: bool = False
    fallback: Any = None
    unseen_categories: str = "allow"
    allow_missing: bool = False
    max_body_bytes: int = 0
    explain_top: int = 0
    updated_at: datetime | None = None

    def to_domain(self) -> Deployment:
        from modelward.domain.deployment import UnseenCategories

        data = self.model_dump(exclude={"config", "unseen_categories"})
        return Deployment(
            **data,
            config=self.config.to_domain(),
            unseen_categories=UnseenCategories(self.unseen_categories),
        )


# -- monitoring ---------------------------------------------------------------------------


class AlertOut(BaseModel):
    model_config = _FROM
    id: int | None = None
    deployment: str
    model: str
    version: int | None
    kind: str
    severity: str
    subject: str
    message: str
    window_start: datetime
    window_end: datetime
    created_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None


class DriftPointOut(BaseModel):
    model_config = _FROM
    column: str
    kind: str
    method: str
    statistic: float | None
    p_value: float | None
    threshold: float | None
    drifted: bool | None
    status: str
    target: str = "input"


class PerformancePointOut(BaseModel):
    model_config = _FROM
    metric: str
    value: float | None
    baseline: float | None
    threshold: float | None
    degraded: bool | None
    n_labels: int


class WindowOut(BaseModel):
    model_config = _FROM
    deployment: str
    start: datetime
    end: datetime
    status: str
    n_rows: int
    n_labels: int
    computed_at: datetime
    champion_version: int | None = None
    drift: list[DriftPointOut] = Field(default_factory=list)
    performance: list[PerformancePointOut] = Field(default_factory=list)


class MonitorRunIn(BaseModel):
    """The options of a monitoring run (the caller's project section, then its flags)."""

    window_seconds: float = Field(default=86_400.0, gt=0, le=10 * 366 * 86_400)
    margin: float = Field(default=0.05, ge=0.0, le=1.0)
    min_labels: int = Field(default=30, ge=0, le=2**31 - 1)
    min_metrics: dict[str, float] = Field(default_factory=dict)
    thresholds: dict[str, dict[str, Any]] = Field(default_factory=dict)
    reference_start: datetime | None = None
    reference_end: datetime | None = None


class AcknowledgeIn(BaseModel):
    comment: str = Field(min_length=1, max_length=10_000)  # what was done about the alert


class CompareIn(BaseModel):
    start: datetime | None = None
    end: datetime | None = None
