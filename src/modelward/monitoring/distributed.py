"""Monitoring windows on a Dask cluster: `--engine dask` (``engine: dask`` in the project file)
reads a window's prediction-log files as the partitions of a Dask DataFrame and reduces them
to drift accumulators on the workers; the driver holds only the reference and the merged
accumulators, whatever the size of the window.

`scheduler` is a ``dask.distributed`` scheduler address (``tcp://host:8786``); without one the
partitions are reduced on Dask's local threads. Workers need modelward installed and must
reach the log (a shared folder, or object storage: MODELWARD_PREDICTIONS_URL).

The figures are those of the batched in-memory path (`modelward.stats.streaming` documents
what is exact); partitions are merged in a tree, so sums may differ in the last bits.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from typing import Any, Protocol, runtime_checkable

from modelward.errors import BackendUnavailable, InvalidInput
from modelward.stats.drift import DriftReport, detect_drift
from modelward.stats.options import DriftOptions

ENGINES = ("pandas", "dask")
INPUT_PREFIX = "in_"


@runtime_checkable
class PartitionedLog(Protocol):
    """A prediction log whose windows split into files (`store.prediction_log`)."""

    def partitions(self, deployment: str, start: datetime, end: datetime) -> list[str]: ...

    def read_partition(
        self, part: str, start: datetime, end: datetime, *, columns: list[str]
    ) -> Any: ...


def check_engine(engine: str, scheduler: str | None) -> None:
    """Raises InvalidInput for an unknown engine, or a scheduler without the dask engine."""
    if engine not in ENGINES:
        raise InvalidInput(
            f"Unknown monitoring engine {engine!r}; use 'pandas' or 'dask'.", field="engine"
        )
    if scheduler and engine != "dask":
        raise InvalidInput(
            "A Dask scheduler needs the dask engine; add --engine dask.", field="scheduler"
        )


@contextmanager
def dask_client(scheduler: str | None) -> Iterator[None]:
    """Make `scheduler` the current Dask scheduler for the block (nothing when None).

    Raises:
        BackendUnavailable: the scheduler cannot be reached.
    """
    if not scheduler:
        yield
        return
    from distributed import Client

    try:
        client: Any = Client(scheduler, timeout="10s", set_as_default=True)  # type: ignore[no-untyped-call]
    except OSError as exc:  # TimeoutError, ConnectionRefusedError ...
        raise BackendUnavailable(
            f"Cannot reach the Dask scheduler {scheduler!r} ({type(exc).__name__}); start it"
            " (`dask scheduler`) or correct --scheduler."
        ) from None
    try:
        yield
    finally:
        client.close()


def _window_part(
    part: str, *, log: PartitionedLog, start: datetime, end: datetime, columns: list[str]
) -> Any:
    frame = log.read_partition(part, start, end, columns=columns)
    return frame.rename(columns={c: c.removeprefix(INPUT_PREFIX) for c in frame.columns})


def window_frame(
    log: PartitionedLog, deployment: str, span: tuple[datetime, datetime], features: list[str]
) -> Any:
    """The window's inputs as a Dask DataFrame, one partition per log file (lazy)."""
    import dask.dataframe as dd

    parts = log.partitions(deployment, *span)
    if not parts:
        import pandas as pd

        return dd.from_pandas(pd.DataFrame(columns=features), npartitions=1)  # type: ignore[no-untyped-call]
    columns = [INPUT_PREFIX + f for f in features]
    reader = partial(_window_part, log=log, start=span[0], end=span[1], columns=columns)
    # files logged by different versions may differ in dtype: no metadata enforcement
    return dd.from_map(reader, parts, enforce_metadata=False)  # type: ignore[no-untyped-call]


def dask_input_drift(
    reference: Any,
    log: object,
    *,
    deployment: str,
    span: tuple[datetime, datetime],
    features: list[str],
    thresholds: Mapping[str, Mapping[str, Any]] | None,
    options: DriftOptions,
    scheduler: str | None,
) -> DriftReport:
    """Input drift of one window, reduced on the Dask scheduler.

    Raises:
        InvalidInput: the prediction log cannot be split into partitions.
        BackendUnavailable: the scheduler cannot be reached.
    """
    if not isinstance(log, PartitionedLog):
        raise InvalidInput("This prediction log cannot be read by Dask; use --engine pandas.")
    frame = window_frame(log, deployment, span, features)
    with dask_client(scheduler):
        return detect_drift(
            reference, frame, columns=features, thresholds=thresholds, options=options,
            engine="dask",
        )  # fmt: skip
