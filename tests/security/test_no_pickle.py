"""The platform server never unpickles model bytes a client uploaded (issue #11, item 4).

The attack: upload a pickle as a run's model over the REST API, register it, and ask the
server to validate it; unpickling runs the uploader's code. Every test here goes through a
real uvicorn server and checks a marker file that the payload would create.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import re
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import skops.io
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from modelward import errors
from modelward.client import Client
from modelward.config import Settings
from modelward.registry import flavors
from modelward.server.app import create_app
from tests.builders import applicants, fitted_classifier
from tests.security.traps import TouchOnBuild, pickle_payload
from tests.server.conftest import Team, make_team
from tests.serving.server import serve_in_thread

SRC = Path(__file__).resolve().parents[2] / "src" / "modelward"


@pytest.fixture
def served(settings: Settings) -> Iterator[tuple[str, Team]]:
    """A real server over `settings` and the team's tokens."""
    team = make_team(settings)
    with serve_in_thread(create_app(settings)) as url:
        yield url, team


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    """A file that exists only if a payload ran."""
    return tmp_path / f"payload-ran-{uuid.uuid4().hex}"


def api(url: str, team: Team, user: str) -> httpx.Client:
    return httpx.Client(base_url=f"{url}/api/v1", headers=team.headers(user), timeout=30)


def remote(settings: Settings, url: str, team: Team, user: str) -> Client:
    return Client(settings.model_copy(update={"server_url": url, "token": team.tokens[user]}))


def upload_model(http: httpx.Client, data: bytes, *, name: str, **meta: Any) -> str:
    """What an attacker does with plain HTTP: a run, the bytes as a blob, a model description
    naming them, a registered version. Returns the version's URI."""
    sha = hashlib.sha256(data).hexdigest()
    run_id = http.post("/runs", json={"experiment": "uploads"}).raise_for_status().json()["id"]
    http.put(f"/blobs/{sha}", content=data).raise_for_status()
    description = {"flavor": "sklearn", "model_sha256": sha, "signature": {"columns": []}} | meta
    http.post(f"/runs/{run_id}/models", json={"name": "model", "meta": description})
    http.post(f"/models/{name}/versions", json={"run_id": run_id}).raise_for_status()
    return f"models:/{name}/1"


def validate(http: httpx.Client, uri: str, **form: str) -> httpx.Response:
    buffer = io.BytesIO()
    applicants(seed=3).to_parquet(buffer)
    files = {"file": ("data.parquet", buffer.getvalue(), "application/octet-stream")}
    return http.post(
        "/validations", data={"model_uri": uri, "target": "default"} | form, files=files
    )


def test_the_payload_is_live(marker: Path) -> None:
    """Control: the bytes the other tests upload do run code when unpickled."""
    pickle.loads(pickle_payload(marker))
    assert marker.exists()


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        pytest.param({}, "is stored as a pickle", id="no-format-recorded"),
        pytest.param({"format": "pickle"}, "is stored as a pickle", id="pickle"),
        pytest.param(
            {"flavor": "python_function", "format": "pickle"},
            "is stored as a pickle",
            id="python-function",
        ),
        pytest.param({"format": "skops"}, "not a readable skops file", id="claims-skops"),
        pytest.param({"format": "joblib"}, "records storage format 'joblib'", id="other-format"),
    ],
)
def test_an_uploaded_pickle_is_refused_and_never_run(
    served: tuple[str, Team], marker: Path, meta: dict[str, str], message: str
) -> None:
    url, team = served
    with api(url, team, "alice") as alice, api(url, team, "vera") as vera:
        uri = upload_model(alice, pickle_payload(marker), name="evil", **meta)
        refused = validate(vera, uri)
        stored = vera.get("/models/evil/versions/1/report")
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "invalid_input" and message in error["message"]
    assert "evil v1" in error["message"]
    assert stored.status_code == 404  # no report was made of it
    assert not marker.exists()


