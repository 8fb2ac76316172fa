"""`modelward monitor ...` (labels, run, report, alerts, status, compare), `modelward retrain`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from modelward.cli.env import env_of
from modelward.cli.errors import EXIT_CHECKS_FAILED, exit_on_domain_error
from modelward.cli.output import console, fmt_num, fmt_time, print_json, table
from modelward.errors import InvalidInput

monitor_app = typer.Typer(
    help="Monitoring: labels, drift and performance per window, alerts, reports.",
    no_args_is_help=True,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@monitor_app.command("labels")
def labels(
    ctx: typer.Context,
    deployment: str,
    file: Annotated[Path, typer.Argument(help="CSV or Parquet file of labels.")],
    id_column: Annotated[str, typer.Option(help="Column holding the request id.")] = "request_id",
    label_column: Annotated[str, typer.Option(help="Column holding the label.")] = "label",
    row_column: Annotated[
        str | None, typer.Option(help="Row within the request (multi-row requests).")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Ingest ground-truth labels for logged requests (newest label per record wins)."""
    with exit_on_domain_error():
        result = env_of(ctx).client.monitoring.ingest_labels(
            deployment,
            file,
            id_column=id_column,
            label_column=label_column,
            row_column=row_column,
        )
        print_json(result) if json_out else typer.echo(result.message)


def _retrain_on(client: Any, results: list[Any]) -> list[Any]:
    from modelward.client.retrain import retrain

    done, outcomes = set(), []
    for result in results:
        kinds = {a.kind.value for a in result.alerts} & {"performance", "drift"}
        model = client.deployments.get(result.deployment).model
        if kinds and model not in done:
            done.add(model)
            trigger = "performance" if "performance" in kinds else "drift"
            outcomes.append(retrain(client, model, trigger=trigger, deployment=result.deployment))
    return outcomes


