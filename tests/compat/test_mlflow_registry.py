"""An MLflow 3 script that logs a scikit-learn model, registers it, moves aliases (the
protected `champion` through modelward's gate) and loads it back, unchanged."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from modelward.client import Client
from modelward.server.inthread import serve_in_thread
from tests.compat.conftest import THIRD_PARTY_WARNINGS, Served

pytestmark = [pytest.mark.slow, *THIRD_PARTY_WARNINGS]


def _train() -> tuple[object, pd.DataFrame]:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"income": rng.normal(50, 10, 200), "debt": rng.normal(10, 3, 200)})
    target = (frame["income"] - 3 * frame["debt"] > 20).astype(int)
    return LogisticRegression().fit(frame, target), frame


def test_log_register_gate_and_load_back(served: Served, as_user: Callable[[str], None]) -> None:
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    model, frame = _train()
    as_user("alice")
    mlflow.set_experiment("credit")
    with mlflow.start_run() as run:
        mlflow.log_param("C", 1.0)
        info = mlflow.sklearn.log_model(model, name="model", input_example=frame.head(5))
    version = mlflow.register_model(info.model_uri, "credit-mlflow")
    assert version.version == "1"

    client = MlflowClient()
    client.set_registered_model_alias("credit-mlflow", "challenger", "1")
    assert client.get_model_version_by_alias("credit-mlflow", "challenger").version == "1"
    with pytest.raises(MlflowException) as refused:
        client.set_registered_model_alias("credit-mlflow", "champion", "1")
    assert refused.value.error_code == "INVALID_STATE"
    assert "assessment" in refused.value.message and "risk_manager" in refused.value.message

    # a validator validates it in her own process (it is a pickle: the server never loads it)
    holdout = frame.assign(default=model.predict(frame))  # type: ignore[attr-defined]
    vera = Client(served.settings.model_copy(update={"user": "vera"}))
    try:
        validated = vera.validation.validate("models:/credit-mlflow/1", holdout, target="default")
        assert validated.record.passed
    finally:
        vera.close()
    # the second line governs through modelward's own API, as it would for any model
    with served.http("rita") as http:
        assessed = http.post(
            "/api/v1/governance/models/credit-mlflow/assessment",
            json={"likelihood": 1, "severity": 2, "rationale": "internal triage aid"},
        )
        assert assessed.status_code == 201, assessed.text
        signed = http.post(
            "/api/v1/governance/models/credit-mlflow/versions/1/sign-offs",
            json={"role": "risk_manager", "decision": "approve", "comment": "fine"},
        )
        assert signed.status_code == 201, signed.text
    client.set_registered_model_alias("credit-mlflow", "champion", "1")
    champion = client.get_model_version_by_alias("credit-mlflow", "champion")
    assert champion.version == "1" and champion.run_id == run.info.run_id

    # loaded back through the MLflow client, from the bytes modelward stores (hash-verified)
    loaded = mlflow.pyfunc.load_model("models:/credit-mlflow@champion")
    np.testing.assert_array_equal(loaded.predict(frame), model.predict(frame))  # type: ignore[attr-defined]

    with served.http("alice") as http:
        ours = http.get("/api/v1/models/credit-mlflow/versions/1").json()
        events = http.get("/api/v1/audit/events", params={"limit": 50}).json()
    assert ours["flavor"] == "sklearn"
    assert [c["name"] for c in ours["signature"]["columns"]] == ["income", "debt"]
    actions = [e["action"] for e in events]
    assert "alias.set" in actions and "promotion.gate_passed" in actions
    assert "gate.refused" in actions  # the refused attempt is on the record too

    # and modelward loads the same version itself, in the user's process
    alice = Client(served.settings)
    try:
        ours_loaded = alice.registry.load_model("models:/credit-mlflow@champion")
        np.testing.assert_array_equal(ours_loaded.predict(frame), model.predict(frame))  # type: ignore[attr-defined]
        # deployed and served by `modelward serve`, scored with MLflow's own scoring client
        alice.deployments.create(
            "credit-mlflow", model_uri="models:/credit-mlflow@champion", environment="staging"
        )
    finally:
        alice.close()
    from mlflow.pyfunc.scoring_server.client import ScoringServerClient

    from modelward.server.scoring import create_scoring_app

    app = create_scoring_app("credit-mlflow", settings=served.settings, log_predictions=False)
    with serve_in_thread(app) as url:
        host, port = url.removeprefix("http://").split(":")
        scoring = ScoringServerClient(host, int(port))
        scoring.wait_server_ready(timeout=20)
        answer = scoring.invoke(frame.head(20))
    assert answer["predictions"] == model.predict(frame.head(20)).tolist()  # type: ignore[attr-defined]


def ours_files(served: Served, model: str) -> dict[str, str]:
    """The files of version 1's MLflow model directory and their sha256, as recorded."""
    with served.http("alice") as http:
        version = http.get(f"/api/v1/models/{model}/versions/1").json()
        run = http.get(f"/api/v1/runs/{version['run_id']}").json()
    prefix = "twice/"
    return {
        a["path"].removeprefix(prefix): a["sha256"]
        for a in run["artifacts"]
        if a["path"].startswith(prefix)
    }


def test_a_pyfunc_model_registers_and_loads_back_through_mlflow(
    served: Served, as_user: Callable[[str], None]
) -> None:
    import mlflow

    class Twice(mlflow.pyfunc.PythonModel):  # type: ignore[misc, name-defined]
        def predict(self, context: object, model_input: pd.DataFrame) -> pd.Series:
            return model_input["x"] * 2

    as_user("alice")
    mlflow.set_experiment("custom")
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    with mlflow.start_run():
        info = mlflow.pyfunc.log_model(name="twice", python_model=Twice(), input_example=frame)
    version = mlflow.register_model(info.model_uri, "twice")
    loaded = mlflow.pyfunc.load_model(f"models:/twice/{version.version}")
    assert list(loaded.predict(frame)) == [2.0, 4.0, 6.0]
    with served.http("alice") as http:
        ours = http.get("/api/v1/models/twice/versions/1").json()
    # recorded from its MLmodel file; modelward itself does not load MLflow's pyfunc models
    assert ours["flavor"] == "mlflow.pyfunc"
    files = ours_files(served, "twice")
    assert ours["artifact_sha256"] == files["python_model.pkl"]
    assert ours["signature"]["columns"] == [{"name": "x", "type": "float"}]
