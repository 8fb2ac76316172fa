"""Batch scoring of a Parquet or CSV file: in chunks with pandas (streamed, never the whole file
in memory), or partition by partition on Dask (a local cluster, or any scheduler address).

Predictions are logged like the service's (arm ``batch``), one prediction-log file per chunk
or partition, written by the code that scored it: nothing is shared between Dask workers.
The log writer is passed in (``store.predictions.write_entries``): services know no store.
Scoring for a deployment follows the service's kill switch rule (`routing.kill_switch`): a
killed deployment's fallback answer fills the ``prediction`` column, or nothing is scored.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modelward.domain.deployment import Deployment
from modelward.errors import InvalidInput
from modelward.registry.flavors import LoadedModel
from modelward.serving import routing

Progress = Callable[[int, int | None], None]
ENGINES = ("pandas", "dask")


@dataclass(frozen=True)
class LogSpec:
    """Where and as what the batch's predictions are logged."""

    root: str
    deployment: str
    model: str
    version: int


@dataclass(frozen=True)
class BatchResult:
    """What a batch job did; `fallback` means the kill switch answered, not the model."""

    rows: int
    output: Path
    engine: str
    seconds: float
    job_id: str
    logged: bool
    fallback: bool = False


def _kind(source: Path) -> str:
    suffix = source.suffix.lower()
    if suffix in (".parquet", ".pq") or source.is_dir():
        return "parquet"
    if suffix in (".csv", ".txt") or source.name.endswith(".csv.gz"):
        return "csv"
    raise InvalidInput(f"Cannot score {str(source)!r}: give a .parquet or .csv file.")


def score_frame(model: LoadedModel, frame: pd.DataFrame) -> tuple[pd.DataFrame, Any, Any]:
    """The input with ``prediction`` (and ``proba_<class>``) columns; predictions; probabilities."""
    predictions = model.predict(frame)
    out = frame.copy()
    out["prediction"] = predictions
    proba = None
    if model.has_predict_proba:
        proba = model.predict_proba(frame)
        classes = model.classes_ if model.classes_ is not None else range(proba.shape[1])
        for j, label in enumerate(classes):
            out[f"proba_{label}"] = proba[:, j]
    explaining = getattr(model, "explaining", None)  # serving.explain.explaining(): reasons
    if explaining is not None:
        out["explanation"] = explaining(frame)
    return out, predictions, proba


def _score(
    model: LoadedModel, frame: pd.DataFrame, fallback: routing.Fallback | None
) -> tuple[pd.DataFrame, Any, Any]:
    """`score_frame`, or while the kill switch is on, the fallback answer in every row."""
    if fallback is None:
        return score_frame(model, frame)
    out = frame.copy()
    out["prediction"] = fallback.predictions(len(frame))
    return out, None, None


def _log_chunk(
    spec: LogSpec | None,
    write_log: Callable[..., Any] | None,
    entry: Callable[..., Any] | None,
    *,
    model: LoadedModel,
    frame: pd.DataFrame,
    predictions: Any,
    proba: Any,
    request_id: str,
    seconds: float,
    explained: Any = None,
) -> None:
    if spec is None or write_log is None or entry is None:
        return
    names = [c["name"] for c in model.signature.get("columns", [])] or list(frame.columns)
    record = entry(
        request_id=request_id,
        ts=datetime.now(UTC),
        deployment=spec.deployment,
        model=spec.model,
        version=spec.version,
        arm="batch",
        latency_ms=seconds * 1000.0,
        inputs={str(c): frame[c].to_numpy() for c in names if c in frame.columns},
        predictions=np.asarray(predictions),
        probabilities=proba,
        **({} if explained is None else {"explanations": list(explained)}),
    )
    write_log(spec.root, [record], stem=f"batch-{request_id}")


def score_file(
    model: LoadedModel,
    source: Path,
    output: Path,
    *,
    chunk_size: int = 100_000,
    engine: str = "pandas",
    scheduler: str | None = None,
    log: LogSpec | None = None,
    write_log: Callable[..., Any] | None = None,
    entry: Callable[..., Any] | None = None,
    on_progress: Progress | None = None,
    deployment: Deployment | None = None,
) -> BatchResult:
    """Score `source` into `output` (a Parquet file; with Dask a folder of parts).

    For a `deployment` whose kill switch is on, the model is not called: every row's
    ``prediction`` is the deployment's fallback answer (nothing is logged), and without a
    fallback nothing is scored, as in the scoring service.

    Raises:
        InvalidInput: unknown engine or file type, a bad chunk size, or input that does not
            match the model's signature (the message lists every problem).
        NotFound: `source` does not exist.
        DeploymentDisabled: `deployment` is killed and has no fallback answer.
    """
    fallback = None if deployment is None else routing.kill_switch(deployment)
    if engine not in ENGINES:
        raise InvalidInput(f"Unknown engine {engine!r}; use pandas or dask.")
    if chunk_size < 1:
        raise InvalidInput(f"The chunk size must be positive, got {chunk_size}.")
    if not source.exists():
        from modelward.errors import NotFound

        raise NotFound(f"Input file {str(source)!r} does not exist.")
    kind = _kind(source)
    job_id = uuid.uuid4().hex[:12]
    started = time.perf_counter()
    run = _score_pandas if engine == "pandas" else _score_dask
    logged = log is not None and fallback is None  # the model's answers only
    rows = run(
        model,
        source,
        output,
        kind,
        chunk_size=chunk_size,
        scheduler=scheduler,
        job_id=job_id,
        log=(log, write_log, entry) if logged else (None, None, None),
        on_progress=on_progress,
        fallback=fallback,
    )
    seconds = time.perf_counter() - started
    return BatchResult(rows, output, engine, seconds, job_id, logged, fallback is not None)


