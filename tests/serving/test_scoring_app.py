"""The scoring service over a real uvicorn server on loopback: shapes, errors, routing, kill
switch, live configuration changes, metrics and the prediction log."""

from __future__ import annotations

import math
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest

from modelward.client import Client
from modelward.store.predictions import count_predictions, read_predictions
from tests.serving.conftest import RECORD, app_for
from tests.serving.server import serve_in_thread, wait_for

# Every test talks to a real uvicorn server on loopback: end to end, so slow.
pytestmark = pytest.mark.slow

ROWS = [RECORD, {"income": 31_000.0, "debt": 15_000.0, "age": 23}]


@pytest.fixture
def http(workspace: Client) -> Iterator[httpx.Client]:
    with serve_in_thread(app_for(workspace)) as url, httpx.Client(base_url=url) as client:
        yield client


def log_root(workspace: Client) -> str:
    return str(workspace.settings.resolved_predictions_dir())


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(ROWS, id="records"),
        pytest.param({k: [r[k] for r in ROWS] for k in RECORD}, id="columns"),
        pytest.param(
            {
                "dataframe_split": {
                    "columns": list(RECORD),
                    "data": [list(r.values()) for r in ROWS],
                }
            },
            id="dataframe_split",
        ),
        pytest.param({"dataframe_records": ROWS}, id="dataframe_records"),
        pytest.param(
            {
                "dataframe_split": {
                    "columns": ["age", "debt", "income"],
                    "data": [[r["age"], r["debt"], r["income"]] for r in ROWS],
                }
            },
            id="split-other-order",
        ),
        pytest.param([{**r, "extra": "ignored"} for r in ROWS], id="extra-fields"),
    ],
)
def test_predict_accepts_every_shape(http: httpx.Client, body: object) -> None:
    response = http.post("/predict", json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert len(answer["predictions"]) == 2 and answer["classes"] == [0, 1]
    assert all(math.isclose(sum(p), 1.0) for p in answer["probabilities"])
    assert (answer["version"], answer["arm"], answer["model"]) == (1, "champion", "credit-risk")
    assert answer["request_id"] == response.headers["x-request-id"]


def test_same_answers_in_every_shape_and_one_record(http: httpx.Client) -> None:
    by_records = http.post("/predict", json=ROWS).json()["probabilities"]
    by_split = http.post(
        "/predict",
        json={
            "dataframe_split": {"columns": list(RECORD), "data": [list(r.values()) for r in ROWS]}
        },
    ).json()["probabilities"]
    # One row and many rows go through different BLAS kernels, which may sum the dot product in
    # another order: the probabilities then differ in the last bit or two on some x86-64 CPUs
    # (0.6080350168099437 vs ...438). rtol 1e-12 is a few thousand ulps: far above that noise,
    # far below any real difference in answers.
    np.testing.assert_allclose(by_split, by_records, rtol=1e-12, atol=1e-15)
    one = http.post("/predict", json=RECORD).json()["probabilities"]
    np.testing.assert_allclose(one, by_records[:1], rtol=1e-12, atol=1e-15)


def test_client_request_id_is_kept_and_logged(workspace: Client, http: httpx.Client) -> None:
    response = http.post("/predict", json=[RECORD], headers={"X-Request-ID": "order-77"})
    assert response.json()["request_id"] == "order-77"
    wait_for(lambda: count_predictions(log_root(workspace), "credit-scoring") >= 1)
    logged = read_predictions(log_root(workspace), "credit-scoring")
    row = logged.iloc[0]
    assert (row["request_id"], row["version"], row["arm"]) == ("order-77", 1, "champion")
    assert row["in_income"] == 52_000.0 and len(row["probabilities"]) == 2


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            {"dataframe_split": {"columns": list(RECORD), "data": [list(RECORD.values())]}},
            id="split",
        ),
        pytest.param({"dataframe_records": [RECORD]}, id="records"),
        pytest.param({"instances": [RECORD]}, id="instances"),
        pytest.param({"inputs": {k: [v] for k, v in RECORD.items()}}, id="inputs"),
    ],
)
def test_mlflow_invocations(http: httpx.Client, body: object) -> None:
    response = http.post("/invocations", json=body)
    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": [0]}
    assert http.get("/ping").status_code == 200


def test_invocations_needs_exactly_one_field(http: httpx.Client) -> None:
    both = {"dataframe_records": [RECORD], "instances": [RECORD]}
    response = http.post("/invocations", json=both)
    assert response.status_code == 400  # MLflow's status and body on /invocations
    assert response.json()["error_code"] == "BAD_REQUEST"
    assert "exactly one" in response.json()["message"]


