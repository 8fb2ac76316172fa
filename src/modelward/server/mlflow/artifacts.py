"""The `mlflow-artifacts` proxy and MLflow 3's logged-model endpoints.

MLflow clients upload a run's files to ``mlflow-artifacts:/EXP/RUN/artifacts/PATH`` and a
logged model's directory to ``mlflow-artifacts:/EXP/models/MODEL_ID/artifacts/PATH`` (the URIs
the run and logged-model answers hand out). Both land in the content-addressed artifact store
as run artifacts, through the tracking services (owner-only, RUNNING runs, hash-verified reads).
"""

from __future__ import annotations

import re
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from modelward.domain.tracking import ArtifactRef, Run
from modelward.errors import InvalidInput, NotFound
from modelward.server.deps import Ctx, CtxDep
from modelward.server.mlflow import shapes
from modelward.server.mlflow.protocol import MlflowRoute, request_fields, text
from modelward.server.mlflow.tracking import experiment_name
from modelward.server.uploads import spooled_body
from modelward.tracking import mlflow_models, service, uploads

Fields = Annotated[dict[str, Any], Depends(request_fields)]
proxy = APIRouter(route_class=MlflowRoute, include_in_schema=False)
models = APIRouter(route_class=MlflowRoute, include_in_schema=False)
ARTIFACTS = "artifacts"


def locate(path: str) -> tuple[str, str | None, str]:
    """(run id, logged model id or None, path inside) of an mlflow-artifacts path.

    Raises:
        NotFound: a path that is neither a run's nor a logged model's artifacts.
    """
    parts = [p for p in path.strip("/").split("/") if p]
    if len(parts) >= 4 and parts[1] == "models" and parts[3] == ARTIFACTS:
        run_id, _ = mlflow_models.parse_logged_model_id(parts[2])
        return run_id, parts[2], "/".join(parts[4:])
    if len(parts) >= 3 and parts[2] == ARTIFACTS:
        return parts[1], None, "/".join(parts[3:])
    raise NotFound(f"No artifacts at {path!r}; paths look like EXPERIMENT/RUN_ID/artifacts/FILE.")


@proxy.put("/artifacts/{path:path}")
async def upload(path: str, request: Request, ctx: CtxDep) -> dict[str, Any]:
    run_id, model_id, inside = locate(path)
    if not inside:
        raise InvalidInput("Upload to a file path under the artifacts directory.")
    service.check_writable(ctx.uow(), guard=ctx.guard(), run_id=run_id)  # before reading
    async with spooled_body(request) as spooled:
        await run_in_threadpool(land, ctx, path, spooled)
    return {}


def land(ctx: Ctx, path: str, file: str) -> None:
    """Record an uploaded file (on the server's disk) at mlflow-artifacts path `path`: a run's
    artifact or a logged model's file, content-addressed."""
    run_id, model_id, inside = locate(path)
    if model_id is not None:
        mlflow_models.store_model_file(
            ctx.uow(), ctx.artifacts, guard=ctx.guard(), model_id=model_id, path=inside, file=file
        )
    else:
        service.log_artifact_file(
            ctx.uow(), ctx.artifacts, guard=ctx.guard(), run_id=run_id, path=inside, file=file
        )


def _files(ctx: Ctx, run_id: str, model_id: str | None) -> dict[str, ArtifactRef]:
    uow = ctx.uow(read_only=True)
    if model_id is not None:
        _, name = mlflow_models.parse_logged_model_id(model_id)
        return mlflow_models.model_files(uow, run_id=run_id, name=name)
    # a model's description is modelward's record, not a file the client wrote
    run = service.get_run(uow, run_id=run_id)
    return {a.path: a for a in run.artifacts if a.kind != "model"}


@proxy.get("/artifacts/{path:path}")
def download(path: str, ctx: CtxDep) -> Response:
    run_id, model_id, inside = locate(path)
    found = _files(ctx, run_id, model_id).get(inside)
    if found is None:
        raise NotFound(f"Run {run_id!r} has no artifact {inside!r}.")
    data = b"".join(uploads.read_blob(ctx.artifacts, sha256=found.sha256))
    return Response(data, media_type="application/octet-stream")


