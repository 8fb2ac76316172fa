"""The adversarial search: the flips it finds against the closed-form boundary of a logistic
regression, the immutable-feature check, the features an applicant could game, and probes that
stay in each feature's valid domain (issue 18: no negative ages or incomes)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from modelward.errors import InvalidInput
from modelward.validation.adversarial import GRID, REFINE, AdversarialConfig, check_adversarial
from modelward.validation.checks import evaluate
from modelward.validation.config import ValidationConfig
from modelward.validation.domains import feature_domains
from modelward.validation.prepare import score
from modelward.validation.report_html import render_html

FEATURES = ["age", "income", "debt"]


def applicants(rows: int = 400, seed: int = 0, *, age_weight: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 80, rows),
            "income": rng.lognormal(10.5, 0.4, rows),
            "debt": rng.uniform(0, 20_000, rows),
        }
    )
    risk = frame["debt"] / frame["income"] * 3 + age_weight * (50 - frame["age"]) / 10
    frame["default"] = (risk + rng.normal(0, 0.3, rows) > 0.9).astype(int)
    return frame


class Recording:
    """A model that keeps every frame it was asked to score."""

    def __init__(self, model: Any) -> None:
        self.model, self.seen = model, []  # type: ignore[var-annotated]
        self.classes_ = model.classes_
        self.feature_names_in_ = model.feature_names_in_

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        self.seen.append(X.copy())
        return np.asarray(self.model.predict(X))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        self.seen.append(X.copy())
        return np.asarray(self.model.predict_proba(X))


def search(model: Any, frame: pd.DataFrame, **settings: Any) -> dict[str, Any]:
    X = frame[FEATURES]
    outputs, decide, _ = score(model, X, frame["default"], task="classification")
    part = check_adversarial(
        X, outputs=outputs, decide=decide, config=AdversarialConfig.from_mapping(settings)
    )
    return {"section": part.sections["adversarial"], "checks": part.checks, "part": part}


def test_flips_sit_on_the_logistic_regression_boundary() -> None:
    """For a linear model the cheapest flip by feature j is where the margin crosses 0:
    x_j - margin / coef_j. The search brackets it with a grid then REFINE bisections, so it
    lands within span * (grid step) / 2**REFINE of it, on the flipped side."""
    frame = applicants()
    model = LogisticRegression(max_iter=5000).fit(frame[FEATURES], frame["default"])
    found = search(model, frame, rows=50)["section"]
    X = frame[FEATURES]
    margins = model.decision_function(X)
    coef = model.coef_[0][FEATURES.index("debt")]
    checked = 0
    for example in found["examples"]:
        if example["feature"] != "debt":
            continue
        row = example["row"]
        boundary = X["debt"].iloc[row] - margins[row] / coef
        domain = feature_domains(X)["debt"]
        span = domain.high - domain.low
        largest_step = 1 - ((GRID - 1) / GRID) ** 2  # the widest gap between grid points
        assert abs(example["to"] - boundary) <= span * largest_step / 2**REFINE
        flipped = X.iloc[[row]].assign(debt=example["to"])
        assert model.predict(flipped)[0] != model.predict(X.iloc[[row]])[0]
        checked += 1
    assert checked >= 3


def test_a_model_leaning_on_age_fails_the_immutable_check() -> None:
    frame = applicants(age_weight=4.0)
    model = LogisticRegression(max_iter=5000).fit(frame[FEATURES], frame["default"])
    result = search(model, frame, immutable=["age"], rows=100)
    check = next(c for c in result["checks"] if c.name == "robustness.immutable_flip_share")
    assert check.passed is False and check.value > 0.05
    assert result["section"]["features"]["age"]["kind"] == "immutable"
    assert "age" not in result["section"]["gameable_features"]


def test_a_model_leaning_on_debt_passes_and_names_what_can_be_gamed() -> None:
    frame = applicants()
    model = LogisticRegression(max_iter=5000).fit(frame[FEATURES], frame["default"])
    result = search(model, frame, immutable=["age"], rows=100, max_gameable_share=0.01)
    checks = {c.name: c for c in result["checks"]}
    assert checks["robustness.immutable_flip_share"].passed is True
    gameable = checks["robustness.gameable_share"]
    assert gameable.passed is False  # a cheap debt change flips many adverse decisions
    assert "debt" in result["section"]["gameable_features"]
    assert "debt" in gameable.message


def test_without_immutable_features_a_warning_says_the_check_did_not_run() -> None:
    frame = applicants()
    model = LogisticRegression(max_iter=5000).fit(frame[FEATURES], frame["default"])
    result = search(model, frame, rows=20)
    assert any("No immutable features" in w for w in result["part"].warnings)
    assert [c.name for c in result["checks"]] == ["robustness.gameable_share"]


def test_every_probe_stays_in_the_valid_domain() -> None:
    """Robustness noise, out-of-range probes and the adversarial search: no negative income or
    debt (never negative in training), no age outside the declared [18, 100]."""
    frame = applicants(rows=300)
    frame.loc[:5, "debt"] = 0.0  # values at the floor: noise would push them below 0
    model = Recording(LogisticRegression(max_iter=5000).fit(frame[FEATURES], frame["default"]))
    config = ValidationConfig.from_mapping(
        {
            "explain": False,
            "feature_bounds": {"age": [18, 100]},
            "adversarial": {"immutable": ["age"], "rows": 40},
            "metrics": {"min_roc_auc": None},
        }
    )
    report = evaluate(model, frame, target="default", config=config)
    probes = pd.concat(model.seen)
    assert probes["income"].min() >= 0 and probes["debt"].min() >= 0
    assert probes["age"].min() >= 18 and probes["age"].max() <= 100
    assert (probes["age"] % 1 == 0).all() or probes["age"].dtype.kind == "f"
    out_of_range = report.sections["robustness"]["out_of_range"]
    assert {p["feature"] for p in out_of_range} >= {"income", "debt"}
    assert all(p["value"] >= 0 for p in out_of_range if p["side"] == "low")


def test_report_json_and_html_say_which_features_could_be_gamed() -> None:
    frame = applicants()
    model = LogisticRegression(max_iter=5000).fit(frame[FEATURES], frame["default"])
    config = ValidationConfig.from_mapping(
        {"explain": False, "adversarial": {"immutable": ["age"], "rows": 40}}
    )
    evaluation = evaluate(model, frame, target="default", config=config)
    report = evaluation.to_report(
        model="credit", version=1, created_at=pd.Timestamp("2026-11-30"), created_by="val"
    )
    data = json.loads(json.dumps(report.to_dict(), default=str))
    assert "debt" in data["sections"]["adversarial"]["gameable_features"]
    page = render_html(report)
    assert "features an applicant could game" in page and "smallest decision flips" in page


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"adversarial": {"immutable": "age", "colour": 1}}, "Unknown adversarial"),
        ({"adversarial": {"budget": -1}}, "adversarial.budget"),
        ({"adversarial": {"rows": 0}}, "adversarial.rows"),
        ({"feature_bounds": {"age": [100, 18]}}, "above"),
        ({"feature_bounds": {"age": 18}}, "feature_bounds.age"),
    ],
)
def test_bad_settings_are_refused_with_the_key_named(settings: Any, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        ValidationConfig.from_mapping(settings)


def test_an_unknown_immutable_feature_is_named() -> None:
    frame = applicants(rows=60)
    model = LogisticRegression(max_iter=5000).fit(frame[FEATURES], frame["default"])
    with pytest.raises(InvalidInput, match="gender"):
        search(model, frame, immutable=["gender"])
