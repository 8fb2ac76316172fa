"""The items of a promotion gate: what the gate reads, and one builder per requirement.

Pure functions over facts the service layer has read; `policy.evaluate_gate` calls them all
and collects every item, met or not. `policy.py` re-exports the public names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from modelward.domain.risk import RiskAssessment
from modelward.domain.signoff import Decision

if TYPE_CHECKING:  # only for annotations: policy.py imports this module
    from modelward.domain.policy import CheckRequirement, Policy


class VersionLike(Protocol):
    """What the gate reads of a model version (`domain.registry.ModelVersion` fits)."""

    @property
    def model(self) -> str: ...

    @property
    def version(self) -> int: ...

    @property
    def created_by(self) -> str: ...


class CheckLike(Protocol):
    """What the gate reads of a check (`domain.results.CheckResult` fits)."""

    @property
    def name(self) -> str: ...

    @property
    def category(self) -> str: ...

    @property
    def value(self) -> float | None: ...

    @property
    def passed(self) -> bool | None: ...


class ReportLike(Protocol):
    """What the gate reads of a validation report (`domain.results.ValidationReport` fits)."""

    @property
    def model(self) -> str: ...

    @property
    def version(self) -> int: ...

    @property
    def passed(self) -> bool: ...

    @property
    def checks(self) -> Sequence[CheckLike]: ...


@dataclass(frozen=True)
class CheckSummary:
    """A stored check, when the full report is not at hand."""

    name: str
    category: str
    value: float | None
    passed: bool | None


@dataclass(frozen=True)
class ReportSummary:
    """A stored report summary, when the full report is not at hand."""

    model: str
    version: int
    passed: bool
    checks: tuple[CheckSummary, ...] = ()

    @classmethod
    def of(cls, report: ReportLike) -> ReportSummary:
        """Summary of any report-like object (e.g. a `ValidationReport`)."""
        checks = tuple(CheckSummary(c.name, c.category, c.value, c.passed) for c in report.checks)
        return cls(report.model, report.version, report.passed, checks)


@dataclass(frozen=True)
class PersonalDataUse:
    """A personal-data column of a dataset the version was trained on, and its legal basis."""

    dataset: str
    column: str
    legal_basis: str | None = None


@dataclass(frozen=True)
class GateItem:
    """One requirement of the gate: a stable `name`, whether it is met, and why."""

    name: str
    met: bool
    detail: str


@dataclass(frozen=True)
class GateDecision:
    """The gate's answer: allowed only when every item is met; `missing` names the rest."""

    allowed: bool
    items: list[GateItem]
    missing: list[str]

    @classmethod
    def of(cls, items: Iterable[GateItem]) -> GateDecision:
        """Decision over `items`."""
        listed = list(items)
        missing = [item.name for item in listed if not item.met]
        return cls(allowed=not missing, items=listed, missing=missing)

    @property
    def reason(self) -> str:
        """Every unmet item's detail, joined, for a PolicyViolation message."""
        return "; ".join(item.detail for item in self.items if not item.met)

    def checklist(self) -> str:
        """One line per item, "[x]" when met and "[ ]" when not."""
        return "\n".join(
            f"[{'x' if item.met else ' '}] {item.name}: {item.detail}" for item in self.items
        )


def _subject(version: VersionLike) -> str:
    return f"{version.model} v{version.version}"


def assessment_item(
    policy: Policy, version: VersionLike, assessment: RiskAssessment | None, now: datetime
) -> GateItem:
    """Present, for this model, of the policy's level, and not overdue."""
    name, model = "assessment", version.model
    if assessment is None:
        hint = f"run 'modelward governance assess {model}'"
        return GateItem(name, False, f"{model} has no risk assessment ({hint})")
    if assessment.model != model:
        return GateItem(name, False, f"the assessment is for {assessment.model}, not {model}")
    if assessment.level is not policy.level:
        detail = f"assessed {assessment.level} risk but the {policy.level} policy was applied"
        return GateItem(name, False, detail)
    if assessment.is_overdue(now):
        expired = assessment.expires_at.date() if assessment.expires_at else "?"
        return GateItem(name, False, f"the risk assessment of {model} expired on {expired}")
    detail = (
        f"{assessment.level} risk (likelihood {int(assessment.likelihood)} x severity"
        f" {int(assessment.severity)} = {assessment.score}), by {assessment.assessed_by}"
    )
    return GateItem(name, True, detail)


def report_items(policy: Policy, version: VersionLike, report: ReportLike | None) -> list[GateItem]:
    """The report itself, each required check, and fairness and explanations if required."""
    subject = _subject(version)
    checks: Sequence[CheckLike] = ()
    if report is None:
        head = GateItem("validation_report", False, f"{subject} has no validation report")
    elif (report.model, report.version) != (version.model, version.version):
        detail = f"the validation report is for {report.model} v{report.version}, not {subject}"
        head = GateItem("validation_report", False, detail)
    else:
        checks = report.checks
        failed = [check.name for check in checks if check.passed is False]
        if report.passed and not failed:
            head = GateItem("validation_report", True, f"{subject} passed validation")
        else:
            detail = f"{subject} failed validation: {', '.join(failed) or 'report not passed'}"
            head = GateItem("validation_report", False, detail)
    items = [head, *(_check_item(req, checks) for req in policy.required_checks)]
    for category, required in (
        ("fairness", policy.fairness_required),
        ("explanations", policy.explanations_required),
    ):
        if required:
            found = [check for check in checks if check.category == category]
            detail = f"{len(found)} {category} check(s)"
            detail = detail if found else f"the validation report has no {category} checks"
            items.append(GateItem(category, bool(found), detail))
    return items


