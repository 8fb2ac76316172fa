"""Tracking use-cases: one public function per user action, one transaction each.

Services receive the unit of work, the artifact store and the time; they never read settings.
"""

from __future__ import annotations

import io
import json
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from modelward.domain.audit import AuditEvent
from modelward.domain.names import check_key, check_metric_value, check_name, check_param_value
from modelward.domain.ports import ArtifactStore, Guard, UnitOfWork
from modelward.domain.roles import Action
from modelward.domain.search import parse_filter, parse_order_by
from modelward.domain.tracking import (
    ArtifactRef,
    DatasetRef,
    Experiment,
    Metric,
    Run,
    RunStatus,
    Source,
    ViewType,
)
from modelward.errors import AlreadyExists, InvalidInput, InvalidTransition, NotFound
from modelward.registry import flavors
from modelward.stats import profile as profiling
from modelward.stats import row_hashes

DEFAULT_EXPERIMENT = "Default"
MAX_SEARCH = 50_000
HEARTBEAT_TIMEOUT = timedelta(minutes=10)  # MODELWARD_RUN_HEARTBEAT_TIMEOUT
REAPED_TAG = "modelward.failure_reason"


def new_run_id() -> str:
    return uuid.uuid4().hex


def check_writable(uow: UnitOfWork, *, guard: Guard, run_id: str) -> None:
    """Fail early, before an upload is read, unless the actor may write to the run.

    Raises:
        NotFound: no such run.
        PermissionDenied: the run belongs to someone else (audited).
        InvalidTransition: the run has ended.
    """
    with uow:
        _writable(uow, guard, run_id)


def _writable(uow: UnitOfWork, guard: Guard, run_id: str) -> None:
    """Only the run's owner writes to it, and only while it is RUNNING.

    Raises:
        NotFound: no such run.
        PermissionDenied: the run belongs to someone else (audited).
        InvalidTransition: the run has ended.
    """
    owner, status, deleted = uow.tracking.run_state(run_id)
    guard.require_owner(uow, owner=owner, subject=f"run {run_id}")
    if deleted:
        raise InvalidTransition(
            f"Run {run_id!r} is deleted; restore it first ('modelward runs restore {run_id}')."
        )
    if status is not RunStatus.RUNNING:
        raise InvalidTransition(
            f"Run {run_id!r} is {status.value}; an ended run is a record and takes no more"
            " values. Start a new run."
        )


def start_run(
    uow: UnitOfWork,
    *,
    guard: Guard,
    experiment: str | int,
    run_id: str | None = None,
    name: str | None = None,
    parent_run_id: str | None = None,
    source: Source | None = None,
    environment: tuple[str, dict[str, Any] | None] | None = None,
    tags: dict[str, str] | None = None,
) -> Run:
    """Create a RUNNING run in `experiment`: a name (the experiment is created on first use)
    or the id of an existing experiment.

    Raises:
        InvalidInput: a bad experiment or run name, or tag.
        NotFound: the parent run, or the experiment given by id, does not exist.
        PermissionDenied: the actor may not register runs and models.
    """
    if isinstance(experiment, str):
        check_name(experiment, what="experiment")
    user, now = guard.actor, guard.now()
    run_id = run_id or new_run_id()
    tags = {check_key(k, what="tag"): str(v) for k, v in (tags or {}).items()}
    with uow:
        named = experiment if isinstance(experiment, str) else f"id {experiment}"
        guard.require(uow, Action.REGISTER, subject=f"experiment {named}")
        if isinstance(experiment, int):
            exp: Experiment | None = uow.tracking.get_experiment_by_id(experiment)
        else:
            exp = uow.tracking.find_experiment(experiment)
        if exp is None:
            assert isinstance(experiment, str)
            exp = uow.tracking.create_experiment(experiment, at=now)
        elif exp.deleted:
            raise InvalidTransition(
                f"Experiment {experiment!r} is deleted; restore it (MLflow's"
                " restore_experiment) or log into another experiment."
            )
        if parent_run_id is not None:
            uow.tracking.run_status(parent_run_id)
        env_id = None
        if environment is not None:
            env_id = environment[0]
            if environment[1] is not None:  # None: already stored, only referenced
                uow.tracking.save_environment(env_id, environment[1])
        run = Run(
            id=run_id,
            experiment_id=exp.id,
            experiment=exp.name,
            name=check_name(name, what="run") if name else f"run-{run_id[:8]}",
            status=RunStatus.RUNNING,
            user=user,
            start_time=now,
            parent_run_id=parent_run_id,
            source=source or Source(),
            environment_id=env_id,
            tags=tags,
        )
        uow.tracking.insert_run(run)
        uow.commit()
    return run


