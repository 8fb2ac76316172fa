"""One monitoring window computed: drift of inputs and outputs against the reference, and
performance on its labelled rows. No storage here; `service` stores what this returns."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from modelward.domain.monitoring import DriftPoint, Label, PerformancePoint, PredictionLog
from modelward.monitoring import performance
from modelward.monitoring.reference import INPUT_PREFIX, MonitoringReference, inputs_of, outputs_of
from modelward.stats.drift import (
    ColumnDrift,
    detect_drift,
    detect_drift_batches,
    prediction_drift,
)
from modelward.stats.options import DriftOptions

BATCH_ROWS = 200_000


@dataclass(frozen=True)
class MonitorOptions:
    """How windows are cut and judged (``monitoring:`` in modelward.yaml, or CLI flags).

    Attributes:
        window: Window size.
        margin: Performance margin below the validation baseline (see `performance`).
        min_labels: Fewest labelled rows a window needs for performance figures.
        min_metrics: Floors per metric, e.g. ``{"roc_auc": 0.7}``.
        thresholds: Drift overrides per column, as `modelward.stats.drift.detect_drift` takes.
        drift: Drift defaults (minimum rows, methods ...).
        max_rows_in_memory: Larger windows are read in Arrow batches (DuckDB), not whole.
        reference_window: A span of the log to use as the reference instead of the training data.
        engine: ``"pandas"`` (in this process) or ``"dask"`` (input drift reduced on Dask,
            see `modelward.monitoring.distributed`).
        scheduler: A ``dask.distributed`` scheduler address for the dask engine.
    """

    window: timedelta = timedelta(days=1)
    margin: float = performance.DEFAULT_MARGIN
    min_labels: int = performance.MIN_LABELS
    min_metrics: Mapping[str, float] = field(default_factory=dict)
    thresholds: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    drift: DriftOptions = field(default_factory=DriftOptions)
    max_rows_in_memory: int = 1_000_000
    reference_window: tuple[datetime, datetime] | None = None
    engine: str = "pandas"
    scheduler: str | None = None
    # The prediction log's pseudonymisation key: the training reference of pseudonymised
    # columns is pseudonymised with it, so drift compares like with like (never shown).
    pseudonym_key: bytes | None = field(default=None, repr=False)


def _point(col: ColumnDrift, target: str) -> DriftPoint:
    return DriftPoint(
        column=col.column,
        kind=col.kind,
        method=col.method,
        statistic=_finite(col.statistic),
        p_value=_finite(col.p_value),
        effect_size=_finite(col.effect_size),
        threshold=_finite(col.threshold),
        drifted=col.drifted,
        status=col.status,
        message=col.message,
        target=target,
    )


def _finite(value: float | None) -> float | None:
    import math

    return None if value is None or not math.isfinite(value) else float(value)


def _renamed(batches: Iterator[Any]) -> Iterator[Any]:
    for batch in batches:
        yield batch.rename_columns([n.removeprefix(INPUT_PREFIX) for n in batch.schema.names])


def input_drift(
    ref: MonitoringReference,
    log: PredictionLog,
    frame: pd.DataFrame | None,
    *,
    deployment: str,
    span: tuple[datetime, datetime],
    options: MonitorOptions,
) -> tuple[DriftPoint, ...]:
    """Per-feature drift; `frame` None means the window is read in batches (large logs)."""
    if ref.inputs is None:
        return ()
    features = [f for f in ref.features if f in ref.inputs.columns]
    thresholds = {k: v for k, v in options.thresholds.items() if k in features} or None
    if options.engine == "dask":
        from modelward.monitoring.distributed import dask_input_drift

        report = dask_input_drift(
            ref.inputs, log, deployment=deployment, span=span, features=features,
            thresholds=thresholds, options=options.drift, scheduler=options.scheduler,
        )  # fmt: skip
    elif frame is not None:
        report = detect_drift(
            ref.inputs,
            inputs_of(frame, features),
            columns=features,
            thresholds=thresholds,
            options=options.drift,
        )
    else:
        columns = [INPUT_PREFIX + f for f in features]
        batches = log.iter_batches(deployment, *span, columns=columns, rows=BATCH_ROWS)
        report = detect_drift_batches(
            ref.inputs, _renamed(batches), columns=features, thresholds=thresholds,
            options=options.drift,
        )  # fmt: skip
    return tuple(_point(col, "input") for col in report.columns)


def output_drift(
    ref: MonitoringReference, frame: pd.DataFrame | None, options: MonitorOptions
) -> tuple[DriftPoint, ...]:
    """Drift of the model's outputs (scores or predictions) against the reference outputs."""
    if ref.outputs is None or frame is None or "prediction" not in frame:
        return ()
    col = prediction_drift(ref.outputs, outputs_of(frame), options=options.drift)
    return (_point(col, "prediction"),)


def window_performance(
    frame: pd.DataFrame,
    labels: list[Label],
    *,
    baseline: Mapping[str, float],
    task: str | None,
    options: MonitorOptions,
) -> tuple[list[PerformancePoint], int, str]:
    """Performance on the window's labelled rows: (points, labelled rows, status)."""
    if not labels or not len(frame):
        return [], 0, "insufficient_data"
    truth = pd.DataFrame(
        {
            "request_id": [lb.request_id for lb in labels],
            "row": [lb.row for lb in labels],
            "label": [lb.label for lb in labels],
        }
    )
    keys = frame[["request_id", "row", "prediction"]].assign(row=frame["row"].astype("int64"))
    if "probabilities" in frame:
        keys = keys.assign(probabilities=frame["probabilities"])
    joined = keys.merge(truth, on=["request_id", "row"], how="inner")
    joined = joined.drop_duplicates(["request_id", "row"])
    if len(joined) < options.min_labels:
        return [], len(joined), "insufficient_data"
    kind = performance.infer_task(joined["label"], joined.get("probabilities"), task)
    values = performance.compute_metrics(joined, task=kind)
    points = performance.judge(
        values,
        baseline=baseline,
        n_labels=len(joined),
        margin=options.margin,
        floors=options.min_metrics,
    )
    return points, len(joined), "ok"
