"""Explanations at serving: p50 and rows/s with each answer's reasons on, against the same
deployment with them off, for a linear and a tree model (issue 15; run by bench_serving.py
``--explain``, or alone).

Usage::

    .venv/bin/python benchmarks/bench_explain.py [--single 1000] [--batches 50]

Models, on bench_serving's 20-feature data: its StandardScaler + LogisticRegression (exact
linear contributions) and a RandomForestClassifier (50 trees, depth 6; TreeSHAP through the
optional ``shap`` package, the sampling method without it). Each served by its own
``uvicorn modelward.server.scoring`` process, prediction logging on, ``/predict`` with
``explain_top`` 0 (off) then 5 (each row's 5 main contributions in the answer, all of them in
the log). Target: linear explanations at most 2x the p50 without them. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from bench_serving import bodies, fitted_model, free_port, measure, start, stop

TOP = 5


def tree_model(frame: Any) -> Any:
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier

    _, y = make_classification(n_samples=5_000, n_features=20, random_state=0)
    model = RandomForestClassifier(n_estimators=50, max_depth=6, random_state=0, n_jobs=1)
    return model.fit(frame, y)


def served(work: Path, name: str, model: Any, frame: Any, top: int, data: dict[str, Any]) -> Any:
    """Register `model`, deploy it with `top` contributions per row, serve it, measure it."""
    from modelward.client import Client
    from modelward.config import Settings

    settings = Settings(home=work / name, user="bench", protected_aliases="")
    client = Client(settings)
    with client.start_run("bench") as run:
        run.log_dataset(frame, name="train", role="training")  # the explainers' reference
        run.log_model(model, "model", input_example=frame.head(5))
    client.registry.register(run.id, name="bench-model")
    client.deployments.create("bench", model_uri="models:/bench-model/1", environment="bench")
    if top:
        client.deployments.set_explanations("bench", top=top)
    client.close()
    port = free_port()
    env = os.environ | {"MODELWARD_HOME": str(settings.home), "MODELWARD_DEPLOYMENT": "bench"}
    command = [sys.executable, "-m", "uvicorn", "modelward.server.scoring:create_scoring_app"]
    command += ["--factory", "--port", str(port), "--log-level", "warning", "--no-access-log"]
    url = f"http://127.0.0.1:{port}"
    process = start(command, env, url, "/health", name=f"modelward-{name}")
    try:
        import httpx

        sample = httpx.post(url + "/predict", content=data["single_records"][0]).json()
        method = (sample.get("explanations") or [{}])[0].get("method")
        return measure(url, "/predict", data["single_records"], data["batch_records"]) | {
            "method": method
        }
    finally:
        stop(process)


def figures(measured: dict[str, Any]) -> dict[str, Any]:
    return {
        "p50_ms": measured["single_row_ms"]["p50"],
        "rows_per_s": measured["rows_per_second_1000"],
    }


def run(work: Path, data: dict[str, Any]) -> dict[str, Any]:
    """Both models, explanations off and on; the ratios of on over off."""
    linear, frame = fitted_model()
    result: dict[str, Any] = {"top": TOP}
    for label, model in (("linear", linear), ("tree", tree_model(frame))):
        off = served(work, f"{label}-off", model, frame, 0, data)
        on = served(work, f"{label}-on", model, frame, TOP, data)
        result[label] = {
            "method": on["method"],
            "off": figures(off),
            "on": figures(on),
            "p50_on_over_off": float(
                round(on["single_row_ms"]["p50"] / off["single_row_ms"]["p50"], 3)
            ),
            "rows_per_s_on_over_off": round(
                on["rows_per_second_1000"] / off["rows_per_second_1000"], 3
            ),
        }
    result["linear_target_met"] = bool(result["linear"]["p50_on_over_off"] <= 2.0)
    return result


def main() -> None:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--single", type=int, default=1_000)
    parser.add_argument("--batches", type=int, default=50)
    args = parser.parse_args()
    _, frame = fitted_model()
    data = bodies(frame, args.single, args.batches)
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(run(Path(tmp), data), indent=2))


if __name__ == "__main__":
    main()
