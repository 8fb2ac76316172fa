"""Run Evidently's DataDriftPreset on two Parquet files and print timing and verdicts as JSON.

Runs inside the peer virtual environment (Evidently 0.7.23 needs pandas < 3), started by
`bench_drift.py`; it imports nothing from modelward.
"""

from __future__ import annotations

import argparse
import json
import time

import pandas as pd
from _memory import PeakRss, rss_bytes
from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataDriftPreset


def _is_p_value(method: str) -> bool:
    return "p_value" in method


def run(reference: pd.DataFrame, current: pd.DataFrame) -> dict:
    numeric = [c for c in reference.columns if pd.api.types.is_numeric_dtype(reference[c])]
    categorical = [c for c in reference.columns if c not in numeric]
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    ref = Dataset.from_pandas(reference, data_definition=definition)
    cur = Dataset.from_pandas(current, data_definition=definition)
    snapshot = Report([DataDriftPreset()]).run(current_data=cur, reference_data=ref)
    columns = {}
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if not config.get("type", "").endswith("ValueDrift"):
            continue
        method, threshold, value = config["method"], config["threshold"], metric["value"]
        drifted = value < threshold if _is_p_value(method) else value >= threshold
        columns[config["column"]] = {
            "method": method,
            "threshold": threshold,
            "value": value,
            "drifted": bool(drifted),
        }
    return columns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ref", required=True)
    parser.add_argument("--cur", required=True)
    args = parser.parse_args()
    before = rss_bytes()
    reference, current = pd.read_parquet(args.ref), pd.read_parquet(args.cur)
    run(reference.head(1_000), current.head(1_000))  # warm-up: lazy imports, caches
    with PeakRss() as memory:
        start, cpu_start = time.perf_counter(), time.process_time()
        columns = run(reference, current)
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    result = {
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu_seconds, 3),
        "peak_mb_above_data": memory.above_baseline_mb,
        "data_mb": round((memory.baseline - before) / 2**20, 1),
        "flagged": sorted(name for name, col in columns.items() if col["drifted"]),
        "columns": columns,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
