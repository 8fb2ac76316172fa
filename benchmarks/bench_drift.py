"""Drift benchmark: our full drift check at 10k, 100k and 1M rows, against Evidently.

Usage::

    .venv/bin/python benchmarks/bench_drift.py [--sizes 10000,100000,1000000] [--peer]

The data (`modelward.stats.synthetic.drift_benchmark_data`, seeded): 20 numeric and 5
categorical columns; +0.5 sd, x1.5 scale, +0.05 sd, a category 10% -> 30% and one 10% -> 12%;
20 columns unchanged. Each size is written to Parquet and each check runs in a fresh process
(ours with this interpreter, Evidently's DataDriftPreset in a venv of its own, because
Evidently 0.7.23 does not import under pandas 3), which loads the files, warms up on 1,000
rows, then is timed, with its peak RSS above the loaded data sampled every 2 ms.

The peer runs when ``benchmarks/.peer-evidently`` exists or with ``--peer``, which creates it
when missing (``python -m venv`` and
``pip install 'evidently==0.7.23' 'pandas<3' pyarrow``); errors are reported in the JSON.
The domain classifier is timed as a monitoring window runs it (a seeded sample of
`modelward.monitoring.multivariate.SAMPLE_ROWS` rows a side, so its cost does not grow
with the window; its AUC's standard error stays under 0.5 / sqrt(rows per side)), and
``domain_classifier.over_univariate_time`` is its time over the univariate drift time of
the same window (target < 0.25 at 1M rows).

Prints one JSON object: seconds, peak memory above the data, flagged columns per size and
whether they agree across sizes, and with the peer the ratios and, for the columns where
both use the same test (at these sizes Evidently uses normed Wasserstein and Jensen-Shannon,
as our defaults do), whether the verdicts agree.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PEER_VENV = HERE / ".peer-evidently"
PEER_PACKAGES = ["evidently==0.7.23", "pandas<3", "pyarrow"]
# Evidently method name -> (our method, how to get Evidently's figure from our details).
SAME_TEST = {
    "Wasserstein distance (normed)": ("wasserstein", "wasserstein_normed", 1.0),
    # both scipy's jensenshannon in its default base e
    "Jensen-Shannon distance": ("jensenshannon", "jensenshannon", 1.0),
    "K-S p_value": ("ks", "ks_p_value", 1.0),
    # Evidently's "chi-square p_value" is a goodness-of-fit test of the current counts
    # against the reference shares taken as exact, not scipy's chi2_contingency: not the same.
}


def run_ours(ref_path: str, cur_path: str) -> dict[str, Any]:
    """Worker: time our drift check (and, separately, the domain classifier)."""
    import pandas as pd
    from _memory import PeakRss, rss_bytes

    from modelward.monitoring.multivariate import SAMPLE_ROWS
    from modelward.stats.domain_classifier import run_domain_classifier
    from modelward.stats.drift import detect_drift

    before = rss_bytes()
    reference, current = pd.read_parquet(ref_path), pd.read_parquet(cur_path)
    warm_ref, warm_cur = reference.head(1_000), current.head(1_000)  # warm-up: lazy imports
    detect_drift(warm_ref, warm_cur, domain_classifier=True)
    with PeakRss() as memory:
        start, cpu_start = time.perf_counter(), time.process_time()
        report = detect_drift(reference, current)
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    # The domain classifier as each monitoring window runs it: a seeded sample of
    # SAMPLE_ROWS rows a side, cross-validated AUC, importances when it drifted.
    start, cpu_start = time.perf_counter(), time.process_time()
    classifier = run_domain_classifier(
        reference, current, columns=list(reference.columns), max_rows=SAMPLE_ROWS
    )
    classifier_seconds = time.perf_counter() - start
    classifier_cpu = time.process_time() - cpu_start
    return {
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu_seconds, 3),
        "peak_mb_above_data": memory.above_baseline_mb,
        "data_mb": round((memory.baseline - before) / 2**20, 1),
        "flagged": sorted(report.drifted_columns),
        "columns": {
            col.column: {
                "method": col.method,
                "effect_size": col.effect_size,
                "threshold": col.threshold,
                "drifted": col.drifted,
                "details": {
                    key: col.details.get(key)
                    for key in ("wasserstein_normed", "jensenshannon", "ks_p_value", "psi", "chi2")
                },
            }
            for col in report.columns
        },
        "domain_classifier": {
            "seconds": round(classifier_seconds, 3),
            "cpu_seconds": round(classifier_cpu, 3),
            "rows_per_side": SAMPLE_ROWS,
            # cost per window relative to the univariate drift of the same window
            "over_univariate_time": round(classifier_seconds / seconds, 3),
            "over_univariate_cpu": round(classifier_cpu / max(cpu_seconds, 1e-9), 3),
            "target_over_univariate": "< 0.25 at 1M rows",
            "auc_std_error_at_most": round(0.5 / SAMPLE_ROWS**0.5, 4),
            "auc": classifier.auc,
            "drifted": classifier.drifted,
            "top_features": list(classifier.importances)[:5],
        },
    }


def ensure_peer(python: str) -> tuple[Path | None, str]:
    """The peer venv's interpreter, creating the venv when missing; or an error."""
    peer_python = PEER_VENV / "bin" / "python"
    if peer_python.exists():
        return peer_python, ""
    try:
        subprocess.run([python, "-m", "venv", str(PEER_VENV)], check=True, capture_output=True)
        subprocess.run(
            [str(PEER_VENV / "bin" / "pip"), "install", "-q", *PEER_PACKAGES],
            check=True,
            capture_output=True,
            text=True,
        )
    except (subprocess.CalledProcessError, OSError) as exc:
        tail = getattr(exc, "stderr", "") or str(exc)
        return None, f"peer install failed: {str(tail).strip().splitlines()[-1:]}"
    return peer_python, ""