@proxy.get("/artifacts")
def list_artifacts(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    run_id, model_id, inside = locate(text(fields, "path"))
    return {"files": _listing(_files(ctx, run_id, model_id), inside, full=False)}


def _listing(files: dict[str, ArtifactRef], inside: str, *, full: bool) -> list[dict[str, Any]]:
    """The direct children of directory `inside`: MLflow's FileInfo list (names only for the
    proxy, paths from the root for the tracking API with `full`)."""
    prefix = f"{inside}/" if inside else ""
    children: dict[str, dict[str, Any]] = {}
    for path, ref in files.items():
        if not path.startswith(prefix):
            continue
        head, _, rest = path[len(prefix) :].partition("/")
        shown = prefix + head if full else head
        if rest:
            children[head] = {"path": shown, "is_dir": True}
        else:
            children[head] = {"path": shown, "is_dir": False, "file_size": ref.size}
    return [children[k] for k in sorted(children)]


@models.get("/artifacts/list")
def list_run_artifacts(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    """The tracking API's listing of a run's artifacts (older clients and tools use it)."""
    run_id = text(fields, "run_id", required=False) or text(fields, "run_uuid")
    inside = text(fields, "path", required=False).strip("/")
    run = service.get_run(ctx.uow(read_only=True), run_id=run_id)
    files = {a.path: a for a in run.artifacts if a.kind != "model"}
    return {"root_uri": shapes.artifact_uri(run), "files": _listing(files, inside, full=True)}


# logged models (MLflow 3) -------------------------------------------------------------------
def logged_model_json(run: Run, name: str, model_id: str, *, ready: bool) -> dict[str, Any]:
    started = shapes.millis(run.start_time)
    return {
        "info": {
            "model_id": model_id,
            "experiment_id": str(run.experiment_id),
            "name": name,
            "artifact_uri": f"mlflow-artifacts:/{run.experiment_id}/models/{model_id}/artifacts",
            "creation_timestamp_ms": started,
            "last_updated_timestamp_ms": int(time.time() * 1000),
            "status": "LOGGED_MODEL_READY" if ready else "LOGGED_MODEL_PENDING",
            "source_run_id": run.id,
            "tags": [],
        },
        "data": {"params": [], "metrics": []},
    }


def _answer(ctx: Ctx, model_id: str) -> dict[str, Any]:
    run, name, ready = mlflow_models.logged_model(ctx.uow(read_only=True), model_id=model_id)
    return {"model": logged_model_json(run, name, model_id, ready=ready)}


@models.post("/logged-models")
def create_logged_model(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    run_id = text(fields, "source_run_id", required=False)
    if not run_id:
        raise InvalidInput(
            "modelward keeps every model in the run that trained it; log the model inside a"
            " run (mlflow.start_run())."
        )
    model_id = mlflow_models.create_logged_model(
        ctx.uow(),
        guard=ctx.guard(),
        run_id=run_id,
        name=text(fields, "name", required=False) or "model",
    )
    return _answer(ctx, model_id)


_NAME_IS = re.compile(r"""^\s*name\s*=\s*(['"])(?P<name>.*)\1\s*$""")


@models.post("/logged-models/search")
def search_logged_models(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    """Logged models by name in the given experiments (``name = 'x'``, what MLflow sends to
    resolve ``runs:/RUN/x``)."""
    wanted = _NAME_IS.match(text(fields, "filter", required=False))
    if wanted is None:
        raise InvalidInput("modelward searches logged models by name only: name = 'x'.")
    ids = fields.get("experiment_ids") or []
    names = [experiment_name(ctx, str(i)) for i in ([ids] if isinstance(ids, str) else ids)]
    found = mlflow_models.find_logged_models(
        ctx.uow(read_only=True), experiments=names, name=wanted["name"]
    )
    return {
        "models": [
            logged_model_json(run, name, mlflow_models.logged_model_id(run.id, name), ready=True)
            for run, name in found
        ]
    }


@models.get("/logged-models/{model_id}")
def get_logged_model(model_id: str, ctx: CtxDep) -> dict[str, Any]:
    return _answer(ctx, model_id)


def _check_owner(ctx: Ctx, model_id: str) -> None:
    mlflow_models.check_model_owner(ctx.uow(), guard=ctx.guard(), model_id=model_id)


@models.patch("/logged-models/{model_id}")
def finalize_logged_model(model_id: str, ctx: CtxDep) -> dict[str, Any]:
    """The model is complete once its files are in; finalizing only checks the caller."""
    _check_owner(ctx, model_id)
    return _answer(ctx, model_id)


@models.patch("/logged-models/{model_id}/tags")
@models.post("/logged-models/{model_id}/params")
def model_params_or_tags(model_id: str, ctx: CtxDep) -> dict[str, Any]:
    """Accepted from the run's owner and not kept: MLflow sends the run's params, which the
    run holds already."""
    _check_owner(ctx, model_id)
    return {}


@models.post("/runs/outputs")
def log_outputs(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    """A run's output models are the models logged in it; this only checks the caller."""
    service.check_writable(ctx.uow(), guard=ctx.guard(), run_id=text(fields, "run_id"))
    for item in fields.get("models") or []:
        model_id = item.get("model_id") if isinstance(item, dict) else None
        run_id, _ = mlflow_models.parse_logged_model_id(str(model_id))
        if run_id != fields["run_id"]:
            raise InvalidInput(f"Model {model_id!r} was not logged in run {fields['run_id']!r}.")
    return {}
