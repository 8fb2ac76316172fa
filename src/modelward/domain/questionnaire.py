"""Risk-driver questionnaire: answers about a model's use -> suggested likelihood and severity.

Pure scoring with an explanation per driver. The matrix and levels live in `risk.py`; the
suggestion is advice that a person confirms or changes when they record an assessment.

Scoring rule (the same for every model, so two assessors get the same suggestion):

* Likelihood starts at 1 (rare) and each driver adds the points in its table:
  decisions automated without a human review +1 (nobody catches a wrong prediction or an
  outage before it takes effect); input data that changes seasonally +1, volatile +2 (accuracy
  and fairness decay); one person able to maintain the model +1, nobody +2 (fixes, retraining
  and recovery from an outage depend on people who may leave).
* Severity starts at 1 (very low) and each driver adds its points: external customers exposed
  +1; decisions affecting people +1 (fairness relevance); financial impact of one wrong
  decision moderate +1, high +2, very high +3; outage impact major +1, critical +2.
* A regulated domain sets a floor on severity: credit decisions (banks' model risk management
  guidance, SR 11-7 and its successor), pharma GxP and EU AI Act high-risk uses at least 4
  (high); personal data under GDPR/CCPA at least 3 (moderate).
* Both results are capped at 5. The level then follows from likelihood x severity.

Each driver speaks to one or more of the four risks of a model in production: unavailable for
a time, a wrong prediction for one case, accuracy or fairness decaying over time, and the
skills to maintain it leaving; `Suggestion.by_risk` groups the drivers that way.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modelward.domain.risk import Likelihood, Severity
from modelward.errors import InvalidInput


class ProductionRisk(enum.StrEnum):
    """The four ways a model in production hurts its users."""

    UNAVAILABLE = "unavailable"  # the model is down for a time
    WRONG_PREDICTION = "wrong_prediction"  # one case gets a bad answer
    DECAY = "decay"  # accuracy or fairness decays over time
    SKILLS_LOSS = "skills_loss"  # the people who can maintain it leave


_R = ProductionRisk


@dataclass(frozen=True)
class Question:
    """One question: its key, its text, and the answers it accepts.

    `kind` is "choice" (one of `choices`), "multi" (a list of `choices`, possibly empty),
    "bool" (yes/no) or "count" (a whole number >= 0).
    """

    key: str
    text: str
    kind: str
    risks: tuple[ProductionRisk, ...]
    choices: tuple[str, ...] = ()


QUESTIONS: tuple[Question, ...] = (
    Question(
        "exposure",
        "Who sees the model's decisions: internal staff or external customers?",
        "choice",
        (_R.WRONG_PREDICTION, _R.UNAVAILABLE),
        ("internal", "external"),
    ),
    Question(
        "automated",
        "Are decisions taken without a human reviewing them?",
        "bool",
        (_R.WRONG_PREDICTION, _R.UNAVAILABLE),
    ),
    Question(
        "affects_people",
        "Do decisions affect individual people (so fairness matters)?",
        "bool",
        (_R.WRONG_PREDICTION, _R.DECAY),
    ),
    Question(
        "regulation",
        "Which regulated domains apply (none, or several)?",
        "multi",
        (_R.WRONG_PREDICTION, _R.DECAY, _R.SKILLS_LOSS),
        ("credit", "pharma_gxp", "personal_data", "eu_ai_act_high_risk"),
    ),
    Question(
        "financial_impact",
        "What can one wrong decision cost?",
        "choice",
        (_R.WRONG_PREDICTION,),
        ("negligible", "low", "moderate", "high", "very_high"),
    ),
    Question(
        "outage_impact",
        "How bad is it if the model is unavailable for a day?",
        "choice",
        (_R.UNAVAILABLE,),
        ("none", "minor", "major", "critical"),
    ),
    Question(
        "data_change",
        "How fast does the data the model sees change: stable, seasonal or volatile?",
        "choice",
        (_R.DECAY,),
        ("stable", "seasonal", "volatile"),
    ),
    Question(
        "maintainers",
        "How many people can maintain and retrain the model?",
        "count",
        (_R.SKILLS_LOSS, _R.UNAVAILABLE, _R.DECAY),
    ),
)

_BY_KEY = {question.key: question for question in QUESTIONS}

# Points per answer: (likelihood points, severity points).
_POINTS: dict[str, dict[object, tuple[int, int]]] = {
    "exposure": {"internal": (0, 0), "external": (0, 1)},
    "automated": {False: (0, 0), True: (1, 0)},
    "affects_people": {False: (0, 0), True: (0, 1)},
    "financial_impact": {
        "negligible": (0, 0),
        "low": (0, 0),
        "moderate": (0, 1),
        "high": (0, 2),
        "very_high": (0, 3),
    },
    "outage_impact": {"none": (0, 0), "minor": (0, 0), "major": (0, 1), "critical": (0, 2)},
    "data_change": {"stable": (0, 0), "seasonal": (1, 0), "volatile": (2, 0)},
}

_SEVERITY_FLOOR = {
    "credit": (
        Severity.HIGH,
        "credit decisions fall under model risk management guidance: SR 11-7 and its successor",
    ),
    "pharma_gxp": (Severity.HIGH, "GxP: a wrong result can reach patients and must be validated"),
    "eu_ai_act_high_risk": (Severity.HIGH, "a high-risk use under the EU AI Act"),
    "personal_data": (Severity.MODERATE, "personal data under GDPR/CCPA"),
}

_WHY = {
    "exposure": "external customers see the decisions, so mistakes reach the public",
    "automated": "no human reviews decisions, so wrong predictions and outages act directly",
    "affects_people": "decisions affect people, so errors and unfair treatment harm someone",
    "financial_impact": "one wrong decision can cost money",
    "outage_impact": "an outage disrupts the process that depends on the model",
    "data_change": "the data changes, so accuracy and fairness decay unless watched",
}


@dataclass(frozen=True)
class DriverEffect:
    """How one answer moved the suggestion, and why."""

    question: str
    answer: object
    likelihood_points: int
    severity_points: int
    severity_floor: Severity | None
    risks: tuple[ProductionRisk, ...]
    explanation: str


@dataclass(frozen=True)
class Suggestion:
    """Suggested likelihood and severity, with every driver's effect."""

    likelihood: Likelihood
    severity: Severity
    drivers: tuple[DriverEffect, ...]
    answers: dict[str, Any]  # the normalised answers, for RiskAssessment.answers

    @property
    def by_risk(self) -> dict[ProductionRisk, tuple[DriverEffect, ...]]:
        """The drivers that speak to each of the four production risks."""
        return {
            risk: tuple(effect for effect in self.drivers if risk in effect.risks)
            for risk in ProductionRisk
        }

    def explanation(self) -> str:
        """One line per driver that moved the suggestion, then the result."""
        lines = [f"- {effect.explanation}" for effect in self.drivers if _moved(effect)]
        if not lines:
            lines = ["- no driver raises the risk above the minimum"]
        lines.append(
            f"Suggested likelihood {self.likelihood.value} ({self.likelihood.label}),"
            f" severity {self.severity.value} ({self.severity.label})."
        )
        return "\n".join(lines)