def test_the_refusal_tells_what_to_do_instead(served: tuple[str, Team], marker: Path) -> None:
    url, team = served
    with api(url, team, "alice") as alice:
        uri = upload_model(alice, pickle_payload(marker), name="churn")
        error = validate(alice, uri).json()["error"]
    assert error["message"] == (
        "Model churn v1 is stored as a pickle; the platform server does not unpickle uploaded"
        " bytes. Load and validate it in your own process instead (mw.load_model, or"
        " 'modelward validate' over a local workspace), or re-log it with a scikit-learn"
        " estimator so it is stored with skops."
    )
    assert (error["model"], error["format"]) == ("models:/churn/1", "pickle")
    assert not marker.exists()


def test_a_pickle_champion_is_not_unpickled_either(
    settings: Settings, served: tuple[str, Team], marker: Path
) -> None:
    url, team = served
    with api(url, team, "alice") as alice:
        evil = upload_model(alice, pickle_payload(marker), name="evil")
    frame = applicants()
    model, features = fitted_classifier(frame)
    scientist = remote(settings, url, team, "alice")
    with scientist.start_run("credit") as run:
        run.log_model(model, "model", input_example=features.head())
    good = scientist.registry.register(run.id, name="credit-risk")
    with pytest.raises(errors.InvalidInput, match="evil v1 is stored as a pickle"):
        scientist.validation.validate(good.uri, applicants(seed=3), target="default", against=evil)
    scientist.close()
    assert not marker.exists()


def test_a_skops_model_validates_on_the_server_as_it_does_locally(
    settings: Settings, served: tuple[str, Team]
) -> None:
    url, team = served
    frame = applicants()
    model, features = fitted_classifier(frame)
    scientist = remote(settings, url, team, "alice")
    with scientist.start_run("credit") as run:
        run.log_model(model, "model", input_example=features.head())
    version = scientist.registry.register(run.id, name="credit-risk")
    assert scientist.registry.version_meta("credit-risk", 1)["format"] == "skops"
    scientist.close()
    validator = remote(settings, url, team, "vera")
    on_server = validator.validation.validate(version.uri, applicants(seed=3), target="default")
    validator.close()
    local = Client(settings.model_copy(update={"user": "vera"}))
    in_process = local.validation.validate(version.uri, applicants(seed=3), target="default")
    local.close()
    assert on_server.record.created_by == "vera" and on_server.report.checks
    # The same scikit-learn code scores the same fitted numbers on the same rows in both
    # processes, and JSON carries floats exactly: the checks agree to the last bit.
    assert [(c.name, c.value, c.passed) for c in on_server.report.checks] == [
        (c.name, c.value, c.passed) for c in in_process.report.checks
    ]


def test_a_pickle_logged_by_the_client_is_refused_by_the_server_but_validates_locally(
    settings: Settings, served: tuple[str, Team]
) -> None:
    url, team = served
    frame = applicants()
    numbers = ["income", "debt", "age"]
    model = make_pipeline(FunctionTransformer(lambda x: x / 1000), LogisticRegression()).fit(
        frame[numbers], frame["default"]
    )
    scientist = remote(settings, url, team, "alice")
    with scientist.start_run("credit") as run:
        run.log_model(model, "model", input_example=frame[numbers].head())
    version = scientist.registry.register(run.id, name="scaled")
    assert scientist.registry.version_meta("scaled", 1)["format"] == "pickle"
    with pytest.raises(errors.InvalidInput, match="scaled v1 is stored as a pickle"):
        scientist.validation.validate(version.uri, applicants(seed=3), target="default")
    # The user's own process may unpickle what they choose to trust.
    loaded = scientist.registry.load_model(version.uri)
    assert np.array_equal(loaded.predict(frame[numbers]), model.predict(frame[numbers]))
    scientist.close()
    local = Client(settings)
    validated = local.validation.validate(version.uri, applicants(seed=3), target="default")
    local.close()
    assert validated.record.version == 1 and validated.report.checks


def skops_with_trap(marker: Path) -> bytes:
    return bytes(skops.io.dumps(TouchOnBuild(str(marker))))


