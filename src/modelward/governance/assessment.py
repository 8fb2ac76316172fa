"""Risk assessment use-cases: record one (explicit values or questionnaire answers), read the
current one and the history. The matrix and the questionnaire's scoring are pure, in
`domain.risk` and `domain.questionnaire`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelward.domain import questionnaire, risk
from modelward.domain.audit import AuditEvent
from modelward.domain.ports import Guard, UnitOfWork
from modelward.domain.roles import Action
from modelward.errors import InvalidInput


def _assessment_dict(assessment: risk.RiskAssessment | None) -> dict[str, Any] | None:
    if assessment is None:
        return None
    return {
        "likelihood": int(assessment.likelihood),
        "severity": int(assessment.severity),
        "score": assessment.score,
        "level": assessment.level.value,
        "expires_at": assessment.expires_at.isoformat() if assessment.expires_at else None,
    }


def _values(
    likelihood: object, severity: object, answers: Mapping[str, object] | None
) -> tuple[object, object, dict[str, Any]]:
    """Explicit values win over the questionnaire's suggestion; the answers are kept."""
    clean: dict[str, Any] = {}
    if answers is not None:
        suggestion = questionnaire.suggest(answers)
        clean = suggestion.answers
        likelihood = suggestion.likelihood if likelihood is None else likelihood
        severity = suggestion.severity if severity is None else severity
    if likelihood is None or severity is None:
        raise InvalidInput(
            "Give both --likelihood and --severity (1-5), or --questionnaire answers.yaml."
        )
    return likelihood, severity, clean


def assess_risk(
    uow: UnitOfWork,
    *,
    model: str,
    guard: Guard,
    likelihood: object = None,
    severity: object = None,
    rationale: str = "",
    answers: Mapping[str, object] | None = None,
) -> risk.RiskAssessment:
    """Record a risk assessment of `model`: explicit likelihood and severity, or the values the
    questionnaire `answers` suggest (explicit values win; the answers are kept either way).

    Raises:
        InvalidInput: likelihood or severity outside 1-5, neither values nor answers given,
            or a bad questionnaire answer.
        NotFound: no such model.
        PermissionDenied: the actor may not assess risk.
    """
    policies, actor, now = guard.policies, guard.actor, guard.now()
    likelihood, severity, clean = _values(likelihood, severity, answers)
    assessment = risk.assess(
        model,
        likelihood=likelihood,
        severity=severity,
        assessed_by=actor,
        assessed_at=now,
        rationale=rationale,
        answers=clean,
        valid_days=policies.valid_days(),
    )
    with uow:
        guard.require(uow, Action.ASSESS_RISK)
        previous = uow.governance.find_assessment(model)
        uow.governance.save_assessment(assessment)
        uow.audit.append(
            AuditEvent(
                "risk.assessed",
                "model",
                model,
                actor,
                now,
                before=_assessment_dict(previous),
                after=_assessment_dict(assessment),
                reason=rationale,
            )
        )
        uow.commit()
    return assessment


def get_assessment(uow: UnitOfWork, *, model: str) -> risk.RiskAssessment | None:
    """The model's current assessment, or None. Raises NotFound for an unknown model."""
    with uow:
        uow.registry.get_model(model)
        return uow.governance.find_assessment(model)


def assessment_history(uow: UnitOfWork, *, model: str) -> list[risk.RiskAssessment]:
    """Every assessment of the model, newest first. Raises NotFound for an unknown model."""
    with uow:
        return uow.governance.list_assessments(model)
