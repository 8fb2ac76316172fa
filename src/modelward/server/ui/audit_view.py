"""The audit page (search by model, actor, action and date range) and the readable wording of
audit events the model page also uses: a sentence per event instead of raw JSON."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from modelward.domain.audit import AuditEvent
from modelward.errors import InvalidInput, NotFound
from modelward.governance import audit_search
from modelward.server.deps import CtxDep
from modelward.server.ui.render import render

router = APIRouter(include_in_schema=False)
PAGE = 100
ACTIONS = (
    "alert", "alias", "card", "data", "deployment", "finding", "gate", "model", "promotion",
    "review", "risk", "run", "signoff", "token", "user", "version", "waiver",
)  # fmt: skip


def _get(values: dict[str, Any] | None, key: str) -> Any:
    return (values or {}).get(key)


def _version(event: AuditEvent) -> str:
    return event.entity_id.replace("/", " v", 1)


def _alias(event: AuditEvent) -> str:
    model, _, alias = event.entity_id.partition("@")
    before, after = _get(event.before, "version"), _get(event.after, "version")
    if event.action == "alias.deleted":
        return f"deleted alias {alias} of {model} (was v{before})"
    moved = f" from v{before}" if before is not None else ""
    return f"moved {model}@{alias} to v{after}{moved}"


def _signoff(event: AuditEvent) -> str:
    verb = "approved" if event.action.endswith("approve") else "rejected"
    return f"{verb} {_version(event)} as {_get(event.after, 'role')}"


def _risk(event: AuditEvent) -> str:
    after = event.after or {}
    text = (
        f"assessed {event.entity_id}: likelihood {after.get('likelihood')} x severity"
        f" {after.get('severity')} = {after.get('score')} ({after.get('level')} risk)"
    )
    if event.before:
        text += f", was {event.before.get('score')} ({event.before.get('level')})"
    return text


def _tag(event: AuditEvent) -> str:
    dataset, _, column = event.entity_id.partition(":")
    after = event.after or {}
    if not after.get("personal_data"):
        return f"tagged column {column} of dataset {dataset[:10]} as not personal data"
    basis = after.get("legal_basis") or "no legal basis"
    return f"tagged column {column} of dataset {dataset[:10]} as personal data ({basis})"


def _card(event: AuditEvent) -> str:
    field, value = next(iter((event.after or {"?": ""}).items()))
    return f"set card field {field} of {_version(event)} to {str(value)[:80]!r}"


def _deployment(event: AuditEvent) -> str:
    after = event.after or {}
    what = event.action.removeprefix("deployment.").replace("_", " ")
    parts = [
        f"{k} {after[k]}"
        for k in ("champion", "challenger", "strategy", "share")
        if after.get(k) is not None
    ]
    return f"{what} deployment {event.entity_id}" + (f" ({', '.join(parts)})" if parts else "")


def _alert(event: AuditEvent) -> str:
    after = event.after or {}
    where = after.get("deployment", "?")
    return f"acknowledged {after.get('kind', '')} alert {event.entity_id} on {where}"


def _finding(event: AuditEvent) -> str:
    after = event.after or {}
    what = event.action.removeprefix("finding.")
    detail = f"{after.get('severity')}: {str(after.get('title', ''))[:60]!r}, {after.get('status')}"
    return f"{what} finding {after.get('finding_id')} on {_version(event)} ({detail})"


def _waiver(event: AuditEvent) -> str:
    after = event.after or {}
    what = event.action.removeprefix("waiver.")
    return f"{what} waiver {after.get('waiver_id')} of {after.get('item')} on {_version(event)}"


_SPECIAL = {
    "finding.recorded": _finding,
    "finding.updated": _finding,
    "waiver.requested": _waiver,
    "waiver.approved": _waiver,
    "waiver.revoked": _waiver,
    "alias.set": _alias,
    "alias.deleted": _alias,
    "signoff.approve": _signoff,
    "signoff.reject": _signoff,
    "risk.assessed": _risk,
    "data.column_tagged": _tag,
    "card.field_set": _card,
    "alert.acknowledged": _alert,
}
_PLAIN = {
    "model.created": "created model {id}",
    "version.registered": "registered {version}",
    "version.validated": "validated {version}",
    "review.requested": "asked for a review of {version}",
    "gate.refused": "was refused by the gate of {version}",
    "promotion.gate_passed": "passed the gate of {version}",
    "bundle.built": "built a deployment bundle of {version}",
    "monitoring.live_comparison": "compared {version} live against the champion",
    "run.reproduced": "recorded a reproduction of run {id}",
    "data.protection_set": "set the data protection of deployment {id}",
    "data.maintenance": "enforced retention and compacted the log of deployment {id}",
    "data.subject_erased": "erased data subject {id} (a keyed hash, not the key)",
}


def describe(event: AuditEvent) -> str:
    """What happened, as a sentence fragment after the actor's name ("moved m@champion to v4
    from v3"); unknown actions fall back to the action and entity."""
    special = _SPECIAL.get(event.action)
    if special is not None:
        return special(event)
    if event.action.startswith("deployment."):
        return _deployment(event)
    plain = _PLAIN.get(event.action)
    if plain is not None:
        return plain.format(id=event.entity_id, version=_version(event))
    return f"{event.action} on {event.entity_type} {event.entity_id}"


def _day(text: str, *, end: bool) -> datetime | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"A date is YYYY-MM-DD, got {text!r}.", field="date") from None
    start = datetime.combine(day, time(), tzinfo=UTC)
    return start + timedelta(days=1) if end else start


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    ctx: CtxDep,
    model: Annotated[str, Query(max_length=256)] = "",
    actor: Annotated[str, Query(max_length=256)] = "",
    action: Annotated[str, Query(max_length=64)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> HTMLResponse:
    """The audit trail, newest first, filtered; each event described in words."""
    filters = {"model": model, "actor": actor, "action": action, "since": since, "until": until}
    events: list[AuditEvent] = []
    error = ""
    try:
        events = audit_search.search_audit(
            ctx.uow(read_only=True),
            model=model.strip() or None,
            actor=actor.strip() or None,
            action=action.strip() or None,
            since=_day(since, end=False),
            until=_day(until, end=True),
            before_seq=before,
            limit=PAGE,
        )
    except (InvalidInput, NotFound) as exc:
        error = str(exc)
    return render(
        request,
        "audit.html",
        ctx,
        events=events,
        filters=filters,
        error=error,
        actions=ACTIONS,
        more=events[-1].seq if len(events) == PAGE else None,
        describe=describe,
    )
