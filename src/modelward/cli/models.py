"""`modelward models`: registered models, versions, aliases and model cards."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from modelward.cli.env import env_of
from modelward.cli.errors import exit_on_domain_error
from modelward.cli.output import WideOpt, console, fmt_day, print_json, table

models_app = typer.Typer(help="Registered models, versions, aliases, cards.", no_args_is_help=True)
alias_app = typer.Typer(help="Aliases: set, delete, history.", no_args_is_help=True)
models_app.add_typer(alias_app, name="alias")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@models_app.command("list")
def list_models(
    ctx: typer.Context,
    search: Annotated[str | None, typer.Option(help="Only names containing this.")] = None,
    limit: int = 100,
    wide: WideOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """List registered models."""
    with exit_on_domain_error():
        models = env_of(ctx).client.registry.list_models(search=search, limit=limit)
        if json_out:
            print_json(models)
            return
        table(
            f"{len(models)} model(s)",
            ["model", "owner", "latest", "aliases", "created"],
            [
                [
                    m.name,
                    m.owner,
                    m.latest_version or "-",
                    ", ".join(f"{a}=v{v}" for a, v in sorted(m.aliases.items())),
                    fmt_day(m.created_at),
                ]
                for m in models
            ],
            compact=["model", "owner", "latest", "aliases"],
            wrap=["aliases"],
            wide=wide,
            empty=f"No models match {search!r}." if search else "No registered models.",
        )


@models_app.command("show")
def show(ctx: typer.Context, name: str, wide: WideOpt = False, json_out: JsonOpt = False) -> None:
    """Show a model and its versions."""
    with exit_on_domain_error():
        client = env_of(ctx).client
        model = client.registry.get_model(name)
        versions = client.registry.list_versions(name)
        if json_out:
            print_json({"model": model, "versions": versions})
            return
        console().print(
            f"[bold]{escape(model.name)}[/bold], owner {escape(model.owner)}."
            f" {escape(model.description)}"
        )
        _versions_table(name, versions, wide)


def _versions_table(name: str, versions: list, wide: bool) -> None:  # type: ignore[type-arg]
    table(
        f"versions of {name}",
        ["version", "aliases", "flavor", "run", "created by", "created"],
        [
            [
                v.version,
                ", ".join(v.aliases),
                v.flavor,
                (v.run_id or "")[:12],
                v.created_by,
                fmt_day(v.created_at),
            ]
            for v in versions
        ],
        compact=["version", "aliases", "created by", "created"],
        wrap=["aliases"],
        wide=wide,
        empty=f"{name} has no versions yet.",
    )


@models_app.command("versions")
def versions(
    ctx: typer.Context, name: str, wide: WideOpt = False, json_out: JsonOpt = False
) -> None:
    """List the versions of a model."""
    with exit_on_domain_error():
        found = env_of(ctx).client.registry.list_versions(name)
        if json_out:
            print_json(found)
            return
        _versions_table(name, found, wide)


@models_app.command("resolve")
def resolve(ctx: typer.Context, uri: str, json_out: JsonOpt = False) -> None:
    """Which version a URI such as models:/NAME@champion points at."""
    with exit_on_domain_error():
        mv = env_of(ctx).client.registry.resolve(uri)
        if json_out:
            print_json(mv)
            return
        typer.echo(f"{uri} -> {mv.uri}")


@models_app.command("card")
def card(
    ctx: typer.Context,
    name: str,
    version: int,
    output: Annotated[
        str | None, typer.Option("-o", "--output", help="Write to this file.")
    ] = None,
    html: Annotated[bool, typer.Option("--html", help="HTML instead of Markdown.")] = False,
) -> None:
    """Print (or write) the model card of a version, with its governance sections."""
    with exit_on_domain_error():
        text = env_of(ctx).client.governance.model_card(name, version, html=html)
        if output:
            from pathlib import Path

            Path(output).write_text(text)
            typer.echo(f"Wrote the model card of {name} v{version} to {output}.")
        else:
            typer.echo(text)


@models_app.command("delete")
def delete(
    ctx: typer.Context,
    name: str,
    version: Annotated[
        int | None, typer.Option("--version", "-v", help="Only this version of the model.")
    ] = None,
    reason: Annotated[str, typer.Option(help="Why (kept in the audit trail).")] = "",
) -> None:
    """Delete model NAME with its versions, or one --version. The records stay for the audit
    trail and governance (a deleted model's name stays reserved); refused while a version
    holds a protected alias such as champion or a deployment serves it."""
    with exit_on_domain_error():
        registry = env_of(ctx).client.registry
        if version is None:
            registry.delete_model(name, reason=reason)
            typer.echo(f"Model {name} deleted.")
        else:
            registry.delete_version(name, version, reason=reason)
            typer.echo(f"{name} v{version} deleted.")


@alias_app.command("set")
def alias_set(
    ctx: typer.Context,
    name: str,
    alias: str,
    version: int,
    reason: Annotated[str, typer.Option(help="Why (kept in the audit trail).")] = "",
) -> None:
    """Point ALIAS of model NAME at VERSION."""
    with exit_on_domain_error():
        event = env_of(ctx).client.registry.set_alias(name, alias, version, reason=reason)
        before = f" (was v{event.previous_version})" if event.previous_version else ""
        typer.echo(f"{name}@{alias} -> v{event.version}{before}.")
        impact = env_of(ctx).client.graph.impact(name)
        if impact.models:
            typer.echo(impact.sentence())


@alias_app.command("delete")
def alias_delete(
    ctx: typer.Context,
    name: str,
    alias: str,
    reason: Annotated[
        str, typer.Option(help="Why (required for a protected alias such as champion).")
    ] = "",
) -> None:
    """Remove ALIAS from model NAME (the history keeps it)."""
    with exit_on_domain_error():
        event = env_of(ctx).client.registry.delete_alias(name, alias, reason=reason)
        typer.echo(f"{name}@{alias} deleted (was v{event.previous_version}).")


@alias_app.command("history")
def alias_history(
    ctx: typer.Context,
    name: str,
    alias: Annotated[str | None, typer.Argument(help="Only this alias.")] = None,
    at: Annotated[
        str | None,
        typer.Option(help="Which version held each alias at this time (ISO date/time, UTC)."),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Which version held which alias when."""
    with exit_on_domain_error():
        registry = env_of(ctx).client.registry
        events = registry.alias_history(name, alias)
        if at is not None:
            from modelward.cli.timeparse import parse_when

            when = parse_when(at)
            held = {a: registry.alias_at(name, a, when) for a in sorted({e.alias for e in events})}
            if json_out:
                print_json({"at": when, "aliases": held})
                return
            table(
                f"aliases of {name} at {when.isoformat()}",
                ["alias", "version"],
                [[a, f"v{v}" if v else "-"] for a, v in sorted(held.items())],
                empty=f"{name} had no alias at {when.isoformat()}.",
            )
            return
        if json_out:
            print_json(events)
            return
        table(
            f"alias history of {name}",
            ["when", "alias", "version", "previous", "by"],
            [
                [
                    fmt_day(e.at),
                    e.alias,
                    f"v{e.version}" if e.version else "(deleted)",
                    f"v{e.previous_version}" if e.previous_version else "-",
                    e.actor,
                ]
                for e in events
            ],
            empty=f"{name}@{alias} was never set." if alias else f"No alias of {name} was set.",
        )
