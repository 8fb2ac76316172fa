"""The prediction log: scored records appended to Parquet in batches, off the request path,
and DuckDB helpers to read them back.

Layout: ``ROOT/deployment=NAME/date=YYYY-MM-DD/REPLICA-PID-START-SEQ.parquet``. Each process
writes its own files (the replica id and pid are in the name), so replicas and workers never
contend. A file is written to a temporary name and renamed into place: readers never see a
partial file. A background thread flushes every ``batch_rows`` rows or ``flush_seconds``
seconds; a graceful stop flushes everything. A crash (SIGKILL, power loss) loses at most what
was queued since the last flush: ``flush_seconds`` seconds of traffic, or ``batch_rows`` rows.

One row per scored record: ``request_id, row, ts, deployment, model, version, arm,
latency_ms, prediction, probabilities`` and the inputs as ``in_<column>``; with explanations on
(`modelward.serving.explain`), ``explanation``: the row's contributions as JSON text.
"""

from __future__ import annotations

import os
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from modelward.store import objectstore
from modelward.store.private import FILE_MODE, private_dir, storage_error

INPUT_PREFIX = "in_"
# Applied to each entry's inputs before a write (the data-protection pseudonymiser).
InputTransform = Callable[[Mapping[str, Any]], Mapping[str, Any]]


@dataclass(frozen=True)
class PredictionEntry:
    """One scored request (or one batch chunk): inputs by column, outputs by row."""

    request_id: str
    ts: datetime
    deployment: str
    model: str
    version: int
    arm: str
    latency_ms: float
    inputs: Mapping[str, Any]  # column -> 1-D array-like, all of one length
    predictions: Any  # 1-D array-like
    probabilities: Any = None  # 2-D array-like (rows x classes) or None
    explanations: Any = None  # one JSON text per row (or a callable giving them), or None


def replica_id() -> str:
    """MODELWARD_REPLICA_ID, else the host name (a Kubernetes pod's name)."""
    raw = os.environ.get("MODELWARD_REPLICA_ID") or socket.gethostname() or "replica"
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in raw)[:64]


def _column(values: Any) -> pa.Array:
    array = np.asarray(values)
    if array.dtype == object:
        return pa.array([None if v is None else str(v) for v in array.tolist()], pa.string())
    return pa.array(array)


def entries_to_table(entries: Sequence[PredictionEntry]) -> pa.Table:
    """Arrow table with one row per scored record (inputs of differing columns become nulls)."""
    counts = [len(e.predictions) for e in entries]
    names: dict[str, None] = {}
    for entry in entries:
        names.update(dict.fromkeys(entry.inputs))
    cols: dict[str, pa.Array | pa.ChunkedArray] = {
        "request_id": pa.array(np.repeat([e.request_id for e in entries], counts), pa.string()),
        "row": pa.array(np.concatenate([np.arange(n, dtype=np.int32) for n in counts])),
        "ts": pa.array(
            np.repeat([e.ts.replace(tzinfo=None) for e in entries], counts).astype(
                "datetime64[us]"
            ),
            pa.timestamp("us", tz="UTC"),
        ),
        "deployment": pa.array(np.repeat([e.deployment for e in entries], counts), pa.string()),
        "model": pa.array(np.repeat([e.model for e in entries], counts), pa.string()),
        "version": pa.array(np.repeat([e.version for e in entries], counts).astype(np.int32)),
        "arm": pa.array(np.repeat([e.arm for e in entries], counts), pa.string()),
        "latency_ms": pa.array(np.repeat([e.latency_ms for e in entries], counts), pa.float64()),
    }
    cols["prediction"] = pa.chunked_array([_column(e.predictions) for e in entries])
    cols["probabilities"] = _probabilities(entries, counts)
    if any(e.explanations is not None for e in entries):
        cols["explanation"] = pa.chunked_array(
            [
                pa.nulls(n, pa.string()) if e.explanations is None else pa.array(_texts(e))
                for e, n in zip(entries, counts, strict=True)
            ],
            pa.string(),
        )
    for name in names:
        chunks = [
            _column(e.inputs[name]) if name in e.inputs else pa.nulls(n)
            for e, n in zip(entries, counts, strict=True)
        ]
        cols[INPUT_PREFIX + name] = _unify(chunks)
    return pa.table(cols)


def _texts(entry: PredictionEntry) -> Any:
    found = entry.explanations
    return found() if callable(found) else found


def _probabilities(entries: Sequence[PredictionEntry], counts: list[int]) -> pa.ChunkedArray:
    chunks = []
    for entry, n in zip(entries, counts, strict=True):
        if entry.probabilities is None:
            chunks.append(pa.nulls(n, pa.list_(pa.float64())))
            continue
        matrix = np.asarray(entry.probabilities, dtype=np.float64)
        offsets = np.arange(0, matrix.size + 1, matrix.shape[1], dtype=np.int32)
        chunks.append(pa.ListArray.from_arrays(offsets, pa.array(matrix.ravel())))
    return pa.chunked_array(chunks, pa.list_(pa.float64()))


def _unify(chunks: list[pa.Array]) -> pa.ChunkedArray:
    typed = [c.type for c in chunks if c.type != pa.null()]
    if not typed:
        return pa.chunked_array(chunks, pa.null())
    target = typed[0]
    if any(t != target for t in typed):
        target = (
            pa.float64()
            if all(pa.types.is_integer(t) or pa.types.is_floating(t) for t in typed)
            else pa.string()
        )
    return pa.chunked_array([c.cast(target) for c in chunks], target)


