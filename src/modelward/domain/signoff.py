"""Sign-offs: one reviewer's approve or reject on one version, and who may record one.

Pure rules over sign-offs already read from storage; counting them for a gate is in
`gate.py`. `policy.py` re-exports these names.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from modelward.domain.roles import Action, Permissions
from modelward.errors import Conflict, InvalidInput, PermissionDenied

if TYPE_CHECKING:  # only for annotations: policy.py imports this module
    from modelward.domain.policy import Policy


class Decision(enum.StrEnum):
    """What a reviewer decided."""

    APPROVE = "approve"
    REJECT = "reject"


@dataclass(frozen=True)
class SignOff:
    """One reviewer's decision on one version, in one role, on one piece of evidence.

    `evidence_sha256` is the sha256 of the validation report the gate relied on when the
    decision was made (None: there was none); the gate counts a decision only while that
    report is still the evidence, so a newer report needs new sign-offs.
    """

    model: str
    version: int
    role: str
    user: str
    decision: Decision
    comment: str
    at: datetime
    evidence_sha256: str | None = None

    def __post_init__(self) -> None:
        if self.decision not in list(Decision):
            raise InvalidInput(
                f"A sign-off decision is 'approve' or 'reject', got {self.decision!r}.",
                field="decision",
            )


def latest_decisions(
    sign_offs: Iterable[SignOff], *, model: str, version: int
) -> dict[tuple[str, str], Decision]:
    """(user, role) -> that user's latest decision in that role on this version.

    A later decision replaces an earlier one, so approving after rejecting withdraws the
    rejection. Sign-offs on other versions are ignored.
    """
    ordered = sorted(
        (s for s in sign_offs if s.model == model and s.version == version), key=lambda s: s.at
    )
    return {(s.user, s.role): s.decision for s in ordered}


def latest_sign_offs(
    sign_offs: Iterable[SignOff], *, model: str, version: int
) -> dict[tuple[str, str], SignOff]:
    """(user, role) -> that user's latest sign-off in that role on this version.

    Like `latest_decisions`, with the whole sign-off (its evidence binding included).
    """
    ordered = sorted(
        (s for s in sign_offs if s.model == model and s.version == version), key=lambda s: s.at
    )
    return {(s.user, s.role): s for s in ordered}


def short_sha(sha256: str | None) -> str:
    """The first 12 hex digits of a hash, for messages ("none" for None)."""
    return sha256[:12] if sha256 else "none"


def report_ref(sha256: str | None) -> str:
    """How messages name the report a sign-off was given on: "report 0123456789ab"."""
    return f"report {sha256[:12]}" if sha256 else "no report"


def authors_of(author: str | Iterable[str]) -> frozenset[str]:
    """A version's authors as a set: its `created_by` and, if known, its source run's user."""
    return frozenset({author} if isinstance(author, str) else {a for a in author if a})


def check_sign_off(
    new: SignOff,
    *,
    existing: Iterable[SignOff],
    author: str | Iterable[str],
    policy: Policy,
    user_roles: Iterable[str],
    permissions: Permissions | None = None,
) -> None:
    """Refuse a sign-off that must not be recorded; returns None when it may be.

    Args:
        new: The sign-off about to be recorded.
        existing: The version's sign-offs so far (others are ignored).
        author: Who created the version (`ModelVersion.created_by`), or every author: also
            the user of the run that trained it, so the trainer cannot approve either.
        policy: The policy of the model's risk level (for `author_may_approve`).
        user_roles: The roles `new.user` holds.
        permissions: The role table; the built-in one by default.

    Raises:
        InvalidInput: an unknown role, or a rejection without a comment.
        PermissionDenied: the user does not hold the role, the role may not approve, or the
            author approves their own version (unless the policy allows it).
        Conflict: the user already gave the same decision in this role for this version,
            on the same evidence (the same report, or none).
    """
    table = permissions or Permissions()
    table.check_role(new.role)
    subject = f"{new.model} v{new.version}"
    if new.role not in set(user_roles):
        raise PermissionDenied(
            f"{new.user} does not hold the role {new.role!r}; ask an admin to grant it.",
            user=new.user,
        )
    table.require(new.user, [new.role], Action.APPROVE)
    if new.decision == Decision.REJECT and not new.comment.strip():
        raise InvalidInput(f"Say why you reject {subject}: a comment is required.")
    authors = authors_of(author)
    if new.decision == Decision.APPROVE and new.user in authors and not policy.author_may_approve:
        raise PermissionDenied(
            f"{new.user} created {subject} and may not approve it (who registered or trained a"
            f" version is its author); ask another {new.role}.",
            user=new.user,
        )
    latest = latest_sign_offs(existing, model=new.model, version=new.version)
    before = latest.get((new.user, new.role))
    if (
        before is not None
        and before.decision == new.decision
        and before.evidence_sha256 == new.evidence_sha256
    ):
        raise Conflict(
            f"{new.user} already gave {Decision(new.decision).value} on {subject} as {new.role}"
            f" for {report_ref(new.evidence_sha256)}.",
            user=new.user,
        )
    if new.decision == Decision.APPROVE and policy.distinct_approvers:
        _refuse_second_role(new, latest, subject)


def _refuse_second_role(
    new: SignOff, latest: Mapping[tuple[str, str], SignOff], subject: str
) -> None:
    """With distinct approvers a person fills one required sign-off: an approval in a second
    role on the same evidence would be recorded and never counted, so it is refused."""
    for (user, role), given in latest.items():
        if (
            user == new.user
            and role != new.role
            and given.decision == Decision.APPROVE
            and given.evidence_sha256 == new.evidence_sha256
        ):
            raise PermissionDenied(
                f"{new.user} already approved {subject} as {role}; the policy wants distinct"
                f" approvers, so an approval as {new.role} would not count. Ask another"
                f" {new.role}.",
                user=new.user,
            )
