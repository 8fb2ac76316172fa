"""The data-protection page: which deployments hold personal data, on which legal basis, kept
for how long (prediction logs, labels and outcomes, stored samples), when maintenance last
enforced it; a form to record a deployment's settings (deploy or set_policy) and one to erase
a data subject (set_policy), whose audit event (a keyed hash and counts, no personal data)
the page then shows. The forms call the same guarded services as
`PUT /api/v1/deployments/{name}/data-protection` and `POST /api/v1/data/erase`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from modelward.deploy import service as deploy_service
from modelward.domain.audit import AuditEvent
from modelward.domain.privacy import LegalBasis
from modelward.errors import InvalidInput, ModelwardError, PermissionDenied
from modelward.governance import audit_search, erasure, privacy
from modelward.server.deps import Ctx, CtxDep
from modelward.server.ui import flash
from modelward.server.ui.evidence_pages import actions_of
from modelward.server.ui.model_forms import check_csrf, outcome
from modelward.server.ui.render import render

router = APIRouter(include_in_schema=False)
URL = "/data-protection"
Short = Annotated[str, Form(max_length=256)]
Text = Annotated[str, Form(max_length=10_000)]
# What one deployment's retention period bounds (see erasure.run_maintenance): the service
# keeps one period per deployment and applies it to each of these.
KINDS = (
    ("prediction_logs", "Prediction logs"),
    ("labels", "Labels and outcomes"),
    ("samples", "Stored data set samples (of data sets no deployed version trains on)"),
)
EVENTS = 20


def _events(ctx: Ctx, action: str, limit: int) -> list[AuditEvent]:
    return audit_search.search_audit(ctx.uow(read_only=True), action=action, limit=limit)


def _last_maintenance(ctx: Ctx) -> dict[str, AuditEvent]:
    """The newest `data.maintenance` event of each deployment."""
    found: dict[str, AuditEvent] = {}
    for event in _events(ctx, "data.maintenance", audit_search.MAX_LIMIT):
        found.setdefault(event.entity_id, event)
    return found


def _rows(ctx: Ctx) -> list[dict[str, Any]]:
    """Every deployment with its settings, personal-data holding and last maintenance."""
    holdings = {
        h.deployment: h
        for h in privacy.personal_data_inventory(ctx.uow(read_only=True), policies=ctx.policies)
    }
    settings = {p.deployment: p for p in privacy.list_protection(ctx.uow(read_only=True))}
    maintained = _last_maintenance(ctx)
    return [
        {
            "d": dep,
            "holding": holdings.get(dep.name),
            "settings": settings.get(dep.name),
            "maintenance": maintained.get(dep.name),
        }
        for dep in deploy_service.list_deployments(ctx.uow(read_only=True))
    ]


@router.get(URL, response_class=HTMLResponse)
def data_protection(request: Request, ctx: CtxDep) -> HTMLResponse:
    """The GDPR Art. 30 view of the deployments, the settings and erasure forms by role, and
    the latest data-protection events of the audit trail."""
    rows = _rows(ctx)
    return render(
        request,
        "data_protection.html",
        ctx,
        rows=rows,
        holding=[r for r in rows if r["holding"] is not None],
        kinds=KINDS,
        bases=list(LegalBasis),
        may=actions_of(ctx),
        events=_events(ctx, "data.", EVENTS),
        last_run=next(iter(_events(ctx, "data.maintenance", 1)), None),
    )


def _days(text: str) -> int | None:
    if not text.strip():
        return None
    try:
        return int(text)
    except ValueError:
        raise InvalidInput(
            f"The retention is a whole number of days, got {text!r}; leave it empty to keep"
            " the data without limit.",
            field="retention_days",
        ) from None


def _columns(text: str) -> list[str] | None:
    names = [c.strip() for c in text.replace("\n", ",").split(",") if c.strip()]
    return names or None


@router.post(URL + "/deployments/{deployment}")
def set_protection(
    deployment: str,
    ctx: CtxDep,
    legal_basis: Short = "",
    retention_days: Annotated[str, Form(max_length=16)] = "",
    personal_columns: Text = "",
    subject_column: Short = "",
    note: Text = "",
    csrf: Short = "",
) -> Response:
    """Record a deployment's legal basis, retention, personal and subject columns (they
    replace the previous ones; empty personal columns: those tagged in governance)."""
    check_csrf(ctx, csrf)

    def call() -> None:
        privacy.set_protection(
            ctx.uow(),
            guard=ctx.guard(),
            deployment=deployment,
            legal_basis=legal_basis or None,
            retention_days=_days(retention_days),
            personal_columns=_columns(personal_columns),
            subject_column=subject_column.strip() or None,
            note=note,
        )

    kept = f"{retention_days.strip()} days" if retention_days.strip() else "without limit"
    done = f"Data protection of {deployment} saved: kept {kept}."
    return outcome(ctx, URL, f"dep-{deployment}", call, done)


@router.post(URL + "/erase")
def erase(
    ctx: CtxDep,
    subject: Annotated[str, Form(max_length=1024)],
    columns: Text = "",
    csrf: Short = "",
) -> Response:
    """Erase one data subject's rows everywhere. The message and the audit event name the
    subject only by its keyed hash: the key typed in is not shown again."""
    check_csrf(ctx, csrf)
    workspace = ctx.platform.workspace
    try:
        done = erasure.erase_subject(
            ctx.uow(),
            ctx.artifacts,
            workspace.prediction_files(),
            guard=ctx.guard(),
            subject=subject,
            key=workspace.pseudonym_key(),
            columns=_columns(columns) or [],
        )
    except PermissionDenied:
        raise
    except ModelwardError as exc:
        return flash.redirect(ctx, URL, str(exc), kind="error", where="erase")
    places = ", ".join(done.deployments) or "no deployment"
    text = (
        f"Subject {done.subject_ref[:12]}… erased: {done.prediction_rows} prediction row(s)"
        f" ({places}), {done.labels} label(s), {done.sample_rows} sample row(s),"
        f" {done.snapshot_rows} snapshot row(s); {done.files_rewritten} file(s) rewritten."
        " The audit event below keeps only the subject's keyed hash and these counts."
    )
    return flash.redirect(ctx, URL, text, where="erase")
