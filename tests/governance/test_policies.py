"""Policies from YAML: shipped defaults, merged overrides, and errors that name file and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from modelward.domain.policy import CheckRequirement, can
from modelward.domain.risk import RiskLevel
from modelward.errors import InvalidInput
from modelward.governance.policies import (
    DEFAULT_FILE,
    default_policies,
    default_policies_text,
    dump_policies,
    load_policies,
    parse_policies,
    render_policies,
    render_policy,
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policies.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def test_defaults_define_every_level() -> None:
    policies = default_policies()
    assert set(policies.policies) == set(RiskLevel)
    assert {level: dict(p.sign_offs) for level, p in policies.policies.items()} == {
        RiskLevel.LOW: {},
        RiskLevel.MEDIUM: {"validator": 1},
        RiskLevel.HIGH: {"validator": 1, "risk_manager": 1},
        RiskLevel.SEVERE: {"validator": 1, "risk_manager": 2},
    }


@pytest.mark.parametrize(
    ("level", "auto_promote", "legal_basis", "fairness", "valid_days", "cadence"),
    [
        pytest.param(RiskLevel.LOW, True, False, False, 730, None, id="low"),
        pytest.param(RiskLevel.MEDIUM, False, True, False, 365, 30, id="medium"),
        pytest.param(RiskLevel.HIGH, False, True, True, 365, 7, id="high"),
        pytest.param(RiskLevel.SEVERE, False, True, True, 180, 1, id="severe"),
    ],
)
def test_default_policy_per_level(
    level: RiskLevel,
    auto_promote: bool,
    legal_basis: bool,
    fairness: bool,
    valid_days: int,
    cadence: int | None,
) -> None:
    policy = default_policies().for_level(level)
    assert policy.level is level
    assert policy.auto_promote is auto_promote
    assert policy.legal_basis_required is legal_basis
    assert policy.fairness_required is fairness
    assert policy.assessment_valid_days == valid_days
    assert policy.monitoring_cadence_days == cadence
    assert policy.monitoring_required is (cadence is not None)
    assert not policy.author_may_approve
    assert policy.distinct_approvers
    assert "intended_use" in policy.required_card_fields
    assert CheckRequirement("performance") in policy.required_checks


def test_no_path_means_the_defaults() -> None:
    assert load_policies() == default_policies()
    assert parse_policies("") == default_policies()
    assert parse_policies("# nothing here\n") == default_policies()


def test_default_text_is_commented() -> None:
    assert "# Why these defaults" in default_policies_text()


def test_a_user_file_merges_over_the_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        policies:
          high:
            sign_offs: {risk_manager: 1}
            fairness_required: false
            required_checks:
              - performance
              - {check: performance.roc_auc, min: 0.8}
        """,
    )
    merged = load_policies(path)
    defaults = default_policies()
    high = merged.for_level(RiskLevel.HIGH)
    assert dict(high.sign_offs) == {"risk_manager": 1}  # replaced whole: validator removed
    assert high.fairness_required is False
    assert high.required_checks == (
        CheckRequirement("performance"),
        CheckRequirement("performance.roc_auc", min_value=0.8),
    )
    assert high.explanations_required == defaults.for_level(RiskLevel.HIGH).explanations_required
    assert high.assessment_valid_days == 365
    for level in (RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.SEVERE):
        assert merged.for_level(level) == defaults.for_level(level)