def _chunks(source: Path, kind: str, chunk_size: int) -> tuple[Any, int | None]:
    if kind == "parquet":
        import pyarrow.parquet as pq

        file = pq.ParquetFile(source)
        batches = (b.to_pandas() for b in file.iter_batches(batch_size=chunk_size))
        return batches, file.metadata.num_rows
    return pd.read_csv(source, chunksize=chunk_size), None


def _score_pandas(
    model: LoadedModel,
    source: Path,
    output: Path,
    kind: str,
    *,
    chunk_size: int,
    scheduler: str | None,
    job_id: str,
    log: tuple[Any, Any, Any],
    on_progress: Progress | None,
    fallback: routing.Fallback | None = None,
) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    chunks, total = _chunks(source, kind, chunk_size)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp")
    writer: pq.ParquetWriter | None = None
    done = 0
    try:
        for index, frame in enumerate(chunks):
            started = time.perf_counter()
            out, predictions, proba = _score(model, frame, fallback)
            spent = time.perf_counter() - started
            _log_chunk(
                *log,
                model=model,
                frame=frame,
                predictions=predictions,
                proba=proba,
                request_id=f"{job_id}-{index:06d}",
                seconds=spent,
                explained=out.get("explanation"),
            )
            table = pa.Table.from_pandas(out, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema, compression="zstd")
            writer.write_table(table.cast(writer.schema))
            done += len(frame)
            if on_progress is not None:
                on_progress(done, total)
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        raise InvalidInput(f"Input file {str(source)!r} has no rows to score.")
    tmp.replace(output)
    return done


def _partition(
    frame: pd.DataFrame,
    model: LoadedModel,
    job_id: str,
    log: tuple[Any, Any, Any],
    meta: pd.DataFrame,
    fallback: routing.Fallback | None = None,
    partition_info: dict[str, Any] | None = None,
) -> pd.DataFrame:
    if len(frame) == 0:  # an empty partition: nothing to score or log
        return meta
    started = time.perf_counter()
    out, predictions, proba = _score(model, frame, fallback)
    number = (partition_info or {}).get("number", 0)
    _log_chunk(
        *log,
        model=model,
        frame=frame,
        predictions=predictions,
        proba=proba,
        request_id=f"{job_id}-p{number:06d}",
        seconds=time.perf_counter() - started,
        explained=out.get("explanation"),
    )
    return out


def _score_dask(
    model: LoadedModel,
    source: Path,
    output: Path,
    kind: str,
    *,
    chunk_size: int,
    scheduler: str | None,
    job_id: str,
    log: tuple[Any, Any, Any],
    on_progress: Progress | None,
    fallback: routing.Fallback | None = None,
) -> int:
    import dask.dataframe as dd
    import pyarrow.parquet as pq
    from distributed import Client, LocalCluster

    # distributed's constructors and Client.close() have no type hints
    cluster: Any = None
    if not scheduler:
        cluster = LocalCluster(processes=False, n_workers=1, dashboard_address=None)  # type: ignore[no-untyped-call]
    client = Client(scheduler or cluster)  # type: ignore[no-untyped-call]
    try:
        if kind == "parquet":
            ddf = dd.read_parquet(str(source))
        else:
            ddf = dd.read_csv(str(source), blocksize="64MB")
        sample = ddf.head(min(5, chunk_size), npartitions=-1)
        meta = _score(model, sample, fallback)[0].iloc[:0]
        scored = ddf.map_partitions(_partition, model, job_id, log, meta, fallback, meta=meta)
        scored.to_parquet(str(output), write_index=False, overwrite=True)
    finally:
        client.close()  # type: ignore[no-untyped-call]
        if cluster is not None:
            cluster.close()
    parts = sorted(output.glob("*.parquet"))
    rows = sum(int(pq.ParquetFile(p).metadata.num_rows) for p in parts)
    if on_progress is not None:
        on_progress(rows, rows)
    return rows
