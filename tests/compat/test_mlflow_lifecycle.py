"""MLflow scripts that tidy up: rename, tag, delete and restore experiments and runs; describe,
tag and delete registered models and versions (under governance); large artifacts in parts."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from modelward.client import Client
from tests.compat.conftest import THIRD_PARTY_WARNINGS, Served
from tests.compat.test_mlflow_registry import _train

pytestmark = [pytest.mark.slow, *THIRD_PARTY_WARNINGS]


def test_experiments_rename_tag_delete_and_restore(
    served: Served, as_user: Callable[[str], None]
) -> None:
    from mlflow import MlflowClient
    from mlflow.entities import ViewType
    from mlflow.exceptions import MlflowException

    as_user("alice")
    client = MlflowClient()
    experiment_id = client.create_experiment("tidy-before")
    run = client.create_run(experiment_id)
    client.set_experiment_tag(experiment_id, "team", "credit")
    client.set_experiment_tag(experiment_id, "scratch", "yes")
    client.delete_experiment_tag(experiment_id, "scratch")
    assert client.get_experiment(experiment_id).tags == {"team": "credit"}

    client.rename_experiment(experiment_id, "tidy")
    assert client.get_experiment_by_name("tidy").experiment_id == experiment_id
    assert client.get_experiment_by_name("tidy-before") is None
    assert client.get_run(run.info.run_id).info.experiment_id == experiment_id

    client.delete_experiment(experiment_id)
    assert client.get_experiment(experiment_id).lifecycle_stage == "deleted"
    assert "tidy" not in [e.name for e in client.search_experiments()]
    deleted = client.search_experiments(view_type=ViewType.DELETED_ONLY)
    assert [e.name for e in deleted] == ["tidy"]
    assert "tidy" in [e.name for e in client.search_experiments(view_type=ViewType.ALL)]
    # its runs went with it, and take no new runs or values
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "deleted"
    assert client.search_runs([experiment_id]) == []
    with pytest.raises(MlflowException) as refused:
        client.create_run(experiment_id)
    assert refused.value.error_code == "INVALID_STATE" and "restore" in refused.value.message
    with pytest.raises(MlflowException):
        client.log_metric(run.info.run_id, "m", 1.0)

    client.restore_experiment(experiment_id)
    assert client.get_experiment(experiment_id).lifecycle_stage == "active"
    assert [r.info.run_id for r in client.search_runs([experiment_id])] == [run.info.run_id]
    client.log_metric(run.info.run_id, "m", 1.0)

    with pytest.raises(MlflowException) as default:
        client.delete_experiment("0")
    assert default.value.error_code in ("INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST")

    with served.http("alice") as http:
        events = http.get("/api/v1/audit/events", params={"limit": 100}).json()
    actions = {e["action"] for e in events if e["entity_id"] == experiment_id}
    assert {"experiment.renamed", "experiment.deleted", "experiment.restored"} <= actions
    assert {"experiment.tag_set", "experiment.tag_deleted"} <= actions


def test_runs_delete_restore_and_delete_tag(served: Served, as_user: Callable[[str], None]) -> None:
    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import ViewType
    from mlflow.exceptions import MlflowException

    as_user("alice")
    experiment_id = mlflow.set_experiment("runs-lifecycle").experiment_id
    client = MlflowClient()
    kept = client.create_run(experiment_id, tags={"keep": "yes", "drop": "me"}).info.run_id
    gone = client.create_run(experiment_id).info.run_id
    client.delete_tag(kept, "drop")
    assert "drop" not in client.get_run(kept).data.tags
    with pytest.raises(MlflowException) as missing:
        client.delete_tag(kept, "drop")
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"

    client.delete_run(gone)
    assert client.get_run(gone).info.lifecycle_stage == "deleted"

    def found(view: int) -> set[str]:
        return {r.info.run_id for r in client.search_runs([experiment_id], run_view_type=view)}

    assert found(ViewType.ACTIVE_ONLY) == {kept}
    assert found(ViewType.DELETED_ONLY) == {gone}
    assert found(ViewType.ALL) == {kept, gone}
    assert {r.info.run_id for r in mlflow.search_runs([experiment_id], output_format="list")} == {
        kept
    }
    with pytest.raises(MlflowException) as ended:
        client.log_param(gone, "p", "v")
    assert ended.value.error_code == "INVALID_STATE"

    client.restore_run(gone)
    assert found(ViewType.ACTIVE_ONLY) == {kept, gone}
    client.log_param(gone, "p", "v")

    # someone else's run is not hers to delete
    as_user("vera")
    with pytest.raises(MlflowException) as refused:
        MlflowClient().delete_run(kept)
    assert refused.value.error_code == "PERMISSION_DENIED"
    as_user("alice")
    assert client.get_run(kept).info.lifecycle_stage == "active"


def _register(name: str) -> tuple[str, str]:
    """A logged and registered scikit-learn model: (run id, version)."""
    import mlflow

    model, frame = _train()
    with mlflow.start_run() as run:
        info = mlflow.sklearn.log_model(model, name="model", input_example=frame.head(5))
    return run.info.run_id, mlflow.register_model(info.model_uri, name).version


def test_models_and_versions_describe_tag_and_delete_under_governance(
    served: Served, as_user: Callable[[str], None]
) -> None:
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    as_user("alice")
    mlflow.set_experiment("registry-lifecycle")
    client = MlflowClient()
    first_run, first = _register("tidy-model")
    _, second = _register("tidy-model")
    assert (first, second) == ("1", "2")

    client.update_registered_model("tidy-model", description="credit scoring")
    client.set_registered_model_tag("tidy-model", "team", "credit")
    client.set_registered_model_tag("tidy-model", "scratch", "x")
    client.delete_registered_model_tag("tidy-model", "scratch")
    model = client.get_registered_model("tidy-model")
    assert (model.description, model.tags) == ("credit scoring", {"team": "credit"})

    client.update_model_version("tidy-model", "2", description="retrained")
    client.set_model_version_tag("tidy-model", "2", "validated", "no")
    client.set_model_version_tag("tidy-model", "2", "scratch", "x")
    client.delete_model_version_tag("tidy-model", "2", "scratch")
    version = client.get_model_version("tidy-model", "2")
    assert (version.description, version.tags) == ("retrained", {"validated": "no"})

    with pytest.raises(MlflowException) as stages:
        client.transition_model_version_stage("tidy-model", "2", "Production")
    assert stages.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "alias" in stages.value.message

    # version 1 becomes champion through the gate: validated, assessed, signed off
    model, frame = _train()
    holdout = frame.assign(default=model.predict(frame))  # type: ignore[attr-defined]
    vera = Client(served.settings.model_copy(update={"user": "vera"}))
    try:
        assert vera.validation.validate("models:/tidy-model/1", holdout, target="default")
    finally:
        vera.close()
    with served.http("rita") as http:
        assessed = http.post(
            "/api/v1/governance/models/tidy-model/assessment",
            json={"likelihood": 1, "severity": 2, "rationale": "internal triage aid"},
        )
        assert assessed.status_code == 201, assessed.text
        signed = http.post(
            "/api/v1/governance/models/tidy-model/versions/1/sign-offs",
            json={"role": "risk_manager", "decision": "approve", "comment": "fine"},
        )
        assert signed.status_code == 201, signed.text
    client.set_registered_model_alias("tidy-model", "champion", "1")
    client.set_registered_model_alias("tidy-model", "challenger", "2")

    # the champion, and the model holding it, are not deleted
    with pytest.raises(MlflowException) as protected:
        client.delete_model_version("tidy-model", "1")
    assert protected.value.error_code == "INVALID_STATE"
    assert "champion" in protected.value.message
    with pytest.raises(MlflowException) as whole:
        client.delete_registered_model("tidy-model")
    assert whole.value.error_code == "INVALID_STATE" and "champion" in whole.value.message
    # a validator may not delete at all
    as_user("vera")
    with pytest.raises(MlflowException) as role:
        MlflowClient().delete_model_version("tidy-model", "2")
    assert role.value.error_code == "PERMISSION_DENIED"
    as_user("alice")

    client.delete_model_version("tidy-model", "2")
    assert [v.version for v in client.search_model_versions("name = 'tidy-model'")] == ["1"]
    with pytest.raises(MlflowException) as gone:
        client.get_model_version("tidy-model", "2")
    assert gone.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert client.get_registered_model("tidy-model").aliases == {"champion": "1"}
    with pytest.raises(MlflowException):
        client.get_model_version_by_alias("tidy-model", "challenger")
    _, third = _register("tidy-model")
    assert third == "3"  # numbers are not reused: the audit trail names version 2

    # deleting the run a version was registered from keeps the version and its lineage
    client.delete_run(first_run)
    champion = client.get_model_version_by_alias("tidy-model", "champion")
    assert champion.run_id == first_run
    assert client.get_run(first_run).info.lifecycle_stage == "deleted"
    loaded = mlflow.pyfunc.load_model("models:/tidy-model@champion")
    np.testing.assert_array_equal(loaded.predict(frame), model.predict(frame))  # type: ignore[attr-defined]

    # a model without protected versions is deleted; its name stays reserved
    _register("scratch-model")
    client.set_registered_model_alias("scratch-model", "challenger", "1")
    client.delete_registered_model("scratch-model")
    with pytest.raises(MlflowException) as deleted:
        client.get_registered_model("scratch-model")
    assert deleted.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert "scratch-model" not in [m.name for m in client.search_registered_models()]
    with pytest.raises(MlflowException) as reserved:
        client.create_registered_model("scratch-model")
    assert reserved.value.error_code == "RESOURCE_ALREADY_EXISTS"

    with served.http("alice") as http:
        events = http.get("/api/v1/audit/events", params={"limit": 300}).json()
        assert http.get("/api/v1/audit/verify").json()["ok"] is True
    done = {(e["action"], e["entity_id"]) for e in events}
    assert ("version.deleted", "tidy-model/2") in done
    assert ("model.deleted", "scratch-model") in done
    assert ("alias.deleted", "tidy-model@challenger") in done
    assert ("model.updated", "tidy-model") in done
    assert ("version.tag_set", "tidy-model/2") in done
    assert ("run.deleted", first_run) in done


def test_large_artifacts_upload_in_parts(
    served: Served,
    as_user: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    import mlflow
    from mlflow import MlflowClient
    from mlflow.store.artifact.http_artifact_repo import HttpArtifactRepository
    from sklearn.linear_model import LogisticRegression

    as_user("alice")
    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", "1000")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", "1024")
    completed: list[str] = []
    original = HttpArtifactRepository.complete_multipart_upload

    def spy(self, local_file, upload_id, parts=None, artifact_path=None):  # type: ignore[no-untyped-def]
        completed.append(f"{os.path.basename(local_file)}:{len(parts or [])}")
        return original(self, local_file, upload_id, parts, artifact_path)

    monkeypatch.setattr(HttpArtifactRepository, "complete_multipart_upload", spy)

    payload = np.random.default_rng(1).bytes(5000)
    big = tmp_path / "weights.bin"
    big.write_bytes(payload)
    mlflow.set_experiment("multipart")
    rng = np.random.default_rng(0)
    features = rng.normal(size=(200, 400))  # a model file of some kilobytes
    model = LogisticRegression().fit(features, features[:, 0] > 0)
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(big), artifact_path="blobs")
        info = mlflow.sklearn.log_model(model, name="model")
    assert "weights.bin:5" in completed  # 5,000 bytes in 1,024-byte parts
    assert any(c.startswith(("model.pkl:", "model.skops:")) for c in completed), completed

    client = MlflowClient()
    listed = client.list_artifacts(run.info.run_id, "blobs")
    assert [(f.path, f.file_size) for f in listed] == [("blobs/weights.bin", 5000)]
    back = client.download_artifacts(run.info.run_id, "blobs/weights.bin", str(tmp_path / "d"))
    assert Path(back).read_bytes() == payload
    loaded = mlflow.pyfunc.load_model(info.model_uri)
    np.testing.assert_array_equal(loaded.predict(features), model.predict(features))
    # nothing is left waiting once the uploads complete
    assert list((served.settings.home / "mlflow-uploads").iterdir()) == []