def write_entries(
    root: str | Path,
    entries: Sequence[PredictionEntry],
    *,
    stem: str,
    transform: InputTransform | None = None,
) -> list[str]:
    """Write entries as one Parquet file per deployment and day (atomically); returns where.

    Folders are made 0700 and files 0600: the log holds the scored inputs. A `root` URL
    (``s3://bucket/predictions``) writes to object storage (see `objectstore`). `transform`
    (the pseudonymiser) is applied to every entry's inputs first.

    Raises:
        InsufficientStorage: the disk is full.
        BackendUnavailable: the log folder cannot be written.
    """
    if transform is not None:
        entries = [replace(e, inputs=transform(e.inputs)) for e in entries]
    groups: dict[tuple[str, date], list[PredictionEntry]] = {}
    for entry in entries:
        groups.setdefault((entry.deployment, entry.ts.date()), []).append(entry)
    written = []
    for (deployment, day), group in groups.items():
        if objectstore.is_remote(root):
            relative = f"deployment={deployment}/date={day.isoformat()}/{stem}.parquet"
            url = objectstore.write_parquet(entries_to_table(group), str(root), relative)
            written.append(url)
            continue
        folder = Path(root) / f"deployment={deployment}" / f"date={day.isoformat()}"
        private_dir(folder)
        target = folder / f"{stem}.parquet"
        tmp = folder / f".{stem}.parquet.tmp"
        try:
            pq.write_table(entries_to_table(group), tmp, compression="zstd")
            os.chmod(tmp, FILE_MODE)
            os.replace(tmp, target)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise storage_error(exc, where=target) from exc
        written.append(str(target))
    return written


class PredictionLogger:
    """Queue entries on the request path (non-blocking); a daemon thread writes the batches."""

    def __init__(
        self,
        root: str | Path,
        *,
        batch_rows: int = 10_000,
        flush_seconds: float = 1.0,
        transform: InputTransform | None = None,
    ) -> None:
        self.root = root if objectstore.is_remote(root) else Path(root)
        self.transform = transform  # off the request path: applied by the writer thread
        self.batch_rows = batch_rows
        self.flush_seconds = flush_seconds
        self._queue: queue.SimpleQueue[PredictionEntry | None] = queue.SimpleQueue()
        self._prefix = f"{replica_id()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._seq = 0
        self.rows_written = 0
        self.errors = 0
        self._thread = threading.Thread(target=self._run, name="prediction-log", daemon=True)
        self._thread.start()

    def log(self, entry: PredictionEntry) -> None:
        """Queue one entry; never blocks and never raises on the request path."""
        self._queue.put(entry)

    def _run(self) -> None:
        pending: list[PredictionEntry] = []
        rows = 0
        deadline = time.monotonic() + self.flush_seconds
        while True:
            timeout = max(0.0, deadline - time.monotonic())
            try:
                item = self._queue.get(timeout=timeout)
            except queue.Empty:
                item = ...  # type: ignore[assignment]
            if item is None:  # stop sentinel: write what is left and exit
                self._flush(pending)
                return
            if isinstance(item, PredictionEntry):
                pending.append(item)
                rows += len(item.predictions)
            if rows >= self.batch_rows or time.monotonic() >= deadline:
                self._flush(pending)
                pending, rows = [], 0
                deadline = time.monotonic() + self.flush_seconds

    def _flush(self, pending: list[PredictionEntry]) -> None:
        if not pending:
            return
        self._seq += 1
        try:
            stem = f"{self._prefix}-{self._seq:06d}"
            write_entries(self.root, pending, stem=stem, transform=self.transform)
            self.rows_written += sum(len(e.predictions) for e in pending)
        except Exception:  # a full disk (or a failed pseudonymiser: never write in clear)
            # must not stop serving; the metric shows it
            self.errors += 1

    def close(self, timeout: float = 30.0) -> None:
        """Flush everything queued and stop the writer (graceful shutdown)."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout)


def _files(root: str | Path, deployment: str, start: datetime, end: datetime) -> list[str]:
    day, found = start.date(), []
    while day <= end.date():
        found += objectstore.glob(root, f"deployment={deployment}/date={day.isoformat()}/*.parquet")
        day += timedelta(days=1)
    return found


def read_predictions(
    root: str | Path,
    deployment: str,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    columns: Sequence[str] | None = None,
) -> Any:
    """The logged records of `deployment` with start <= ts < end, as a pandas DataFrame.

    Defaults: the last 7 days up to now. Files of differing input columns are unioned by name.
    """
    end = end or datetime.now(UTC) + timedelta(seconds=1)
    start = start or end - timedelta(days=7)
    files = _files(root, deployment, start, end)
    select = ", ".join(f'"{c}"' for c in columns) if columns else "*"
    if not files:
        import pandas as pd

        return pd.DataFrame(columns=list(columns) if columns else ["request_id", "ts"])
    with objectstore.duckdb_connect(root) as con:
        return con.execute(
            f"SELECT {select} FROM read_parquet(?, union_by_name = true, hive_partitioning ="
            " false) WHERE ts >= ? AND ts < ? ORDER BY ts, request_id, row",
            [files, start, end],
        ).df()


def count_predictions(root: str | Path, deployment: str) -> int:
    """How many records are logged for `deployment` (all days)."""
    files = objectstore.glob(root, f"deployment={deployment}/*/*.parquet")
    if not files:
        return 0
    with objectstore.duckdb_connect(root) as con:
        row = con.execute("SELECT count(*) FROM read_parquet(?)", [files]).fetchone()
    return int(row[0]) if row else 0
