"""A plain Python callable registered for a classification target validates like an estimator.

A callable has no `classes_`: its classes are the labels seen in the target and its answers.
Runs through the public Client, and through `modelward validate`, as a user would.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score
from tests.builders import applicants
from typer.testing import CliRunner

from modelward.cli.main import app
from modelward.client import Client
from modelward.config import Settings
from modelward.errors import InvalidInput

FEATURES = ["income", "debt", "age"]


def _register_callable(client: Client, rule: object, *, train: pd.DataFrame) -> str:
    with client.start_run("credit") as run:
        run.log_model(rule, "model", input_example=train[FEATURES].head())
    version = client.registry.register(run.id, name="credit-rule").version
    return f"models:/credit-rule/{version}"


def _ratio_rule(frame: pd.DataFrame) -> np.ndarray:
    return (frame["debt"] / frame["income"] > 0.2).astype(int).to_numpy()


def test_a_callable_with_0_1_answers_validates(client: Client) -> None:
    holdout = applicants(400, seed=3)
    uri = _register_callable(client, _ratio_rule, train=applicants(50))
    report = client.validation.validate(uri, holdout, target="default").report
    expected = accuracy_score(holdout["default"], _ratio_rule(holdout))
    # Same predictions, same counting: the accuracy is a ratio of the same two integers.
    assert report.find_check("performance.accuracy").value == pytest.approx(expected, rel=1e-12)
    assert client.validation.latest("credit-rule", 1).record.id is not None


def test_a_callable_answering_string_labels_takes_its_classes_from_the_data(
    client: Client,
) -> None:
    holdout = applicants(400, seed=4)
    holdout["default"] = np.where(holdout["default"] == 1, "default", "repaid")

    def rule(frame: pd.DataFrame) -> np.ndarray:
        # answers only "default" on this data: "repaid" must come from the target
        return np.full(len(frame), "default")

    uri = _register_callable(client, rule, train=applicants(50))
    report = client.validation.validate(uri, holdout, target="default").report
    expected = float((holdout["default"] == "default").mean())
    assert report.find_check("performance.accuracy").value == pytest.approx(expected, rel=1e-12)


def test_a_callable_answering_labels_of_another_kind_is_invalid_input(client: Client) -> None:
    def rule(frame: pd.DataFrame) -> np.ndarray:
        return np.full(len(frame), "yes")  # the target is 0/1

    uri = _register_callable(client, rule, train=applicants(50))
    with pytest.raises(InvalidInput, match="answers 'yes'.*make the model return the target"):
        client.validation.validate(uri, applicants(100, seed=6), target="default")


def test_modelward_validate_on_a_callable_exits_0_or_10_never_1(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    client = Client(sqlite_settings)
    _register_callable(client, _ratio_rule, train=applicants(50))
    client.close()
    applicants(300, seed=5).to_parquet(tmp_path / "holdout.parquet", index=False)
    result = CliRunner().invoke(
        app,
        [
            "--home",
            str(sqlite_settings.home),
            "validate",
            "models:/credit-rule/1",
            "--data",
            str(tmp_path / "holdout.parquet"),
            "--target",
            "default",
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code in (0, 10), result.stderr
    assert "performance.accuracy" in result.stdout and "Internal error" not in result.stderr
