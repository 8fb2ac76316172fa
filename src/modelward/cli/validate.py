"""`modelward validate` and `modelward reports`: validate a version, read stored reports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.text import Text

from modelward.cli.env import env_of
from modelward.cli.errors import EXIT_CHECKS_FAILED, exit_on_domain_error
from modelward.cli.output import WideOpt, console, fmt_day, fmt_num, fmt_time, print_json, table

reports_app = typer.Typer(help="Stored validation reports.", no_args_is_help=True)


def _print_checks(report: object) -> None:
    rows = []
    for check in report.checks:  # type: ignore[attr-defined]
        verdict = {
            True: Text("pass", style="green"),
            False: Text("FAIL", style="bold red"),
            None: Text("info"),
        }[check.passed]
        bound = ""
        if check.threshold is not None:
            bound = {"min": ">= ", "max": "<= "}.get(check.direction, "") + fmt_num(check.threshold)
        rows.append([check.name, fmt_num(check.value), bound, verdict])
    table(None, ["check", "value", "threshold", "result"], rows, empty="No checks ran.")
    for warning in report.warnings:  # type: ignore[attr-defined]
        console().print(f"[yellow]warning:[/yellow] {escape(warning)}")


def _print_outcome(report: Any, html: Path | None) -> None:
    against = f" vs {report.against}" if report.against else ""
    console().print(
        f"[bold]{report.model} v{report.version}[/bold] on {report.data_rows} rows"
        f" ({report.task}){against}"
    )
    _print_checks(report)
    failed = [c.name for c in report.failed_checks]
    outcome = (
        "[green]PASSED[/green]"
        if report.passed
        else f"[red]FAILED[/red] ({len(failed)}: {escape(', '.join(failed[:5]))})"
    )
    where = (
        f"; HTML written to {html}."
        if html
        else f"; 'modelward reports show {report.model} {report.version} --html FILE' writes it."
    )
    console().print(f"Validation {outcome}. Report stored with the version{where}")


def validate(
    ctx: typer.Context,
    model_uri: Annotated[str, typer.Argument(help="models:/NAME/VERSION or models:/NAME@ALIAS")],
    data: Annotated[Path, typer.Option("--data", help="Held-out data (.parquet or .csv).")],
    target: Annotated[
        str | None, typer.Option(help="Target column (or 'target' in the config).")
    ] = None,
    sensitive: Annotated[
        str | None, typer.Option(help="Comma-separated sensitive attributes, e.g. gender,age_band.")
    ] = None,
    against: Annotated[
        str | None,
        typer.Option(help="Compare with this alias of the model (e.g. champion) or a model URI."),
    ] = None,
    favourable_label: Annotated[
        str | None,
        typer.Option(
            help="The decision people want (0 for a credit model predicting default = 1);"
            " fairness compares its rate between groups. Overrides the project file."
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(help="Project file with a 'validation:' section (default ./modelward.yaml)."),
    ] = None,
    html: Annotated[Path | None, typer.Option(help="Also write the HTML report here.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Validate a model version on held-out data. Exit 0: every check passed; 10: one failed."""
    from modelward.project import load_project
    from modelward.validation.config import ValidationConfig

    with exit_on_domain_error():
        project = load_project(config)
        target = target or project.get("target")
        if not target:
            from modelward.errors import InvalidInput

            raise InvalidInput(
                "No target column: pass --target COLUMN or set 'target' in modelward.yaml."
            )
        groups = (
            [s.strip() for s in sensitive.split(",") if s.strip()]
            if sensitive
            else project.sensitive()
        )
        settings = ValidationConfig.from_mapping(
            project.section("validation"), favourable_label=favourable_label
        )
        client = env_of(ctx).client
        done = client.validation.validate(
            model_uri, str(data), target=target, sensitive=groups, against=against, config=settings
        )
        report = done.report
        if html is not None:
            html.write_text(client.validation.html(done.record))
        if json_out:
            print_json(report.to_dict())
        else:
            _print_outcome(report, html)
    if not report.passed:
        raise typer.Exit(EXIT_CHECKS_FAILED)


@reports_app.command("list")
def list_reports(
    ctx: typer.Context,
    model: str,
    version: Annotated[int | None, typer.Argument()] = None,
    wide: WideOpt = False,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Stored validations of a model (or one version), newest first."""
    with exit_on_domain_error():
        records = env_of(ctx).client.validation.list(model, version)
        if json_out:
            print_json(records)
            return
        table(
            f"{len(records)} report(s)",
            ["version", "when", "by", "passed", "against", "rows"],
            [
                [
                    r.version,
                    fmt_day(r.created_at),
                    r.created_by,
                    "yes" if r.passed else "NO",
                    r.against or "",
                    r.summary.get("data_rows", ""),
                ]
                for r in records
            ],
            wide=wide,
            empty=f"No validation reports of {model}"
            + (f" v{version}." if version else ".")
            + f" 'modelward validate models:/{model}/VERSION --data FILE' makes one.",
        )


@reports_app.command("show")
def show(
    ctx: typer.Context,
    model: str,
    version: int,
    html: Annotated[Path | None, typer.Option(help="Write the HTML report here.")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The newest validation report of a version."""
    with exit_on_domain_error():
        client = env_of(ctx).client
        done = client.validation.latest(model, version)
        if html is not None:
            html.write_text(client.validation.html(done.record))
            typer.echo(f"Wrote the validation report of {model} v{version} to {html}.")
            return
        if json_out:
            print_json(done.report.to_dict())
            return
        console().print(
            f"[bold]{model} v{version}[/bold] validated {fmt_time(done.record.created_at)}"
            f" by {done.record.created_by}: {'PASSED' if done.report.passed else 'FAILED'}"
        )
        _print_checks(done.report)
