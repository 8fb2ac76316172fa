"""The same MLflow-client script against `mlflow server` and against `modelward server`.

Usage::

    .venv/bin/python benchmarks/bench_mlflow_client.py [--scale 1.0] [--only mlflow|modelward]

Both servers run as subprocesses on this machine, each over a fresh SQLite database, one after
the other. The script (MLflow 3's `MlflowClient`, unchanged between the two) runs:

  1. ``runs``: 1,000 runs, each created, given 10 params + 10 metrics with one `log_batch`,
     and ended;
  2. ``metrics``: 5,000 single `log_metric` calls into one run;
  3. ``search``: a filtered `search_runs` over those runs (``metrics.m0 > 0.5``, ordered);
  4. ``aliases``: 200 resolutions of ``models:/NAME@challenger`` (`get_model_version_by_alias`).

Nothing may be lost: after the timed part every value is read back through the MLflow client
(all runs' params and metrics by search, the 5,000-point history, the search's matches
against the count computed locally) and a mismatch is an error, not a slow result. Setting up
the alias (one sklearn model logged and registered) is not timed.

Prints one JSON object: seconds per workload per server, and mlflow/modelward ratios (the
target is at least 3, modelward three times faster, on each workload). It also runs the
``metrics`` and ``aliases`` loops against a *floor* server, an ASGI app that answers every call
with a fixed body and does no work at all, and prints ``mlflow_over_floor``: the largest ratio
any server could reach on those workloads with this client, whose own per-call work (building
and parsing protobuf messages, `requests`) is the same whatever answers. `--scale` shrinks the
counts for a quick check; `--repeat N` runs N trials per server (fresh server and database each,
the servers alternating) and keeps each workload's best time. The modelward server runs with an
admin token issued locally (the MLflow client sends it as MLFLOW_TRACKING_TOKEN); the MLflow
server runs without auth.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

RUNS, METRICS, ALIASES = 1_000, 5_000, 200
THRESHOLD = 0.5
MODEL = "bench-model"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _process(command: list[str], env: dict[str, str], url: str, log: Path) -> Iterator[None]:
    with open(log, "wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    httpx.get(url, timeout=2)
                    break
                except httpx.TransportError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(log.read_text(errors="replace")[-2000:]) from None
                    time.sleep(0.3)
            yield
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


@contextmanager
def mlflow_server(root: Path) -> Iterator[dict[str, str]]:
    port = _port()
    command = [
        sys.executable, "-m", "mlflow", "server",
        "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
        "--artifacts-destination", str(root / "artifacts"),
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with _process(command, dict(os.environ), url + "/health", root / "mlflow.log"):
        yield {"MLFLOW_TRACKING_URI": url}


@contextmanager
def modelward_server(root: Path) -> Iterator[dict[str, str]]:
    from modelward.client import Client
    from modelward.config import Settings

    home = root / ".modelward"
    local = Client(Settings(home=home, user="bench"))
    try:
        token = local.governance.issue_token("bench")  # bootstrap: the first user is admin
    finally:
        local.close()
    port = _port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELWARD_")}
    env["MODELWARD_HOME"] = str(home)
    command = [sys.executable, "-m", "modelward.cli.main", "server", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    with _process(command, env, url + "/api/v1/whoami", root / "modelward.log"):
        yield {"MLFLOW_TRACKING_URI": url, "MLFLOW_TRACKING_TOKEN": token}


def _values(runs: int) -> list[dict[str, float]]:
    rng = random.Random(0)
    return [{f"m{j}": rng.random() for j in range(10)} for _ in range(runs)]


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def script(runs: int, metrics: int, aliases: int) -> dict[str, float]:
    """The MLflow user's script; the tracking URI and token come from the environment."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param
    from sklearn.linear_model import LogisticRegression

    client = MlflowClient()
    values = _values(runs)
    experiment = client.create_experiment("bench")
    seconds: dict[str, float] = {}

    def many_runs() -> list[str]:
        ids = []
        for i, row in enumerate(values):
            run = client.create_run(experiment)
            stamp = int(time.time() * 1000)
            client.log_batch(
                run.info.run_id,
                metrics=[Metric(k, v, stamp, 0) for k, v in row.items()],
                params=[Param(f"p{j}", str(i * 10 + j)) for j in range(10)],
            )
            client.set_terminated(run.info.run_id)
            ids.append(run.info.run_id)
        return ids

    seconds["runs"], ids = _timed(many_runs)

    loop = client.create_run(experiment)

    def single_metrics() -> None:
        for step in range(metrics):
            client.log_metric(loop.info.run_id, "loss", 1.0 / (step + 1), step=step)

    seconds["metrics"], _ = _timed(single_metrics)
    client.set_terminated(loop.info.run_id)

    def search() -> list[Any]:
        found, token = [], None
        while True:
            page = client.search_runs(
                [experiment],
                filter_string=f"metrics.m0 > {THRESHOLD}",
                order_by=["metrics.m0 DESC"],
                max_results=1000,
                page_token=token,
            )
            found.extend(page)
            token = page.token
            if not token:
                return found

    seconds["search"], matched = _timed(search)

    mlflow.set_experiment(experiment_id=experiment)
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(LogisticRegression().fit([[0], [1]], [0, 1]), name="m")
    version = mlflow.register_model(info.model_uri, MODEL)
    client.set_registered_model_alias(MODEL, "challenger", version.version)

    def resolve() -> None:
        for _ in range(aliases):
            assert client.get_model_version_by_alias(MODEL, "challenger").version == "1"

    seconds["aliases"], _ = _timed(resolve)
    _check(client, experiment, ids, values, loop.info.run_id, metrics, matched)
    return seconds


