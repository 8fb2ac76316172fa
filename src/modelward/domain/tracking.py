"""Experiments, runs and what they record: params, metrics, tags, datasets, artifacts."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class ViewType(enum.StrEnum):
    """Which runs or experiments a search returns, by lifecycle (MLflow's ViewType)."""

    ACTIVE_ONLY = "ACTIVE_ONLY"
    DELETED_ONLY = "DELETED_ONLY"
    ALL = "ALL"


class RunStatus(enum.StrEnum):
    """Life of a run: RUNNING until it ends as FINISHED, FAILED or KILLED."""

    RUNNING = "RUNNING"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"

    @property
    def is_terminal(self) -> bool:
        return self is not RunStatus.RUNNING


@dataclass(frozen=True)
class Experiment:
    id: int
    name: str
    created_at: datetime
    description: str = ""
    deleted_at: datetime | None = None  # soft-deleted (MLflow's lifecycle_stage "deleted")
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


@dataclass(frozen=True)
class Metric:
    key: str
    value: float
    step: int
    timestamp: int  # milliseconds since the epoch, as MLflow does


@dataclass(frozen=True)
class Source:
    """Where a run's code came from."""

    entry_point: str | None = None
    git_commit: str | None = None
    git_dirty: bool | None = None


@dataclass(frozen=True)
class DatasetRef:
    """A dataset as one run used it: the shared record plus the run's name and role for it."""

    dataset_id: str  # the fingerprint (sha256 over a canonical Arrow form)
    name: str
    role: str
    row_count: int
    schema: dict[str, str]
    profile: dict[str, Any] = field(default_factory=dict)
    source: str | None = None
    sample_sha256: str | None = None
    row_hashes_sha256: str | None = None  # training sets: every row's fingerprint (.npy)


@dataclass(frozen=True)
class ArtifactRef:
    path: str
    sha256: str
    size: int
    kind: str = "file"  # "file" or "model"


@dataclass(frozen=True)
class Run:
    id: str
    experiment_id: int
    experiment: str
    name: str
    status: RunStatus
    user: str
    start_time: datetime
    end_time: datetime | None = None
    parent_run_id: str | None = None
    source: Source = Source()
    environment_id: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    datasets: tuple[DatasetRef, ...] = ()
    artifacts: tuple[ArtifactRef, ...] = ()
    # soft-deleted (MLflow's lifecycle_stage "deleted"): hidden from searches, still a record
    deleted_at: datetime | None = None

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    def _repr_html_(self) -> str:
        """A table for notebooks: status, timing, params, latest metrics, tags, artifacts."""
        from modelward.domain import display

        rows: list[tuple[str, object]] = [
            ("experiment", self.experiment),
            ("status", self.status),
            ("user", self.user),
            ("started", self.start_time.isoformat(timespec="seconds")),
        ]
        if self.end_time is not None:
            seconds = (self.end_time - self.start_time).total_seconds()
            rows.append(("duration", f"{seconds:.1f} s"))
        if self.parent_run_id:
            rows.append(("parent run", self.parent_run_id))
        rows += [(f"param {k}", v) for k, v in sorted(self.params.items())]
        rows += [(f"metric {k}", f"{v:.6g}") for k, v in sorted(self.metrics.items())]
        rows += [(f"tag {k}", v) for k, v in sorted(self.tags.items())]
        rows += [(f"artifact {a.path}", f"{a.size} bytes") for a in self.artifacts]
        return display.table(f"Run {self.name} ({self.id})", rows)
