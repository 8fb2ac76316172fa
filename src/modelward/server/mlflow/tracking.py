"""MLflow's tracking endpoints (experiments, runs, metrics, datasets) over the tracking
services: each route translates MLflow's request and answer shapes, nothing more."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from modelward.domain.tracking import Metric, Run, RunStatus
from modelward.errors import InvalidInput
from modelward.server.deps import Ctx, CtxDep
from modelward.server.mlflow import shapes
from modelward.server.mlflow.protocol import (
    MlflowRoute,
    field,
    number,
    pairs,
    quick,
    request_fields,
    text,
)
from modelward.tracking import service

Fields = Annotated[dict[str, Any], Depends(request_fields)]
router = APIRouter(route_class=MlflowRoute, include_in_schema=False)
MAX_RESULTS = 1000


def experiment_ref(experiment_id: str) -> str | int:
    """How services name an MLflow experiment id: our id, or the default experiment's name
    for MLflow's ``0``."""
    if str(experiment_id) == shapes.DEFAULT_EXPERIMENT_ID:
        return service.DEFAULT_EXPERIMENT
    try:
        return int(experiment_id)
    except ValueError:
        raise InvalidInput(f"Experiment id {experiment_id!r} is not a number.") from None


def experiment_name(ctx: Ctx, experiment_id: str) -> str:
    """Our experiment's name for an MLflow experiment id (``0``: the default experiment)."""
    ref = experiment_ref(experiment_id)
    return (
        ref
        if isinstance(ref, str)
        else service.get_experiment(ctx.uow(read_only=True), id=ref).name
    )


def experiment_id(ctx: Ctx, mlflow_id: str) -> int:
    """Our experiment's id for an MLflow experiment id (``0``: the default experiment)."""
    if str(mlflow_id) == shapes.DEFAULT_EXPERIMENT_ID:
        name = service.DEFAULT_EXPERIMENT
        return service.get_experiment(ctx.uow(read_only=True), name=name).id
    try:
        return int(mlflow_id)
    except ValueError:
        raise InvalidInput(f"Experiment id {mlflow_id!r} is not a number.") from None


