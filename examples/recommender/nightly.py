"""The nightly batch job: score tonight's customers with the deployment's champion on Dask.

Run it from cron on a real cluster with ``--scheduler tcp://host:8786``; the CLI equivalent is::

    modelward score models:/offer-recommender@champion customers.parquet -o offers/ \\
        --engine dask --deployment offers-nightly

Batch scoring takes a model URI, not a deployment, so it does not consult the deployment's
kill switch by itself: this job does, and while the switch is on it writes the deployment's
fallback offer for every customer instead of scoring.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from modelward.client import Client


@dataclass(frozen=True)
class NightResult:
    rows: int
    scored: bool  # False: the kill switch was on and the fallback offer was written
    offer_mix: dict[str, float]
    output: Path


def run_night(
    client: Client,
    deployment: str,
    customers: Path,
    output: Path,
    *,
    engine: str = "dask",
    scheduler: str | None = None,
) -> NightResult:
    """Score `customers` (Parquet) into `output` (a folder of Parquet parts)."""
    live = client.deployments.get(deployment)
    if live.killed:
        frame = pd.read_parquet(customers)
        fallback = live.fallback if live.fallback is not None else "none"
        frame = frame.assign(prediction=fallback)
        output.mkdir(parents=True, exist_ok=True)
        frame.to_parquet(output / "fallback.parquet", index=False)
        return NightResult(len(frame), False, {str(fallback): 1.0}, output)
    result = client.deployments.score(
        f"models:/{live.model}/{live.config.champion}",
        customers,
        output,
        deployment=deployment,
        engine=engine,
        scheduler=scheduler,
    )
    scored = pd.read_parquet(output, columns=["prediction"])
    mix = scored["prediction"].value_counts(normalize=True)
    return NightResult(result.rows, True, {str(k): float(v) for k, v in mix.items()}, output)
