"""`modelward deploy ...`, `modelward serve`, `modelward package` and `modelward score`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from modelward.cli.env import env_of
from modelward.cli.errors import exit_on_domain_error
from modelward.cli.output import WideOpt, console, fmt_day, print_json, table
from modelward.domain.deployment import Deployment, DeploymentConfig, Strategy, UnseenCategories
from modelward.errors import InvalidInput

deploy_app = typer.Typer(
    help="Deployments: champion, challenger (canary, shadow, A/B, blue-green), kill switch.",
    no_args_is_help=True,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
ReasonOpt = Annotated[str, typer.Option(help="Why (kept in the audit trail).")]


def _arms(config: DeploymentConfig) -> str:
    if config.challenger is None:
        return f"v{config.champion}"
    share = f" {config.share:.0%}" if config.strategy in (Strategy.CANARY, Strategy.AB) else ""
    return f"v{config.champion} + v{config.challenger} ({config.strategy.value}{share})"


def _show(deployment: Deployment, json_out: bool, message: str | None = None) -> None:
    if json_out:
        print_json(deployment)
        return
    if message:
        typer.echo(message)
        return
    state = "DISABLED (kill switch)" if deployment.killed else "enabled"
    console().print(
        f"[bold]{escape(deployment.name)}[/bold] ({escape(deployment.environment)}) serves"
        f" {escape(deployment.model)} {_arms(deployment.config)}; {state}; config"
        f" #{deployment.config.seq}."
    )
    if deployment.killed:
        fallback = json.dumps(deployment.fallback) if deployment.fallback is not None else "503"
        typer.echo(f"While disabled, requests get: {fallback}")
    typer.echo(
        f"Unseen categories: {deployment.unseen_categories.value}; missing values allowed:"
        f" {deployment.allow_missing}; body limit: {deployment.max_body_bytes} bytes."
    )


def _downstream(ctx: typer.Context, model: str, json_out: bool) -> None:
    """Name what the change affects downstream (the model graph)."""
    if not json_out:
        impact = env_of(ctx).client.graph.impact(model)
        if impact.models:
            typer.echo(impact.sentence())


@deploy_app.command("create")
def create(
    ctx: typer.Context,
    name: str,
    model: Annotated[str, typer.Option("--model", help="e.g. models:/credit-risk@champion")],
    env: Annotated[str, typer.Option("--env", help="production, staging, ...")] = "production",
    unseen_categories: Annotated[
        UnseenCategories, typer.Option(help="Categories never seen in training.")
    ] = UnseenCategories.ALLOW,
    allow_missing: Annotated[bool, typer.Option(help="Accept null in numeric columns.")] = False,
    max_body_bytes: Annotated[int, typer.Option(help="Request body limit (413 above).")] = (
        10 * 1024 * 1024
    ),
    reason: ReasonOpt = "",
    json_out: JsonOpt = False,
) -> None:
    """Create deployment NAME serving the version MODEL points at now."""
    with exit_on_domain_error():
        created = env_of(ctx).client.deployments.create(
            name,
            model_uri=model,
            environment=env,
            unseen_categories=unseen_categories,
            allow_missing=allow_missing,
            max_body_bytes=max_body_bytes,
            reason=reason,
        )
        message = f"Deployment {name!r} ({created.environment}) serves {created.model} v"
        _show(created, json_out, message + f"{created.config.champion}.")


@deploy_app.command("list")
def list_deployments(ctx: typer.Context, wide: WideOpt = False, json_out: JsonOpt = False) -> None:
    """List deployments."""
    with exit_on_domain_error():
        found = env_of(ctx).client.deployments.list()
        if json_out:
            print_json(found)
            return
        table(
            f"{len(found)} deployment(s)",
            ["deployment", "env", "model", "serving", "state", "config", "updated"],
            [
                [
                    d.name,
                    d.environment,
                    d.model,
                    _arms(d.config),
                    "disabled" if d.killed else "enabled",
                    f"#{d.config.seq}",
                    fmt_day(d.updated_at),
                ]
                for d in found
            ],
            compact=["deployment", "env", "serving", "state"],
            wrap=["serving"],
            wide=wide,
            empty="No deployments yet ('modelward deploy create' makes one).",
        )


@deploy_app.command("show")
def show(ctx: typer.Context, name: str, json_out: JsonOpt = False) -> None:
    """Show a deployment's live configuration and settings."""
    with exit_on_domain_error():
        _show(env_of(ctx).client.deployments.get(name), json_out)


