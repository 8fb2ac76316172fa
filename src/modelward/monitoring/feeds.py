"""Feeds joined to logged records by request id and row, apart from the model's inputs:

- **protected context** (``context``): sensitive attributes and other protected facts about
  the person a prediction was about (gender, age band ...). The model never sees them; they
  are stored in their own table, not in the prediction log, written and purged only by roles
  with the ``protected_data`` permission, and kept `retention` days (``monitoring:
  context_retention_days``), after which `purge_context` deletes them. Monitoring reads them
  only to compute per-window fairness figures (aggregates by group).
- **outcomes** (``outcome``): business outcomes (clicked, converted, value, any numeric
  column), for per-window business metrics and the A/B comparison of KPIs.

The duplicate rule is the labels' (`monitoring.labels`): the last row of a file wins, and a
newer value for a record replaces the older one. Ids not in the prediction log are counted
and not stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pandas as pd

from modelward.domain.audit import AuditEvent
from modelward.domain.monitoring import PredictionLog
from modelward.domain.obligations import Annotation, Channel
from modelward.domain.ports import Guard, UnitOfWork
from modelward.domain.roles import Action
from modelward.errors import InvalidInput
from modelward.monitoring import labels as label_rules

DEFAULT_CONTEXT_RETENTION_DAYS = 365


@dataclass(frozen=True)
class FeedIngestResult:
    """What one ingestion of a feed did."""

    deployment: str
    channel: str
    received: int
    stored: int
    replaced: int
    unknown: int
    columns: list[str] = field(default_factory=list)
    unknown_examples: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        return (
            f"{self.deployment}: {self.received} {self.channel} rows ({', '.join(self.columns)});"
            f" {self.stored} new, {self.replaced} replaced, {self.unknown} unknown request ids."
        )


def _permission(channel: Channel) -> Action:
    return Action.PROTECTED_DATA if channel is Channel.CONTEXT else Action.MONITOR


def _values(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    clean = frame[columns].astype(object).where(frame[columns].notna(), None)
    return [
        {c: label_rules.plain(v) for c, v in zip(columns, row, strict=True)}
        for row in clean.itertuples(index=False, name=None)
    ]


def _prepare(
    frame: pd.DataFrame, *, id_column: str, row_column: str | None, columns: list[str] | None
) -> tuple[pd.DataFrame, list[str]]:
    for name in (id_column, row_column, *(columns or [])):
        if name is not None and name not in frame.columns:
            raise InvalidInput(
                f"Column {name!r} is not in the feed; its columns are"
                f" {', '.join(map(repr, list(frame.columns)[:20]))}."
            )
    chosen = columns or [c for c in frame.columns if c not in (id_column, row_column)]
    if not chosen:
        raise InvalidInput("The feed has no column besides the request id; send some values.")
    rows = frame[row_column] if row_column else pd.Series(0, index=frame.index)
    out = pd.DataFrame({"request_id": frame[id_column].astype("string"),
                        "row": pd.to_numeric(rows, errors="coerce")})  # fmt: skip
    out = pd.concat([out, frame[chosen].reset_index(drop=True).set_axis(out.index)], axis=1)
    out = out[out["request_id"].notna() & out["row"].notna()]
    out = out.drop_duplicates(["request_id", "row"], keep="last")
    return out.assign(row=out["row"].astype("int64")).reset_index(drop=True), list(chosen)


def ingest_feed(
    uow: UnitOfWork,
    predictions: PredictionLog,
    *,
    deployment: str,
    channel: str,
    data: object,
    id_column: str = "request_id",
    row_column: str | None = None,
    columns: list[str] | None = None,
    guard: Guard,
) -> FeedIngestResult:
    """Store protected context or outcomes of logged records (newest value per record wins).

    Raises:
        NotFound: no such deployment.
        InvalidInput: unknown channel, unreadable file, or a named column missing.
        PermissionDenied: the actor may not (``protected_data`` for context, else monitor).
    """
    kind = Channel(channel) if channel in set(Channel) else None
    if kind is None:
        raise InvalidInput(f"Feed channel {channel!r} is not one of context, outcome.")
    now = guard.now()
    with uow:
        uow.deployments.get_deployment(deployment)
        guard.require(uow, _permission(kind), subject=f"{kind} of {deployment}")
    frame = label_rules.read_label_frame(data)
    wanted, chosen = _prepare(frame, id_column=id_column, row_column=row_column, columns=columns)
    logged = predictions.lookup(deployment, wanted[["request_id", "row"]])
    known = wanted.merge(logged, on=["request_id", "row"], how="inner")
    unknown = wanted[~wanted.set_index(["request_id", "row"]).index.isin(
        known.set_index(["request_id", "row"]).index)]  # fmt: skip
    items = [
        Annotation(str(rid), int(row), values, ts.to_pydatetime(), now)
        for rid, row, values, ts in zip(
            known["request_id"], known["row"], _values(known, chosen), known["ts"], strict=True
        )
    ]
    with uow:
        guard.require(uow, _permission(kind), subject=f"{kind} of {deployment}")
        stored, replaced = uow.obligations.save_annotations(deployment, kind.value, items)
        if kind is Channel.CONTEXT:  # who sent protected data, and which attributes: audited
            uow.audit.append(AuditEvent(
                "monitoring.context_received", "deployment", deployment, guard.actor, now,
                after={"columns": chosen, "records": len(items)},
            ))  # fmt: skip
        uow.commit()
    return FeedIngestResult(
        deployment, kind.value, len(frame), stored, replaced, len(unknown), chosen,
        [str(v) for v in unknown["request_id"].head(label_rules.EXAMPLES)],
    )  # fmt: skip


def purge_context(uow: UnitOfWork, *, deployment: str, retention_days: int, guard: Guard) -> int:
    """Delete protected context received more than `retention_days` ago; audited.

    Raises:
        NotFound: no such deployment.
        InvalidInput: a retention below one day or above 36,500 days.
        PermissionDenied: the actor lacks ``protected_data``.
    """
    if not 1 <= retention_days <= 36_500:  # the same bounds on every face (REST: PurgeIn)
        raise InvalidInput(
            f"Retention must be between 1 day and 100 years (36,500 days), got {retention_days}."
        )
    now = guard.now()
    with uow:
        uow.deployments.get_deployment(deployment)
        guard.require(uow, Action.PROTECTED_DATA, subject=f"context of {deployment}")
        before = now - timedelta(days=retention_days)
        purged = uow.obligations.purge_annotations(deployment, Channel.CONTEXT.value, before=before)
        uow.audit.append(AuditEvent(
            "monitoring.context_purged", "deployment", deployment, guard.actor, now,
            after={"purged": purged, "retention_days": retention_days,
                   "received_before": before.isoformat()},
        ))  # fmt: skip
        uow.commit()
    return purged


def joined(frame: pd.DataFrame, annotations: list[Annotation], *, prefix: str) -> pd.DataFrame:
    """`frame` (logged records) with each annotation's values as ``prefix + column``."""
    if not annotations:
        return frame.iloc[0:0]
    table = pd.DataFrame(
        [{"request_id": a.request_id, "row": a.row, **{prefix + k: v for k, v in a.values.items()}}
         for a in annotations]
    )  # fmt: skip
    keys = frame.assign(row=frame["row"].astype("int64"))
    return keys.merge(table, on=["request_id", "row"], how="inner")


def may_read_context(uow: UnitOfWork, *, guard: Guard, deployment: str) -> None:
    """Check, before any is read, that the actor may read records' protected context.

    Raises:
        PermissionDenied: the actor lacks ``protected_data``.
    """
    with uow:
        guard.require(uow, Action.PROTECTED_DATA, subject=f"context of {deployment}")
