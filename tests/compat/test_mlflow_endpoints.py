"""Which MLflow endpoints modelward answers, and that every MLflow write refuses a viewer.

The MLflow routes are not in the OpenAPI document (tests/security derives its writes from
there), so the writes are derived here from the routes themselves: a new MLflow write without
an entry in `request_for` fails this suite.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.routing import APIRoute

from modelward.server import mlflow as mlflow_face
from modelward.server.mlflow import artifacts, multipart, registry, tracking
from tests.compat.conftest import THIRD_PARTY_WARNINGS, Served

pytestmark = [pytest.mark.slow, *THIRD_PARTY_WARNINGS]
API = "/api/2.0/mlflow"

# MLflow endpoints modelward does not implement: each answers 404 ENDPOINT_NOT_FOUND.
# (docs/coming-from-mlflow.md lists them with the reason.)
UNSUPPORTED = [
    ("POST", f"{API}/runs/log-model"),
    ("GET", f"{API}/metrics/get-history-bulk-interval"),
    ("DELETE", f"{API}/logged-models/m-0"),
    ("POST", f"{API}/registered-models/rename"),
    ("POST", f"{API}/traces"),
    ("POST", "/api/3.0/mlflow/traces"),
]
# POSTs that only read
READS = {
    ("POST", f"{API}/runs/search"),
    ("POST", f"{API}/experiments/search"),
    ("POST", f"{API}/registered-models/search"),
    ("POST", f"{API}/model-versions/search"),
    ("POST", f"{API}/registered-models/get-latest-versions"),
    ("POST", f"{API}/logged-models/search"),
}

# Writes authorized by a signed URL, not by the caller's identity (MLflow sends no credentials
# with them): see test_multipart_part_urls_need_their_signature.
SIGNED = {("PUT", f"{mlflow_face.ARTIFACTS_PREFIX}/mpu/part/{{upload_id}}/{{part}}")}


def test_unsupported_endpoints_answer_endpoint_not_found(served: Served) -> None:
    with served.http("alice") as http:
        for method, path in UNSUPPORTED:
            response = http.request(method, path, json={})
            if path.startswith("/api/3.0"):  # outside the MLflow face: our own 404
                assert response.status_code == 404
                continue
            assert response.status_code == 404, (method, path, response.text)
            body = response.json()
            assert body["error_code"] == "ENDPOINT_NOT_FOUND", (method, path)
            assert "Coming from MLflow" in body["message"]


def test_missing_or_bad_tokens_are_mlflow_errors(served: Served) -> None:
    import httpx

    answer = httpx.get(f"{served.url}{API}/experiments/get-by-name?experiment_name=x")
    assert answer.status_code == 401 and answer.json()["error_code"] == "UNAUTHENTICATED"
    with served.http("alice") as http:
        bad = http.post(f"{API}/runs/log-metric", json={"run_id": "x"})
    assert bad.status_code == 400 and bad.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def mlflow_writes() -> list[tuple[str, str]]:
    """Every write route of the MLflow face (under /api/2.0; /ajax-api mirrors it)."""
    routers = [(API, r) for r in (tracking.router, artifacts.models, registry.router)]
    routers.append((mlflow_face.ARTIFACTS_PREFIX, artifacts.proxy))
    routers.append((mlflow_face.ARTIFACTS_PREFIX, multipart.router))
    found = set()
    for prefix, router in routers:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            for method in route.methods:
                key = (method, prefix + route.path)
                write = method in ("POST", "PUT", "PATCH", "DELETE")
                if write and key not in READS and key not in SIGNED:
                    found.add(key)
    return sorted(found)


def request_for(method: str, path: str, seeded: dict[str, str]) -> dict[str, Any]:
    """A well-formed request for each MLflow write, so that only permission can refuse it.

    Raises:
        KeyError: an MLflow write with no entry; add one.
    """
    run, model_id, exp = seeded["run_id"], seeded["model_id"], seeded["experiment_id"]
    table: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", f"{API}/experiments/create"): {"json": {"name": "stolen"}},
        ("POST", f"{API}/runs/create"): {"json": {"experiment_id": seeded["experiment_id"]}},
        ("POST", f"{API}/runs/update"): {"json": {"run_id": run, "status": "KILLED"}},
        ("POST", f"{API}/runs/log-metric"): {
            "json": {"run_id": run, "key": "m", "value": 1, "timestamp": 1, "step": 0}
        },
        ("POST", f"{API}/runs/log-parameter"): {"json": {"run_id": run, "key": "p", "value": "v"}},
        ("POST", f"{API}/runs/set-tag"): {"json": {"run_id": run, "key": "t", "value": "v"}},
        ("POST", f"{API}/runs/log-batch"): {
            "json": {"run_id": run, "params": [{"key": "p", "value": "v"}]}
        },
        ("POST", f"{API}/runs/log-inputs"): {
            "json": {"run_id": run, "datasets": [{"dataset": {"name": "d", "digest": "x"}}]}
        },
        ("POST", f"{API}/runs/outputs"): {
            "json": {"run_id": run, "models": [{"model_id": model_id, "step": 0}]}
        },
        ("POST", f"{API}/logged-models"): {"json": {"source_run_id": run, "name": "other"}},
        ("PATCH", f"{API}/logged-models/{{model_id}}"): {"json": {"status": "READY"}},
        ("PATCH", f"{API}/logged-models/{{model_id}}/tags"): {
            "json": {"tags": [{"key": "k", "value": "v"}]}
        },
        ("POST", f"{API}/logged-models/{{model_id}}/params"): {
            "json": {"params": [{"key": "k", "value": "v"}]}
        },
        ("POST", f"{API}/registered-models/create"): {"json": {"name": "stolen"}},
        ("POST", f"{API}/model-versions/create"): {
            "json": {"name": "sec-model", "source": f"models:/{model_id}"}
        },
        ("POST", f"{API}/registered-models/alias"): {
            "json": {"name": "sec-model", "alias": "champion", "version": "1"}
        },
        ("DELETE", f"{API}/registered-models/alias"): {
            "params": {"name": "sec-model", "alias": "challenger"}
        },
        ("PUT", "/api/2.0/mlflow-artifacts/artifacts/{path:path}"): {"content": b"notes"},
        ("POST", f"{API}/experiments/update"): {"json": {"experiment_id": exp, "new_name": "x"}},
        ("POST", f"{API}/experiments/delete"): {"json": {"experiment_id": exp}},
        ("POST", f"{API}/experiments/restore"): {"json": {"experiment_id": exp}},
        ("POST", f"{API}/experiments/set-experiment-tag"): {
            "json": {"experiment_id": exp, "key": "k", "value": "v"}
        },
        ("POST", f"{API}/experiments/delete-experiment-tag"): {
            "json": {"experiment_id": exp, "key": "team"}
        },
        ("POST", f"{API}/runs/delete"): {"json": {"run_id": run}},
        ("POST", f"{API}/runs/restore"): {"json": {"run_id": run}},
        ("POST", f"{API}/runs/delete-tag"): {"json": {"run_id": run, "key": "t"}},
        ("PATCH", f"{API}/registered-models/update"): {
            "json": {"name": "sec-model", "description": "stolen"}
        },
        ("DELETE", f"{API}/registered-models/delete"): {"json": {"name": "sec-model"}},
        ("POST", f"{API}/registered-models/set-tag"): {
            "json": {"name": "sec-model", "key": "k", "value": "v"}
        },
        ("DELETE", f"{API}/registered-models/delete-tag"): {
            "json": {"name": "sec-model", "key": "team"}
        },
        ("PATCH", f"{API}/model-versions/update"): {
            "json": {"name": "sec-model", "version": "1", "description": "stolen"}
        },
        ("DELETE", f"{API}/model-versions/delete"): {"json": {"name": "sec-model", "version": "1"}},
        ("POST", f"{API}/model-versions/set-tag"): {
            "json": {"name": "sec-model", "version": "1", "key": "k", "value": "v"}
        },
        ("DELETE", f"{API}/model-versions/delete-tag"): {
            "json": {"name": "sec-model", "version": "1", "key": "team"}
        },
        ("POST", f"{API}/model-versions/transition-stage"): {
            "json": {"name": "sec-model", "version": "1", "stage": "Production"}
        },
        ("POST", "/api/2.0/mlflow-artifacts/mpu/create/{path:path}"): {
            "json": {"path": "big.bin", "num_parts": 2}
        },
        ("POST", "/api/2.0/mlflow-artifacts/mpu/complete/{path:path}"): {
            "json": {"path": "big.bin", "upload_id": "u" * 32, "parts": []}
        },
        ("POST", "/api/2.0/mlflow-artifacts/mpu/abort/{path:path}"): {
            "json": {"path": "big.bin", "upload_id": "u" * 32}
        },
    }
    spec = dict(table[(method, path)])
    spec["url"] = path.replace("{model_id}", model_id).replace(
        "{path:path}", f"{seeded['experiment_id']}/{run}/artifacts/notes.txt"
    )
    return spec


def test_every_mlflow_write_refuses_a_viewer(
    served: Served, as_user: Callable[[str], None]
) -> None:
    import mlflow
    from mlflow import MlflowClient
    from sklearn.dummy import DummyClassifier

    as_user("alice")
    experiment_id = mlflow.set_experiment("secured").experiment_id
    with mlflow.start_run() as done:
        info = mlflow.sklearn.log_model(DummyClassifier().fit([[0], [1]], [0, 1]), name="model")
    mlflow.register_model(info.model_uri, "sec-model")
    MlflowClient().set_registered_model_alias("sec-model", "challenger", "1")
    MlflowClient().set_registered_model_tag("sec-model", "team", "risk")
    MlflowClient().set_model_version_tag("sec-model", "1", "team", "risk")
    MlflowClient().set_experiment_tag(experiment_id, "team", "risk")
    open_run = MlflowClient().create_run(experiment_id, tags={"t": "v"})
    seeded = {
        "run_id": open_run.info.run_id,
        "experiment_id": experiment_id,
        "model_id": info.model_id,
    }
    writes = mlflow_writes()
    assert len(writes) >= 18
    missing = []
    for write in writes:
        try:
            request_for(*write, seeded)
        except KeyError:
            missing.append(write)
    assert not missing, f"add these MLflow writes to request_for() and check them: {missing}"

    def state() -> Any:
        client = MlflowClient()
        run = client.get_run(open_run.info.run_id)
        versions = client.search_model_versions("name = 'sec-model'")
        return (
            run.info.status,
            run.data.params,
            run.data.metrics,
            run.data.tags,
            len(run.inputs.dataset_inputs),
            [(v.version, sorted(v.aliases), v.tags, v.description) for v in versions],
            [(m.name, m.tags, m.description) for m in client.search_registered_models()],
            [(e.name, e.tags, e.lifecycle_stage) for e in client.search_experiments()],
            run.info.lifecycle_stage,
            client.get_run(done.info.run_id).info.status,
        )

    before = state()
    with served.http("victor") as http:
        answers = {w: http.request(w[0], **request_for(*w, seeded)) for w in writes}
    wrong = {w: (a.status_code, a.text[:200]) for w, a in answers.items() if a.status_code != 403}
    assert not wrong, f"a viewer was not refused with 403: {wrong}"
    assert all(a.json()["error_code"] == "PERMISSION_DENIED" for a in answers.values())
    assert state() == before
    with served.http("alice") as http:
        events = http.get("/api/v1/audit/events", params={"limit": 500}).json()
        assert http.get("/api/v1/audit/verify").json()["ok"] is True
    refused = [e for e in events if e["action"] == "access.denied" and e["actor"] == "victor"]
    assert len(refused) >= len(writes)


def test_multipart_part_urls_need_their_signature(served: Served) -> None:
    """A part's URL is its own authorization (MLflow PUTs parts without credentials): a URL
    with a wrong or expired signature is refused, and nothing is written."""
    import httpx

    part = f"{served.url}/api/2.0/mlflow-artifacts/mpu/part/{'u' * 32}/1"
    for query in ({"expires": "9999999999", "signature": "0" * 64}, {}):
        answer = httpx.put(part, params=query, content=b"x" * 10)
        assert answer.status_code == 403, answer.text
        assert answer.json()["error_code"] == "PERMISSION_DENIED"
    assert not (served.settings.home / "mlflow-uploads" / ("u" * 32)).exists()


def test_basic_auth_takes_the_user_and_token_as_sign_in_does(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MLFLOW_TRACKING_USERNAME/PASSWORD: modelward users have no passwords; the password is
    the user's API token, and it must be that user's."""
    import httpx
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    monkeypatch.delenv("MLFLOW_TRACKING_TOKEN", raising=False)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", served.url)
    mlflow.set_tracking_uri(served.url)
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "alice")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", served.team.tokens["alice"])
    made = MlflowClient().create_experiment("basic-auth")
    run = MlflowClient().create_run(made)
    assert run.info.user_id == "alice"

    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "victor")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", served.team.tokens["victor"])
    assert MlflowClient().get_experiment(made).name == "basic-auth"
    with pytest.raises(MlflowException) as viewer:
        MlflowClient().create_experiment("basic-auth-2")
    assert viewer.value.error_code == "PERMISSION_DENIED"

    url = f"{served.url}{API}/experiments/get?experiment_id={made}"
    for user, token in (
        ("victor", served.team.tokens["alice"]),  # another user's token
        ("alice", "not-a-token"),
        ("alice", ""),
    ):
        answer = httpx.get(url, auth=(user, token))
        assert answer.status_code == 401, (user, answer.text)
        assert answer.json()["error_code"] == "UNAUTHENTICATED"
    garbled = httpx.get(url, headers={"Authorization": "Basic %%%"})
    assert garbled.status_code == 401


def test_ids_beyond_the_stores_range_are_client_errors(served: Served) -> None:
    """An id or version no INTEGER column can hold names nothing: 404 or 400, never a 500."""
    huge = "99999999999999999999999"
    with served.http("alice") as http:
        for method, path, body in [
            ("GET", f"{API}/experiments/get?experiment_id={huge}", None),
            ("POST", f"{API}/runs/create", {"experiment_id": huge}),
            ("POST", f"{API}/experiments/delete", {"experiment_id": huge}),
            ("GET", f"{API}/model-versions/get?name=m&version={huge}", None),
        ]:
            answer = http.request(method, path, json=body)
            assert answer.status_code in (400, 404), (path, answer.text)
            assert answer.json()["error_code"] in (
                "RESOURCE_DOES_NOT_EXIST",
                "INVALID_PARAMETER_VALUE",
            ), (path, answer.text)
