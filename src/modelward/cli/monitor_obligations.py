"""`modelward monitor context|outcomes|purge-context|figures|webhooks|obligations`: the feeds
joined by request id, per-window figures, kept webhook deliveries, the monitoring cadence."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from modelward.cli.env import env_of
from modelward.cli.errors import exit_on_domain_error
from modelward.cli.monitor import JsonOpt, monitor_app
from modelward.cli.output import fmt_num, fmt_time, print_json, table

IdOpt = Annotated[str, typer.Option(help="Column holding the request id.")]
RowOpt = Annotated[str | None, typer.Option(help="Row within the request (multi-row requests).")]
ColumnsOpt = Annotated[
    list[str] | None, typer.Option("--column", help="Only these columns (repeat); else all.")
]


@monitor_app.command("context")
def context(
    ctx: typer.Context,
    deployment: str,
    file: Annotated[Path, typer.Argument(help="CSV or Parquet of sensitive attributes.")],
    id_column: IdOpt = "request_id",
    row_column: RowOpt = None,
    column: ColumnsOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Send records' protected context (never given to the model; needs protected_data)."""
    with exit_on_domain_error():
        found = env_of(ctx).client.monitoring.ingest_context(
            deployment, file, id_column=id_column, row_column=row_column, columns=column
        )
        print_json(found) if json_out else typer.echo(found.message)


@monitor_app.command("outcomes")
def outcomes(
    ctx: typer.Context,
    deployment: str,
    file: Annotated[Path, typer.Argument(help="CSV or Parquet of outcomes (clicked, value ...).")],
    id_column: IdOpt = "request_id",
    row_column: RowOpt = None,
    column: ColumnsOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Send records' business outcomes, joined by request id like labels."""
    with exit_on_domain_error():
        found = env_of(ctx).client.monitoring.ingest_outcomes(
            deployment, file, id_column=id_column, row_column=row_column, columns=column
        )
        print_json(found) if json_out else typer.echo(found.message)


@monitor_app.command("purge-context")
def purge_context(
    ctx: typer.Context,
    deployment: str,
    days: Annotated[
        int | None, typer.Option(help="Retention in days (default: context_retention_days).")
    ] = None,
) -> None:
    """Delete protected context older than its retention (audited)."""
    with exit_on_domain_error():
        purged = env_of(ctx).client.monitoring.purge_context(deployment, retention_days=days)
        typer.echo(f"{deployment}: {purged} records' protected context deleted.")


@monitor_app.command("figures")
def figures(ctx: typer.Context, deployment: str, json_out: JsonOpt = False) -> None:
    """Per-window fairness, business and ranking figures."""
    with exit_on_domain_error():
        rows = env_of(ctx).client.monitoring.figures(deployment)
        if json_out:
            print_json(rows)
            return
        table(
            f"{deployment}: figures per window",
            ["window", "family", "figure", "value", "limit", "breached", "rows"],
            [[str(r["window_start"])[:19], r["family"], r["name"], fmt_num(r["value"]),
              fmt_num(r["threshold"]), {True: "YES", False: "no"}.get(r["breached"], "-"),
              r["n_rows"]] for r in rows],
        )  # fmt: skip


@monitor_app.command("webhooks")
def webhooks(
    ctx: typer.Context,
    replay: Annotated[bool, typer.Option("--replay", help="Send failed deliveries again.")] = False,
    failed: Annotated[bool, typer.Option("--failed", help="Only failed deliveries.")] = False,
    deployment: Annotated[
        str | None, typer.Option(help="Replay only this deployment's deliveries.")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Kept webhook deliveries; with --replay, send the failed ones again (retried), each to
    the URL it was first sent to (also through the server)."""
    with exit_on_domain_error():
        monitoring = env_of(ctx).client.monitoring
        found = (
            monitoring.replay_webhooks(deployment=deployment)
            if replay
            else monitoring.webhooks(failed_only=failed)
        )
        if json_out:
            print_json(found)
            return
        table(
            "Webhook deliveries",
            ["id", "deployment", "target", "status", "attempts", "last attempt", "error"],
            [[d.id, d.deployment, d.target or "-", d.status, d.attempts,
              fmt_time(d.last_attempt_at), d.last_error] for d in found],
        )  # fmt: skip


@monitor_app.command("obligations")
def obligations(
    ctx: typer.Context,
    model: Annotated[str | None, typer.Argument(help="Only this model's deployments.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Production deployments and whether monitoring keeps the policy's cadence."""
    with exit_on_domain_error():
        found = env_of(ctx).client.monitoring.obligations(model)
        if json_out:
            print_json(found)
            return
        table(
            "Monitoring obligations",
            ["deployment", "every (days)", "last run", "due", "state"],
            [[d.deployment, d.cadence_days or "-", fmt_time(d.last_run_at), fmt_time(d.due_at),
              "OVERDUE" if d.overdue else "on time"] for d in found],
        )  # fmt: skip