def validate_batch(
    *, params: dict[str, Any], metrics: Sequence[Metric], tags: dict[str, Any]
) -> tuple[dict[str, str], list[Metric], dict[str, str]]:
    """Check keys and values (InvalidInput names the bad one) and normalise them."""
    clean_params = {check_key(k, what="param"): check_param_value(k, v) for k, v in params.items()}
    clean_metrics = [
        Metric(
            check_key(m.key, what="metric"),
            check_metric_value(m.key, m.value),
            int(m.step),
            int(m.timestamp),
        )
        for m in metrics
    ]
    clean_tags = {check_key(k, what="tag"): str(v) for k, v in tags.items()}
    return clean_params, clean_metrics, clean_tags


def log_batch(
    uow: UnitOfWork,
    *,
    guard: Guard,
    run_id: str,
    params: dict[str, Any] | None = None,
    metrics: Sequence[Metric] = (),
    tags: dict[str, Any] | None = None,
) -> None:
    """Record params, metrics and tags of a run in one transaction.

    Raises:
        InvalidInput: a bad key or value.
        NotFound: no such run.
        Conflict: a param already has another value.
        PermissionDenied: the run is someone else's.
        InvalidTransition: the run has ended.
    """
    clean = validate_batch(params=params or {}, metrics=metrics, tags=tags or {})
    with uow:
        _writable(uow, guard, run_id)
        uow.tracking.log_batch(run_id, params=clean[0], metrics=clean[1], tags=clean[2])
        uow.commit()


def end_run(
    uow: UnitOfWork,
    *,
    guard: Guard,
    run_id: str,
    status: RunStatus,
    params: dict[str, Any] | None = None,
    metrics: Sequence[Metric] = (),
    tags: dict[str, Any] | None = None,
) -> Run:
    """End a RUNNING run with a terminal status, writing its last logged values in the same
    transaction (so a finished run never misses what was logged just before it ended).

    Returns the ended run without its values (as `get_run_info`), read in the same transaction.

    Raises:
        NotFound: no such run.
        InvalidTransition: the run has already ended, or `status` is RUNNING.
        Conflict: a param already has another value (nothing is written).
        PermissionDenied: the run is someone else's.
    """
    clean = validate_batch(params=params or {}, metrics=metrics, tags=tags or {})
    now = guard.now()
    with uow:
        owner, _ = uow.tracking.run_owner(run_id)  # NotFound for an unknown run
        guard.require_owner(uow, owner=owner, subject=f"run {run_id}")
        # One conditional UPDATE in the common case; only a refusal looks at why.
        if not status.is_terminal or not uow.tracking.end_if_running(run_id, status, end_time=now):
            current = uow.tracking.run_status(run_id)  # NotFound for an unknown run
            raise InvalidTransition(
                f"Run {run_id!r} is {current.value}; it can only end once, as FINISHED, FAILED"
                " or KILLED."
            )
        if any(clean):
            uow.tracking.log_batch(run_id, params=clean[0], metrics=clean[1], tags=clean[2])
        ended = uow.tracking.get_run_info(run_id)
        uow.commit()
    return ended


def record_heartbeat(uow: UnitOfWork, *, guard: Guard, run_id: str) -> None:
    """Note that the process logging into RUNNING run `run_id` is alive now; only the run's
    owner may say so (anyone else could keep a dead run looking alive).

    An ended run is left as it is (its heartbeat no longer matters).

    Raises:
        NotFound: no such run.
        PermissionDenied: the run is someone else's.
    """
    with uow:
        owner, _ = uow.tracking.run_owner(run_id)
        guard.require_owner(uow, owner=owner, subject=f"run {run_id}")
        if not uow.tracking.record_heartbeat(run_id, at=guard.now()):
            uow.tracking.run_status(run_id)  # NotFound for an unknown run; else it has ended
        uow.commit()


