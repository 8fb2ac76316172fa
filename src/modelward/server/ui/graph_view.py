"""The model graph page: the models upstream and downstream of one, drawn as a server-rendered
SVG (columns by distance, each node with its risk level, stage and health), and the declared
dependencies as a table."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from modelward.governance import graph as graph_service
from modelward.server.deps import CtxDep
from modelward.server.ui.render import render

router = APIRouter(include_in_schema=False)

WIDTH, HEIGHT, GAP_X, GAP_Y, PAD = 210, 70, 90, 24, 16
RISK_COLORS = {
    "low": "#d9f2e3",
    "medium": "#fff1c2",
    "high": "#ffd8b8",
    "severe": "#ffc9c9",
    "unassessed": "#e8e8e8",
}
HEALTH_MARKS = {"ok": "#2f9e44", "alerting": "#e8590c", "disabled": "#c92a2a"}


def _positions(found: graph_service.ModelGraph) -> dict[str, tuple[int, int]]:
    columns: dict[int, list[str]] = {}
    for node in found.nodes:
        columns.setdefault(node.distance, []).append(node.model)
    first = min(columns)
    return {
        model: (PAD + (distance - first) * (WIDTH + GAP_X), PAD + row * (HEIGHT + GAP_Y))
        for distance, models in columns.items()
        for row, model in enumerate(models)
    }


def graph_svg(found: graph_service.ModelGraph) -> Markup:
    """The graph as an SVG element (every text escaped)."""
    at = _positions(found)
    width = max(x for x, _ in at.values()) + WIDTH + PAD
    height = max(y for _, y in at.values()) + HEIGHT + PAD
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" role="img" aria-label="model graph"'
        ' data-testid="model-graph">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7"'
        ' markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker>'
        "</defs>",
    ]
    edges = {(d.upstream, d.model) for d in found.dependencies}
    for upstream, consumer in sorted(edges):
        (x1, y1), (x2, y2) = at[upstream], at[consumer]
        parts.append(
            f'<line x1="{x1 + WIDTH}" y1="{y1 + HEIGHT // 2}" x2="{x2}" y2="{y2 + HEIGHT // 2}"'
            ' stroke="#555" stroke-width="1.5" marker-end="url(#arrow)"/>'
        )
    for node in found.nodes:
        x, y = at[node.model]
        fill = RISK_COLORS.get(node.risk_level, "#e8e8e8")
        border = "3" if node.distance == 0 else "1"
        mark = HEALTH_MARKS.get(node.health, "#868e96")
        name = escape(node.model)
        parts += [
            f'<a href="/models/{name}/graph"><g data-model="{name}">',
            f'<rect x="{x}" y="{y}" width="{WIDTH}" height="{HEIGHT}" rx="6" fill="{fill}"'
            f' stroke="#333" stroke-width="{border}"/>',
            f'<circle cx="{x + WIDTH - 14}" cy="{y + 14}" r="6" fill="{mark}"/>',
            f'<text x="{x + 10}" y="{y + 22}" font-weight="bold" font-size="14">{name}</text>',
            f'<text x="{x + 10}" y="{y + 42}" font-size="12">{escape(node.risk_level)} risk ·'
            f" {escape(node.stage)}</text>",
            f'<text x="{x + 10}" y="{y + 60}" font-size="12">{escape(node.health)}'
            f"{' · ' + str(len(node.deployments)) + ' deployment(s)' if node.deployments else ''}"
            "</text>",
            "</g></a>",
        ]
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped above


@router.get("/models/{name}/graph", response_class=HTMLResponse)
def graph_page(request: Request, name: str, ctx: CtxDep) -> HTMLResponse:
    """Upstream and downstream models of NAME, with risk level, stage and health."""
    found = graph_service.model_graph(
        ctx.uow(read_only=True),
        model=name,
        policies=ctx.policies,
        now=ctx.now(),
        protected=ctx.protected,
    )
    return render(request, "graph.html", ctx, g=found, svg=graph_svg(found))
