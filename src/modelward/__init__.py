"""modelward: manage the whole life of machine-learning models, tied to governance.

    import modelward as mw
    with mw.start_run(experiment="credit-risk") as run:
        run.log_params({"C": 1.0}); run.log_metric("auc", 0.91, step=0)
        run.log_dataset(train_df, name="train", role="training")
        run.log_model(model, name="model", input_example=X_test[:5])
    mv = mw.register_model(run.id, "model", name="credit-risk")
    mw.set_alias("credit-risk", "champion", mv.version)
    model = mw.load_model("models:/credit-risk@champion")

Importing this package is cheap: the default client is built on first use, from MODELWARD_*.
"""

from __future__ import annotations

import threading as _threading
from collections.abc import Mapping as _Mapping
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any
from typing import Literal as _Literal
from typing import overload as _overload

from modelward._version import __version__

if _TYPE_CHECKING:
    import pandas as pd

    from modelward.client import ActiveRun, Client
    from modelward.domain.registry import AliasEvent, ModelVersion
    from modelward.domain.results import ValidationReport
    from modelward.domain.tracking import Run
    from modelward.registry.flavors import LoadedModel

_default: Client | None = None
_lock = _threading.Lock()


def get_client() -> Client:
    """The default client, built lazily from the environment (MODELWARD_HOME, ...)."""
    global _default
    with _lock:
        if _default is None:
            from modelward.client import Client

            _default = Client()
        return _default


def set_client(client: Client | None) -> None:
    """Replace the default client (None: rebuild from the environment on next use)."""
    global _default
    with _lock:
        _default = client


def start_run(
    experiment: str = "Default",
    *,
    name: str | None = None,
    parent_run_id: str | None = None,
    tags: dict[str, _Any] | None = None,
) -> ActiveRun:
    """Start a run in `experiment` (created if new) on the default client.

    Use it as a context manager: the run ends FINISHED, or FAILED if the block raises.
    """
    return get_client().start_run(experiment, name=name, parent_run_id=parent_run_id, tags=tags)


def active_run() -> ActiveRun | None:
    """The run started by the innermost open `start_run` block in this thread, or None."""
    from modelward.client.run import current_run

    return current_run()


def _current() -> ActiveRun:
    from modelward.client.run import current_run
    from modelward.errors import InvalidInput

    run = current_run()
    if run is None:
        raise InvalidInput(
            "No run is active in this thread. Open one first:"
            ' `with mw.start_run(experiment="...") as run:` and log inside the block.'
        )
    return run


def log_param(key: str, value: _Any) -> None:
    """Log a param on the active run (see `start_run`); params are fixed once logged."""
    _current().log_param(key, value)


def log_params(params: _Mapping[str, _Any]) -> None:
    """Log several params on the active run."""
    _current().log_params(params)


def log_metric(key: str, value: float, step: int | None = None) -> None:
    """Log a metric value on the active run, at `step` (0 if None)."""
    _current().log_metric(key, value, step=step)


def log_metrics(metrics: _Mapping[str, float], step: int | None = None) -> None:
    """Log several metric values on the active run, at one `step`."""
    _current().log_metrics(metrics, step=step)


def set_tag(key: str, value: _Any) -> None:
    """Set a tag on the active run."""
    _current().set_tag(key, value)


def set_tags(tags: _Mapping[str, _Any]) -> None:
    """Set several tags on the active run."""
    _current().set_tags(tags)


def log_text(text: str, path: str) -> None:
    """Store `text` as an artifact of the active run."""
    _current().log_text(text, path)


def log_dict(data: _Mapping[str, _Any] | list[_Any], path: str) -> None:
    """Store `data` as JSON (YAML for .yaml/.yml) as an artifact of the active run."""
    _current().log_dict(data, path)


def log_figure(figure: _Any, path: str) -> None:
    """Store a Matplotlib (.png/.svg/.pdf) or Plotly (.html/.json) figure on the active run."""
    _current().log_figure(figure, path)


def log_artifact(path: str, data: bytes) -> None:
    """Store `data` as the artifact `path` of the active run."""
    _current().log_artifact(path, data)


def get_run(run_id: str) -> Run:
    """A run with its params, latest metrics, tags and artifacts.

    Raises:
        NotFound: no run has this id.
    """
    return get_client().tracking.get_run(run_id)


@_overload
def search_runs(
    *,
    experiments: list[str] | None = ...,
    filter: str | None = ...,
    order_by: list[str] | None = ...,
    limit: int = ...,
    as_frame: _Literal[False] = ...,
) -> list[Run]: ...


@_overload
def search_runs(
    *,
    experiments: list[str] | None = ...,
    filter: str | None = ...,
    order_by: list[str] | None = ...,
    limit: int = ...,
    as_frame: _Literal[True],
) -> pd.DataFrame: ...


def search_runs(
    *,
    experiments: list[str] | None = None,
    filter: str | None = None,
    order_by: list[str] | None = None,
    limit: int = 1000,
    as_frame: bool = False,
) -> list[Run] | pd.DataFrame:
    """Runs of `experiments` (all if None) matching `filter` (e.g. "metrics.auc > 0.8").

    With ``as_frame=True`` a pandas DataFrame, one row per run with ``params.*``,
    ``metrics.*`` and ``tags.*`` columns, as MLflow's `search_runs` returns.

    Raises:
        InvalidInput: the filter or the ordering does not parse.
    """
    runs = get_client().tracking.search_runs(
        experiments=experiments, filter=filter, order_by=order_by, limit=limit
    )
    if as_frame:
        from modelward.client.frames import runs_frame

        return runs_frame(runs)
    return runs


def register_model(run_id: str, artifact: str = "model", *, name: str) -> ModelVersion:
    """Register the model logged as `artifact` in a run as the next version of `name`.

    Raises:
        NotFound: no such run, or the run logged no model under `artifact`.
    """
    return get_client().registry.register(run_id, artifact, name=name)


def set_alias(name: str, alias: str, version: int) -> AliasEvent:
    """Point `alias` (e.g. "champion") of model `name` at `version`; the move is audited.

    Raises:
        NotFound: no such model version.
        PolicyViolation: the alias is protected and the version's governance gate is not met.
    """
    return get_client().registry.set_alias(name, alias, version)


def load_model(uri: str) -> LoadedModel:
    """Load a model by URI ("models:/name/3", "models:/name@champion", "runs:/<id>/model").

    Raises:
        NotFound: the URI names no model.
        IntegrityViolation: the stored bytes do not match their recorded hash.
    """
    return get_client().registry.load_model(uri)


def validate(
    model_uri: str,
    data: _Any,
    *,
    target: str,
    sensitive: list[str] | None = None,
    against: str | None = None,
    config: _Any = None,
) -> ValidationReport:
    """Validate a registered version on held-out data; the report is stored with the version.

    `config` is a ValidationConfig or a mapping like modelward.yaml's `validation:` section.
    Failed checks are a result (`report.passed` is False), not an exception.

    Raises:
        NotFound: no such model version (or no version behind `against`).
        InvalidInput: the data cannot be validated (missing target, wrong columns, ...).
    """
    validated = get_client().validation.validate(
        model_uri, data, target=target, sensitive=sensitive or (), against=against, config=config
    )
    return validated.report


__all__ = [
    "__version__",
    "active_run",
    "get_client",
    "get_run",
    "load_model",
    "log_artifact",
    "log_dict",
    "log_figure",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_text",
    "register_model",
    "search_runs",
    "set_alias",
    "set_client",
    "set_tag",
    "set_tags",
    "start_run",
    "validate",
]
