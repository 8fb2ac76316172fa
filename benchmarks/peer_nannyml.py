"""Run NannyML's CBPE or DLE on two Parquet files and print its estimates, time and memory.

Runs inside NannyML's own virtual environment (`/work/venvs/nannyml`, see `ensure_venv`),
started by `bench_estimation.py` and by the slow test `tests/stats/test_estimation_nannyml.py`;
it imports nothing from modelward. The analysis data is one chunk, so each metric is one
number. Columns: ``y_true``, ``y_pred``, ``proba_<class>`` (one per class; binary: the
positive class's only) and, for DLE, the feature columns named by ``--features``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

VENV = Path(os.environ.get("MODELWARD_NANNYML_VENV", "/work/venvs/nannyml"))
# 0.13.1 imports statsmodels without requiring it, and its DLE breaks on pandas 3 strings
PACKAGES = ["nannyml==0.13.*", "statsmodels", "pandas<3"]


def ensure_venv(python: str = "python3") -> tuple[Path | None, str]:
    """NannyML's interpreter, creating its venv when missing; or (None, why it failed)."""
    peer = VENV / "bin" / "python"
    if peer.exists():
        return peer, ""
    try:
        subprocess.run([python, "-m", "venv", str(VENV)], check=True, capture_output=True)
        subprocess.run(
            [str(VENV / "bin" / "pip"), "install", "-q", *PACKAGES],
            check=True,
            capture_output=True,
            text=True,
        )
    except (subprocess.CalledProcessError, OSError) as exc:
        tail = getattr(exc, "stderr", "") or str(exc)
        return None, f"NannyML venv could not be built: {str(tail).strip().splitlines()[-1:]}"
    return peer, ""


def _estimator(kind: str, classes: list[str], features: list[str], reference=None):  # type: ignore[no-untyped-def]
    import nannyml as nml

    if kind == "dle":
        return nml.DLE(
            feature_column_names=features,
            y_pred="y_pred",
            y_true="y_true",
            metrics=["mae", "rmse"],
            chunk_number=1,
        )
    if len(classes) == 2:
        proba: object = f"proba_{classes[1]}"
        problem = "classification_binary"
    else:
        proba = {c: f"proba_{c}" for c in classes}
        if reference is not None:  # NannyML's keys are the label values themselves
            proba = {v: f"proba_{v}" for v in sorted(reference["y_true"].unique())}
        problem = "classification_multiclass"
    return nml.CBPE(
        y_pred_proba=proba,
        y_pred="y_pred",
        y_true="y_true",
        problem_type=problem,
        metrics=["roc_auc", "accuracy"],
        chunk_number=1,
    )


def _tolerate_rounding() -> None:
    """NannyML 0.13.1's ``estimate_roc_auc`` rounds its running false positives to 5 decimals,
    which can make them decrease by 1e-5; scikit-learn's ``auc`` then raises "x is neither
    increasing nor decreasing" and NannyML reports NaN (seen on multiclass data). Its own
    formula with the trapezoid taken by numpy (no monotonicity check) gives the number it
    means to give; nothing else changes."""
    import numpy as np
    from nannyml.performance_estimation.confidence_based import metrics

    metrics.auc = lambda x, y: float(np.trapezoid(y, x))


def run(kind: str, reference, analysis, classes: list[str], features: list[str]) -> dict:  # type: ignore[no-untyped-def]
    """Fit on the reference, estimate on the analysis data: {metric: {value, sampling_error}}."""
    _tolerate_rounding()
    estimator = _estimator(kind, classes, features, reference)
    estimator.fit(reference)
    frame = estimator.estimate(analysis).filter(period="analysis").to_df()
    metrics = ["mae", "rmse"] if kind == "dle" else ["roc_auc", "accuracy"]
    return {
        metric: {
            "value": float(frame[(metric, "value")].iloc[0]),
            "sampling_error": float(frame[(metric, "sampling_error")].iloc[0]),
        }
        for metric in metrics
    }


def main() -> None:
    import pandas as pd
    from _memory import PeakRss, rss_bytes

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kind", choices=["cbpe", "dle"], required=True)
    parser.add_argument("--ref", required=True)
    parser.add_argument("--cur", required=True)
    parser.add_argument("--classes", default="0,1")
    parser.add_argument("--features", default="")
    parser.add_argument("--warmup", action="store_true", help="first run on 2,000 rows")
    args = parser.parse_args()
    classes = args.classes.split(",")
    features = [f for f in args.features.split(",") if f]
    before = rss_bytes()
    reference, analysis = pd.read_parquet(args.ref), pd.read_parquet(args.cur)
    if args.warmup:
        run(args.kind, reference.head(2_000), analysis.head(2_000), classes, features)
    with PeakRss() as memory:
        start = time.perf_counter()
        estimates = run(args.kind, reference, analysis, classes, features)
        seconds = time.perf_counter() - start
    import nannyml

    print(
        json.dumps(
            {
                "version": nannyml.__version__,
                "seconds": round(seconds, 3),
                "peak_mb_above_data": memory.above_baseline_mb,
                "data_mb": round((memory.baseline - before) / 2**20, 1),
                "estimates": estimates,
            }
        )
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
