"""A workspace for the evidence and data-protection pages: `seed_governed` (credit-risk v1
validated and under review), a `loans` deployment whose model was trained on customers
(customer_id and region tagged personal data) with predictions logged for a few of them, and
a reproduction of credit-risk v1's run recorded by the validator."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from modelward.config import Settings
from modelward.domain.privacy import Reproduction
from modelward.store.predictions import PredictionEntry, write_entries
from tests.builders import applicants
from tests.server.conftest import Team
from tests.server.seed import MODEL, as_user, seed_governed

DEPLOYMENT = "loans"
LOAN_MODEL = "loan-model"
FEATURES = ["customer_id", "income", "debt", "region"]
SUBJECT = "C-0007"  # the data subject the tests erase


def customers(rows: int, *, seed: int) -> pd.DataFrame:
    frame = applicants(rows, seed=seed)
    return frame.assign(customer_id=[f"C-{i:04d}" for i in range(rows)])


def _model(frame: pd.DataFrame) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    prep = ColumnTransformer(
        [
            ("num", StandardScaler(), ["income", "debt"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["region"]),
        ]
    )
    return make_pipeline(prep, LogisticRegression()).fit(frame[FEATURES], frame["default"])


def _log_predictions(alice: Any, model: Any, frame: pd.DataFrame) -> None:
    proba = model.predict_proba(frame[FEATURES])
    at = datetime.now(UTC)
    entries = [
        PredictionEntry(
            request_id=f"r-{i}",
            ts=at,
            deployment=DEPLOYMENT,
            model=LOAN_MODEL,
            version=1,
            arm="champion",
            latency_ms=1.0,
            inputs={c: [frame[c].iloc[i]] for c in FEATURES},
            predictions=np.array([int(proba[i, 1] > 0.5)]),
            probabilities=proba[i : i + 1],
        )  # fmt: skip
        for i in range(len(frame))
    ]
    transform = alice.backend.workspace.pseudonymiser(DEPLOYMENT)
    root = alice.settings.resolved_predictions_dir()
    write_entries(root, entries, stem="seed", transform=transform)


def seed_evidence(settings: Settings) -> Team:
    team = seed_governed(settings, extra_models=1)
    alice = as_user(settings, "alice")
    try:
        frame = customers(300, seed=0)
        model = _model(frame)
        with alice.start_run("loans", name="train loans", capture_code=False) as run:
            ref = run.log_dataset(frame, name="customers", role="training")
            run.log_model(model, "model", input_example=frame[FEATURES].head(5))
        for column in ("customer_id", "region"):
            alice.governance.tag_column(
                ref.dataset_id, column, personal=True, legal_basis="contract"
            )
        alice.registry.register(run.id, name=LOAN_MODEL)
        alice.deployments.create(DEPLOYMENT, model_uri=f"models:/{LOAN_MODEL}/1")
        _log_predictions(alice, model, frame.head(20))
        credit_run = alice.registry.get_version(MODEL, 1).run_id or ""
    finally:
        alice.close()
    vera = as_user(settings, "vera")
    try:
        vera.tracking.record_reproduction(
            Reproduction(
                run_id=credit_run,
                reproduced_run_id=None,
                metrics_match=True,
                model_identical=True,
                metric_diffs={"auc": [0.83, 0.83], "loss": [0.2, 0.2]},
                tolerance=1e-9,
                environment="fresh-venv",
                actor="vera",
                created_at=datetime.now(UTC),
                detail="rebuilt from the lock in a fresh venv",
            )
        )
    finally:
        vera.close()
    return team
