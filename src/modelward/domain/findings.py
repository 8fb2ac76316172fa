"""Validation findings and time-boxed waivers of gate items: pure rules, no I/O.

A validator records a *finding* on a version (severity, owner, due date, status). Open
findings of a blocking severity (high and critical by default) fail the gate's `findings`
item. A *waiver* lets one named gate item of one version pass until it expires: someone asks
for it (the requester) naming the item, the reason, the approver role (one the policy lists
in `waiver_approvers`) and the expiry; it counts only once a person holding that role, who
is neither the requester nor an author of the version, approved it, and only until
`expires_at` (the guard's clock decides). Revoked or expired waivers count for nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from modelward.domain.gate import GateItem
from modelward.errors import Conflict, InvalidInput, PermissionDenied

FINDINGS_ITEM = "findings"
DEFAULT_BLOCKING = ("high", "critical")
EXPIRY_WARNING = timedelta(days=14)  # a waiver expiring within this raises an alert


class Severity(enum.StrEnum):
    """How bad a finding is."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class FindingStatus(enum.StrEnum):
    """Where a finding stands; only `open` ones block or become overdue."""

    OPEN = "open"
    RESOLVED = "resolved"
    WITHDRAWN = "withdrawn"


class WaiverState(enum.StrEnum):
    """A waiver's state at one time (stored: requested, approved, revoked; the rest derived)."""

    REQUESTED = "requested"
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


def parse_severity(value: object) -> Severity:
    """Read a severity name.

    Raises:
        InvalidInput: not one of low, medium, high, critical.
    """
    if isinstance(value, str) and value.lower() in set(Severity):
        return Severity(value.lower())
    known = ", ".join(s.value for s in Severity)
    raise InvalidInput(f"Unknown severity {value!r}; use one of {known}.", field="severity")


def parse_status(value: object) -> FindingStatus:
    """Read a finding status.

    Raises:
        InvalidInput: not one of open, resolved, withdrawn.
    """
    if isinstance(value, str) and value.lower() in set(FindingStatus):
        return FindingStatus(value.lower())
    known = ", ".join(s.value for s in FindingStatus)
    raise InvalidInput(f"Unknown finding status {value!r}; use one of {known}.", field="status")


@dataclass(frozen=True)
class Finding:
    """A validator's finding on one model version."""

    model: str
    version: int
    title: str
    severity: Severity
    owner: str  # who must fix it
    due_at: datetime
    created_by: str
    created_at: datetime
    detail: str = ""
    status: FindingStatus = FindingStatus.OPEN
    updated_by: str | None = None
    updated_at: datetime | None = None
    resolution: str = ""
    id: int | None = None

    def is_open(self) -> bool:
        """True while nobody resolved or withdrew it."""
        return self.status is FindingStatus.OPEN

    def is_overdue(self, now: datetime) -> bool:
        """Open after its due date."""
        return self.is_open() and now > self.due_at

    def blocks(self, blocking: Iterable[str]) -> bool:
        """Open and of a severity the policy blocks on."""
        return self.is_open() and self.severity.value in set(blocking)

    def label(self) -> str:
        """How messages name it: "finding 3 (high: 'Unstable on thin files')"."""
        return f"finding {self.id} ({self.severity.value}: {self.title!r})"


@dataclass(frozen=True)
class Waiver:
    """A request to let one gate item of one version pass until `expires_at`."""

    model: str
    version: int
    item: str  # the gate item's stable name, e.g. "findings" or "check.performance.roc_auc"
    reason: str
    approver_role: str  # a role the policy lists in `waiver_approvers`
    requested_by: str
    requested_at: datetime
    expires_at: datetime
    approved: bool = False
    approved_by: str | None = None
    approved_at: datetime | None = None
    revoked: bool = False
    revoked_by: str | None = None
    revoked_at: datetime | None = None
    revoke_reason: str = ""
    id: int | None = None

    def state(self, now: datetime) -> WaiverState:
        """Requested, active, expired or revoked at `now`."""
        if self.revoked:
            return WaiverState.REVOKED
        if now >= self.expires_at:
            return WaiverState.EXPIRED
        return WaiverState.ACTIVE if self.approved else WaiverState.REQUESTED

    def is_active(self, now: datetime) -> bool:
        """Approved, not revoked, not expired: the item passes."""
        return self.state(now) is WaiverState.ACTIVE

    def expiring(self, now: datetime, within: timedelta = EXPIRY_WARNING) -> bool:
        """Active, and expires within `within`."""
        return self.is_active(now) and self.expires_at - now <= within


