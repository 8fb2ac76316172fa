"""Label-free performance estimation benchmark: our CBPE against NannyML's, same data, same run.

Usage::

    .venv/bin/python benchmarks/bench_estimation.py [--scale 1.0] [--no-peer]

The data (`modelward.stats.synthetic.estimation_data`, seeded): a binary classifier's scores,
predictions and labels on a reference period and an analysis period with covariate shift
(the case CBPE is built for), each of ``100,000 x scale`` and ``1,000,000 x scale`` rows.
Each size is written to Parquet and each side runs in a fresh process (ours with this
interpreter; NannyML 0.13 in its own venv, `/work/venvs/nannyml`, created when missing, see
`peer_nannyml.py`), which loads the files, warms up on 2,000 rows, then is timed (fit on the
reference + estimate on the analysis period as one chunk), with its peak RSS above the loaded
data sampled every 2 ms.

Prints one JSON object: per size, each side's seconds, peak memory above the data, the
estimated ROC AUC and accuracy, the realised ones, and the ratios: ``speedup`` (target >= 10),
``ours_over_peer_peak_memory`` (target <= 1/3) and ``max_abs_estimate_difference`` (target
< 0.01 ROC AUC).
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
SIZES = (100_000, 1_000_000)


def run_ours(ref_path: str, cur_path: str) -> dict[str, Any]:
    """Worker: time our CBPE fit + estimate."""
    import pandas as pd
    from _memory import PeakRss, rss_bytes

    from modelward.stats.estimation import CBPE

    def estimate(ref: pd.DataFrame, cur: pd.DataFrame) -> dict[str, Any]:
        fitted = CBPE.fit(ref["y_true"], ref["proba_1"].to_numpy(), ref["y_pred"])
        return fitted.estimate(cur["proba_1"].to_numpy(), cur["y_pred"])

    before = rss_bytes()
    reference, current = pd.read_parquet(ref_path), pd.read_parquet(cur_path)
    estimate(reference.head(2_000), current.head(2_000))  # warm-up: lazy imports
    with PeakRss() as memory:
        start = time.perf_counter()
        found = estimate(reference, current)
        seconds = time.perf_counter() - start
    return {
        "seconds": round(seconds, 3),
        "peak_mb_above_data": memory.above_baseline_mb,
        "data_mb": round((memory.baseline - before) / 2**20, 1),
        "estimates": {
            name: {"value": est.value, "sampling_error": est.sampling_error}
            for name, est in found.items()
        },
    }


def run_worker(command: list[str]) -> dict[str, Any]:
    """Run a worker process; its last stdout line is its JSON result."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-3:] or [f"exit {done.returncode}"]}
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def compare(ours: dict[str, Any], peer: dict[str, Any]) -> dict[str, Any]:
    """Ratios and agreement of one size."""
    if "error" in ours or "error" in peer:
        return {}
    gaps = {
        name: abs(ours["estimates"][name]["value"] - peer["estimates"][name]["value"])
        for name in ours["estimates"]
    }
    return {
        "speedup": round(peer["seconds"] / ours["seconds"], 1),
        "ours_over_peer_peak_memory": round(
            ours["peak_mb_above_data"] / max(peer["peak_mb_above_data"], 1e-9), 3
        ),
        "abs_estimate_difference": gaps,
        "max_abs_estimate_difference": max(gaps.values()),
        "targets_met": {
            "speedup_at_least_10": peer["seconds"] / ours["seconds"] >= 10,
            "memory_at_most_a_third": ours["peak_mb_above_data"] <= peer["peak_mb_above_data"] / 3,
            "roc_auc_within_0_01": gaps["roc_auc"] < 0.01,
        },
    }


def realised(cur_path: str) -> dict[str, float]:
    """The realised ROC AUC and accuracy of the analysis period (scikit-learn)."""
    import pandas as pd
    from sklearn.metrics import accuracy_score, roc_auc_score

    cur = pd.read_parquet(cur_path)
    return {
        "roc_auc": float(roc_auc_score(cur["y_true"], cur["proba_1"])),
        "accuracy": float(accuracy_score(cur["y_true"], cur["y_pred"])),
    }


def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    """Generate each size, run both workers, and gather one JSON-ready result."""
    import numpy as np
    import pandas as pd
    from peer_nannyml import ensure_venv

    from modelward.stats.synthetic import estimation_data

    peer_python, peer_error = (None, "not run") if args.no_peer else ensure_venv(sys.executable)
    result: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
        },
        "peer": "nannyml 0.13 CBPE (isotonic calibration)" if peer_python else peer_error,
        "data": "binary classifier, covariate shift (estimation_data)",
        "sizes": {},
    }
    with tempfile.TemporaryDirectory() as folder:
        for size in (max(1_000, int(s * args.scale)) for s in SIZES):
            reference, current = estimation_data(size, task="binary", seed=args.seed)
            ref_path, cur_path = f"{folder}/ref_{size}.parquet", f"{folder}/cur_{size}.parquet"
            reference.to_parquet(ref_path, index=False)
            current.to_parquet(cur_path, index=False)
            del reference, current
            paths = ["--ref", ref_path, "--cur", cur_path]
            entry: dict[str, Any] = {"realised": realised(cur_path)}
            entry["ours"] = run_worker([sys.executable, __file__, "--worker", *paths])
            if peer_python is not None:
                command = [str(peer_python), str(HERE / "peer_nannyml.py"), "--kind", "cbpe"]
                entry["peer"] = run_worker([*command, "--classes", "0,1", "--warmup", *paths])
                entry["comparison"] = compare(entry["ours"], entry["peer"])
            result["sizes"][str(size)] = entry
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description="CBPE benchmark (see module docstring).")
    parser.add_argument("--scale", type=float, default=1.0, help="rows = 100k and 1M x scale")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-peer", action="store_true", help="do not run NannyML")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--ref", help=argparse.SUPPRESS)
    parser.add_argument("--cur", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(run_ours(args.ref, args.cur)))
        return
    sys.path.insert(0, str(HERE))
    print(json.dumps(benchmark(args), indent=1))


if __name__ == "__main__":
    main()