def reap_stale_runs(
    uow: UnitOfWork, *, now: datetime, timeout: timedelta = HEARTBEAT_TIMEOUT, limit: int = 1000
) -> list[str]:
    """End as FAILED every RUNNING run without a heartbeat (or, never having sent one, a start)
    for longer than `timeout`: the process logging into it has died. Each gets the tag
    ``modelward.failure_reason`` saying why. Returns the ids of the runs ended.

    Cheap when nothing is stale (one indexed query). A run that ends meanwhile is skipped.

    Raises:
        InvalidInput: `timeout` is not positive.
    """
    if timeout <= timedelta(0):
        raise InvalidInput(
            f"The run heartbeat timeout must be positive, got {timeout.total_seconds()} s;"
            " set MODELWARD_RUN_HEARTBEAT_TIMEOUT to seconds, e.g. 600."
        )
    reason = (
        f"No heartbeat from the logging process for more than {timeout.total_seconds():g} s"
        f" (checked at {now.isoformat(timespec='seconds')}): the process probably died."
    )
    reaped = []
    with uow:
        for run_id in uow.tracking.stale_runs(before=now - timeout, limit=limit):
            if uow.tracking.end_if_running(run_id, RunStatus.FAILED, end_time=now):
                uow.tracking.log_batch(run_id, params={}, metrics=[], tags={REAPED_TAG: reason})
                reaped.append(run_id)
        uow.commit()
    return reaped


def get_run(uow: UnitOfWork, *, run_id: str) -> Run:
    """The run with params, latest metrics, tags, datasets and artifacts. Raises NotFound."""
    with uow:
        return uow.tracking.get_run(run_id)


def get_run_info(uow: UnitOfWork, *, run_id: str) -> Run:
    """The run without its params, metrics, tags, datasets and artifacts (one query).

    Raises:
        NotFound: no such run.
    """
    with uow:
        return uow.tracking.get_run_info(run_id)


def metric_history(uow: UnitOfWork, *, run_id: str, key: str) -> list[Metric]:
    """Every value logged for `key`, by step. Raises NotFound for an unknown run."""
    with uow:
        return uow.tracking.metric_history(run_id, key)


def run_environment(uow: UnitOfWork, *, run_id: str) -> dict[str, Any]:
    """The environment a run recorded (Python, platform, packages); {} when none was captured.

    Raises:
        NotFound: no such run.
    """
    with uow:
        run = uow.tracking.get_run(run_id)
        if not run.environment_id:
            return {}
        return uow.tracking.get_environment(run.environment_id)


def search_runs(
    uow: UnitOfWork,
    *,
    experiments: Sequence[str] | None = None,
    filter: str | None = None,
    order_by: Sequence[str] | None = None,
    limit: int = 1000,
    offset: int = 0,
    view: ViewType = ViewType.ACTIVE_ONLY,
) -> list[Run]:
    """Runs matching a filter expression, ordered (see ``modelward.domain.search``); deleted
    runs only when `view` asks for them.

    Raises:
        InvalidInput: the filter or ordering cannot be parsed, or limit is out of range.
        NotFound: an experiment does not exist.
    """
    tree = parse_filter(filter)
    order = parse_order_by(list(order_by or []))
    if not 1 <= limit <= MAX_SEARCH:
        raise InvalidInput(f"limit must be between 1 and {MAX_SEARCH}, got {limit}.")
    with uow:
        ids = None
        if experiments:
            ids = [uow.tracking.get_experiment(name).id for name in experiments]
        return uow.tracking.search_runs(
            experiment_ids=ids, filter=tree, order_by=order, limit=limit, offset=offset, view=view
        )


def list_experiments(uow: UnitOfWork, *, view: ViewType = ViewType.ACTIVE_ONLY) -> list[Any]:
    """Experiments by id with their tags; deleted ones only when `view` asks for them."""
    with uow:
        return uow.tracking.list_experiments(view)


TRAINING_ROLE = "training"