def _matches(requirement: str, check: CheckLike) -> bool:
    return (
        check.name == requirement
        or check.name.startswith(requirement + "[")
        or check.category == requirement
    )


def _check_item(req: CheckRequirement, checks: Sequence[CheckLike]) -> GateItem:
    name = f"check.{req.name}"
    found = [check for check in checks if _matches(req.name, check)]
    if not found:
        return GateItem(name, False, f"{req.name} is missing from the validation report")
    bounded = req.min_value is not None or req.max_value is not None
    bad = [check for check in found if not _check_ok(req, check, bounded=bounded)]
    if not bad:
        return GateItem(name, True, f"{req} met by {len(found)} check(s)")
    shown = ", ".join(f"{check.name} = {_show(check.value)}" for check in bad[:5])
    return GateItem(name, False, f"{req} not met: {shown}")


def _check_ok(req: CheckRequirement, check: CheckLike, *, bounded: bool) -> bool:
    if not bounded:
        return check.passed is not False
    value = check.value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    low_ok = req.min_value is None or value >= req.min_value
    return low_ok and (req.max_value is None or value <= req.max_value)


def _show(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else repr(value)


def sign_off_items(
    policy: Policy, version: VersionLike, latest: Mapping[tuple[str, str], Decision]
) -> list[GateItem]:
    """One item per required role, then one for outstanding rejections.

    `latest` maps (user, role) to that user's latest decision on this version. The author's
    approvals do not count unless the policy allows it. With `distinct_approvers`, a person
    fills at most one required sign-off, whatever roles they approved in.
    """
    author = version.created_by
    approvals: dict[str, set[str]] = {}
    for (user, role), decision in latest.items():
        if decision == Decision.APPROVE and (user != author or policy.author_may_approve):
            approvals.setdefault(user, set()).add(role)
    if policy.distinct_approvers:
        counted = _assign(policy.sign_offs, approvals)
    else:
        counted = {
            role: sorted(u for u, roles in approvals.items() if role in roles)
            for role in policy.sign_offs
        }
    items = []
    for role, needed in policy.sign_offs.items():
        users = counted[role][:needed]
        detail = f"{len(users)} of {needed} approval(s) from {role}"
        detail += f" ({', '.join(users)})" if users else ""
        ignored = latest.get((author, role)) == Decision.APPROVE and not policy.author_may_approve
        if ignored and len(users) < needed:
            detail += f" ({author} created the version, so their approval does not count)"
        items.append(GateItem(f"sign_off.{role}", len(users) >= needed, detail))
    rejected = sorted(f"{u} ({r})" for (u, r), d in latest.items() if d == Decision.REJECT)
    if rejected:
        items.append(GateItem("rejections", False, f"rejected by {', '.join(rejected)}"))
    else:
        items.append(GateItem("rejections", True, "no outstanding rejection"))
    return items


def _assign(required: Mapping[str, int], approvals: Mapping[str, set[str]]) -> dict[str, list[str]]:
    """Give each approver at most one required slot, filling as many slots as possible.

    A maximum bipartite matching (augmenting paths): someone who approved as both validator
    and risk_manager fills whichever slot leaves more of the others filled.
    """
    slots = [role for role, count in required.items() for _ in range(count)]
    holder: dict[int, str] = {}

    def place(user: str, seen: set[int]) -> bool:
        for index, role in enumerate(slots):
            if role in approvals[user] and index not in seen:
                seen.add(index)
                if index not in holder or place(holder[index], seen):
                    holder[index] = user
                    return True
        return False

    for user in sorted(approvals):
        place(user, set())
    counted: dict[str, list[str]] = {role: [] for role in required}
    for index in sorted(holder):
        counted[slots[index]].append(holder[index])
    return {role: sorted(users) for role, users in counted.items()}


def card_items(policy: Policy, card_fields: Mapping[str, object]) -> list[GateItem]:
    """One item per required model card field: filled means not empty or blank."""
    items = []
    for name in policy.required_card_fields:
        value = card_fields.get(name)
        filled = value.strip() != "" if isinstance(value, str) else bool(value)
        detail = "filled" if filled else f"model card field {name!r} is empty"
        items.append(GateItem(f"card.{name}", filled, detail))
    return items


def personal_data_items(policy: Policy, uses: Iterable[PersonalDataUse]) -> list[GateItem]:
    """Personal data without a recorded legal basis fails when the policy requires one."""
    if not policy.legal_basis_required:
        return []
    listed = list(uses)
    lacking = [f"{u.dataset}.{u.column}" for u in listed if not (u.legal_basis or "").strip()]
    name = "personal_data.legal_basis"
    if lacking:
        more = f" and {len(lacking) - 5} more" if len(lacking) > 5 else ""
        detail = f"personal data without a legal basis: {', '.join(lacking[:5])}{more}"
        return [GateItem(name, False, detail)]
    detail = f"{len(listed)} personal-data column(s), each with a legal basis"
    return [GateItem(name, True, detail if listed else "no personal data recorded")]


def monitoring_item(policy: Policy, configured: bool) -> GateItem:
    """Monitoring configured, when the policy requires it (deployment gates)."""
    if configured:
        return GateItem("monitoring", True, "monitoring is configured")
    cadence = policy.monitoring_cadence_days
    return GateItem("monitoring", False, f"monitoring every {cadence} day(s) is not configured")
