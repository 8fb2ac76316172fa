"""A governed workspace for the UI tests: a high-risk model whose v1 is validated, under
review, approved by the validator, and waiting for the risk manager."""

from __future__ import annotations

from modelward.client import Client
from modelward.config import Settings
from tests.builders import applicants, fitted_classifier
from tests.server.conftest import Team, make_team

MODEL = "credit-risk"


def as_user(settings: Settings, user: str) -> Client:
    return Client(settings.model_copy(update={"user": user}))


def seed_governed(settings: Settings, *, extra_models: int = 3) -> Team:
    """The team, `credit-risk` v1 waiting for rita (risk_manager), and a few other models."""
    team = make_team(settings)
    alice = as_user(settings, "alice")
    frame = applicants(rows=600)
    model, features = fitted_classifier(frame)
    for name in [MODEL] + [f"churn-{i}" for i in range(extra_models)]:
        with alice.start_run("credit", name=f"train {name}") as run:
            run.log_params({"C": 1.0})
            for step in range(5):
                run.log_metric("loss", 1 / (step + 1), step=step)
            run.log_metric("auc", 0.83)
            run.log_dataset(frame, name="train", role="training")
            run.log_model(model, "model", input_example=features.head(5))
        alice.registry.register(run.id, name=name)
    alice.validation.validate(
        f"models:/{MODEL}/1",
        applicants(rows=600, seed=1),
        target="default",
        config={"slice_gap": 0.5},
    )
    alice.governance.request_review(MODEL, 1, comment="ready")
    rita = as_user(settings, "rita")
    rita.governance.assess(MODEL, likelihood=4, severity=3, rationale="credit decisions")
    vera = as_user(settings, "vera")
    vera.governance.approve(MODEL, 1, role="validator", comment="checks pass")
    for made in (alice, rita, vera):
        made.close()
    return team


DEPLOYMENT = "credit-scoring"


def seed_monitored(settings: Settings) -> Team:
    """`seed_governed`, plus: v2 of credit-risk (rejected by the validator), a deployment
    serving v1, an open alert raised by v1 and one raised by v2 before it was replaced, and
    a model-wide business owner."""
    from datetime import UTC, datetime

    from modelward.domain.monitoring import Alert, AlertKind, Severity

    team = seed_governed(settings, extra_models=1)
    alice = as_user(settings, "alice")
    try:
        run_id = alice.registry.get_version(MODEL, 1).run_id or ""
        alice.registry.register(run_id, name=MODEL)
        alice.governance.request_review(MODEL, 2, comment="v2 retrained")
        alice.governance.set_card_field(MODEL, 0, "business_owner", "Retail credit")
        alice.governance.request_review("churn-0", 1, comment="please look at churn")
        alice.deployments.create(DEPLOYMENT, model_uri=f"models:/{MODEL}/1", environment="staging")
        start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
        with alice.backend.uow() as uow:
            for version, subject in ((1, "age"), (2, "income")):
                uow.monitoring.save_alert(
                    Alert(
                        DEPLOYMENT,
                        MODEL,
                        version,
                        AlertKind.DRIFT,
                        Severity.WARNING,
                        subject,
                        f"{DEPLOYMENT}: feature {subject!r} drifted",
                        start,
                        end,
                        end,
                    )  # fmt: skip
                )
            uow.commit()
    finally:
        alice.close()
    vera = as_user(settings, "vera")
    try:
        vera.governance.reject(MODEL, 2, role="validator", comment="income drift not explained")
    finally:
        vera.close()
    return team