@dataclass(frozen=True)
class PreparedDataset:
    """A dataset's fingerprint, schema, profile and reference sample, computed off-transaction.

    A training data set also carries every row's fingerprint (`row_hashes_npy`, uint64
    `.npy` bytes), so validation can count the training rows among its rows.
    """

    ref: DatasetRef
    sample_parquet: bytes
    row_hashes_npy: bytes | None = None


def prepare_dataset(
    data: object, *, name: str, role: str, source: str | None = None
) -> PreparedDataset:
    """Fingerprint, profile and sample data (DataFrame, Arrow table, or Parquet/CSV path)."""
    check_name(name, what="dataset")
    check_key(role, what="dataset role")
    if source is None and isinstance(data, str | os.PathLike):
        source = str(data)
    table = profiling.to_arrow(data)
    frame = table.to_pandas()
    sample = profiling.sample(frame)
    buffer = io.BytesIO()
    sample.to_parquet(buffer, index=False)
    ref = DatasetRef(
        dataset_id=profiling.fingerprint(table),
        name=name,
        role=role,
        row_count=table.num_rows,
        schema=profiling.arrow_schema(table),
        profile=profiling.profile(frame),
        source=source,
    )
    hashes = None
    if role == TRAINING_ROLE and len(frame.columns) > 0:
        hashes = row_hashes.to_npy(row_hashes.row_hashes(frame, list(map(str, frame.columns))))
    return PreparedDataset(ref, buffer.getvalue(), hashes)


def log_dataset(
    uow: UnitOfWork,
    artifacts: ArtifactStore,
    *,
    guard: Guard,
    run_id: str,
    prepared: PreparedDataset,
) -> DatasetRef:
    """Record a dataset for a run; the same data logged twice is one dataset record.

    Raises:
        NotFound: no such run.
    """
    sample_sha = artifacts.put_bytes(prepared.sample_parquet)
    hashes_sha = None
    if prepared.row_hashes_npy is not None:
        hashes_sha = artifacts.put_bytes(prepared.row_hashes_npy)
    ref = replace(prepared.ref, sample_sha256=sample_sha, row_hashes_sha256=hashes_sha)
    with uow:
        _writable(uow, guard, run_id)
        uow.tracking.save_dataset(ref, at=guard.now())
        uow.tracking.link_dataset(
            run_id, ref.dataset_id, name=ref.name, role=ref.role, source=ref.source
        )
        uow.commit()
    return ref


def log_artifact_bytes(
    uow: UnitOfWork,
    artifacts: ArtifactStore,
    *,
    guard: Guard,
    run_id: str,
    path: str,
    data: bytes,
    kind: str = "file",
) -> ArtifactRef:
    """Store bytes content-addressed and record them under `path` in the run.

    Raises:
        NotFound: no such run.
        AlreadyExists: the run already has an artifact at `path`.
        InvalidInput: a bad path.
    """
    check_key(path, what="artifact path")
    with uow:
        _writable(uow, guard, run_id)
    sha = artifacts.put_bytes(data)
    return _record_artifact(uow, guard, run_id, ArtifactRef(path, sha, len(data), kind))


def _record_artifact(uow: UnitOfWork, guard: Guard, run_id: str, ref: ArtifactRef) -> ArtifactRef:
    with uow:
        _writable(uow, guard, run_id)
        uow.tracking.add_artifact(run_id, ref)
        uow.commit()
    return ref


def log_artifact_file(
    uow: UnitOfWork,
    artifacts: ArtifactStore,
    *,
    guard: Guard,
    run_id: str,
    path: str,
    file: str | os.PathLike[str],
) -> ArtifactRef:
    """Like `log_artifact_bytes`, from a file on the server's disk (an upload spooled or
    assembled there), never read into memory whole.

    Raises:
        NotFound: no such run.
        AlreadyExists: the run already has an artifact at `path`.
        InvalidInput: a bad path.
        PermissionDenied: the run is someone else's.
        InvalidTransition: the run has ended or is deleted.
    """
    check_key(path, what="artifact path")
    with uow:
        _writable(uow, guard, run_id)
    sha = artifacts.put_file(str(file))
    ref = ArtifactRef(path=path, sha256=sha, size=os.path.getsize(file), kind="file")
    return _record_artifact(uow, guard, run_id, ref)


