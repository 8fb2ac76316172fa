"""`modelward deploy`, `package` and `score` as a user drives them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelward.cli.main import app
from modelward.client import Client
from tests.builders import applicants
from tests.serving.conftest import workspace  # noqa: F401

runner = CliRunner()


def invoke(client: Client, *args: str) -> tuple[int, str, str]:
    env = {
        "COLUMNS": "200",
        "MODELWARD_PROTECTED_ALIASES": "",
        "MODELWARD_PROTECTED_ENVIRONMENTS": "",
    }
    result = runner.invoke(app, ["--home", str(client.settings.home), *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_deploy_lifecycle(workspace: Client) -> None:  # noqa: F811
    code, out, _ = invoke(
        workspace,
        "deploy",
        "create",
        "api",
        "--env",
        "staging",
        "--model",
        "models:/credit-risk@champion",
    )
    assert code == 0 and "serves credit-risk v1" in out
    code, out, _ = invoke(
        workspace, "deploy", "set-challenger", "api", "2", "--strategy", "canary", "--share", "0.2"
    )
    assert code == 0 and "v1 + v2 (canary 20%)" in out
    code, out, _ = invoke(workspace, "deploy", "promote", "api", "--reason", "better")
    assert code == 0 and "now serving v2" in out
    code, out, _ = invoke(workspace, "deploy", "rollback", "api")
    assert code == 0 and "rolled back to v1 + v2 (canary 20%)" in out
    code, out, _ = invoke(workspace, "deploy", "kill", "api", "--fallback", '"deny"')
    assert code == 0 and "requests get the fallback" in out
    code, out, _ = invoke(workspace, "deploy", "show", "api", "--json")
    shown = json.loads(out)
    assert (shown["killed"], shown["fallback"], shown["config"]["champion"]) == (True, "deny", 1)
    code, out, _ = invoke(workspace, "deploy", "revive", "api")
    assert code == 0
    code, out, _ = invoke(workspace, "deploy", "history", "api", "--json")
    entries = json.loads(out)
    assert [c["action"] for c in entries] == [
        "create", "challenger", "promote", "rollback", "kill", "revive"
    ]  # fmt: skip
    # a kill or revive repeats the configuration in force (the rollback's)
    assert entries[4]["seq"] == entries[5]["seq"] == entries[3]["seq"]
    code, out, _ = invoke(workspace, "deploy", "list")
    assert code == 0 and "api" in out and "credit-scoring" in out


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        pytest.param(["deploy", "show", "ghost"], 3, "does not exist", id="unknown"),
        pytest.param(
            ["deploy", "promote", "credit-scoring"], 4, "no challenger", id="no-challenger"
        ),
        pytest.param(["deploy", "rollback", "credit-scoring"], 4, "no previous", id="no-previous"),
        pytest.param(
            ["deploy", "kill", "credit-scoring", "--fallback", "deny"],
            2,
            "not JSON",
            id="bad-fallback",
        ),
        pytest.param(
            ["deploy", "set-challenger", "credit-scoring", "2", "--strategy", "canary"],
            2,
            "between 0 and 1",
            id="no-share",
        ),
        pytest.param(["serve", "ghost"], 3, "does not exist", id="serve-unknown"),
    ],
)
def test_errors_are_one_line(
    workspace: Client,  # noqa: F811
    args: list[str],
    code: int,
    fragment: str,
) -> None:
    exit_code, out, err = invoke(workspace, *args)
    assert exit_code == code, err
    assert fragment in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_package_and_score(workspace: Client, tmp_path: Path) -> None:  # noqa: F811
    code, out, _ = invoke(workspace, "package", "models:/credit-risk/2", "-o", str(tmp_path / "b"))
    assert code == 0 and "credit-risk v2" in out and "no validation report" in out
    applicants(50)[["income", "debt", "age"]].to_csv(tmp_path / "in.csv", index=False)
    code, out, err = invoke(
        workspace,
        "score",
        "models:/credit-risk/2",
        str(tmp_path / "in.csv"),
        "-o",
        str(tmp_path / "out.parquet"),
        "--json",
    )
    assert code == 0, err
    assert json.loads(out)["rows"] == 50
