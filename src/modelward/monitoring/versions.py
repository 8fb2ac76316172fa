"""Per-version figures of a monitoring window: when more than one version answered in it (a
canary, A/B or shadow challenger beside the champion), each version's rows, labelled rows,
realised metrics (once labels are joined) and label-free estimates, stored in the window's
summary under ``versions``. Canary analysis reads the challenger's from there
(`modelward.deploy.guardrails.challenger_figures`).

The deployment-wide figures of a window leave shadow answers out (no user saw them); here a
shadow challenger's rows count for its own version, joined to the labels of the requests it
scored. Estimates use the window's estimator (`monitoring.estimated`), fitted on the
deployment's reference — the champion's outputs: for another version they assume its
probabilities are calibrated like the champion's, so realised values are the better evidence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from modelward.domain.monitoring import Label
from modelward.monitoring import estimated
from modelward.monitoring.windows_compute import MonitorOptions, window_performance

KEY = "versions"


def figures(
    logged: pd.DataFrame | None,
    labels: list[Label],
    *,
    task: str | None,
    options: MonitorOptions,
    estimator: estimated.Estimator | None = None,
    earlier: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``{"versions": {"<version>": {...}}}`` for a window whose log `logged` (every arm,
    shadow included) holds more than one version; empty otherwise (or when the window was too
    large to read whole). Without an `estimator` (a refresh for late labels), the `earlier`
    entry's estimates are kept."""
    if logged is None or "version" not in logged or not len(logged):
        return {}
    versions = sorted(int(v) for v in logged["version"].dropna().unique())
    if len(versions) < 2:
        return {}
    found: dict[str, Any] = {}
    for version in versions:
        part = logged[logged["version"] == version]
        points, n_labels, _ = window_performance(
            part, labels, baseline={}, task=task, options=options
        )
        entry: dict[str, Any] = {
            "arms": sorted({str(a) for a in part["arm"]}) if "arm" in part else [],
            "rows": len(part),
            "n_labels": n_labels,
            "metrics": _finite({p.metric: p.value for p in points}),
        }
        if estimator is not None:
            estimates = estimated.estimate(estimator, part)
            entry["estimated"] = _finite({name: est.value for name, est in estimates.items()})
        else:
            before = (earlier or {}).get(str(version)) or {}
            entry["estimated"] = dict(before.get("estimated") or {})
        found[str(version)] = entry
    return {KEY: found}


def _finite(values: Mapping[str, float | None]) -> dict[str, float]:
    """The figures that are numbers (JSON has no NaN; a missing figure is left out)."""
    return {k: float(v) for k, v in values.items() if v is not None and math.isfinite(v)}