def run_worker(command: list[str]) -> dict[str, Any]:
    """Run a worker process; its last stdout line is its JSON result."""
    # the benchmarks folder first, then whatever source tree the caller put on the path
    paths = [str(HERE), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:] or ["exit " + str(done.returncode)]}
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def agreement(ours: dict[str, Any], peer: dict[str, Any]) -> dict[str, Any]:
    """Where Evidently used a test we also compute: the same test and threshold on our figures.

    Distances are compared with ``>=``, p-values with ``<``, as Evidently does.
    """
    same, disagree, gaps = [], [], []
    for name, theirs in peer["columns"].items():
        mapped = SAME_TEST.get(theirs["method"])
        mine = ours["columns"].get(name)
        figure = None if mapped is None or mine is None else mine["details"].get(mapped[1])
        if mapped is None or figure is None:
            continue
        value = figure * mapped[2]
        is_p_value = mapped[0] == "ks"
        verdict = value < theirs["threshold"] if is_p_value else value >= theirs["threshold"]
        same.append(name)
        if verdict != theirs["drifted"]:
            disagree.append(name)
        if not is_p_value:
            gaps.append(abs(value - theirs["value"]))
    return {
        "tests": sorted({peer["columns"][name]["method"] for name in same}),
        "same_test_columns": len(same),
        "verdicts_agree": not disagree,
        "disagreements": disagree,
        "max_abs_distance_difference": max(gaps) if gaps else None,
    }


def compare_size(ours: dict[str, Any], peer: dict[str, Any]) -> dict[str, Any]:
    """Ratios and verdict agreement of one size."""
    if "error" in peer or "error" in ours:
        return {}
    return {
        "speedup": round(peer["seconds"] / ours["seconds"], 1),
        "ours_over_peer_time": round(ours["seconds"] / peer["seconds"], 4),
        "ours_over_peer_peak_memory": round(
            ours["peak_mb_above_data"] / max(peer["peak_mb_above_data"], 1e-9), 3
        ),
        "default_verdicts_agree": ours["flagged"] == peer["flagged"],
        "same_test": agreement(ours, peer),
    }


def summarise(entry: dict[str, Any]) -> dict[str, Any]:
    """Drop per-column detail, keeping the figures of the shifted columns and the noise."""
    from modelward.stats.synthetic import SHIFTED_COLUMNS

    for side, figure in (("ours", "effect_size"), ("peer", "value")):
        worker = entry.get(side, {})
        columns = worker.pop("columns", None)
        if not columns:
            continue
        worker["figures"] = {name: columns[name][figure] for name in SHIFTED_COLUMNS}
        unchanged = [col[figure] for name, col in columns.items() if name not in SHIFTED_COLUMNS]
        worker["methods"] = sorted({col["method"] for col in columns.values()})
        if side == "ours":
            worker["max_unchanged_effect"] = max(unchanged)
    return entry


def main() -> None:
    parser = argparse.ArgumentParser(description="Drift benchmark (see module docstring).")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--peer", action="store_true", help="run Evidently (create its venv)")
    parser.add_argument("--no-peer", action="store_true", help="do not run Evidently")
    parser.add_argument("--worker", choices=["ours"], help=argparse.SUPPRESS)
    parser.add_argument("--ref", help=argparse.SUPPRESS)
    parser.add_argument("--cur", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(run_ours(args.ref, args.cur)))
        return
    print(json.dumps(benchmark(args), indent=1))


def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    """Generate each size, run both workers, and gather one JSON-ready result."""
    import numpy as np
    import pandas as pd

    from modelward.stats.synthetic import FLAGGED_BY_DEFAULT, drift_benchmark_data

    sizes = [int(size) for size in args.sizes.split(",")]
    # The peer runs with --peer (creating its venv if needed) or whenever its venv exists.
    use_peer = not args.no_peer and (args.peer or (PEER_VENV / "bin" / "python").exists())
    peer_python, peer_error = ensure_peer(sys.executable) if use_peer else (None, "not run")
    result: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
        },
        "columns": 25,
        "expected_flagged": sorted(FLAGGED_BY_DEFAULT),
        "peer": "evidently 0.7.23 DataDriftPreset" if peer_python else peer_error,
        "sizes": {},
    }
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            reference, current = drift_benchmark_data(size, seed=args.seed)
            ref_path, cur_path = f"{folder}/ref_{size}.parquet", f"{folder}/cur_{size}.parquet"
            reference.to_parquet(ref_path, index=False)
            current.to_parquet(cur_path, index=False)
            del reference, current
            paths = ["--ref", ref_path, "--cur", cur_path]
            ours = run_worker([sys.executable, __file__, "--worker", "ours", *paths])
            entry: dict[str, Any] = {"ours": ours}
            if peer_python is not None:
                peer = run_worker([str(peer_python), str(HERE / "peer_evidently.py"), *paths])
                entry["peer"] = peer
                entry["comparison"] = compare_size(ours, peer)
            result["sizes"][str(size)] = summarise(entry)
    flagged = [entry["ours"].get("flagged") for entry in result["sizes"].values()]
    result["flagged_agree_across_sizes"] = all(f == flagged[0] for f in flagged)
    result["flagged_match_expected"] = all(f == result["expected_flagged"] for f in flagged)
    return result


if __name__ == "__main__":
    main()
