"""The inventory page (filters, sorting on every column, paging) and its CSV export. Rows
come from the inventory service; health is the open alerts of the versions being served."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from modelward.governance import inventory as inventory_service
from modelward.governance.inventory import InventoryRow
from modelward.server.deps import Ctx, CtxDep
from modelward.server.ui import monitoring_view
from modelward.server.ui.render import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
_NEVER = datetime.max.replace(tzinfo=UTC)
_LEVELS = {"low": 1, "medium": 2, "high": 3, "severe": 4, "unassessed": 5}

# column -> (header, sort key over (row, health))
COLUMNS: dict[str, tuple[str, Callable[[InventoryRow, dict[str, int]], Any]]] = {
    "model": ("Model", lambda r, h: r.model),
    "risk": ("Risk", lambda r, h: (_LEVELS.get(r.risk_level, 9), r.risk_score or 0)),
    "stage": ("Stage", lambda r, h: r.stage),
    "owner": ("Owner", lambda r, h: r.owner),
    "business_owner": ("Business owner", lambda r, h: r.business_owner),
    "health": ("Health", lambda r, h: h.get(r.model, 0)),
    "validation": ("Last validation", lambda r, h: r.last_validation or _NEVER),
    "expiry": ("Assessment expires", lambda r, h: r.assessment_expires_at or _NEVER),
    "review": ("Next review", lambda r, h: r.next_review or _NEVER),
    "pending": ("Pending sign-offs", lambda r, h: len(r.pending_sign_offs)),
}


def _filters(q: str, risk: str, stage: str, pending: bool, overdue: bool) -> dict[str, Any]:
    found: dict[str, Any] = {"q": q, "risk": risk, "stage": stage}
    return found | {k: "1" for k, v in (("pending", pending), ("overdue", overdue)) if v}


def _rows(ctx: Ctx, filters: dict[str, Any], **page: Any) -> tuple[list[InventoryRow], int]:
    common: dict[str, Any] = {
        "policies": ctx.policies,
        "now": ctx.now(),
        "protected": ctx.protected,
        "risk": filters["risk"] or None,
        "stage": filters["stage"] or None,
        "search": filters["q"] or None,
        "pending": bool(filters.get("pending")),
        "overdue": bool(filters.get("overdue")),
    }
    if page:
        return inventory_service.inventory_page(ctx.uow(read_only=True), **common, **page)
    rows = inventory_service.inventory(ctx.uow(read_only=True), **common)
    return rows, len(rows)


Q = Annotated[str, Query(max_length=256)]
Short = Annotated[str, Query(max_length=32)]


@router.get("/", response_class=HTMLResponse)
def inventory(
    request: Request,
    ctx: CtxDep,
    q: Q = "",
    risk: Short = "",
    stage: Short = "",
    pending: bool = False,
    overdue: bool = False,
    sort: Short = "",
    desc: bool = False,
    page: Annotated[int, Query(ge=1, le=10**6)] = 1,
) -> HTMLResponse:
    """Every model: risk and score, stage, owners, health, validation (of which version),
    assessment expiry, next review, pending sign-offs; filtered, sorted, paged."""
    filters = _filters(q, risk, stage, pending, overdue)
    health = monitoring_view.open_alert_counts(ctx)
    start = (page - 1) * PAGE_SIZE
    if sort in COLUMNS:  # sorting on derived facts needs every row, as filters on them do
        everything, total = _rows(ctx, filters)
        key = COLUMNS[sort][1]
        everything.sort(key=lambda r: key(r, health), reverse=desc)
        rows = everything[start : start + PAGE_SIZE]
    else:
        rows, total = _rows(ctx, filters, offset=start, limit=PAGE_SIZE)
    return render(
        request,
        "inventory.html",
        ctx,
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        filters=filters,
        query=urlencode(filters | ({"sort": sort, "desc": "1" if desc else ""} if sort else {})),
        filter_query=urlencode(filters),
        sort=sort,
        desc=desc,
        columns=COLUMNS,
        health=health,
        now=ctx.now(),
        risks=["low", "medium", "high", "severe", "unassessed"],
        stages=["registered", "validated", "approved", "in_production", "retired"],
    )


CSV_HEADER = (
    "model", "risk_level", "risk_score", "stage", "owner", "business_owner",
    "open_alerts_on_served_versions", "production_version", "latest_version",
    "last_validation_at", "last_validation_version", "last_validation_passed",
    "assessment_expires_at", "next_review", "pending_sign_offs", "rejected", "overdue",
)  # fmt: skip


def _cell(value: object) -> object:
    # Free text (a business owner) that a spreadsheet would run as a formula stays text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _iso(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else ""


@router.get("/inventory.csv")
def inventory_csv(
    ctx: CtxDep,
    q: Q = "",
    risk: Short = "",
    stage: Short = "",
    pending: bool = False,
    overdue: bool = False,
) -> Response:
    """The whole inventory (with the page's filters) as CSV, for the model committee's files."""
    rows, _ = _rows(ctx, _filters(q, risk, stage, pending, overdue))
    health = monitoring_view.open_alert_counts(ctx)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for r in rows:
        writer.writerow(
            map(
                _cell,
                [
                    r.model,
                    r.risk_level,
                    r.risk_score or "",
                    r.stage,
                    r.owner,
                    r.business_owner,
                    health.get(r.model, 0),
                    r.production_version or "",
                    r.latest_version or "",
                    _iso(r.last_validation),
                    r.last_validation_version or "",
                    "" if r.last_validation_passed is None else r.last_validation_passed,
                    _iso(r.assessment_expires_at),
                    _iso(r.next_review),
                    " ".join(r.pending_sign_offs),
                    r.rejected,
                    r.overdue,
                ],
            )  # fmt: skip
        )
    stamp = ctx.now().strftime("%Y%m%d")
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="inventory-{stamp}.csv"'},
    )
