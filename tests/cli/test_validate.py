"""`modelward validate` and `modelward reports` as a user runs them."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelward.cli.errors import EXIT_CHECKS_FAILED
from modelward.cli.main import app
from modelward.client import Client
from modelward.config import Settings
from tests.builders import applicants, fitted_classifier

runner = CliRunner()


@pytest.fixture
def project(sqlite_settings: Settings, tmp_path: Path) -> Path:
    client = Client(sqlite_settings)
    train = applicants(600)
    model, features = fitted_classifier(train)
    with client.start_run("credit") as run:
        run.log_dataset(train, "train", role="training")
        run.log_model(model, "model", input_example=features.head())
    client.registry.register(run.id, name="credit-risk")
    client.close()
    applicants(500, seed=7).to_parquet(tmp_path / "holdout.parquet", index=False)
    return sqlite_settings.home


def run(home: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--home", str(home), *args], env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def test_validate_passes_and_writes_html(project: Path, tmp_path: Path) -> None:
    code, out, err = run(
        project,
        "validate",
        "models:/credit-risk/1",
        "--data",
        str(tmp_path / "holdout.parquet"),
        "--target",
        "default",
        "--sensitive",
        "region",
        "--html",
        str(tmp_path / "report.html"),
        "--config",
        str(
            _config(tmp_path, "validation:\n  slice_gap: 0.5\n  max_equalized_odds_difference: 1\n")
        ),
    )
    assert code == 0, err + out
    assert "performance.roc_auc" in out and "PASSED" in out
    assert (tmp_path / "report.html").read_text().lower().count("plotly") > 0
    code, out, _ = run(project, "reports", "list", "credit-risk", "--json")
    assert code == 0 and json.loads(out)[0]["passed"] is True


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "modelward.yaml"
    path.write_text(text)
    return path


def test_failing_checks_exit_10_not_the_crash_code(project: Path, tmp_path: Path) -> None:
    config = _config(tmp_path, "target: default\nvalidation:\n  metrics: {min_roc_auc: 0.999}\n")
    code, out, _ = run(
        project,
        "validate",
        "models:/credit-risk/1",
        "--data",
        str(tmp_path / "holdout.parquet"),
        "--config",
        str(config),
    )
    assert code == EXIT_CHECKS_FAILED == 10
    assert "FAILED" in out and "performance.roc_auc" in out
    code, out, _ = run(project, "reports", "show", "credit-risk", "1", "--json")
    assert code == 0 and json.loads(out)["model"] == "credit-risk"


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        pytest.param(["--target", "nope"], 2, "'nope' is not in the validation data", id="target"),
        pytest.param([], 2, "No target column", id="no-target"),
    ],
)
def test_validate_errors_are_one_line(
    project: Path, tmp_path: Path, args: list[str], code: int, fragment: str
) -> None:
    exit_code, out, err = run(
        project,
        "validate",
        "models:/credit-risk/1",
        "--data",
        str(tmp_path / "holdout.parquet"),
        "--config",
        str(_config(tmp_path, "{}\n")),
        *args,
    )
    assert exit_code == code and fragment in err and "Traceback" not in err + out


def test_bad_config_key_names_the_key(project: Path, tmp_path: Path) -> None:
    config = _config(tmp_path, "target: default\nvalidation:\n  slice_gapp: 0.1\n")
    code, _, err = run(
        project,
        "validate",
        "models:/credit-risk/1",
        "--data",
        str(tmp_path / "holdout.parquet"),
        "--config",
        str(config),
    )
    assert code == 2 and "'slice_gapp'" in err


def test_bad_slice_expression_exits_2_naming_the_position(project: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    config = _config(
        tmp_path,
        "target: default\nvalidation:\n  slices:\n"
        f"    evil: \"@pd.io.common.os.system('touch {marker}')\"\n",
    )
    code, out, err = run(
        project,
        "validate",
        "models:/credit-risk/1",
        "--data",
        str(tmp_path / "holdout.parquet"),
        "--config",
        str(config),
    )
    assert code == 2, err
    assert "Slice 'evil' expression" in err and "at character 0 ('@')" in err
    assert "Traceback" not in err + out and len(err.strip().splitlines()) == 1
    assert not marker.exists()


def test_favourable_label_drives_the_four_fifths_rule_and_a_wrong_one_is_named(
    project: Path, tmp_path: Path
) -> None:
    base = ["validate", "models:/credit-risk/1", "--data", str(tmp_path / "holdout.parquet")]
    base += ["--target", "default", "--sensitive", "region", "--json"]
    config = _config(tmp_path, "validation:\n  slice_gap: 1\n  max_equalized_odds_difference: 1\n")
    code, out, err = run(project, *base, "--favourable-label", "0", "--config", str(config))
    assert code in (0, EXIT_CHECKS_FAILED), err + out
    fairness = json.loads(out)["sections"]["fairness"]
    assert fairness["favourable_label"] == "0" and fairness["positive_label"] == "1"
    code, out, err = run(project, *base, "--favourable-label", "granted", "--config", str(config))
    assert code == 2
    assert "Favourable label 'granted' is not a class" in err + out
