"""Scoring parity with `mlflow models serve`: MLflow's own ScoringServerClient with every
payload type it sends, CSV and Parquet bodies, GET /version, and MLflow's error shape on
/invocations (modelward's own shape stays on /predict)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import httpx
import pandas as pd
import pytest

from modelward._version import __version__
from modelward.client import Client
from tests.serving.conftest import RECORD, app_for
from tests.serving.server import serve_in_thread

pytest.importorskip("mlflow", reason="the compat extra (pip install '.[compat]') is not installed")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning:mlflow.*"),
]
ROWS = pd.DataFrame([RECORD, {"income": 31_000.0, "debt": 15_000.0, "age": 23}])


@pytest.fixture
def url(workspace: Client) -> Iterator[str]:
    with serve_in_thread(app_for(workspace)) as served:
        yield served


def _expected(workspace: Client) -> list[int]:
    model = workspace.registry.load_model("models:/credit-risk@champion")
    return [int(p) for p in model.predict(ROWS)]


def test_mlflow_scoring_client_with_every_payload_type(workspace: Client, url: str) -> None:
    from mlflow.pyfunc.scoring_server.client import ScoringServerClient

    host, port = url.removeprefix("http://").split(":")
    client = ScoringServerClient(host, int(port))
    client.wait_server_ready(timeout=10)
    assert client.get_version() == __version__
    expected = _expected(workspace)
    records = ROWS.to_dict(orient="records")
    # what ScoringServerClient sends: DataFrames as dataframe_split, lists as inputs, strings
    # as they are. (A dict of arrays fails inside MLflow 3's dump_input_data itself; an
    # ndarray has no column names, which a tabular signature needs.)
    payloads = {
        "DataFrame (dataframe_split)": ROWS,
        "list of records (inputs)": records,
        "JSON string (dataframe_records)": json.dumps({"dataframe_records": records}),
        "JSON string (instances)": json.dumps({"instances": records}),
    }
    for label, data in payloads.items():
        answer = client.invoke(data)
        assert [int(p) for p in answer["predictions"]] == expected, label


def test_csv_and_parquet_bodies(workspace: Client, url: str) -> None:
    expected = _expected(workspace)
    parquet = io.BytesIO()
    ROWS.to_parquet(parquet, index=False)
    bodies = {
        "text/csv": ROWS.to_csv(index=False).encode(),
        "application/vnd.apache.parquet": parquet.getvalue(),
    }
    with httpx.Client(base_url=url) as http:
        for kind, body in bodies.items():
            answer = http.post("/invocations", content=body, headers={"content-type": kind})
            assert answer.status_code == 200, (kind, answer.text)
            assert answer.json() == {"predictions": expected}, kind
        # /predict keeps modelward's JSON-only contract and error shape
        refused = http.post(
            "/predict", content=bodies["text/csv"], headers={"content-type": "text/csv"}
        )
        assert (
            refused.status_code == 415
            and refused.json()["error"]["code"] == "unsupported_media_type"
        )


@pytest.mark.parametrize(
    ("content", "kind", "status", "fragment"),
    [
        pytest.param(b'{"nothing": 1}', "application/json", 400, "exactly one", id="no-field"),
        pytest.param(b"income,debt\n1,2\n", "text/csv", 400, "age", id="csv-missing-column"),
        pytest.param(b"not parquet", "application/vnd.apache.parquet", 400, "Parquet", id="bad"),
        pytest.param(b"x", "application/x-www-form-urlencoded", 415, "text/csv", id="form"),
    ],
)
def test_invocations_errors_are_mlflow_errors(
    url: str, content: bytes, kind: str, status: int, fragment: str
) -> None:
    with httpx.Client(base_url=url) as http:
        answer = http.post("/invocations", content=content, headers={"content-type": kind})
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["error_code"] == "BAD_REQUEST" and fragment in body["message"]
    assert set(body) == {"error_code", "message"}


def test_a_killed_deployment_is_mlflow_temporarily_unavailable(workspace: Client, url: str) -> None:
    from tests.serving.server import wait_for

    workspace.deployments.kill("credit-scoring", reason="incident")
    with httpx.Client(base_url=url) as http:
        wait_for(lambda: http.post("/invocations", json={"inputs": [RECORD]}).status_code == 503)
        body = http.post("/invocations", json={"inputs": [RECORD]}).json()
    assert body["error_code"] == "TEMPORARILY_UNAVAILABLE"
    assert "modelward deploy revive" in body["message"]
