"""Findings and waivers on the model page: what each version has (findings with their owner,
due date, status and overdue marker; waivers with their item, reason, approver, expiry and
state) and the forms to record a finding, resolve or withdraw it, ask for a waiver of a gate
item, and approve or reject one. Each form is a CSRF-checked post calling the same guarded
service as `POST /api/v1/governance/...`; the rules (who may approve, never the requester or
an author; how long a waiver may last) are the service's, and its refusals come back as
messages next to the form."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi import Path as PathParam
from fastapi.responses import Response

from modelward.domain.findings import FindingStatus, Severity
from modelward.domain.roles import Action
from modelward.errors import InvalidInput, ModelwardError, PermissionDenied
from modelward.governance import findings as service
from modelward.governance.access import allowed_actions, roles_of
from modelward.server.deps import Ctx, CtxDep, VersionPath
from modelward.server.ui import flash
from modelward.server.ui.model_forms import check_csrf, model_url, outcome

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=10_000)]
Short = Annotated[str, Form(max_length=256)]
IdPath = Annotated[int, PathParam(ge=1, le=2**31 - 1)]


def actions_of(ctx: Ctx) -> frozenset[str]:
    """The actions the signed-in user's roles allow (which forms a page offers)."""
    permissions = ctx.policies.permissions
    with ctx.uow(read_only=True) as uow:
        return allowed_actions(permissions, roles_of(uow, ctx.actor, permissions))


def end_of_day(text: str, field: str) -> datetime:
    """A date from a form's date field, as the end of that day in UTC.

    Raises:
        InvalidInput: not a YYYY-MM-DD date.
    """
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        message = f"The {field} is a date YYYY-MM-DD, got {text!r}."
        raise InvalidInput(message, field=field) from None
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


def assurance(ctx: Ctx, overview: Any) -> dict[str, Any]:
    """What the model page shows and offers about findings and waivers, per version."""
    now = ctx.now()
    model = overview.model.name
    by_version: dict[int, dict[str, list[Any]]] = {}
    for found in service.list_findings(ctx.uow(read_only=True), model=model):
        entry = by_version.setdefault(found.version, {"findings": [], "waivers": []})
        entry["findings"].append({"f": found, "overdue": found.is_overdue(now)})
    for waiver in service.list_waivers(ctx.uow(read_only=True), model=model):
        entry = by_version.setdefault(waiver.version, {"findings": [], "waivers": []})
        state = waiver.state(now)
        mine = waiver.requested_by == ctx.actor
        entry["waivers"].append(
            {"w": waiver, "state": state, "expiring": waiver.expiring(now), "mine": mine}
        )
    policy = ctx.policies.for_assessment(overview.assessment)
    expiry = now + timedelta(days=min(30, policy.max_waiver_days))
    return {
        "assurance": by_version,
        "finding_severities": [s.value for s in Severity],
        "closing_statuses": [s.value for s in FindingStatus if s is not FindingStatus.OPEN],
        "waiver_approvers": policy.waiver_approvers,
        "max_waiver_days": policy.max_waiver_days,
        "today": now.date().isoformat(),
        "default_due": (now + timedelta(days=30)).date().isoformat(),
        "default_expiry": expiry.date().isoformat(),
    }


@router.post("/models/{name}/versions/{version}/findings")
def record_finding(
    name: str,
    version: VersionPath,
    ctx: CtxDep,
    title: Short,
    severity: Annotated[str, Form(max_length=16)],
    owner: Short,
    due: Annotated[str, Form(max_length=32)],
    detail: Text = "",
    csrf: Short = "",
) -> Response:
    """Record a validation finding on a version (validators, risk managers)."""
    check_csrf(ctx, csrf)

    def call() -> None:
        service.record_finding(
            ctx.uow(),
            guard=ctx.guard(),
            model=name,
            version=version,
            title=title,
            severity=severity,
            owner=owner,
            due_at=end_of_day(due, "due date"),
            detail=detail,
        )

    done = f"Finding {title.strip()!r} ({severity}) recorded on {name} v{version}."
    return outcome(ctx, model_url(name), f"findings-{version}", call, done)


