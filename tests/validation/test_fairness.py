"""Fairness figures equal fairlearn's; a planted gap is caught and an unbiased model passes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from modelward.errors import InvalidInput
from modelward.validation.base import Outputs
from modelward.validation.fairness import check_fairness

ROWS = 3_000


def lending(*, rate_a: float, rate_b: float, seed: int = 0) -> tuple[Outputs, pd.DataFrame]:
    """Approvals (positive decisions) at `rate_a` for group a and `rate_b` for group b."""
    rng = np.random.default_rng(seed)
    groups = pd.DataFrame(
        {
            "group": rng.choice(["a", "b"], ROWS),
            "age_band": rng.choice(["young", "middle", "old"], ROWS),
        }
    )
    rate = np.where(groups["group"] == "a", rate_a, rate_b)
    decisions = (rng.random(ROWS) < rate).astype(int)
    truth = np.where(rng.random(ROWS) < 0.8, decisions, 1 - decisions)
    outputs = Outputs(
        task="classification", y_true=truth, y_pred=decisions, classes=(0, 1), positive_label=1
    )
    return outputs, groups


def checks_by_name(part) -> dict:
    return {check.name: check for check in part.checks}


def test_planted_gap_is_detected() -> None:
    outputs, groups = lending(rate_a=0.6, rate_b=0.3)  # b is approved half as often as a
    checks = checks_by_name(check_fairness(outputs, sensitive_features=groups[["group"]]))
    difference = checks["fairness.demographic_parity_difference[group]"]
    four_fifths = checks["fairness.four_fifths_rule[group]"]
    assert difference.value == pytest.approx(0.3, abs=0.03)
    assert difference.passed is False
    assert four_fifths.value == pytest.approx(0.5, abs=0.05)
    assert four_fifths.passed is False
    assert four_fifths.details["below"] == ["b"]


def test_unbiased_model_passes() -> None:
    outputs, groups = lending(rate_a=0.5, rate_b=0.5)
    part = check_fairness(outputs, sensitive_features=groups)
    assert all(check.passed is not False for check in part.checks)


@pytest.mark.parametrize(
    ("attribute", "columns"),
    [
        pytest.param("group", ["group"], id="single-attribute"),
        pytest.param("age_band", ["age_band"], id="three-groups"),
        pytest.param("group&age_band", ["group", "age_band"], id="intersection"),
    ],
)
def test_figures_equal_fairlearn(attribute: str, columns: list[str]) -> None:
    outputs, groups = lending(rate_a=0.6, rate_b=0.35)
    truth, pred = outputs.y_true, outputs.y_pred
    sensitive = groups[columns] if len(columns) > 1 else groups[columns[0]]
    part = check_fairness(outputs, sensitive_features=groups)
    checks = checks_by_name(part)
    for figure, reference in (
        ("demographic_parity_difference", demographic_parity_difference),
        ("demographic_parity_ratio", demographic_parity_ratio),
        ("equalized_odds_difference", equalized_odds_difference),
    ):
        expected = reference(truth, pred, sensitive_features=sensitive)
        assert checks[f"fairness.{figure}[{attribute}]"].value == pytest.approx(expected, rel=1e-12)
    by_group = MetricFrame(
        metrics={"sr": selection_rate, "tpr": true_positive_rate, "fpr": false_positive_rate},
        y_true=truth,
        y_pred=pred,
        sensitive_features=sensitive,
    ).by_group
    section = part.sections["fairness"][attribute]
    assert section["selection_rate"] == pytest.approx(by_group["sr"].tolist(), rel=1e-12)
    assert section["tpr"] == pytest.approx(by_group["tpr"].tolist(), rel=1e-12)
    assert section["fpr"] == pytest.approx(by_group["fpr"].tolist(), rel=1e-12)
    assert sum(section["count"]) == ROWS


def test_single_group_is_invalid_input_naming_the_attribute() -> None:
    outputs, groups = lending(rate_a=0.5, rate_b=0.5)
    groups["country"] = "FR"
    with pytest.raises(InvalidInput, match="'country' has a single group"):
        check_fairness(outputs, sensitive_features=groups[["group", "country"]])


def test_missing_values_are_a_group_of_their_own() -> None:
    outputs, groups = lending(rate_a=0.5, rate_b=0.5)
    groups.loc[:99, "group"] = None
    section = check_fairness(outputs, sensitive_features=groups[["group"]]).sections["fairness"]
    assert section["group"]["groups"] == ["<missing>", "a", "b"]


def test_small_groups_raise_a_warning() -> None:
    outputs, groups = lending(rate_a=0.5, rate_b=0.5)
    groups.loc[:4, "group"] = "c"
    part = check_fairness(outputs, sensitive_features=groups[["group"]], min_group_size=30)
    assert any("fewer than 30 rows" in warning and ": c" in warning for warning in part.warnings)


def test_multiclass_is_invalid_input() -> None:
    outputs = Outputs(
        task="classification",
        y_true=np.array([0, 1, 2]),
        y_pred=np.array([0, 1, 2]),
        classes=(0, 1, 2),
    )
    with pytest.raises(InvalidInput, match="binary classifier"):
        check_fairness(outputs, sensitive_features=pd.DataFrame({"g": ["a", "b", "a"]}))


@settings(max_examples=15, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from("abc"), st.integers(0, 1), st.integers(0, 1)),
        min_size=4,
        max_size=80,
    )
)
def test_counted_rows_give_fairlearns_figures_on_any_data(rows) -> None:
    groups, truth, pred = (np.asarray(column) for column in zip(*rows, strict=True))
    if len(set(groups.tolist())) < 2:
        return
    outputs = Outputs(
        task="classification", y_true=truth, y_pred=pred, classes=(0, 1), positive_label=1
    )
    part = check_fairness(outputs, sensitive_features=pd.DataFrame({"g": groups}))
    checks = checks_by_name(part)
    expected = equalized_odds_difference(truth, pred, sensitive_features=groups)
    assert checks["fairness.equalized_odds_difference[g]"].value == pytest.approx(expected)
    expected = demographic_parity_difference(truth, pred, sensitive_features=groups)
    assert checks["fairness.demographic_parity_difference[g]"].value == pytest.approx(expected)


def defaults(*, default_a: float, default_b: float, seed: int = 1) -> tuple[Outputs, pd.DataFrame]:
    """A credit model whose positive class is 1 = default (adverse): group a is predicted to
    default at `default_a`, group b at `default_b`."""
    rng = np.random.default_rng(seed)
    groups = pd.DataFrame({"group": rng.choice(["a", "b"], ROWS)})
    rate = np.where(groups["group"] == "a", default_a, default_b)
    decisions = (rng.random(ROWS) < rate).astype(int)
    truth = np.where(rng.random(ROWS) < 0.85, decisions, 1 - decisions)
    outputs = Outputs(
        task="classification", y_true=truth, y_pred=decisions, classes=(0, 1), positive_label=1
    )
    return outputs, groups


def test_with_an_adverse_positive_class_the_four_fifths_rule_compares_approvals() -> None:
    # b is predicted to default far more often (0.5 vs 0.1): b is the disadvantaged group.
    outputs, groups = defaults(default_a=0.1, default_b=0.5)
    naive = checks_by_name(check_fairness(outputs, sensitive_features=groups))
    fair = checks_by_name(check_fairness(outputs, sensitive_features=groups, favourable_label=0))
    # Without the favourable label the rule compares default rates and blames the wrong group.
    assert naive["fairness.four_fifths_rule[group]"].details["below"] == ["a"]
    rule = fair["fairness.four_fifths_rule[group]"]
    assert rule.details["below"] == ["b"]
    assert "favourable decision (0)" in rule.message and "b (" in rule.message
    # The reference: fairlearn's ratio on approvals (decision == 0 as the selected outcome).
    approved = (outputs.y_pred == 0).astype(int)
    expected = demographic_parity_ratio(
        (outputs.y_true == 0).astype(int), approved, sensitive_features=groups["group"]
    )
    # same counts through a weighted path (collapse) and fairlearn's per-row path: rounding only
    assert rule.value == pytest.approx(expected, rel=1e-9)
    # Differences are complements, the same either way (to rounding).
    for name in ("demographic_parity_difference", "equalized_odds_difference"):
        key = f"fairness.{name}[group]"
        assert fair[key].value == pytest.approx(naive[key].value, abs=1e-12)


def test_a_favourable_label_given_as_text_matches_the_class_and_a_wrong_one_is_refused() -> None:
    outputs, groups = defaults(default_a=0.2, default_b=0.3)
    part = check_fairness(outputs, sensitive_features=groups, favourable_label="0")
    assert part.sections["fairness"]["favourable_label"] == "0"
    with pytest.raises(InvalidInput, match="Favourable label 'approve' is not a class"):
        check_fairness(outputs, sensitive_features=groups, favourable_label="approve")
