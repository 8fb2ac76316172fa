"""Sign-offs: one reviewer's approve or reject on one version, and who may record one.

Pure rules over sign-offs already read from storage; counting them for a gate is in
`gate.py`. `policy.py` re-exports these names.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
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
    """One reviewer's decision on one version, in one role."""

    model: str
    version: int
    role: str
    user: str
    decision: Decision
    comment: str
    at: datetime

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


def check_sign_off(
    new: SignOff,
    *,
    existing: Iterable[SignOff],
    author: str,
    policy: Policy,
    user_roles: Iterable[str],
    permissions: Permissions | None = None,
) -> None:
    """Refuse a sign-off that must not be recorded; returns None when it may be.

    Args:
        new: The sign-off about to be recorded.
        existing: The version's sign-offs so far (others are ignored).
        author: Who created the version (`ModelVersion.created_by`).
        policy: The policy of the model's risk level (for `author_may_approve`).
        user_roles: The roles `new.user` holds.
        permissions: The role table; the built-in one by default.

    Raises:
        InvalidInput: an unknown role, or a rejection without a comment.
        PermissionDenied: the user does not hold the role, the role may not approve, or the
            author approves their own version (unless the policy allows it).
        Conflict: the user already gave the same decision in this role for this version.
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
    if new.decision == Decision.APPROVE and new.user == author and not policy.author_may_approve:
        raise PermissionDenied(
            f"{new.user} created {subject} and may not approve it; ask another {new.role}.",
            user=new.user,
        )
    latest = latest_decisions(existing, model=new.model, version=new.version)
    if latest.get((new.user, new.role)) == new.decision:
        raise Conflict(
            f"{new.user} already gave {Decision(new.decision).value} on {subject} as {new.role}.",
            user=new.user,
        )
