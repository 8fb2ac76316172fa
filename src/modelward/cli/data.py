"""`modelward data` (data protection per deployment, erasure of a data subject) and
`modelward maintenance` (retention and compaction of the prediction log)."""

from __future__ import annotations

from typing import Annotated

import typer

from modelward.cli.env import env_of
from modelward.cli.errors import exit_on_domain_error
from modelward.cli.output import WideOpt, console, print_json, table

data_app = typer.Typer(
    help="Data protection: legal basis, retention and personal columns per deployment;"
    " erasure of a data subject.",
    no_args_is_help=True,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@data_app.command("protect")
def protect(
    ctx: typer.Context,
    deployment: Annotated[str, typer.Argument(help="The deployment.")],
    legal_basis: Annotated[
        str | None,
        typer.Option(
            help="GDPR Art. 6(1) basis: 6(1)(a) consent ... 6(1)(f) legitimate"
            " interests (or the letter, or the name)."
        ),
    ] = None,
    retention_days: Annotated[
        int | None, typer.Option(help="Keep logs, labels and samples this many days.")
    ] = None,
    personal_column: Annotated[
        list[str] | None,
        typer.Option(
            "--personal-column",
            help="A personal-data input column (repeatable;"
            " default: the columns tagged personal in the training data).",
        ),
    ] = None,
    subject_column: Annotated[
        str | None, typer.Option(help="The input column that identifies a person.")
    ] = None,
    note: Annotated[str, typer.Option(help="Why (kept in the audit trail).")] = "",
    json_out: JsonOpt = False,
) -> None:
    """Set a deployment's data-protection settings (they replace the previous ones)."""
    with exit_on_domain_error():
        found = env_of(ctx).client.data.protect(
            deployment,
            legal_basis=legal_basis,
            retention_days=retention_days,
            personal_columns=personal_column,
            subject_column=subject_column,
            note=note,
        )
        if json_out:
            print_json(found.as_dict())
            return
        console().print(
            f"{deployment}: legal basis {found.legal_basis.label if found.legal_basis else '-'},"
            f" retention {found.retention_days or 'unlimited'} day(s), personal columns"
            f" {', '.join(found.personal_columns) or '-'}, subject column"
            f" {found.subject_column or '-'}."
        )


@data_app.command("show")
def show(
    ctx: typer.Context,
    deployment: Annotated[str | None, typer.Argument(help="One deployment (default: all).")] = None,
    wide: WideOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Data-protection settings, and the columns the prediction log pseudonymises."""
    with exit_on_domain_error():
        client = env_of(ctx).client
        found = [client.data.protection(deployment)] if deployment else client.data.protections()
        rows = [(p, client.data.pseudonymised_columns(p.deployment)) for p in found]
        if json_out:
            print_json([p.as_dict() | {"pseudonymised": cols} for p, cols in rows])
            return
        table(
            f"{len(rows)} deployment(s) with data-protection settings",
            ["deployment", "legal basis", "retention", "personal", "subject", "pseudonymised"],
            [
                [
                    p.deployment,
                    p.legal_basis.label if p.legal_basis else "-",
                    f"{p.retention_days} d" if p.retention_days else "unlimited",
                    ", ".join(p.personal_columns),
                    p.subject_column or "-",
                    ", ".join(cols) or "-",
                ]
                for p, cols in rows
            ],  # fmt: skip
            compact=["deployment", "legal basis", "retention", "personal"],
            wrap=["legal basis", "personal", "pseudonymised"],
            wide=wide,
            empty="No deployment has data-protection settings ('modelward data protect').",
        )


@data_app.command("inventory")
def inventory(ctx: typer.Context, wide: WideOpt = False, json_out: JsonOpt = False) -> None:
    """Deployments that hold personal data: columns, legal basis (GDPR Art. 6(1)), retention,
    and whether the log keeps pseudonyms; a missing basis or retention is a gap to close."""
    with exit_on_domain_error():
        found = env_of(ctx).client.data.inventory()
        if json_out:
            print_json(found)
            return
        table(
            f"{len(found)} deployment(s) holding personal data",
            ["deployment", "model", "environment", "columns", "legal basis", "retention", "log"],
            [
                [
                    h.deployment,
                    h.model,
                    h.environment,
                    ", ".join(h.columns),
                    h.legal_basis.label if h.legal_basis else "MISSING",
                    f"{h.retention_days} d" if h.retention_days else "unlimited",
                    "pseudonymised" if h.pseudonymised else "clear",
                ]
                for h in found
            ],  # fmt: skip
            compact=["deployment", "columns", "legal basis", "retention", "log"],
            wrap=["columns", "legal basis"],
            wide=wide,
            empty="No deployment holds personal data.",
        )


@data_app.command("erase")
def erase(
    ctx: typer.Context,
    subject: Annotated[str, typer.Option("--subject", help="The person's key (e.g. customer id).")],
    column: Annotated[
        list[str] | None,
        typer.Option(
            "--column",
            help="Search this column too (default: the deployments' subject columns; repeatable).",
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Remove one person's rows from prediction logs, labels, dataset samples and data
    snapshots. The audit trail keeps a keyed hash of the key and the counts, nothing else."""
    with exit_on_domain_error():
        found = env_of(ctx).client.data.erase(subject, columns=column or ())
        if json_out:
            print_json(found)
            return
        console().print(
            f"Erased subject {found.subject_ref[:12]}: {found.prediction_rows} logged"
            f" prediction(s) in {found.files_rewritten} file(s), {found.labels} label(s),"
            f" {found.sample_rows} sample row(s), {found.snapshot_rows} snapshot row(s)."
        )


def maintenance(
    ctx: typer.Context,
    compact: Annotated[
        bool, typer.Option("--compact/--no-compact", help="Merge each past day's log files.")
    ] = True,
    json_out: JsonOpt = False,
) -> None:
    """Enforce every deployment's retention (prediction logs, labels, samples) and compact
    the prediction log; each deployment's pass is audited."""
    with exit_on_domain_error():
        found = env_of(ctx).client.data.maintenance(compact=compact)
        if json_out:
            print_json(found)
            return
        if not found.deployments:
            console().print("Nothing to remove or compact.")
            return
        keys = ["prediction_rows", "labels", "samples", "days_compacted", "files_merged"]
        table(
            "maintenance",
            ["deployment", *keys],
            [[name, *[c.get(k, 0) for k in keys]] for name, c in found.deployments.items()],
        )
