"""The risk-driver questionnaire: answers -> suggested likelihood and severity."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from modelward.domain.questionnaire import (
    QUESTIONS,
    ProductionRisk,
    normalize_answers,
    suggest,
)
from modelward.domain.risk import Likelihood, RiskLevel, Severity, assess
from modelward.errors import InvalidInput

# Nothing in these answers raises risk above the minimum.
CALM = {
    "exposure": "internal",
    "automated": False,
    "affects_people": False,
    "regulation": [],
    "financial_impact": "negligible",
    "outage_impact": "none",
    "data_change": "stable",
    "maintainers": 3,
}


def answers(**changes: object) -> dict[str, object]:
    return {**CALM, **changes}


def test_calm_answers_suggest_the_minimum() -> None:
    suggestion = suggest(CALM)
    assert (suggestion.likelihood, suggestion.severity) == (Likelihood.RARE, Severity.VERY_LOW)
    assert "no driver raises the risk" in suggestion.explanation()


@pytest.mark.parametrize(
    ("change", "likelihood", "severity"),
    [
        pytest.param({"exposure": "external"}, 1, 2, id="external-customers"),
        pytest.param({"automated": True}, 2, 1, id="automated-without-human"),
        pytest.param({"affects_people": True}, 1, 2, id="affects-people"),
        pytest.param({"financial_impact": "low"}, 1, 1, id="financial-low"),
        pytest.param({"financial_impact": "moderate"}, 1, 2, id="financial-moderate"),
        pytest.param({"financial_impact": "high"}, 1, 3, id="financial-high"),
        pytest.param({"financial_impact": "very_high"}, 1, 4, id="financial-very-high"),
        pytest.param({"outage_impact": "minor"}, 1, 1, id="outage-minor"),
        pytest.param({"outage_impact": "major"}, 1, 2, id="outage-major"),
        pytest.param({"outage_impact": "critical"}, 1, 3, id="outage-critical"),
        pytest.param({"data_change": "seasonal"}, 2, 1, id="data-seasonal"),
        pytest.param({"data_change": "volatile"}, 3, 1, id="data-volatile"),
        pytest.param({"maintainers": 2}, 1, 1, id="two-maintainers"),
        pytest.param({"maintainers": 1}, 2, 1, id="one-maintainer"),
        pytest.param({"maintainers": 0}, 3, 1, id="no-maintainer"),
        pytest.param({"regulation": ["credit"]}, 1, 4, id="credit-sr-11-7"),
        pytest.param({"regulation": ["pharma_gxp"]}, 1, 4, id="pharma-gxp"),
        pytest.param({"regulation": ["eu_ai_act_high_risk"]}, 1, 4, id="eu-ai-act"),
        pytest.param({"regulation": ["personal_data"]}, 1, 3, id="gdpr-ccpa"),
    ],
)
def test_each_driver_on_its_own(change: dict[str, object], likelihood: int, severity: int) -> None:
    suggestion = suggest(answers(**change))
    assert (int(suggestion.likelihood), int(suggestion.severity)) == (likelihood, severity)


def test_regulation_is_a_floor_not_an_addition() -> None:
    # Points give 1 + 1 + 1 + 2 = 5 already; the credit floor (4) does not add to it.
    loud = answers(exposure="external", affects_people=True, financial_impact="high")
    assert suggest({**loud, "regulation": ["credit"]}).severity == Severity.VERY_HIGH
    # Below the floor, the floor wins.
    assert suggest(answers(regulation=["credit", "personal_data"])).severity == Severity.HIGH


def test_results_are_capped_at_five() -> None:
    worst = answers(
        exposure="external",
        automated=True,
        affects_people=True,
        regulation=["credit", "personal_data", "eu_ai_act_high_risk", "pharma_gxp"],
        financial_impact="very_high",
        outage_impact="critical",
        data_change="volatile",
        maintainers=0,
    )
    suggestion = suggest(worst)
    assert (suggestion.likelihood, suggestion.severity) == (5, 5)


def test_a_typical_credit_model_is_severe_with_one_maintainer() -> None:
    credit = answers(
        exposure="external",
        automated=True,
        affects_people=True,
        regulation=["credit", "personal_data"],
        financial_impact="high",
        data_change="seasonal",
        maintainers=1,
    )
    suggestion = suggest(credit)
    assessed = assess(
        "credit-limit",
        likelihood=suggestion.likelihood,
        severity=suggestion.severity,
        assessed_by="rita",
        assessed_at=datetime(2025, 1, 1, tzinfo=UTC),
        answers=suggestion.answers,
    )
    assert (assessed.score, assessed.level) == (20, RiskLevel.SEVERE)
    assert assessed.answers["regulation"] == ["credit", "personal_data"]


def test_every_driver_is_explained() -> None:
    suggestion = suggest(answers(exposure="external", regulation=["credit"], maintainers=1))
    questions = {effect.question for effect in suggestion.drivers}
    assert questions == {question.key for question in QUESTIONS}
    text = suggestion.explanation()
    assert "exposure = external: severity +1" in text
    assert "maintainers = 1: likelihood +1" in text
    assert "regulation includes credit: severity at least 4" in text
    assert "SR 11-7" in text
    assert text.endswith("Suggested likelihood 2 (unlikely), severity 4 (high).")


def test_drivers_cover_the_four_production_risks() -> None:
    by_risk = suggest(CALM).by_risk
    assert set(by_risk) == set(ProductionRisk)
    for risk, effects in by_risk.items():
        assert effects, f"no driver speaks to {risk}"
    assert {e.question for e in by_risk[ProductionRisk.SKILLS_LOSS]} >= {"maintainers"}
    assert {e.question for e in by_risk[ProductionRisk.UNAVAILABLE]} >= {"outage_impact"}
    assert {e.question for e in by_risk[ProductionRisk.DECAY]} >= {"data_change"}
    assert {e.question for e in by_risk[ProductionRisk.WRONG_PREDICTION]} >= {"financial_impact"}


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        pytest.param({"automated": "Yes"}, {"automated": True}, id="yes-string"),
        pytest.param({"affects_people": "false"}, {"affects_people": False}, id="false-string"),
        pytest.param({"maintainers": "2"}, {"maintainers": 2}, id="digit-count"),
        pytest.param({"exposure": " External "}, {"exposure": "external"}, id="choice-case"),
        pytest.param(
            {"financial_impact": "very high"}, {"financial_impact": "very_high"}, id="space"
        ),
        pytest.param(
            {"regulation": "credit, personal_data"},
            {"regulation": ["credit", "personal_data"]},
            id="comma-list",
        ),
        pytest.param({"regulation": "none"}, {"regulation": []}, id="none-word"),
        pytest.param({"regulation": ("pharma_gxp",)}, {"regulation": ["pharma_gxp"]}, id="tuple"),
    ],
)
def test_answers_are_normalised(raw: dict[str, object], clean: dict[str, object]) -> None:
    assert normalize_answers(answers(**raw)).items() >= clean.items()


@pytest.mark.parametrize(
    ("question", "value"),
    [
        pytest.param("exposure", "partners", id="exposure-unknown-choice"),
        pytest.param("exposure", 1, id="exposure-number"),
        pytest.param("automated", "sometimes", id="automated-maybe"),
        pytest.param("automated", 1, id="automated-int"),
        pytest.param("affects_people", None, id="affects-people-none"),
        pytest.param("regulation", ["credit", "tax"], id="regulation-unknown-domain"),
        pytest.param("regulation", [1], id="regulation-not-names"),
        pytest.param("regulation", True, id="regulation-bool"),
        pytest.param("financial_impact", "huge", id="financial-unknown"),
        pytest.param("outage_impact", "", id="outage-empty"),
        pytest.param("data_change", "fast", id="data-change-unknown"),
        pytest.param("maintainers", -1, id="maintainers-negative"),
        pytest.param("maintainers", 1.5, id="maintainers-float"),
        pytest.param("maintainers", True, id="maintainers-bool"),
        pytest.param("maintainers", "two", id="maintainers-word"),
    ],
)
def test_bad_answer_names_the_question(question: str, value: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        suggest(answers(**{question: value}))
    assert caught.value.details["field"] == question
    assert f"risk question {question!r}" in caught.value.message
    assert "expected" in caught.value.message


def test_unknown_question_is_named() -> None:
    with pytest.raises(InvalidInput, match="Unknown risk question 'vibes'") as caught:
        suggest(answers(vibes="good"))
    assert caught.value.details["field"] == "vibes"


def test_unanswered_questions_are_listed() -> None:
    partial = {key: value for key, value in CALM.items() if key not in ("exposure", "maintainers")}
    with pytest.raises(InvalidInput, match="not answered: exposure, maintainers") as caught:
        suggest(partial)
    assert caught.value.details["missing"] == ["exposure", "maintainers"]


def test_questions_have_unique_keys_and_text() -> None:
    keys = [question.key for question in QUESTIONS]
    assert len(keys) == len(set(keys))
    assert all(question.text.endswith("?") for question in QUESTIONS)
