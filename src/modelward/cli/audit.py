"""`modelward audit`: verify the hash-chained trail, anchor checkpoints, export for auditors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from modelward.cli.env import env_of
from modelward.cli.errors import EXIT_INTEGRITY_VIOLATION, exit_on_domain_error
from modelward.cli.output import fmt_day, print_json, table

audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@audit_app.command("verify")
def verify(
    ctx: typer.Context,
    checkpoint: Annotated[
        bool, typer.Option("--checkpoint", help="Then anchor the verified head (a checkpoint).")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Verify the chain, its head and every checkpoint (from the database, the workspace file
    and the artifact store). Exits 7 with one line naming each bad event or checkpoint."""
    with exit_on_domain_error():
        gov = env_of(ctx).client.governance
        result = gov.verify_audit()
        if json_out:
            print_json(result)
        result.raise_if_bad()  # IntegrityViolation: exit 7, one line naming the first bad event
        if not json_out:
            typer.echo(result.message)
        if checkpoint and result.last_seq is not None:
            record = gov.checkpoint_audit()
            if not json_out:
                typer.echo(f"Checkpoint of event {record.seq} written ({record.address[:12]}).")


@audit_app.command("checkpoint")
def checkpoint(ctx: typer.Context, json_out: JsonOpt = False) -> None:
    """Verify, then anchor the chain head in the artifact store and the workspace."""
    with exit_on_domain_error():
        record = env_of(ctx).client.governance.checkpoint_audit()
        if json_out:
            print_json(record)
            return
        typer.echo(
            f"Checkpoint of event {record.seq} (hash {record.hash[:12]}) written to the artifact"
            f" store as {record.address[:12]}."
        )


@audit_app.command("export")
def export(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write.")],
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
) -> None:
    """Write every audit event to a JSON Lines or CSV file."""
    with exit_on_domain_error():
        chunks = env_of(ctx).client.governance.export_audit(fmt)
        count = 0
        with output.open("w", encoding="utf-8", newline="") as handle:
            for chunk in chunks:
                handle.write(chunk)
                count += chunk.count("\n")
        events = count - 1 if fmt == "csv" else count
        typer.echo(f"Wrote {max(events, 0)} audit event(s) to {output} ({fmt}).")


@audit_app.command("checkpoints")
def checkpoints(ctx: typer.Context, json_out: JsonOpt = False) -> None:
    """List the checkpoints indexed in the database."""
    with exit_on_domain_error():
        found = env_of(ctx).client.governance.checkpoints()
        if json_out:
            print_json(found)
            return
        table(
            f"{len(found)} checkpoint(s)",
            ["event", "hash", "when", "address", "by"],
            [[c.seq, c.hash[:12], fmt_day(c.at), c.address[:12], c.created_by] for c in found],
            empty="No checkpoints yet ('modelward audit checkpoint' writes one).",
        )


@audit_app.command("verify-pack")
def verify_pack(
    pack: Annotated[Path, typer.Argument(help="The evidence pack (zip) to check.")],
    json_out: JsonOpt = False,
) -> None:
    """Check an evidence pack offline, with no workspace: every file against the manifest, the
    audit slice's hash chain, and its link to the checkpoint. Exits 7 when tampered."""
    from modelward.client.evidence import verify_pack as check_pack

    with exit_on_domain_error():
        result = check_pack(pack)
    if json_out:
        print_json(result)
    else:
        typer.echo(result.message)
        for problem in result.problems[1:]:
            typer.echo(f"  also: {problem}")
        for warning in result.warnings:
            typer.echo(f"  note: {warning}")
        if result.ok:
            typer.echo(f"Manifest sha256 {result.manifest_sha256}.")
    if not result.ok:
        raise typer.Exit(EXIT_INTEGRITY_VIOLATION)
