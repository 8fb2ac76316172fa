"""The reference a deployment's windows are compared with, prepared once per monitoring run.

By default: the champion version's training data as `run.log_dataset(..., role="training")`
recorded it — the seeded sample (Parquet, in the artifact store; exact figures) or, without
one, the profile — and the champion's outputs on that sample as the prediction reference.
With a reference window: the logged inputs and outputs of that span of the prediction log.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from modelward.domain.deployment import Deployment
from modelward.domain.monitoring import PredictionLog
from modelward.domain.policy import PolicySet
from modelward.domain.ports import ArtifactStore, UnitOfWork
from modelward.domain.privacy import Pseudonymiser
from modelward.domain.registry import ModelVersion
from modelward.registry import service as registry
from modelward.stats.reference import Reference, prepare_reference

INPUT_PREFIX = "in_"  # the prediction log's input columns (modelward.store.predictions)


@dataclass(frozen=True)
class MonitoringReference:
    """Prepared reference inputs and outputs, and what they are (for reports and alerts)."""

    description: str
    features: list[str]
    inputs: Reference | None  # None: nothing to compare with (no sample, no profile)
    outputs: Reference | None
    frame: pd.DataFrame | None  # reference rows, when known (for the report's histograms)
    # Labelled reference rows laid out as the log joined with labels (in_<feature>, label,
    # prediction, probabilities): what label-free estimation calibrates on (`estimated`).
    labelled: pd.DataFrame | None = None


def features_of(version: ModelVersion) -> list[str]:
    """The input columns of the version's signature."""
    return [str(c["name"]) for c in version.signature.get("columns", [])]


def inputs_of(log_frame: pd.DataFrame, features: list[str]) -> pd.DataFrame:
    """The logged inputs as a frame with the signature's column names (absent ones left out)."""
    present = {f: log_frame[INPUT_PREFIX + f] for f in features if INPUT_PREFIX + f in log_frame}
    return pd.DataFrame(present, index=log_frame.index)


def outputs_of(log_frame: pd.DataFrame) -> pd.DataFrame:
    """The model's output per row: the positive-class probability of binary classifiers that
    logged probabilities, else the prediction."""
    from modelward.monitoring.performance import positive_scores

    scores = positive_scores(log_frame) if len(log_frame) else None
    values = scores if scores is not None else log_frame.get("prediction", pd.Series(dtype=float))
    return pd.DataFrame({"prediction": np.asarray(values)})


def _training_dataset(uow: UnitOfWork, version: ModelVersion) -> Any:
    if not version.run_id:
        return None
    run = uow.tracking.get_run(version.run_id)
    return next((d for d in run.datasets if d.role == "training"), None)


def _model_outputs(model: Any, sample: pd.DataFrame) -> pd.DataFrame | None:
    try:
        if model.has_predict_proba:  # a property
            proba = np.asarray(model.predict_proba(sample))
            if proba.ndim == 2 and proba.shape[1] == 2:
                return pd.DataFrame({"prediction": proba[:, 1]})
        return pd.DataFrame({"prediction": np.asarray(model.predict(sample))})
    except Exception:  # a model that cannot score its own training sample: no output reference
        return None


def from_training(
    uow: UnitOfWork, artifacts: ArtifactStore, deployment: Deployment
) -> MonitoringReference:
    """The champion's recorded training sample (or profile) and its outputs on the sample."""
    version = registry.get_version(uow, name=deployment.model, version=deployment.config.champion)
    features = features_of(version)
    with uow:
        dataset = _training_dataset(uow, version)
    label = f"training data of {version.model} v{version.version}"
    if dataset is None:
        return MonitoringReference(f"none ({label} not recorded)", features, None, None, None)
    if dataset.sample_sha256 is None:
        inputs = prepare_reference(dataset.profile, columns=features or None)
        return MonitoringReference(f"profile of {label}", features, inputs, None, None)
    sample = pd.read_parquet(io.BytesIO(artifacts.get_bytes(dataset.sample_sha256)))
    model = registry.load_model(uow, artifacts, uri=version.uri, allow_pickle=True).without_checks()
    known = [f for f in features if f in sample.columns] or list(sample.columns)
    outputs = _model_outputs(model, sample[known])
    return MonitoringReference(
        f"sample of {label} ({len(sample)} rows)",
        features or known,
        prepare_reference(sample, columns=features or None),
        None if outputs is None else prepare_reference(outputs),
        sample,
        labelled_sample(model, sample, known),
    )


def labelled_sample(model: Any, sample: pd.DataFrame, features: list[str]) -> pd.DataFrame | None:
    """The training sample scored by the model, when it holds exactly one column that is not
    an input (taken as the label); else None. Laid out as the log joined with labels."""
    extra = [c for c in sample.columns if c not in features]
    if len(extra) != 1 or not features:
        return None
    inputs = sample[features]
    try:
        frame = pd.DataFrame({INPUT_PREFIX + f: inputs[f].to_numpy() for f in features})
        frame["prediction"] = np.asarray(model.predict(inputs))
        if model.has_predict_proba:
            proba = np.asarray(model.predict_proba(inputs), dtype=float)
            frame["probabilities"] = list(proba)
    except Exception:  # a model that cannot score its own sample: no labelled reference
        return None
    frame["label"] = sample[extra[0]].to_numpy()
    return frame


def from_window(
    log: PredictionLog, deployment: Deployment, features: list[str], start: datetime, end: datetime
) -> MonitoringReference:
    """A span of the prediction log as the reference."""
    frame = log.read(deployment.name, start, end)
    answered = frame[frame["arm"] != "shadow"] if "arm" in frame else frame
    inputs = inputs_of(answered, features)
    return MonitoringReference(
        f"prediction log {start.isoformat()} - {end.isoformat()} ({len(answered)} rows)",
        features,
        prepare_reference(inputs),
        prepare_reference(outputs_of(answered)),
        inputs,
    )


def pseudonymised(
    uow: UnitOfWork,
    deployment: Deployment,
    training: MonitoringReference,
    *,
    key: bytes,
    policies: PolicySet,
) -> MonitoringReference:
    """The training reference with the columns the log pseudonymises pseudonymised alike (a
    categorical column keeps its distribution, so its drift is still measured); numeric ones
    leave the drift checks (a keyed hash has no order or scale to compare), and so does the
    subject column."""
    from modelward.governance.privacy import pseudonymised_columns

    if training.frame is None:
        return training
    with uow:
        found = pseudonymised_columns(uow, deployment=deployment, policies=policies)
        settings = uow.privacy.find_protection(deployment.name)
    columns = [c for c in found if c in training.frame.columns]
    if not columns:
        return training
    sample = training.frame.copy()
    excluded = {c for c in columns if pd.api.types.is_numeric_dtype(sample[c])}
    if settings is not None and settings.subject_column:
        excluded.add(settings.subject_column)  # one value per person: no distribution to compare
    hasher = Pseudonymiser(columns, key)
    for column in columns:
        sample[column] = hasher.values(sample[column])
    features = [f for f in training.features if f not in excluded]
    return replace(
        training,
        features=features,
        inputs=prepare_reference(sample, columns=features or None),
        frame=sample,
    )