@deploy_app.command("history")
def history(
    ctx: typer.Context, name: str, wide: WideOpt = False, json_out: JsonOpt = False
) -> None:
    """Every configuration of a deployment, oldest first (rollback returns to the previous),
    with each kill and revive."""
    with exit_on_domain_error():
        configs = env_of(ctx).client.deployments.history(name)
        if json_out:
            print_json(configs)
            return
        table(
            f"configurations of {name}",
            ["#", "when", "action", "serving", "by", "reason"],
            [
                [c.seq, fmt_day(c.created_at), c.action, _arms(c), c.created_by, c.reason]
                for c in configs
            ],
            compact=["#", "when", "action", "serving", "by"],
            wrap=["serving", "reason"],
            wide=wide,
            empty=f"{name} has no configuration yet.",
        )


@deploy_app.command("set-challenger")
def set_challenger(
    ctx: typer.Context,
    name: str,
    version: int,
    strategy: Annotated[Strategy, typer.Option(help="canary, shadow, ab or bluegreen.")],
    share: Annotated[float, typer.Option(help="Canary / A-B share, e.g. 0.1.")] = 0.0,
    ab_key: Annotated[str | None, typer.Option(help="Request field that keeps A/B sticky.")] = None,
    reason: ReasonOpt = "",
    json_out: JsonOpt = False,
) -> None:
    """Put VERSION beside the champion of deployment NAME."""
    with exit_on_domain_error():
        updated = env_of(ctx).client.deployments.set_challenger(
            name, version, strategy=strategy, share=share, ab_key=ab_key, reason=reason
        )
        _show(updated, json_out, f"{name}: {_arms(updated.config)}.")


@deploy_app.command("promote")
def promote(
    ctx: typer.Context, name: str, reason: ReasonOpt = "", json_out: JsonOpt = False
) -> None:
    """Make the challenger the champion (blue-green: switch at once). Exits 5 if the gate fails."""
    with exit_on_domain_error():
        updated = env_of(ctx).client.deployments.promote(name, reason=reason)
        _show(updated, json_out, f"{name}: now serving {_arms(updated.config)}.")
        _downstream(ctx, updated.model, json_out)


@deploy_app.command("rollback")
def rollback(
    ctx: typer.Context, name: str, reason: ReasonOpt = "", json_out: JsonOpt = False
) -> None:
    """Return to the previous configuration in one step."""
    with exit_on_domain_error():
        updated = env_of(ctx).client.deployments.rollback(name, reason=reason)
        _show(updated, json_out, f"{name}: rolled back to {_arms(updated.config)}.")
        _downstream(ctx, updated.model, json_out)


@deploy_app.command("kill")
def kill(
    ctx: typer.Context,
    name: str,
    fallback: Annotated[
        str | None, typer.Option(help="JSON answer given per row while disabled (else 503).")
    ] = None,
    reason: ReasonOpt = "",
    json_out: JsonOpt = False,
) -> None:
    """Disable deployment NAME (kill switch): requests get 503 or the fallback answer."""
    with exit_on_domain_error():
        answer: Any = None
        if fallback is not None:
            try:
                answer = json.loads(fallback)
            except ValueError as exc:
                raise InvalidInput(
                    f"--fallback {fallback!r} is not JSON; quote strings: --fallback '\"deny\"'."
                ) from exc
        updated = env_of(ctx).client.deployments.kill(name, fallback=answer, reason=reason)
        what = f"the fallback {fallback}" if fallback is not None else "503"
        _show(updated, json_out, f"{name} is disabled; requests get {what}.")
        _downstream(ctx, updated.model, json_out)


