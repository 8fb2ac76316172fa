"""Monitoring test helpers: a deployed model with a recorded training sample, prediction-log
entries written at chosen times, and a tiny webhook receiver on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import numpy as np
import pandas as pd

from modelward.client import Client
from modelward.store.predictions import PredictionEntry, write_entries
from tests.builders import applicants, fitted_classifier

FEATURES = ["income", "debt", "age"]
DAY1 = datetime(2026, 1, 5, 12, tzinfo=UTC)
DAY2 = datetime(2026, 1, 6, 12, tzinfo=UTC)
DAY3 = datetime(2026, 1, 7, 1, tzinfo=UTC)


def deploy_model(client: Client, *, rows: int = 2000, name: str = "credit-scoring") -> Any:
    """credit-risk v1 (champion) trained and recorded on `rows` rows, deployed as `name`."""
    frame = applicants(rows, seed=0)
    model, features = fitted_classifier(frame)
    with client.start_run("credit") as run:
        run.log_dataset(frame, name="train", role="training")
        run.log_model(model, "model", input_example=features.head(5))
    client.registry.register(run.id, name="credit-risk")
    client.registry.set_alias("credit-risk", "champion", 1)
    client.deployments.create(name, model_uri="models:/credit-risk@champion", environment="staging")
    return model


def traffic(rows: int, *, seed: int, income_shift: float = 0.0) -> pd.DataFrame:
    frame = applicants(rows, seed=seed)
    return frame.assign(income=frame["income"] + income_shift)


def log_traffic(
    client: Client,
    model: Any,
    frame: pd.DataFrame,
    *,
    at: datetime,
    prefix: str,
    deployment: str = "credit-scoring",
    version: int = 1,
    arm: str = "champion",
    drop: tuple[str, ...] = (),
) -> list[str]:
    """Score `frame` one row per request and log it at time `at`; returns the request ids."""
    features = frame[FEATURES]
    proba = model.predict_proba(features)
    ids = [f"{prefix}-{i}" for i in range(len(frame))]
    entries = [
        PredictionEntry(
            request_id=rid,
            ts=at,
            deployment=deployment,
            model="credit-risk",
            version=version,
            arm=arm,
            latency_ms=1.0,
            inputs={c: [features[c].iloc[i]] for c in FEATURES if c not in drop},
            predictions=np.array([int(proba[i, 1] > 0.5)]),
            probabilities=proba[i : i + 1],
        )  # fmt: skip
        for i, rid in enumerate(ids)
    ]
    write_entries(client.settings.resolved_predictions_root(), entries, stem=f"{prefix}-{arm}")
    return ids


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict[str, Any]]

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def webhook_receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A real HTTP server on loopback recording the JSON bodies POSTed to it."""
    handler = type("Receiver", (_Receiver,), {"received": []})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook", handler.received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
