"""The items of a promotion gate: what the gate reads, and one builder per requirement.

Pure functions over facts the service layer has read; `policy.evaluate_gate` calls them all
and collects every item, met or not. `policy.py` re-exports the public names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from modelward.domain.judging import bounded, matches, policy_verdict
from modelward.domain.risk import RiskAssessment
from modelward.domain.signoff import Decision, SignOff, report_ref, short_sha

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

    @property
    def threshold(self) -> float | None: ...

    @property
    def direction(self) -> str: ...


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
    threshold: float | None = None
    direction: str = ""


@dataclass(frozen=True)
class ReportSummary:
    """A stored report summary, when the full report is not at hand.

    The stored record adds what the gate needs to trust it: its `id` and the `sha256` of its
    stored content (what sign-offs are bound to), who stored it and the roles they held then
    (`author_roles`, None when not recorded), and the share of validation rows that were
    also training rows (`overlap_share`, None when not measured).
    """

    model: str
    version: int
    passed: bool
    checks: tuple[CheckSummary, ...] = ()
    id: int | None = None
    sha256: str | None = None
    created_by: str = ""
    author_roles: tuple[str, ...] | None = None
    overlap_rows: int | None = None
    overlap_share: float | None = None

    @classmethod
    def of(cls, report: ReportLike) -> ReportSummary:
        """Summary of any report-like object (e.g. a `ValidationReport`)."""
        checks = tuple(
            CheckSummary(c.name, c.category, c.value, c.passed, c.threshold, c.direction)
            for c in report.checks
        )
        return cls(report.model, report.version, report.passed, checks)

    def label(self) -> str:
        """How messages name the report: "report id 7 (sha256 0123456789ab)"."""
        return f"report id {self.id} (sha256 {short_sha(self.sha256)})"

    def stored_by(self) -> str:
        """Who stored it and their roles then: "bob (data_scientist)"."""
        roles = ", ".join(self.author_roles or ()) or "no role"
        return f"{self.created_by or 'unknown'} ({roles})"


def choose_evidence(
    reports: Iterable[ReportSummary], evidence_roles: Iterable[str]
) -> ReportSummary | None:
    """The newest report (`reports` come newest first) whose author held an evidence role.

    A report whose author's roles were not recorded never counts: nothing shows that they
    were allowed to produce gate evidence.
    """
    allowed = set(evidence_roles)
    return next((r for r in reports if allowed & set(r.author_roles or ())), None)


@dataclass(frozen=True)
class PersonalDataUse:
    """A personal-data column of a dataset the version was trained on, and its legal basis.

    `inherited_from` is the dataset id the tag was recorded on when it is not this dataset's
    own: a tag follows its column to the other data sets of the same model (retraining on new
    data keeps it); None when the dataset itself carries the tag.
    """

    dataset: str
    column: str
    legal_basis: str | None = None
    inherited_from: str | None = None


@dataclass(frozen=True)
class GateItem:
    """One requirement of the gate: a stable `name`, whether it is met, and why."""

    name: str
    met: bool
    detail: str
    waiver_id: int | None = None  # met only because this waiver is active (findings.py)


@dataclass(frozen=True)
class GateDecision:
    """The gate's answer: allowed only when every item is met; `missing` names the rest."""

    allowed: bool
    items: list[GateItem]
    missing: list[str]
    evidence_id: int | None = None  # the validation report the gate relied on
    evidence_sha256: str | None = None  # ... and the sha256 of its stored content

    @classmethod
    def of(
        cls,
        items: Iterable[GateItem],
        *,
        evidence_id: int | None = None,
        evidence_sha256: str | None = None,
    ) -> GateDecision:
        """Decision over `items`, naming the evidence report relied on (if any)."""
        listed = list(items)
        missing = [item.name for item in listed if not item.met]
        return cls(not missing, listed, missing, evidence_id, evidence_sha256)

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