def test_422_lists_every_bad_field(http: httpx.Client) -> None:
    response = http.post("/predict", json=[{"income": "lots", "age": 40.5}])
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert len(error["problems"]) == 3
    for fragment in ("'debt'", "'income' row 0 must be float", "'age' must hold whole numbers"):
        assert fragment in error["message"]


@pytest.mark.parametrize(
    ("content", "headers", "status", "fragment"),
    [
        pytest.param(b'[{"income": 1,', {}, 422, "not valid JSON", id="malformed-json"),
        pytest.param(b"[]", {}, 422, "no rows", id="empty-list"),
        pytest.param(b'[{"income": NaN, "debt": 1, "age": 3}]', {}, 422, "NaN", id="nan-literal"),
        pytest.param(
            b'[{"income": 1e999, "debt": 1, "age": 3}]', {}, 422, "infinity", id="infinity"
        ),
        pytest.param(
            b'[{"income": null, "debt": 1, "age": 3}]', {}, 422, "missing values", id="null"
        ),
        pytest.param(b'"hello"', {}, 422, "list of records", id="not-a-table"),
        pytest.param(b'[{"income": [1, 2], "debt": 1, "age": 3}]', {}, 422, "income", id="nested"),
        pytest.param(
            b"income=1",
            {"content-type": "application/x-www-form-urlencoded"},
            415,
            "Content-Type: application/json",
            id="form",
        ),
    ],
)
def test_bad_input_is_4xx_with_a_fix(
    http: httpx.Client, content: bytes, headers: dict, status: int, fragment: str
) -> None:
    headers = {"content-type": "application/json", **headers}
    response = http.post("/predict", content=content, headers=headers)
    assert response.status_code == status, response.text
    assert fragment in response.json()["error"]["message"]
    assert http.post("/predict", json=[RECORD]).status_code == 200  # still serving


def test_oversized_body_is_413(workspace: Client) -> None:
    workspace.deployments.create(
        "small", model_uri="models:/credit-risk/1", environment="dev", max_body_bytes=2048
    )
    with serve_in_thread(app_for(workspace, "small")) as url:
        response = httpx.post(f"{url}/predict", json=[RECORD] * 100)
        chunked = httpx.post(
            f"{url}/predict",
            content=iter([b"[", b",".join([httpx.Response(200, json=RECORD).content] * 100), b"]"]),
            headers={"content-type": "application/json"},
        )
    for answer in (response, chunked):
        assert answer.status_code == 413
        assert "limit of 2048" in answer.json()["error"]["message"]


def test_unseen_categories_follow_the_deployment_setting(workspace: Client) -> None:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    from tests.builders import applicants

    frame = applicants()
    features = frame[["region"]].astype("category")
    model = make_pipeline(OneHotEncoder(handle_unknown="ignore"), _logistic()).fit(
        features, frame["default"]
    )
    with workspace.start_run("regions") as run:
        run.log_model(model, "model", input_example=features.head(5))
    workspace.registry.register(run.id, name="by-region")
    workspace.deployments.create(
        "strict", model_uri="models:/by-region/1", environment="dev", unseen_categories="reject"
    )
    with serve_in_thread(app_for(workspace, "strict")) as url:
        known = httpx.post(f"{url}/predict", json=[{"region": "north"}])
        unseen = httpx.post(f"{url}/predict", json=[{"region": "mars"}])
    assert known.status_code == 200
    assert unseen.status_code == 422 and "unseen categories ['mars']" in unseen.text


def _logistic() -> object:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression()


def test_kill_switch_503_then_fallback_then_revive(workspace: Client, http: httpx.Client) -> None:
    workspace.deployments.kill("credit-scoring", reason="incident")
    wait_for(lambda: http.post("/predict", json=[RECORD]).status_code == 503)
    refused = http.post("/predict", json=[RECORD])
    error = refused.json()["error"]
    assert error["code"] == "deployment_disabled" and "modelward deploy revive" in error["message"]
    assert refused.headers["retry-after"] == "30"  # the engine decides; the face only renders
    assert http.get("/health").json()["status"] == "disabled"
    workspace.deployments.revive("credit-scoring")
    workspace.deployments.kill("credit-scoring", fallback="manual-review")
    wait_for(lambda: http.post("/predict", json=[RECORD]).status_code == 200)
    answer = http.post("/predict", json=ROWS).json()
    assert answer["predictions"] == ["manual-review"] * 2 and answer["arm"] == "fallback"
    assert answer["version"] is None and "probabilities" not in answer
    mlflow = http.post("/invocations", json={"dataframe_records": ROWS}).json()
    assert mlflow == {"predictions": ["manual-review"] * 2}
    workspace.deployments.revive("credit-scoring")
    wait_for(lambda: http.post("/predict", json=[RECORD]).json()["arm"] == "champion")


