"""Web UI pages: sign-in, the model inventory, the model page with sign-offs, the governance
queue. Each page asks services for its content; forms are CSRF-checked posts that call the
same services as the API, so the same permission rules apply."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from modelward.errors import ModelwardError, PermissionDenied, Unauthenticated
from modelward.governance import inventory as inventory_service
from modelward.governance import overview, queue, service, tokens
from modelward.server import session
from modelward.server.deps import Ctx, CtxDep, Platform, PlatformDep, VersionPath
from modelward.server.ui import graph_view, monitoring_view, runs_pages
from modelward.server.ui.render import render

router = APIRouter(include_in_schema=False)
router.include_router(runs_pages.router)
router.include_router(graph_view.router)
PAGE_SIZE = 50


def check_csrf(ctx: Ctx, submitted: str | None) -> None:
    """Refuse a form post whose CSRF token is not the session's.

    Raises:
        PermissionDenied: the token is missing or wrong (a forged cross-site post).
    """
    if not ctx.csrf or not submitted or submitted != ctx.csrf:
        raise PermissionDenied("The form is missing its security token; reload the page and retry.")


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


def _health(ctx: Ctx) -> dict[str, int]:
    found = monitoring_view.open_alert_counts(ctx)
    return found


@router.get("/", response_class=HTMLResponse)
def inventory(
    request: Request,
    ctx: CtxDep,
    q: Annotated[str, Query(max_length=256)] = "",
    risk: Annotated[str, Query(max_length=32)] = "",
    stage: Annotated[str, Query(max_length=32)] = "",
    pending: bool = False,
    overdue: bool = False,
    page: Annotated[int, Query(ge=1, le=10**6)] = 1,
) -> HTMLResponse:
    """Every model: risk, stage, owner, health, pending sign-offs, overdue; filtered, paged."""
    start = (page - 1) * PAGE_SIZE
    rows, total = inventory_service.inventory_page(
        ctx.uow(read_only=True),
        policies=ctx.policies,
        now=ctx.now(),
        protected=ctx.protected,
        offset=start,
        limit=PAGE_SIZE,
        risk=risk or None,
        stage=stage or None,
        search=q or None,
        pending=pending,
        overdue=overdue,
    )
    filters: dict[str, Any] = {"q": q, "risk": risk, "stage": stage}
    filters |= {k: "1" for k, v in (("pending", pending), ("overdue", overdue)) if v}
    return render(
        request,
        "inventory.html",
        ctx,
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        filters=filters,
        query=urlencode(filters),
        health=_health(ctx),
        risks=["low", "medium", "high", "severe", "unassessed"],
        stages=["registered", "validated", "approved", "in_production", "retired"],
    )


@router.get("/models/{name}", response_class=HTMLResponse)
def model_page(request: Request, name: str, ctx: CtxDep, message: str = "") -> HTMLResponse:
    """Versions, aliases, lineage, metrics, reports, card, risk matrix, sign-offs, audit."""
    found = overview.model_overview(
        ctx.uow(read_only=True),
        model=name,
        viewer=ctx.actor,
        policies=ctx.policies,
        protected=ctx.protected,
        now=ctx.now(),
    )
    return render(request, "model.html", ctx, o=found, message=message)


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
) -> RedirectResponse:
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
        note = f"{decision}d v{version} as {role}"
    except ModelwardError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        note = str(exc)
    return RedirectResponse(f"/models/{name}?{urlencode({'message': note})}", status_code=303)


@router.get("/queue", response_class=HTMLResponse)
def review_queue(request: Request, ctx: CtxDep) -> HTMLResponse:
    """Everything waiting for the signed-in user's sign-off."""
    items = queue.review_queue(
        ctx.uow(read_only=True), actor=ctx.actor, policies=ctx.policies, protected=ctx.protected
    )
    return render(request, "queue.html", ctx, items=items)
