"""MLflow's model-registry endpoints (registered models, versions, aliases) over the registry
services. Setting a protected alias (``champion``) goes through the governance gate exactly as
`PUT /api/v1/models/{name}/aliases/{alias}` does; a refusal is MLflow's INVALID_STATE (or
PERMISSION_DENIED) with the unmet items in its message."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from modelward.domain.registry import ModelVersion
from modelward.errors import InvalidInput, NotFound
from modelward.registry import service
from modelward.server.deps import Ctx, CtxDep
from modelward.server.mlflow import shapes
from modelward.server.mlflow.protocol import (
    MlflowRoute,
    cached_read,
    number,
    pairs,
    request_fields,
    text,
)
from modelward.tracking import mlflow_models
from modelward.tracking import service as tracking

Fields = Annotated[dict[str, Any], Depends(request_fields)]
router = APIRouter(route_class=MlflowRoute, include_in_schema=False)
_NAME_FILTER = re.compile(
    r"""^\s*name\s*(?P<op>=|(?i:i?like))\s*(?P<q>['"])(?P<value>.*)(?P=q)\s*$"""
)


_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
# MLflow's client adds this clause to keep prompts out of model searches; modelward has none.
_NOT_A_PROMPT = re.compile(r"""^tags?\.`?mlflow\.prompt\.is_prompt`?\s*!=\s*['"]true['"]$""")


def _name_filter(wanted: str) -> re.Match[str] | None:
    """The name clause of an MLflow registry filter (None: no name clause).

    Raises:
        InvalidInput: a clause on anything but the name.
    """
    clauses = [c.strip() for c in _AND.split(wanted.strip()) if c.strip()]
    clauses = [c for c in clauses if not _NOT_A_PROMPT.match(c)]
    matches = [_NAME_FILTER.match(c) for c in clauses]
    if len(clauses) > 1 or not all(matches):
        raise InvalidInput(
            f"modelward filters registered models and versions by name only (name = 'x' or"
            f" name LIKE '%x%'), not by {wanted!r}."
        )
    return matches[0] if matches else None


def _mlflow_meta(ctx: Ctx, version: ModelVersion) -> dict[str, Any] | None:
    found = service.version_meta(ctx.artifacts, version).get("mlflow")
    return found if isinstance(found, dict) else None


def _version(ctx: Ctx, version: ModelVersion) -> dict[str, Any]:
    told = _mlflow_meta(ctx, version)
    source = f"models:/{told['model_id']}" if told else version.uri
    answer = shapes.version_json(version, source=source)
    if told:
        answer["model_id"] = told["model_id"]
    return answer


def _registered(ctx: Ctx, name: str) -> dict[str, Any]:
    uow = ctx.uow(read_only=True)
    model = service.get_model(uow, name=name)
    latest = []
    if model.latest_version is not None:
        latest = [service.get_version(uow, name=name, version=model.latest_version)]
    return shapes.registered_model_json(model, latest)


@router.post("/registered-models/create")
def create_registered_model(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    made = service.create_model(
        ctx.uow(),
        guard=ctx.guard(),
        name=text(fields, "name"),
        description=text(fields, "description", required=False),
        tags=pairs(fields.get("tags"), what="tag"),
    )
    return {"registered_model": shapes.registered_model_json(made)}


@router.get("/registered-models/get")
@cached_read
def get_registered_model(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    return {"registered_model": _registered(ctx, text(fields, "name"))}


@router.get("/registered-models/search")
@router.post("/registered-models/search")
def search_registered_models(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    wanted = text(fields, "filter", required=False)
    search = None
    exact = None
    match = _name_filter(wanted) if wanted else None
    if match is not None:
        value = match["value"]
        if match["op"] == "=":
            exact = value
        else:
            search = value.strip("%")
    limit = number(fields, "max_results", default=100)
    found = service.list_models(ctx.uow(read_only=True), search=search or exact, limit=limit)
    names = [m.name for m in found if exact is None or m.name == exact]
    return {"registered_models": [_registered(ctx, n) for n in names]}


@router.post("/registered-models/get-latest-versions")
@router.get("/registered-models/get-latest-versions")
def latest_versions(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    model = service.get_model(ctx.uow(read_only=True), name=text(fields, "name"))
    if model.latest_version is None:
        return {"model_versions": []}
    latest = service.get_version(
        ctx.uow(read_only=True), name=model.name, version=model.latest_version
    )
    return {"model_versions": [_version(ctx, latest)]}


@router.post("/model-versions/create")
def create_model_version(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    source = text(fields, "source", required=False)
    model_id = text(fields, "model_id", required=False)
    if not model_id and source.startswith("models:/m-"):
        model_id = source.removeprefix("models:/")
    if not model_id and "/models/m-" in source:
        model_id = source.split("/models/", 1)[1].split("/", 1)[0]
    if not model_id:
        raise InvalidInput(
            f"Register a model logged with mlflow.<flavor>.log_model (source models:/<model_id>),"
            f" not {source!r}."
        )
    run_id, artifact = mlflow_models.parse_logged_model_id(model_id)
    version = service.register_version(
        ctx.uow(),
        ctx.artifacts,
        guard=ctx.guard(),
        run_id=run_id,
        artifact=artifact,
        name=text(fields, "name"),
        description=text(fields, "description", required=False),
    )
    return {"model_version": _version(ctx, version)}


def _get_version(ctx: Ctx, fields: dict[str, Any]) -> ModelVersion:
    return service.get_version(
        ctx.uow(read_only=True), name=text(fields, "name"), version=number(fields, "version")
    )


@router.get("/model-versions/get")
@cached_read
def get_model_version(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    return {"model_version": _version(ctx, _get_version(ctx, fields))}


@router.get("/model-versions/search")
@router.post("/model-versions/search")
def search_model_versions(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    wanted = text(fields, "filter", required=False)
    match = _name_filter(wanted) if wanted else None
    if match is None or match["op"] != "=":
        raise InvalidInput("modelward searches model versions by exact name only: name = 'x'.")
    found = service.list_versions(ctx.uow(read_only=True), name=match["value"])
    return {"model_versions": [_version(ctx, v) for v in found]}


@router.get("/model-versions/get-download-uri")
@cached_read
def download_uri(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    version = _get_version(ctx, fields)
    told = _mlflow_meta(ctx, version)
    if told is None:
        raise NotFound(
            f"{version.uri} was logged with modelward, not MLflow; load it with"
            f" mw.load_model({version.uri!r})."
        )
    run = tracking.get_run(ctx.uow(read_only=True), run_id=version.run_id or "")
    model_id = told["model_id"]
    return {"artifact_uri": f"mlflow-artifacts:/{run.experiment_id}/models/{model_id}/artifacts"}


@router.post("/registered-models/alias")
def set_alias(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    service.set_alias(
        ctx.uow(),
        guard=ctx.guard(),
        name=text(fields, "name"),
        alias=text(fields, "alias"),
        version=number(fields, "version"),
    )
    return {}


@router.delete("/registered-models/alias")
def delete_alias(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    service.delete_alias(
        ctx.uow(), guard=ctx.guard(), name=text(fields, "name"), alias=text(fields, "alias")
    )
    return {}


@router.get("/registered-models/alias")
@cached_read
def get_by_alias(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    uri = f"models:/{text(fields, 'name')}@{text(fields, 'alias')}"
    return {"model_version": _version(ctx, service.resolve(ctx.uow(read_only=True), uri))}


# changes and deletion -----------------------------------------------------------------------
@router.patch("/registered-models/update")
def update_registered_model(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    name = text(fields, "name")
    service.update_model(
        ctx.uow(),
        guard=ctx.guard(),
        name=name,
        description=text(fields, "description", required=False),
    )
    return {"registered_model": _registered(ctx, name)}


@router.delete("/registered-models/delete")
def delete_registered_model(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    service.delete_model(
        ctx.uow(), guard=ctx.guard(), name=text(fields, "name"), reason="deleted through MLflow"
    )
    return {}


@router.post("/registered-models/set-tag")
def set_registered_model_tag(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    service.set_model_tag(
        ctx.uow(),
        guard=ctx.guard(),
        name=text(fields, "name"),
        key=text(fields, "key"),
        value=str(fields.get("value") or ""),
    )
    return {}


@router.delete("/registered-models/delete-tag")
def delete_registered_model_tag(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    service.set_model_tag(
        ctx.uow(), guard=ctx.guard(), name=text(fields, "name"), key=text(fields, "key"), value=None
    )
    return {}


@router.patch("/model-versions/update")
def update_model_version(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    name, number = text(fields, "name"), number_of(fields)
    service.update_version(
        ctx.uow(),
        guard=ctx.guard(),
        name=name,
        version=number,
        description=text(fields, "description", required=False),
    )
    return {"model_version": _version(ctx, _get_version(ctx, fields))}


def number_of(fields: dict[str, Any]) -> int:
    return number(fields, "version")


@router.delete("/model-versions/delete")
def delete_model_version(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    service.delete_version(
        ctx.uow(),
        guard=ctx.guard(),
        name=text(fields, "name"),
        version=number_of(fields),
        reason="deleted through MLflow",
    )
    return {}


@router.post("/model-versions/set-tag")
def set_model_version_tag(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    service.set_version_tag(
        ctx.uow(),
        guard=ctx.guard(),
        name=text(fields, "name"),
        version=number_of(fields),
        key=text(fields, "key"),
        value=str(fields.get("value") or ""),
    )
    return {}


@router.delete("/model-versions/delete-tag")
def delete_model_version_tag(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    service.set_version_tag(
        ctx.uow(),
        guard=ctx.guard(),
        name=text(fields, "name"),
        version=number_of(fields),
        key=text(fields, "key"),
        value=None,
    )
    return {}


STAGES_ARE_ALIASES = (
    "MLflow's model version stages are deprecated and modelward does not keep them; point an"
    " alias at the version instead (MlflowClient.set_registered_model_alias(name, 'champion',"
    " version)): protected aliases such as 'champion' pass the governance gate."
)


@router.post("/model-versions/transition-stage")
def transition_stage(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    """Refused for every caller: stages are replaced by aliases (see STAGES_ARE_ALIASES). The
    caller's permission is checked first, so a viewer still gets PERMISSION_DENIED."""
    name, number = text(fields, "name"), number_of(fields)
    service.check_may_register(ctx.uow(), guard=ctx.guard(), subject=f"{name}/{number}")
    raise InvalidInput(STAGES_ARE_ALIASES)