def report_items(
    policy: Policy,
    version: VersionLike,
    report: ReportLike | None,
    *,
    newest: ReportSummary | None = None,
) -> list[GateItem]:
    """The evidence report, each required check, fairness and explanations if required, and
    train/validation overlap if the policy bounds it.

    `report` is the evidence (the newest report stored by an evidence role); `newest` is a
    newer report stored by someone else, shown but not counted. Checks are judged by
    `policy_verdict`, never by the report's own pass flags.
    """
    subject = _subject(version)
    checks: Sequence[CheckLike] = ()
    if report is None:
        head = GateItem("validation_report", False, _no_evidence(policy, version, newest))
    elif (report.model, report.version) != (version.model, version.version):
        detail = f"the validation report is for {report.model} v{report.version}, not {subject}"
        head = GateItem("validation_report", False, detail)
    else:
        checks = report.checks
        # A check a bounded required check covers is reported by that item alone.
        own = [req.name for req in policy.required_checks if bounded(req)]
        failed = [
            check.name
            for check in checks
            if policy_verdict(policy, check) is False
            and not any(matches(name, check) for name in own)
        ]
        relied = ""
        if isinstance(report, ReportSummary) and report.sha256 is not None:
            relied = f" ({report.label()}, by {report.stored_by()})"
        if newest is not None:
            relied += f"; the newer {newest.label()} by {newest.stored_by()} does not count"
        if not failed:
            head = GateItem("validation_report", True, f"{subject} passed validation{relied}")
        else:
            shown = ", ".join(failed[:5]) + (f" and {len(failed) - 5} more" if failed[5:] else "")
            detail = f"{subject} failed validation by the {policy.level} policy: {shown}{relied}"
            head = GateItem("validation_report", False, detail)
    items = [head, *(_check_item(policy, req, checks) for req in policy.required_checks)]
    for category, required in (
        ("fairness", policy.fairness_required),
        ("explanations", policy.explanations_required),
    ):
        if required:
            items.append(_category_item(policy, category, checks))
    if policy.max_train_overlap is not None and report is not None:
        items.append(leakage_item(policy, report))
    return items


def _category_item(policy: Policy, category: str, checks: Sequence[CheckLike]) -> GateItem:
    """Met when the report holds checks of `category` and none of them fails by the policy."""
    found = [check for check in checks if check.category == category]
    if not found:
        return GateItem(category, False, f"the validation report has no {category} checks")
    failed = [check.name for check in found if policy_verdict(policy, check) is False]
    if failed:
        shown = ", ".join(failed[:5]) + (f" and {len(failed) - 5} more" if failed[5:] else "")
        return GateItem(
            category, False, f"{len(failed)} of {len(found)} {category} checks failed: {shown}"
        )
    return GateItem(category, True, f"{len(found)} {category} check(s), none failed")


def _no_evidence(policy: Policy, version: VersionLike, newest: ReportSummary | None) -> str:
    subject = _subject(version)
    if newest is None:
        return f"{subject} has no validation report"
    roles = " or ".join(policy.evidence_roles)
    return (
        f"the latest report (id {newest.id}) was stored by {newest.stored_by()}; the gate"
        f" needs one stored by a {roles}: run 'modelward validate"
        f" models:/{version.model}/{version.version} ...' as one"
    )


def leakage_item(policy: Policy, report: ReportLike) -> GateItem:
    """Validation rows that were also training rows: at most `max_train_overlap` of them."""
    limit = policy.max_train_overlap
    share = report.overlap_share if isinstance(report, ReportSummary) else None
    if share is None:
        detail = "train/validation overlap not measured (no training row fingerprints)"
        return GateItem("data_leakage", True, detail)
    rows = report.overlap_rows if isinstance(report, ReportSummary) else None
    detail = f"{share:.2%} of the validation rows ({rows}) are also training rows"
    if limit is not None and share > limit:
        return GateItem(
            "data_leakage",
            False,
            f"{detail}; the {policy.level} policy allows"
            f" at most {limit:.2%}: validate on rows the model was not trained on",
        )
    return GateItem("data_leakage", True, f"{detail} (at most {limit:.2%} allowed)")


