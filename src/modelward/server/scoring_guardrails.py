"""The scoring service's guardrail hook over a workspace: the training reference of each
version (profile and sample, as the run recorded them), a challenger's latest monitored
metrics (read-only, from the stored monitoring windows), and the writes the hook asks for —
a guardrail alert, a canary rollback — through the deploy service, with the guard of the
service's user (MODELWARD_USER: give it the deploy and monitor permissions)."""

from __future__ import annotations

import io
import logging
from datetime import datetime
from typing import Any

import pandas as pd

from modelward.deploy import guardrails as guardrail_service
from modelward.domain.guardrails import CanaryBounds, MetricReading
from modelward.serving.guardrail_hook import GuardrailHook
from modelward.serving.guardrails import TrainingReference

log = logging.getLogger("modelward.server.scoring")


def training_reference(workspace: Any, model: str, version: int) -> TrainingReference | None:
    """The training profile and sample of `model` v`version`, or None when not recorded."""
    uow = workspace.uow(read_only=True)
    with uow:
        found = uow.registry.get_version(model, version)
        if not found.run_id:
            return None
        run = uow.tracking.get_run(found.run_id)
    dataset = next((d for d in run.datasets if d.role == "training"), None)
    if dataset is None:
        return None
    profile = dict((dataset.profile or {}).get("columns", {}))
    sample = None
    if dataset.sample_sha256:
        sample = pd.read_parquet(io.BytesIO(workspace.artifacts.get_bytes(dataset.sample_sha256)))
    return TrainingReference(profile, sample)


def workspace_hook(workspace: Any, settings: Any, metrics: Any) -> GuardrailHook:
    """The hook the engine calls, writing alerts and rollbacks as the service's user."""
    actor = settings.resolved_user()

    def on_alert(
        name: str, version: int, start: datetime, end: datetime, rows: int,
        kinds: dict[str, int], rate: float,
    ) -> None:  # fmt: skip
        guardrail_service.guardrail_alert(
            workspace.uow(), name=name, version=version, start=start, end=end, rows=rows,
            violations=kinds, rate=rate, guard=workspace.guard(actor, authenticated=False),
        )  # fmt: skip

    def on_rollback(name: str, challenger: int, breaches: list[str]) -> None:
        try:
            guardrail_service.canary_rollback(
                workspace.uow(), name=name, challenger=challenger, breaches=breaches,
                guard=workspace.guard(actor, authenticated=False),
            )  # fmt: skip
        except Exception:  # refused (permissions) or the store is down: say so, keep serving
            log.exception("canary rollback of %s v%s failed", name, challenger)

    def monitored(
        name: str, version: int, since: datetime | None, bounds: CanaryBounds
    ) -> dict[str, MetricReading]:
        return guardrail_service.challenger_figures(
            workspace.uow(read_only=True), name=name, version=version, bounds=bounds, since=since
        )

    return GuardrailHook(
        reference=lambda model, version: training_reference(workspace, model, version),
        metrics=metrics,
        on_alert=on_alert,
        on_rollback=on_rollback,
        monitored=monitored,
    )
