"""Web UI pages: sign-in, the model inventory, the model page with sign-offs, the governance
queue. Each page asks services for its content; forms are CSRF-checked posts that call the
same services as the API, so the same permission rules apply."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from modelward.errors import ModelwardError, PermissionDenied, Unauthenticated
from modelward.governance import overview, queue, service, tokens
from modelward.server import session
from modelward.server.deps import CtxDep, Platform, PlatformDep, VersionPath
from modelward.server.ui import (
    audit_view,
    card_pages,
    evidence_pages,
    flash,
    graph_view,
    inventory_pages,
    model_forms,
    privacy_pages,
    runs_pages,
)
from modelward.server.ui.model_forms import check_csrf, model_url
from modelward.server.ui.render import render

router = APIRouter(include_in_schema=False)
_PAGES = (runs_pages, inventory_pages, audit_view, model_forms, card_pages, graph_view)
for _module in (*_PAGES, evidence_pages, privacy_pages):
    router.include_router(_module.router)
PAGE_SIZE = 50


def _login_form(
    request: Request, platform: Platform, *, next: str, error: str, status: int
) -> HTMLResponse:
    # The pre-session CSRF nonce lives in its own cookie; the form carries its signature.
    nonce = request.cookies.get(session.LOGIN_COOKIE, "")
    if not nonce or len(nonce) > 128:
        nonce = session.new_nonce()
    token = session.login_csrf(platform.secret, nonce)
    page = render(request, "login.html", None, next=next, error=error, login_csrf=token)
    page.status_code = status
    page.set_cookie(
        session.LOGIN_COOKIE,
        nonce,
        max_age=session.LOGIN_LIFETIME_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return page


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request, platform: PlatformDep, next: str = "/", error: str = ""
) -> HTMLResponse:
    """The sign-in form (user name and API token), with its pre-session CSRF token."""
    return _login_form(request, platform, next=next, error=error, status=200)


@router.post("/login", response_model=None)
def login(
    request: Request,
    platform: PlatformDep,
    user: Annotated[str, Form(max_length=256)],
    token: Annotated[str, Form(max_length=512)],
    next: Annotated[str, Form(max_length=2048)] = "/",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Check the form's CSRF token and that the token belongs to the user; start a session
    (a server-side row, and a signed cookie carrying its nonce)."""
    if not session.login_csrf_ok(
        platform.secret, request.cookies.get(session.LOGIN_COOKIE), csrf_token
    ):
        error = "The sign-in form expired or did not come from this site; sign in again."
        return _login_form(request, platform, next=next, error=error, status=403)
    found, reason = None, ""
    try:
        found = platform.token_of(token.strip())
    except Unauthenticated as exc:
        reason = str(exc) if exc.details.get("reason") else ""  # expired or revoked: say so
    if found is None or found.user != user.strip():
        error = reason or "Unknown user or token."
        return _login_form(request, platform, next=next, error=error, status=401)
    nonce = session.new_nonce()
    started = tokens.start_session(
        platform.uow(),
        token=found,
        nonce=nonce,
        now=platform.clock(),
        lifetime=timedelta(seconds=session.LIFETIME_SECONDS),
    )
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        session.COOKIE,
        session.issue(
            platform.secret, found.user, nonce=nonce, expires=started.expires_at.timestamp()
        ),
        max_age=max(1, int((started.expires_at - platform.clock()).total_seconds())),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(session.LOGIN_COOKIE)
    return response


@router.post("/logout")
def logout(
    request: Request, ctx: CtxDep, csrf: Annotated[str, Form(max_length=128)] = ""
) -> RedirectResponse:
    """End the session: its server-side row is revoked, so a copy of the cookie is refused."""
    check_csrf(ctx, csrf)
    found = session.read(ctx.platform.secret, request.cookies.get(session.COOKIE))
    if found is not None:
        tokens.end_session(ctx.uow(), nonce=found.nonce, now=ctx.now())
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(session.COOKIE)
    return response


@router.get("/models/{name}", response_class=HTMLResponse)
def model_page(request: Request, name: str, ctx: CtxDep) -> HTMLResponse:
    """Versions with their gate checklist, aliases and deployments with their history,
    lineage, metrics, reports, card, risk assessment and matrix, sign-offs, audit."""
    found = overview.model_overview(
        ctx.uow(read_only=True),
        model=name,
        viewer=ctx.actor,
        policies=ctx.policies,
        protected=ctx.protected,
        now=ctx.now(),
        events=50,
    )
    return render(
        request,
        "model.html",
        ctx,
        o=found,
        **model_forms.form_data(ctx, found, ctx.now()),
        **evidence_pages.assurance(ctx, found),
    )


@router.post("/models/{name}/versions/{version}/sign-off")
def sign_off(
    request: Request,
    name: str,
    version: VersionPath,
    ctx: CtxDep,
    role: Annotated[str, Form(max_length=64)],
    decision: Annotated[str, Form(max_length=16)],
    comment: Annotated[str, Form(max_length=10_000)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Approve or reject from the model page (the service checks who may)."""
    check_csrf(ctx, csrf)
    try:
        service.record_sign_off(
            ctx.uow(),
            model=name,
            version=version,
            role=role,
            decision=decision,
            comment=comment,
            guard=ctx.guard(),
        )
    except ModelwardError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        return flash.redirect(ctx, model_url(name), str(exc), kind="error", where=f"v{version}")
    verb = "approved" if decision == "approve" else "rejected"
    note = f"{verb.capitalize()} {name} v{version} as {role}."
    return flash.redirect(ctx, model_url(name), note, where=f"v{version}")


@router.get("/queue", response_class=HTMLResponse)
def review_queue(request: Request, ctx: CtxDep) -> HTMLResponse:
    """Everything waiting for the signed-in user's sign-off."""
    now = ctx.now()
    items = queue.review_queue(
        ctx.uow(read_only=True),
        actor=ctx.actor,
        policies=ctx.policies,
        protected=ctx.protected,
        now=now,
    )
    from modelward.governance import findings as findings_service

    waivers, owned = findings_service.waiting_for(
        ctx.uow(read_only=True),
        actor=ctx.actor,
        permissions=ctx.policies.permissions,
        now=now,
    )
    return render(request, "queue.html", ctx, items=items, waivers=waivers, owned=owned, now=now)
