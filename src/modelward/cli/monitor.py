"""`modelward monitor ...` (labels, run, report, alerts, status, compare), `modelward retrain`."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer

from modelward.cli.env import env_of
from modelward.cli.errors import EXIT_CHECKS_FAILED, exit_on_domain_error
from modelward.cli.output import (
    WideOpt,
    console,
    fmt_day,
    fmt_num,
    fmt_window,
    print_json,
    say,
    table,
)
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
        # New alerts are printed below; the service's log line would repeat each on stderr.
        logging.getLogger("modelward.monitoring").addHandler(logging.NullHandler())
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
        if not results:
            say("No deployments to monitor.")
        for result in results:
            say(run_sentence(result))
            if result.alerts:
                _alerts_table(result.alerts, wide=False)
        for outcome in retrained:
            say(f"Retrained {outcome.model} v{outcome.version}: {outcome.message}")


def _utc(value: Any) -> str:
    return f"{fmt_day(value)} UTC"


def window_size(seconds: float | None) -> str:
    """86400 -> "1d", 43200 -> "12h", 90 -> "90s": the way --window is written."""
    if not seconds:
        return "?"
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def run_sentence(result: Any) -> str:
    """What one monitoring run did, and when the next window closes if none did."""
    size = f"window {window_size(result.window_seconds)}"
    name = result.deployment
    if result.computed:
        done = f"{len(result.computed)} new window(s) up to {_utc(result.last_window_end)}"
    elif result.next_window_end is None:
        done = f"no predictions logged yet, so no window to compute ({size})"
    elif result.last_window_end is None:
        done = f"no window has closed yet: the first closes at {_utc(result.next_window_end)}"
        done += f" ({size})"
    else:
        done = f"no new window since {_utc(result.last_window_end)}: the next closes at"
        done += f" {_utc(result.next_window_end)} ({size})"
    extra = []
    if result.refreshed:
        extra.append(f"{len(result.refreshed)} refreshed with late labels")
    if result.computed or result.refreshed or result.alerts:
        extra.append(f"{len(result.alerts)} new alert(s)")
    reference = f" Reference: {result.reference}." if result.computed else ""
    return f"{name}: {done}" + (f"; {', '.join(extra)}" if extra else "") + "." + reference


def _alerts_table(alerts: list[Any], *, wide: bool, empty: str = "No alerts.") -> None:
    when = fmt_window([a.window_start for a in alerts])
    table(
        f"{len(alerts)} alert(s)",
        ["id", "deployment", "version", "window", "kind", "severity", "subject", "message"]
        + ["acknowledged", "webhook"],
        [
            [
                a.id,
                a.deployment,
                f"v{a.version}" if a.version else "-",
                when(a.window_start),
                a.kind.value,
                a.severity.value,
                a.subject,
                a.message,
                f"{fmt_day(a.acknowledged_at)} by {a.acknowledged_by}" if a.acknowledged_at else "",
                a.webhook_status,
            ]  # fmt: skip
            for a in alerts
        ],
        compact=["id", "window", "severity", "message"],
        wrap=["message", "subject", "acknowledged"],
        wide=wide,
        empty=empty,
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
    wide: WideOpt = False,
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
            return
        scope = " of " + " ".join(
            f"{k} {v!r}" for k, v in (("deployment", deployment), ("model", model)) if v
        )
        empty = f"No {'open ' if open_ else ''}alerts{scope if deployment or model else ''}."
        _alerts_table(found, wide=wide, empty=empty)


@monitor_app.command("status")
def status(
    ctx: typer.Context, deployment: str, wide: WideOpt = False, json_out: JsonOpt = False
) -> None:
    """Every window summarised (span, drift, labels, latest performance and estimate), open
    alerts, and the latest windows."""
    with exit_on_domain_error():
        from modelward.client.monitoring import status_of

        client = env_of(ctx).client
        # the windows once (`monitoring.status` would read them all again for its counts)
        windows = client.monitoring.windows(deployment)
        open_alerts = client.monitoring.alerts(deployment=deployment, open_only=True)
        info = status_of(deployment, windows, open_alerts)
        summary = summarise_windows(windows)
        if json_out:
            print_json(info | {"summary": summary})
            return
        for line in status_lines(deployment, summary, info["alerts"]):
            say(line, whole=line.startswith("  modelward "))
        if windows:
            _windows_table(windows[-10:], wide)


def _drifted(window: Any) -> list[str]:
    """What drifted in a window: input columns, the prediction, the inputs as a whole."""
    found = list(window.summary.get("drifted", []))
    if window.summary.get("prediction_drifted"):
        found.append("prediction")
    if (window.summary.get("multivariate") or {}).get("drifted"):
        found.append("multivariate")
    return found


def summarise_windows(windows: list[Any]) -> dict[str, Any]:
    """Every window at a glance: span, drift, labels, the latest performance and estimate."""
    drifted = [w for w in windows if _drifted(w)]
    measured = [w for w in windows if any(p.value is not None for p in w.performance)]
    estimated = [w for w in windows if ((w.summary.get("estimated") or {}).get("metrics") or {})]
    latest_perf = measured[-1] if measured else None
    latest_est = estimated[-1] if estimated else None
    return {
        "windows": len(windows),
        "first_start": windows[0].start if windows else None,
        "last_end": windows[-1].end if windows else None,
        "insufficient_data": sum(1 for w in windows if w.status.value != "ok"),
        "drifted_windows": len(drifted),
        "last_drift": None if not drifted else {
            "start": drifted[-1].start, "drifted": _drifted(drifted[-1])
        },
        "labelled_windows": sum(1 for w in windows if w.n_labels),
        "performance": None if latest_perf is None else {
            "start": latest_perf.start,
            "labels": latest_perf.n_labels,
            "metrics": {
                p.metric: {"value": p.value, "baseline": p.baseline, "degraded": p.degraded}
                for p in latest_perf.performance
                if p.value is not None
            },
        },
        "estimated": None if latest_est is None else {
            "start": latest_est.start,
            "method": latest_est.summary["estimated"].get("method"),
            "metrics": {
                name: {k: entry.get(k) for k in ("value", "lower", "upper", "degraded")}
                for name, entry in latest_est.summary["estimated"]["metrics"].items()
            },
        },
    }  # fmt: skip


def status_lines(deployment: str, summary: dict[str, Any], alerts: list[Any]) -> list[str]:
    """The sentences `monitor status` prints."""
    if not summary["windows"]:
        return [
            f"{deployment}: not monitored yet (no window computed); to compute the closed ones:",
            f"  modelward monitor run {deployment}",
        ]
    lines = [
        f"{deployment}: {summary['windows']} window(s) from {_utc(summary['first_start'])} to"
        f" {_utc(summary['last_end'])}; {summary['drifted_windows']} drifted,"
        f" {summary['labelled_windows']} labelled, {summary['insufficient_data']} with too few"
        " rows."
    ]
    if summary["last_drift"]:
        drift = summary["last_drift"]
        lines.append(
            f"Latest drift: window of {fmt_day(drift['start'])}: {', '.join(drift['drifted'])}."
        )
    perf = summary["performance"]
    if perf:
        shown = ", ".join(
            f"{k} {fmt_num(m['value'])}"
            + (f" (baseline {fmt_num(m['baseline'])})" if m["baseline"] is not None else "")
            + (" DEGRADED" if m["degraded"] else "")
            for k, m in perf["metrics"].items()
        )
        lines.append(
            f"Latest performance (window of {fmt_day(perf['start'])}, {perf['labels']}"
            f" labels): {shown}."
        )
    else:
        lines.append("Latest performance: no window has labels yet.")
    est = summary["estimated"]
    if est:
        shown = ", ".join(
            f"{k} {fmt_num(m['value'])} [{fmt_num(m['lower'])}, {fmt_num(m['upper'])}]"
            + (" DEGRADED" if m["degraded"] else "")
            for k, m in est["metrics"].items()
        )
        method = f"{str(est['method']).upper()}, " if est["method"] else ""
        lines.append(
            f"Latest estimated performance (window of {fmt_day(est['start'])}, {method}no"
            f" labels): {shown}."
        )
    if alerts:
        kinds: dict[str, int] = {}
        for alert in alerts:
            kinds[alert.kind.value] = kinds.get(alert.kind.value, 0) + 1
        counted = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        lines.append(f"Open alerts: {len(alerts)} ({counted}); to list them:")
        lines.append(f"  modelward monitor alerts --deployment {deployment} --open")
    else:
        lines.append("Open alerts: none.")
    return lines


def _windows_table(windows: list[Any], wide: bool) -> None:
    when = fmt_window([w.start for w in windows])
    table(
        f"Latest {len(windows)} window(s)",
        ["start", "end", "status", "rows", "labels", "drifted", "performance", "estimated"],
        [
            [
                when(w.start),
                when(w.end),
                w.status.value,
                w.n_rows,
                w.n_labels,
                ", ".join(_drifted(w)) or "-",
                " ".join(f"{p.metric}={fmt_num(p.value)}" for p in w.performance) or "-",
                " ".join(
                    f"{k}={fmt_num(e.get('value'))}"
                    for k, e in ((w.summary.get("estimated") or {}).get("metrics") or {}).items()
                )
                or "-",
            ]  # fmt: skip
            for w in windows
        ],
        compact=["start", "rows", "labels", "drifted", "performance"],
        wrap=["drifted", "performance", "estimated", "status"],
        wide=wide,
    )


@monitor_app.command("compare")
def compare(
    ctx: typer.Context,
    deployment: str,
    request_review: Annotated[
        bool, typer.Option(help="Request a review of the challenger with this evidence.")
    ] = False,
    wide: WideOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Champion vs challenger on labelled live traffic (shadow: paired), stored as evidence."""
    with exit_on_domain_error():
        evidence = env_of(ctx).client.monitoring.compare(deployment, request_review=request_review)
        if json_out:
            print_json(evidence)
            return
        kind = "paired (shadow)" if evidence.paired else "unpaired (canary/A-B)"
        say(
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
            compact=["metric", "champion", "challenger", "difference", "verdict"],
            wrap=["verdict", "test"],
            wide=wide,
            empty="No metric could be compared.",
        )
        if evidence.kpis:
            _kpi_table(evidence.kpis, wide)


def _kpi_table(kpis: list[dict[str, Any]], wide: bool) -> None:
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
        compact=["kpi", "uplift [CI]", "p", "verdict"], wrap=["verdict", "champion", "challenger"],
        wide=wide,
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
