"""Serving benchmark: our scoring service against ``mlflow models serve``, same model, same run.

Usage::

    .venv/bin/python benchmarks/bench_serving.py [--single 2000] [--batches 200] [--no-peer]
        [--explain] [--start-timeout 300]

The model: StandardScaler + LogisticRegression on 20 float features (sklearn's
make_classification, seeded), fitted on a DataFrame. Ours: a workspace in a temporary folder,
the model registered and deployed, served by ``uvicorn modelward.server.scoring`` in its own
process with prediction logging ON (the default). MLflow's: the same fitted model saved with
``mlflow.sklearn.save_model`` and served by ``python -m mlflow models serve --env-manager local``.
Both with one worker, on loopback, driven by one ``httpx.Client`` (keep-alive) with the bodies
encoded beforehand: ``single`` sequential 1-row requests (p50/p95/p99 in ms) and ``batches``
1,000-row requests (rows/s); ours on ``/predict`` (records; answers include probabilities) and
on ``/invocations`` (the same body as MLflow's, ``dataframe_split``). After a graceful stop the
prediction log is counted: every request must be logged. Also reported: a bare in-process
``predict`` on a numpy row and on a one-row DataFrame, and ``/predict`` of a second deployment
of the same version with guardrails on (allowed classes, the share of one class per minute,
every feature against the training profile's range, and the per-row out-of-distribution score
from the training sample; violations logged, not replaced): its p50 and rows/s, and what the
guardrails add to the p50, measured with both services up and their single-row requests
alternating (so a busy machine's load falls on both alike); the guardrails' check alone in
process (µs, median per call); and, with the peer, the ratio of our p50 with guardrails to
MLflow's (target: at most 1/3). Prints one JSON object.

Each server's output goes to a log file; a server that exits or does not answer its health
check within ``--start-timeout`` seconds (default 300: MLflow imports slowly on a loaded
machine) is reported with its last output — for the peer as ``"mlflow": {"error": ...}`` and
a line on stderr, the rest of the results still printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd

FEATURES = [f"f{i}" for i in range(20)]
GUARDRAILS = {
    "allowed_classes": [0, 1],
    "max_class_share": 0.95,
    "check_ranges": True,
    "max_ood": 0.9999,
    "on_violation": "log",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fitted_model() -> tuple[Any, pd.DataFrame]:
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = make_classification(n_samples=5_000, n_features=20, random_state=0)
    frame = pd.DataFrame(x, columns=FEATURES)
    return make_pipeline(StandardScaler(), LogisticRegression()).fit(frame, y), frame


START_TIMEOUT = 300.0  # seconds; a loaded machine imports MLflow slowly (--start-timeout)


class NotStarted(RuntimeError):
    """A server did not answer its health check: the message says why and what to do."""


def _tail(path: Path, chars: int = 2_000) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return text[-chars:].strip() or "(no output)"


def start(
    command: list[str],
    env: dict[str, str],
    url: str,
    health: str,
    *,
    name: str,
    timeout: float = START_TIMEOUT,
) -> subprocess.Popen:  # type: ignore[type-arg]
    """Start `command` and wait until `url + health` answers 200.

    The server's output goes to a log file, never to a pipe nobody reads (a full pipe would
    stop the server in the middle of the measurement once its log passes 64 KiB).

    Raises:
        NotStarted: it exited, or did not answer within `timeout` seconds; the message holds
            its last output.
    """
    log_path = Path(tempfile.mkstemp(prefix=f"bench-{name}-", suffix=".log")[1])
    with log_path.open("w") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    process.log_path = log_path  # type: ignore[attr-defined]
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise NotStarted(
                f"{name} exited with code {process.returncode} before answering {health};"
                f" its last output ({log_path}):\n{_tail(log_path)}"
            )
        try:
            if httpx.get(url + health, timeout=5).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    process.kill()
    process.wait()
    raise NotStarted(
        f"{name} did not answer {url}{health} within {timeout:.0f} s (a loaded machine starts"
        f" slowly: raise --start-timeout); its last output ({log_path}):\n{_tail(log_path)}"
    )


def stop(process: subprocess.Popen) -> None:  # type: ignore[type-arg]
    process.send_signal(signal.SIGTERM)  # graceful: uvicorn runs the lifespan shutdown
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    getattr(process, "log_path", Path("/nonexistent")).unlink(missing_ok=True)


def measure(url: str, path: str, single: list[bytes], batches: list[bytes]) -> dict[str, Any]:
    headers = {"content-type": "application/json"}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
        for body in single[:200]:  # warm-up
            http.post(path, content=body).raise_for_status()
        latencies = []
        for body in single:
            started = time.perf_counter()
            http.post(path, content=body).raise_for_status()
            latencies.append((time.perf_counter() - started) * 1000)
        http.post(path, content=batches[0]).raise_for_status()
        started = time.perf_counter()
        for body in batches:
            http.post(path, content=body).raise_for_status()
        seconds = time.perf_counter() - started
    p50, p95, p99 = np.percentile(latencies, [50, 95, 99])
    return {
        "single_row_ms": {"p50": round(p50, 3), "p95": round(p95, 3), "p99": round(p99, 3)},
        "rows_per_second_1000": round(len(batches) * 1000 / seconds),
        "requests": len(single) + 200 + len(batches) + 1,
        "rows": len(single) + 200 + (len(batches) + 1) * 1000,
    }


def bodies(frame: pd.DataFrame, single: int, batches: int) -> dict[str, list[bytes]]:
    rng = np.random.default_rng(1)
    rows = frame.to_numpy()
    one = [rows[rng.integers(len(rows))] for _ in range(single)]
    many = [rows[rng.integers(0, len(rows), 1000)] for _ in range(batches)]

    def split(block: np.ndarray) -> bytes:
        body = {"dataframe_split": {"columns": FEATURES, "data": block.tolist()}}
        return json.dumps(body).encode()

    def records(block: np.ndarray) -> bytes:
        return json.dumps([dict(zip(FEATURES, r, strict=True)) for r in block.tolist()]).encode()

    return {
        "single_split": [split(r.reshape(1, -1)) for r in one],
        "single_records": [records(r.reshape(1, -1)) for r in one],
        "batch_split": [split(b) for b in many],
        "batch_records": [records(b) for b in many],
    }


def bare(model: Any, frame: pd.DataFrame) -> dict[str, Any]:
    row = frame.iloc[:1]
    array = row.to_numpy()

    def timed(call: Any, n: int = 2_000) -> float:
        call()
        started = time.perf_counter()
        for _ in range(n):
            call()
        return round((time.perf_counter() - started) / n * 1000, 4)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a DataFrame-fitted model warns on arrays
        numpy_ms = timed(lambda: model.predict(array))
    pandas_ms = timed(lambda: model.predict(pd.DataFrame(array, columns=FEATURES)))
    return {
        "numpy_predict_ms": numpy_ms,
        "pandas_frame_and_predict_ms": pandas_ms,
        "guardrails_check_one_row_us": guardrail_checks(frame),
    }


def guardrail_checks(frame: pd.DataFrame, n: int = 20_000) -> dict[str, float]:
    """The guardrails' per-request work on one row, in process (no HTTP), in µs: what the
    scoring service adds to a request. `numpy_row`: the numeric fast path's matrix (this
    benchmark's model); `dataframe_row`: a one-row DataFrame with a categorical column (a
    mixed signature); `violating_row`: a row outside the training range (its verdict is
    built; the hook's metrics and log line are not timed). The predictions alternate between
    the classes, as a real model's do, so the share of one class per minute stays under its
    bound. Each call is timed on its own and the median reported: on a busy machine a mean
    measures the load."""
    from modelward.domain.guardrails import GuardrailSpec
    from modelward.serving.guardrails import Guardrails, TrainingReference
    from modelward.stats.profile import profile

    def compiled(sample: pd.DataFrame, kinds: list[str]) -> Any:
        reference = TrainingReference(profile(sample)["columns"], sample)
        return Guardrails(
            GuardrailSpec.parse(GUARDRAILS), columns=list(sample.columns), kinds=kinds,
            reference=reference, fallback=None,
        )  # fmt: skip

    def timed(guard: Any, row: Any) -> float:
        predictions = [np.array([0]), np.array([1])]

        def check(i: int) -> None:
            guard.tally(guard.check(row, predictions[i & 1]))

        for i in range(200):
            check(i)
        took = np.empty(n)
        clock = time.perf_counter_ns
        for i in range(n):
            started = clock()
            check(i)
            took[i] = clock() - started
        return round(float(np.median(took)) / 1000, 2)

    numeric = compiled(frame, ["float"] * len(FEATURES))
    regions = np.where(frame["f0"].to_numpy() > 0, "north", "south")
    mixed_sample = frame.assign(region=regions)
    mixed = compiled(mixed_sample, ["float"] * len(FEATURES) + ["string"])
    far = frame.iloc[:1].to_numpy() * 0 + 1e6
    return {
        "numpy_row": timed(numeric, frame.iloc[:1].to_numpy()),
        "dataframe_row": timed(mixed, mixed_sample.iloc[:1].reset_index(drop=True)),
        "violating_row": timed(numeric, far),
    }


def ours(
    work: Path,
    model: Any,
    frame: pd.DataFrame,
    data: dict[str, list[bytes]],
    timeout: float = START_TIMEOUT,
) -> dict[str, Any]:
    from modelward.client import Client
    from modelward.config import Settings
    from modelward.store.predictions import count_predictions

    settings = Settings(home=work / "ws", user="bench", protected_aliases="")
    client = Client(settings)
    with client.start_run("bench") as run:
        run.log_dataset(frame, name="train", role="training")  # the guardrails' reference
        run.log_model(model, "model", input_example=frame.head(5))
    client.registry.register(run.id, name="bench-model")
    client.deployments.create("bench", model_uri="models:/bench-model/1", environment="bench")
    client.deployments.create("guarded", model_uri="models:/bench-model/1", environment="bench")
    client.guardrails.set("guarded", GUARDRAILS)
    client.close()
    env = os.environ | {"MODELWARD_HOME": str(settings.home)}

    def serve(deployment: str) -> tuple[subprocess.Popen, str]:  # type: ignore[type-arg]
        port = free_port()
        command = [sys.executable, "-m", "uvicorn", "modelward.server.scoring:create_scoring_app"]
        command += ["--factory", "--port", str(port), "--log-level", "warning", "--no-access-log"]
        process = start(command, env | {"MODELWARD_DEPLOYMENT": deployment},
                        f"http://127.0.0.1:{port}", "/health", name=f"modelward-{deployment}",
                        timeout=timeout)  # fmt: skip
        return process, f"http://127.0.0.1:{port}"

    plain, url = serve("bench")
    try:
        guarded_process, guarded_url = serve("guarded")
    except BaseException:
        stop(plain)
        raise
    try:
        predict = measure(url, "/predict", data["single_records"], data["batch_records"])
        invocations = measure(url, "/invocations", data["single_split"], data["batch_split"])
        guarded = measure(guarded_url, "/predict", data["single_records"], data["batch_records"])
        paired = interleaved(
            url, guarded_url, "/predict", data["single_records"], data["batch_records"]
        )
    finally:
        stop(plain)
        stop(guarded_process)
    logged = count_predictions(settings.resolved_predictions_dir(), "bench")
    expected = predict["rows"] + invocations["rows"] + paired["rows_each"]
    p50 = paired["single_row_p50_ms"]
    return {
        "predict": predict,
        "invocations": invocations,
        "predict_guardrails": guarded,
        "interleaved": paired,
        # both services up at once, their requests alternating: the machine's load falls on
        # both alike, so the difference is the guardrails', not the minute's
        "guardrails_added_p50_ms": round(p50["guarded"] - p50["plain"], 3),
        "rows_logged": logged,
        "every_prediction_logged": logged == expected,
    }


def interleaved(
    plain: str, guarded: str, path: str, single: list[bytes], batches: list[bytes]
) -> dict[str, Any]:
    """Single-row p50 (ms) and rows/s of the median 1,000-row request of two services measured
    in alternation, the first of each pair alternating too (plain-guarded, guarded-plain, ...):
    the machine's load, and the other service's background work (its prediction log writes
    after each request), fall on both alike."""
    headers = {"content-type": "application/json"}
    took: dict[str, list[float]] = {"plain": [], "guarded": []}
    batch: dict[str, list[float]] = {"plain": [], "guarded": []}
    with (
        httpx.Client(base_url=plain, headers=headers, timeout=60) as a,
        httpx.Client(base_url=guarded, headers=headers, timeout=60) as b,
    ):
        pairs = ((("plain", a), ("guarded", b)), (("guarded", b), ("plain", a)))
        for body in single[:100]:  # warm-up
            for _, http in pairs[0]:
                http.post(path, content=body).raise_for_status()
        for i, body in enumerate(single + batches):
            into = took if i < len(single) else batch
            for name, http in pairs[i % 2]:
                started = time.perf_counter()
                http.post(path, content=body).raise_for_status()
                into[name].append(time.perf_counter() - started)
    return {
        "single_row_p50_ms": {k: round(float(np.median(v)) * 1000, 3) for k, v in took.items()},
        "rows_per_second_1000": {k: round(1000 / float(np.median(v))) for k, v in batch.items()},
        "rows_each": len(single) + 100 + len(batches) * 1000,
    }


def mlflow_peer(
    work: Path,
    model: Any,
    frame: pd.DataFrame,
    data: dict[str, list[bytes]],
    timeout: float = START_TIMEOUT,
) -> dict[str, Any]:
    """``mlflow models serve`` on the same fitted model, measured like ours; ``{"error": ...}``
    saying why and what to do when it cannot run (not installed, did not start in time)."""
    try:
        import mlflow
        import mlflow.sklearn
    except ImportError as exc:
        return {"error": f"mlflow is not installed ({exc}); pip install -e '.[bench]'"}
    path = work / "mlflow-model"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlflow.sklearn.save_model(model, str(path), input_example=frame.head(5))
    port = free_port()
    command = [sys.executable, "-m", "mlflow", "models", "serve", "-m", str(path)]
    command += ["--env-manager", "local", "-p", str(port), "-h", "127.0.0.1", "-w", "1"]
    url = f"http://127.0.0.1:{port}"
    # mlflow execs `uvicorn` from PATH: put this interpreter's scripts first; no telemetry,
    # no tracking server (a stray MLFLOW_TRACKING_URI must not slow the start)
    bin_dir = str(Path(sys.executable).parent)
    env = os.environ | {
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "true",
        "MLFLOW_TRACKING_URI": (work / "mlruns").as_uri(),
    }
    try:
        process = start(command, env, url, "/ping", name="mlflow-models-serve", timeout=timeout)
    except NotStarted as exc:
        return {"error": f"MLflow's scoring server did not start: {exc}"}
    try:
        result = measure(url, "/invocations", data["single_split"], data["batch_split"])
        return result | {"version": mlflow.__version__}
    finally:
        stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--single", type=int, default=2_000)
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument(
        "--start-timeout",
        type=float,
        default=START_TIMEOUT,
        help="seconds each server may take to answer its health check (default 300)",
    )
    parser.add_argument(
        "--explain", action="store_true", help="also p50 and rows/s with explanations on"
    )
    args = parser.parse_args()
    model, frame = fitted_model()
    data = bodies(frame, args.single, args.batches)
    result: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "bare_in_process": bare(model, frame),
    }
    with tempfile.TemporaryDirectory() as tmp:
        result["modelward"] = ours(Path(tmp), model, frame, data, args.start_timeout)
        if not args.no_peer:
            peer = mlflow_peer(Path(tmp), model, frame, data, args.start_timeout)
            result["mlflow"] = peer
            if "error" in peer:
                print(f"bench_serving: no MLflow ratios: {peer['error']}", file=sys.stderr)
        if args.explain:  # linear and tree models, reasons off and on (bench_explain.py)
            from bench_explain import run as explanations

            result["explanations"] = explanations(Path(tmp), data)
    ours_p50 = result["modelward"]["predict"]["single_row_ms"]["p50"]
    result["overhead_over_bare_numpy_ms"] = round(
        ours_p50 - result["bare_in_process"]["numpy_predict_ms"], 3
    )
    if not args.no_peer and "error" not in peer:
        mine = result["modelward"]
        result["ratios"] = {
            "p50_single_row_ours_predict_over_mlflow": round(
                ours_p50 / peer["single_row_ms"]["p50"], 3
            ),
            "p50_single_row_ours_invocations_over_mlflow": round(
                mine["invocations"]["single_row_ms"]["p50"] / peer["single_row_ms"]["p50"], 3
            ),
            "rows_per_second_ours_predict_over_mlflow": round(
                mine["predict"]["rows_per_second_1000"] / peer["rows_per_second_1000"], 2
            ),
            "rows_per_second_ours_invocations_over_mlflow": round(
                mine["invocations"]["rows_per_second_1000"] / peer["rows_per_second_1000"], 2
            ),
            "p50_single_row_ours_predict_guardrails_over_mlflow": round(
                mine["predict_guardrails"]["single_row_ms"]["p50"] / peer["single_row_ms"]["p50"],
                3,
            ),
        }
        guarded_ratio = result["ratios"]["p50_single_row_ours_predict_guardrails_over_mlflow"]
        result["targets"] = {
            "guardrails_p50_at_most_a_third_of_mlflow": bool(guarded_ratio <= 1 / 3)
        }
    added = result["modelward"]["guardrails_added_p50_ms"]
    result.setdefault("targets", {})["guardrails_add_at_most_0_2_ms_p50"] = bool(added <= 0.2)
    print(json.dumps(result, indent=2, default=_plain))


def _plain(value: Any) -> Any:
    """numpy scalars (percentiles, their ratios and comparisons) as JSON numbers and booleans."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


if __name__ == "__main__":
    main()
