"""Governance records (users, review requests, column tags, lineage, checkpoints) and the
derived governance stage of a version.

Entities and pure derivations only; the rules of risk, policies, gates and sign-offs are in
`risk.py`, `policy.py`, `gate.py` and `signoff.py`, and storage is behind `ports.GovernanceRepo`.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from modelward.domain.gate import sign_off_items
from modelward.domain.policy import Policy
from modelward.domain.risk import RiskAssessment
from modelward.domain.signoff import Decision, SignOff, latest_decisions, latest_sign_offs

# Model card fields a person writes (the rest of the card comes from the record).
CARD_FIELDS = (
    "intended_use",
    "out_of_scope_use",
    "limitations",
    "training_data",
    "ethical_considerations",
    "caveats",
    "business_owner",  # who answers for the model's use in the business (the inventory shows it)
)


class Stage(enum.StrEnum):
    """A version's governance status, derived from its record (never stored)."""

    REGISTERED = "registered"
    VALIDATED = "validated"
    APPROVED = "approved"
    IN_PRODUCTION = "in_production"
    RETIRED = "retired"


@dataclass(frozen=True)
class User:
    """A registered user and the roles they hold."""

    name: str
    roles: tuple[str, ...]
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class ReviewRequest:
    """Someone asked reviewers to sign off a version."""

    model: str
    version: int
    requested_by: str
    requested_at: datetime
    comment: str = ""


@dataclass(frozen=True)
class ColumnTag:
    """A dataset column marked as personal data (or not), with the legal basis to use it
    (one of GDPR Art. 6(1), recorded by its key: "consent", "contract", "legal_obligation",
    "vital_interests", "public_task", "legitimate_interests"; tags recorded before the closed
    list may hold free text).

    The tag follows the column: the other data sets of a model whose versions used this one
    inherit it for a column of the same name, unless they carry their own tag on it."""

    dataset_id: str
    column: str
    personal_data: bool
    legal_basis: str | None
    tagged_by: str
    tagged_at: datetime
    note: str = ""


@dataclass(frozen=True)
class LineageEntry:
    """One model version whose source run used one dataset."""

    model: str
    version: int
    run_id: str
    dataset_id: str
    dataset_name: str
    role: str


@dataclass(frozen=True)
class CheckpointRecord:
    """Where a checkpoint of the audit chain head was written (artifact address)."""

    seq: int
    hash: str
    at: datetime
    address: str
    created_by: str


@dataclass(frozen=True)
class VersionFacts:
    """What the inventory reads of one version, loaded in bulk."""

    model: str
    version: int
    created_by: str
    created_at: datetime
    report_passed: bool | None = None  # None: never validated
    report_at: datetime | None = None
    sign_offs: tuple[SignOff, ...] = ()
    review_requested_at: datetime | None = None
    aliases: tuple[str, ...] = ()
    ever_protected: bool = False  # held a protected alias at some time


@dataclass(frozen=True)
class ModelFacts:
    """What the inventory reads of one model: its newest version and its production version."""

    name: str
    owner: str
    assessment: RiskAssessment | None
    latest: VersionFacts | None
    production: VersionFacts | None


def sign_offs_met(policy: Policy, facts: VersionFacts) -> tuple[bool, list[str]]:
    """Whether the policy's sign-offs are all given (no rejection), and the roles still missing."""
    latest = latest_sign_offs(facts.sign_offs, model=facts.model, version=facts.version)
    # The stage is a summary: which report each approval was given on is the gate's business.
    items = sign_off_items(policy, facts, latest, check_evidence=False)
    missing = [item.name.removeprefix("sign_off.") for item in items if not item.met]
    return not missing, missing


def derive_stage(policy: Policy, facts: VersionFacts, *, protected: Collection[str]) -> Stage:
    """The version's stage: in production (holds a protected alias), retired (held one once),
    approved (validated and every required sign-off given), validated (latest report passed),
    else registered."""
    if any(alias in protected for alias in facts.aliases):
        return Stage.IN_PRODUCTION
    if facts.ever_protected:
        return Stage.RETIRED
    if not facts.report_passed:
        return Stage.REGISTERED
    met, _ = sign_offs_met(policy, facts)
    return Stage.APPROVED if met else Stage.VALIDATED


def rejected(facts: VersionFacts) -> bool:
    """True when some reviewer's latest decision on the version is a rejection."""
    latest = latest_decisions(facts.sign_offs, model=facts.model, version=facts.version)
    return Decision.REJECT in latest.values()


def review_open(facts: VersionFacts) -> bool:
    """True while the version's latest review request awaits decisions: requested, and no
    reviewer's standing decision since that request is a rejection (a rejection ends the
    request; asking again opens a new one)."""
    asked = facts.review_requested_at
    if asked is None:
        return False
    latest = latest_sign_offs(facts.sign_offs, model=facts.model, version=facts.version)
    return not any(s.decision is Decision.REJECT and s.at >= asked for s in latest.values())


def pending_sign_offs(policy: Policy, facts: VersionFacts) -> tuple[str, ...]:
    """The roles still to sign off an open review (none once it is rejected or closed)."""
    if not review_open(facts):
        return ()
    return tuple(role for role in sign_offs_met(policy, facts)[1] if role in policy.sign_offs)
