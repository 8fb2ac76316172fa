"""Retraining: run the project's training entry point as a tracked run, register the result as
the `challenger`, validate it against the champion on the latest labelled window, then
promote it through the governance gate — or, when the gate refuses (a normal outcome),
request a review and say so. The contract of the entry point is in
`modelward.monitoring.retrain`.

Everything goes through the client's namespaces (`client/contract.py`), so retraining works
against the local workspace and through a platform server alike; the training entry point
always runs in the caller's process.

Which data: the labelled rows of the deployment's prediction log, plus ``data`` when given.
The latest labelled monitoring window is held out for validation (out of time); without one,
a seeded quarter of the data is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from modelward.errors import InvalidInput, NotFound, PermissionDenied, PolicyViolation
from modelward.monitoring import retrain as helpers
from modelward.stats.profile import to_frame

if TYPE_CHECKING:
    from modelward.client import Client

TRIGGERS = ("manual", "schedule", "drift", "performance")


@dataclass(frozen=True)
class RetrainResult:
    """What `retrain` did, for people and scripts."""

    model: str
    version: int
    run_id: str
    trigger: str
    train_rows: int
    validation_rows: int
    validation_passed: bool
    outcome: str  # promoted, review_requested, not_promoted
    message: str
    missing: list[str] = field(default_factory=list)


def _deployment_of(client: Client, model: str, deployment: str | None) -> str | None:
    if deployment is not None:
        return deployment
    return next((d.name for d in client.deployments.list() if d.model == model), None)


def _held_with_context(
    client: Client, deployment: str, window: Any, features: list[str], target: str
) -> pd.DataFrame:
    """The window's labelled rows with the project's sensitive attributes from the protected
    context when the actor may read it (``protected_data``), else without them."""
    monitoring, sensitive = client.monitoring, client.monitoring.project.sensitive()
    common: dict[str, Any] = {"features": features, "target": target}
    if sensitive:
        try:
            return monitoring.labelled_rows(
                deployment, start=window.start, end=window.end, context=sensitive, **common
            )
        except PermissionDenied:
            pass  # validated without them; the report says fairness was not measured
    return monitoring.labelled_rows(deployment, start=window.start, end=window.end, **common)


def _split(
    client: Client, deployment: str | None, data: pd.DataFrame, features: list[str], target: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(training rows, validation rows): the latest labelled window held out (with its
    sensitive attributes from the protected context), else a quarter."""
    if deployment is not None:
        monitoring = client.monitoring
        try:
            window = monitoring.latest_labelled_window(deployment)
        except NotFound:
            window = None
        if window is not None:
            common: dict[str, Any] = {"features": features, "target": target}
            held = _held_with_context(client, deployment, window, features, target)
            before = monitoring.labelled_rows(deployment, end=window.start, **common)
            # An empty frame has object columns: leaving it out keeps the target's dtype.
            parts = [f for f in (before.drop(columns="ts"), data) if len(f)]
            train = pd.concat(parts, ignore_index=True).infer_objects() if parts else data
            return train, held.drop(columns="ts").infer_objects()
    if len(data) < 8:
        raise InvalidInput(
            "Too little labelled data to retrain; ingest labels ('modelward monitor labels') or"
            " give --data FILE."
        )
    held = data.sample(frac=0.25, random_state=0)
    return data.drop(held.index), held


def _features(client: Client, model: str, data: pd.DataFrame, target: str) -> list[str]:
    try:
        champion = client.registry.resolve(f"models:/{model}@champion")
    except NotFound:
        return [c for c in data.columns if c != target]
    return [str(c["name"]) for c in champion.signature.get("columns", [])]


def _promote(client: Client, model: str, version: int, trigger: str) -> tuple[str, str, list[str]]:
    try:
        client.registry.set_alias(model, "champion", version, reason=f"retrained ({trigger})")
    except PolicyViolation as exc:
        missing = [str(m) for m in exc.details.get("missing", [])]  # type: ignore[attr-defined]
        _, event = client.governance.request_review(
            model, version, comment=f"Retrained ({trigger}); validated against the champion."
        )
        if event is not None:
            return "promoted", f"{model} v{version} was auto-promoted to champion.", missing
        return (
            "review_requested",
            f"The gate refused to promote {model} v{version} ({exc}); a review was requested:"
            f" run 'modelward governance status {model} {version}' to see what is missing.",
            missing,
        )
    return "promoted", f"{model} v{version} is the new champion.", []


def retrain(
    client: Client,
    model: str,
    *,
    data: Any = None,
    trigger: str = "manual",
    deployment: str | None = None,
    target: str | None = None,
    params: dict[str, Any] | None = None,
    entry_point: str | None = None,
) -> RetrainResult:
    """Retrain `model` with the project's entry point; see the module docstring.

    Raises:
        InvalidInput: no entry point, unknown trigger, too little data, or bad data.
        NotFound: no such deployment.
    """
    if trigger not in TRIGGERS:
        raise InvalidInput(f"Unknown trigger {trigger!r}; use one of {', '.join(TRIGGERS)}.")
    project = client.monitoring.project
    spec = entry_point or project.get("train")
    if not spec:
        raise InvalidInput("No training entry point: add 'train: package.module:function' to"
                           " modelward.yaml (or pass entry_point).")  # fmt: skip
    target = target or project.get("target") or "label"
    extra = to_frame(data) if data is not None else pd.DataFrame()
    deployment = _deployment_of(client, model, deployment)
    features = _features(client, model, extra, target)
    train, held = _split(client, deployment, extra, features, target)
    fn = helpers.load_entry_point(
        str(spec), search_path=project.path.parent if project.path else None
    )
    params = dict(params or {})
    with client.start_run(f"retrain-{model}", tags={"trigger": trigger}) as run:
        run.log_params({**params, "trigger": trigger, "entry_point": spec, "target": target})
        run.log_dataset(train, name="train", role="training")
        fitted = fn(train, target=target, params=params)
        run.log_model(fitted, "model", input_example=train[features].head(5))
    version = client.registry.register(run.id, name=model)
    client.registry.set_alias(model, "challenger", version.version, reason=f"retrained ({trigger})")
    has_champion = client.registry.alias_history(model, "champion") != []
    validated = client.validation.validate(
        version.uri,
        held,
        target=target,
        against="champion" if has_champion else None,
        config=project.section("validation") or None,  # the project's thresholds
        sensitive=_sensitive(project.sensitive(), held),  # the project's fairness list
    )
    missing: list[str] = []
    outcome, message = "not_promoted", "Validation failed: the champion stays."
    if validated.report.passed:
        outcome, message, missing = _promote(client, model, version.version, trigger)
    return RetrainResult(model, version.version, run.id, trigger, len(train), len(held),
                         validated.report.passed, outcome, message, missing)  # fmt: skip


def _sensitive(wanted: list[str], held: pd.DataFrame) -> list[str]:
    """The project's sensitive attributes the held-out rows carry (never model inputs)."""
    return [c for c in wanted if c in held.columns and held[c].notna().any()]


def retraining_due(client: Client, model: str) -> bool:
    """True when the champion is older than its policy's ``max_model_age_days`` (the schedule
    trigger: run ``modelward retrain NAME --if-due`` from cron)."""
    from modelward.domain.policy import retraining_due as due

    try:
        champion = client.registry.resolve(f"models:/{model}@champion")
    except NotFound:
        return True  # nothing in production yet
    policy = client.governance.policies.for_assessment(client.governance.assessment(model))
    return bool(due(policy, trained_at=champion.created_at, now=client.backend.now()))
