"""The CLI as a user drives it: exit codes, one-line errors, tables and --json."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelward.cli.main import app
from modelward.client import Client
from modelward.config import Settings
from tests.builders import logged_model_run

runner = CliRunner()


def invoke(home: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--home", str(home), *args], env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def workspace(sqlite_settings: Settings) -> tuple[Path, Client]:
    client = Client(sqlite_settings)
    a = logged_model_run(client, auc=0.81, params={"C": 0.1})
    b = logged_model_run(client, auc=0.87, params={"C": 1.0})
    client.registry.register(a, name="credit-risk")
    client.registry.register(b, name="credit-risk")
    client.registry.set_alias("credit-risk", "champion", 1)
    client.registry.set_alias("credit-risk", "champion", 2)
    return sqlite_settings.home, client


def test_init_creates_a_workspace(tmp_path: Path) -> None:
    code, out, _ = invoke(tmp_path / "ws", "init")
    assert code == 0 and "Workspace ready" in out
    assert (tmp_path / "ws" / "modelward.db").exists()
    code, out, _ = invoke(tmp_path / "ws", "db", "current")
    assert code == 0 and "newest known" in out


def test_commands_on_a_missing_workspace_say_what_to_do(tmp_path: Path) -> None:
    code, out, err = invoke(tmp_path / "none", "runs", "list")
    assert code == 3
    assert "modelward init" in err and "Traceback" not in err + out


def test_runs_list_filter_and_json(workspace: tuple[Path, Client]) -> None:
    home, _ = workspace
    code, out, _ = invoke(home, "runs", "list", "--filter", "metrics.auc > 0.85", "--json")
    assert code == 0
    runs = json.loads(out)
    assert [r["params"]["C"] for r in runs] == ["1.0"]
    code, out, _ = invoke(home, "runs", "list", "--order-by", "metrics.auc DESC")
    assert code == 0 and "2 run(s)" in out and "0.87" in out


def test_bad_filter_is_one_line_exit_2(workspace: tuple[Path, Client]) -> None:
    home, _ = workspace
    code, out, err = invoke(home, "runs", "list", "--filter", "metrics.auc >> 1")
    assert code == 2
    assert err.startswith("Error: ") and len(err.strip().splitlines()) == 1


def test_runs_show_and_diff(workspace: tuple[Path, Client]) -> None:
    home, client = workspace
    a, b = (r.id for r in client.tracking.search_runs(order_by=["metrics.auc"]))
    code, out, _ = invoke(home, "runs", "show", a[:8])
    assert code == 0 and "params" in out and "0.1" in out
    code, out, _ = invoke(home, "runs", "diff", a, b, "--json")
    assert code == 0
    params = {row["key"]: row for row in json.loads(out)["params"]}
    assert params["C"] == {"key": "C", "a": "0.1", "b": "1.0", "differs": True}
    attributes = {row["key"]: row for row in json.loads(out)["attributes"]}
    assert {"name", "entry_point", "duration_s"} <= set(attributes)
    code, out, _ = invoke(home, "runs", "diff", a, b)
    assert code == 0 and "identical row(s) hidden; --all shows them" in out
    assert "experiment" not in out  # the same experiment: an identical row, hidden
    code, out, _ = invoke(home, "runs", "diff", a, b, "--all")
    assert code == 0 and "experiment" in out and "hidden" not in out
    code, _, err = invoke(home, "runs", "show", "abc")
    assert code == 2 and "too short" in err


def test_models_commands(workspace: tuple[Path, Client]) -> None:
    home, _ = workspace
    code, out, _ = invoke(home, "models", "list", "--json")
    assert code == 0 and json.loads(out)[0]["aliases"] == {"champion": 2}
    code, out, _ = invoke(home, "models", "versions", "credit-risk")
    assert code == 0 and "champion" in out
    code, out, _ = invoke(home, "models", "resolve", "models:/credit-risk@champion")
    assert code == 0 and "models:/credit-risk/2" in out
    code, out, _ = invoke(home, "models", "card", "credit-risk", "2")
    assert code == 0 and "# Model card: credit-risk v2" in out
    code, out, _ = invoke(home, "models", "alias", "history", "credit-risk", "--json")
    assert code == 0
    assert [(e["version"], e["previous_version"]) for e in json.loads(out)] == [(1, None), (2, 1)]


def test_alias_set_and_delete(workspace: tuple[Path, Client]) -> None:
    home, _ = workspace
    code, out, _ = invoke(home, "models", "alias", "set", "credit-risk", "challenger", "1")
    assert code == 0 and "credit-risk@challenger -> v1" in out
    code, out, _ = invoke(home, "models", "alias", "delete", "credit-risk", "challenger")
    assert code == 0 and "deleted" in out
    code, out, _ = invoke(home, "models", "alias", "history", "credit-risk", "--at", "2999-01-01")
    assert code == 0 and "v2" in out


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        pytest.param(["models", "show", "ghost"], 3, "'ghost' does not exist", id="unknown-model"),
        pytest.param(
            ["models", "card", "credit-risk", "7"], 3, "no version 7", id="unknown-version"
        ),
        pytest.param(["models", "resolve", "credit-risk"], 2, "not a model URI", id="bad-uri"),
        pytest.param(
            ["models", "alias", "set", "credit-risk", "bad alias", "1"],
            2,
            "not valid",
            id="bad-alias",
        ),
        pytest.param(
            ["models", "alias", "history", "credit-risk", "--at", "yesterday"],
            2,
            "not a date",
            id="bad-date",
        ),
    ],
)
def test_errors_are_one_line_with_mapped_exit_codes(
    workspace: tuple[Path, Client], args: list[str], code: int, fragment: str
) -> None:
    home, _ = workspace
    exit_code, out, err = invoke(home, *args)
    assert exit_code == code, err
    assert fragment in err and "Traceback" not in err + out
