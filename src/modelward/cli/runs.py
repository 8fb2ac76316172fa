"""`modelward runs`: list, search, show and diff tracked runs."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from modelward.cli.env import env_of
from modelward.cli.errors import exit_on_domain_error
from modelward.cli.output import (
    WideOpt,
    console,
    fmt_day,
    fmt_num,
    fmt_time,
    print_json,
    say,
    table,
)

runs_app = typer.Typer(
    help="Tracked runs: list, show, diff, reap, delete, restore.", no_args_is_help=True
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@runs_app.command("list")
def list_runs(
    ctx: typer.Context,
    experiment: Annotated[
        list[str] | None, typer.Option("--experiment", "-e", help="Only these experiments.")
    ] = None,
    filter: Annotated[
        str | None,
        typer.Option("--filter", "-f", help="e.g. \"metrics.auc > 0.8 and params.C = '1.0'\""),
    ] = None,
    order_by: Annotated[
        list[str] | None,
        typer.Option("--order-by", "-o", help="e.g. 'metrics.auc DESC' (repeatable)"),
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many runs.")] = 50,
    wide: WideOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """List runs, newest first, optionally filtered and ordered."""
    with exit_on_domain_error():
        runs = env_of(ctx).client.tracking.search_runs(
            experiments=experiment, filter=filter, order_by=order_by, limit=limit
        )
        if json_out:
            print_json(runs)
            return
        metric_keys = sorted({k for r in runs for k in r.metrics})[:6]
        table(
            f"{len(runs)} run(s)",
            ["run", "experiment", "name", "status", "user", "started", *metric_keys],
            [
                [
                    r.id[:12],
                    r.experiment,
                    r.name,
                    r.status.value,
                    r.user,
                    fmt_day(r.start_time),
                    *[fmt_num(r.metrics.get(k)) for k in metric_keys],
                ]
                for r in runs
            ],
            compact=["run", "name", "status", "started", *metric_keys[:2]],
            wrap=["name"],
            wide=wide,
            empty=_no_runs(experiment, filter),
        )


def _no_runs(experiments: list[str] | None, filter: str | None) -> str:
    where = ""
    if experiments:
        where = " in experiment" + ("s " if len(experiments) > 1 else " ")
        where += ", ".join(repr(e) for e in experiments)
    return f"No runs{where}" + (f" match {filter!r}." if filter else ".")


def _resolve_run_id(ctx: typer.Context, prefix: str) -> str:
    """Accept a full run id or a unique prefix of at least 6 characters (as shown by list)."""
    if len(prefix) == 32:
        return prefix
    from modelward.errors import InvalidInput, NotFound

    if len(prefix) < 6:
        raise InvalidInput(f"Run id {prefix!r} is too short; give at least 6 characters.")
    runs = env_of(ctx).client.tracking.search_runs(
        filter=f"attributes.run_id like '{prefix}%'", limit=2
    )
    if not runs:
        raise NotFound(f"No run id starts with {prefix!r}; 'modelward runs list' shows runs.")
    if len(runs) > 1:
        raise InvalidInput(f"Run id prefix {prefix!r} is ambiguous; give more characters.")
    return runs[0].id


@runs_app.command("show")
def show(ctx: typer.Context, run_id: str, json_out: JsonOpt = False) -> None:
    """Show one run: attributes, params, metrics, datasets, artifacts."""
    with exit_on_domain_error():
        run = env_of(ctx).client.tracking.get_run(_resolve_run_id(ctx, run_id))
        if json_out:
            print_json(run)
            return
        console().print(
            f"[bold]Run {run.id}[/bold] ({escape(run.name)}) in {escape(repr(run.experiment))}: "
            f"{run.status.value}, by {run.user}, {fmt_time(run.start_time)}"
            f" .. {fmt_time(run.end_time)}"
        )
        if run.source.git_commit:
            dirty = " (dirty)" if run.source.git_dirty else ""
            console().print(
                f"git {run.source.git_commit}{dirty}, entry point {run.source.entry_point}"
            )
        params = [[k, v] for k, v in sorted(run.params.items())]
        table("params", ["key", "value"], params, wrap=["value"], empty="No params.")
        table(
            "metrics (latest)",
            ["key", "value"],
            [[k, fmt_num(v)] for k, v in sorted(run.metrics.items())],
            empty="No metrics.",
        )
        table(
            "datasets",
            ["name", "role", "rows", "columns", "fingerprint"],
            [[d.name, d.role, d.row_count, len(d.schema), d.dataset_id[:16]] for d in run.datasets],
            empty="No datasets.",
        )
        table(
            "artifacts",
            ["path", "kind", "size", "sha256"],
            [[a.path, a.kind, a.size, a.sha256[:16]] for a in run.artifacts],
            empty="No artifacts.",
        )
        if run.tags:
            tags = [[k, v] for k, v in sorted(run.tags.items())]
            table("tags", ["key", "value"], tags, wrap=["value"])


@runs_app.command("delete")
def delete_run(ctx: typer.Context, run_id: str) -> None:
    """Delete a run of yours: hidden from 'runs list', kept as a record (versions registered
    from it keep their lineage); 'runs restore' brings it back."""
    with exit_on_domain_error():
        full = _resolve_run_id(ctx, run_id)
        env_of(ctx).client.tracking.delete_run(full)
        typer.echo(f"Run {full} deleted; 'modelward runs restore {full}' brings it back.")


@runs_app.command("restore")
def restore_run(ctx: typer.Context, run_id: str) -> None:
    """Bring a deleted run back."""
    with exit_on_domain_error():
        env_of(ctx).client.tracking.restore_run(run_id)
        typer.echo(f"Run {run_id} restored.")


@runs_app.command("diff")
def diff(
    ctx: typer.Context,
    run_a: str,
    run_b: str,
    all_rows: Annotated[bool, typer.Option("--all", help="Also show rows that are equal.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Params, metrics, datasets and environment of two runs side by side; differences in red."""
    with exit_on_domain_error():
        result = env_of(ctx).client.tracking.diff_runs(
            _resolve_run_id(ctx, run_a), _resolve_run_id(ctx, run_b)
        )
        if json_out:
            print_json(
                {
                    name: [{"key": k, "a": a, "b": b, "differs": d} for k, a, b, d in rows]
                    for name, rows in result.sections.items()
                }
            )
            return
        from rich.text import Text

        hidden = 0
        a_col, b_col = f"A {result.a.id[:8]}", f"B {result.b.id[:8]}"
        for name, rows in result.sections.items():
            shown = [r for r in rows if all_rows or r[3]]
            hidden += len(rows) - len(shown)
            if not shown:
                if rows:
                    say(f"{name}: identical")
                continue
            table(
                name,
                ["key", a_col, b_col],
                [
                    [Text(key, style=style), Text(fmt_num(a), style=style)]
                    + [Text(fmt_num(b), style=style)]
                    for key, a, b, differs in shown
                    for style in ["bold red" if differs else ""]
                ],
                wrap=[a_col, b_col],
            )
        if hidden:
            say(f"{hidden} identical row(s) hidden; --all shows them.")


