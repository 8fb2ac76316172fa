"""Declared behaviour tests: invariance and directional expectations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modelward.errors import InvalidInput
from modelward.validation import prepare
from modelward.validation.behaviour import check_behaviour

FEATURES = ["income", "debt", "age", "region"]
DECREASING_IN_INCOME = {"type": "directional", "feature": "income", "direction": "decreasing"}
ZIP_IRRELEVANT = {"type": "invariance", "feature": "region", "eps": 0.01}


def run(model, frame: pd.DataFrame, tests):
    X = frame[FEATURES]
    outputs, _, _ = prepare.score(model, X, frame["default"], task="classification")
    part = check_behaviour(model, X, outputs=outputs, tests=tests, rows=1_000)
    return {check.name: check for check in part.checks}


def sigmoid(values):
    return 1 / (1 + np.exp(-values))


def test_monotone_model_passes_directional_test(make_model, applicants) -> None:
    prudent = make_model(lambda f: sigmoid(4 * f["debt"] / f["income"] - 1))
    check = run(prudent, applicants, [DECREASING_IN_INCOME])["behaviour.directional[income]"]
    assert (check.value, check.passed) == (0.0, True)


def test_model_violating_monotonicity_is_caught(make_model, applicants) -> None:
    # rewards high income up to 60k, then, wrongly, penalises it
    odd = make_model(lambda f: sigmoid(-np.abs(f["income"] - 60_000) / 10_000))
    check = run(odd, applicants, [DECREASING_IN_INCOME])["behaviour.directional[income]"]
    assert check.value > 0.5
    assert check.passed is False
    assert check.details["worst_move"] > 0


def test_invariance_catches_a_model_reading_an_irrelevant_feature(make_model, applicants) -> None:
    regional = make_model(lambda f: np.where(f["region"] == "west", 0.8, 0.3))
    check = run(regional, applicants, [ZIP_IRRELEVANT])["behaviour.invariance[region]"]
    assert check.value == pytest.approx(0.5)
    assert check.passed is False


def test_invariance_passes_a_model_ignoring_the_feature(credit_model, applicants) -> None:
    check = run(credit_model, applicants, [ZIP_IRRELEVANT])["behaviour.invariance[region]"]
    assert (check.value, check.passed) == (0.0, True)


def test_invariance_with_declared_replacement_values(make_model, applicants) -> None:
    regional = make_model(lambda f: np.where(f["region"] == "west", 0.8, 0.3))
    test = {**ZIP_IRRELEVANT, "values": ["north"]}
    check = run(regional, applicants, [test])["behaviour.invariance[region]"]
    assert check.details["moved_share"] == pytest.approx(
        (applicants["region"] == "west").mean(), abs=0.05
    )


def test_two_tests_on_one_feature_get_distinct_names(credit_model, applicants) -> None:
    checks = run(credit_model, applicants, [ZIP_IRRELEVANT, {**ZIP_IRRELEVANT, "eps": 0.1}])
    assert list(checks) == ["behaviour.invariance[region]", "behaviour.invariance[region]#2"]


@pytest.mark.parametrize(
    ("test", "message"),
    [
        pytest.param({"type": "vibes", "feature": "income"}, "type 'vibes'", id="unknown-type"),
        pytest.param(
            {**ZIP_IRRELEVANT, "tolerance": 1}, "unknown key 'tolerance'", id="unknown-key"
        ),
        pytest.param({**ZIP_IRRELEVANT, "feature": "zip"}, "feature 'zip'", id="unknown-feature"),
        pytest.param(
            {**DECREASING_IN_INCOME, "direction": "down"}, "direction 'down'", id="bad-direction"
        ),
        pytest.param(
            {**DECREASING_IN_INCOME, "delta": "lots"}, "'delta' must be a number", id="bad-delta"
        ),
        pytest.param(
            {**DECREASING_IN_INCOME, "feature": "region"},
            "'region' is not numeric",
            id="not-numeric",
        ),
    ],
)
def test_malformed_test_is_invalid_input(credit_model, applicants, test, message) -> None:
    with pytest.raises(InvalidInput, match=message):
        run(credit_model, applicants, [test])
