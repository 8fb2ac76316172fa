"""Policies from YAML: the shipped defaults, a project's file merged over them, and display.

Every error names the file, the line and the field (from YAML node marks), and is an
InvalidInput. What a policy means, and the gate that applies it, is in `domain.policy`.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Mapping
from importlib import resources
from os import PathLike
from pathlib import Path
from types import MappingProxyType

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from modelward.domain.audit import canonical_json
from modelward.domain.obligations import parse_response
from modelward.domain.policy import (
    DEFAULT_PERMISSIONS,
    CheckRequirement,
    Permissions,
    Policy,
    PolicySet,
    bound_direction,
    policy_as_dict,
)
from modelward.domain.risk import RiskLevel
from modelward.domain.roles import Action, parse_action
from modelward.errors import InvalidInput

DEFAULT_FILE = "default_policies.yaml"
_TAG = "tag:yaml.org,2002:"


class _Context:
    """Where we are reading: the file name, for errors, and the roles known so far."""

    def __init__(self, file: str, permissions: Permissions) -> None:
        self.file = file
        self.permissions = permissions
        self._constructor = SafeConstructor()

    def fail(self, node: Node, field: str, problem: str) -> InvalidInput:
        line = node.start_mark.line + 1
        where = f"{self.file}:{line}: {field}" if field else f"{self.file}:{line}"
        return InvalidInput(f"{where}: {problem}", file=self.file, line=line, field=field)

    def scalar(self, node: Node, field: str, kinds: tuple[str, ...], expected: str) -> object:
        if not isinstance(node, ScalarNode) or node.tag.removeprefix(_TAG) not in kinds:
            raise self.fail(node, field, f"expected {expected}, got {_shown(node)}")
        return self._constructor.construct_object(node)

    def mapping(self, node: Node, field: str) -> dict[str, tuple[Node, Node]]:
        """Keys (strings) -> (key node, value node); duplicate keys are errors."""
        if not isinstance(node, MappingNode):
            raise self.fail(node, field, f"expected a mapping, got {_shown(node)}")
        found: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            key = self.scalar(key_node, field, ("str",), "a name as key")
            assert isinstance(key, str)
            if key in found:
                raise self.fail(key_node, _join(field, key), "appears twice")
            found[key] = (key_node, value_node)
        return found

    def sequence(self, node: Node, field: str) -> list[Node]:
        if not isinstance(node, SequenceNode):
            raise self.fail(node, field, f"expected a list, got {_shown(node)}")
        return list(node.value)


def _join(field: str, key: str) -> str:
    return f"{field}.{key}" if field else key


def _shown(node: Node) -> str:
    if isinstance(node, ScalarNode):
        kind = node.tag.removeprefix(_TAG)
        return "null" if kind == "null" else f"{kind} {node.value!r}"
    return "a mapping" if isinstance(node, MappingNode) else "a list"


def _bool(node: Node, field: str, ctx: _Context) -> object:
    return ctx.scalar(node, field, ("bool",), "true or false")


def _days(node: Node, field: str, ctx: _Context) -> object:
    value = ctx.scalar(node, field, ("int",), "a whole number of days")
    if isinstance(value, int) and value < 1:
        raise ctx.fail(node, field, f"expected at least 1 day, got {value}")
    return value


def _days_or_null(node: Node, field: str, ctx: _Context) -> object:
    value = ctx.scalar(node, field, ("int", "null"), "a whole number of days or null")
    return None if value is None else _days(node, field, ctx)


def _names(node: Node, field: str, ctx: _Context) -> tuple[str, ...]:
    items = ctx.sequence(node, field)
    return tuple(_name(item, f"{field}[{index}]", ctx) for index, item in enumerate(items))


def _checks(node: Node, field: str, ctx: _Context) -> tuple[CheckRequirement, ...]:
    return tuple(
        _check(item, f"{field}[{index}]", ctx)
        for index, item in enumerate(ctx.sequence(node, field))
    )


def _check(node: Node, field: str, ctx: _Context) -> CheckRequirement:
    """A check name or category, or {check: NAME, min: X, max: Y}."""
    if not isinstance(node, MappingNode):
        return CheckRequirement(_name(node, field, ctx))
    keys = ctx.mapping(node, field)
    for key, (key_node, _) in keys.items():
        if key not in ("check", "min", "max"):
            raise ctx.fail(key_node, _join(field, key), "unknown key; use check, min, max")
    if "check" not in keys:
        raise ctx.fail(node, field, "a check needs a 'check' key naming it")
    bounds: dict[str, float] = {}
    for key in ("min", "max"):
        if key in keys:
            value = ctx.scalar(keys[key][1], f"{field}.{key}", ("int", "float"), "a number")
            assert isinstance(value, int | float)
            bounds[key] = float(value)
    name = _name(keys["check"][1], f"{field}.check", ctx)
    return CheckRequirement(name, bounds.get("min"), bounds.get("max"))


def _name(node: Node, field: str, ctx: _Context) -> str:
    name = ctx.scalar(node, field, ("str",), "a name")
    assert isinstance(name, str)
    if not name.strip():
        raise ctx.fail(node, field, "expected a name, got an empty string")
    return name


def _sign_offs(node: Node, field: str, ctx: _Context) -> Mapping[str, int]:
    counts: dict[str, int] = {}
    for role, (key_node, value_node) in ctx.mapping(node, field).items():
        if role not in ctx.permissions.roles:
            known = ", ".join(ctx.permissions.roles)
            raise ctx.fail(key_node, _join(field, role), f"unknown role; known roles: {known}")
        count = ctx.scalar(value_node, _join(field, role), ("int",), "a whole number")
        assert isinstance(count, int)
        if count < 1:
            raise ctx.fail(value_node, _join(field, role), "expected at least 1 sign-off")
        counts[role] = count
    return counts


def _roles(node: Node, field: str, ctx: _Context) -> tuple[str, ...]:
    roles = _names(node, field, ctx)
    for index, role in enumerate(roles):
        if role not in ctx.permissions.roles:
            known = ", ".join(ctx.permissions.roles)
            item = ctx.sequence(node, field)[index]
            raise ctx.fail(item, f"{field}[{index}]", f"unknown role {role!r}; known: {known}")
    if not roles:
        raise ctx.fail(node, field, "name at least one role that may store gate evidence")
    return roles


def _approvers(node: Node, field: str, ctx: _Context) -> tuple[str, ...]:
    """Roles that may approve waivers; an empty list allows no waiver."""
    roles = _names(node, field, ctx)
    for index, role in enumerate(roles):
        if role not in ctx.permissions.roles:
            known = ", ".join(ctx.permissions.roles)
            item = ctx.sequence(node, field)[index]
            raise ctx.fail(item, f"{field}[{index}]", f"unknown role {role!r}; known: {known}")
    return roles


def _severities(node: Node, field: str, ctx: _Context) -> tuple[str, ...]:
    names = _names(node, field, ctx)
    known = ("low", "medium", "high", "critical")
    for index, name in enumerate(names):
        if name not in known:
            item = ctx.sequence(node, field)[index]
            raise ctx.fail(
                item, f"{field}[{index}]", f"unknown severity {name!r}; use {', '.join(known)}"
            )
    return names


def _responses(node: Node, field: str, ctx: _Context) -> object:
    """``{alert kind: response}``: what runs by itself when a critical alert is raised."""
    found: dict[str, str] = {}
    for kind, (_key, value) in ctx.mapping(node, field).items():
        name = _name(value, _join(field, kind), ctx)
        try:
            found[kind] = parse_response(name).value
        except InvalidInput as exc:
            raise ctx.fail(value, _join(field, kind), exc.message) from exc
    return MappingProxyType(found)


def _thresholds(node: Node, field: str, ctx: _Context) -> tuple[CheckRequirement, ...]:
    """{CHECK: {min: X} | {max: Y} | NUMBER}; a bare number bounds the way that is better."""
    found = []
    for name, (key_node, value_node) in ctx.mapping(node, field).items():
        where = _join(field, name)
        if not name.strip():
            raise ctx.fail(key_node, field, "expected a check name, got an empty string")
        if isinstance(value_node, ScalarNode):
            value = ctx.scalar(value_node, where, ("int", "float"), "a number or {min|max: X}")
            assert isinstance(value, int | float)
            direction = bound_direction(name)
            if direction is None:
                raise ctx.fail(value_node, where, "say which bound: {min: X} or {max: X}")
            bound = float(value)
            found.append(
                CheckRequirement(name, bound, None)
                if direction == "min"
                else CheckRequirement(name, None, bound)
            )
            continue
        keys = ctx.mapping(value_node, where)
        for key, (inner_key, _) in keys.items():
            if key not in ("min", "max"):
                raise ctx.fail(inner_key, _join(where, key), "unknown key; use min, max")
        bounds: dict[str, float] = {}
        for key, (_, inner_value) in keys.items():
            number = ctx.scalar(inner_value, _join(where, key), ("int", "float"), "a number")
            assert isinstance(number, int | float)
            bounds[key] = float(number)
        if not bounds:
            raise ctx.fail(value_node, where, "give a min or a max")
        found.append(CheckRequirement(name, bounds.get("min"), bounds.get("max")))
    return tuple(found)


def _share_or_null(node: Node, field: str, ctx: _Context) -> object:
    value = ctx.scalar(node, field, ("int", "float", "null"), "a share between 0 and 1 or null")
    if value is None:
        return None
    assert isinstance(value, int | float)
    if not 0 <= value <= 1:
        raise ctx.fail(node, field, f"expected a share between 0 and 1, got {value}")
    return float(value)


def _number(node: Node, field: str, ctx: _Context) -> object:
    value = ctx.scalar(node, field, ("int", "float"), "a number")
    assert isinstance(value, int | float)
    return float(value)


_Reader = Callable[[Node, str, _Context], object]
_READERS: dict[str, _Reader] = {
    "required_checks": _checks,
    "fairness_required": _bool,
    "explanations_required": _bool,
    "sign_offs": _sign_offs,
    "author_may_approve": _bool,
    "distinct_approvers": _bool,
    "monitoring_required": _bool,
    "monitoring_cadence_days": _days_or_null,
    "max_model_age_days": _days_or_null,
    "required_card_fields": _names,
    "auto_promote": _bool,
    "assessment_valid_days": _days,
    "legal_basis_required": _bool,
    "evidence_roles": _roles,
    "thresholds": _thresholds,
    "max_train_overlap": _share_or_null,
    "blocking_findings": _severities,
    "waiver_approvers": _approvers,
    "max_waiver_days": _days,
    "downstream_ack_required": _bool,
    "alert_responses": _responses,
    "drift_auc_threshold": _number,
    "estimated_performance_margin": _number,
    "data_snapshot_required": _bool,
    "reproduction_required": _bool,
    "personal_data_clear_text": _bool,
}


def _read_policy(
    level: RiskLevel, level_node: Node, node: Node, ctx: _Context, *, base: Policy
) -> Policy:
    field = f"policies.{level}"
    given = ctx.mapping(node, field)
    values = {f.name: getattr(base, f.name) for f in dataclasses.fields(Policy)}
    for key, (key_node, value_node) in given.items():
        if key not in _READERS:
            expected = ", ".join(_READERS)
            raise ctx.fail(key_node, _join(field, key), f"unknown key; expected one of {expected}")
        values[key] = _READERS[key](value_node, _join(field, key), ctx)
    try:
        return Policy(**values)
    except InvalidInput as exc:
        # A rule across keys (e.g. auto_promote above low): point at the key if this file
        # sets it, else at the level's name (the key may be missing, or set in the defaults).
        key = str(exc.details.get("field", ""))
        at = given[key][0] if key in given else level_node
        raise ctx.fail(at, _join(field, key) if key else field, exc.message) from exc


def _read_roles(node: Node, ctx: _Context) -> Permissions:
    overrides: dict[str, list[Action]] = {}
    for role, (key_node, value_node) in ctx.mapping(node, "roles").items():
        if not role.strip():
            raise ctx.fail(key_node, "roles", "a role name must not be empty")
        field = _join("roles", role)
        overrides[role] = []
        for index, item in enumerate(ctx.sequence(value_node, field)):
            name = _name(item, f"{field}[{index}]", ctx)
            try:
                overrides[role].append(parse_action(name))
            except InvalidInput as exc:
                raise ctx.fail(item, f"{field}[{index}]", exc.message) from exc
    return ctx.permissions.with_roles(overrides)


def _compose(text: str, file: str) -> Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        problem = exc.problem or "not valid YAML"
        raise InvalidInput(f"{file}:{line}: {problem}", file=file, line=line, field="") from exc
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{file}: not valid YAML.", file=file, line=0, field="") from exc


def _bare() -> PolicySet:
    return PolicySet({level: Policy(level=level) for level in RiskLevel}, Permissions())


def parse_policies(
    text: str, *, name: str = "<policies>", base: PolicySet | None = None
) -> PolicySet:
    """Read a policy file's text and merge it over `base` (default: the shipped policies).

    Raises:
        InvalidInput: bad YAML, an unknown key or level, a wrong type, an unknown role or
            action, or a rule across keys broken; the message starts "FILE:LINE: FIELD:" and
            `details` hold file, line and field.
    """
    start = default_policies() if base is None else base
    root = _compose(text, name)
    if root is None:  # an empty file changes nothing
        return start
    ctx = _Context(name, start.permissions)
    top = ctx.mapping(root, "")
    for key, (key_node, _) in top.items():
        if key not in ("policies", "roles", "protected"):
            raise ctx.fail(key_node, key, "unknown key; expected policies, roles or protected")
    if "roles" in top:
        ctx.permissions = _read_roles(top["roles"][1], ctx)
    protected = {"aliases": start.protected_aliases, "environments": start.protected_environments}
    if "protected" in top:
        for kind, (key_node, value_node) in ctx.mapping(top["protected"][1], "protected").items():
            if kind not in protected:
                raise ctx.fail(
                    key_node, f"protected.{kind}", "unknown key; expected aliases or environments"
                )
            protected[kind] = _names(value_node, f"protected.{kind}", ctx)
    policies = dict(start.policies)
    if "policies" in top:
        for level_name, (key_node, value_node) in ctx.mapping(
            top["policies"][1], "policies"
        ).items():
            if level_name not in set(RiskLevel):
                levels = ", ".join(RiskLevel)
                raise ctx.fail(key_node, f"policies.{level_name}", f"unknown level; use {levels}")
            level = RiskLevel(level_name)
            policies[level] = _read_policy(level, key_node, value_node, ctx, base=policies[level])
    return PolicySet(
        MappingProxyType(policies),
        ctx.permissions,
        protected_aliases=protected["aliases"],
        protected_environments=protected["environments"],
    )


def default_policies_text() -> str:
    """The shipped `default_policies.yaml`, with its comments."""
    return resources.files("modelward.governance").joinpath(DEFAULT_FILE).read_text("utf-8")


def default_policies() -> PolicySet:
    """The shipped policies, one per risk level."""
    return parse_policies(default_policies_text(), name=DEFAULT_FILE, base=_bare())


def load_policies(path: str | PathLike[str] | None = None) -> PolicySet:
    """The shipped policies, with the policy file at `path` (if any) merged over them.

    Raises:
        InvalidInput: the file cannot be read, or has errors (see `parse_policies`).
    """
    if path is None:
        return default_policies()
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise InvalidInput(
            f"Cannot read policy file {str(path)!r}: {exc.strerror or exc}.", file=str(path)
        ) from exc
    return parse_policies(text, name=str(path))


def policy_hash(policies: PolicySet) -> str:
    """sha256 of the canonical JSON of the effective policy set: every level's policy and the
    permission table. Equal policies hash equal however their files are written."""
    document = {
        "policies": {level.value: policy_as_dict(p) for level, p in policies.policies.items()},
        "permissions": {
            role: sorted(str(action) for action in actions)
            for role, actions in policies.permissions.table.items()
        },
    }
    return hashlib.sha256(canonical_json(document).encode()).hexdigest()


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def render_policy(policy: Policy) -> str:
    """A policy as plain text, one requirement per line, for the CLI and the model card."""
    sign_offs = ", ".join(f"{count} {role}" for role, count in policy.sign_offs.items())
    who = "distinct people" if policy.distinct_approvers else "people may sign in several roles"
    author = "the author may approve" if policy.author_may_approve else "not the author"
    monitoring = (
        f"every {policy.monitoring_cadence_days} day(s)" if policy.monitoring_required else "no"
    )
    age = policy.max_model_age_days
    rows = [
        ("required checks", ", ".join(map(str, policy.required_checks)) or "none"),
        ("fairness required", _yes(policy.fairness_required)),
        ("explanations required", _yes(policy.explanations_required)),
        ("sign-offs", f"{sign_offs} ({who}; {author})" if sign_offs else "none"),
        ("monitoring", monitoring),
        ("retrain after", f"{age} days" if age else "no limit"),
        ("model card fields", ", ".join(policy.required_card_fields) or "none"),
        ("auto-promote", _yes(policy.auto_promote)),
        ("assessment valid for", f"{policy.assessment_valid_days} days"),
        ("personal data", "legal basis required" if policy.legal_basis_required else "no rule"),
        ("evidence stored by", ", ".join(policy.evidence_roles)),
        ("thresholds", ", ".join(map(str, policy.thresholds)) or "the report's own"),
        ("train overlap", _overlap(policy.max_train_overlap)),
        ("findings, waivers", _waivers(policy)),
        ("downstream owners", "must acknowledge" if policy.downstream_ack_required else "no rule"),
        ("multivariate drift", f"domain classifier ROC AUC >= {policy.drift_auc_threshold:g}"),
        ("estimated drop", f"{policy.estimated_performance_margin:g} below the baseline"),
    ]
    if policy.alert_responses:
        rows.append(("alert responses", _responses_text(policy.alert_responses)))
    width = max(len(label) for label, _ in rows) + 1
    lines = [f"{policy.level} risk policy"]
    lines.extend(f"  {(label + ':').ljust(width)} {value}" for label, value in rows)
    return "\n".join(lines)


def _waivers(policy: Policy) -> str:
    blocking = "/".join(policy.blocking_findings) or "no"
    approvers = ", ".join(policy.waiver_approvers)
    waivers = f"waived by {approvers}, {policy.max_waiver_days} days at most" if approvers else ""
    return f"open {blocking} findings block; " + (waivers or "no waivers")


def _responses_text(responses: Mapping[str, str]) -> str:
    return ", ".join(f"{kind} -> {what}" for kind, what in responses.items()) or "none"


def _overlap(limit: float | None) -> str:
    return "no limit" if limit is None else f"at most {limit:.0%} of validation rows"


def render_policies(policies: PolicySet) -> str:
    """Every level's policy as plain text, low to severe."""
    return "\n\n".join(render_policy(policies.for_level(level)) for level in RiskLevel)


def dump_policies(policies: PolicySet) -> str:
    """YAML that `parse_policies` reads back to the same set (roles only where they differ)."""
    body: dict[str, object] = {}
    roles = {
        role: sorted(str(action) for action in actions)
        for role, actions in policies.permissions.table.items()
        if DEFAULT_PERMISSIONS.get(role) != actions
    }
    if roles:
        body["roles"] = roles
    body["policies"] = {
        str(level): {k: v for k, v in policy_as_dict(policy).items() if k != "level"}
        for level, policy in policies.policies.items()
    }
    return yaml.safe_dump(body, sort_keys=False)