def _check(
    client: Any,
    experiment: str,
    ids: list[str],
    values: list[dict[str, float]],
    loop: str,
    metrics: int,
    matched: list[Any],
) -> None:
    """Every value logged is read back exactly (JSON carries these floats exactly)."""
    stored, token = {}, None
    while True:
        page = client.search_runs([experiment], max_results=1000, page_token=token)
        stored |= {r.info.run_id: r for r in page}
        token = page.token
        if not token:
            break
    for i, (run_id, row) in enumerate(zip(ids, values, strict=True)):
        run = stored[run_id]
        assert run.data.metrics == row, f"run {i}: metrics differ"
        assert run.data.params == {f"p{j}": str(i * 10 + j) for j in range(10)}, f"run {i}"
        assert run.info.status == "FINISHED"
    history = client.get_metric_history(loop, "loss")
    assert sorted((m.step, m.value) for m in history) == [
        (s, 1.0 / (s + 1)) for s in range(metrics)
    ], "metric history differs"
    expected = sum(1 for row in values if row["m0"] > THRESHOLD)
    assert len(matched) == expected, f"search found {len(matched)}, expected {expected}"


FLOOR_APP = """
ALIAS = b'{"model_version": {"name": "bench-model", "version": "1", "current_stage": "None"}}'


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    body = ALIAS if scope["path"].endswith("/alias") else b"{}"
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
"""


def floor(root: Path, scale: float) -> dict[str, float]:
    """The metrics and aliases loops against a server that does nothing (see the docstring)."""
    (root / "floor_app.py").write_text(FLOOR_APP)
    port = _port()
    command = [sys.executable, "-m", "uvicorn", "floor_app:app", "--app-dir", str(root)]
    command += ["--port", str(port), "--log-level", "warning"]
    url = f"http://127.0.0.1:{port}"
    counts = (max(1, int(METRICS * scale)), max(1, int(ALIASES * scale)))
    with _process(command, dict(os.environ), url + "/health", root / "floor.log"):
        code = (
            "import json, sys, time\n"
            "from mlflow import MlflowClient\n"
            f"c = MlflowClient(tracking_uri={url!r}); n, a = {counts!r}\n"
            "t = time.perf_counter()\n"
            "for i in range(n): c.log_metric('r', 'loss', 1.0, step=i)\n"
            "m = time.perf_counter() - t; t = time.perf_counter()\n"
            "for _ in range(a): c.get_model_version_by_alias('bench-model', 'challenger')\n"
            "print(json.dumps({'metrics': m, 'aliases': time.perf_counter() - t}))\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run_against(server: str, root: Path, scale: float) -> dict[str, Any]:
    counts = (max(1, int(RUNS * scale)), max(1, int(METRICS * scale)), max(1, int(ALIASES * scale)))
    starter = mlflow_server if server == "mlflow" else modelward_server
    with starter(root) as env:
        command = [sys.executable, __file__, "--script", json.dumps(counts)]
        done = subprocess.run(
            command, env=os.environ | env, capture_output=True, text=True, check=False
        )
    if done.returncode != 0:
        return {"error": done.stderr[-3000:]}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="Trials per server, each on a fresh server and database; each workload's best"
        " (lowest) time is kept (the trials are printed too).",
    )
    parser.add_argument("--only", choices=["mlflow", "modelward"])
    parser.add_argument("--script", help=argparse.SUPPRESS)
    parser.add_argument(
        "--no-floor", dest="floor", action="store_false", help="Skip the do-nothing server."
    )
    args = parser.parse_args()
    if args.script:  # the client half, in its own process with the server's environment
        warnings.simplefilter("ignore")
        import logging

        logging.disable(logging.WARNING)
        print(json.dumps(script(*json.loads(args.script))))
        return
    result: dict[str, Any] = {"scale": args.scale}
    trials: dict[str, list[dict[str, Any]]] = {}
    for _ in range(max(1, args.repeat)):  # alternate the servers: drift hits both alike
        for server in ("mlflow", "modelward"):
            if args.only in (None, server):
                with tempfile.TemporaryDirectory(prefix=f"bench-{server}-") as root:
                    trials.setdefault(server, []).append(
                        run_against(server, Path(root), args.scale)
                    )
    for server, runs in trials.items():
        failed = [trial for trial in runs if "error" in trial]
        result[server] = failed[0] if failed else {k: min(t[k] for t in runs) for k in runs[0]}
        if len(runs) > 1:
            result.setdefault("trials", {})[server] = runs
    ours, theirs = result.get("modelward", {}), result.get("mlflow", {})
    if "error" not in ours and "error" not in theirs and ours and theirs:
        result["mlflow_over_modelward"] = {k: round(theirs[k] / ours[k], 2) for k in ours}
        result["target_met"] = all(v >= 3 for v in result["mlflow_over_modelward"].values())
    if args.floor and theirs and "error" not in theirs:
        with tempfile.TemporaryDirectory(prefix="bench-floor-") as root:
            result["floor"] = floor(Path(root), args.scale)
        result["mlflow_over_floor"] = {
            k: round(theirs[k] / v, 2) for k, v in result["floor"].items()
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
