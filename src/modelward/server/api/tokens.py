"""Identity API: issue, list and revoke API tokens; revoke every credential of a user.

The actor is authenticated (bearer token or session), so `issue_token` gets
`authenticated=True`: an admin may issue tokens for anyone. A revocation clears this process's
token cache at once (`Platform.forget_tokens`); other replicas follow within 5 s.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from modelward.governance import tokens
from modelward.schemas.identity import RevokedUserOut, TokenIn, TokenInfoOut, TokenOut
from modelward.server.deps import CtxDep

router = APIRouter(tags=["admin"])
TokenId = Annotated[int, Path(ge=1, le=2**62, description="Token id.")]


@router.post("/tokens", status_code=201)
def issue_token(body: TokenIn, ctx: CtxDep) -> TokenOut:
    """A new API token for a user (yourself, or anyone with manage_roles); shown once."""
    value, record = tokens.issue_token(
        ctx.uow(),
        user=body.user,
        label=body.label,
        expires_days=body.expires_days,
        guard=ctx.guard(),
    )
    assert record.id is not None
    return TokenOut(id=record.id, user=record.user, token=value, expires_at=record.expires_at)


@router.get("/tokens")
def list_tokens(
    ctx: CtxDep, user: Annotated[str | None, Query(max_length=256)] = None
) -> list[TokenInfoOut]:
    """Tokens of a user (default: everyone's for an admin, else your own); never the secret."""
    found = tokens.list_tokens(
        ctx.uow(read_only=True), policies=ctx.policies, actor=ctx.actor, user=user
    )
    return [TokenInfoOut.model_validate(t) for t in found]


@router.post("/tokens/{token_id}/revoke")
def revoke_token(token_id: TokenId, ctx: CtxDep) -> TokenInfoOut:
    """Revoke a token (yours, or anyone's with manage_roles) and its web sessions."""
    found = tokens.revoke_token(ctx.uow(), token_id=token_id, guard=ctx.guard())
    ctx.platform.forget_tokens()
    return TokenInfoOut.model_validate(found)


@router.post("/users/{name}/revoke")
def revoke_user(name: Annotated[str, Path(max_length=256)], ctx: CtxDep) -> RevokedUserOut:
    """Revoke every token and web session of a user (yourself, or anyone with manage_roles)."""
    found = tokens.revoke_user(ctx.uow(), user=name, guard=ctx.guard())
    ctx.platform.forget_tokens()
    return RevokedUserOut.model_validate(found)
