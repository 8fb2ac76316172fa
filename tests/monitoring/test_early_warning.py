"""Multivariate drift and label-free performance estimates in monitoring windows (issue #14):
computed by `monitor run`, stored per window, completed by late labels, alerted on."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from modelward.client import Client
from modelward.domain.deployment import Deployment, DeploymentConfig
from modelward.domain.monitoring import MonitoringWindow, WindowStatus
from modelward.monitoring import early_warning
from tests.monitoring.helpers import DAY1, DAY2, DAY3, deploy_model, log_traffic, traffic

REFERENCE = (datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 1, 6, tzinfo=UTC))


@pytest.fixture
def deployed(client: Client) -> tuple[Client, object]:
    client.backend.clock = lambda: DAY3
    return client, deploy_model(client, rows=1000)


def _labels(ids: list[str], values: object) -> pd.DataFrame:
    return pd.DataFrame({"request_id": ids, "label": list(values)})  # type: ignore[call-overload]


def test_windows_store_multivariate_drift_and_estimates(deployed: tuple[Client, object]) -> None:
    client, model = deployed
    before = traffic(800, seed=21)
    ids = log_traffic(client, model, before, at=DAY1, prefix="a")
    client.monitoring.ingest_labels("credit-scoring", _labels(ids, before["default"]))
    after = traffic(800, seed=22, income_shift=15_000)
    later = log_traffic(client, model, after, at=DAY2, prefix="b")
    result = client.monitoring.run("credit-scoring", reference_window=REFERENCE)
    window = next(w for w in result.computed if w.start <= DAY2 < w.end)

    multi = window.summary["multivariate"]
    assert multi["status"] == "ok" and multi["drifted"] is True
    assert multi["auc"] > multi["significance_bound"] > 0.5
    assert multi["top_columns"][0] == "income"  # the shifted column carries the drift
    assert ("drift", "multivariate") in {(a.kind.value, a.subject) for a in result.alerts}

    estimate = window.summary["estimated"]
    assert (estimate["method"], estimate["status"]) == ("cbpe", "ok")
    assert estimate["source"] == "labelled reference window"
    auc = estimate["metrics"]["roc_auc"]
    assert auc["lower"] <= auc["value"] <= auc["upper"] and auc["realised"] is None

    # late labels: the realised figure joins the estimate, with the estimation error
    client.backend.clock = lambda: DAY3 + timedelta(hours=1)
    client.monitoring.ingest_labels("credit-scoring", _labels(later, after["default"]))
    refreshed = client.monitoring.run("credit-scoring", reference_window=REFERENCE)
    assert [w.start for w in refreshed.refreshed] == [window.start]
    stored = next(w for w in client.monitoring.windows("credit-scoring") if w.start == window.start)
    auc = stored.summary["estimated"]["metrics"]["roc_auc"]
    scores = model.predict_proba(after[["income", "debt", "age"]])[:, 1]  # type: ignore[attr-defined]
    truth = roc_auc_score(after["default"], scores)
    # the realised figure is scikit-learn's on the same rows (the log keeps float64 scores)
    assert auc["realised"] == pytest.approx(truth, abs=1e-12)
    assert auc["error"] == pytest.approx(auc["value"] - auc["realised"], abs=1e-12)
    assert stored.summary["multivariate"]["drifted"] is True  # the rest is kept

    lines = early_warning.series([stored])
    assert lines["estimated"]["realised roc_auc"]["y"] == [auc["realised"]]
    assert lines["multivariate"]["domain classifier ROC AUC"]["y"] == [
        stored.summary["multivariate"]["auc"]
    ]
    page = client.monitoring.report("credit-scoring")
    assert "Multivariate drift over time" in page and "realised roc_auc" in page


def test_no_labelled_reference_says_why(deployed: tuple[Client, object]) -> None:
    client, model = deployed
    log_traffic(client, model, traffic(300, seed=23), at=DAY2, prefix="c")
    window = client.monitoring.run("credit-scoring").computed[-1]
    # the training sample holds two non-input columns (region, default): no label is assumed
    assert window.summary["estimated"]["status"] == "unavailable"
    assert "labelled reference" in window.summary["estimated"]["message"]
    assert window.summary["multivariate"]["status"] == "ok"


def _window(summary: dict[str, object]) -> MonitoringWindow:
    return MonitoringWindow(
        deployment="d", start=DAY1, end=DAY2, status=WindowStatus.OK, n_rows=500, n_labels=0,
        computed_at=DAY3, champion_version=1, summary=summary,
    )  # fmt: skip


def test_alert_rules_of_the_early_warnings() -> None:
    dep = Deployment("d", "staging", "m", "alice", DAY1, DeploymentConfig(champion=1))
    estimated = {
        "method": "cbpe",
        "status": "ok",
        "metrics": {
            "roc_auc": {"value": 0.70, "lower": 0.66, "upper": 0.74, "bound": 0.75,
                        "baseline": 0.80, "degraded": True},
            "accuracy": {"value": 0.79, "lower": 0.76, "upper": 0.82, "bound": 0.73,
                         "baseline": 0.78, "degraded": False},
        },
    }  # fmt: skip
    multi = {"drifted": True, "auc": 0.71, "threshold": 0.55, "p_value": 1e-9,
             "top_columns": ["income"]}  # fmt: skip
    found = early_warning.alerts_for(
        _window({"multivariate": multi, "estimated": estimated}), dep, now=DAY3
    )
    assert {(a.kind.value, a.severity.value, a.subject) for a in found} == {
        ("drift", "warning", "multivariate"),
        ("performance", "warning", "estimated:roc_auc"),
    }
    quiet = _window({"multivariate": {**multi, "drifted": False}, "estimated": estimated})
    assert [a.subject for a in early_warning.alerts_for(quiet, dep, now=DAY3)] == [
        "estimated:roc_auc"
    ]
    small = replace(_window({"multivariate": multi}), status=WindowStatus.INSUFFICIENT_DATA)
    assert early_warning.alerts_for(small, dep, now=DAY3) == []


def test_the_ui_page_gets_both_early_warning_series() -> None:
    from modelward.server.ui.monitoring_view import _series

    multi = {"auc": 0.71, "threshold": 0.55, "significance_bound": 0.52, "drifted": True}
    estimated = {
        "method": "dle",
        "status": "ok",
        "metrics": {"mae": {"value": 1.2, "lower": 1.1, "upper": 1.3, "realised": 1.25}},
    }
    lines = _series([_window({"multivariate": multi, "estimated": estimated})])
    assert lines["multivariate"]["domain classifier ROC AUC"]["y"] == [0.71]
    assert lines["multivariate"]["significance bound"]["y"] == [0.52]
    assert lines["estimated"]["estimated mae"]["y"] == [1.2]
    assert lines["estimated"]["realised mae"]["y"] == [1.25]
    assert lines["estimated"]["mae upper"]["x"] == [DAY1.isoformat()]


def test_a_failing_figure_is_recorded_never_fatal(monkeypatch: pytest.MonkeyPatch) -> None:
    from modelward.monitoring import estimated, multivariate
    from modelward.monitoring.reference import MonitoringReference

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(multivariate, "multivariate_drift", broken)
    frame = pd.DataFrame({"in_x": range(200), "prediction": [0] * 200})
    reference = MonitoringReference("r", ["x"], None, None, pd.DataFrame({"x": range(200)}))
    early = early_warning.EarlyWarning(
        reference, estimated.Estimator("none", None, (), "", "no labelled reference"), {}, 0.55,
        0.05,
    )  # fmt: skip
    found = early_warning.compute(
        early,
        None,
        frame,
        deployment="d",
        span=(DAY1, DAY2),
        points=(),  # type: ignore[arg-type]
    )
    assert found["multivariate"] == {"status": "error", "drifted": None, "message": "boom"}
    assert found["estimated"]["status"] == "unavailable"
    assert found["estimated"]["message"] == "no labelled reference"
