"""Retraining helpers: the project's training entry point and the labelled data it gets.

**The contract.** ``modelward.yaml`` names a function, ``train: package.module:function``::

    def train(data: pd.DataFrame, *, target: str, params: dict) -> fitted_model

`data` holds the feature columns and the `target` column: labelled rows of the prediction
log (inputs joined with their ground truth; the log's ``in_`` prefix removed) and/or the rows
of a file given with ``--data``. `params` come from ``--param key=value`` (strings, the
function converts them). The function returns a fitted model with ``predict`` (and
``predict_proba`` for classifiers): a scikit-learn estimator or pipeline, or a callable.
The orchestration (tracked run, registration, validation, promotion) is in
`modelward.client.retrain`.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from modelward.domain.monitoring import PredictionLog
from modelward.domain.ports import UnitOfWork
from modelward.errors import InvalidInput
from modelward.monitoring.reference import inputs_of

TrainFn = Callable[..., Any]


def load_entry_point(spec: str, *, search_path: Path | None = None) -> TrainFn:
    """``package.module:function`` as a callable (the project folder is importable).

    Raises:
        InvalidInput: the spec is malformed, the module cannot be imported or lacks the name.
    """
    module_name, sep, attr = str(spec).partition(":")
    if not sep or not module_name or not attr:
        raise InvalidInput(
            f"Training entry point {spec!r} must look like 'package.module:function'."
        )
    folder = str((search_path or Path.cwd()).resolve())
    if folder not in sys.path:
        sys.path.insert(0, folder)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InvalidInput(
            f"Cannot import {module_name!r} for the training entry point: {exc}."
        ) from exc
    function = getattr(module, attr, None)
    if not callable(function):
        raise InvalidInput(
            f"{module_name!r} has no function {attr!r} (training entry point {spec!r})."
        )
    return function  # type: ignore[no-any-return]


def labelled_rows(
    uow: UnitOfWork,
    predictions: PredictionLog,
    *,
    deployment: str,
    features: list[str],
    target: str,
    start: datetime | None = None,
    end: datetime | None = None,
    context: Sequence[str] = (),
) -> pd.DataFrame:
    """Logged inputs joined with their labels (answered rows only), oldest first, with ``ts``;
    with `context`, those protected-context columns too (the caller checked ``protected_data``:
    `feeds.may_read_context`), missing where a record has none."""
    with uow:
        labels = uow.monitoring.list_labels(deployment, start=start, end=end)
    if not labels:
        return pd.DataFrame(columns=[*features, target, "ts"])
    first = min(lb.predicted_at for lb in labels)
    last = max(lb.predicted_at for lb in labels)
    frame = predictions.read(deployment, first, last + pd.Timedelta(microseconds=1))
    frame = frame[frame["arm"] != "shadow"].assign(row=lambda f: f["row"].astype("int64"))
    truth = pd.DataFrame(
        {
            "request_id": [lb.request_id for lb in labels],
            "row": [lb.row for lb in labels],
            target: [lb.label for lb in labels],
        }  # fmt: skip
    )
    joined = frame.merge(truth, on=["request_id", "row"]).drop_duplicates(["request_id", "row"])
    out = inputs_of(joined, features).assign(**{target: joined[target].to_numpy()})
    if context:
        with uow:
            found = uow.obligations.list_annotations(
                deployment, "context", start=first, end=last + pd.Timedelta(microseconds=1)
            )
        table = {(a.request_id, a.row): a.values for a in found}
        keys = list(zip(joined["request_id"].astype(str), joined["row"].astype(int), strict=True))
        for name in context:
            out[name] = [table.get(key, {}).get(name) for key in keys]
    return out.assign(ts=joined["ts"].to_numpy()).reset_index(drop=True)
