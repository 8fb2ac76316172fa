"""MLflow habits in the Python API: module-level logging into the active run, artifacts from
objects (text, dicts, figures), `search_runs(as_frame=True)` and tables in notebooks."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pandas as pd
import pytest
import yaml

import modelward as mw
from modelward.client import Client
from modelward.config import Settings
from modelward.errors import InvalidInput


@pytest.fixture
def default_client(sqlite_settings: Settings) -> Iterator[Client]:
    made = Client(sqlite_settings)
    mw.set_client(made)
    yield made
    mw.set_client(None)
    made.close()


def _artifact(client: Client, run_id: str, path: str) -> bytes:
    return client.tracking.read_artifact(run_id, path)


def test_module_level_functions_log_into_the_innermost_active_run(default_client: Client) -> None:
    with mw.start_run(experiment="habits", name="outer") as outer:
        mw.log_param("C", 0.5)
        mw.log_params({"penalty": "l2"})
        mw.log_metric("loss", 0.9, step=0)
        mw.log_metrics({"loss": 0.4, "auc": 0.8}, step=1)
        mw.set_tag("team", "credit")
        mw.set_tags({"stage": "dev"})
        with mw.start_run(experiment="habits", name="inner", parent_run_id=outer.id) as inner:
            mw.log_metric("inner_only", 1.0)
    got_outer = mw.get_run(outer.id)
    got_inner = mw.get_run(inner.id)
    assert got_outer.params == {"C": "0.5", "penalty": "l2"}
    assert got_outer.metrics == {"loss": 0.4, "auc": 0.8}
    assert {"team": "credit", "stage": "dev"}.items() <= got_outer.tags.items()
    assert got_inner.metrics == {"inner_only": 1.0}
    assert "inner_only" not in got_outer.metrics
    history = default_client.tracking.metric_history(outer.id, "loss")
    assert [(m.step, m.value) for m in history] == [(0, 0.9), (1, 0.4)]


def test_logging_outside_a_run_says_how_to_open_one(default_client: Client) -> None:
    with pytest.raises(InvalidInput, match="start_run"):
        mw.log_metric("auc", 0.9)
    with pytest.raises(InvalidInput, match="start_run"):
        mw.log_dict({"a": 1}, "a.json")


def test_text_dict_and_figures_are_stored_in_the_format_their_path_names(
    default_client: Client,
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import plotly.graph_objects as go

    figure, axes = plt.subplots()
    axes.plot([0, 1, 2], [1, 0, 1])
    plotly_figure = go.Figure(go.Scatter(x=[0, 1], y=[2, 3]))
    config = {"features": ["age", "income"], "C": 0.5, "nested": {"k": [1, 2]}}
    with mw.start_run(experiment="habits") as run:
        mw.log_text("# Notes\nété", "notes/summary.md")
        mw.log_dict(config, "config.json")
        mw.log_dict(config, "config.yaml")
        mw.log_figure(figure, "plots/curve.png")
        mw.log_figure(figure, "plots/curve.svg")
        mw.log_figure(plotly_figure, "plots/curve.html")
        mw.log_figure(plotly_figure, "plots/curve.json")
    plt.close(figure)

    assert _artifact(default_client, run.id, "notes/summary.md").decode() == "# Notes\nété"
    assert json.loads(_artifact(default_client, run.id, "config.json")) == config
    assert yaml.safe_load(_artifact(default_client, run.id, "config.yaml")) == config
    assert _artifact(default_client, run.id, "plots/curve.png").startswith(b"\x89PNG\r\n")
    assert b"<svg" in _artifact(default_client, run.id, "plots/curve.svg")
    assert b"plotly" in _artifact(default_client, run.id, "plots/curve.html").lower()
    parsed = json.loads(_artifact(default_client, run.id, "plots/curve.json"))
    assert parsed["data"][0]["y"] == [2, 3]


def test_unsupported_figures_and_values_are_refused_with_the_reason(
    default_client: Client,
) -> None:
    import plotly.graph_objects as go

    with mw.start_run(experiment="habits"):
        with pytest.raises(InvalidInput, match=r"\.html or \.json"):
            mw.log_figure(go.Figure(), "plot.png")
        with pytest.raises(InvalidInput, match="Matplotlib or Plotly"):
            mw.log_figure(object(), "plot.png")
        with pytest.raises(InvalidInput, match="log_dict"):
            mw.log_dict({"when": object()}, "bad.json")


def test_search_runs_as_frame_has_mlflow_style_columns(default_client: Client) -> None:
    for c in (0.1, 1.0, 10.0):
        with mw.start_run(experiment="grid") as run:
            run.log_param("C", c)
            run.log_metric("auc", 0.7 + c / 100)
    frame = mw.search_runs(
        experiments=["grid"], filter="metrics.auc > 0.705", order_by=["metrics.auc DESC"],
        as_frame=True,
    )  # fmt: skip
    assert isinstance(frame, pd.DataFrame)
    assert list(frame["params.C"]) == ["10.0", "1.0"]
    # the same floats the run recorded, read back through the same store: no arithmetic
    assert list(frame["metrics.auc"]) == [0.7 + 10.0 / 100, 0.7 + 1.0 / 100]
    assert {"run_id", "status", "start_time", "end_time", "duration_s"} <= set(frame.columns)
    assert (frame["duration_s"] >= 0).all()
    assert str(frame["start_time"].dtype).startswith("datetime64")
    empty = mw.search_runs(experiments=["grid"], filter="metrics.auc > 5", as_frame=True)
    assert empty.empty and "run_id" in empty.columns


def test_runs_reports_and_statuses_render_as_escaped_tables(default_client: Client) -> None:
    with mw.start_run(experiment="habits") as run:
        mw.set_tag("note", "<b>bold</b>")
        mw.log_param("C", 1)
        mw.log_metric("auc", 0.91)
    html = mw.get_run(run.id)._repr_html_()
    assert "<table" in html and "param C" in html and "metric auc" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold</b>" not in html


def test_a_validation_report_and_a_gate_status_render_their_checklists() -> None:
    from datetime import UTC, datetime

    from modelward.domain.gate import GateDecision, GateItem
    from modelward.domain.governance import Stage
    from modelward.domain.results import CheckResult, ValidationReport
    from modelward.domain.risk import RiskLevel
    from modelward.governance.policies import default_policies
    from modelward.governance.service import GovernanceStatus

    report = ValidationReport(
        model="credit-risk",
        version=3,
        task="classification",
        checks=(
            CheckResult("performance.roc_auc", "performance", 0.81, 0.7, True),
            CheckResult("fairness.dpr[sex]", "fairness", 0.62, 0.8, False, message="<low>"),
        ),
        sections={},
        warnings=(),
        created_at=datetime(2026, 11, 30, tzinfo=UTC),
        created_by="val",
        data_rows=500,
    )
    html = report._repr_html_()
    assert "credit-risk v3: 1 check(s) failed" in html
    assert "fairness.dpr[sex]" in html and "&lt;low&gt;" in html and "✗" in html

    decision = GateDecision.of(
        [GateItem("validation_passed", True, "report 1 passed"),
         GateItem("sign_offs", False, "needs a validator's sign-off")]
    )  # fmt: skip
    policy = default_policies().for_level(RiskLevel.HIGH)
    status = GovernanceStatus("credit-risk", 3, "high", policy, decision, Stage.VALIDATED)
    html = status._repr_html_()
    assert "credit-risk v3: blocked" in html and "needs a validator&#x27;s sign-off" in html