@deploy_app.command("revive")
def revive(
    ctx: typer.Context, name: str, reason: ReasonOpt = "", json_out: JsonOpt = False
) -> None:
    """Re-enable deployment NAME."""
    with exit_on_domain_error():
        updated = env_of(ctx).client.deployments.revive(name, reason=reason)
        _show(updated, json_out, f"{name} is enabled again.")


def serve(
    ctx: typer.Context,
    deployment: Annotated[str, typer.Argument(help="The deployment to serve.")],
    port: Annotated[int, typer.Option(help="TCP port.")] = 8080,
    host: Annotated[str, typer.Option(help="Interface (0.0.0.0 for all).")] = "127.0.0.1",
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve DEPLOYMENT: /predict, MLflow's /invocations, /health, /metrics."""
    import uvicorn

    with exit_on_domain_error():
        env = env_of(ctx)
        env.client.deployments.get(deployment)  # a clear error now rather than in every worker
        settings = env.settings
        os.environ["MODELWARD_DEPLOYMENT"] = deployment
        os.environ["MODELWARD_HOME"] = str(Path(settings.home).resolve())
        if settings.db_url:
            os.environ["MODELWARD_DB_URL"] = settings.db_url
        if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            import tempfile

            os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="modelward-metrics-")
    uvicorn.run(
        "modelward.server.scoring:create_scoring_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )


def package(
    ctx: typer.Context,
    model_uri: Annotated[str, typer.Argument(help="e.g. models:/credit-risk@champion")],
    output: Annotated[Path, typer.Option("-o", "--output", help="New folder for the bundle.")],
    deployment: Annotated[
        str | None, typer.Option(help="Take request settings from this deployment.")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Write a self-contained bundle (model, requirements, card, Dockerfile, k8s manifests)."""
    with exit_on_domain_error():
        info = env_of(ctx).client.deployments.package(model_uri, output, deployment=deployment)
        if json_out:
            print_json(info)
            return
        report = "" if info.has_validation_report else " (no validation report yet)"
        typer.echo(
            f"Wrote the bundle of {info.model} v{info.version} to {info.path}: {len(info.files)}"
            f" files{report}. See {info.path / 'README.md'}."
        )


def score(
    ctx: typer.Context,
    model_uri: Annotated[str, typer.Argument(help="e.g. models:/credit-risk@champion")],
    source: Annotated[Path, typer.Argument(help="Input .parquet or .csv file.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output Parquet.")],
    deployment: Annotated[str | None, typer.Option(help="Log predictions under this name.")] = None,
    chunk_size: Annotated[int, typer.Option(help="Rows per chunk (pandas).")] = 100_000,
    engine: Annotated[str, typer.Option(help="pandas or dask.")] = "pandas",
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address.")] = None,
    log: Annotated[bool, typer.Option(help="Log predictions.")] = True,
    json_out: JsonOpt = False,
) -> None:
    """Score a file in batch, logging predictions like the service."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with exit_on_domain_error():
        client = env_of(ctx).client
        with Progress(
            TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), console=console(),
            transient=True, disable=json_out,
        ) as bar:  # fmt: skip
            task = bar.add_task("rows", total=None)

            def progress(done: int, total: int | None) -> None:
                bar.update(task, completed=done, total=total)

            result = client.deployments.score(
                model_uri, source, output, deployment=deployment, chunk_size=chunk_size,
                engine=engine, scheduler=scheduler, log_predictions=log, on_progress=progress,
            )  # fmt: skip
        if json_out:
            print_json(result)
            return
        typer.echo(
            f"Scored {result.rows} rows with {engine} in {result.seconds:.1f} s into {output}"
            + (f"; predictions logged (job {result.job_id})." if result.logged else ".")
        )
