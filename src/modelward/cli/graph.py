"""`modelward models graph|depend|undepend|impact|acknowledge` (the model graph) and
`modelward deploy guardrails set|show|clear`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from modelward.cli.env import env_of
from modelward.cli.errors import exit_on_domain_error
from modelward.cli.output import WideOpt, console, print_json, table
from modelward.errors import InvalidInput

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
ReasonOpt = Annotated[str, typer.Option(help="Why (kept in the audit trail).")]


def _where(distance: int) -> str:
    if distance == 0:
        return "this model"
    return f"{'upstream' if distance < 0 else 'downstream'} {abs(distance)}"


def graph(ctx: typer.Context, name: str, wide: WideOpt = False, json_out: JsonOpt = False) -> None:
    """The models upstream and downstream of NAME, with risk level, stage and health."""
    with exit_on_domain_error():
        found = env_of(ctx).client.graph.graph(name)
        if json_out:
            print_json(found)
            return
        table(
            f"graph of {name}: {len(found.upstream)} upstream, {len(found.downstream)} downstream",
            ["model", "where", "owner", "risk", "stage", "health", "deployments"],
            [
                [n.model, _where(n.distance), n.owner, n.risk_level, n.stage, n.health]
                + [", ".join(n.deployments) or "-"]
                for n in found.nodes
            ],
            compact=["model", "where", "risk", "stage", "health"],
            wrap=["deployments", "health"],
            wide=wide,
        )
        if found.dependencies:
            table(
                "declared dependencies",
                ["id", "consumer", "consumes", "kind", "data set", "by"],
                [
                    [d.id, d.consumer(), d.upstream_uri, d.kind.value, d.dataset or "-"]
                    + [d.created_by]
                    for d in found.dependencies
                ],
                compact=["id", "consumer", "consumes", "kind"],
                wrap=["consumes", "data set"],
                wide=wide,
            )


def depend(
    ctx: typer.Context,
    name: str,
    on: Annotated[str, typer.Option("--on", help="The upstream: models:/NAME@ALIAS or /VERSION.")],
    version: Annotated[int | None, typer.Option(help="Only this version of NAME.")] = None,
    deployment: Annotated[str | None, typer.Option(help="Only this deployment of NAME.")] = None,
    dataset: Annotated[
        str | None, typer.Option(help="A data set the upstream model produced (not its output).")
    ] = None,
    reason: ReasonOpt = "",
    json_out: JsonOpt = False,
) -> None:
    """Declare that NAME consumes another model's output (or a data set it produced).
    Exits 4 when that would close a cycle."""
    with exit_on_domain_error():
        found = env_of(ctx).client.graph.declare(
            name, on, version=version, deployment=deployment, dataset=dataset, reason=reason
        )
        if json_out:
            print_json(found)
            return
        typer.echo(f"{found.consumer()} consumes {found.upstream_uri} (dependency {found.id}).")


def undepend(
    ctx: typer.Context, dependency_id: int, reason: ReasonOpt = "", json_out: JsonOpt = False
) -> None:
    """Remove a declared dependency (its id is in 'modelward models graph NAME')."""
    with exit_on_domain_error():
        found = env_of(ctx).client.graph.remove(dependency_id, reason=reason)
        if json_out:
            print_json(found)
            return
        typer.echo(f"{found.consumer()} no longer consumes {found.upstream_uri}.")


def impact(ctx: typer.Context, name: str, json_out: JsonOpt = False) -> None:
    """What a promotion, rollback or kill of NAME affects downstream."""
    with exit_on_domain_error():
        found = env_of(ctx).client.graph.impact(name)
        if json_out:
            print_json(found)
            return
        typer.echo(found.sentence())
        for model, owner in found.owners.items():
            typer.echo(f"  {model}: owner {owner}")


def acknowledge(
    ctx: typer.Context,
    upstream: str,
    version: int,
    downstream: Annotated[str, typer.Option(help="Your model, downstream of UPSTREAM.")],
    comment: Annotated[str, typer.Option(help="What you checked.")] = "",
) -> None:
    """As the owner of a downstream model, acknowledge that UPSTREAM moves to VERSION."""
    with exit_on_domain_error():
        ack = env_of(ctx).client.graph.acknowledge(
            upstream, version, downstream=downstream, comment=comment
        )
        typer.echo(f"{ack.by} acknowledged {upstream} v{version} for {downstream}.")


def _spec(file: Path | None, spec: str | None) -> dict[str, Any]:
    if (file is None) == (spec is None):
        raise InvalidInput("Give the guardrails with --file PATH (YAML or JSON) or --spec JSON.")
    try:
        text = file.read_text() if file is not None else spec
        loaded = yaml.safe_load(text or "")
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput(f"Cannot read the guardrails: {exc}") from exc
    if not isinstance(loaded, dict):
        raise InvalidInput('The guardrails must be a mapping, e.g. {"max_ood": 0.999}.')
    return loaded


def guardrails_set(
    ctx: typer.Context,
    name: str,
    file: Annotated[Path | None, typer.Option(help="A YAML or JSON file with the spec.")] = None,
    spec: Annotated[str | None, typer.Option(help="The spec as JSON.")] = None,
    reason: ReasonOpt = "",
) -> None:
    """Set deployment NAME's guardrails; a running scoring service picks them up."""
    with exit_on_domain_error():
        found = env_of(ctx).client.guardrails.set(name, _spec(file, spec), reason=reason)
        typer.echo(f"{name}: guardrails set ({found.on_violation.value} on violation).")


def guardrails_show(ctx: typer.Context, name: str, json_out: JsonOpt = False) -> None:
    """Show deployment NAME's guardrails."""
    with exit_on_domain_error():
        found = env_of(ctx).client.guardrails.get(name)
        if json_out:
            print_json(None if found is None else found.as_dict())
            return
        if found is None:
            typer.echo(f"{name} has no guardrails.")
            return
        console().print(json.dumps(found.as_dict(), indent=2))


def guardrails_clear(ctx: typer.Context, name: str, reason: ReasonOpt = "") -> None:
    """Remove deployment NAME's guardrails."""
    with exit_on_domain_error():
        env_of(ctx).client.guardrails.clear(name, reason=reason)
        typer.echo(f"{name}: guardrails removed.")


def register_graph_commands(models_app: typer.Typer, deploy_app: typer.Typer) -> None:
    """Add the graph commands to `modelward models` and `deploy guardrails` to `deploy`."""
    models_app.command("graph")(graph)
    models_app.command("depend")(depend)
    models_app.command("undepend")(undepend)
    models_app.command("impact")(impact)
    models_app.command("acknowledge")(acknowledge)
    rails = typer.Typer(help="Guardrails of a deployment: set, show, clear.", no_args_is_help=True)
    rails.command("set")(guardrails_set)
    rails.command("show")(guardrails_show)
    rails.command("clear")(guardrails_clear)
    deploy_app.add_typer(rails, name="guardrails")
