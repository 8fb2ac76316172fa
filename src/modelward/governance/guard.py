"""The one implementation of the `Guard` port: permissions from the role table, ownership,
the risk tier's gate for protected aliases and environments, and audited refusals.

Built only by the composition root (`modelward.workspace.Workspace.guard`), from the
workspace's policies and settings, for one acting identity. Services call it; faces never
see it except to pass it on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from modelward.domain.audit import AuditEvent
from modelward.domain.policy import PolicySet
from modelward.domain.ports import UnitOfWork
from modelward.domain.registry import ModelVersion
from modelward.domain.roles import Action
from modelward.errors import ModelwardError, PermissionDenied, PolicyViolation
from modelward.governance.access import require as require_roles
from modelward.governance.graph import impact_in
from modelward.governance.service import check_promotion

ALIAS = "alias"
ENVIRONMENT = "environment"
_KINDS = (ALIAS, ENVIRONMENT)

LOCAL_WRITES_REFUSED = (
    "this workspace is governed through its server: send the change to the platform server"
    " (set MODELWARD_SERVER_URL and MODELWARD_TOKEN) instead of writing locally."
)


def _names(value: object) -> list[str]:
    """The unmet items an error names, as a list of strings (none when it names none)."""
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return []


@dataclass
class PolicyGuard:
    """A `Guard` for one acting identity.

    `authenticated` says whether the identity was proven (a server token or session) or only
    declared (local mode, MODELWARD_USER): a workspace that requires its server refuses
    declared identities every write.
    """

    actor: str
    clock: Callable[[], datetime]
    policies: PolicySet
    protected_aliases: frozenset[str]
    protected_environments: frozenset[str]
    authenticated: bool = False
    policy_hash: str = ""

    def now(self) -> datetime:
        """The guard's clock."""
        return self.clock()

    # -- refusals ------------------------------------------------------------------------

    def refuse(self, uow: UnitOfWork, error: ModelwardError, *, action: str, subject: str) -> None:
        """Roll back what the refused call wrote, record the refusal, commit it, raise."""
        uow.rollback()
        uow.audit.append(
            AuditEvent(
                action="access.denied" if isinstance(error, PermissionDenied) else "gate.refused",
                entity_type="request",
                entity_id=subject,
                actor=self.actor,
                at=self.now(),
                after={
                    "requested": action,
                    "code": error.code,
                    "missing": _names(error.details.get("missing")),
                    "policy_hash": self.policy_hash,
                },
                reason=str(error)[:2000],
            )
        )
        uow.commit()
        raise error

    def _local_check(self, uow: UnitOfWork, *, action: str, subject: str) -> None:
        if self.authenticated or not uow.governance.require_server():
            return
        # a declared identity proves nothing once the workspace is governed through its server
        self.refuse(
            uow,
            PermissionDenied(LOCAL_WRITES_REFUSED, user=self.actor),
            action=action,
            subject=subject,
        )

    # -- permissions ---------------------------------------------------------------------

    def require(self, uow: UnitOfWork, *actions: Action, subject: str = "") -> tuple[str, ...]:
        """The actor's roles, if one of them allows one of `actions`; else an audited refusal."""
        wanted = " or ".join(action.value for action in actions)
        self._local_check(uow, action=wanted, subject=subject)
        try:
            roles = require_roles(uow, self.actor, self.policies.permissions, *actions)
        except PermissionDenied as exc:
            self.refuse(uow, exc, action=wanted, subject=subject)
            raise  # unreachable: refuse raises
        return roles

    def require_owner(self, uow: UnitOfWork, *, owner: str, subject: str) -> None:
        """Only `owner` writes to `subject`; anyone else gets an audited refusal."""
        self._local_check(uow, action="write", subject=subject)
        if owner == self.actor:
            return
        self.refuse(
            uow,
            PermissionDenied(
                f"{subject} belongs to {owner}; only its owner may write to it. Start a run"
                " of your own with 'modelward.start_run()'.",
                user=self.actor,
                owner=owner,
            ),
            action="write",
            subject=subject,
        )

    # -- the gate ------------------------------------------------------------------------

    def is_protected(self, target: str, *, kind: str) -> bool:
        """True for a protected alias or environment."""
        if kind not in _KINDS:
            raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}")
        pool = self.protected_aliases if kind == ALIAS else self.protected_environments
        return target in pool

    def gate(
        self,
        uow: UnitOfWork,
        version: ModelVersion,
        *,
        target: str,
        kind: str,
        auto: bool = False,
    ) -> int | None:
        """Permission and the risk tier's gate for `version` serving protected `target`."""
        if not self.is_protected(target, kind=kind):
            return None
        subject = f"{version.model}/{version.version}"
        requested = f"{'promote' if kind == ALIAS else 'deploy'} to {kind} {target!r}"
        if not auto:
            self.require(uow, Action.PROMOTE if kind == ALIAS else Action.DEPLOY, subject=subject)
        else:
            self._local_check(uow, action=requested, subject=subject)
        now = self.now()
        policy = self.policies.for_assessment(uow.governance.find_assessment(version.model))
        try:
            decision = check_promotion(uow, version, policies=self.policies, now=now)
            if auto and not policy.auto_promote:
                raise PolicyViolation(
                    f"The {policy.level} risk policy does not allow automatic promotion.",
                    missing=["auto_promote"],
                )
        except PolicyViolation as exc:
            self.refuse(uow, exc, action=requested, subject=subject)
            raise  # unreachable: refuse raises
        placed = uow.audit.append(
            AuditEvent(
                "promotion.gate_passed",
                "model_version",
                subject,
                self.actor,
                now,
                after={
                    kind: target,
                    "level": policy.level.value,
                    "auto": auto,
                    "items": [item.name for item in decision.items],
                    # items met only by an active waiver: item name -> waiver id
                    "waived": {i.name: i.waiver_id for i in decision.items if i.waiver_id},
                    "policy_hash": self.policy_hash,
                    "evidence_id": decision.evidence_id,  # the report the gate relied on
                    "evidence_sha256": decision.evidence_sha256,
                    "downstream": impact_in(uow, version.model).as_dict(),
                },
            )
        )
        return placed.seq
