"""A monitoring window of 10M rows x 25 columns on a Dask cluster: time, and the driver's peak
memory (the process that runs `monitor run`), which must stay under 1 GB.

Usage::

    .venv/bin/python benchmarks/bench_big_window.py [--rows 10000000] [--workers 2] [--single]

The data (`modelward.stats.synthetic.drift_benchmark_data`, seeded): 20 numeric and 5
categorical columns, 5 of them drifted. A child process writes the workspace (a model whose
recorded training sample of 10,000 rows is the reference) and the window's prediction log in
files of 500,000 rows (copies of the first unless --distinct: on a small machine generating
10M random rows takes longer than monitoring them), so the driver starts clean. The driver
then starts a LocalCluster (worker processes of their own: their memory is not the
driver's) and runs
``client.monitoring.run(deployment, engine="dask", scheduler=ADDRESS)``, its resident memory
sampled every 2 ms from /proc.

The peer, with ``--single``: the same window in one process on the batched path (DuckDB
Arrow batches of 200,000 rows, `monitoring.windows_compute`), in a fresh process; the JSON
then has its time and peak memory, the ratio, and whether both flag the same columns.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DAY = datetime(2026, 3, 2, tzinfo=UTC)
FILE_ROWS = 500_000


def generate(home: str, rows: int, *, distinct: bool = False) -> None:
    """Child: the workspace (model + reference) and `rows` logged records in one day."""
    import numpy as np
    from sklearn.dummy import DummyClassifier

    from modelward.client import Client
    from modelward.config import Settings
    from modelward.stats.synthetic import drift_benchmark_data
    from modelward.store.predictions import PredictionEntry, write_entries

    client = Client(Settings(home=Path(home), user="bench"))
    reference, _ = drift_benchmark_data(10_000, seed=0)
    model = DummyClassifier(strategy="prior").fit(reference, np.arange(len(reference)) % 2)
    with client.start_run("big-window") as run:
        run.log_dataset(reference, name="train", role="training")
        run.log_model(model, "model", input_example=reference.head(5))
    client.registry.register(run.id, name="big")
    for name in ("dask", "single"):
        client.deployments.create(name, model_uri="models:/big/1", environment="staging")
    root = client.settings.resolved_predictions_root()
    written, first = 0, None
    for part in range(0, rows, FILE_ROWS):
        n = min(FILE_ROWS, rows - part)
        stem = f"part-{part // FILE_ROWS:04d}"
        if first is not None and n == FILE_ROWS and not distinct:
            # a copy of the first file under another name: generating 10M random rows would
            # take longer than monitoring them on a small machine, and the window's size (not
            # its values) is what this measures
            target = Path(first).with_name(f"{stem}.parquet")
            shutil.copyfile(first, target)
            written += n
            continue
        _, current = drift_benchmark_data(n, seed=1 + part // FILE_ROWS)
        entry = PredictionEntry(
            request_id=f"r{part}", ts=DAY + timedelta(seconds=part / rows * 80_000),
            deployment="dask", model="big", version=1, arm="champion", latency_ms=1.0,
            inputs={c: current[c].to_numpy() for c in current.columns},
            predictions=np.zeros(n, dtype=int),
        )  # fmt: skip
        (path,) = write_entries(root, [entry], stem=stem)
        first = first or path
        written += n
        print(f"generated {written} rows", file=sys.stderr, flush=True)
    # the peer reads the very same files
    os.symlink(Path(root) / "deployment=dask", Path(root) / "deployment=single")
    client.close()
    print(json.dumps({"rows": written}))


def monitor(home: str, deployment: str, scheduler: str | None) -> dict[str, Any]:
    """Run the window's monitoring; peak RSS of this process meanwhile."""
    sys.path.insert(0, str(HERE))
    from _memory import PeakRss, rss_bytes

    from modelward.client import Client
    from modelward.config import Settings

    client = Client(Settings(home=Path(home), user="bench"))
    client.backend.clock = lambda: DAY + timedelta(days=1)
    engine = {"engine": "dask", "scheduler": scheduler} if scheduler else {}
    start = time.perf_counter()
    with PeakRss() as peak:
        result = client.monitoring.run(deployment, window="1d", **engine)
    seconds = time.perf_counter() - start
    (window,) = result.computed
    client.close()
    return {
        "seconds": round(seconds, 1),
        "rows": window.n_rows,
        "driver_peak_rss_mb": round(peak.peak / 2**20, 1),
        "driver_peak_above_start_mb": peak.above_baseline_mb,
        "rss_after_mb": round(rss_bytes() / 2**20, 1),
        "drifted": sorted(window.summary["drifted"]),
    }


def run_dask(home: str, workers: int) -> dict[str, Any]:
    """Driver: a LocalCluster of worker processes, then the monitored window."""
    from distributed import LocalCluster

    cluster: Any = LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
    )
    try:
        return monitor(home, "dask", str(cluster.scheduler_address))
    finally:
        cluster.close()


def child(*args: str) -> dict[str, Any]:
    found = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if found.returncode != 0:
        return {"error": found.stderr.strip().splitlines()[-1:]}
    return dict(json.loads(found.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--single", action="store_true", help="Also the one-process peer.")
    parser.add_argument(
        "--distinct", action="store_true", help="Generate every file (default: copy the first)."
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        role, home = args.child[:2]
        if role == "generate":
            generate(home, args.rows, distinct=args.distinct)
        elif role == "dask":
            print(json.dumps(run_dask(home, args.workers)))
        else:
            print(json.dumps(monitor(home, "single", None)))
        return
    with tempfile.TemporaryDirectory(prefix="mw-big-window-") as home:
        started = time.perf_counter()
        flags = ["--distinct"] if args.distinct else []
        made = child("--rows", str(args.rows), *flags, "--child", "generate", home)
        report: dict[str, Any] = {
            "benchmark": "big_window",
            "rows": args.rows,
            "columns": 25,
            "files": -(-args.rows // FILE_ROWS),
            "workers": args.workers,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "generate_seconds": round(time.perf_counter() - started, 1),
            "generated": made,
        }
        report["dask"] = child("--workers", str(args.workers), "--child", "dask", home)
        dask = report["dask"]
        if "driver_peak_rss_mb" in dask:
            report["driver_under_1gb"] = dask["driver_peak_rss_mb"] < 1024
        if args.single:
            report["single_process"] = single = child("--child", "single", home)
            if "seconds" in single and "seconds" in dask:
                report["ratio_single_over_dask_seconds"] = round(
                    single["seconds"] / max(dask["seconds"], 1e-9), 2
                )
                report["same_drifted_columns"] = single["drifted"] == dask["drifted"]
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
