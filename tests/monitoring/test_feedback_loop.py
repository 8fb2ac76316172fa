"""Retraining (challenger, validation, promotion or review request) and champion vs
challenger evidence from shadow traffic."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from modelward.client import Client
from modelward.client.retrain import retrain
from modelward.project import Project
from tests.monitoring.helpers import DAY1, DAY2, DAY3, FEATURES, deploy_model, log_traffic, traffic

TRAIN_MODULE = """
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def train(data, *, target, params):
    features = data[["income", "debt", "age"]]
    model = make_pipeline(StandardScaler(), LogisticRegression(C=float(params.get("C", 1.0))))
    return model.fit(features, data[target].astype(int))
"""


@pytest.fixture
def labelled(client: Client, tmp_path: Path) -> Client:
    """A deployment with two labelled days of traffic and a monitoring run over them."""
    (tmp_path / "mw_train_entry.py").write_text(TRAIN_MODULE)
    client.monitoring._project = Project(
        tmp_path / "modelward.yaml",
        {
            "train": "mw_train_entry:train",
            "target": "default",
            "validation": {"slice_gap": 0.5},  # 50-row slices are noisy
        },
    )
    client.backend.clock = lambda: DAY3
    model = deploy_model(client, rows=1000)
    for day, seed in ((DAY1, 21), (DAY2, 22)):
        frame = traffic(200, seed=seed)
        ids = log_traffic(client, model, frame, at=day, prefix=f"d{seed}")
        labels = pd.DataFrame({"request_id": ids, "label": frame["default"]})
        client.monitoring.ingest_labels("credit-scoring", labels, id_column="request_id")
    client.monitoring.run("credit-scoring")
    return client


@pytest.mark.slow  # the whole retraining loop: train, register, validate, promote
def test_retrain_registers_validates_and_promotes(labelled: Client) -> None:
    extra = traffic(1000, seed=40)[[*FEATURES, "default"]]
    result = retrain(labelled, "credit-risk", data=extra, trigger="drift", params={"C": "0.5"})
    assert (result.version, result.train_rows, result.validation_rows) == (2, 1200, 200)
    assert result.outcome == "promoted" and result.validation_passed
    assert labelled.registry.resolve("models:/credit-risk@challenger").version == 2
    assert labelled.registry.resolve("models:/credit-risk@champion").version == 2
    report = labelled.validation.latest("credit-risk", 2).report
    assert report.against == "models:/credit-risk/1"
    run = labelled.tracking.get_run(result.run_id)
    assert run.params["trigger"] == "drift" and run.params["C"] == "0.5"
    assert [d.role for d in run.datasets] == ["training"]


@pytest.mark.slow  # the whole retraining loop: train, register, validate, promote
def test_gate_refusal_requests_a_review(labelled: Client) -> None:
    gated = Client(labelled.settings.model_copy(update={"protected_aliases": "champion"}))
    gated.monitoring._project = labelled.monitoring._project
    try:
        extra = traffic(1000, seed=40)[[*FEATURES, "default"]]
        result = retrain(gated, "credit-risk", data=extra, trigger="performance")
        assert result.outcome == "review_requested" and result.missing
        assert "governance status credit-risk 2" in result.message
        assert gated.registry.resolve("models:/credit-risk@champion").version == 1
        assert gated.governance.status("credit-risk", 2) is not None
    finally:
        gated.close()


@pytest.mark.slow  # the whole retraining loop: train, register, validate, promote
def test_shadow_comparison_evidence_is_stored_and_attached(labelled: Client) -> None:
    retrain(labelled, "credit-risk", data=traffic(1000, seed=40)[[*FEATURES, "default"]])
    # the deployment still serves v1 (alias moves do not change it); v2 scores in shadow
    labelled.deployments.set_challenger("credit-scoring", 2, strategy="shadow")
    champion = labelled.registry.load_model("models:/credit-risk/1")
    challenger = labelled.registry.load_model("models:/credit-risk/2")
    frame = traffic(200, seed=31)
    ids = log_traffic(labelled, champion, frame, at=DAY2, prefix="sh")
    log_traffic(labelled, challenger, frame, at=DAY2, prefix="sh", version=2, arm="shadow")
    labels = pd.DataFrame({"request_id": ids, "label": frame["default"]})
    labelled.monitoring.ingest_labels("credit-scoring", labels, id_column="request_id")

    evidence = labelled.monitoring.compare("credit-scoring", request_review=True)

    assert evidence.paired and evidence.rows == 200 and evidence.challenger == 2
    assert {m["metric"] for m in evidence.metrics} == {"accuracy", "roc_auc", "log_loss"}
    assert all(m["ci_low"] <= m["difference"] <= m["ci_high"] for m in evidence.metrics)
    stored = json.loads(labelled.backend.artifacts.get_bytes(evidence.artifact_sha256))
    assert stored["verdict"] == evidence.verdict and stored["paired"] is True
    events = labelled.governance.audit_events(
        entity_type="model_version", entity_id="credit-risk/2"
    )
    actions = {e.action: e for e in events}
    assert (
        actions["monitoring.live_comparison"].after["evidence_sha256"] == evidence.artifact_sha256
    )
    assert evidence.artifact_sha256 in json.dumps(actions["review.requested"].after)


def test_retrain_needs_an_entry_point(client: Client) -> None:
    from modelward.errors import InvalidInput

    client.monitoring._project = Project()
    with pytest.raises(InvalidInput, match="train: package.module:function"):
        retrain(client, "credit-risk")
    assert FEATURES