def test_promotion_and_rollback_without_restart(workspace: Client, http: httpx.Client) -> None:
    deploy = workspace.deployments
    deploy.set_challenger("credit-scoring", 2, strategy="bluegreen")
    deploy.promote("credit-scoring")
    wait_for(lambda: http.post("/predict", json=[RECORD]).json()["version"] == 2)
    assert http.get("/health").json()["versions"] == [1, 2]  # blue stays loaded
    deploy.rollback("credit-scoring")
    wait_for(lambda: http.post("/predict", json=[RECORD]).json()["version"] == 1)


def test_shadow_logs_both_arms_and_answers_with_the_champion(
    workspace: Client, http: httpx.Client
) -> None:
    workspace.deployments.set_challenger("credit-scoring", 2, strategy="shadow")
    wait_for(lambda: http.get("/health").json()["strategy"] == "shadow")
    answers = [http.post("/predict", json=ROWS).json() for _ in range(10)]
    assert {(a["version"], a["arm"]) for a in answers} == {(1, "champion")}
    wait_for(lambda: count_predictions(log_root(workspace), "credit-scoring") >= 40)
    logged = read_predictions(log_root(workspace), "credit-scoring")
    by_arm = logged.groupby("arm")["version"].agg(["min", "count"]).to_dict("index")
    assert by_arm == {"champion": {"min": 1, "count": 20}, "shadow": {"min": 2, "count": 20}}
    shadowed = set(logged.loc[logged["arm"] == "shadow", "request_id"])
    assert shadowed == {a["request_id"] for a in answers}


def test_canary_split_and_metrics(workspace: Client, http: httpx.Client) -> None:
    workspace.deployments.set_challenger("credit-scoring", 2, strategy="canary", share=0.3)
    wait_for(lambda: http.get("/health").json()["strategy"] == "canary")
    arms = [http.post("/predict", json=[RECORD]).json()["arm"] for _ in range(300)]
    assert 0.2 < arms.count("challenger") / len(arms) < 0.4
    http.post("/predict", json=[])
    metrics = http.get("/metrics").text
    assert (
        'modelward_requests_total{arm="challenger",deployment="credit-scoring",version="2"}'
        in metrics
    )
    assert "modelward_request_latency_seconds_bucket" in metrics
    assert 'modelward_errors_total{code="invalid_input",deployment="credit-scoring"} 1.0' in metrics


def test_ab_is_sticky_by_the_key_field(workspace: Client, http: httpx.Client) -> None:
    workspace.deployments.set_challenger(
        "credit-scoring", 2, strategy="ab", share=0.5, ab_key="customer"
    )
    wait_for(lambda: http.get("/health").json()["strategy"] == "ab")
    for customer in ("c1", "c2", "c3", "c4"):
        arms = {
            http.post("/predict", json=[{**RECORD, "customer": customer}]).json()["arm"]
            for _ in range(5)
        }
        assert len(arms) == 1


def test_graceful_stop_flushes_the_log(workspace: Client) -> None:
    settings = workspace.settings.model_copy(update={"predictions_flush_seconds": 60.0})
    from modelward.server.scoring import create_scoring_app

    with serve_in_thread(create_scoring_app("credit-scoring", settings=settings)) as url:
        for _ in range(25):
            assert httpx.post(f"{url}/predict", json=ROWS).status_code == 200
        assert count_predictions(log_root(workspace), "credit-scoring") == 0  # still queued
    assert count_predictions(log_root(workspace), "credit-scoring") == 50


def test_load_every_request_answered_and_logged(workspace: Client, http: httpx.Client) -> None:
    def send(worker: int) -> list[int]:
        with httpx.Client(base_url=str(http.base_url)) as own:
            return [
                own.post(
                    "/predict", json=[RECORD], headers={"X-Request-ID": f"w{worker}-{i}"}
                ).status_code
                for i in range(100)
            ]

    with ThreadPoolExecutor(8) as pool:
        statuses = [s for batch in pool.map(send, range(8)) for s in batch]
    assert statuses == [200] * 800
    wait_for(lambda: count_predictions(log_root(workspace), "credit-scoring") == 800)
    logged = read_predictions(log_root(workspace), "credit-scoring")
    assert logged["request_id"].nunique() == 800