@runs_app.command("reap")
def reap(
    ctx: typer.Context,
    timeout: Annotated[
        float | None,
        typer.Option(
            help="Seconds without a heartbeat (default MODELWARD_RUN_HEARTBEAT_TIMEOUT, 600);"
            " local workspaces only."
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Mark RUNNING runs whose process died (no heartbeat for the timeout) as FAILED."""
    with exit_on_domain_error():
        reaped = env_of(ctx).client.tracking.reap_stale_runs(timeout=timeout)
        if json_out:
            print_json(reaped)
            return
        if not reaped:
            typer.echo("No stale runs: every RUNNING run has a recent heartbeat.")
            return
        typer.echo(f"Marked {len(reaped)} run(s) without a heartbeat as FAILED:")
        for run_id in reaped:
            typer.echo(f"  {run_id}")


@runs_app.command("reproduce")
def reproduce(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="The run to rebuild and re-run.")],
    repo: Annotated[
        str | None, typer.Option(help="The git repository holding the run's commit (default: .)")
    ] = None,
    in_current_env: Annotated[
        bool,
        typer.Option(
            "--in-current-env",
            help="Re-run in this Python environment instead of a fresh virtual environment"
            " built from the run's lock (faster; proves less).",
        ),
    ] = False,
    tolerance: Annotated[
        float | None, typer.Option(help="Relative tolerance on metrics (default 1e-9).")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds for each step.")] = 1800.0,
    json_out: JsonOpt = False,
) -> None:
    """Rebuild a run's code, environment and data, re-run its entry point, and store whether
    metrics match within tolerance and the model bytes are identical. Exit 10: they do not."""
    from modelward.cli.errors import EXIT_CHECKS_FAILED

    with exit_on_domain_error():
        found = env_of(ctx).client.reproduce_run(
            run_id, repo=repo, in_current_env=in_current_env, tolerance=tolerance, timeout=timeout
        )
        if json_out:
            print_json(found.as_dict())
        else:
            verdict = "reproduced" if found.passed else "NOT reproduced"
            console().print(f"Run {run_id[:12]} {verdict} ({found.environment}): {found.detail}")
            table(
                None,
                ["metric", "original", "reproduced"],
                [[k, fmt_num(a), fmt_num(b)] for k, (a, b) in found.metric_diffs.items()],
                empty="No metrics to compare.",
            )
    if not found.passed:
        raise typer.Exit(EXIT_CHECKS_FAILED)


@runs_app.command("reproductions")
def reproductions(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="The run.")],
    json_out: JsonOpt = False,
) -> None:
    """A run's stored reproductions, newest first."""
    with exit_on_domain_error():
        found = env_of(ctx).client.tracking.reproductions(run_id)
        if json_out:
            print_json([r.as_dict() | {"at": r.created_at, "by": r.actor} for r in found])
            return
        table(
            f"{len(found)} reproduction(s) of {run_id[:12]}",
            ["at", "by", "environment", "passed", "detail"],
            [[fmt_day(r.created_at), r.actor, r.environment, r.passed, r.detail] for r in found],
            wrap=["detail"],
            empty=f"No reproductions of {run_id[:12]}.",
        )
