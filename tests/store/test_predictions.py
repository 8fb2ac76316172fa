"""The prediction log: batches off the request path, per-process files, DuckDB reads."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

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


def test_batch_rows_trigger_a_flush_before_the_interval(tmp_path: Path) -> None:
    logger = PredictionLogger(tmp_path, batch_rows=10, flush_seconds=60)
    for i in range(5):
        logger.log(entry(f"r{i}"))
    deadline = time.monotonic() + 5
    while count_predictions(tmp_path, "scoring") < 10 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert count_predictions(tmp_path, "scoring") == 10
    logger.log(entry("late"))
    logger.close()
    assert count_predictions(tmp_path, "scoring") == 12
    files = list(tmp_path.rglob("*.parquet"))
    assert len(files) == 2 and all(f.parent.name.startswith("date=") for f in files)
    assert not list(tmp_path.rglob("*.tmp"))


def test_reads_filter_by_time_and_union_columns(tmp_path: Path) -> None:
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