@monitor_app.command("run")
def run(
    ctx: typer.Context,
    deployment: Annotated[str | None, typer.Argument(help="Deployment (or --all).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every deployment.")] = False,
    window: Annotated[str | None, typer.Option(help="Window size: 1d, 12h, 30m ...")] = None,
    webhook: Annotated[str | None, typer.Option(help="POST new alerts to this URL.")] = None,
    retrain_: Annotated[
        bool, typer.Option("--retrain", help="Retrain on new drift or performance alerts.")
    ] = False,
    engine: Annotated[
        str | None, typer.Option(help="pandas (this process) or dask (big windows).")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler address (tcp://host:8786), --engine dask.")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Compute every complete window since the last run; safe to run from cron."""
    with exit_on_domain_error():
        if all_ == (deployment is not None):
            raise InvalidInput("Give a DEPLOYMENT or --all (not both).")
        client = env_of(ctx).client
        dask: dict[str, Any] = {"engine": engine, "scheduler": scheduler}
        with console().status("Monitoring ...") as status:

            def progress(done: int, total: int) -> None:
                status.update(f"Monitoring: window {done} of {total}")

            if all_:
                results = client.monitoring.run_all(
                    window=window, webhook=webhook, on_window=progress, **dask
                )
            else:
                results = [
                    client.monitoring.run(
                        str(deployment),
                        window=window,
                        webhook=webhook,
                        on_window=progress,
                        **dask,
                    )  # fmt: skip
                ]
        retrained = _retrain_on(client, results) if retrain_ else []
        if json_out:
            print_json({"runs": results, "retrained": retrained})
            return
        for result in results:
            typer.echo(
                f"{result.deployment}: {len(result.computed)} new windows,"
                f" {len(result.refreshed)} refreshed with late labels,"
                f" {len(result.alerts)} new alerts (reference: {result.reference})."
            )
            _alerts_table(result.alerts)
        for outcome in retrained:
            typer.echo(f"Retrained {outcome.model} v{outcome.version}: {outcome.message}")


def _alerts_table(alerts: list[Any]) -> None:
    if alerts:
        table(
            None,
            ["id", "window", "kind", "severity", "subject", "message", "webhook"],
            [
                [
                    a.id,
                    fmt_time(a.window_start),
                    a.kind.value,
                    a.severity.value,
                    a.subject,
                    a.message,
                    a.webhook_status,
                ]  # fmt: skip
                for a in alerts
            ],
        )


@monitor_app.command("report")
def report(
    ctx: typer.Context,
    deployment: str,
    output: Annotated[Path, typer.Option("-o", "--output", help="HTML file to write.")] = Path(
        "monitoring-report.html"
    ),
) -> None:
    """Write the self-contained HTML report (opens offline)."""
    with exit_on_domain_error():
        env_of(ctx).client.monitoring.report(deployment, output)
        typer.echo(f"Report written to {output}.")


@monitor_app.command("alerts")
def alerts(
    ctx: typer.Context,
    deployment: Annotated[str | None, typer.Option(help="Only this deployment.")] = None,
    model: Annotated[str | None, typer.Option(help="Only this model.")] = None,
    open_: Annotated[bool, typer.Option("--open", help="Only unacknowledged alerts.")] = False,
    ack: Annotated[int | None, typer.Option("--ack", help="Acknowledge alert ID.")] = None,
    comment: Annotated[
        str, typer.Option(help="With --ack: what was done about the alert (required).")
    ] = "",
    json_out: JsonOpt = False,
) -> None:
    """List alerts (newest first), or acknowledge one with --ack ID --comment TEXT."""
    with exit_on_domain_error():
        client = env_of(ctx).client
        if ack is not None:
            alert = client.monitoring.acknowledge(ack, comment=comment)
            print_json(alert) if json_out else typer.echo(f"Alert {ack} acknowledged.")
            return
        found = client.monitoring.alerts(deployment=deployment, model=model, open_only=open_)
        if json_out:
            print_json(found)
        elif not found:
            typer.echo("No alerts.")
        else:
            _alerts_table(found)


@monitor_app.command("status")
def status(ctx: typer.Context, deployment: str, json_out: JsonOpt = False) -> None:
    """Last window, its drifted features, labelled windows and open alerts."""
    with exit_on_domain_error():
        client = env_of(ctx).client
        info = client.monitoring.status(deployment)
        if json_out:
            print_json(info)
            return
        typer.echo(
            f"{deployment}: {info['windows']} windows, last {info['last_window'] or 'none'}"
            f" ({info['last_status'] or 'not monitored yet'}); drifted:"
            f" {', '.join(info['last_drifted']) or 'none'}; {info['labelled_windows']} labelled"
            f" windows; {info['open_alerts']} open alerts."
        )
        windows = client.monitoring.windows(deployment)[-10:]
        table(
            "Latest windows",
            ["start", "status", "rows", "labels", "drifted", "performance"],
            [
                [
                    fmt_time(w.start),
                    w.status.value,
                    w.n_rows,
                    w.n_labels,
                    ", ".join(w.summary.get("drifted", [])),
                    " ".join(f"{p.metric}={fmt_num(p.value)}" for p in w.performance),
                ]  # fmt: skip
                for w in windows
            ],
        )


@monitor_app.command("compare")
def compare(
    ctx: typer.Context,
    deployment: str,
    request_review: Annotated[
        bool, typer.Option(help="Request a review of the challenger with this evidence.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Champion vs challenger on labelled live traffic (shadow: paired), stored as evidence."""
    with exit_on_domain_error():
        evidence = env_of(ctx).client.monitoring.compare(deployment, request_review=request_review)
        if json_out:
            print_json(evidence)
            return
        kind = "paired (shadow)" if evidence.paired else "unpaired (canary/A-B)"
        typer.echo(
            f"{evidence.model} v{evidence.challenger} vs v{evidence.champion}, {kind},"
            f" {evidence.rows} labelled requests: {evidence.verdict}."
            f" Evidence: artifact {evidence.artifact_sha256}."
        )
        table(
            None,
            ["metric", "champion", "challenger", "difference", "CI", "test", "verdict"],
            [
                [
                    m["metric"],
                    fmt_num(m["champion"]),
                    fmt_num(m["challenger"]),
                    fmt_num(m["difference"]),
                    f"[{fmt_num(m['ci_low'])}, {fmt_num(m['ci_high'])}]",
                    m["test"],
                    m["verdict"],
                ]  # fmt: skip
                for m in evidence.metrics
            ],
        )
        if evidence.kpis:
            _kpi_table(evidence.kpis)


def _kpi_table(kpis: list[dict[str, Any]]) -> None:
    def arm(k: dict[str, Any]) -> str:
        return f"{fmt_num(k['mean'])} [{fmt_num(k['ci_low'])}, {fmt_num(k['ci_high'])}] n={k['n']}"

    table(
        "Business KPIs (outcomes)",
        ["kpi", "champion", "challenger", "uplift [CI]", "relative", "p", "more rows/arm",
         "verdict"],
        [[k["kpi"], arm(k["a"]), arm(k["b"]),
          f"{fmt_num(k['uplift'])} [{fmt_num(k['ci_low'])}, {fmt_num(k['ci_high'])}]",
          fmt_num(k["relative_uplift"]), fmt_num(k["p_value"]),
          fmt_num(k["additional_per_arm"]), k["verdict"]] for k in kpis],
    )  # fmt: skip


def retrain(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Registered model name.")],
    data: Annotated[Path | None, typer.Option(help="Extra training data (CSV/Parquet).")] = None,
    trigger: Annotated[str, typer.Option(help="schedule, drift, performance or manual.")] = (
        "manual"
    ),
    deployment: Annotated[str | None, typer.Option(help="Deployment whose labels to use.")] = None,
    target: Annotated[str | None, typer.Option(help="Target column (else modelward.yaml).")] = None,
    param: Annotated[list[str] | None, typer.Option(help="key=value for the entry point.")] = None,
    if_due: Annotated[
        bool, typer.Option("--if-due", help="Only when the policy's max model age is reached.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Retrain NAME with modelward.yaml's `train:` entry point; validate; promote or request a
    review. Exit 0 when promoted or a review was requested, 10 when validation failed."""
    from modelward.client.retrain import retrain as run_retrain
    from modelward.client.retrain import retraining_due

    with exit_on_domain_error():
        client = env_of(ctx).client
        if if_due and not retraining_due(client, name):
            typer.echo(f"{name}: retraining is not due yet.")
            return
        params = dict(p.split("=", 1) for p in (param or []) if "=" in p)
        result = run_retrain(
            client, name, data=data, trigger="schedule" if if_due else trigger,
            deployment=deployment, target=target, params=params,
        )  # fmt: skip
        if json_out:
            print_json(result)
        else:
            typer.echo(
                f"{name} v{result.version} (run {result.run_id[:8]}, {result.train_rows} training"
                f" rows, validated on {result.validation_rows}): {result.message}"
            )
        if not result.validation_passed:
            raise typer.Exit(EXIT_CHECKS_FAILED)
