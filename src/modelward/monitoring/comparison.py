"""Champion vs challenger on live traffic, with labels: the evidence for a promotion.

Shadow traffic is *paired*: both versions scored the same requests, so the comparison reuses
validation's paired bootstrap (`modelward.validation.compare.compare_models`: intervals of
challenger minus champion, DeLong for ROC AUC, McNemar for accuracy). Canary and A/B traffic
is *unpaired* (each request saw one arm): each arm is resampled on its own and the interval
is that of the difference of the two metrics. The evidence is stored as a JSON artifact and
referenced by an audit event on the challenger version (and in a review request's comment).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from modelward.domain.audit import AuditEvent
from modelward.domain.metrics import direction_sign
from modelward.domain.monitoring import PredictionLog
from modelward.domain.obligations import Annotation
from modelward.domain.ports import ArtifactStore, Guard, UnitOfWork
from modelward.domain.roles import Action
from modelward.errors import InvalidInput
from modelward.monitoring import feeds
from modelward.monitoring.performance import compute_metrics, infer_task
from modelward.stats import abtest
from modelward.validation.base import Outputs
from modelward.validation.compare import compare_models

MIN_PAIRS = 30


@dataclass(frozen=True)
class Evidence:
    """A stored comparison: what it found and where it is."""

    model: str
    champion: int
    challenger: int
    paired: bool
    rows: int
    verdict: str
    metrics: list[dict[str, Any]]
    artifact_sha256: str
    # business KPIs per arm from the outcome feed: mean and interval, uplift, rows still
    # needed at the chosen power (`modelward.stats.abtest`)
    kpis: list[dict[str, Any]] = field(default_factory=list)


def _outputs(frame: pd.DataFrame, task: str, classes: tuple[Any, ...] | None) -> Outputs:
    if task == "regression":
        return Outputs(
            "regression", frame["label"].to_numpy(float), frame["prediction"].to_numpy(float)
        )
    proba = None
    probs = frame.get("probabilities")
    if (
        probs is not None
        and probs.notna().all()
        and classes
        and all(len(p) == len(classes) for p in probs)
    ):
        proba = np.vstack([np.asarray(p, dtype=float) for p in probs])
    return Outputs(
        "classification", frame["label"].to_numpy(), frame["prediction"].to_numpy(), proba,
        classes, classes[-1] if classes else None,
    )  # fmt: skip


def _labelled(frame: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    keys = frame.assign(row=frame["row"].astype("int64"))
    return keys.merge(labels, on=["request_id", "row"], how="inner")


def _paired(champ: pd.DataFrame, chall: pd.DataFrame, task: str, seed: int) -> list[dict[str, Any]]:
    both = champ.merge(chall, on=["request_id", "row", "label"], suffixes=("", "_c"))
    if len(both) < MIN_PAIRS:
        raise InvalidInput(
            f"Only {len(both)} labelled requests were scored by both arms; need {MIN_PAIRS}."
        )
    values = pd.concat([both["label"], both["prediction"], both["prediction_c"]])
    classes = tuple(sorted(pd.unique(values))) if task == "classification" else None
    first = _outputs(both, task, classes)
    second = _outputs(
        both.assign(prediction=both["prediction_c"], probabilities=both.get("probabilities_c")),
        task, classes,
    )  # fmt: skip
    part = compare_models(first, second, seed=seed)
    return list(part.sections["comparison"]["metrics"])


def _unpaired(
    champ: pd.DataFrame, chall: pd.DataFrame, task: str, seed: int
) -> list[dict[str, Any]]:
    if min(len(champ), len(chall)) < MIN_PAIRS:
        raise InvalidInput(
            f"Each arm needs {MIN_PAIRS} labelled requests; got {len(champ)} and {len(chall)}."
        )
    rng = np.random.default_rng(seed)
    first, second = compute_metrics(champ, task=task), compute_metrics(chall, task=task)
    rows = []
    for metric in first:
        diffs = []
        for _ in range(500):
            a = champ.iloc[rng.integers(0, len(champ), len(champ))]
            b = chall.iloc[rng.integers(0, len(chall), len(chall))]
            x, y = compute_metrics(a, task=task)[metric], compute_metrics(b, task=task)[metric]
            if x is not None and y is not None:
                diffs.append(y - x)
        low, high = np.percentile(diffs, [2.5, 97.5]) if diffs else (np.nan, np.nan)
        sign = direction_sign(metric)
        verdict = (
            "better"
            if sign * low > 0 and sign * high > 0
            else ("worse" if sign * low < 0 and sign * high < 0 else "equal_within_noise")
        )
        before, after = first[metric], second[metric]
        difference = None if before is None or after is None else after - before
        rows.append({"metric": metric, "champion": first[metric], "challenger": second[metric],
                     "difference": difference, "ci_low": float(low), "ci_high": float(high),
                     "test": "bootstrap (unpaired)", "verdict": verdict})  # fmt: skip
    return rows


def compare_live(
    uow: UnitOfWork,
    artifacts: ArtifactStore,
    predictions: PredictionLog,
    *,
    deployment: str,
    start: datetime,
    end: datetime,
    guard: Guard,
    seed: int = 0,
    alpha: float = abtest.DEFAULT_ALPHA,
    power: float = abtest.DEFAULT_POWER,
    min_effect: float | None = None,
) -> Evidence:
    """Compare the deployment's champion and challenger on labelled live traffic; store it.

    Raises:
        NotFound: no such deployment.
        InvalidInput: no challenger, or too few labelled requests per arm.
        PermissionDenied: the actor may not monitor.
    """
    actor, now = guard.actor, guard.now()
    with uow:
        dep = uow.deployments.get_deployment(deployment)
        guard.require(uow, Action.MONITOR, subject=f"deployment {deployment}")
        stored = uow.monitoring.list_labels(deployment, start=start, end=end)
        outcomes = uow.obligations.list_annotations(deployment, "outcome", start=start, end=end)
    challenger = dep.config.challenger
    if challenger is None:
        raise InvalidInput(f"Deployment {deployment!r} has no challenger to compare.")
    kpis = kpi_rows(predictions.read(deployment, start, end), outcomes,
                    (dep.config.champion, challenger), alpha=alpha, power=power,
                    min_effect=min_effect)  # fmt: skip
    labels = pd.DataFrame(
        {
            "request_id": [lb.request_id for lb in stored],
            "row": [lb.row for lb in stored],
            "label": [lb.label for lb in stored],
        }  # fmt: skip
    )
    frame = predictions.read(deployment, start, end)
    if (labels.empty or frame.empty) and not kpis:
        raise InvalidInput(
            f"Deployment {deployment!r} has no labelled traffic and no outcomes in that span."
        )
    rows: list[dict[str, Any]] = []
    chall = frame[frame["version"] == challenger] if len(frame) else frame
    paired = bool((chall["arm"] == "shadow").any()) if len(chall) else False
    if not labels.empty and len(frame):
        frame = _labelled(frame, labels)
        champ = frame[frame["version"] == dep.config.champion]
        chall = frame[frame["version"] == challenger]
        task = infer_task(frame["label"], frame.get("probabilities"), None)
        rows = _paired(champ, chall, task, seed) if paired else _unpaired(champ, chall, task, seed)
    verdict = rows[0]["verdict"] if rows else (kpis[0]["verdict"] if kpis else "equal_within_noise")
    document = {"deployment": deployment, "model": dep.model, "champion": dep.config.champion,
                "challenger": challenger, "paired": paired, "start": start.isoformat(),
                "end": end.isoformat(), "rows": int(len(chall)), "verdict": verdict,
                "metrics": rows, "kpis": kpis, "created_at": now.isoformat(),
                "created_by": actor}  # fmt: skip
    sha = artifacts.put_bytes(json.dumps(document, sort_keys=True, default=str).encode())
    with uow:
        guard.require(uow, Action.MONITOR, subject=f"deployment {deployment}")
        uow.audit.append(
            AuditEvent("monitoring.live_comparison", "model_version", f"{dep.model}/{challenger}",
                       actor, now, None, {"evidence_sha256": sha, "verdict": verdict,
                                          "paired": paired, "against": dep.config.champion})
        )  # fmt: skip
        uow.commit()
    return Evidence(dep.model, dep.config.champion, challenger, paired, int(len(chall)),
                    verdict, rows, sha, kpis)  # fmt: skip


def kpi_rows(
    frame: pd.DataFrame, outcomes: list[Annotation], versions: tuple[int, int], *,
    alpha: float, power: float, min_effect: float | None,
) -> list[dict[str, Any]]:  # fmt: skip
    """Each numeric outcome compared between the champion's and the challenger's requests
    (A/B or canary: each request saw one arm; shadow answers are not the user's)."""
    if not outcomes or frame.empty:
        return []
    live = frame[frame["arm"] != "shadow"] if "arm" in frame else frame
    joined = feeds.joined(live, outcomes, prefix="out.")
    found = []
    for column in [c for c in joined.columns if c.startswith("out.")]:
        values = pd.to_numeric(joined[column], errors="coerce")
        if values.notna().sum() == 0:
            continue
        a = values[joined["version"] == versions[0]].to_numpy(float)
        b = values[joined["version"] == versions[1]].to_numpy(float)
        found.append(abtest.compare_kpi(column.removeprefix("out."), a, b, alpha=alpha,
                                        power=power, min_effect=min_effect).as_dict())  # fmt: skip
    return found
