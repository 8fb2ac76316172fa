"""Roles and what each may do: the permission table the service layer checks.

Pure data and lookups. Who holds which role is stored by the service layer; which sign-offs a
risk level needs is in `policy.py`. `policy.py` re-exports these names.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from modelward.errors import InvalidInput, PermissionDenied


class Action(enum.StrEnum):
    """Things a user asks the platform to do."""

    VIEW = "view"
    REGISTER = "register"  # create models and versions, log runs
    VALIDATE = "validate"  # run a validation and store its report
    ASSESS_RISK = "assess_risk"
    REQUEST_REVIEW = "request_review"
    APPROVE = "approve"  # approve or reject a version (a sign-off)
    PROMOTE = "promote"  # move a protected alias such as `champion`
    DEPLOY = "deploy"
    MONITOR = "monitor"  # ingest labels, compute monitoring windows, acknowledge alerts
    # send or purge records' sensitive attributes (fairness in production): kept apart from
    # model inputs, so fewer roles handle them than monitor
    PROTECTED_DATA = "protected_data"
    SET_POLICY = "set_policy"
    MANAGE_ROLES = "manage_roles"
    RECORD_FINDING = "record_finding"  # record and update validation findings on a version


class Role(enum.StrEnum):
    """The built-in roles; a policy file may add more (see `Permissions.with_roles`)."""

    DATA_SCIENTIST = "data_scientist"
    VALIDATOR = "validator"
    RISK_MANAGER = "risk_manager"
    OPERATIONS = "operations"
    ADMIN = "admin"
    VIEWER = "viewer"


_A = Action
# Separation of duties: whoever builds a model neither rates its risk nor approves it, and
# approvers do not deploy. Admins may do everything (someone must be able to repair).
DEFAULT_PERMISSIONS: Mapping[str, frozenset[Action]] = MappingProxyType(
    {
        Role.DATA_SCIENTIST: frozenset(
            {_A.VIEW, _A.REGISTER, _A.VALIDATE, _A.REQUEST_REVIEW, _A.PROMOTE, _A.MONITOR}
        ),
        Role.VALIDATOR: frozenset(
            {_A.VIEW, _A.VALIDATE, _A.ASSESS_RISK, _A.APPROVE, _A.MONITOR, _A.RECORD_FINDING}
            | {_A.PROTECTED_DATA}
        ),
        Role.RISK_MANAGER: frozenset(
            {_A.VIEW, _A.ASSESS_RISK, _A.APPROVE, _A.SET_POLICY, _A.MONITOR, _A.RECORD_FINDING}
            | {_A.PROTECTED_DATA}
        ),
        Role.OPERATIONS: frozenset({_A.VIEW, _A.PROMOTE, _A.DEPLOY, _A.MONITOR}),
        Role.ADMIN: frozenset(Action),
        Role.VIEWER: frozenset({_A.VIEW}),
    }
)


def parse_action(value: object, *, field: str = "action") -> Action:
    """Read an action name.

    Raises:
        InvalidInput: not one of `Action`'s values; names `field`.
    """
    if isinstance(value, str) and value in set(Action):
        return Action(value)
    known = ", ".join(action.value for action in Action)
    raise InvalidInput(f"Unknown action {value!r}; expected one of {known}.", field=field)


@dataclass(frozen=True)
class Permissions:
    """A role -> actions table; the built-in one unless a policy file changes it."""

    table: Mapping[str, frozenset[Action]] = field(default_factory=lambda: DEFAULT_PERMISSIONS)

    @property
    def roles(self) -> tuple[str, ...]:
        """Known role names, built-in ones first."""
        return tuple(str(role) for role in self.table)

    def check_role(self, role: object, *, field: str = "role") -> str:
        """Return `role` if known.

        Raises:
            InvalidInput: unknown role; the message lists the known ones.
        """
        if isinstance(role, str) and role in self.table:
            return role
        raise InvalidInput(
            f"Unknown role {role!r}; known roles are {', '.join(self.roles)}.", field=field
        )

    def can(self, role: str, action: Action | str) -> bool:
        """True if `role` may do `action`.

        Raises:
            InvalidInput: unknown role or action.
        """
        wanted = parse_action(action)
        return wanted in self.table[self.check_role(role)]

    def require(self, user: str, roles: Iterable[str], action: Action | str) -> None:
        """Raise PermissionDenied unless one of `user`'s roles may do `action`.

        Raises:
            PermissionDenied: none of the roles allows it; the message says which would.
            InvalidInput: an unknown role or action.
        """
        held = sorted(set(roles))
        if any(self.can(role, action) for role in held):
            return
        allowed = [role for role in self.roles if self.can(role, action)]
        raise PermissionDenied(
            f"{user} ({', '.join(held) or 'no role'}) may not {parse_action(action).value};"
            f" ask an admin for one of these roles: {', '.join(allowed)}.",
            user=user,
            action=str(action),
        )

    def with_roles(self, overrides: Mapping[str, Iterable[Action | str]]) -> Permissions:
        """A table where each role in `overrides` gets exactly the given actions (new or not).

        Raises:
            InvalidInput: an empty role name or an unknown action.
        """
        table = dict(self.table)
        for role, actions in overrides.items():
            if not isinstance(role, str) or not role.strip():
                raise InvalidInput(f"A role name must be a non-empty string, got {role!r}.")
            table[role] = frozenset(parse_action(a, field=f"roles.{role}") for a in actions)
        return Permissions(MappingProxyType(table))


def can(role: str, action: Action | str, *, permissions: Permissions | None = None) -> bool:
    """True if `role` may do `action` under `permissions` (default: the built-in table).

    Raises:
        InvalidInput: unknown role or action.
    """
    return (permissions or Permissions()).can(role, action)
