"""The kill switch rule, decided once in `serving.routing` and applied by the scoring engine
and by batch scoring alike: live → the models answer; killed with a fallback → the fallback,
with no model called; killed without one → DeploymentDisabled (503 / exit 8)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from modelward.domain.deployment import Deployment, DeploymentConfig
from modelward.errors import BackendUnavailable, DeploymentDisabled
from modelward.registry.flavors import LoadedModel
from modelward.serving import batch, routing
from modelward.serving.engine import ScoringEngine, Snapshot
from modelward.serving.metrics import ServingMetrics
from modelward.serving.payload import parse_predict

ROWS = b'[{"income": 52000.0, "debt": 9000.0}, {"income": 31000.0, "debt": 15000.0}]'


def deployment(*, killed: bool = False, fallback: Any = None) -> Deployment:
    return Deployment(
        name="credit-scoring",
        environment="staging",
        model="credit-risk",
        created_by="alice",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        config=DeploymentConfig(1),
        killed=killed,
        fallback=fallback,
    )


class CountingModel:
    """A plain callable model that remembers how often it was asked."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, frame: pd.DataFrame) -> np.ndarray:
        self.calls += 1
        return np.where(frame["debt"] > 10_000, "deny", "approve")


def loaded(model: CountingModel) -> LoadedModel:
    return LoadedModel(model, {"flavor": "python_function"})


# -- the rule ---------------------------------------------------------------------------------


def test_a_live_deployment_is_scored_by_its_models() -> None:
    assert routing.kill_switch(deployment()) is None


@pytest.mark.parametrize(
    "fallback",
    [
        pytest.param("manual-review", id="text"),
        pytest.param({"decision": "manual review", "limit": 0}, id="object"),
        pytest.param(0, id="falsy-number"),
    ],
)
def test_a_killed_deployment_with_a_fallback_answers_it(fallback: Any) -> None:
    decided = routing.kill_switch(deployment(killed=True, fallback=fallback))
    assert decided == routing.Fallback(fallback)
    assert decided.predictions(3) == [fallback] * 3


def test_a_killed_deployment_without_a_fallback_refuses() -> None:
    with pytest.raises(DeploymentDisabled) as caught:
        routing.kill_switch(deployment(killed=True))
    assert "modelward deploy revive credit-scoring" in str(caught.value)
    assert caught.value.details == {"deployment": "credit-scoring"}
    assert isinstance(caught.value, BackendUnavailable)  # 503 and exit 8 through the tables


# -- the scoring engine -----------------------------------------------------------------------


def engine_for(live: Deployment, model: CountingModel) -> tuple[ScoringEngine, Snapshot]:
    engine = ScoringEngine(
        fetch=lambda: live, load=lambda name, version: loaded(model), metrics=ServingMetrics(),
        poll_seconds=0,
    )  # fmt: skip
    engine.refresh()
    return engine, engine.current()


def test_engine_answers_with_the_fallback_without_calling_the_model() -> None:
    model = CountingModel()
    fallback = {"decision": "manual review"}
    engine, snapshot = engine_for(deployment(killed=True, fallback=fallback), model)
    engine.admit(snapshot)  # a fallback is an answer: the request is admitted
    answer = engine.predict(snapshot, parse_predict(ROWS), request_id="r-1", key=None)
    assert (answer.arm, answer.version, answer.rows) == (routing.FALLBACK, None, 2)
    assert answer.predictions.tolist() == [fallback, fallback]
    assert answer.probabilities is None and answer.classes is None
    assert model.calls == 0


def test_engine_refuses_a_killed_deployment_without_a_fallback() -> None:
    model = CountingModel()
    engine, snapshot = engine_for(deployment(killed=True), model)
    with pytest.raises(DeploymentDisabled):
        engine.admit(snapshot)
    with pytest.raises(DeploymentDisabled):
        engine.predict(snapshot, parse_predict(ROWS), request_id="r-2", key=None)
    assert model.calls == 0


def test_engine_scores_a_live_deployment_with_its_champion() -> None:
    model = CountingModel()
    engine, snapshot = engine_for(deployment(), model)
    engine.admit(snapshot)
    answer = engine.predict(snapshot, parse_predict(ROWS), request_id="r-3", key=None)
    assert (answer.arm, answer.version) == (routing.CHAMPION, 1)
    assert answer.predictions.tolist() == ["approve", "deny"] and model.calls == 1


# -- batch scoring ----------------------------------------------------------------------------


@pytest.fixture
def source(tmp_path: Path) -> Path:
    frame = pd.DataFrame({"income": [52_000.0, 31_000.0, 40_000.0], "debt": [9e3, 15e3, 2e3]})
    frame.to_parquet(tmp_path / "in.parquet")
    return tmp_path / "in.parquet"


def test_batch_writes_the_fallback_for_a_killed_deployment(source: Path, tmp_path: Path) -> None:
    model, logged = CountingModel(), []
    result = batch.score_file(
        loaded(model),
        source,
        tmp_path / "out.parquet",
        deployment=deployment(killed=True, fallback="manual-review"),
        log=batch.LogSpec(str(tmp_path / "log"), "credit-scoring", "credit-risk", 1),
        write_log=lambda *args, **kwargs: logged.append(args),
        entry=dict,
    )
    scored = pd.read_parquet(tmp_path / "out.parquet")
    assert scored["prediction"].tolist() == ["manual-review"] * 3
    assert list(scored.columns) == ["income", "debt", "prediction"]
    assert (result.rows, result.fallback, result.logged) == (3, True, False)
    assert model.calls == 0 and logged == []  # the log holds model answers only


def test_batch_scores_nothing_for_a_killed_deployment_without_a_fallback(
    source: Path, tmp_path: Path
) -> None:
    model = CountingModel()
    with pytest.raises(DeploymentDisabled):
        batch.score_file(
            loaded(model), source, tmp_path / "out.parquet", deployment=deployment(killed=True)
        )
    assert model.calls == 0 and not (tmp_path / "out.parquet").exists()


def test_batch_scores_a_live_deployment_with_the_model(source: Path, tmp_path: Path) -> None:
    model = CountingModel()
    result = batch.score_file(
        loaded(model), source, tmp_path / "out.parquet", deployment=deployment()
    )
    scored = pd.read_parquet(tmp_path / "out.parquet")
    assert scored["prediction"].tolist() == ["approve", "deny", "approve"]
    assert (result.fallback, model.calls) == (False, 1)


@pytest.mark.slow  # starts a Dask scheduler and worker
def test_dask_partitions_get_the_fallback_too(source: Path, tmp_path: Path) -> None:
    model = CountingModel()
    result = batch.score_file(
        loaded(model),
        source,
        tmp_path / "out",
        engine="dask",
        deployment=deployment(killed=True, fallback="manual-review"),
    )
    scored = pd.read_parquet(tmp_path / "out")
    assert scored["prediction"].tolist() == ["manual-review"] * 3
    assert (result.rows, result.fallback, model.calls) == (3, True, 0)
