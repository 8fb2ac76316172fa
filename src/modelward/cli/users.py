"""`modelward users`: register users and grant roles; show who you are.

While no user is registered the workspace is single-user and you hold every role; the first
`users add` ends that (and registers you as admin so that someone can still manage roles).
"""

from __future__ import annotations

from typing import Annotated

import typer

from modelward.cli.env import env_of
from modelward.cli.errors import exit_on_domain_error
from modelward.cli.output import fmt_time, print_json, table

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
            [[u.name, ", ".join(u.roles), fmt_time(u.created_at), u.created_by] for u in found],
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
) -> None:
    """Issue an API token for NAME (shown once; only its hash is stored).

    Use it as MODELWARD_TOKEN with MODELWARD_SERVER_URL, or to sign in to the web UI.
    """
    with exit_on_domain_error():
        value = env_of(ctx).client.governance.issue_token(name, label=label)
    typer.echo(value)
    typer.echo("Store it now: it cannot be shown again.", err=True)
