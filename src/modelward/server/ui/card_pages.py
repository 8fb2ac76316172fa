"""The model card of a version as a styled page and as a PDF for the model committee. The
content is the governance card service's (fields filled from the record where known); these
routes only lay it out."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from modelward.governance import card, card_pdf
from modelward.server.deps import Ctx, CtxDep, VersionPath
from modelward.server.ui.render import render

router = APIRouter(include_in_schema=False)


def _card_html(ctx: Ctx, name: str, version: int) -> str:
    markdown = card.model_card(
        ctx.uow(read_only=True),
        ctx.artifacts,
        model=name,
        version=version,
        policies=ctx.policies,
    )
    return card.markdown_html(markdown)


@router.get("/models/{name}/versions/{version}/card", response_class=HTMLResponse)
def card_page(request: Request, name: str, version: VersionPath, ctx: CtxDep) -> HTMLResponse:
    """The model card, styled, with a link to its PDF."""
    body = Markup(_card_html(ctx, name, version))  # noqa: S704 -- inert: markdown_html escapes raw HTML
    return render(request, "card.html", ctx, model=name, version=version, body=body)


@router.get("/models/{name}/versions/{version}/card.pdf")
def card_pdf_file(name: str, version: VersionPath, ctx: CtxDep) -> Response:
    """The model card as an A4 PDF (downloaded as modelcard-NAME-vN.pdf)."""
    title = f"{name} v{version}"
    pdf = card_pdf.card_pdf(_card_html(ctx, name, version), title=title)
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="modelcard-{safe}-v{version}.pdf"'},
    )
