"""`modelward models graph|depend|undepend|impact|acknowledge` and `deploy guardrails`."""

from __future__ import annotations

import json
from pathlib import Path

from modelward.client import Client
from tests.cli.test_deploy_cli import invoke
from tests.governance.helpers import register
from tests.serving.conftest import workspace  # noqa: F401


def test_graph_commands(workspace: Client) -> None:  # noqa: F811
    register(workspace, "fraud-score")
    code, out, _ = invoke(workspace, "models", "depend", "credit-risk", "--on",
                          "models:/fraud-score@champion", "--reason", "feature")  # fmt: skip
    assert code == 0, out
    assert "credit-risk consumes models:/fraud-score@champion (dependency 1)" in out
    code, out, err = invoke(workspace, "models", "depend", "fraud-score", "--on",
                            "models:/credit-risk/1")  # fmt: skip
    assert code == 4
    assert "fraud-score -> credit-risk -> fraud-score" in err and "Traceback" not in err
    code, out, _ = invoke(workspace, "models", "graph", "credit-risk")
    assert code == 0 and "fraud-score" in out and "upstream 1" in out and "credit-scoring" in out
    code, out, _ = invoke(workspace, "models", "graph", "fraud-score", "--json")
    found = json.loads(out)
    assert [(n["model"], n["distance"]) for n in found["nodes"]] == [
        ("fraud-score", 0), ("credit-risk", 1),
    ]  # fmt: skip
    assert found["nodes"][1]["deployments"] == ["credit-scoring"]
    code, out, _ = invoke(workspace, "models", "impact", "fraud-score")
    assert "models credit-risk; deployments credit-scoring" in out
    code, out, _ = invoke(workspace, "models", "alias", "set", "fraud-score", "champion", "1")
    assert code == 0 and "Downstream of fraud-score: models credit-risk" in out
    # the CLI acts as the OS user here, not alice who owns credit-risk: refused, exit 6
    code, out, err = invoke(workspace, "models", "acknowledge", "fraud-score", "1",
                            "--downstream", "credit-risk")  # fmt: skip
    assert code == 6 and "belongs to alice" in err
    code, out, _ = invoke(workspace, "inventory", "--json")
    assert {r["model"]: r["dependents"] for r in json.loads(out)} == {
        "credit-risk": 0, "fraud-score": 1,
    }  # fmt: skip
    code, out, _ = invoke(workspace, "models", "undepend", "1")
    assert code == 0 and "no longer consumes" in out


def test_guardrails_commands(workspace: Client, tmp_path: Path) -> None:  # noqa: F811
    spec = tmp_path / "rails.yaml"
    spec.write_text("max_ood: 0.999\non_violation: fallback\nfallback: refer\n")
    code, out, _ = invoke(workspace, "deploy", "guardrails", "set", "credit-scoring",
                          "--file", str(spec))  # fmt: skip
    assert code == 0 and "fallback on violation" in out
    code, out, _ = invoke(workspace, "deploy", "guardrails", "show", "credit-scoring", "--json")
    assert json.loads(out)["fallback"] == "refer"
    code, _, err = invoke(workspace, "deploy", "guardrails", "set", "credit-scoring",
                          "--spec", '{"max_odd": 1}')  # fmt: skip
    assert code == 2 and "Unknown guardrail setting 'max_odd'" in err
    code, out, _ = invoke(workspace, "deploy", "guardrails", "clear", "credit-scoring")
    assert code == 0
    code, out, _ = invoke(workspace, "deploy", "guardrails", "show", "credit-scoring")
    assert "has no guardrails" in out
