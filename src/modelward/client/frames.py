"""Runs as a pandas DataFrame, laid out as MLflow's `search_runs` lays them out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from modelward.domain.tracking import Run

if TYPE_CHECKING:
    import pandas as pd


def runs_frame(runs: Sequence[Run]) -> pd.DataFrame:
    """One row per run: ``run_id``, ``experiment``, ``run_name``, ``status``, ``user``,
    ``start_time``, ``end_time``, ``duration_s``, ``parent_run_id``, then ``params.*`` (strings),
    ``metrics.*`` (latest values, floats) and ``tags.*`` columns; a missing value is NaN/None."""
    import pandas as pd

    rows = []
    for run in runs:
        duration = (run.end_time - run.start_time).total_seconds() if run.end_time else None
        row: dict[str, object] = {
            "run_id": run.id,
            "experiment": run.experiment,
            "run_name": run.name,
            "status": str(run.status),
            "user": run.user,
            "start_time": run.start_time,
            "end_time": run.end_time,
            "duration_s": duration,
            "parent_run_id": run.parent_run_id,
        }
        row.update({f"params.{k}": v for k, v in sorted(run.params.items())})
        row.update({f"metrics.{k}": v for k, v in sorted(run.metrics.items())})
        row.update({f"tags.{k}": v for k, v in sorted(run.tags.items())})
        rows.append(row)
    fixed = ["run_id", "experiment", "run_name", "status", "user", "start_time", "end_time"]
    fixed += ["duration_s", "parent_run_id"]
    frame = pd.DataFrame(rows, columns=None if rows else fixed)
    for column in ("start_time", "end_time"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame
