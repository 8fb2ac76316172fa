"""Batch scoring of Parquet and CSV files with pandas (chunks) and Dask, predictions logged."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from modelward.client import Client
from modelward.errors import InvalidInput, NotFound
from modelward.store.predictions import count_predictions, read_predictions
from tests.builders import applicants


@pytest.fixture
def inputs(tmp_path: Path) -> pd.DataFrame:
    frame = applicants(1_000, seed=3)[["income", "debt", "age"]]
    frame.to_parquet(tmp_path / "in.parquet")
    frame.to_csv(tmp_path / "in.csv", index=False)
    return frame


@pytest.mark.parametrize("source", ["in.parquet", "in.csv"])
def test_pandas_engine_scores_in_chunks_and_logs(
    workspace: Client, inputs: pd.DataFrame, tmp_path: Path, source: str
) -> None:
    seen: list[tuple[int, int | None]] = []
    result = workspace.deployments.score(
        "models:/credit-risk@champion",
        tmp_path / source,
        tmp_path / "out.parquet",
        chunk_size=300,
        deployment="nightly",
        on_progress=lambda d, t: seen.append((d, t)),
    )
    assert result.rows == 1_000 and [d for d, _ in seen] == [300, 600, 900, 1_000]
    scored = pd.read_parquet(tmp_path / "out.parquet")
    expected = workspace.registry.load_model("models:/credit-risk/1").predict(inputs)
    assert (scored["prediction"].to_numpy() == expected).all()
    assert {"proba_0", "proba_1"} <= set(scored.columns)
    root = workspace.settings.resolved_predictions_dir()
    assert count_predictions(root, "nightly") == 1_000
    assert set(read_predictions(root, "nightly")["arm"]) == {"batch"}


@pytest.mark.slow  # starts a Dask scheduler and worker
def test_dask_engine_on_a_local_cluster(
    workspace: Client, inputs: pd.DataFrame, tmp_path: Path
) -> None:
    result = workspace.deployments.score(
        "models:/credit-risk/1",
        tmp_path / "in.parquet",
        tmp_path / "out",
        engine="dask",
        deployment="nightly-dask",
    )
    assert result.rows == 1_000
    scored = pd.read_parquet(tmp_path / "out")
    assert len(scored) == 1_000 and "prediction" in scored
    root = workspace.settings.resolved_predictions_dir()
    assert count_predictions(root, "nightly-dask") == 1_000


@pytest.mark.parametrize(
    ("source", "options", "error", "fragment"),
    [
        pytest.param("missing.parquet", {}, NotFound, "does not exist", id="missing-file"),
        pytest.param("in.json", {}, InvalidInput, ".parquet or .csv", id="bad-type"),
        pytest.param(
            "in.parquet", {"engine": "spark"}, InvalidInput, "pandas or dask", id="bad-engine"
        ),
        pytest.param("bad.parquet", {}, InvalidInput, "'income' must be float", id="bad-rows"),
    ],
)
def test_batch_errors(
    workspace: Client,
    inputs: pd.DataFrame,
    tmp_path: Path,
    source: str,
    options: dict,
    error: type[Exception],
    fragment: str,
) -> None:
    (tmp_path / "in.json").write_text("[]")
    inputs.astype({"income": str}).assign(income="x").to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(error, match=fragment):
        workspace.deployments.score(
            "models:/credit-risk/1", tmp_path / source, tmp_path / "o.parquet", **options
        )


def test_batch_scoring_for_a_deployment_honours_its_kill_switch(
    workspace: Client, inputs: pd.DataFrame, tmp_path: Path
) -> None:
    from modelward.errors import DeploymentDisabled

    deploy = workspace.deployments
    deploy.create("scoring", model_uri="models:/credit-risk/1", environment="staging")
    deploy.kill("scoring", reason="incident")
    with pytest.raises(DeploymentDisabled, match="revive"):
        deploy.score(
            "models:/credit-risk/1",
            tmp_path / "in.parquet",
            tmp_path / "no.parquet",
            deployment="scoring",
        )
    deploy.revive("scoring")
    deploy.kill("scoring", fallback=0, reason="answer 0 while we look")
    result = deploy.score(
        "models:/credit-risk/1",
        tmp_path / "in.parquet",
        tmp_path / "out.parquet",
        deployment="scoring",
    )
    assert result.rows == len(inputs)
    assert set(pd.read_parquet(tmp_path / "out.parquet")["prediction"]) == {0}
