"""`modelward tokens`: list API tokens (never their secret) and revoke one by id.

Issuing is `modelward users token NAME`; revoking everything of a user is
`modelward users revoke NAME`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from modelward.cli.env import env_of
from modelward.cli.errors import exit_on_domain_error
from modelward.cli.output import WideOpt, fmt_day, print_json, table

tokens_app = typer.Typer(help="API tokens: list and revoke.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@tokens_app.command("list")
def list_tokens(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option(help="Only this user's tokens.")] = None,
    wide: WideOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """API tokens: id, user, label, created, expires, last used, revoked (never the secret).

    Everyone's for an admin (manage_roles), else your own.
    """
    with exit_on_domain_error():
        found = env_of(ctx).client.governance.tokens(user)
        if json_out:
            print_json([{k: v for k, v in vars(t).items() if k != "token_hash"} for t in found])
            return
        if not found:
            typer.echo(f"No API tokens{' of ' + user if user else ''}.")
            return
        table(
            f"{len(found)} token(s)",
            ["id", "user", "label", "created", "by", "expires", "last used", "revoked"],
            [
                [
                    str(t.id),
                    t.user,
                    t.label,
                    fmt_day(t.created_at),
                    t.created_by,
                    fmt_day(t.expires_at) or "never",
                    fmt_day(t.last_used_at),
                    f"{fmt_day(t.revoked_at)} by {t.revoked_by}" if t.revoked_at else "",
                ]
                for t in found
            ],
            compact=["id", "user", "label", "expires", "revoked"],
            wrap=["label", "revoked"],
            wide=wide,
        )


@tokens_app.command("revoke")
def revoke(ctx: typer.Context, token_id: int) -> None:
    """Revoke the token TOKEN_ID (yours, or anyone's with manage_roles) and its web sessions."""
    with exit_on_domain_error():
        found = env_of(ctx).client.governance.revoke_token(token_id)
    typer.echo(f"Token {found.id} of {found.user} is revoked.")