@router.post("/models/{name}/findings/{finding_id}/status")
def update_finding(
    name: str,
    finding_id: IdPath,
    ctx: CtxDep,
    status: Annotated[str, Form(max_length=16)],
    resolution: Text = "",
    version: Annotated[int, Form(ge=1, le=2**31 - 1)] = 1,
    csrf: Short = "",
) -> Response:
    """Resolve, withdraw or reopen a finding; closing it needs a comment saying how."""
    check_csrf(ctx, csrf)

    def call() -> None:
        service.update_finding(
            ctx.uow(),
            guard=ctx.guard(),
            finding_id=finding_id,
            status=status,
            resolution=resolution,
        )

    done = f"Finding {finding_id} is now {status}."
    return outcome(ctx, model_url(name), f"findings-{version}", call, done)


@router.post("/models/{name}/versions/{version}/waivers")
def request_waiver(
    name: str,
    version: VersionPath,
    ctx: CtxDep,
    item: Short,
    reason: Text,
    approver_role: Annotated[str, Form(max_length=64)],
    expires: Annotated[str, Form(max_length=32)],
    csrf: Short = "",
) -> Response:
    """Ask that one gate item of a version pass until the waiver expires."""
    check_csrf(ctx, csrf)

    def call() -> None:
        service.request_waiver(
            ctx.uow(),
            guard=ctx.guard(),
            model=name,
            version=version,
            item=item,
            reason=reason,
            approver_role=approver_role,
            expires_at=end_of_day(expires, "expiry"),
        )

    done = f"Waiver of {item} on {name} v{version} requested; a {approver_role} must approve it."
    return outcome(ctx, model_url(name), f"waivers-{version}", call, done)


def _decide(ctx: Ctx, name: str, version: int, call: Any, done: str) -> Response:
    """Run an approval or rejection. The service's separation-of-duties refusal (the requester,
    an author, someone without the named role) is shown next to the form: the form was offered
    to this user. A user who may neither approve nor record findings gets the 403 page."""
    url, where = model_url(name), f"waivers-{version}"
    try:
        call()
    except PermissionDenied as exc:
        if not actions_of(ctx) & {Action.APPROVE.value, Action.RECORD_FINDING.value}:
            raise
        return flash.redirect(ctx, url, str(exc), kind="error", where=where)
    except ModelwardError as exc:
        return flash.redirect(ctx, url, str(exc), kind="error", where=where)
    return flash.redirect(ctx, url, done, where=where)


@router.post("/models/{name}/waivers/{waiver_id}/approve")
def approve_waiver(
    name: str,
    waiver_id: IdPath,
    ctx: CtxDep,
    comment: Text = "",
    version: Annotated[int, Form(ge=1, le=2**31 - 1)] = 1,
    csrf: Short = "",
) -> Response:
    """Approve a requested waiver (a holder of the role it names; never who asked for it)."""
    check_csrf(ctx, csrf)

    def call() -> None:
        service.approve_waiver(ctx.uow(), guard=ctx.guard(), waiver_id=waiver_id, comment=comment)

    done = f"Waiver {waiver_id} approved: its item passes the gate until the waiver expires."
    return _decide(ctx, name, version, call, done)


@router.post("/models/{name}/waivers/{waiver_id}/reject")
def reject_waiver(
    name: str,
    waiver_id: IdPath,
    ctx: CtxDep,
    reason: Text,
    version: Annotated[int, Form(ge=1, le=2**31 - 1)] = 1,
    csrf: Short = "",
) -> Response:
    """Reject a requested waiver, or revoke an active one (the service's `revoke_waiver`):
    its item is judged again at once."""
    check_csrf(ctx, csrf)

    def call() -> None:
        service.revoke_waiver(ctx.uow(), guard=ctx.guard(), waiver_id=waiver_id, reason=reason)

    done = f"Waiver {waiver_id} rejected: its item is judged again."
    return _decide(ctx, name, version, call, done)
