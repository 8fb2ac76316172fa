"""Explanations end to end: a deployment setting, reasons in /predict's answer and in the
prediction log, and the notice of one decision regenerated from the log (`modelward explain`)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import numpy as np
import pytest
from typer.testing import CliRunner

from modelward.cli.main import app as cli_app
from modelward.client import Client
from modelward.errors import Conflict, InvalidInput, NotFound
from modelward.serving.notice import NoticeSettings
from modelward.store.predictions import count_predictions, read_predictions
from tests.serving.conftest import RECORD, app_for
from tests.serving.server import serve_in_thread, wait_for

pytestmark = pytest.mark.slow  # a real uvicorn server on loopback

CODES = NoticeSettings.from_mapping(
    {
        "favourable": 0,
        "reason_codes": {
            "debt": {"code": "R12", "text": "Debt too high for the income"},
            "income": "R07: Income insufficient",
        },
    }
)
RISKY = {"income": 21_000.0, "debt": 19_000.0, "age": 23}


def test_the_setting_is_checked_audited_and_refuses_a_no_op(workspace: Client) -> None:
    with pytest.raises(InvalidInput, match="between 0"):
        workspace.deployments.set_explanations("credit-scoring", top=-1)
    updated = workspace.deployments.set_explanations("credit-scoring", top=2, reason="ECOA")
    assert updated.explain_top == 2
    with pytest.raises(Conflict):
        workspace.deployments.set_explanations("credit-scoring", top=2)
    events = workspace.governance.audit_events(entity_id="credit-scoring")
    assert any(
        e.action == "deployment.explanations" and e.after == {"explain_top": 2} for e in events
    )


def test_answers_log_and_notice_carry_the_same_reasons(workspace: Client) -> None:
    workspace.deployments.set_explanations("credit-scoring", top=2)
    root = str(workspace.settings.resolved_predictions_dir())
    with serve_in_thread(app_for(workspace)) as url, httpx.Client(base_url=url) as http:
        answer = http.post("/predict", json=[RECORD, RISKY], headers={"X-Request-ID": "req-1"})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        wait_for(lambda: count_predictions(root, "credit-scoring") >= 2)
    reasons = body["explanations"]
    assert len(reasons) == 2
    for row, proba in zip(reasons, body["probabilities"], strict=True):
        # exact linear method: the logistic regression's log-odds of class 1 (default)
        assert row["method"] == "linear" and row["output"] == "log_odds" and row["target"] == 1
        assert len(row["contributions"]) == 2  # the top 2 of 3 features
        assert np.isclose(row["value"], np.log(proba[1] / proba[0]), atol=1e-9)
    logged = read_predictions(root, "credit-scoring")
    kept = [json.loads(text) for text in logged["explanation"]]
    assert all(len(k["contributions"]) == 3 for k in kept)  # the log keeps every feature
    for k in kept:  # additive: base + contributions = value
        assert np.isclose(k["base_value"] + sum(k["contributions"].values()), k["value"])

    notice = workspace.deployments.explain("req-1", row=1, settings=CODES)
    assert notice.matches_log is True and notice.version == 1 and notice.model == "credit-risk"
    assert notice.decision == body["predictions"][1]
    # the risky applicant: debt pushes towards default (adverse), coded R12 from the table
    assert notice.adverse is True
    assert notice.reasons[0].feature == "debt" and notice.reasons[0].code == "R12"
    assert all(r.contribution > 0 for r in notice.reasons)  # only what weighed against
    assert "R12 Debt too high for the income" in notice.text()
    events = workspace.governance.audit_events(entity_id="credit-scoring")
    assert any(e.action == "decision.explained" for e in events)


def test_explain_from_the_cli_and_unknown_requests(
    workspace: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace.deployments.set_explanations("credit-scoring", top=3)
    root = str(workspace.settings.resolved_predictions_dir())
    with serve_in_thread(app_for(workspace)) as url, httpx.Client(base_url=url) as http:
        http.post("/predict", json=[RISKY], headers={"X-Request-ID": "req-cli"})
        wait_for(lambda: count_predictions(root, "credit-scoring") >= 1)
    (tmp_path / "modelward.yaml").write_text(
        "explain:\n  favourable: 0\n  reason_codes:\n    debt: 'R12: Debt too high'\n"
    )
    monkeypatch.chdir(tmp_path)
    home = ["--home", str(workspace.settings.home)]
    result = CliRunner().invoke(cli_app, [*home, "explain", "req-cli"])
    assert result.exit_code == 0, result.output
    assert "R12 Debt too high" in result.output and "matches the log" in result.output
    missing = CliRunner().invoke(cli_app, [*home, "explain", "nope"])
    assert missing.exit_code == 3 and "Traceback" not in missing.output
    with pytest.raises(NotFound, match="not in"):
        workspace.deployments.explain("nope", deployment="credit-scoring")


def test_batch_scoring_for_an_explaining_deployment_explains_every_row(
    workspace: Client, tmp_path: Path
) -> None:
    import pandas as pd

    from tests.builders import applicants

    workspace.deployments.set_explanations("credit-scoring", top=2)
    source = tmp_path / "in.parquet"
    applicants(rows=30, seed=5)[["income", "debt", "age"]].to_parquet(source)
    result = workspace.deployments.score(
        "models:/credit-risk/1", source, tmp_path / "out.parquet", deployment="credit-scoring"
    )
    out = pd.read_parquet(tmp_path / "out.parquet")
    reasons = [json.loads(text) for text in out["explanation"]]
    assert len(reasons) == 30 and all(len(r["contributions"]) == 2 for r in reasons)
    for r, p in zip(reasons, out["proba_1"], strict=True):
        assert np.isclose(r["value"], np.log(p / (1 - p)), atol=1e-9)
    notice = workspace.deployments.explain(
        f"{result.job_id}-000000", deployment="credit-scoring", row=7, settings=CODES
    )
    assert notice.matches_log is True  # the top 2 logged agree with the recomputation
    assert len(notice.contributions) == 3


def test_the_same_through_the_platform_server(workspace: Client) -> None:
    """The HTTP backend: the setting and the notice over REST give the same as locally."""
    from modelward.server.app import create_app
    from tests.server.conftest import make_team

    team = make_team(workspace.settings)
    with serve_in_thread(create_app(workspace.settings)) as platform:
        remote = Client(
            workspace.settings.model_copy(
                update={"server_url": platform, "token": team.tokens["alice"]}
            )
        )
        try:
            assert remote.deployments.set_explanations("credit-scoring", top=3).explain_top == 3
            root = str(workspace.settings.resolved_predictions_dir())
            with serve_in_thread(app_for(workspace)) as url, httpx.Client(base_url=url) as http:
                http.post("/predict", json=[RISKY], headers={"X-Request-ID": "req-remote"})
                wait_for(lambda: count_predictions(root, "credit-scoring") >= 1)
            there = remote.deployments.explain("req-remote", settings=CODES)
            here = workspace.deployments.explain("req-remote", settings=CODES)
            assert there == here and there.reasons[0].code == "R12"
            with pytest.raises(NotFound):
                remote.deployments.explain("nope", deployment="credit-scoring", settings=CODES)
        finally:
            remote.close()


def test_a_deployment_name_with_path_characters_is_refused(workspace: Client) -> None:
    with pytest.raises(InvalidInput):
        workspace.deployments.explain("req", deployment="../../etc", settings=CODES)
