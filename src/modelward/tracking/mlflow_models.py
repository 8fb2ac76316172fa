"""Models an MLflow client logs (`mlflow.sklearn.log_model` and other flavors), recorded as
modelward models of the run that logged them.

MLflow 3 first creates a "logged model" (an id), then uploads its directory (``MLmodel``, the
model file, environment files) through the artifacts proxy. Here the id names the run and the
model name, so nothing else needs storing: each uploaded file becomes the run artifact
``NAME/FILE``, and once both ``MLmodel`` and the model file it names are in, the run gets the
model artifact ``NAME`` (kind "model") whose description `register_version` reads.

The server reads only what MLflow's ``MLmodel`` file says (YAML, parsed with safe_load) and
hashes the bytes; it never loads the model. An MLflow scikit-learn model stored as a pickle is
recorded with format "pickle", which only the user's own process loads (see
`registry.flavors`).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from modelward.domain.names import check_key, check_name
from modelward.domain.ports import ArtifactStore, Guard, UnitOfWork
from modelward.domain.tracking import ArtifactRef, Run
from modelward.errors import InvalidInput, NotFound
from modelward.registry import flavors
from modelward.tracking import service

MLMODEL = "MLmodel"
_ID = re.compile(r"^m-(?P<run>[0-9a-f]{32})-(?P<name>(?:[0-9a-f]{2})+)$")
# MLflow's column types and ours (registry/signature.py)
_TYPES = {
    "double": "float",
    "float": "float",
    "long": "integer",
    "integer": "integer",
    "boolean": "boolean",
    "string": "string",
    "datetime": "datetime",
}


def logged_model_id(run_id: str, name: str) -> str:
    """The MLflow model id of model `name` logged in run `run_id` (both recoverable from it)."""
    return f"m-{run_id}-{name.encode().hex()}"


def parse_logged_model_id(model_id: str) -> tuple[str, str]:
    """(run id, model name) of an id made by `logged_model_id`.

    Raises:
        NotFound: not an id this server made.
    """
    match = _ID.match(model_id)
    if match is None:
        raise NotFound(f"Logged model {model_id!r} does not exist on this server.")
    try:
        return match["run"], bytes.fromhex(match["name"]).decode()
    except UnicodeDecodeError:
        raise NotFound(f"Logged model {model_id!r} does not exist on this server.") from None


def create_logged_model(uow: UnitOfWork, *, guard: Guard, run_id: str, name: str) -> str:
    """The id under which the MLflow client uploads model `name` of run `run_id`; checks that
    the actor may write to the run (the files follow).

    Raises:
        InvalidInput: a bad model name.
        NotFound: no such run.
        PermissionDenied: the run is someone else's.
        InvalidTransition: the run has ended.
    """
    check_name(name, what="model artifact")
    service.check_writable(uow, guard=guard, run_id=run_id)
    return logged_model_id(run_id, name)


def store_model_file(
    uow: UnitOfWork,
    artifacts: ArtifactStore,
    *,
    guard: Guard,
    model_id: str,
    path: str,
    data: bytes | None = None,
    file: str | None = None,
) -> ArtifactRef:
    """Record one uploaded file of a logged model (its bytes, or a file on the server's disk)
    as run artifact ``NAME/path``; once the ``MLmodel`` file and the model file it names are
    both in, record the model itself.

    Raises:
        NotFound: an unknown model id or run.
        InvalidInput: a bad path, or an ``MLmodel`` file that is not readable YAML.
        AlreadyExists: the file was uploaded already.
        PermissionDenied: the run is someone else's.
        InvalidTransition: the run has ended.
    """
    run_id, name = parse_logged_model_id(model_id)
    check_key(path, what="artifact path")
    inside = f"{name}/{path}"
    if file is not None:  # an upload on the server's disk (`data` is None)
        stored = service.log_artifact_file(
            uow, artifacts, guard=guard, run_id=run_id, path=inside, file=file
        )
    else:
        stored = service.log_artifact_bytes(
            uow, artifacts, guard=guard, run_id=run_id, path=inside, data=data or b""
        )
    files = model_files(uow, run_id=run_id, name=name)
    if name not in _artifacts(uow, run_id) and MLMODEL in files:
        meta = describe(artifacts, model_id=model_id, files=files)
        if meta is not None:
            service.log_artifact_bytes(
                uow,
                artifacts,
                guard=guard,
                run_id=run_id,
                path=name,
                data=json.dumps(meta, sort_keys=True).encode(),
                kind="model",
            )
    return stored


def _artifacts(uow: UnitOfWork, run_id: str) -> dict[str, ArtifactRef]:
    with uow:
        return {a.path: a for a in uow.tracking.list_artifacts(run_id)}


def model_files(uow: UnitOfWork, *, run_id: str, name: str) -> dict[str, ArtifactRef]:
    """The uploaded files of model `name` in a run, by their path inside the model directory.

    Raises:
        NotFound: no such run.
    """
    with uow:
        uow.tracking.run_status(run_id)
        found = uow.tracking.list_artifacts(run_id)
    prefix = f"{name}/"
    return {a.path.removeprefix(prefix): a for a in found if a.path.startswith(prefix)}


def logged_model(uow: UnitOfWork, *, model_id: str) -> tuple[Run, str, bool]:
    """(the run, the model name, whether the model is recorded) of a logged model id.

    Raises:
        NotFound: an unknown id or run.
    """
    run_id, name = parse_logged_model_id(model_id)
    run = service.get_run(uow, run_id=run_id)
    recorded = any(a.path == name and a.kind == "model" for a in run.artifacts)
    return run, name, recorded


def read_mlmodel(data: bytes) -> dict[str, Any]:
    """The ``MLmodel`` document (YAML, safe_load: plain data, no objects).

    Raises:
        InvalidInput: not a YAML mapping.
    """
    import yaml

    try:
        found = yaml.safe_load(data.decode())
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError):
        found = None
    if not isinstance(found, dict):
        raise InvalidInput("The uploaded MLmodel file is not a YAML mapping; re-log the model.")
    return found


def describe(
    artifacts: ArtifactStore, *, model_id: str, files: dict[str, ArtifactRef]
) -> dict[str, Any] | None:
    """The modelward description of an MLflow model directory, from its ``MLmodel`` file and
    the hashes of its files; None while the model file it names has not been uploaded.

    Raises:
        InvalidInput: the ``MLmodel`` file is not readable YAML.
    """
    document = read_mlmodel(artifacts.get_bytes(files[MLMODEL].sha256))
    kinds = _mapping(document.get("flavors"))
    sklearn = _mapping(kinds["sklearn"]) if "sklearn" in kinds else None
    pyfunc = _mapping(kinds.get("python_function"))
    if sklearn is not None:
        model_file = str(sklearn.get("pickled_model") or pyfunc.get("model_path") or "")
        flavor = "sklearn"
        stored_as = flavors.SKOPS if sklearn.get("serialization_format") == "skops" else "pickle"
    else:  # a flavor modelward does not load itself: recorded, registrable, not loadable here
        named = pyfunc.get("model_path") or pyfunc.get("python_model") or pyfunc.get("data")
        model_file = str(named or MLMODEL)
        flavor = "mlflow." + (next(iter(k for k in kinds if k != "python_function"), "pyfunc"))
        stored_as = "mlflow"
    if model_file not in files:
        return None
    model = files[model_file]
    listing = {path: ref.sha256 for path, ref in sorted(files.items())}
    return {
        "flavor": flavor,
        "format": stored_as,
        "model_sha256": model.sha256,
        "model_size": model.size,
        "class": f"mlflow {', '.join(sorted(kinds))} model",
        "signature": _signature(document.get("signature")),
        "python": pyfunc.get("python_version"),
        "requirements": [],
        "has_predict_proba": False,
        "mlflow": {
            "model_id": model_id,
            "mlflow_version": document.get("mlflow_version"),
            "flavors": sorted(kinds),
            "files": listing,
            "files_sha256": hashlib.sha256(json.dumps(listing).encode()).hexdigest(),
        },
    }


def _mapping(value: Any) -> dict[str, Any]:
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}


def _signature(signature: Any) -> dict[str, Any]:
    """MLflow's input column specs as a modelward signature (tensor specs: no columns)."""
    raw = signature.get("inputs") if isinstance(signature, dict) else None
    try:
        specs = json.loads(raw) if isinstance(raw, str) else None
    except (ValueError, RecursionError):  # a client's text: malformed or absurdly nested
        specs = None
    columns = []
    for spec in specs if isinstance(specs, list) else []:
        if not isinstance(spec, dict) or "name" not in spec or spec.get("type") not in _TYPES:
            return {"columns": []}
        columns.append({"name": str(spec["name"]), "type": _TYPES[spec["type"]]})
    return {"columns": columns}


def check_model_owner(uow: UnitOfWork, *, guard: Guard, model_id: str) -> None:
    """Check that the actor owns the run that logged the model (ended or not): what MLflow
    sends about a logged model after the fact (tags, params) is accepted only from its owner.

    Raises:
        NotFound: an unknown model id or run.
        PermissionDenied: the run is someone else's (audited).
    """
    run_id, _ = parse_logged_model_id(model_id)
    with uow:
        owner, _ = uow.tracking.run_owner(run_id)
        guard.require_owner(uow, owner=owner, subject=f"run {run_id}")


def find_logged_models(
    uow: UnitOfWork, *, experiments: list[str], name: str, limit: int = 1000
) -> list[tuple[Run, str]]:
    """The logged models called `name` in the runs of `experiments` (newest runs first, at
    most `limit` runs looked at): what MLflow asks when it resolves ``runs:/RUN/NAME``.

    Raises:
        NotFound: an experiment does not exist.
    """
    runs = service.search_runs(
        uow, experiments=experiments, order_by=["attributes.start_time DESC"], limit=limit
    )
    wanted = f"{name}/{MLMODEL}"
    return [(run, name) for run in runs if any(a.path == wanted for a in run.artifacts)]
