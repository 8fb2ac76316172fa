"""Tracking and registry throughput on SQLite, against MLflow when it is installed.

Workloads (each on a fresh SQLite workspace):
  1. 5,000 single `log_metric` calls in one run (ours: batched; MLflow: synchronous, and
     asynchronous with `synchronous=False`), checking that all 5,000 values were stored;
  2. 1,000 runs with 10 params and 10 metrics each;
  3. `search_runs` over those runs with a metric filter and ordering (about 490 of 1,000 match);
  4. 200 versions registered across 20 models, an alias set on each model, and 200 alias
     resolutions.
Prints one JSON object: seconds per workload for each system, and ours/MLflow ratios
(below 1 means faster). Run: `.venv/bin/python benchmarks/bench_tracking.py` (`--no-peer`
skips MLflow; `pip install -e '.[bench]'` installs it).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

N_METRICS = 5_000
N_RUNS = 1_000
N_MODELS, N_VERSIONS = 20, 10
THRESHOLD = 0.51


def _values(seed: int = 0) -> list[dict[str, float]]:
    rng = random.Random(seed)
    return [{f"m{j}": rng.random() for j in range(10)} for _ in range(N_RUNS)]


def _timed(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def bench_ours(root: Path, values: list[dict[str, float]]) -> dict[str, Any]:
    from sklearn.linear_model import LogisticRegression

    from modelward.client import Client
    from modelward.config import Settings

    # alias moves here measure the registry itself, not the governance gate
    client = Client(Settings(home=root / "ws", user="bench", protected_aliases=""))
    out: dict[str, Any] = {}

    def log_loop() -> str:
        with client.start_run("loop") as run:
            for step in range(N_METRICS):
                run.log_metric("loss", 1.0 / (step + 1), step=step)
        return run.id

    out["log_metric_5000_s"], run_id = _timed(log_loop)
    out["log_metric_5000_stored"] = len(client.tracking.metric_history(run_id, "loss"))

    def many_runs() -> None:
        for i, metrics in enumerate(values):
            with client.start_run("many") as run:
                run.log_params({f"p{j}": i * 10 + j for j in range(10)})
                run.log_metrics(metrics)

    out["runs_1000_s"], _ = _timed(many_runs)

    def search() -> int:
        found = client.tracking.search_runs(
            experiments=["many"],
            filter=f"metrics.m0 > {THRESHOLD}",
            order_by=["metrics.m1 DESC"],
            limit=N_RUNS,
        )
        return len(found)

    client.tracking.search_runs(experiments=["many"], limit=1)  # warm the connection pool
    out["search_s"], out["search_matched"] = _timed(search)

    model = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    with client.start_run("registry") as run:
        run.log_model(model, "model", input_example=[[0.5]])

    def register() -> int:
        for m in range(N_MODELS):
            for _ in range(N_VERSIONS):
                client.registry.register(run.id, "model", name=f"model-{m}")
            client.registry.set_alias(f"model-{m}", "champion", N_VERSIONS // 2)
        resolved = 0
        for m in range(N_MODELS):
            for _ in range(N_VERSIONS):
                resolved += client.registry.resolve(f"models:/model-{m}@champion").version
        return resolved

    out["register_200_and_resolve_s"], _ = _timed(register)

    def resolve_only() -> None:
        for m in range(N_MODELS):
            for _ in range(N_VERSIONS):
                client.registry.resolve(f"models:/model-{m}@champion")

    out["resolve_alias_200_s"], _ = _timed(resolve_only)
    client.close()
    return out


def bench_mlflow(root: Path, values: list[dict[str, float]]) -> dict[str, Any]:
    import logging

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    import mlflow
    from mlflow import MlflowClient

    os.chdir(root)  # MLflow writes model artifacts under ./mlruns
    uri = f"sqlite:///{root / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient(uri, uri)
    client.create_experiment("warmup")  # runs MLflow's migrations outside the timings
    out: dict[str, Any] = {"version": mlflow.__version__}

    def log_loop(synchronous: bool) -> str:
        mlflow.set_experiment("loop-sync" if synchronous else "loop-async")
        with mlflow.start_run() as run:
            for step in range(N_METRICS):
                mlflow.log_metric("loss", 1.0 / (step + 1), step=step, synchronous=synchronous)
        return str(run.info.run_id)

    out["log_metric_5000_sync_s"], rid = _timed(lambda: log_loop(True))
    out["log_metric_5000_sync_stored"] = len(client.get_metric_history(rid, "loss"))
    out["log_metric_5000_async_s"], rid = _timed(lambda: log_loop(False))
    out["log_metric_5000_async_stored"] = len(client.get_metric_history(rid, "loss"))

    def many_runs() -> None:
        mlflow.set_experiment("many")
        for i, metrics in enumerate(values):
            with mlflow.start_run():
                mlflow.log_params({f"p{j}": i * 10 + j for j in range(10)})
                mlflow.log_metrics(metrics)

    out["runs_1000_s"], _ = _timed(many_runs)
    exp_id = client.get_experiment_by_name("many").experiment_id

    def search() -> int:
        found = client.search_runs(
            [exp_id],
            filter_string=f"metrics.m0 > {THRESHOLD}",
            order_by=["metrics.m1 DESC"],
            max_results=N_RUNS,
        )
        return len(found)

    out["search_s"], out["search_matched"] = _timed(search)

    from sklearn.linear_model import LogisticRegression

    mlflow.set_experiment("registry")
    with mlflow.start_run() as run:
        info = mlflow.sklearn.log_model(
            LogisticRegression().fit([[0.0], [1.0]], [0, 1]), name="model"
        )
    source = info.model_uri

    def register() -> int:
        for m in range(N_MODELS):
            client.create_registered_model(f"model-{m}")
            for _ in range(N_VERSIONS):
                client.create_model_version(f"model-{m}", source, run_id=run.info.run_id)
            client.set_registered_model_alias(f"model-{m}", "champion", str(N_VERSIONS // 2))
        resolved = 0
        for m in range(N_MODELS):
            for _ in range(N_VERSIONS):
                resolved += int(client.get_model_version_by_alias(f"model-{m}", "champion").version)
        return resolved

    out["register_200_and_resolve_s"], _ = _timed(register)

    def resolve_only() -> None:
        for m in range(N_MODELS):
            for _ in range(N_VERSIONS):
                client.get_model_version_by_alias(f"model-{m}", "champion")

    out["resolve_alias_200_s"], _ = _timed(resolve_only)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-peer", action="store_true", help="Skip MLflow.")
    args = parser.parse_args()
    values = _values()
    result: dict[str, Any] = {"benchmark": "tracking", "backend": "sqlite"}
    with tempfile.TemporaryDirectory() as tmp:
        result["modelward"] = bench_ours(Path(tmp) / "ours", values)
    if not args.no_peer:
        try:
            import mlflow  # noqa: F401
        except ImportError:
            result["mlflow"] = "not installed: pip install -e '.[bench]'"
        else:
            with tempfile.TemporaryDirectory() as tmp:
                os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")
                result["mlflow"] = bench_mlflow(Path(tmp), values)
            ours, peer = result["modelward"], result["mlflow"]
            result["ratios_ours_over_mlflow"] = {
                "log_metric_5000_vs_sync": ours["log_metric_5000_s"]
                / peer["log_metric_5000_sync_s"],
                "log_metric_5000_vs_async": ours["log_metric_5000_s"]
                / peer["log_metric_5000_async_s"],
                "runs_1000": ours["runs_1000_s"] / peer["runs_1000_s"],
                "search": ours["search_s"] / peer["search_s"],
                "register_200_and_resolve": ours["register_200_and_resolve_s"]
                / peer["register_200_and_resolve_s"],
                "resolve_alias_200": ours["resolve_alias_200_s"] / peer["resolve_alias_200_s"],
            }
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
