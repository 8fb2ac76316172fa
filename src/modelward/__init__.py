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

import threading
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from modelward.client import ActiveRun, Client
    from modelward.domain.registry import AliasEvent, ModelVersion
    from modelward.domain.results import ValidationReport
    from modelward.domain.tracking import Run
    from modelward.registry.flavors import LoadedModel

_default: Client | None = None
_lock = threading.Lock()


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
    tags: dict[str, Any] | None = None,
) -> ActiveRun:
    return get_client().start_run(experiment, name=name, parent_run_id=parent_run_id, tags=tags)


def active_run() -> ActiveRun | None:
    from modelward.client.run import current_run

    return current_run()


def get_run(run_id: str) -> Run:
    return get_client().tracking.get_run(run_id)


def search_runs(
    *,
    experiments: list[str] | None = None,
    filter: str | None = None,
    order_by: list[str] | None = None,
    limit: int = 1000,
) -> list[Run]:
    return get_client().tracking.search_runs(
        experiments=experiments, filter=filter, order_by=order_by, limit=limit
    )


def register_model(run_id: str, artifact: str = "model", *, name: str) -> ModelVersion:
    return get_client().registry.register(run_id, artifact, name=name)


def set_alias(name: str, alias: str, version: int) -> AliasEvent:
    return get_client().registry.set_alias(name, alias, version)


def load_model(uri: str) -> LoadedModel:
    return get_client().registry.load_model(uri)


def validate(model_uri: str, data: Any, *, target: str, sensitive: list[str] | None = None,
             against: str | None = None, config: Any = None) -> ValidationReport:
    """Validate a registered version on held-out data; the report is stored with the version.

    `config` is a ValidationConfig or a mapping like modelward.yaml's `validation:` section.
    """
    return get_client().validation.validate(
        model_uri, data, target=target, sensitive=sensitive or (), against=against, config=config
    ).report


__all__ = [
    "__version__",
    "active_run",
    "get_client",
    "get_run",
    "load_model",
    "register_model",
    "search_runs",
    "set_alias",
    "set_client",
    "start_run",
    "validate",
]
