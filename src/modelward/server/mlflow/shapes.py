"""modelward's records in MLflow's JSON shapes (runs, experiments, datasets, models, versions),
and MLflow's request shapes back into domain values. Pure translation: no I/O."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from modelward.domain.registry import ModelVersion, RegisteredModel
from modelward.domain.tracking import DatasetRef, Experiment, Metric, Run, ViewType
from modelward.errors import InvalidInput

DEFAULT_EXPERIMENT_ID = "0"  # MLflow's default experiment; ours is called "Default"
CONTEXT_TAG = "mlflow.data.context"


def millis(when: datetime | None) -> int | None:
    """Milliseconds since the epoch (MLflow's timestamps)."""
    return None if when is None else int(when.timestamp() * 1000)


NOTE_TAG = "mlflow.note.content"
_VIEW_TYPES = {"1": ViewType.ACTIVE_ONLY, "2": ViewType.DELETED_ONLY, "3": ViewType.ALL}


def lifecycle(deleted: bool) -> str:
    """MLflow's lifecycle_stage."""
    return "deleted" if deleted else "active"


def view_type(value: Any) -> ViewType:
    """MLflow's ViewType, sent by name (JSON) or number (proto enum).

    Raises:
        InvalidInput: neither.
    """
    if value is None or value == "":
        return ViewType.ACTIVE_ONLY
    text = str(value).upper()
    found = _VIEW_TYPES.get(text) or (ViewType(text) if text in set(ViewType) else None)
    if found is None:
        raise InvalidInput(f"Unknown view type {value!r}; use ACTIVE_ONLY, DELETED_ONLY or ALL.")
    return found


def experiment_json(experiment: Experiment) -> dict[str, Any]:
    created = millis(experiment.created_at)
    tags = dict(experiment.tags)
    if experiment.description:
        tags.setdefault(NOTE_TAG, experiment.description)
    return {
        "experiment_id": str(experiment.id),
        "name": experiment.name,
        "artifact_location": f"mlflow-artifacts:/{experiment.id}",
        "lifecycle_stage": lifecycle(experiment.deleted),
        "creation_time": created,
        "last_update_time": millis(experiment.deleted_at) or created,
        "tags": [{"key": k, "value": v} for k, v in sorted(tags.items())],
    }


def artifact_uri(run: Run) -> str:
    """Where the MLflow client uploads a run's artifacts: our artifacts proxy."""
    return f"mlflow-artifacts:/{run.experiment_id}/{run.id}/artifacts"


def run_info(run: Run) -> dict[str, Any]:
    return {
        "run_id": run.id,
        "run_uuid": run.id,
        "run_name": run.name,
        "experiment_id": str(run.experiment_id),
        "user_id": run.user,
        "status": run.status.value,
        "start_time": millis(run.start_time),
        "end_time": millis(run.end_time),
        "artifact_uri": artifact_uri(run),
        "lifecycle_stage": lifecycle(run.deleted),
    }


def run_json(run: Run) -> dict[str, Any]:
    """A run as MLflow's `Run` message. Metrics carry their latest value; their step and time
    are not kept beside it (the history has them), so the run's start time stands in."""
    started = millis(run.start_time)
    # the authenticated user, not the login name the client's machine claims in a tag
    tags = {"mlflow.runName": run.name} | run.tags | {"mlflow.user": run.user}
    return {
        "info": run_info(run),
        "data": {
            "metrics": [
                {"key": k, "value": v, "timestamp": started, "step": 0}
                for k, v in sorted(run.metrics.items())
            ],
            "params": [{"key": k, "value": v} for k, v in sorted(run.params.items())],
            "tags": [{"key": k, "value": v} for k, v in sorted(tags.items())],
        },
        "inputs": {"dataset_inputs": [dataset_input(d) for d in run.datasets]},
    }


def metric_json(metric: Metric) -> dict[str, Any]:
    return {
        "key": metric.key,
        "value": metric.value,
        "timestamp": metric.timestamp,
        "step": metric.step,
    }


def dataset_input(ref: DatasetRef) -> dict[str, Any]:
    """A run's dataset as MLflow's `DatasetInput`; one MLflow described is given back as it
    was sent, one modelward fingerprinted is described by its fingerprint and schema."""
    told = ref.profile.get("mlflow") if isinstance(ref.profile, dict) else None
    if isinstance(told, dict):
        dataset = {"name": ref.name, **told}
    else:
        dataset = {
            "name": ref.name,
            "digest": ref.dataset_id[:16],
            "source_type": "modelward",
            "source": json.dumps({"uri": ref.source or ""}),
            "schema": json.dumps({"columns": ref.schema}),
            "profile": json.dumps({"num_rows": ref.row_count}),
        }
    return {"tags": [{"key": CONTEXT_TAG, "value": ref.role}], "dataset": dataset}


def dataset_ref(item: dict[str, Any]) -> DatasetRef:
    """A DatasetRef from MLflow's `DatasetInput` (metadata only; MLflow sends no rows).

    The id is the sha256 of what the client described (name, digest, source, schema), so the
    same description logged twice is one record; it is not a fingerprint of rows.
    """
    dataset = item.get("dataset") or {}
    tags = {t.get("key"): t.get("value") for t in item.get("tags") or [] if isinstance(t, dict)}
    told = {
        key: str(dataset.get(key) or "")
        for key in ("digest", "source_type", "source", "schema", "profile")
    }
    name = str(dataset.get("name") or "dataset")
    identity = json.dumps({"name": name, **told}, sort_keys=True).encode()
    return DatasetRef(
        dataset_id=hashlib.sha256(identity).hexdigest(),
        name=name,
        role=str(tags.get(CONTEXT_TAG) or "input"),
        row_count=_rows(told["profile"]),
        schema=_columns(told["schema"]),
        profile={"mlflow": told},
        source=_source_uri(told["source"]),
    )


def _loads(raw: str) -> Any:
    try:
        return json.loads(raw) if raw else None
    except (ValueError, RecursionError):  # a client's text: malformed or absurdly nested
        return None


def _rows(profile: str) -> int:
    found = _loads(profile)
    rows = found.get("num_rows") if isinstance(found, dict) else None
    return rows if isinstance(rows, int) and rows >= 0 else 0


def _columns(schema: str) -> dict[str, str]:
    found = _loads(schema)
    specs = found.get("mlflow_colspec") if isinstance(found, dict) else None
    return {
        str(spec.get("name")): str(spec.get("type"))
        for spec in specs or []
        if isinstance(spec, dict) and spec.get("name") is not None
    }


def _source_uri(source: str) -> str | None:
    found = _loads(source)
    if isinstance(found, dict):
        for key in ("uri", "url", "path", "table_name"):
            if isinstance(found.get(key), str):
                return str(found[key])[:1000]
    return source[:1000] or None


def registered_model_json(
    model: RegisteredModel, latest: list[ModelVersion] | None = None
) -> dict[str, Any]:
    created = millis(model.created_at)
    return {
        "name": model.name,
        "creation_timestamp": created,
        "last_updated_timestamp": created,
        "user_id": model.owner,
        "description": model.description,
        "tags": [{"key": k, "value": v} for k, v in sorted(model.tags.items())],
        "aliases": [{"alias": a, "version": str(v)} for a, v in sorted(model.aliases.items())],
        "latest_versions": [version_json(v) for v in latest or []],
    }


def version_json(version: ModelVersion, *, source: str = "") -> dict[str, Any]:
    created = millis(version.created_at)
    found: dict[str, Any] = {
        "name": version.model,
        "version": str(version.version),
        "creation_timestamp": created,
        "last_updated_timestamp": created,
        "user_id": version.created_by,
        "current_stage": "None",
        "description": version.description,
        "source": source,
        "run_id": version.run_id or "",
        "status": "READY",
        "tags": [{"key": k, "value": v} for k, v in sorted(version.tags.items())],
        "aliases": list(version.aliases),
    }
    return found