def check_waiver_request(
    waiver: Waiver,
    *,
    approvers: Sequence[str],
    max_days: int,
    item_names: Iterable[str],
) -> None:
    """A well-formed request: a known item, a reason, an approver role the policy names, an
    expiry in the future and within the policy's longest waiver.

    Raises:
        InvalidInput: the first problem, naming what to do.
    """
    names = list(item_names)
    if waiver.item not in names:
        raise InvalidInput(
            f"{waiver.model} v{waiver.version} has no gate item {waiver.item!r}; waive one of"
            f" {', '.join(names)}.",
            field="item",
        )
    if not waiver.reason.strip():
        raise InvalidInput("A waiver needs a reason; say why the item may pass.", field="reason")
    if waiver.approver_role not in approvers:
        raise InvalidInput(
            f"Role {waiver.approver_role!r} may not approve waivers under this policy; name one"
            f" of {', '.join(approvers) or '(none: the policy allows no waivers)'}.",
            field="approver_role",
        )
    if waiver.expires_at <= waiver.requested_at:
        raise InvalidInput("A waiver must expire in the future.", field="expires_at")
    if waiver.expires_at - waiver.requested_at > timedelta(days=max_days):
        raise InvalidInput(
            f"A waiver may last at most {max_days} days under this policy; choose an earlier"
            " expiry.",
            field="expires_at",
        )


def check_waiver_approval(
    waiver: Waiver, *, approver: str, approver_roles: Iterable[str], authors: Iterable[str]
) -> None:
    """Separation of duties: the named role approves; never the requester or an author.

    Raises:
        Conflict: the waiver is already approved or revoked.
        PermissionDenied: the approver is the requester, an author, or lacks the role.
    """
    if waiver.revoked or waiver.approved:
        state = "revoked" if waiver.revoked else "approved"
        raise Conflict(f"Waiver {waiver.id} is already {state}; nothing to approve.")
    if approver == waiver.requested_by:
        raise PermissionDenied(
            f"{approver} asked for waiver {waiver.id} and may not approve it; a"
            f" {waiver.approver_role} who did not ask must.",
            user=approver,
        )
    if approver in set(authors):
        raise PermissionDenied(
            f"{approver} built {waiver.model} v{waiver.version} and may not approve a waiver of"
            f" its gate; a {waiver.approver_role} who did not build it must.",
            user=approver,
        )
    if waiver.approver_role not in set(approver_roles):
        raise PermissionDenied(
            f"Waiver {waiver.id} names {waiver.approver_role} as its approver and {approver}"
            f" does not hold that role.",
            user=approver,
        )


def findings_item(findings: Iterable[Finding], blocking: Iterable[str]) -> GateItem:
    """The gate item: no open finding of a blocking severity."""
    listed = list(findings)
    severities = tuple(blocking)
    blockers = [f for f in listed if f.blocks(severities)]
    if blockers:
        shown = ", ".join(f.label() for f in blockers[:5])
        more = f" and {len(blockers) - 5} more" if len(blockers) > 5 else ""
        return GateItem(
            FINDINGS_ITEM,
            False,
            f"{len(blockers)} open {'/'.join(severities)} finding(s): {shown}{more}; resolve"
            " them or ask for a waiver",
        )
    still_open = sum(1 for f in listed if f.is_open())
    detail = f"no open {'/'.join(severities)} finding" + (
        f" ({still_open} open of lower severity)" if still_open else ""
    )
    return GateItem(FINDINGS_ITEM, True, detail)


def apply_waivers(
    items: Sequence[GateItem], waivers: Iterable[Waiver], now: datetime
) -> list[GateItem]:
    """Each unmet item with an active waiver passes, saying so; nothing else changes."""
    active: dict[str, Waiver] = {}
    for waiver in waivers:
        if waiver.is_active(now):
            known = active.get(waiver.item)
            if known is None or waiver.expires_at > known.expires_at:
                active[waiver.item] = waiver
    placed = []
    for item in items:
        found = active.get(item.name)
        if item.met or found is None:
            placed.append(item)
            continue
        detail = (
            f"waived until {found.expires_at.isoformat(timespec='minutes')} (waiver"
            f" {found.id}, approved by {found.approved_by} as {found.approver_role}:"
            f" {found.reason}); unmet: {item.detail}"
        )
        placed.append(replace(item, met=True, detail=detail, waiver_id=found.id))
    return placed


@dataclass(frozen=True)
class GovernanceAlert:
    """An overdue finding or a waiver about to expire (derived from the clock, not stored)."""

    kind: str  # "finding_overdue" or "waiver_expiring"
    model: str
    version: int
    subject_id: int | None  # the finding's or waiver's id
    message: str
    due_at: datetime


def governance_alerts(
    findings: Iterable[Finding],
    waivers: Iterable[Waiver],
    now: datetime,
    *,
    within: timedelta = EXPIRY_WARNING,
) -> list[GovernanceAlert]:
    """Overdue open findings and active waivers expiring within `within`, soonest first."""
    alerts = [
        GovernanceAlert(
            "finding_overdue",
            f.model,
            f.version,
            f.id,
            f"{f.label()} on {f.model} v{f.version}, owned by {f.owner}, was due"
            f" {f.due_at.date().isoformat()}",
            f.due_at,
        )
        for f in findings
        if f.is_overdue(now)
    ]
    alerts += [
        GovernanceAlert(
            "waiver_expiring",
            w.model,
            w.version,
            w.id,
            f"waiver {w.id} of {w.item!r} on {w.model} v{w.version} expires"
            f" {w.expires_at.isoformat(timespec='minutes')}; the gate item fails again then",
            w.expires_at,
        )
        for w in waivers
        if w.expiring(now, within)
    ]
    return sorted(alerts, key=lambda a: (a.due_at, a.kind, a.model, a.version))
