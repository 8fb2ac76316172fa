"""An MLflow 3 tracking script, unchanged, against `modelward server`."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from tests.compat.conftest import THIRD_PARTY_WARNINGS, Served

pytestmark = [pytest.mark.slow, *THIRD_PARTY_WARNINGS]


def test_a_plain_mlflow_script_logs_and_reads_back(
    served: Served, as_user: Callable[[str], None]
) -> None:
    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag

    as_user("alice")
    mlflow.set_experiment("churn")
    with mlflow.start_run(run_name="baseline") as run:
        mlflow.log_param("alpha", 0.5)
        mlflow.log_params({"depth": 3, "solver": "lbfgs"})
        mlflow.log_metric("rmse", 0.9, step=0)
        mlflow.log_metric("rmse", 0.7, step=1)
        mlflow.log_metrics({"mae": 0.4, "r2": 0.8})
        mlflow.set_tag("team", "risk")
        frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [0, 1, 0]})
        mlflow.log_input(mlflow.data.from_pandas(frame, name="train"), context="training")
        MlflowClient().log_batch(
            run.info.run_id,
            metrics=[Metric("loss", 0.25, 0, 1), Metric("loss", 0.125, 0, 2)],
            params=[Param("batch", "32")],
            tags=[RunTag("stage", "dev")],
        )
    run_id = run.info.run_id

    client = MlflowClient()
    got = client.get_run(run_id)
    assert got.info.status == "FINISHED"
    assert got.info.run_name == "baseline"
    assert got.data.params == {"alpha": "0.5", "depth": "3", "solver": "lbfgs", "batch": "32"}
    # the latest value of each metric, exactly as logged (JSON carries these floats exactly)
    assert got.data.metrics == {"rmse": 0.7, "mae": 0.4, "r2": 0.8, "loss": 0.125}
    assert got.data.tags["team"] == "risk" and got.data.tags["stage"] == "dev"
    [dataset] = got.inputs.dataset_inputs
    assert dataset.dataset.name == "train"
    assert dataset.tags[0].value == "training"
    assert "x" in dataset.dataset.schema

    history = client.get_metric_history(run_id, "rmse")
    assert [(m.step, m.value) for m in history] == [(0, 0.9), (1, 0.7)]

    experiment = mlflow.get_experiment_by_name("churn")
    assert experiment is not None
    found = mlflow.search_runs(
        experiment_ids=[experiment.experiment_id],
        filter_string="metrics.rmse < 0.8 and params.solver = 'lbfgs'",
        output_format="list",
    )
    assert [r.info.run_id for r in found] == [run_id]
    assert (
        mlflow.search_runs(
            experiment_ids=[experiment.experiment_id],
            filter_string="metrics.rmse > 0.8",
            output_format="list",
        )
        == []
    )
    # the same run through modelward's own API
    with served.http("alice") as http:
        ours = http.get(f"/api/v1/runs/{run_id}").json()
    assert ours["params"]["alpha"] == "0.5" and ours["user"] == "alice"


def test_unknown_experiment_is_none_and_errors_are_mlflow_errors(
    served: Served, as_user: Callable[[str], None]
) -> None:
    import mlflow
    from mlflow.exceptions import MlflowException

    as_user("alice")
    assert mlflow.get_experiment_by_name("no-such-experiment") is None
    with pytest.raises(MlflowException) as refused:
        mlflow.MlflowClient().get_run("0" * 32)
    assert refused.value.error_code == "RESOURCE_DOES_NOT_EXIST"