def _moved(effect: DriverEffect) -> bool:
    return bool(effect.likelihood_points or effect.severity_points or effect.severity_floor)


def normalize_answers(answers: Mapping[str, object]) -> dict[str, Any]:
    """Check every answer and return them in canonical form (lower-case, bools, lists).

    Raises:
        InvalidInput: an unknown question, a bad answer or an unanswered question; the error
            names the question (`field`) and lists what it accepts.
    """
    unknown = sorted(set(answers) - set(_BY_KEY))
    if unknown:
        raise InvalidInput(
            f"Unknown risk question {unknown[0]!r}; the questions are {', '.join(_BY_KEY)}.",
            field=unknown[0],
        )
    missing = [key for key in _BY_KEY if key not in answers]
    if missing:
        raise InvalidInput(
            f"Risk questions not answered: {', '.join(missing)}.", field=missing[0], missing=missing
        )
    return {key: _normalize(_BY_KEY[key], answers[key]) for key in _BY_KEY}


_BAD = object()  # marks an answer that does not fit its question


def _normalize(question: Question, value: object) -> object:
    readers = {"bool": _read_bool, "count": _read_count, "choice": _read_choice}
    clean = readers.get(question.kind, _read_multi)(question, value)
    if clean is _BAD:
        raise InvalidInput(
            f"Bad answer {value!r} to risk question {question.key!r}:"
            f" expected {_expected(question)}.",
            field=question.key,
        )
    return clean