def log_model(
    uow: UnitOfWork,
    artifacts: ArtifactStore,
    *,
    guard: Guard,
    run_id: str,
    model: object,
    name: str,
    input_example: Any = None,
    environment: dict[str, Any],
) -> ArtifactRef:
    """Save a model (flavor, signature, environment, hash) as the run's artifact `name`.

    Raises:
        InvalidInput: the object is not a supported model, or the example is not tabular.
        AlreadyExists: the run already has an artifact called `name`.
    """
    check_name(name, what="model artifact")
    flavor = flavors.detect_flavor(model)
    model_bytes = flavors.serialize(model, flavor=flavor)
    meta = flavors.describe(
        model,
        input_example=input_example,
        model_bytes=model_bytes,
        flavor=flavor,
        environment=environment,
    )
    artifacts.put_bytes(model_bytes)
    meta_bytes = json.dumps(meta, sort_keys=True, default=str).encode()
    return log_artifact_bytes(
        uow, artifacts, guard=guard, run_id=run_id, path=name, data=meta_bytes, kind="model"
    )


@dataclass(frozen=True)
class RunDiff:
    """Two runs side by side: for each section, key -> (value in A, value in B, differs)."""

    a: Run
    b: Run
    sections: dict[str, list[tuple[str, Any, Any, bool]]]


def _side_by_side(left: dict[str, Any], right: dict[str, Any]) -> list[tuple[str, Any, Any, bool]]:
    keys = sorted(set(left) | set(right))
    return [(k, left.get(k), right.get(k), left.get(k) != right.get(k)) for k in keys]


def diff_runs(uow: UnitOfWork, *, run_a: str, run_b: str) -> RunDiff:
    """Params, metrics, datasets and environment of two runs side by side. Raises NotFound."""
    with uow:
        a, b = uow.tracking.get_run(run_a), uow.tracking.get_run(run_b)
        env_a = uow.tracking.get_environment(a.environment_id) if a.environment_id else {}
        env_b = uow.tracking.get_environment(b.environment_id) if b.environment_id else {}
    flat_a = {k: v for k, v in env_a.items() if k != "packages"} | {
        f"package {k}": v for k, v in env_a.get("packages", {}).items()
    }
    flat_b = {k: v for k, v in env_b.items() if k != "packages"} | {
        f"package {k}": v for k, v in env_b.get("packages", {}).items()
    }
    sections = {
        "attributes": _side_by_side(_attributes(a), _attributes(b)),
        "params": _side_by_side(a.params, b.params),
        "metrics": _side_by_side(a.metrics, b.metrics),
        "datasets": _side_by_side(
            {d.name: f"{d.role} {d.dataset_id[:12]} ({d.row_count} rows)" for d in a.datasets},
            {d.name: f"{d.role} {d.dataset_id[:12]} ({d.row_count} rows)" for d in b.datasets},
        ),
        "environment": _side_by_side(flat_a, flat_b),
    }
    return RunDiff(a, b, sections)


def _attributes(run: Run) -> dict[str, Any]:
    """What `runs diff` compares about a run besides its data: where and how it ran."""
    duration = (run.end_time - run.start_time).total_seconds() if run.end_time else None
    return {
        "name": run.name,
        "experiment": run.experiment,
        "status": run.status.value,
        "user": run.user,
        "entry_point": run.source.entry_point,
        "git_commit": run.source.git_commit,
        "duration_s": None if duration is None else round(duration, 1),
    }


def create_experiment(uow: UnitOfWork, *, guard: Guard, name: str) -> Experiment:
    """Create an empty experiment (runs also create theirs on first use).

    Raises:
        InvalidInput: a bad experiment name.
        AlreadyExists: an experiment of that name exists.
        PermissionDenied: the actor may not register runs and models.
    """
    check_name(name, what="experiment")
    with uow:
        guard.require(uow, Action.REGISTER, subject=f"experiment {name}")
        if uow.tracking.find_experiment(name) is not None:
            raise AlreadyExists(f"Experiment {name!r} already exists; use it, or pick a new name.")
        created = uow.tracking.create_experiment(name, at=guard.now())
        uow.commit()
    return created


