"""`retrain` validates with the project's `sensitive:` list, the held-out window's attributes
coming from the protected context (never from the model's inputs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from modelward.client import Client
from modelward.client.retrain import retrain
from modelward.project import Project
from tests.monitoring.helpers import DAY1, DAY2, DAY3, deploy_model, log_traffic, traffic
from tests.monitoring.test_feedback_loop import TRAIN_MODULE


@pytest.mark.slow  # the whole retraining loop: train, register, validate, promote
def test_retrain_validates_with_the_projects_sensitive_list(client: Client, tmp_path: Path) -> None:
    (tmp_path / "mw_train_entry.py").write_text(TRAIN_MODULE)
    client.monitoring._project = Project(
        tmp_path / "modelward.yaml",
        {"train": "mw_train_entry:train", "target": "default", "sensitive": ["gender"],
         "validation": {"slice_gap": 0.5}},
    )  # fmt: skip
    client.backend.clock = lambda: DAY3
    model = deploy_model(client, rows=1000)
    rng = np.random.default_rng(0)
    for day, seed in ((DAY1, 31), (DAY2, 32)):
        frame = traffic(200, seed=seed)
        ids = log_traffic(client, model, frame, at=day, prefix=f"d{seed}")
        client.monitoring.ingest_labels(
            "credit-scoring", pd.DataFrame({"request_id": ids, "label": frame["default"]})
        )
        client.monitoring.ingest_context(
            "credit-scoring",
            pd.DataFrame({"request_id": ids, "gender": rng.choice(["f", "m"], 200)}),
        )
    client.monitoring.run("credit-scoring")
    result = retrain(client, "credit-risk", trigger="drift")
    with client.backend.uow() as uow:
        record = uow.validation.latest_report("credit-risk", result.version)
    assert record is not None
    names = [c["name"] for c in record.summary["checks"]]
    assert "fairness.demographic_parity_difference[gender]" in names
    # gender is never a model input: the retrained version's signature does not hold it
    signature = client.registry.resolve(f"models:/credit-risk/{result.version}").signature
    assert "gender" not in [c["name"] for c in signature["columns"]]
