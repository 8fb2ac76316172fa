"""Administration API: who am I, users and roles (tokens: `api/tokens.py`), the audit trail
(events, verify, export), the policies in force, data lineage and the governance model card."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import BaseModel

from modelward.domain.governance import CheckpointRecord
from modelward.domain.policy import policy_as_dict
from modelward.domain.risk import RiskLevel
from modelward.governance import card, data, trail, users, workspace_settings
from modelward.governance.audit_verify import VerifyResult
from modelward.schemas import domain as wire
from modelward.schemas.core import AuditEventOut, IdentityOut, UserIn, UserOut
from modelward.schemas.ops import LineageOut, VerifyOut
from modelward.server.deps import CtxDep, VersionPath

router = APIRouter(tags=["admin"])
CHECKPOINT_FILE = "audit-checkpoints.json"


class RequireServerIn(BaseModel):
    require_server: bool


@router.get("/workspace/require-server")
def get_require_server(ctx: CtxDep) -> dict[str, bool]:
    """Whether the workspace accepts writes only through this server."""
    return {"require_server": workspace_settings.require_server(ctx.uow(read_only=True))}


@router.put("/workspace/require-server")
def put_require_server(body: RequireServerIn, ctx: CtxDep) -> dict[str, bool]:
    """Turn `require_server` on or off (needs manage_roles); audited."""
    previous = workspace_settings.set_require_server(
        ctx.uow(), guard=ctx.guard(), on=body.require_server
    )
    return {"require_server": body.require_server, "previous": previous}


@router.get("/whoami")
def whoami(ctx: CtxDep) -> IdentityOut:
    """The authenticated user and their roles."""
    found = users.whoami(ctx.uow(read_only=True), actor=ctx.actor, policies=ctx.policies)
    return IdentityOut.model_validate(found)


@router.get("/users")
def list_users(ctx: CtxDep) -> list[UserOut]:
    """Registered users and their roles."""
    return [UserOut.model_validate(u) for u in users.list_users(ctx.uow(read_only=True))]


@router.post("/users", status_code=201)
def add_user(body: UserIn, ctx: CtxDep) -> UserOut:
    """Register a user (if new) and grant roles (needs manage_roles)."""
    found = users.add_user(ctx.uow(), name=body.name, roles=body.roles, guard=ctx.guard())
    return UserOut.model_validate(found)


@router.get("/audit/events")
def audit_events(
    ctx: CtxDep,
    entity_type: Annotated[str | None, Query(max_length=64)] = None,
    entity_id: Annotated[str | None, Query(max_length=600)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 50,
) -> list[AuditEventOut]:
    """The newest audit events (about one entity if given), newest first."""
    found = trail.recent_events(
        ctx.uow(read_only=True), entity_type=entity_type, entity_id=entity_id, limit=limit
    )
    return [AuditEventOut.model_validate(e) for e in found]


def _anchors(home: Path) -> list[str]:
    # A damaged workspace file hides no checkpoint: the store's refs and the table list them.
    path = home / CHECKPOINT_FILE
    try:
        listed = json.loads(path.read_text("utf-8")).get("checkpoints", [])
    except (OSError, ValueError, AttributeError):
        return []
    return [str(a) for a in listed] if isinstance(listed, list) else []


@router.get("/audit/verify")
def verify_audit(ctx: CtxDep) -> VerifyOut:
    """Verify the hash chain, its head and every checkpoint. Tampering is a result (200,
    ok: false, `problems` naming each bad event seq or checkpoint address), not an error."""
    found = trail.verify_audit(
        ctx.uow(read_only=True),
        ctx.artifacts,
        anchors=_anchors(Path(ctx.platform.settings.home)),
    )
    detail: dict[str, Any] = {
        "checked": found.checked,
        "first_bad_seq": found.first_bad_seq,
        "problem": found.problem.value if found.problem else None,
        "message": found.message,
    }
    problems = [finding.to_dict() for finding in found.problems]
    return VerifyOut(ok=found.ok, detail=detail, problems=problems)


@router.get("/audit/export", response_class=StreamingResponse)
def export_audit(ctx: CtxDep, fmt: Literal["jsonl", "csv"] = "jsonl") -> StreamingResponse:
    """The whole trail as JSON Lines or CSV, streamed."""
    chunks = trail.export_audit(ctx.uow(read_only=True), fmt=fmt)
    media = "application/x-ndjson" if fmt == "jsonl" else "text/csv"
    return StreamingResponse((c.encode() for c in chunks), media_type=media)


@router.get("/policies")
def policies(ctx: CtxDep) -> dict[str, dict[str, Any]]:
    """The policy of each risk level in force (defaults merged with the policy file)."""
    return {level.value: policy_as_dict(ctx.policies.for_level(level)) for level in RiskLevel}


@router.get("/lineage")
def lineage(
    ctx: CtxDep,
    dataset: Annotated[str | None, Query(max_length=256)] = None,
    column: Annotated[str | None, Query(max_length=256)] = None,
) -> list[LineageOut]:
    """Model versions trained on a dataset, or on any dataset with a column."""
    found = data.lineage(ctx.uow(read_only=True), dataset=dataset, column=column)
    return [LineageOut.model_validate(e) for e in found]


@router.get("/governance/models/{model}/versions/{version}/card", response_class=HTMLResponse)
def governance_card(model: str, version: VersionPath, ctx: CtxDep) -> HTMLResponse:
    """The full model card (record, risk, policy, sign-offs) as HTML."""
    text = card.model_card(
        ctx.uow(read_only=True),
        ctx.artifacts,
        model=model,
        version=version,
        policies=ctx.policies,
        html=True,
    )
    return HTMLResponse(text)


# -- the client contract: the audit trail in full ------------------------------------------

KEEP_CHECKPOINTS = 100  # as the local client keeps in the workspace file


@router.get("/audit/verify/result")
def verify_audit_result(ctx: CtxDep) -> dict[str, Any]:
    """The verification as `client.governance.verify_audit` returns it (with the verified
    head and every finding); tampering is a result, not an error."""
    found = trail.verify_audit(
        ctx.uow(read_only=True),
        ctx.artifacts,
        anchors=_anchors(Path(ctx.platform.settings.home)),
    )
    return wire.dump_obj(VerifyResult, found)


@router.post("/audit/checkpoints", status_code=201)
def checkpoint_audit(ctx: CtxDep) -> dict[str, Any]:
    """Verify the chain, then anchor its head in the artifact store and the workspace file
    (needs set_policy or manage_roles: the people who answer for the trail)."""
    home = Path(ctx.platform.settings.home)
    guard = ctx.guard()
    anchors = _anchors(home)
    record = trail.write_checkpoint(
        ctx.uow(), ctx.uow(read_only=True), ctx.artifacts, guard=guard, anchors=anchors
    )
    ctx.save_checkpoint_anchors([*anchors, record.address][-KEEP_CHECKPOINTS:])
    return wire.dump_obj(CheckpointRecord, record)


@router.get("/audit/checkpoints")
def list_checkpoints(ctx: CtxDep) -> list[dict[str, Any]]:
    """The checkpoints indexed in the database, oldest first."""
    return wire.dump_list(CheckpointRecord, trail.list_checkpoints(ctx.uow(read_only=True)))


@router.get("/time")
def server_time(ctx: CtxDep) -> dict[str, datetime]:
    """The server's clock: what it stamps on what it records (the client's `now()`)."""
    return {"now": ctx.now()}
