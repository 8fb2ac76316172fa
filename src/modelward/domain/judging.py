"""How the gate judges a report's checks: by the policy's own bounds, in the direction that
means better, never by the pass flags the report was stored with.

Pure functions; `gate.py` applies them item by item, `policy.py` re-exports the public names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for annotations: gate.py and policy.py import this module
    from modelward.domain.gate import CheckLike
    from modelward.domain.policy import CheckRequirement, Policy


from modelward.domain.metrics import HIGHER_IS_BETTER_FAIRNESS as _HIGHER_IS_BETTER_FAIRNESS
from modelward.domain.metrics import LOWER_IS_BETTER  # the one table of metric directions


def bound_direction(name: str) -> str | None:
    """Which bound suits a check: "min" (higher is better), "max" (lower), None (unknown).

    Performance metrics follow `LOWER_IS_BETTER`; fairness differences, slice gaps,
    robustness and data-quality figures must stay small; ratios must stay large.
    """
    category, _, figure = name.partition(".")
    figure = figure.split("[", 1)[0]
    if category == "performance" and figure:
        return "max" if figure in LOWER_IS_BETTER else "min"
    if category == "fairness" and figure:
        return "min" if figure in _HIGHER_IS_BETTER_FAIRNESS else "max"
    if category in ("slices", "robustness", "data_quality"):
        return "max"
    return None


def bounded(req: CheckRequirement) -> bool:
    """The requirement sets a min or a max."""
    return req.min_value is not None or req.max_value is not None


def _within(value: object, low: float | None, high: float | None) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False  # an undefined figure shows nothing met the bound
    return (low is None or value >= low) and (high is None or value <= high)


def policy_verdict(policy: Policy, check: CheckLike) -> bool | None:
    """Pass (True), fail (False) or informational (None) by the policy, not the report.

    The report's thresholds are chosen by whoever ran it, so they cannot decide the gate:
    a policy bound (`thresholds`, or a bounded required check) that covers the check decides
    from its value. Without one, a check the report failed stays failed, and a check with a
    bound is judged again from its value (a stored `passed` flag is not trusted).
    """
    required = [r for r in policy.required_checks if bounded(r) and matches(r.name, check)]
    bounds = [*required, *(r for r in policy.thresholds if matches(r.name, check))]
    # A required bound fails an undefined figure; a threshold only judges figures that exist
    # (e.g. no slice large enough to compare), and requiring the check is `required_checks`'.
    if required or (bounds and check.value is not None):
        return all(_within(check.value, req.min_value, req.max_value) for req in bounds)
    if check.passed is False:
        return False
    if check.threshold is not None and check.direction in ("min", "max"):
        low = check.threshold if check.direction == "min" else None
        high = check.threshold if check.direction == "max" else None
        return _within(check.value, low, high)
    return check.passed


def matches(requirement: str, check: CheckLike) -> bool:
    """A requirement names the check, its unqualified form, or its category."""
    return (
        check.name == requirement
        or check.name.startswith(requirement + "[")
        or check.category == requirement
    )
