"""Monitoring, drift and batch scoring on a `dask.distributed` cluster (a LocalCluster of
several workers) give the figures of the single-process paths, to each statistic's
documented tolerance (`modelward.stats.streaming`); windows over a million rows are read
in batches (or on the cluster) without holding the window."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from modelward.client import Client
from modelward.config import Settings
from modelward.domain.monitoring import DriftPoint
from modelward.monitoring import service
from modelward.monitoring.windows_compute import MonitorOptions
from modelward.stats.drift import detect_drift
from modelward.stats.options import DriftOptions
from modelward.store.predictions import PredictionEntry, write_entries
from tests.monitoring.helpers import DAY1, DAY2, DAY3, FEATURES, deploy_model, log_traffic, traffic

# Partial sums merged in a different order (a tree on the cluster, a fold in batches) agree
# to rounding: 1e-9 relative is far above float64's 1e-16 and far below any verdict's margin.
REL = 1e-9


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """Three in-process workers of one thread each (the test machine has two cores)."""
    from distributed import LocalCluster

    made: Any = LocalCluster(  # distributed has no type hints
        n_workers=3, threads_per_worker=1, processes=False, dashboard_address=None
    )
    try:
        yield str(made.scheduler_address)
    finally:
        made.close()


@pytest.fixture
def logged(sqlite_settings: Settings, storage_root: str) -> Iterator[Client]:
    """Three deployments of one model with the same traffic (two days, several files per
    day), the log in a local folder or on S3."""
    remote = "://" in storage_root
    settings = sqlite_settings.model_copy(
        update={"predictions_url": storage_root}
        if remote
        else {"predictions_dir": Path(storage_root)}
    )
    client = Client(settings)
    model = deploy_model(client, name="pandas")
    for name in ("batched", "dask"):
        client.deployments.create(name, model_uri="models:/credit-risk@champion")
    for name in ("pandas", "batched", "dask"):
        for part, (day, seed, shift) in enumerate([(DAY1, 1, 0.0), (DAY2, 2, 9_000.0)]):
            frame = traffic(600, seed=seed, income_shift=shift)
            log_traffic(client, model, frame.iloc[:300], at=day, prefix=f"a{part}", deployment=name)
            log_traffic(client, model, frame.iloc[300:], at=day, prefix=f"b{part}", deployment=name)
    client.backend.clock = lambda: DAY3  # two complete daily windows
    yield client
    client.close()


def run(client: Client, deployment: str, options: MonitorOptions) -> list[Any]:
    result = service.run_monitoring(
        client.backend.uow(), client.backend.artifacts, client.monitoring.log,
        deployment=deployment, guard=client.backend.guard(), options=options, notify=None,
    )  # fmt: skip
    assert len(result.computed) == 2
    return list(client.monitoring.windows(deployment))


def inputs(window: Any) -> dict[str, DriftPoint]:
    return {p.column: p for p in window.drift if p.target == "input"}


def assert_same(one: DriftPoint, other: DriftPoint) -> None:
    assert (one.method, one.drifted, one.status) == (other.method, other.drifted, other.status)
    for name in ("statistic", "p_value", "effect_size"):
        a, b = getattr(one, name), getattr(other, name)
        assert (a is None) == (b is None), name
        if a is not None:
            assert math.isclose(a, b, rel_tol=REL, abs_tol=1e-12), (one.column, name, a, b)


def test_a_window_on_the_cluster_equals_the_batched_and_in_memory_figures(
    logged: Client, cluster: str
) -> None:
    base = MonitorOptions(drift=DriftOptions(numeric_method="ks"))
    in_memory = run(logged, "pandas", base)
    batched = run(logged, "batched", replace(base, max_rows_in_memory=100))
    on_cluster = run(logged, "dask", replace(base, engine="dask", scheduler=cluster))
    for whole, folded, reduced in zip(in_memory, batched, on_cluster, strict=True):
        assert whole.n_rows == folded.n_rows == reduced.n_rows == 600
        assert set(inputs(whole)) == set(inputs(reduced)) == set(FEATURES)
        for column in FEATURES:
            # KS statistic and its asymptotic p-value are exact in every path (streaming.py)
            assert_same(inputs(whole)[column], inputs(reduced)[column])
            assert_same(inputs(folded)[column], inputs(reduced)[column])
    assert inputs(on_cluster[1])["income"].drifted and not inputs(on_cluster[0])["income"].drifted


@pytest.mark.parametrize("storage_root", ["local"], indirect=True)  # S3 is covered above
def test_wasserstein_on_the_cluster_equals_the_batched_path(logged: Client, cluster: str) -> None:
    batched = run(logged, "batched", MonitorOptions(max_rows_in_memory=100))
    on_cluster = run(logged, "dask", MonitorOptions(engine="dask", scheduler=cluster))
    for folded, reduced in zip(batched, on_cluster, strict=True):
        for column in FEATURES:
            assert_same(inputs(folded)[column], inputs(reduced)[column])


def test_monitor_run_engine_dask_scheduler_from_the_cli(
    sqlite_settings: Settings, cluster: str
) -> None:
    from modelward.cli.main import app

    client = Client(sqlite_settings)
    model = deploy_model(client)
    for day, seed in [(DAY1, 1), (DAY2, 2), (DAY3, 3)]:
        log_traffic(client, model, traffic(200, seed=seed), at=day, prefix=f"d{seed}")
    client.close()
    env = {"MODELWARD_HOME": str(sqlite_settings.home), "MODELWARD_USER": "alice"}
    runner = CliRunner()
    args = ["monitor", "run", "credit-scoring", "--engine", "dask"]
    result = runner.invoke(app, [*args, "--scheduler", "tcp://127.0.0.1:9"], env=env)
    assert result.exit_code == 8 and "Dask scheduler" in result.output, result.output
    result = runner.invoke(
        app, ["monitor", "run", "credit-scoring", "--scheduler", cluster], env=env
    )
    assert result.exit_code == 2 and "--engine dask" in result.output
    result = runner.invoke(app, [*args, "--scheduler", cluster, "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert '"computed"' in result.output and result.output.count('"drifted"') >= 3


def test_detect_drift_on_the_cluster_equals_in_memory(cluster: str) -> None:
    from distributed import Client as DaskClient

    reference, current = traffic(2000, seed=1), traffic(3000, seed=2, income_shift=4000)
    options = DriftOptions(numeric_method="ks")
    whole = detect_drift(reference, current, columns=FEATURES, options=options)
    dask_client: Any = DaskClient(cluster)
    try:
        import dask.dataframe as dd

        parts = dd.from_pandas(current, npartitions=4)
        reduced = detect_drift(reference, parts, columns=FEATURES, options=options)
    finally:
        dask_client.close()
    for one, other in zip(whole.columns, reduced.columns, strict=True):
        assert one.column == other.column and one.drifted == other.drifted
        assert math.isclose(one.statistic, other.statistic, rel_tol=REL)
        assert math.isclose(one.p_value or 0, other.p_value or 0, rel_tol=REL, abs_tol=1e-12)


def test_batch_scoring_on_the_cluster_equals_pandas(
    sqlite_settings: Settings, cluster: str, tmp_path: Path
) -> None:
    client = Client(sqlite_settings)
    try:
        deploy_model(client)
        source = tmp_path / "in.parquet"
        traffic(3000, seed=4)[FEATURES].to_parquet(source)
        uri = "models:/credit-risk@champion"
        client.deployments.score(uri, source, tmp_path / "p.parquet", log_predictions=False)
        client.deployments.score(
            uri, source, tmp_path / "d", engine="dask", scheduler=cluster, log_predictions=False
        )
    finally:
        client.close()
    alone = pd.read_parquet(tmp_path / "p.parquet")
    spread = pd.read_parquet(tmp_path / "d")
    assert len(spread) == len(alone) == 3000
    # the same model on the same rows: the same predictions, row for row
    pd.testing.assert_frame_equal(alone.reset_index(drop=True), spread.reset_index(drop=True))


def _log_rows(client: Client, deployment: str, rows: int) -> None:
    """`rows` records in one window, written as 4 files (no per-row Python objects)."""
    rng = np.random.default_rng(7)
    for part, count in enumerate(np.array_split(np.arange(rows), 4)):
        n = len(count)
        entry = PredictionEntry(
            request_id=f"big-{part}", ts=DAY1 + timedelta(minutes=part), deployment=deployment,
            model="credit-risk", version=1, arm="champion", latency_ms=1.0,
            inputs={
                "income": rng.normal(60_000, 15_000, n), "debt": rng.normal(10_000, 4_000, n),
                "age": rng.integers(18, 80, n).astype(float),
            },
            predictions=np.zeros(n, dtype=int), probabilities=None,
        )  # fmt: skip
        write_entries(client.settings.resolved_predictions_root(), [entry], stem=f"big-{part}")


@pytest.mark.slow
def test_a_window_over_a_million_rows_in_batches_and_on_the_cluster(
    sqlite_settings: Settings, cluster: str
) -> None:
    client = Client(sqlite_settings)
    try:
        deploy_model(client, name="big-batched")
        client.deployments.create("big-dask", model_uri="models:/credit-risk@champion")
        for name in ("big-batched", "big-dask"):
            _log_rows(client, name, 1_200_000)
        client.backend.clock = lambda: DAY1 + timedelta(days=1)
        window = MonitorOptions(window=timedelta(days=1))  # the default: 1M rows in memory
        span = (DAY1 - timedelta(hours=12), DAY1 + timedelta(hours=12))
        results = []
        for name, options in [
            ("big-batched", window),
            ("big-dask", replace(window, engine="dask", scheduler=cluster)),
        ]:
            service.run_monitoring(
                client.backend.uow(), client.backend.artifacts, client.monitoring.log,
                deployment=name, guard=client.backend.guard(), options=options, notify=None,
            )  # fmt: skip
            (computed,) = [w for w in client.monitoring.windows(name) if w.start <= span[0]]
            results.append(computed)
        batched, on_cluster = results
        assert batched.n_rows == on_cluster.n_rows == 1_200_000
        for column in FEATURES:
            assert_same(inputs(batched)[column], inputs(on_cluster)[column])
    finally:
        client.close()
