"""`modelward users`: register users and grant roles; show who you are; issue and revoke
their API tokens (`modelward tokens` lists and revokes single tokens).

While no user is registered the workspace is single-user and you hold every role; the first
`users add` ends that (and registers you as admin so that someone can still manage roles).
"""

from __future__ import annotations

from typing import Annotated

import typer

from modelward.cli.env import env_of
from modelward.cli.errors import exit_on_domain_error
from modelward.cli.output import fmt_day, print_json, table
from modelward.domain.tokens import DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS

users_app = typer.Typer(help="Users and their roles.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@users_app.command("add")
def add(
    ctx: typer.Context,
    name: str,
    role: Annotated[list[str], typer.Option("--role", help="A role to grant (repeatable).")],
    json_out: JsonOpt = False,
) -> None:
    """Register NAME (if new) and grant roles."""
    with exit_on_domain_error():
        user = env_of(ctx).client.governance.add_user(name, role)
        if json_out:
            print_json(user)
            return
        typer.echo(f"{user.name} holds {', '.join(user.roles)}.")


@users_app.command("list")
def list_users(ctx: typer.Context, json_out: JsonOpt = False) -> None:
    """Registered users and their roles."""
    with exit_on_domain_error():
        found = env_of(ctx).client.governance.users()
        if json_out:
            print_json(found)
            return
        if not found:
            typer.echo("No user registered: single-user workspace, everyone holds every role.")
            return
        table(
            f"{len(found)} user(s)",
            ["user", "roles", "added", "by"],
            [[u.name, ", ".join(u.roles), fmt_day(u.created_at), u.created_by] for u in found],
            wrap=["roles"],
        )


@users_app.command("whoami")
def whoami(ctx: typer.Context, json_out: JsonOpt = False) -> None:
    """Who you act as (MODELWARD_USER or the OS user) and your roles."""
    with exit_on_domain_error():
        me = env_of(ctx).client.governance.whoami()
        if json_out:
            print_json(me)
            return
        mode = " (single-user workspace: every role)" if me.bootstrap else ""
        typer.echo(f"{me.user}: {', '.join(me.roles) or 'no role'}{mode}.")


@users_app.command("token")
def token(
    ctx: typer.Context,
    name: str,
    label: Annotated[str, typer.Option(help="What the token is for (kept with it).")] = "",
    expires_days: Annotated[
        int,
        typer.Option(
            "--expires-days", min=1, max=MAX_TOKEN_DAYS, help="Days until the token expires."
        ),
    ] = DEFAULT_TOKEN_DAYS,
    break_glass: Annotated[
        bool,
        typer.Option(
            "--break-glass",
            help="Local mode, emergency only: issue your own admin token when no admin holds"
            " a working token any more (recorded as break glass in the audit trail).",
        ),
    ] = False,
) -> None:
    """Issue an API token for NAME (shown once; only its sha256 is stored); it expires.

    Use it as MODELWARD_TOKEN with MODELWARD_SERVER_URL, or to sign in to the web UI.

    Through the server the actor is authenticated: anyone gets their own token, an admin
    (manage_roles) anyone's.

    In local mode the actor is MODELWARD_USER, which proves nothing: you get only your own
    token, and never one of a user who may manage roles (else anyone with access to the
    workspace could mint an admin credential by setting MODELWARD_USER).

    Exceptions, both in the audit trail: bootstrap (no user yet: 'MODELWARD_USER=alice
    modelward users token alice' registers alice as admin and prints her token) and
    --break-glass (no admin holds a working token any more).

    Keep tokens short-lived (--expires-days) and one per purpose (--label); see them with
    'modelward tokens list', revoke with 'modelward tokens revoke ID' or 'modelward users
    revoke NAME'.
    """
    with exit_on_domain_error():
        value = env_of(ctx).client.governance.issue_token(
            name, label=label, expires_days=expires_days, break_glass=break_glass
        )
    typer.echo(value)
    typer.echo(
        f"Store it now: it cannot be shown again. It expires in {expires_days} days.", err=True
    )


@users_app.command("revoke")
def revoke(ctx: typer.Context, name: str, json_out: JsonOpt = False) -> None:
    """Revoke every API token and web session of NAME (their roles stay).

    Your own, or anyone's with manage_roles. The server refuses the tokens at once when
    revoked through it, within 5 seconds when revoked locally.
    """
    with exit_on_domain_error():
        found = env_of(ctx).client.governance.revoke_user(name)
        if json_out:
            print_json(found)
            return
        typer.echo(
            f"{found.user}: {found.tokens} token(s) and {found.sessions} session(s) revoked."
        )
