"""Guardrails end to end: set through the client (audited), enforced by a real scoring
service (fallback, counted, in the answer), and canary analysis rolling a challenger back."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from modelward.client import Client
from modelward.deploy.guardrails import guardrail_alert
from modelward.errors import Conflict, InvalidInput
from modelward.store.predictions import read_predictions
from tests.builders import applicants
from tests.serving.conftest import RECORD, app_for
from tests.serving.server import serve_in_thread, wait_for

pytestmark = pytest.mark.slow

FAR = {"income": 5_000_000.0, "debt": 9_000.0, "age": 41}  # far above any training income


def test_set_get_clear_guardrails_are_audited(workspace: Client) -> None:
    rails = workspace.guardrails
    assert rails.get("credit-scoring") is None
    with pytest.raises(InvalidInput, match="needs an answer"):
        rails.set("credit-scoring", {"on_violation": "fallback"})
    spec = rails.set("credit-scoring", {"allowed_classes": [0, 1], "max_ood": 0.999},
                     reason="risk review")  # fmt: skip
    assert rails.get("credit-scoring") == spec
    rails.clear("credit-scoring", reason="done")
    with pytest.raises(Conflict, match="no guardrails"):
        rails.clear("credit-scoring")
    actions = [e.action for e in workspace.governance.audit_events(limit=100)]
    assert {"deployment.guardrails_set", "deployment.guardrails_cleared"} <= set(actions)


def test_a_minute_of_violations_raises_one_alert(workspace: Client) -> None:
    start = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
    backend = workspace.backend
    kwargs: dict[str, Any] = {
        "name": "credit-scoring", "version": 1, "start": start,
        "end": start + timedelta(minutes=1), "rows": 100, "violations": {"input_range": 7},
        "rate": 0.07,
    }  # fmt: skip
    alert = guardrail_alert(backend.uow(), guard=backend.guard(), **kwargs)  # type: ignore[attr-defined,arg-type]
    assert alert is not None and alert.kind.value == "guardrail"
    assert "7 of 100 rows broke a guardrail (7.0%)" in alert.message
    again = guardrail_alert(backend.uow(), guard=backend.guard(), **kwargs)  # type: ignore[attr-defined,arg-type]
    assert again is None  # another replica raised it already
    assert [a.kind.value for a in workspace.monitoring.open_alerts("credit-risk")] == ["guardrail"]


def test_violations_are_answered_with_the_fallback_and_counted(workspace: Client) -> None:
    workspace.guardrails.set(
        "credit-scoring", {"on_violation": "fallback", "fallback": "refer", "max_ood": 0.999}
    )
    with serve_in_thread(app_for(workspace)) as url, httpx.Client(base_url=url) as http:
        answer = http.post("/predict", json=[RECORD, FAR]).json()
        assert answer["predictions"][1] == "refer"
        assert answer["predictions"][0] in (0, 1)
        assert answer["guardrails"]["rows"] == [1]
        assert answer["guardrails"]["counts"]["input_range"] == 1
        assert answer["probabilities"][1] == [None, None]  # no model probability behind it
        plain = http.post("/predict", json=[RECORD]).json()
        assert "guardrails" not in plain
        metrics = http.get("/metrics").text
        assert (
            "modelward_guardrail_violations_total"
            '{deployment="credit-scoring",kind="input_range",version="1"} 1.0' in metrics
        )
        assert (
            'modelward_guardrail_fallbacks_total{deployment="credit-scoring",version="1"} 1.0'
            in metrics
        )
    # the prediction log keeps the model's own answer (one type per column), not the fallback
    logged = read_predictions(str(workspace.settings.resolved_predictions_dir()), "credit-scoring")
    assert set(logged["prediction"].tolist()) <= {0, 1} and len(logged) == 3


def test_canary_analysis_rolls_the_challenger_back(workspace: Client) -> None:
    spec = {"max_ood": 0.999, "canary": {"max_violation_rate": 0.2, "min_requests": 5}}
    workspace.guardrails.set("credit-scoring", spec)
    workspace.deployments.set_challenger("credit-scoring", 2, strategy="canary", share=0.5)
    with serve_in_thread(app_for(workspace)) as url, httpx.Client(base_url=url) as http:
        wait_for(lambda: http.get("/health").json()["versions"] == [1, 2])
        for i in range(40):  # every far row breaks a guardrail; half go to the challenger
            http.post("/predict", json=[FAR], headers={"X-Request-ID": f"r{i}"})
        wait_for(lambda: workspace.deployments.get("credit-scoring").config.challenger is None)
        wait_for(lambda: http.get("/health").json()["versions"] == [1])
        assert "modelward_canary_rollbacks_total" in http.get("/metrics").text
    live = workspace.deployments.get("credit-scoring").config
    assert (live.action, live.champion) == ("canary_rollback", 1)
    assert "guardrail violation rate 1.000 > 0.2" in live.reason
    event = workspace.governance.audit_events(limit=1)[0]
    assert event.action == "deployment.canary_rollback" and "canary analysis" in event.reason


def test_canary_analysis_reads_monitored_metrics_and_rolls_back(workspace: Client) -> None:
    """The challenger answers a share of the traffic; labels arrive after a first monitor run
    and make its roc_auc low; the re-run stores the challenger's own figures in the window,
    and the scoring service's poll thread reads them and takes the challenger out."""
    spec = {"canary": {"metrics": {"roc_auc": {"min": 0.7}}}}
    workspace.guardrails.set("credit-scoring", spec)
    workspace.deployments.set_challenger("credit-scoring", 2, strategy="canary", share=0.5)
    traffic = applicants(400, seed=5)[["income", "debt", "age"]]
    labels, by_version = [], {1: [], 2: []}  # type: ignore[var-annotated]
    with serve_in_thread(app_for(workspace)) as url, httpx.Client(base_url=url) as http:
        wait_for(lambda: http.get("/health").json()["versions"] == [1, 2])
        for start in range(0, len(traffic), 10):
            records = traffic.iloc[start : start + 10].to_dict("records")
            answer = http.post("/predict", json=records).json()
            for row, proba in enumerate(answer["probabilities"]):
                # the champion's labels agree with its scores, the challenger's contradict them
                agrees = answer["version"] == 1
                label = int(proba[1] > 0.5) if agrees else int(proba[1] <= 0.5)
                labels.append({"request_id": answer["request_id"], "row": row, "label": label})
                by_version[answer["version"]].append((label, proba[1]))
        assert min(len(v) for v in by_version.values()) >= 100  # both arms answered
        logged = str(workspace.settings.resolved_predictions_dir())
        wait_for(lambda: len(read_predictions(logged, "credit-scoring")) == len(traffic))

        now = datetime.now(UTC)
        backend = workspace.backend
        backend.clock = lambda: now + timedelta(hours=2)  # type: ignore[attr-defined]
        first = workspace.monitoring.run("credit-scoring", window="1h")
        assert any("versions" in w.summary for w in first.computed)
        time.sleep(0.5)  # no labels yet: nothing to judge, the challenger stays
        assert workspace.deployments.get("credit-scoring").config.challenger == 2

        backend.clock = lambda: now + timedelta(hours=3)  # type: ignore[attr-defined]
        workspace.monitoring.ingest_labels(
            "credit-scoring", pd.DataFrame(labels), id_column="request_id", row_column="row"
        )
        again = workspace.monitoring.run("credit-scoring", window="1h")
        assert again.refreshed  # late labels: the windows' figures are recomputed
        wait_for(lambda: workspace.deployments.get("credit-scoring").config.challenger is None)
        wait_for(lambda: http.get("/health").json()["versions"] == [1])

    windows = [w for w in workspace.monitoring.windows("credit-scoring") if "versions" in w.summary]
    figures = [w.summary["versions"]["2"] for w in windows]
    labelled = sum(f["n_labels"] for f in figures)
    assert labelled == len(by_version[2])  # every challenger row, shadow-free, joined once
    truth, scores = zip(*by_version[2], strict=True)
    newest = max((f for f in figures if "roc_auc" in f["metrics"]), key=lambda f: f["n_labels"])
    if newest["n_labels"] == labelled:  # one window holds all (not an hour boundary mid-test)
        # the same rows as scikit-learn's; the log keeps float64 scores
        assert newest["metrics"]["roc_auc"] == pytest.approx(roc_auc_score(truth, scores))
    live = workspace.deployments.get("credit-scoring").config
    assert (live.action, live.champion, live.challenger) == ("canary_rollback", 1, None)
    event = next(
        e for e in workspace.governance.audit_events(limit=20)
        if e.action == "deployment.canary_rollback"
    )  # fmt: skip
    assert "canary analysis: v2 crossed its bounds: roc_auc" in event.reason
    assert "< 0.7 (realised, window" in event.reason and "labelled rows)" in event.reason