def test_a_file_can_add_roles_and_require_them(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        roles:
          model_owner: [view, approve]
        policies:
          medium:
            sign_offs: {validator: 1, model_owner: 1}
        """,
    )
    policies = load_policies(path)
    assert dict(policies.for_level(RiskLevel.MEDIUM).sign_offs) == {
        "validator": 1,
        "model_owner": 1,
    }
    assert can("model_owner", "approve", permissions=policies.permissions)
    assert not can("model_owner", "deploy", permissions=policies.permissions)


@pytest.mark.parametrize(
    ("text", "line", "field", "problem"),
    [
        pytest.param(
            """
            policies:
              medium:
                assessment_valid_days: "a year"
            """,
            3,
            "policies.medium.assessment_valid_days",
            "expected a whole number of days, got str 'a year'",
            id="bad-type",
        ),
        pytest.param(
            """
            policies:
              high:
                fairness_required: true
                sign_offz: {validator: 1}
            """,
            4,
            "policies.high.sign_offz",
            "unknown key; expected one of required_checks",
            id="unknown-key",
        ),
        pytest.param(
            """
            policies:
              severe:
                sign_offs:
                  validator: 1
                  risk_officer: 2
            """,
            5,
            "policies.severe.sign_offs.risk_officer",
            "unknown role; known roles: data_scientist, validator",
            id="unknown-role",
        ),
        pytest.param(
            """
            policies:
              critical:
                auto_promote: false
            """,
            2,
            "policies.critical",
            "unknown level; use low, medium, high, severe",
            id="unknown-level",
        ),
        pytest.param(
            """
            policy:
              low: {}
            """,
            1,
            "policy",
            "unknown key; expected policies, roles or protected",
            id="unknown-top-level-key",
        ),
        pytest.param(
            """
            policies:
              low:
                auto_promote: yes
                auto_promote: no
            """,
            4,
            "policies.low.auto_promote",
            "appears twice",
            id="duplicate-key",
        ),
        pytest.param(
            """
            policies:
              high:
                auto_promote: true
            """,
            3,
            "policies.high.auto_promote",
            "auto_promote is only allowed for low risk, not high",
            id="auto-promote-above-low",
        ),
        pytest.param(
            """
            policies:
              low:
                monitoring_required: true
            """,
            2,
            "policies.low.monitoring_cadence_days",
            "requires monitoring but sets no monitoring_cadence_days",
            id="rule-across-keys-points-at-level",
        ),
        pytest.param(
            """
            policies:
              medium:
                sign_offs: {validator: 0}
            """,
            3,
            "policies.medium.sign_offs.validator",
            "expected at least 1 sign-off",
            id="zero-sign-offs",
        ),
        pytest.param(
            """
            policies:
              medium:
                max_model_age_days: -5
            """,
            3,
            "policies.medium.max_model_age_days",
            "expected at least 1 day, got -5",
            id="negative-days",
        ),
        pytest.param(
            """
            policies:
              medium:
                assessment_valid_days: null
            """,
            3,
            "policies.medium.assessment_valid_days",
            "expected a whole number of days, got null",
            id="null-not-allowed",
        ),
        pytest.param(
            """
            policies:
              high:
                required_checks:
                  - performance
                  - {check: performance.roc_auc, minimum: 0.8}
            """,
            5,
            "policies.high.required_checks[1].minimum",
            "unknown key; use check, min, max",
            id="bad-check-key",
        ),
        pytest.param(
            """
            policies:
              high:
                required_checks:
                  - {check: performance.roc_auc, min: high}
            """,
            4,
            "policies.high.required_checks[0].min",
            "expected a number, got str 'high'",
            id="check-bound-not-a-number",
        ),
        pytest.param(
            """
            policies:
              high:
                required_card_fields: intended_use
            """,
            3,
            "policies.high.required_card_fields",
            "expected a list, got str 'intended_use'",
            id="list-expected",
        ),
        pytest.param(
            """
            roles:
              model_owner:
                - view
                - bless
            """,
            4,
            "roles.model_owner[1]",
            "Unknown action 'bless'",
            id="unknown-action",
        ),
        pytest.param(
            """
            policies:
              low: [auto_promote]
            """,
            2,
            "policies.low",
            "expected a mapping, got a list",
            id="level-not-a-mapping",
        ),
        pytest.param(
            """
            policies:
              medium:
                evidence_roles: [validator, auditor]
            """,
            3,
            "policies.medium.evidence_roles[1]",
            "unknown role 'auditor'",
            id="unknown-evidence-role",
        ),
        pytest.param(
            """
            policies:
              medium:
                evidence_roles: []
            """,
            3,
            "policies.medium.evidence_roles",
            "name at least one role that may store gate evidence",
            id="no-evidence-role",
        ),
        pytest.param(
            """
            policies:
              high:
                thresholds:
                  performance.log_loss: {min: 0.2}
            """,
            3,
            "policies.high.thresholds",
            "lower is better, so give it a max",
            id="threshold-the-wrong-way",
        ),
        pytest.param(
            """
            policies:
              high:
                thresholds:
                  custom.cost: 3
            """,
            4,
            "policies.high.thresholds.custom.cost",
            "say which bound: {min: X} or {max: X}",
            id="bare-number-of-unknown-direction",
        ),
        pytest.param(
            """
            policies:
              high:
                thresholds:
                  performance.roc_auc: {minimum: 0.8}
            """,
            4,
            "policies.high.thresholds.performance.roc_auc.minimum",
            "unknown key; use min, max",
            id="bad-threshold-key",
        ),
        pytest.param(
            """
            policies:
              medium:
                max_train_overlap: 5
            """,
            3,
            "policies.medium.max_train_overlap",
            "expected a share between 0 and 1, got 5",
            id="overlap-not-a-share",
        ),
    ],
)
def test_errors_name_file_line_and_field(
    tmp_path: Path, text: str, line: int, field: str, problem: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InvalidInput) as caught:
        load_policies(path)
    error = caught.value
    assert error.message.startswith(f"{path}:{line}: {field}: ")
    assert problem in error.message
    assert error.details == {"file": str(path), "line": line, "field": field}


def test_a_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "policies:\n  low:\n    auto_promote: [true\n")
    with pytest.raises(InvalidInput) as caught:
        load_policies(path)
    assert caught.value.message.startswith(f"{path}:4: ")
    assert caught.value.details["file"] == str(path)


def test_a_document_that_is_not_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "- low\n- high\n")
    with pytest.raises(InvalidInput, match=r":1: expected a mapping, got a list"):
        load_policies(path)


def test_parse_policies_names_the_given_source() -> None:
    with pytest.raises(InvalidInput, match=r"^modelward\.yaml:2: policies\.lo: unknown level"):
        parse_policies("policies:\n  lo: {}\n", name="modelward.yaml")


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(InvalidInput, match="Cannot read policy file") as caught:
        load_policies(path)
    assert caught.value.details["file"] == str(path)


def test_errors_leave_nothing_changed(tmp_path: Path) -> None:
    before = default_policies()
    path = write(tmp_path, "policies:\n  high:\n    sign_offs: {nobody: 1}\n")
    with pytest.raises(InvalidInput):
        load_policies(path)
    assert default_policies() == before


def test_render_policy_lists_every_requirement() -> None:
    text = render_policy(default_policies().for_level(RiskLevel.SEVERE))
    lines = text.splitlines()
    assert lines[0] == "severe risk policy"
    assert "sign-offs:" in text
    assert "1 validator, 2 risk_manager (distinct people; not the author)" in text
    assert "  monitoring:            every 1 day(s)" in lines
    assert "  personal data:         legal basis required" in lines
    assert "  downstream owners:     no rule" in lines
    assert "  multivariate drift:    domain classifier ROC AUC >= 0.55" in lines
    # ten requirements, evidence roles, thresholds, overlap, waivers, downstream, two monitoring
    assert len(lines) == 18


def test_a_policy_file_sets_the_monitoring_bounds(tmp_path: Path) -> None:
    text = (
        "policies:\n  high:\n    drift_auc_threshold: 0.6\n    estimated_performance_margin: 0.02\n"
    )
    policy = load_policies(write(tmp_path, text)).for_level(RiskLevel.HIGH)
    assert (policy.drift_auc_threshold, policy.estimated_performance_margin) == (0.6, 0.02)
    assert default_policies().for_level(RiskLevel.LOW).drift_auc_threshold == 0.55
    with pytest.raises(InvalidInput, match="drift_auc_threshold"):
        load_policies(write(tmp_path, "policies:\n  low:\n    drift_auc_threshold: 0.4\n"))


def test_render_policies_shows_all_levels_in_order() -> None:
    text = render_policies(default_policies())
    heads = [line for line in text.splitlines() if line.endswith("risk policy")]
    assert heads == [f"{level} risk policy" for level in RiskLevel]


def test_evidence_defaults_and_overrides(tmp_path: Path) -> None:
    defaults = default_policies()
    overlaps = {level: defaults.for_level(level).max_train_overlap for level in RiskLevel}
    assert overlaps == {
        RiskLevel.LOW: None,
        RiskLevel.MEDIUM: 0.01,
        RiskLevel.HIGH: 0.01,
        RiskLevel.SEVERE: 0.01,
    }
    assert all(
        defaults.for_level(level).evidence_roles == ("validator", "admin") for level in RiskLevel
    )
    assert (
        CheckRequirement("performance.roc_auc", 0.7) in defaults.for_level(RiskLevel.LOW).thresholds
    )
    path = write(
        tmp_path,
        """
        policies:
          high:
            evidence_roles: [admin]
            thresholds:
              performance.roc_auc: 0.8
              performance.rmse: 12
              fairness.four_fifths_rule[sex]: {min: 0.9, max: 1.0}
            max_train_overlap: 0
        """,
    )
    high = load_policies(path).for_level(RiskLevel.HIGH)
    assert high.evidence_roles == ("admin",)
    assert high.thresholds == (
        CheckRequirement("performance.roc_auc", min_value=0.8),
        CheckRequirement("performance.rmse", max_value=12.0),
        CheckRequirement("fairness.four_fifths_rule[sex]", min_value=0.9, max_value=1.0),
    )
    assert high.max_train_overlap == 0.0
    assert load_policies(path).for_level(RiskLevel.MEDIUM) == defaults.for_level(RiskLevel.MEDIUM)


def test_dump_reads_back_to_the_same_policies(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        roles:
          model_owner: [view]
        policies:
          high:
            required_checks: [{check: fairness.four_fifths_rule, max: 1}]
        """,
    )
    policies = load_policies(path)
    dumped = dump_policies(policies)
    assert "model_owner" in dumped
    assert DEFAULT_FILE not in dumped
    assert parse_policies(dumped) == policies
