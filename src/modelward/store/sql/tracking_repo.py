"""SQL repository for experiments, runs, params, metrics, tags, datasets and artifacts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Float,
    Text,
    bindparam,
    cast,
    column,
    delete,
    func,
    insert,
    literal,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import BindParameter

from modelward.domain.names import MAX_STORED_INT
from modelward.domain.search import Filter, OrderBy
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
from modelward.errors import AlreadyExists, Conflict, NotFound
from modelward.store.sql import search_sql
from modelward.store.sql._util import chunks, upsert
from modelward.store.sql.direct import Direct
from modelward.store.sql.tables import (
    datasets,
    environments,
    experiment_tags,
    experiments,
    latest_metrics,
    metrics,
    params,
    run_artifacts,
    run_datasets,
    run_tags,
    runs,
)

# Hot-path statements are built once: constructing SQLAlchemy expressions costs more than
# executing them on SQLite, and the compiled form is cached by statement identity.
_RUN_COLUMNS = (
    "id",
    "experiment_id",
    "name",
    "status",
    "user",
    "start_time",
    "end_time",
    "parent_run_id",
    "entry_point",
    "git_commit",
    "git_dirty",
    "environment_id",
)
_RUN_STATUS = Direct(select(runs.c.status).where(runs.c.id == bindparam("b_run_id")))
_RUN_OWNER = Direct(select(runs.c.user, runs.c.status).where(runs.c.id == bindparam("b_run_id")))
# One run, read by statements built once (SQLAlchemy then reuses their compiled form):
# MLflow's client reads a whole run before it ends one, so these are on a hot path.
_B_RUN: BindParameter[str] = bindparam("b_run_id")
_RUN_ROW = Direct(search_sql.base_query().where(runs.c.id == _B_RUN))
_NO_TEXT, _NO_NUMBER = cast(null(), Text), cast(null(), Float)
_VALUES_OF_ONE = Direct(
    union_all(
        select(literal("params"), params.c.key, params.c.value, _NO_NUMBER).where(
            params.c.run_id == _B_RUN
        ),
        select(literal("tags"), run_tags.c.key, run_tags.c.value, _NO_NUMBER).where(
            run_tags.c.run_id == _B_RUN
        ),
        select(literal("metrics"), latest_metrics.c.key, _NO_TEXT, latest_metrics.c.value).where(
            latest_metrics.c.run_id == _B_RUN
        ),
    )
)
_LISTED: Any = select(column("value")).select_from(func.json_each(bindparam("b_ids")))
_VALUES_OF_MANY = Direct(
    union_all(
        *(
            select(table.c.run_id, literal(kind), table.c.key, table.c.value).where(
                table.c.run_id.in_(_LISTED)
            )
            for table, kind in ((params, "params"), (run_tags, "tags"), (latest_metrics, "metrics"))
        )
    )
)  # SQLite only (json_each): the runs' values, a row per value
_RUN_DATASETS = (
    select(
        run_datasets.c.name,
        run_datasets.c.role,
        run_datasets.c.dataset_id,
        run_datasets.c.source.label("link_source"),
        datasets,
    )
    .join(datasets, datasets.c.id == run_datasets.c.dataset_id)
    .where(run_datasets.c.run_id == _B_RUN)
    .order_by(run_datasets.c.name)
)
_EXPERIMENT_BY_ID = Direct(select(experiments).where(experiments.c.id == bindparam("b_id")))
_EXPERIMENT_TAGS = Direct(
    select(experiment_tags.c.key, experiment_tags.c.value).where(
        experiment_tags.c.experiment_id == bindparam("b_id")
    )
)
_RUN_ARTIFACTS = Direct(
    select(run_artifacts.c.path, run_artifacts.c.sha256, run_artifacts.c.size, run_artifacts.c.kind)
    .where(run_artifacts.c.run_id == _B_RUN)
    .order_by(run_artifacts.c.path)
)
# Direct: on an MLflow client's per-call path (log_metric asks it before every value)
_RUN_STATE = Direct(
    select(runs.c.user, runs.c.status, runs.c.deleted_at.is_not(None)).where(
        runs.c.id == bindparam("b_run_id")
    )
)
_END_RUNNING = Direct(
    update(runs)
    .where(runs.c.id == bindparam("b_run_id"), runs.c.status == RunStatus.RUNNING.value)
    .values(status=bindparam("b_status"), end_time=bindparam("b_end_time"))
)
_FIND_EXPERIMENT = select(experiments).where(experiments.c.name == bindparam("b_name"))
_EXISTING_PARAMS = select(params.c.key, params.c.value).where(
    params.c.run_id == bindparam("b_run_id"), params.c.key.in_(bindparam("b_keys", expanding=True))
)
_INSERT_RUN = Direct(insert(runs), column_keys=_RUN_COLUMNS)
_INSERT_PARAMS = insert(params)
_INSERT_NEW_PARAMS = Direct(
    sqlite.insert(params).on_conflict_do_nothing(), column_keys=("run_id", "key", "value")
)
_METRIC_COLUMNS = ("run_id", "key", "value", "step", "timestamp")
_INSERT_METRICS = Direct(insert(metrics), column_keys=_METRIC_COLUMNS)
_INSERT_TAGS = Direct(insert(run_tags), column_keys=("run_id", "key", "value"))
_UPSERTS: dict[tuple[str, str], Any] = {}
_LATEST: dict[str, Direct] = {}


def _latest_upsert(conn: Connection) -> Direct:
    if conn.dialect.name not in _LATEST:
        stmt = upsert(conn, latest_metrics)
        excluded = stmt.excluded
        newer = (excluded.step > latest_metrics.c.step) | (
            (excluded.step == latest_metrics.c.step)
            & (excluded.timestamp >= latest_metrics.c.timestamp)
        )
        done = stmt.on_conflict_do_update(
            index_elements=["run_id", "key"],
            set_={"value": excluded.value, "step": excluded.step, "timestamp": excluded.timestamp},
            where=newer,
        )
        _LATEST[conn.dialect.name] = Direct(done, column_keys=_METRIC_COLUMNS)
    return _LATEST[conn.dialect.name]


def _tags_upsert(conn: Connection) -> Any:
    key = (conn.dialect.name, "tags")
    if key not in _UPSERTS:
        stmt = upsert(conn, run_tags)
        _UPSERTS[key] = stmt.on_conflict_do_update(
            index_elements=["run_id", "key"], set_={"value": stmt.excluded.value}
        )
    return _UPSERTS[key]


def _experiment(row: Any, tags: dict[str, str] | None = None) -> Experiment:
    return Experiment(row.id, row.name, row.created_at, row.description, row.deleted_at, tags or {})


def _lifecycle(column: Any, view: ViewType) -> Any:
    """The condition on a `deleted_at` column for a view (None: no condition)."""
    if view is ViewType.ACTIVE_ONLY:
        return column.is_(None)
    if view is ViewType.DELETED_ONLY:
        return column.is_not(None)
    return None


def _run(row: Any, **extra: Any) -> Run:
    return Run(
        id=row.id,
        experiment_id=row.experiment_id,
        experiment=row.experiment_name,
        name=row.name,
        status=RunStatus(row.status),
        user=row.user,
        start_time=row.start_time,
        end_time=row.end_time,
        parent_run_id=row.parent_run_id,
        source=Source(row.entry_point, row.git_commit, row.git_dirty),
        environment_id=row.environment_id,
        deleted_at=row.deleted_at,
        **extra,
    )


class SqlTrackingRepo:
    """Implements ``modelward.domain.ports.TrackingRepo`` on one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # experiments -------------------------------------------------------------------------
    def create_experiment(self, name: str, *, at: datetime, description: str = "") -> Experiment:
        # Two first runs of a new experiment may race (PostgreSQL, several server clients):
        # the loser's insert does nothing and it uses the winner's row.
        stmt = upsert(self.conn, experiments).values(
            name=name, description=description, created_at=at
        )
        stmt = stmt.on_conflict_do_nothing(index_elements=["name"]).returning(experiments.c.id)
        new_id = self.conn.execute(stmt).scalar()
        if new_id is None:
            found = self.find_experiment(name)
            assert found is not None
            return found
        return Experiment(int(new_id), name, at, description)

    def find_experiment(self, name: str) -> Experiment | None:
        row = self.conn.execute(_FIND_EXPERIMENT, {"b_name": name}).first()
        return _experiment(row) if row else None

    def get_experiment(self, name: str) -> Experiment:
        found = self.find_experiment(name)
        if found is None:
            raise NotFound(f"Experiment {name!r} does not exist; 'modelward runs list' shows runs.")
        return found

    def get_experiment_by_id(self, experiment_id: int) -> Experiment:
        # an id outside the column's range names no experiment (and the driver would raise)
        in_range = 0 <= experiment_id <= MAX_STORED_INT
        row = _EXPERIMENT_BY_ID.first(self.conn, {"b_id": experiment_id}) if in_range else None
        if row is None:
            raise NotFound(f"Experiment with id {experiment_id} does not exist.")
        return _experiment(row, self.experiment_tags(experiment_id))

    def list_experiments(self, view: ViewType = ViewType.ALL) -> list[Experiment]:
        query = select(experiments).order_by(experiments.c.id)
        condition = _lifecycle(experiments.c.deleted_at, view)
        if condition is not None:
            query = query.where(condition)
        rows = self.conn.execute(query).all()
        tags: dict[int, dict[str, str]] = {row.id: {} for row in rows}
        for experiment_id, key, value in self.conn.execute(
            select(experiment_tags.c.experiment_id, experiment_tags.c.key, experiment_tags.c.value)
        ):
            if experiment_id in tags:
                tags[experiment_id][key] = value
        return [_experiment(row, tags[row.id]) for row in rows]

    def experiment_tags(self, experiment_id: int) -> dict[str, str]:
        rows = _EXPERIMENT_TAGS.all(self.conn, {"b_id": experiment_id})
        return {str(key): str(value) for key, value in rows}

    def rename_experiment(self, experiment_id: int, name: str) -> None:
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    update(experiments).where(experiments.c.id == experiment_id).values(name=name)
                )
        except IntegrityError as exc:
            raise AlreadyExists(f"Experiment {name!r} already exists; pick another name.") from exc

    def set_experiment_deleted(self, experiment_id: int, at: datetime | None) -> None:
        """Mark the experiment deleted at `at` with its active runs (None: restore it and the
        runs deleted with it)."""
        if at is not None:
            self.conn.execute(
                update(runs)
                .where(runs.c.experiment_id == experiment_id, runs.c.deleted_at.is_(None))
                .values(deleted_at=at)
            )
        else:
            when = self.conn.execute(
                select(experiments.c.deleted_at).where(experiments.c.id == experiment_id)
            ).scalar()
            if when is not None:
                self.conn.execute(
                    update(runs)
                    .where(runs.c.experiment_id == experiment_id, runs.c.deleted_at == when)
                    .values(deleted_at=None)
                )
        self.conn.execute(
            update(experiments).where(experiments.c.id == experiment_id).values(deleted_at=at)
        )

    def set_experiment_tag(self, experiment_id: int, key: str, value: str) -> None:
        stmt = upsert(self.conn, experiment_tags)
        self.conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["experiment_id", "key"], set_={"value": stmt.excluded.value}
            ),
            {"experiment_id": experiment_id, "key": key, "value": value},
        )

    def delete_experiment_tag(self, experiment_id: int, key: str) -> bool:
        result = self.conn.execute(
            delete(experiment_tags).where(
                experiment_tags.c.experiment_id == experiment_id, experiment_tags.c.key == key
            )
        )
        return bool(result.rowcount)

    # runs --------------------------------------------------------------------------------
    def insert_run(self, run: Run) -> None:
        _INSERT_RUN.execute(
            self.conn,
            {
                "id": run.id,
                "experiment_id": run.experiment_id,
                "name": run.name,
                "status": run.status.value,
                "user": run.user,
                "start_time": run.start_time,
                "end_time": run.end_time,
                "parent_run_id": run.parent_run_id,
                "entry_point": run.source.entry_point,
                "git_commit": run.source.git_commit,
                "git_dirty": run.source.git_dirty,
                "environment_id": run.environment_id,
            },
        )
        if run.tags:
            _INSERT_TAGS.execute_many(
                self.conn,
                [{"run_id": run.id, "key": k, "value": v} for k, v in run.tags.items()],
            )

    def _run_row(self, run_id: str) -> Any:
        row = _RUN_ROW.first(self.conn, {"b_run_id": run_id})
        if row is None:
            raise NotFound(f"Run {run_id!r} does not exist; 'modelward runs list' shows runs.")
        return row

    def get_run(self, run_id: str) -> Run:
        row = self._run_row(run_id)
        values = {run_id: self._values_of(run_id)}
        ds = [
            DatasetRef(
                dataset_id=r.dataset_id,
                name=r.name,
                role=r.role,
                row_count=r.row_count,
                schema=r.schema,
                profile=r.profile,
                source=r.link_source or r.source,
                sample_sha256=r.sample_sha256,
                row_hashes_sha256=r.row_hashes_sha256,
            )
            for r in self.conn.execute(_RUN_DATASETS, {"b_run_id": run_id})
        ]
        arts = self.list_artifacts(run_id)
        return _run(row, **values[run_id], datasets=tuple(ds), artifacts=tuple(arts))

    def get_run_info(self, run_id: str) -> Run:
        return _run(self._run_row(run_id))

    def run_status(self, run_id: str) -> RunStatus:
        found = _RUN_STATUS.first(self.conn, {"b_run_id": run_id})
        status = None if found is None else found[0]
        if status is None:
            raise NotFound(f"Run {run_id!r} does not exist; 'modelward runs list' shows runs.")
        return RunStatus(status)

    def run_owner(self, run_id: str) -> tuple[str, RunStatus]:
        row = _RUN_OWNER.first(self.conn, {"b_run_id": run_id})
        if row is None:
            raise NotFound(f"Run {run_id!r} does not exist; 'modelward runs list' shows runs.")
        return str(row[0]), RunStatus(row[1])

    def run_state(self, run_id: str) -> tuple[str, RunStatus, bool]:
        row = _RUN_STATE.first(self.conn, {"b_run_id": run_id})
        if row is None:
            raise NotFound(f"Run {run_id!r} does not exist; 'modelward runs list' shows runs.")
        return str(row[0]), RunStatus(row[1]), bool(row[2])

    def set_run_deleted(self, run_id: str, at: datetime | None) -> None:
        self.conn.execute(update(runs).where(runs.c.id == run_id).values(deleted_at=at))

    def delete_run_tag(self, run_id: str, key: str) -> bool:
        result = self.conn.execute(
            delete(run_tags).where(run_tags.c.run_id == run_id, run_tags.c.key == key)
        )
        return bool(result.rowcount)

    def end_if_running(self, run_id: str, status: RunStatus, *, end_time: datetime) -> bool:
        changed = _END_RUNNING.execute(
            self.conn, {"b_run_id": run_id, "b_status": status.value, "b_end_time": end_time}
        )
        return bool(changed)

    def record_heartbeat(self, run_id: str, *, at: datetime) -> bool:
        result = self.conn.execute(
            update(runs)
            .where(runs.c.id == run_id, runs.c.status == RunStatus.RUNNING.value)
            .values(last_heartbeat_at=at)
        )
        return bool(result.rowcount)

    def stale_runs(self, *, before: datetime, limit: int) -> list[str]:
        last_sign = func.coalesce(runs.c.last_heartbeat_at, runs.c.start_time)
        query = (
            select(runs.c.id)
            .where(runs.c.status == RunStatus.RUNNING.value, last_sign < before)
            .order_by(runs.c.start_time)
            .limit(limit)
        )
        return list(self.conn.execute(query).scalars())

    def _values_of(self, run_id: str) -> dict[str, Any]:
        """One run's params, tags and latest metrics in one query, a row per value (the metric
        column keeps the driver's float, exact)."""
        out: dict[str, Any] = {"params": {}, "metrics": {}, "tags": {}}
        for kind, key, text_value, number in _VALUES_OF_ONE.all(self.conn, {"b_run_id": run_id}):
            out[kind][key] = float(number) if kind == "metrics" else text_value
        return out

    def _load_values(self, run_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        if self.conn.dialect.name == "sqlite":
            # one statement for any number of runs (their ids as one JSON array), a row per
            # value straight from the driver: fewer steps than three aggregates per 900 runs
            out: dict[str, dict[str, Any]] = {
                run_id: {"params": {}, "metrics": {}, "tags": {}} for run_id in run_ids
            }
            listed = {"b_ids": json.dumps(list(run_ids))}
            for run_id, kind, key, value in _VALUES_OF_MANY.all(self.conn, listed):
                out[run_id][kind][key] = value
            return out
        # PostgreSQL: one JSON object per run and table, aggregated by the database, a tenth
        # of the rows to fetch compared with one row per value
        out = {run_id: {"params": {}, "metrics": {}, "tags": {}} for run_id in run_ids}
        for part in chunks(run_ids):
            for table, field in (
                (params, "params"),
                (run_tags, "tags"),
                (latest_metrics, "metrics"),
            ):
                query = (
                    select(table.c.run_id, func.json_object_agg(table.c.key, table.c.value))
                    .where(table.c.run_id.in_(part))
                    .group_by(table.c.run_id)
                )
                for run_id, values in self.conn.execute(query):
                    loaded = json.loads(values) if isinstance(values, str) else values
                    if field == "metrics":
                        loaded = {k: float(v) for k, v in loaded.items()}
                    out[run_id][field] = loaded
        return out

    # params, metrics, tags --------------------------------------------------------------
    def log_batch(
        self,
        run_id: str,
        *,
        params: dict[str, str],
        metrics: Sequence[Metric],
        tags: dict[str, str],
    ) -> None:
        if params:
            self._insert_params(run_id, params)
        if metrics:
            self._insert_metrics(run_id, metrics)
        if tags:
            self.conn.execute(
                _tags_upsert(self.conn),
                [{"run_id": run_id, "key": k, "value": v} for k, v in tags.items()],
            )

    def _insert_params(self, run_id: str, new: dict[str, str]) -> None:
        rows = [{"run_id": run_id, "key": k, "value": v} for k, v in new.items()]
        if self.conn.dialect.name == "sqlite":
            # the common case in one statement: every key new (or logged again with its value)
            inserted = _INSERT_NEW_PARAMS.execute_many(self.conn, rows)
            if inserted == len(rows):
                return
        existing = dict(
            self.conn.execute(_EXISTING_PARAMS, {"b_run_id": run_id, "b_keys": list(new)}).all()
        )
        for key, value in new.items():
            if key in existing and existing[key] != value:
                raise Conflict(
                    f"Param {key!r} of run {run_id!r} is already {existing[key]!r}; it cannot"
                    f" become {value!r}. Params are fixed once logged: log a metric or a tag, or"
                    " start a new run."
                )
        if self.conn.dialect.name != "sqlite":  # on SQLite the new ones are in already
            if missing := [row for row in rows if row["key"] not in existing]:
                self.conn.execute(_INSERT_PARAMS, missing)

    def _insert_metrics(self, run_id: str, batch: Sequence[Metric]) -> None:
        rows = [
            {
                "run_id": run_id,
                "key": m.key,
                "value": m.value,
                "step": m.step,
                "timestamp": m.timestamp,
            }
            for m in batch
        ]
        _INSERT_METRICS.execute_many(self.conn, rows)
        latest: dict[str, dict[str, Any]] = {}
        for row in rows:
            key = str(row["key"])
            current = latest.get(key)
            if current is None or (row["step"], row["timestamp"]) >= (
                current["step"],
                current["timestamp"],
            ):
                latest[key] = row
        _latest_upsert(self.conn).execute_many(self.conn, list(latest.values()))

    def metric_history(self, run_id: str, key: str) -> list[Metric]:
        self._run_row(run_id)
        rows = self.conn.execute(
            select(metrics.c.key, metrics.c.value, metrics.c.step, metrics.c.timestamp)
            .where(metrics.c.run_id == run_id, metrics.c.key == key)
            .order_by(metrics.c.step, metrics.c.timestamp, metrics.c.id)
        )
        return [Metric(r.key, r.value, r.step, r.timestamp) for r in rows]

    # datasets, environments, artifacts ---------------------------------------------------
    def save_dataset(self, dataset: DatasetRef, *, at: datetime) -> None:
        stmt = upsert(self.conn, datasets).values(
            id=dataset.dataset_id,
            row_count=dataset.row_count,
            schema=dataset.schema,
            profile=dataset.profile,
            source=dataset.source,
            sample_sha256=dataset.sample_sha256,
            created_at=at,
            row_hashes_sha256=dataset.row_hashes_sha256,
        )
        # Logged before fingerprints were kept: add them, change nothing else.
        self.conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["id"],
                set_={"row_hashes_sha256": stmt.excluded.row_hashes_sha256},
                where=datasets.c.row_hashes_sha256.is_(None),
            )
        )

    def link_dataset(
        self, run_id: str, dataset_id: str, *, name: str, role: str, source: str | None = None
    ) -> None:
        stmt = upsert(self.conn, run_datasets)
        self.conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["run_id", "name"],
                set_={
                    "dataset_id": stmt.excluded.dataset_id,
                    "role": stmt.excluded.role,
                    "source": stmt.excluded.source,
                },
            ),
            {
                "run_id": run_id,
                "name": name,
                "dataset_id": dataset_id,
                "role": role,
                "source": source,
            },
        )

    def save_environment(self, environment_id: str, content: dict[str, Any]) -> None:
        stmt = upsert(self.conn, environments).values(id=environment_id, content=content)
        self.conn.execute(stmt.on_conflict_do_nothing(index_elements=["id"]))

    def get_environment(self, environment_id: str) -> dict[str, Any]:
        row = self.conn.execute(
            select(environments.c.content).where(environments.c.id == environment_id)
        ).first()
        if row is None:
            raise NotFound(f"Environment {environment_id!r} does not exist.")
        return dict(row[0])

    def list_artifacts(self, run_id: str) -> list[ArtifactRef]:
        rows = _RUN_ARTIFACTS.all(self.conn, {"b_run_id": run_id})
        return [ArtifactRef(*row) for row in rows]

    def add_artifact(self, run_id: str, artifact: ArtifactRef) -> None:
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(run_artifacts).values(
                        run_id=run_id,
                        path=artifact.path,
                        sha256=artifact.sha256,
                        size=artifact.size,
                        kind=artifact.kind,
                    )
                )
        except IntegrityError as exc:
            raise AlreadyExists(
                f"Run {run_id!r} already has an artifact at {artifact.path!r}; use another name."
            ) from exc

    # search ------------------------------------------------------------------------------
    def search_runs(
        self,
        *,
        experiment_ids: Sequence[int] | None,
        filter: Filter | None,
        order_by: Sequence[OrderBy],
        limit: int,
        offset: int = 0,
        view: ViewType = ViewType.ACTIVE_ONLY,
    ) -> list[Run]:
        query = search_sql.base_query()
        condition = _lifecycle(runs.c.deleted_at, view)
        if condition is not None:
            query = query.where(condition)
        if experiment_ids is not None:
            query = query.where(runs.c.experiment_id.in_(list(experiment_ids)))
        if filter is not None:
            query = query.where(search_sql.to_condition(filter))
        query = search_sql.apply_order(query, order_by).limit(limit).offset(offset)
        rows = self.conn.execute(query).all()
        values = self._load_values([row.id for row in rows])
        return [_run(row, **values[row.id]) for row in rows]