def test_a_skops_file_naming_a_code_carrying_class_is_refused_by_the_server(
    served: tuple[str, Team], marker: Path
) -> None:
    url, team = served
    with api(url, team, "alice") as alice:
        uri = upload_model(alice, skops_with_trap(marker), name="trap", format="skops")
        refused = validate(alice, uri)
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert "tests.security.traps.TouchOnBuild" in error["message"]
    assert error["untrusted_types"] == ["tests.security.traps.TouchOnBuild"]
    assert not marker.exists()


def described(data: bytes) -> dict[str, Any]:
    return {
        "flavor": "sklearn",
        "format": "skops",
        "model_sha256": hashlib.sha256(data).hexdigest(),
    }


def test_a_skops_loader_that_trusted_the_trap_would_run_it(marker: Path) -> None:
    """Control: building TouchOnBuild from its skops file does run code."""
    data = skops_with_trap(marker)
    skops.io.loads(data, trusted=["tests.security.traps.TouchOnBuild"])
    assert marker.exists()


def test_load_refuses_the_trap_before_building_anything(marker: Path) -> None:
    data = skops_with_trap(marker)
    with pytest.raises(errors.InvalidInput, match=r"tests\.security\.traps\.TouchOnBuild"):
        flavors.load(described(data), data, uri="models:/trap/1", allow_pickle=True)
    assert not marker.exists()


def hand_crafted_skops(func: dict[str, Any]) -> bytes:
    """A skops file of a FunctionTransformer whose `func` node is replaced by `func`."""
    original = skops.io.dumps(FunctionTransformer(func=np.log1p))
    with zipfile.ZipFile(io.BytesIO(original)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    schema = json.loads(members["schema.json"])
    schema["content"]["content"]["func"] = func | {"__id__": 1}
    members["schema.json"] = json.dumps(schema).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("module", "name"),
    [
        pytest.param("builtins", "exec", id="builtins.exec"),
        pytest.param(os.system.__module__, "system", id="os.system"),
        pytest.param("numpy", "load", id="numpy.load"),
    ],
)
def test_a_hand_crafted_skops_file_naming_a_function_is_refused(module: str, name: str) -> None:
    data = hand_crafted_skops({"__class__": name, "__module__": module, "__loader__": "TypeNode"})
    assert skops.io.get_untrusted_types(data=data) == [f"{module}.{name}"]
    with pytest.raises(errors.InvalidInput, match=re.escape(f"{module}.{name}")) as refused:
        flavors.load(described(data), data, uri="models:/crafted/1", allow_pickle=False)
    assert refused.value.details == {"untrusted_types": [f"{module}.{name}"]}


def test_a_skops_zip_bomb_is_refused_before_it_is_read() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("schema.json", "{}")
        archive.writestr("0.npy", b"\0" * (100 * 1024 * 1024))
    data = buffer.getvalue()
    with pytest.raises(errors.InvalidInput, match="inflates to"):
        flavors.load(described(data), data, uri="models:/bomb/1", allow_pickle=False)


UNPICKLING = re.compile(
    r"pickle\.loads?\(|joblib\.load\(|cloudpickle\.loads?\(|read_pickle\(|Unpickler\("
    r"|np\.load\([^)]*allow_pickle=True|shelve\.|marshal\.loads?\(|dill\."
)


def test_only_the_model_loader_unpickles_and_only_when_allowed() -> None:
    """Nothing else in the package unpickles: a new call site must go through flavors.load."""
    found = {
        str(path.relative_to(SRC)): UNPICKLING.findall(path.read_text())
        for path in SRC.rglob("*.py")
        if UNPICKLING.search(path.read_text())
    }
    assert found == {"registry/flavors.py": ["joblib.load(", "cloudpickle.load("]}
    server_calls = [
        line.strip()
        for path in (SRC / "server").rglob("*.py")
        if path.name != "scoring.py"  # `modelward serve`: the user's deployed, governed model
        for line in path.read_text().splitlines()
        if "allow_pickle=True" in line
    ]
    assert server_calls == []
