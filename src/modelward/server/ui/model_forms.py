"""The model page's forms: risk assessment (values or the questionnaire), model card fields,
data tags. Each is a CSRF-checked post calling the same guarded service as the API and CLI;
the outcome comes back as a one-time message next to the form (see `flash`)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from modelward.domain.questionnaire import QUESTIONS
from modelward.errors import ModelwardError, PermissionDenied
from modelward.governance import assessment, card, data
from modelward.server.deps import Ctx, CtxDep, VersionPath
from modelward.server.ui import flash

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=10_000)]
Short = Annotated[str, Form(max_length=256)]


def check_csrf(ctx: Ctx, submitted: str | None) -> None:
    """Refuse a form post whose CSRF token is not the session's.

    Raises:
        PermissionDenied: the token is missing or wrong (a forged cross-site post).
    """
    if not ctx.csrf or not submitted or submitted != ctx.csrf:
        raise PermissionDenied("The form is missing its security token; reload the page and retry.")


def model_url(name: str) -> str:
    return f"/models/{quote(name, safe='')}"


def outcome(ctx: Ctx, url: str, where: str, call: Any, done: str) -> Response:
    """Run `call`; flash `done` or the error's message next to form `where`. A permission
    refusal is an error page (403), not a message: the form was not offered to this user."""
    try:
        call()
    except PermissionDenied:
        raise
    except ModelwardError as exc:
        return flash.redirect(ctx, url, str(exc), kind="error", where=where)
    return flash.redirect(ctx, url, done, where=where)


def _answers(form: Any) -> dict[str, object]:
    answers: dict[str, object] = {}
    for question in QUESTIONS:
        key = f"q_{question.key}"
        if question.kind == "multi":
            answers[question.key] = [v for v in form.getlist(key) if isinstance(v, str)]
        elif question.kind == "bool":
            answers[question.key] = form.get(key) == "yes"
        else:
            answers[question.key] = str(form.get(key) or "")
    return answers


@router.post("/models/{name}/assess")
async def assess(request: Request, name: str, ctx: CtxDep) -> Response:
    """Record a risk assessment: explicit likelihood and severity, or (mode=questionnaire) the
    values the answers suggest; the rationale is kept either way."""
    form = await request.form()
    check_csrf(ctx, str(form.get("csrf") or ""))
    rationale = str(form.get("rationale") or "")[:10_000]
    if form.get("mode") == "questionnaire":
        values: dict[str, Any] = {"answers": _answers(form)}
    else:
        values = {"likelihood": form.get("likelihood") or None}
        values["severity"] = form.get("severity") or None

    def call() -> None:
        assessment.assess_risk(
            ctx.uow(), model=name, guard=ctx.guard(), rationale=rationale, **values
        )

    return await run_in_threadpool(
        outcome, ctx, model_url(name), "assess", call, f"Risk of {name} assessed."
    )


@router.post("/models/{name}/versions/{version}/card-field")
def card_field(
    name: str,
    version: VersionPath,
    ctx: CtxDep,
    field: Short,
    value: Text = "",
    every_version: Annotated[bool, Form()] = False,
    csrf: Short = "",
) -> Response:
    """Fill a model card field of this version (or, ticked, of every version)."""
    check_csrf(ctx, csrf)
    target = 0 if every_version else version

    def call() -> None:
        card.set_card_field(
            ctx.uow(), model=name, version=target, field=field, value=value, guard=ctx.guard()
        )

    scope = "every version" if every_version else f"v{version}"
    done = f"Card field {field} of {name} {scope} saved."
    return outcome(ctx, model_url(name), f"card-{version}", call, done)


@router.post("/models/{name}/datasets/{dataset}/tags")
def tag_column(
    name: str,
    dataset: Annotated[str, PathParam(min_length=6, max_length=64)],
    ctx: CtxDep,
    column: Short,
    personal: Annotated[bool, Form()] = False,
    legal_basis: Short = "",
    note: Text = "",
    csrf: Short = "",
) -> Response:
    """Tag a column of a data set a version of this model was trained on."""
    check_csrf(ctx, csrf)

    def call() -> None:
        data.tag_column(
            ctx.uow(),
            dataset=dataset,
            column=column,
            personal_data=personal,
            legal_basis=legal_basis or None,
            note=note,
            guard=ctx.guard(),
        )

    kind = "personal data" if personal else "not personal data"
    done = f"Column {column} of data set {dataset[:10]} tagged as {kind}."
    return outcome(ctx, model_url(name), f"data-{dataset[:12]}", call, done)


def form_data(ctx: Ctx, found: Any, now: Any) -> dict[str, Any]:
    """What the model page's forms offer: the questions, the scales, the card fields, and
    each training data set's columns with their tags (only for users who may tag)."""
    from modelward.domain.governance import CARD_FIELDS
    from modelward.domain.risk import Likelihood, Severity

    datasets: dict[str, Any] = {}
    for view in found.versions:
        for used in view.run.datasets if view.run else ():
            datasets.setdefault(used.dataset_id, {"ref": used, "versions": []})
            datasets[used.dataset_id]["versions"].append(view.version.version)
    for entry in datasets.values():
        entry["columns"] = data.column_table(
            ctx.uow(read_only=True), dataset=entry["ref"].dataset_id
        )
    required = {f for p in ctx.policies.policies.values() for f in p.required_card_fields}
    return {
        "questions": QUESTIONS,
        "likelihoods": list(Likelihood),
        "severities": list(Severity),
        "card_fields": sorted({*CARD_FIELDS, *required}),
        "datasets": datasets,
        "legal_bases": LEGAL_BASES,
        "now": now,
    }


# GDPR Art. 6(1): the lawful bases for processing personal data (offered as suggestions).
LEGAL_BASES = (
    "consent",
    "contract",
    "legal obligation",
    "vital interests",
    "public task",
    "legitimate interests",
)
