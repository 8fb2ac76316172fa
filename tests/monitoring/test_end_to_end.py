"""End to end: a served deployment gets traffic from a reference period and a shifted period,
labels arrive, monitoring finds the shifted feature (and only it), alerts reach a webhook, a
re-run changes nothing, and the report draws the distributions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pandas as pd
import pytest

from modelward.client import Client
from modelward.config import Settings
from tests.monitoring.helpers import (
    DAY1,
    DAY2,
    DAY3,
    FEATURES,
    deploy_model,
    traffic,
    webhook_receiver,
)
from tests.serving.server import serve_in_thread

# A real uvicorn server in a thread: end to end, so slow.
pytestmark = pytest.mark.slow


class _Clock:
    """Stands in for `datetime` in the scoring engine, so traffic lands on chosen days."""

    at = DAY1

    @classmethod
    def now(cls, tz: object = None) -> datetime:
        return cls.at


@pytest.fixture
def served(sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    settings = sqlite_settings.model_copy(
        update={"predictions_flush_seconds": 0.1, "poll_interval": 0.1}
    )
    client = Client(settings)
    deploy_model(client)
    monkeypatch.setattr("modelward.serving.engine.datetime", _Clock)
    yield client
    client.close()


def _send(http: httpx.Client, frame: pd.DataFrame, chunk: int = 50) -> list[dict[str, object]]:
    labels = []
    for start in range(0, len(frame), chunk):
        part = frame.iloc[start : start + chunk]
        answer = http.post("/predict", json=part[FEATURES].to_dict("records"))
        assert answer.status_code == 200, answer.text
        rid = answer.json()["request_id"]
        labels += [
            {"request_id": rid, "row": i, "label": int(y)} for i, y in enumerate(part["default"])
        ]
    return labels


def test_drift_alert_names_the_shifted_feature_only(served: Client, tmp_path: Path) -> None:
    from modelward.server.scoring import create_scoring_app

    app = create_scoring_app("credit-scoring", settings=served.settings)
    with serve_in_thread(app) as url, httpx.Client(base_url=url) as http:
        _Clock.at = DAY1
        labels = _send(http, traffic(400, seed=11))
        _Clock.at = DAY2
        labels += _send(http, traffic(400, seed=12, income_shift=12_000.0))  # +1 sd
    label_file = tmp_path / "labels.csv"
    pd.DataFrame(labels).to_csv(label_file, index=False)

    served.backend.clock = lambda: DAY3
    ingested = served.monitoring.ingest_labels(
        "credit-scoring", label_file, id_column="request_id", row_column="row"
    )
    assert (ingested.stored, ingested.unknown) == (800, 0)

    with webhook_receiver() as (hook, received):
        first = served.monitoring.run("credit-scoring", window="1d", webhook=hook)
        again = served.monitoring.run("credit-scoring", window="1d", webhook=hook)

    assert [w.start for w in first.computed] == [
        datetime(2026, 1, 5, tzinfo=DAY1.tzinfo),
        datetime(2026, 1, 6, tzinfo=DAY1.tzinfo),
    ]
    input_alerts = {a.subject for a in first.alerts if a.kind == "drift" and ":" not in a.subject}
    # one column alert, for income; the domain classifier sees the same shift as a whole
    assert input_alerts - {"multivariate"} == {"income"}
    assert all(a.window_start.day == 6 for a in first.alerts)
    day1, day2 = first.computed
    assert day1.summary["drifted"] == [] and day2.summary["drifted"] == ["income"]
    assert day2.n_labels == 400 and {p.metric for p in day2.performance} == {"accuracy", "roc_auc"}
    # safe from cron: nothing new the second time
    assert (again.computed, again.refreshed, again.alerts) == ([], [], [])
    assert len(served.monitoring.windows("credit-scoring")) == 2
    assert len(received) == 1
    assert received[0]["deployment"] == "credit-scoring"
    assert "income" in {a["subject"] for a in received[0]["alerts"]}
    assert all(a.webhook_status == "delivered" for a in served.monitoring.alerts())

    html = served.monitoring.report("credit-scoring", tmp_path / "report.html")
    assert html.count("plotly-graph-div") >= 4 and html.count("<script") >= 1
    assert "income" in html and "DRIFTED" in html
    assert (tmp_path / "report.html").read_text(encoding="utf-8") == html
