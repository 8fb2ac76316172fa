"""POST /validations refuses a slice that is not a plain row condition: 422, nothing runs."""

from __future__ import annotations

import io
import json
from pathlib import Path

from modelward.client import Client
from modelward.config import Settings
from tests.builders import applicants, fitted_classifier


def test_malicious_slice_is_422_and_never_run(api, settings: Settings, tmp_path: Path) -> None:
    local = Client(settings)
    train = applicants(300)
    model, features = fitted_classifier(train)
    with local.start_run("credit") as run:
        run.log_model(model, "model", input_example=features.head())
    local.registry.register(run.id, name="credit-risk")
    local.close()
    marker = tmp_path / "pwned"
    holdout = io.BytesIO()
    applicants(200, seed=3).to_parquet(holdout, index=False)
    config = {"slices": {"evil": f"@pd.io.common.os.system('touch {marker}')"}}
    response = api.post(
        "/api/v1/validations",
        data={
            "model_uri": "models:/credit-risk/1",
            "target": "default",
            "config": json.dumps(config),
        },
        files={"file": ("data.parquet", holdout.getvalue(), "application/octet-stream")},
    )
    assert not marker.exists(), "the slice text was executed in the server"
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_input" and error["position"] == 0
    assert "Slice 'evil' expression" in error["message"]
    assert api.get("/api/v1/models/credit-risk/reports").json() == []