def get_experiment(
    uow: UnitOfWork, *, name: str | None = None, id: int | None = None
) -> Experiment:
    """An experiment by name or by id.

    Raises:
        NotFound: no such experiment.
    """
    with uow:
        if name is not None:
            found = uow.tracking.get_experiment(name)
            return replace(found, tags=uow.tracking.experiment_tags(found.id))
        if id is None:
            raise InvalidInput("Give an experiment's name or id.")
        return uow.tracking.get_experiment_by_id(id)


def log_dataset_description(
    uow: UnitOfWork, *, guard: Guard, run_id: str, ref: DatasetRef
) -> DatasetRef:
    """Link a dataset that a client only described (name, digest, schema, source; no rows) to
    a run: the record is what the client said, not a fingerprint of data the server saw, so
    it carries no sample and no row fingerprints.

    Raises:
        InvalidInput: a bad dataset name or role.
        NotFound: no such run.
        PermissionDenied: the run is someone else's.
        InvalidTransition: the run has ended.
    """
    check_name(ref.name, what="dataset")
    check_key(ref.role, what="dataset role")
    with uow:
        _writable(uow, guard, run_id)
        uow.tracking.save_dataset(ref, at=guard.now())
        uow.tracking.link_dataset(
            run_id, ref.dataset_id, name=ref.name, role=ref.role, source=ref.source
        )
        uow.commit()
    return ref


