"""`evaluate` end to end, `ValidationConfig`, and every bad input named in its error."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

from modelward.domain.results import CheckResult
from modelward.errors import InvalidInput
from modelward.validation.checks import evaluate
from modelward.validation.config import ValidationConfig
from modelward.validation.metrics import cost_matrix_metric
from modelward.validation.prepare import infer_task

FAST = ValidationConfig(importance_repeats=1, importance_rows=300, pdp_rows=50, pdp_grid=5)


def test_evaluate_runs_every_family_of_checks(credit_model, applicants) -> None:
    champion = LogisticRegression().fit(applicants[["age"]], applicants["default"])
    evaluation = evaluate(
        credit_model,
        applicants,
        target="default",
        sensitive=["gender"],
        config=FAST,
        champion=champion,
        behaviour=[{"type": "invariance", "feature": "age", "eps": 0.5}],
        custom_metrics={"cost": cost_matrix_metric({(1, 0): 5.0, (0, 1): 1.0})},
    )
    names = [check.name for check in evaluation.checks]
    categories = {check.category for check in evaluation.checks}
    assert categories == {
        "performance",
        "custom",
        "slices",
        "fairness",
        "explanations",
        "robustness",
        "behaviour",
        "comparison",
    }
    for name in (
        "performance.roc_auc",
        "custom.cost",
        "slices.worst_gap",
        "fairness.demographic_parity_difference[gender]",
        "fairness.four_fifths_rule[gender]",
        "robustness.flip_rate",
        "behaviour.invariance[age]",
        "comparison.roc_auc",
    ):
        assert name in names
    assert evaluation.sections["comparison"]["verdict"] == "better"
    assert evaluation.data_rows == len(applicants)
    json.dumps(evaluation.sections)  # JSON-safe


def test_to_report_adds_identity(credit_model, applicants) -> None:
    evaluation = evaluate(credit_model, applicants, target="default", config=FAST)
    report = evaluation.to_report(
        model="credit-risk",
        version=4,
        created_at=datetime(2024, 1, 1, tzinfo=UTC),
        created_by="ada",
    )
    assert (report.model, report.version, report.task) == ("credit-risk", 4, "classification")
    assert report.passed is evaluation.passed
    assert report.find_check("performance.roc_auc").passed is True


def test_metric_bounds_apply_to_built_in_and_custom_metrics(credit_model, applicants) -> None:
    config = ValidationConfig.from_mapping(
        {"metrics": {"min_accuracy": 0.99, "max_cost": 10.0}, "explain": False}
    )
    evaluation = evaluate(
        credit_model,
        applicants,
        target="default",
        config=config,
        custom_metrics={"cost": cost_matrix_metric({(1, 0): 5.0})},
    )
    checks = {check.name: check for check in evaluation.checks}
    assert (checks["performance.accuracy"].threshold, checks["performance.accuracy"].passed) == (
        0.99,
        False,
    )
    assert checks["custom.cost"].passed is True
    assert checks["performance.roc_auc"].threshold == 0.7  # defaults stay unless removed


def test_regression_model(applicants) -> None:
    frame = applicants.assign(amount=applicants["debt"] * 0.3 + 100)
    model = LinearRegression().fit(frame[["debt", "income"]], frame["amount"])
    evaluation = evaluate(model, frame.drop(columns="default"), target="amount", config=FAST)
    names = [check.name for check in evaluation.checks]
    assert evaluation.task == "regression"
    assert {"performance.rmse", "performance.r2", "robustness.prediction_shift"} <= set(names)
    assert "performance.roc_auc" not in names


def test_multiclass_model_skips_fairness_with_a_warning(applicants) -> None:
    frame = applicants.assign(band=pd.qcut(applicants["debt"], 3, labels=["low", "mid", "high"]))
    frame["band"] = frame["band"].astype(str)
    model = LogisticRegression(max_iter=500).fit(frame[["debt", "income"]], frame["band"])
    evaluation = evaluate(
        model, frame.drop(columns="default"), target="band", sensitive=["gender"], config=FAST
    )
    assert any("binary classifier" in warning for warning in evaluation.warnings)
    assert evaluation.sections["confusion_matrix"]["labels"] == ["high", "low", "mid"]


def test_decision_threshold_moves_decisions(credit_model, applicants) -> None:
    lenient = ValidationConfig(decision_threshold=0.9, explain=False, robustness=False)
    evaluation = evaluate(credit_model, applicants, target="default", config=lenient)
    matrix = np.asarray(evaluation.sections["confusion_matrix"]["matrix"])
    assert matrix[:, 1].sum() < 0.2 * len(applicants)  # few rows reach 0.9


def test_quality_checks_are_added_as_given(credit_model, applicants) -> None:
    missing = CheckResult(
        name="data_quality.missing_rate[income]",
        category="data_quality",
        value=0.3,
        threshold=0.05,
        passed=False,
        direction="max",
    )
    evaluation = evaluate(
        credit_model, applicants, target="default", config=FAST, quality_checks=[missing]
    )
    assert evaluation.checks[-1] == missing
    assert evaluation.passed is False


def without(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    return frame.drop(columns=column)


@pytest.mark.parametrize(
    ("mangle", "options", "message"),
    [
        pytest.param(
            lambda f: without(f, "default"), {}, "target column 'default'", id="no-target"
        ),
        pytest.param(lambda f: f.iloc[:0], {}, "empty", id="empty-data"),
        pytest.param(
            lambda f: f.assign(default=f["default"].where(f.index > 2)),
            {},
            "'default' has 3 missing values",
            id="nan-in-target",
        ),
        pytest.param(
            lambda f: f.assign(default=f["income"] / 1000),
            {},
            "'default' looks continuous",
            id="continuous-target-to-classifier",
        ),
        pytest.param(
            lambda f: f.assign(default=f["default"] + 5),
            {},
            "'default' has labels the model does not know",
            id="unknown-labels",
        ),
        pytest.param(lambda f: without(f, "debt"), {}, "feature column 'debt'", id="no-feature"),
        pytest.param(
            lambda f: f, {"sensitive": ["race"]}, "sensitive column 'race'", id="no-sensitive"
        ),
        pytest.param(
            lambda f: f.assign(gender="female"),
            {"sensitive": ["gender"]},
            "'gender' has a single group",
            id="single-group",
        ),
        pytest.param(
            lambda f: f.assign(default=f["region"]),
            {"task": "regression"},
            "'default' is not numeric",
            id="text-target-for-regression",
        ),
        pytest.param(lambda f: f, {"task": "ranking"}, "'ranking'", id="unknown-task"),
        pytest.param(
            lambda f: f,
            {"config": ValidationConfig(metrics={"min_rocauc": 0.7})},
            "'rocauc'",
            id="bound-on-unknown-metric",
        ),
        pytest.param(
            lambda f: f,
            {"config": ValidationConfig(slice_features=("planet",))},
            "slice feature column 'planet'",
            id="unknown-slice-feature",
        ),
    ],
)
def test_bad_input_is_invalid_input_naming_the_problem(
    credit_model, applicants, mangle, options, message
) -> None:
    with pytest.raises(InvalidInput, match=message):
        evaluate(credit_model, mangle(applicants), target="default", **options)


def test_data_that_is_not_a_dataframe_is_invalid_input(credit_model) -> None:
    with pytest.raises(InvalidInput, match="pandas DataFrame, got list"):
        evaluate(credit_model, [[1, 2]], target="default")


def test_model_answering_the_wrong_number_of_rows_is_invalid_input(make_model, applicants) -> None:
    broken = make_model(lambda frame: np.full(3, 0.5))
    with pytest.raises(InvalidInput, match="shape"):
        evaluate(broken, applicants, target="default", features=["income"])


class TestValidationConfig:
    def test_defaults_are_documented_values(self) -> None:
        config = ValidationConfig()
        assert config.metric_bounds() == {"roc_auc": ("min", 0.7)}
        assert (
            config.max_demographic_parity_difference,
            config.min_four_fifths_ratio,
            config.max_equalized_odds_difference,
            config.slice_gap,
            config.max_flip_rate,
            config.bootstrap_resamples,
        ) == (0.1, 0.8, 0.1, 0.05, 0.05, 1_000)

    def test_from_mapping_with_overrides(self) -> None:
        config = ValidationConfig.from_mapping(
            {"slice_gap": 0.03, "slices": {"young": "age < 25"}, "comparison_metrics": "roc_auc"},
            slice_gap=0.1,
            max_flip_rate=None,  # a flag not given
        )
        assert (config.slice_gap, config.max_flip_rate) == (0.1, 0.05)
        assert config.slices == {"young": "age < 25"}
        assert config.comparison_metrics == ("roc_auc",)

    def test_null_bound_removes_a_default(self) -> None:
        config = ValidationConfig.from_mapping({"metrics": {"min_roc_auc": None, "max_rmse": 3}})
        assert config.metric_bounds() == {"rmse": ("max", 3.0)}

    @pytest.mark.parametrize(
        ("section", "message"),
        [
            pytest.param({"slice_gapp": 0.1}, "'slice_gapp'", id="unknown-key"),
            pytest.param({"slice_gap": "wide"}, "'slice_gap' must be a number", id="not-a-number"),
            pytest.param(
                {"max_flip_rate": 5}, "'max_flip_rate' must be between 0 and 1", id="range"
            ),
            pytest.param({"seed": 1.5}, "'seed' must be a whole number", id="not-whole"),
            pytest.param({"explain": "yes"}, "'explain' must be true or false", id="not-bool"),
            pytest.param({"metrics": {"roc_auc": 0.7}}, "'roc_auc'", id="bound-without-direction"),
            pytest.param({"slices": ["age < 25"]}, "'slices' must map", id="slices-not-mapping"),
            pytest.param({"behaviour": {"type": "x"}}, "'behaviour' must be a list", id="tests"),
        ],
    )
    def test_bad_setting_is_invalid_input_naming_the_key(self, section, message) -> None:
        with pytest.raises(InvalidInput, match=message):
            ValidationConfig.from_mapping(section)

    @pytest.mark.parametrize(
        ("expression", "position"),
        [
            pytest.param("@pd.io.common.os.system('touch /tmp/pwned')", 0, id="at-variable"),
            pytest.param("age.__class__", 3, id="attribute"),
            pytest.param("age < 25 and", 12, id="truncated"),
        ],
    )
    def test_bad_slice_expression_is_refused_when_the_config_is_built(
        self, expression: str, position: int
    ) -> None:
        with pytest.raises(InvalidInput, match=f"Slice 'young'.*at character {position}") as caught:
            ValidationConfig.from_mapping({"slices": {"young": expression}})
        assert caught.value.details["position"] == position
        with pytest.raises(InvalidInput, match="Slice 'young'"):
            ValidationConfig(slices={"young": expression})  # built directly: same check

    def test_slices_keep_their_text(self) -> None:
        text = "`monthly income` > 1e3 & region in ('north', 'east')"
        assert ValidationConfig.from_mapping({"slices": {"s": text}}).slices == {"s": text}


def test_unknown_slice_column_is_refused_before_the_model_is_scored(applicants) -> None:
    class Untouchable:
        def predict(self, frame):
            raise AssertionError("the model was scored before the slices were checked")

    config = ValidationConfig(slices={"mars": "planet == 'mars' and age > 3"})
    with pytest.raises(InvalidInput, match="Slice 'mars'.*column 'planet'.*'income'"):
        evaluate(Untouchable(), applicants, target="default", config=config)


def test_slice_expression_is_echoed_in_the_report(credit_model, applicants) -> None:
    config = ValidationConfig(
        importance_repeats=1,
        explain=False,
        robustness=False,
        slices={"young": "age<30&region=='north'"},
    )
    evaluation = evaluate(credit_model, applicants, target="default", config=config)
    young = next(r for r in evaluation.sections["slices"]["rows"] if r["kind"] == "query")
    expected = int(((applicants["age"] < 30) & (applicants["region"] == "north")).sum())
    assert (young["slice"], young["size"]) == ("young", expected)
    assert young["expression"] == "age < 30 and region == 'north'"


def test_probability_bound_is_not_applied_to_a_model_without_probabilities(applicants) -> None:
    class Decisions:
        def predict(self, frame):
            return (frame["debt"] / frame["income"] > 0.25).astype(int).to_numpy()

    evaluation = evaluate(Decisions(), applicants, target="default", config=FAST)
    auc = next(check for check in evaluation.checks if check.name == "performance.roc_auc")
    assert (auc.value, auc.threshold, auc.passed) == (None, None, None)
    assert any("bound on roc_auc was not applied" in warning for warning in evaluation.warnings)


class _PlainModel:
    def predict(self, frame):
        return np.zeros(len(frame))


@pytest.mark.parametrize(
    ("model", "target", "task"),
    [
        pytest.param(
            LogisticRegression(), [0.0, 1.0, 2.0], "classification", id="sklearn-classifier"
        ),
        pytest.param(LinearRegression(), [0, 1, 0], "regression", id="sklearn-regressor"),
        pytest.param(_PlainModel(), [0, 1, 1], "classification", id="plain-zero-one"),
        pytest.param(_PlainModel(), [0.5, 1.5, 7.0], "regression", id="plain-numeric"),
        pytest.param(_PlainModel(), ["a", "b", "a"], "classification", id="plain-text"),
    ],
)
def test_task_inference(model, target, task) -> None:
    assert infer_task(model, pd.Series(target)) == task
