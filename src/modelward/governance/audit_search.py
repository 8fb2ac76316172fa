"""Searching the audit trail: by model (every entity that belongs to it: the model, its
versions, aliases, deployments, alerts, and the tags of the data sets its versions were
trained on), actor, action and time range. Reading only; the chain's checks are `trail`."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from modelward.domain.audit import AuditEvent, AuditQuery
from modelward.domain.ports import UnitOfWork
from modelward.errors import InvalidInput

MAX_LIMIT = 1000


def _model_entities(uow: UnitOfWork, model: str) -> AuditQuery:
    """The entities of `model`, inside an open unit of work. Raises NotFound."""
    uow.registry.get_model(model)
    subjects = [("model", model)]
    subjects += [
        ("deployment", d.name) for d in uow.deployments.list_deployments() if d.model == model
    ]
    alerts = uow.monitoring.list_alerts(
        deployment=None, model=model, open_only=False, limit=MAX_LIMIT
    )
    subjects += [("alert", str(a.id)) for a in alerts if a.id is not None]
    prefixes = [("model_version", f"{model}/"), ("alias", f"{model}@")]
    datasets: set[str] = set()
    for version in uow.registry.list_versions(model):
        run = uow.tracking.get_run(version.run_id) if version.run_id else None
        datasets |= {d.dataset_id for d in run.datasets} if run else set()
    prefixes += [("dataset_column", f"{dataset}:") for dataset in sorted(datasets)]
    return AuditQuery(subjects=tuple(subjects), prefixes=tuple(prefixes))


def model_events(uow: UnitOfWork, model: str, *, limit: int) -> list[AuditEvent]:
    """The newest events about `model` and what belongs to it, inside an open unit of work
    (the model page's history)."""
    return uow.audit.search_events(replace(_model_entities(uow, model), limit=limit))


def search_audit(
    uow: UnitOfWork,
    *,
    model: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_seq: int | None = None,
    limit: int = 100,
) -> list[AuditEvent]:
    """Audit events, newest first: about `model` and what belongs to it, by `actor`, whose
    action starts with `action`, at or after `since` and before `until`, older than
    `before_seq` (the next page starts below the last event shown).

    Raises:
        InvalidInput: `since` is not before `until`, or `limit` is outside 1-1000.
        NotFound: no such model.
    """
    if since is not None and until is not None and since >= until:
        raise InvalidInput("The start of the date range must come before its end.")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"The limit must be 1-{MAX_LIMIT}, got {limit}.")
    with uow:
        query = _model_entities(uow, model) if model else AuditQuery()
        query = replace(
            query,
            actor=actor or None,
            action=action or None,
            since=since,
            until=until,
            before_seq=before_seq,
            limit=limit,
        )
        return uow.audit.search_events(query)