# lifecycle: soft deletion, restore, renames and tags ----------------------------------------
def _audit(
    uow: UnitOfWork,
    guard: Guard,
    action: str,
    entity_type: str,
    entity_id: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    uow.audit.append(
        AuditEvent(action, entity_type, entity_id, guard.actor, guard.now(), before, after)
    )


def _check_experiment_owners(uow: UnitOfWork, guard: Guard, experiment: Experiment) -> None:
    """Deleting an experiment deletes its active runs, restoring it restores the runs deleted
    with it: only someone who owns every such run may (anyone else gets an audited refusal
    naming an owner)."""
    view = ViewType.DELETED_ONLY if experiment.deleted else ViewType.ACTIVE_ONLY
    for run in uow.tracking.search_runs(
        experiment_ids=[experiment.id], filter=None, order_by=[], limit=MAX_SEARCH, view=view
    ):
        if experiment.deleted and run.deleted_at != experiment.deleted_at:
            continue  # deleted before the experiment was: stays deleted
        if run.user != guard.actor:
            guard.require_owner(
                uow, owner=run.user, subject=f"run {run.id} in experiment {experiment.name}"
            )


def _changeable_experiment(uow: UnitOfWork, guard: Guard, experiment_id: int) -> Experiment:
    found = uow.tracking.get_experiment_by_id(experiment_id)
    guard.require(uow, Action.REGISTER, subject=f"experiment {found.name}")
    return found


def rename_experiment(
    uow: UnitOfWork, *, guard: Guard, experiment_id: int, new_name: str
) -> Experiment:
    """Give an experiment a new name (its runs follow: they refer to it by id).

    Raises:
        InvalidInput: a bad name, or the default experiment.
        NotFound: no such experiment.
        AlreadyExists: another experiment has that name.
        PermissionDenied: the actor may not register runs and models.
    """
    check_name(new_name, what="experiment")
    with uow:
        found = _changeable_experiment(uow, guard, experiment_id)
        if found.name == DEFAULT_EXPERIMENT:
            raise InvalidInput(f"The {DEFAULT_EXPERIMENT!r} experiment keeps its name.")
        uow.tracking.rename_experiment(experiment_id, new_name)
        _audit(
            uow,
            guard,
            "experiment.renamed",
            "experiment",
            str(experiment_id),
            before={"name": found.name},
            after={"name": new_name},
        )
        uow.commit()
    return replace(found, name=new_name)


def set_experiment_deleted(
    uow: UnitOfWork, *, guard: Guard, experiment_id: int, deleted: bool
) -> Experiment:
    """Delete (soft: MLflow's lifecycle_stage "deleted") or restore an experiment with its
    runs. A deleted experiment and its runs are hidden from searches unless asked for, take no
    new runs, and stay records: versions registered from its runs keep their lineage.

    Raises:
        InvalidInput: the default experiment.
        NotFound: no such experiment.
        InvalidTransition: it is already deleted (or, restoring, active).
        PermissionDenied: the actor may not register runs, or does not own every run in it.
    """
    with uow:
        found = _changeable_experiment(uow, guard, experiment_id)
        if found.name == DEFAULT_EXPERIMENT and deleted:
            raise InvalidInput(f"The {DEFAULT_EXPERIMENT!r} experiment cannot be deleted.")
        if found.deleted == deleted:
            state = "deleted" if deleted else "active"
            raise InvalidTransition(f"Experiment {found.name!r} is already {state}.")
        _check_experiment_owners(uow, guard, found)
        at = guard.now() if deleted else None
        uow.tracking.set_experiment_deleted(experiment_id, at)
        _audit(
            uow,
            guard,
            "experiment.deleted" if deleted else "experiment.restored",
            "experiment",
            str(experiment_id),
            after={"name": found.name},
        )
        uow.commit()
    return replace(found, deleted_at=at)


def set_experiment_tag(
    uow: UnitOfWork, *, guard: Guard, experiment_id: int, key: str, value: str | None
) -> None:
    """Set (`value` not None) or delete an experiment's tag.

    Raises:
        InvalidInput: a bad key.
        NotFound: no such experiment, or (deleting) no such tag.
        PermissionDenied: the actor may not register runs and models.
    """
    check_key(key, what="tag")
    with uow:
        found = _changeable_experiment(uow, guard, experiment_id)
        before = uow.tracking.experiment_tags(experiment_id).get(key)
        if value is None:
            if not uow.tracking.delete_experiment_tag(experiment_id, key):
                raise NotFound(f"Experiment {found.name!r} has no tag {key!r}.")
        else:
            uow.tracking.set_experiment_tag(experiment_id, key, str(value))
        _audit(
            uow,
            guard,
            "experiment.tag_set" if value is not None else "experiment.tag_deleted",
            "experiment",
            str(experiment_id),
            before={"key": key, "value": before},
            after={"key": key, "value": value},
        )
        uow.commit()


def set_run_deleted(uow: UnitOfWork, *, guard: Guard, run_id: str, deleted: bool) -> Run:
    """Delete (soft: MLflow's lifecycle_stage "deleted") or restore a run. A deleted run is
    hidden from searches unless asked for and takes no more values; it stays a record, and
    versions registered from it keep their lineage.

    Raises:
        NotFound: no such run.
        InvalidTransition: already deleted (or, restoring, active), or restoring a run whose
            experiment is deleted.
        PermissionDenied: the run is someone else's, or the actor may not register runs.
    """
    with uow:
        owner, _, was_deleted = uow.tracking.run_state(run_id)
        guard.require(uow, Action.REGISTER, subject=f"run {run_id}")
        guard.require_owner(uow, owner=owner, subject=f"run {run_id}")
        if was_deleted == deleted:
            state = "deleted" if deleted else "active"
            raise InvalidTransition(f"Run {run_id!r} is already {state}.")
        run = uow.tracking.get_run_info(run_id)
        if not deleted and uow.tracking.get_experiment_by_id(run.experiment_id).deleted:
            raise InvalidTransition(
                f"Run {run_id!r} is in deleted experiment {run.experiment!r}; restore the"
                " experiment first."
            )
        at = guard.now() if deleted else None
        uow.tracking.set_run_deleted(run_id, at)
        _audit(
            uow,
            guard,
            "run.deleted" if deleted else "run.restored",
            "run",
            run_id,
            after={"experiment": run.experiment, "name": run.name},
        )
        uow.commit()
    return replace(run, deleted_at=at)


def delete_run_tag(uow: UnitOfWork, *, guard: Guard, run_id: str, key: str) -> None:
    """Remove a tag from a RUNNING run (the run's owner only, like every write to it).

    Raises:
        NotFound: no such run or tag.
        PermissionDenied: the run is someone else's.
        InvalidTransition: the run has ended or is deleted.
    """
    with uow:
        _writable(uow, guard, run_id)
        if not uow.tracking.delete_run_tag(run_id, key):
            raise NotFound(f"Run {run_id!r} has no tag {key!r}.")
        uow.commit()
