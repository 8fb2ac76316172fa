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
