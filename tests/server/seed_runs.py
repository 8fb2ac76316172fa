"""Runs for the data scientist's UI tests: a parent training run with two metric curves,
params, tags, a dataset, a text artifact and a registered model, and two child runs."""

from __future__ import annotations

from dataclasses import dataclass

from modelward.config import Settings
from tests.builders import applicants, fitted_classifier
from tests.server.conftest import Team, make_team
from tests.server.seed import as_user

NOTES = "threshold,0.42\nnote,<script>alert('x')</script>\n"
HOSTILE = "<img src=x onerror=alert(1)>"


@dataclass(frozen=True)
class Seeded:
    team: Team
    parent: str
    children: tuple[str, ...]


def seed_runs(settings: Settings) -> Seeded:
    team = make_team(settings)
    alice = as_user(settings, "alice")
    frame = applicants(rows=300)
    model, features = fitted_classifier(frame)
    try:
        with alice.start_run("credit", name="sweep") as parent:
            parent.log_params({"C": 0.5, "penalty": "l2"})
            for step in range(6):
                parent.log_metrics({"loss": 1 / (step + 1), "auc": 0.7 + step * 0.02}, step=step)
            parent.set_tags({"team": "scoring", "note": HOSTILE})
            parent.log_dataset(frame, name="train", role="training")
            parent.log_text(NOTES, "reports/notes.csv")
            parent.log_model(model, "model", input_example=features.head(5))
            children = []
            for c in (0.1, 1.0):
                with alice.start_run("credit", name=f"C={c}", parent_run_id=parent.id) as child:
                    child.log_param("C", c)
                    for step in range(3):
                        child.log_metric("loss", c / (step + 1), step=step)
                    child.log_metric("auc", 0.8 + c / 10)
                children.append(child.id)
        alice.registry.register(parent.id, name="credit-scorer")
    finally:
        alice.close()
    return Seeded(team, parent.id, tuple(children))