# experiments ------------------------------------------------------------------------------
@router.post("/experiments/create")
def create_experiment(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    made = service.create_experiment(ctx.uow(), guard=ctx.guard(), name=text(fields, "name"))
    return {"experiment_id": str(made.id)}


@router.get("/experiments/get")
def get_experiment(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    wanted = experiment_id(ctx, text(fields, "experiment_id"))
    found = service.get_experiment(ctx.uow(read_only=True), id=wanted)
    return {"experiment": shapes.experiment_json(found)}


@router.get("/experiments/get-by-name")
def get_experiment_by_name(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    found = service.get_experiment(ctx.uow(read_only=True), name=text(fields, "experiment_name"))
    return {"experiment": shapes.experiment_json(found)}


@router.post("/experiments/search")
def search_experiments(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    wanted = text(fields, "filter", required=False)
    if wanted:
        raise InvalidInput("modelward does not filter experiments; search without a filter string.")
    view = shapes.view_type(fields.get("view_type"))
    found = service.list_experiments(ctx.uow(read_only=True), view=view)
    return {"experiments": [shapes.experiment_json(e) for e in found]}


@router.post("/experiments/update")
def rename_experiment(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    service.rename_experiment(
        ctx.uow(),
        guard=ctx.guard(),
        experiment_id=experiment_id(ctx, text(fields, "experiment_id")),
        new_name=text(fields, "new_name"),
    )
    return {}


@router.post("/experiments/delete")
def delete_experiment(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    wanted = experiment_id(ctx, text(fields, "experiment_id"))
    service.set_experiment_deleted(ctx.uow(), guard=ctx.guard(), experiment_id=wanted, deleted=True)
    return {}


@router.post("/experiments/restore")
def restore_experiment(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    wanted = experiment_id(ctx, text(fields, "experiment_id"))
    service.set_experiment_deleted(
        ctx.uow(), guard=ctx.guard(), experiment_id=wanted, deleted=False
    )
    return {}


@router.post("/experiments/set-experiment-tag")
def set_experiment_tag(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    service.set_experiment_tag(
        ctx.uow(),
        guard=ctx.guard(),
        experiment_id=experiment_id(ctx, text(fields, "experiment_id")),
        key=text(fields, "key"),
        value=str(field(fields, "value", required=False, default="")),
    )
    return {}


@router.post("/experiments/delete-experiment-tag")
def delete_experiment_tag(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    service.set_experiment_tag(
        ctx.uow(),
        guard=ctx.guard(),
        experiment_id=experiment_id(ctx, text(fields, "experiment_id")),
        key=text(fields, "key"),
        value=None,
    )
    return {}


# runs ---------------------------------------------------------------------------------------
def _run(ctx: Ctx, run_id: str) -> Run:
    return service.get_run(ctx.uow(read_only=True), run_id=run_id)


def _run_id(fields: dict[str, Any]) -> str:
    return text(fields, "run_id", required=False) or text(fields, "run_uuid")


@router.post("/runs/create")
@quick
def create_run(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    experiment_id = str(field(fields, "experiment_id", required=False, default="0"))
    # mlflow.user is who the client's machine says it is; the run's user is the token's
    tags = pairs(fields.get("tags"), what="tag") | {"mlflow.user": ctx.actor}
    name = text(fields, "run_name", required=False) or tags.get("mlflow.runName") or None
    run = service.start_run(
        ctx.uow(),
        guard=ctx.guard(),
        experiment=experiment_ref(experiment_id),
        name=name,
        parent_run_id=tags.get("mlflow.parentRunId"),
        tags=tags,
    )
    return {"run": shapes.run_json(run)}


@router.get("/runs/get")
@quick
def get_run(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    return {"run": shapes.run_json(_run(ctx, _run_id(fields)))}


@router.post("/runs/update")
@quick
def update_run(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    run_id = _run_id(fields)
    wanted_name = text(fields, "run_name", required=False)
    if wanted_name and wanted_name != (named := _run(ctx, run_id).name):
        raise InvalidInput(f"Run {run_id!r} is called {named!r}; modelward does not rename runs.")
    status = text(fields, "status", required=False)
    if status and status != RunStatus.RUNNING.value:
        try:
            ended = RunStatus(status)
        except ValueError:
            raise InvalidInput(f"Unknown run status {status!r}.") from None
        run = service.end_run(ctx.uow(), guard=ctx.guard(), run_id=run_id, status=ended)
    else:
        run = service.get_run_info(ctx.uow(read_only=True), run_id=run_id)
    return {"run_info": shapes.run_info(run)}


def _metric(item: dict[str, Any]) -> Metric:
    if not isinstance(item, dict):
        raise InvalidInput(f"A metric must be an object, got {item!r}.")
    try:
        value = float(item.get("value"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInput(f"Metric {item.get('key')!r} has no numeric value.") from None
    stamp = number(item, "timestamp", default=int(time.time() * 1000))
    return Metric(text(item, "key"), value, number(item, "step", default=0), stamp)


@router.post("/runs/log-metric")
@quick
def log_metric(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    metric = _metric(fields)
    service.log_batch(ctx.uow(), guard=ctx.guard(), run_id=_run_id(fields), metrics=[metric])
    return {}


@router.post("/runs/log-parameter")
@quick
def log_param(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    value = field(fields, "value", required=False, default="")
    params = {text(fields, "key"): str(value)}
    service.log_batch(ctx.uow(), guard=ctx.guard(), run_id=_run_id(fields), params=params)
    return {}


@router.post("/runs/set-tag")
@quick
def set_tag(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    value = field(fields, "value", required=False, default="")
    tags = {text(fields, "key"): str(value)}
    service.log_batch(ctx.uow(), guard=ctx.guard(), run_id=_run_id(fields), tags=tags)
    return {}


@router.post("/runs/delete-tag")
@quick
def delete_tag(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    service.delete_run_tag(
        ctx.uow(), guard=ctx.guard(), run_id=_run_id(fields), key=text(fields, "key")
    )
    return {}


@router.post("/runs/delete")
def delete_run(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    service.set_run_deleted(ctx.uow(), guard=ctx.guard(), run_id=_run_id(fields), deleted=True)
    return {}


@router.post("/runs/restore")
def restore_run(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    service.set_run_deleted(ctx.uow(), guard=ctx.guard(), run_id=_run_id(fields), deleted=False)
    return {}


@router.post("/runs/log-batch")
@quick
def log_batch(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    service.log_batch(
        ctx.uow(),
        guard=ctx.guard(),
        run_id=text(fields, "run_id"),
        params=pairs(fields.get("params"), what="param"),
        metrics=[_metric(m) for m in fields.get("metrics") or []],
        tags=pairs(fields.get("tags"), what="tag"),
    )
    return {}


@router.post("/runs/log-inputs")
def log_inputs(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    run_id = text(fields, "run_id")
    for item in fields.get("datasets") or []:
        if not isinstance(item, dict):
            raise InvalidInput(f"A dataset input must be an object, got {item!r}.")
        ref = shapes.dataset_ref(item)
        service.log_dataset_description(ctx.uow(), guard=ctx.guard(), run_id=run_id, ref=ref)
    return {}


@router.post("/runs/search")
def search_runs(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    ids = fields.get("experiment_ids") or []
    names = [experiment_name(ctx, str(i)) for i in ([ids] if isinstance(ids, str) else ids)]
    limit = min(number(fields, "max_results", default=MAX_RESULTS), service.MAX_SEARCH)
    offset = number(fields, "page_token", default=0)
    order = fields.get("order_by") or []
    order = [order] if isinstance(order, str) else order
    found = service.search_runs(
        ctx.uow(read_only=True),
        experiments=names or None,
        filter=text(fields, "filter", required=False) or None,
        order_by=[o if "." in o.split()[0] else f"attributes.{o}" for o in order if o.strip()],
        limit=limit,
        offset=offset,
        view=shapes.view_type(fields.get("run_view_type")),
    )
    answer: dict[str, Any] = {"runs": [shapes.run_json(r) for r in found]}
    if len(found) == limit:
        answer["next_page_token"] = str(offset + limit)
    return answer


@router.get("/metrics/get-history")
def metric_history(fields: Fields, ctx: CtxDep) -> dict[str, Any]:
    found = service.metric_history(
        ctx.uow(read_only=True), run_id=_run_id(fields), key=text(fields, "metric_key")
    )
    return {"metrics": [shapes.metric_json(m) for m in found]}