def _check_item(policy: Policy, req: CheckRequirement, checks: Sequence[CheckLike]) -> GateItem:
    name = f"check.{req.name}"
    found = [check for check in checks if matches(req.name, check)]
    if not found:
        return GateItem(name, False, f"{req.name} is missing from the validation report")
    bad = [check for check in found if policy_verdict(policy, check) is False]
    if not bad:
        return GateItem(name, True, f"{req} met by {len(found)} check(s)")
    shown = ", ".join(f"{check.name} = {_show(check.value)}" for check in bad[:5])
    return GateItem(name, False, f"{req} not met: {shown}")


def _show(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else repr(value)


def sign_off_items(
    policy: Policy,
    version: VersionLike,
    latest: Mapping[tuple[str, str], SignOff],
    *,
    evidence_sha256: str | None = None,
    authors: Iterable[str] = (),
    check_evidence: bool = True,
) -> list[GateItem]:
    """One item per required role, then one for outstanding rejections.

    `latest` maps (user, role) to that user's latest sign-off on this version. An approval
    counts only while the report it was given on is still the evidence (`evidence_sha256`),
    and not when given by an author (`created_by` or one of `authors`, e.g. the trainer)
    unless the policy allows it. With `distinct_approvers`, a person fills at most one
    required sign-off, whatever roles they approved in. A rejection stays outstanding
    whatever evidence it was given on, until its author approves. `check_evidence=False`
    ignores the evidence binding (for display where the evidence is not at hand).
    """
    excluded = {version.created_by, *authors}
    evidence = evidence_sha256 if check_evidence else None
    approvals, stale = _approvals(policy, latest, excluded, evidence, check_evidence)
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
        if len(users) < needed:
            for author in sorted(excluded) if not policy.author_may_approve else ():
                ignored = latest.get((author, role))
                if ignored and ignored.decision == Decision.APPROVE:
                    detail += f" ({author} created the version, so their approval does not count)"
            for old in stale.get(role, []):
                detail += (
                    f"; approval by {old.user} ({role}) was for"
                    f" {report_ref(old.evidence_sha256)}, the current evidence is"
                    f" {short_sha(evidence)}; sign off again"
                )
        items.append(GateItem(f"sign_off.{role}", len(users) >= needed, detail))
    rejected = sorted(f"{u} ({r})" for (u, r), s in latest.items() if s.decision == Decision.REJECT)
    if rejected:
        items.append(GateItem("rejections", False, f"rejected by {', '.join(rejected)}"))
    else:
        items.append(GateItem("rejections", True, "no outstanding rejection"))
    return items


def _approvals(
    policy: Policy,
    latest: Mapping[tuple[str, str], SignOff],
    excluded: set[str],
    evidence: str | None,
    check_evidence: bool,
) -> tuple[dict[str, set[str]], dict[str, list[SignOff]]]:
    """user -> roles their counted approvals are in; role -> approvals on other evidence."""
    approvals: dict[str, set[str]] = {}
    stale: dict[str, list[SignOff]] = {}
    for (user, role), sign_off in latest.items():
        if sign_off.decision != Decision.APPROVE:
            continue
        if user in excluded and not policy.author_may_approve:
            continue
        if check_evidence and sign_off.evidence_sha256 != evidence:
            stale.setdefault(role, []).append(sign_off)
            continue
        approvals.setdefault(user, set()).add(role)
    return approvals, stale


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


def monitoring_cadence_item(policy: Policy, overdue: Sequence[str]) -> GateItem:
    """The policy's monitoring cadence kept by the model's production deployments (an
    obligation of the versions already serving, checked before the next promotion)."""
    cadence = policy.monitoring_cadence_days
    if not overdue:
        return GateItem("monitoring.cadence", True, f"monitoring every {cadence} day(s) is kept")
    names = ", ".join(overdue)
    return GateItem(
        "monitoring.cadence",
        False,
        f"monitoring every {cadence} day(s) is overdue for {names}; run 'modelward monitor run'",
    )
