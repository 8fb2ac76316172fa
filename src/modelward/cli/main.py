"""The root `modelward` command: global options, `init`, `db`, `demo`, and the command groups."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from modelward.cli import monitor_obligations as _monitor_obligations  # noqa: F401  (commands)
from modelward.cli.audit import audit_app
from modelward.cli.data import data_app, maintenance
from modelward.cli.deploy import deploy_app, package, score, serve
from modelward.cli.env import CliEnv, env_of
from modelward.cli.errors import exit_on_domain_error
from modelward.cli.explain import explain, explanations
from modelward.cli.governance import governance_app
from modelward.cli.graph import register_graph_commands
from modelward.cli.inventory import inventory
from modelward.cli.models import models_app
from modelward.cli.monitor import monitor_app, retrain
from modelward.cli.runs import runs_app
from modelward.cli.server import server
from modelward.cli.tokens import tokens_app
from modelward.cli.users import users_app
from modelward.cli.validate import reports_app, validate

app = typer.Typer(
    name="modelward",
    help="Manage the whole life of machine-learning models, tied to governance.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(
    help="The metadata database: schema version and migrations.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(runs_app, name="runs")
app.add_typer(models_app, name="models")
app.add_typer(deploy_app, name="deploy")
register_graph_commands(models_app, deploy_app)
app.add_typer(governance_app, name="governance")
app.add_typer(audit_app, name="audit")
app.add_typer(data_app, name="data")
app.command("maintenance")(maintenance)
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.command("inventory")(inventory)
app.command("serve")(serve)
app.command("package")(package)
app.command("score")(score)
app.command("server")(server)
app.command("validate")(validate)
app.add_typer(reports_app, name="reports")
app.add_typer(monitor_app, name="monitor")
app.command("retrain")(retrain)
app.command("explain")(explain)
deploy_app.command("explanations")(explanations)


def _print_version(value: bool) -> None:
    if value:
        from modelward._version import __version__

        typer.echo(f"modelward {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the installed modelward version and exit.",
        ),
    ] = False,
    home: Annotated[
        Path | None,
        typer.Option(
            "--home", envvar="MODELWARD_HOME", help="Workspace folder (default ./.modelward)."
        ),
    ] = None,
    db_url: Annotated[
        str | None,
        typer.Option("--db-url", envvar="MODELWARD_DB_URL", help="Metadata database URL."),
    ] = None,
    wide: Annotated[
        bool,
        typer.Option(
            "--wide", help="Tables show every column, even when they do not all fit the width."
        ),
    ] = False,
) -> None:
    """Build the settings once; commands get a client over the workspace from them."""
    from modelward.cli.output import set_wide
    from modelward.config import Settings

    set_wide(wide)
    with exit_on_domain_error():
        overrides: dict[str, object] = {}
        if home is not None:
            overrides["home"] = home
        if db_url is not None:
            overrides["db_url"] = db_url
        try:
            settings = Settings(**overrides)  # type: ignore[arg-type]
        except ValueError as exc:
            from modelward.errors import InvalidInput

            raise InvalidInput(f"Invalid MODELWARD_* setting: {exc}") from exc
        ctx.obj = CliEnv(settings)


@app.command()
def init(ctx: typer.Context) -> None:
    """Create the workspace (metadata database and artifact folder) if it does not exist."""
    from modelward.client import Client

    with exit_on_domain_error():
        env = env_of(ctx)
        client = Client(env.settings, create=True)
        env._client = client
        from sqlalchemy.engine import make_url

        database = make_url(env.settings.resolved_db_url()).render_as_string(hide_password=True)
        typer.echo(f"Workspace ready at {env.settings.home.resolve()} (database: {database}).")


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply pending schema migrations to the metadata database."""
    with exit_on_domain_error():
        typer.echo(_db_action(ctx, "upgrade"))


@db_app.command("current")
def db_current(ctx: typer.Context) -> None:
    """Show the schema revision of the metadata database and the newest one known."""
    with exit_on_domain_error():
        typer.echo(_db_action(ctx, "current"))


def _db_action(ctx: typer.Context, action: str) -> str:
    from modelward.client.admin import db_status, db_upgrade

    settings = env_of(ctx).settings
    if action == "upgrade":
        before, after = db_upgrade(settings)
        if before == after:
            return f"Schema is up to date at revision {after}."
        return f"Schema upgraded from {before or 'empty'} to {after}."
    current, head = db_status(settings)
    return f"Schema revision {current or 'none (empty database)'}; newest known {head}."


@app.command()
def demo(
    ctx: typer.Context,
    workdir: Annotated[
        Path | None,
        typer.Option(help="Workspace folder for the demo (default: a new temporary folder)."),
    ] = None,
) -> None:
    """Run the main job end to end on an embedded SQLite workspace and print a summary."""
    from modelward.demo import run_demo

    with exit_on_domain_error():
        run_demo(workdir)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
