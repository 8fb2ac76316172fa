"""The prediction log: batches off the request path, per-process files, DuckDB reads."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from modelward.store import objectstore
from modelward.store.prediction_log import ParquetPredictionLog
from modelward.store.predictions import (
    PredictionEntry,
    PredictionLogger,
    count_predictions,
    read_predictions,
)


def entry(
    request_id: str, *, rows: int = 2, at: datetime | None = None, **inputs: object
) -> PredictionEntry:
    columns = inputs or {"income": np.arange(rows, dtype=float)}
    return PredictionEntry(
        request_id=request_id,
        ts=at or datetime.now(UTC),
        deployment="scoring",
        model="credit-risk",
        version=3,
        arm="champion",
        latency_ms=1.5,
        inputs=columns,  # type: ignore[arg-type]
        predictions=np.zeros(rows, dtype=int),
        probabilities=np.full((rows, 2), 0.5),
    )


def test_batch_rows_trigger_a_flush_before_the_interval(storage_root: str) -> None:
    root: str | Path = storage_root if "://" in storage_root else Path(storage_root)
    tmp_path = root
    logger = PredictionLogger(root, batch_rows=10, flush_seconds=60)
    for i in range(5):
        logger.log(entry(f"r{i}"))
    deadline = time.monotonic() + 5
    while count_predictions(tmp_path, "scoring") < 10 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert count_predictions(tmp_path, "scoring") == 10
    logger.log(entry("late"))
    logger.close()
    assert count_predictions(tmp_path, "scoring") == 12
    files = objectstore.glob(root, "*/*/*")
    assert len(files) == 2 and all(f.split("/")[-2].startswith("date=") for f in files)
    assert all(f.endswith(".parquet") for f in files), "no temporary file is left behind"


def test_reads_filter_by_time_and_union_columns(storage_root: str) -> None:
    tmp_path = storage_root
    logger = PredictionLogger(tmp_path, flush_seconds=60)
    old = datetime.now(UTC) - timedelta(days=3)
    logger.log(entry("old", at=old))
    logger.log(entry("new", rows=1, region=np.array(["north"], dtype=object)))
    logger.close()
    everything = read_predictions(tmp_path, "scoring", old - timedelta(hours=1))
    assert list(everything["request_id"]) == ["old", "old", "new"]
    assert everything["in_region"].isna().sum() == 2
    recent = read_predictions(tmp_path, "scoring", datetime.now(UTC) - timedelta(days=1))
    assert list(recent["request_id"]) == ["new"]
    assert read_predictions(tmp_path, "nobody").empty


def test_monitoring_reads_count_batches_and_lookups(storage_root: str) -> None:
    """What monitoring asks of the log (ParquetPredictionLog), on a folder and on S3."""
    old = datetime.now(UTC) - timedelta(days=2)
    logger = PredictionLogger(storage_root, flush_seconds=60)
    logger.log(entry("old", rows=3, at=old))
    logger.log(entry("new", rows=4))
    logger.close()
    log = ParquetPredictionLog(storage_root)
    first, last = log.time_range("scoring") or (None, None)
    assert first is not None and last is not None and first < last
    assert log.count("scoring", old - timedelta(hours=1), old + timedelta(hours=1)) == 3
    everything = (old - timedelta(days=1), datetime.now(UTC) + timedelta(hours=1))
    batches = list(log.iter_batches("scoring", *everything, columns=["in_income"], rows=2))
    assert sum(b.num_rows for b in batches) == 7
    keys = read_predictions(storage_root, "scoring", everything[0])[["request_id", "row"]]
    assert len(log.lookup("scoring", keys)) == 7
    assert log.time_range("nobody") is None