def _read_bool(question: Question, value: object) -> object:
    if isinstance(value, bool):
        return value
    words = {"yes": True, "true": True, "no": False, "false": False}
    return words.get(value.strip().lower(), _BAD) if isinstance(value, str) else _BAD


def _read_count(question: Question, value: object) -> object:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return _BAD


def _read_choice(question: Question, value: object) -> object:
    if isinstance(value, str) and _token(value) in question.choices:
        return _token(value)
    return _BAD


def _read_multi(question: Question, value: object) -> object:
    # "credit, personal_data" from a command line, a list from YAML or Python; "none" = [].
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple | set | frozenset):
        return _BAD
    if not all(isinstance(item, str) for item in items):
        return _BAD
    chosen = {_token(item) for item in items if item.strip()} - {"none"}
    return sorted(chosen) if chosen <= set(question.choices) else _BAD


def _token(text: str) -> str:
    return text.strip().lower().replace(" ", "_").replace("-", "_")


def _expected(question: Question) -> str:
    if question.kind == "bool":
        return "yes or no"
    if question.kind == "count":
        return "a whole number >= 0"
    if question.kind == "choice":
        return "one of " + ", ".join(question.choices)
    return "a list of " + ", ".join(question.choices) + " (or an empty list)"


def suggest(answers: Mapping[str, object]) -> Suggestion:
    """Suggest likelihood and severity from the answers (see the module docstring's rule).

    Raises:
        InvalidInput: an unknown question, a bad answer or an unanswered question.
    """
    clean = normalize_answers(answers)
    effects = [_effect(key, clean[key]) for key in _POINTS]
    effects.append(_maintainers_effect(clean["maintainers"]))
    effects.extend(_regulation_effects(clean["regulation"]))
    likelihood = 1 + sum(effect.likelihood_points for effect in effects)
    severity = 1 + sum(effect.severity_points for effect in effects)
    floors = [int(effect.severity_floor) for effect in effects if effect.severity_floor]
    return Suggestion(
        likelihood=Likelihood(min(5, likelihood)),
        severity=Severity(min(5, max([severity, *floors]))),
        drivers=tuple(effects),
        answers=clean,
    )


def _effect(key: str, answer: object) -> DriverEffect:
    likelihood, severity = _POINTS[key][answer]
    shown = "yes" if answer is True else "no" if answer is False else answer
    moves = [
        f"{name} +{points}"
        for name, points in [("likelihood", likelihood), ("severity", severity)]
        if points
    ]
    if moves:
        text = f"{key} = {shown}: {', '.join(moves)} ({_WHY[key]})."
    else:
        text = f"{key} = {shown}: no change."
    return DriverEffect(key, answer, likelihood, severity, None, _BY_KEY[key].risks, text)


def _maintainers_effect(count: int) -> DriverEffect:
    points = 2 if count == 0 else 1 if count == 1 else 0
    if points:
        why = "nobody can" if count == 0 else "only one person can"
        text = (
            f"maintainers = {count}: likelihood +{points} ({why} fix, retrain or restore the"
            " model, and skills leave with people)."
        )
    else:
        text = f"maintainers = {count}: no change (the skills are shared)."
    risks = _BY_KEY["maintainers"].risks
    return DriverEffect("maintainers", count, points, 0, None, risks, text)


def _regulation_effects(domains: list[str]) -> list[DriverEffect]:
    risks = _BY_KEY["regulation"].risks
    if not domains:
        return [DriverEffect("regulation", [], 0, 0, None, risks, "regulation = none: no change.")]
    effects = []
    for domain in domains:
        floor, why = _SEVERITY_FLOOR[domain]
        text = f"regulation includes {domain}: severity at least {floor.value} ({why})."
        effects.append(DriverEffect("regulation", domain, 0, 0, floor, risks, text))
    return effects
