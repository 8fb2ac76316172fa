"""An MLflow 3 tracking script, unchanged, against `modelward server`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

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
    assert got.data.tags["mlflow.user"] == "alice"  # the token's user, not the OS login
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


def test_artifacts_go_through_the_proxy_and_come_back(
    served: Served, as_user: Callable[[str], None], tmp_path: Path
) -> None:
    import mlflow

    as_user("alice")
    mlflow.set_experiment("files")
    notes = tmp_path / "notes.txt"
    notes.write_text("trained on the March snapshot\n")
    plots = tmp_path / "plots"
    plots.mkdir()
    (plots / "roc.csv").write_text("fpr,tpr\n0,0\n1,1\n")
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(notes))
        mlflow.log_artifacts(str(plots), artifact_path="plots")
        mlflow.log_dict({"threshold": 0.4}, "config/threshold.json")
    client = mlflow.MlflowClient()
    listed = sorted(f.path for f in client.list_artifacts(run.info.run_id))
    assert listed == ["config", "notes.txt", "plots"]
    assert [f.path for f in client.list_artifacts(run.info.run_id, "plots")] == ["plots/roc.csv"]
    back = Path(
        mlflow.artifacts.download_artifacts(run_id=run.info.run_id, dst_path=str(tmp_path / "back"))
    )
    assert (back / "notes.txt").read_text() == notes.read_text()
    assert (back / "plots" / "roc.csv").read_text() == "fpr,tpr\n0,0\n1,1\n"
    assert mlflow.artifacts.load_dict(f"runs:/{run.info.run_id}/config/threshold.json") == {
        "threshold": 0.4
    }
    # the tracking API's listing (older clients) agrees with the proxy's
    with served.http("alice") as http:
        listing = http.get(
            "/api/2.0/mlflow/artifacts/list", params={"run_id": run.info.run_id, "path": "plots"}
        ).json()
    assert listing["files"] == [{"path": "plots/roc.csv", "is_dir": False, "file_size": 16}]
    # stored content-addressed as the run's artifacts, as modelward's own API reports them
    with served.http("alice") as http:
        ours = http.get(f"/api/v1/runs/{run.info.run_id}").json()
    paths = {a["path"]: a["size"] for a in ours["artifacts"]}
    assert paths["notes.txt"] == len(notes.read_bytes())
    assert set(paths) == {"notes.txt", "plots/roc.csv", "config/threshold.json"}


def test_the_ajax_prefix_answers_like_the_api(served: Served) -> None:
    with served.http("alice") as http:
        api = http.get("/api/2.0/mlflow/experiments/get-by-name", params={"experiment_name": "x"})
        ajax = http.get(
            "/ajax-api/2.0/mlflow/experiments/get-by-name", params={"experiment_name": "x"}
        )
    assert api.status_code == ajax.status_code == 404
    assert api.json() == ajax.json() and api.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_mlflow_search_syntax(served: Served, as_user: Callable[[str], None]) -> None:
    import mlflow

    as_user("alice")
    experiment_id = mlflow.set_experiment("search").experiment_id
    for name, rmse in (("small", 0.2), ("large", 0.9)):
        with mlflow.start_run(run_name=name):
            mlflow.log_metric("rmse", rmse)
            mlflow.set_tag("size", name)
    with mlflow.start_run(run_name="open"):
        pass

    def names(**options: object) -> list[str]:
        found = mlflow.search_runs([experiment_id], output_format="list", **options)  # type: ignore[arg-type]
        return [r.info.run_name for r in found]

    assert names(filter_string="attributes.run_name = 'small'") == ["small"]
    assert names(filter_string="tags.mlflow.runName = 'large'") == ["large"]
    assert names(filter_string="tags.`mlflow.user` = 'alice'", order_by=["metrics.rmse"]) == [
        "small",
        "large",
        "open",
    ]
    assert names(filter_string="attributes.status = 'FINISHED' AND tags.size LIKE 'l%'") == [
        "large"
    ]
    assert names(order_by=["metrics.rmse DESC"])[:2] == ["large", "small"]
    assert names(order_by=["start_time ASC"]) == ["small", "large", "open"]
    frame = mlflow.search_runs([experiment_id], filter_string="metrics.rmse < 0.5")
    assert list(frame["metrics.rmse"]) == [0.2]
    assert list(frame["tags.mlflow.runName"]) == ["small"]


def test_experiment_zero_is_the_default_experiment(
    served: Served, as_user: Callable[[str], None]
) -> None:
    from mlflow import MlflowClient

    as_user("alice")
    client = MlflowClient()
    run = client.create_run("0")  # what mlflow.start_run() does without set_experiment
    client.set_terminated(run.info.run_id)
    experiment = client.get_experiment(run.info.experiment_id)
    assert experiment.name == "Default"
    assert client.get_experiment("0").name == "Default"
