"""`modelward governance findings|waive|evidence`: validation findings, waivers of gate items,
their alerts, and the evidence pack of a version. Thin over `client.evidence`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from modelward.cli.env import env_of
from modelward.cli.errors import EXIT_CHECKS_FAILED, exit_on_domain_error
from modelward.cli.output import WideOpt, fmt_day, fmt_time, print_json, table
from modelward.cli.timeparse import parse_when

findings_app = typer.Typer(
    help="Validation findings on versions (severity, owner, due date, status).",
    no_args_is_help=True,
)
waive_app = typer.Typer(
    help="Time-boxed waivers of one gate item, approved by someone else.", no_args_is_help=True
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
ModelArg = Annotated[str | None, typer.Argument(help="Only this model.")]
VersionArg = Annotated[int | None, typer.Argument(help="Only this version.")]


@findings_app.command("add")
def add(
    ctx: typer.Context,
    model: str,
    version: int,
    title: Annotated[str, typer.Option(help="What is wrong, in a line.")],
    severity: Annotated[str, typer.Option(help="low, medium, high or critical.")],
    owner: Annotated[str, typer.Option(help="Who must fix it.")],
    due: Annotated[str, typer.Option(help="Due date, e.g. 2026-12-31 (UTC).")],
    detail: Annotated[str, typer.Option(help="Evidence and context.")] = "",
    json_out: JsonOpt = False,
) -> None:
    """Record a validation finding on MODEL VERSION (open high/critical ones block the gate)."""
    with exit_on_domain_error():
        found = env_of(ctx).client.evidence.record_finding(
            model,
            version,
            title=title,
            severity=severity,
            owner=owner,
            due=parse_when(due),
            detail=detail,
        )
        if json_out:
            print_json(found)
            return
        typer.echo(
            f"Finding {found.id} ({found.severity.value}) recorded on {model} v{version}, owned by"
            f" {found.owner}, due {found.due_at.date().isoformat()}."
        )


@findings_app.command("update")
def update(
    ctx: typer.Context,
    finding_id: int,
    status: Annotated[str | None, typer.Option(help="open, resolved or withdrawn.")] = None,
    severity: Annotated[str | None, typer.Option(help="low, medium, high or critical.")] = None,
    owner: Annotated[str | None, typer.Option(help="A new owner.")] = None,
    due: Annotated[str | None, typer.Option(help="A new due date.")] = None,
    resolution: Annotated[str, typer.Option(help="How it was resolved (to close it).")] = "",
    json_out: JsonOpt = False,
) -> None:
    """Change FINDING_ID's status, severity, owner or due date."""
    with exit_on_domain_error():
        found = env_of(ctx).client.evidence.update_finding(
            finding_id,
            status=status,
            severity=severity,
            owner=owner,
            due=parse_when(due) if due else None,
            resolution=resolution,
        )
        if json_out:
            print_json(found)
            return
        typer.echo(
            f"Finding {found.id} on {found.model} v{found.version} is {found.status.value}"
            f" ({found.severity.value}, owner {found.owner})."
        )


@findings_app.command("list")
def list_findings(
    ctx: typer.Context,
    model: ModelArg = None,
    version: VersionArg = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only open findings.")] = False,
    wide: WideOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Findings, oldest first (of a version, a model, or every model)."""
    with exit_on_domain_error():
        client = env_of(ctx).client
        found = client.evidence.findings(model, version, open_only=open_only)
        now = client.backend.now()
    if json_out:
        print_json(found)
        return
    table(
        f"{len(found)} finding(s)",
        ["id", "model", "v", "severity", "status", "owner", "due", "title"],
        [
            [
                f.id,
                f.model,
                f.version,
                f.severity.value,
                f.status.value + (" (overdue)" if f.is_overdue(now) else ""),
                f.owner,
                fmt_day(f.due_at)[:10],
                f.title,
            ]
            for f in found
        ],
        compact=["id", "v", "severity", "status", "due", "title"],
        wrap=["title", "status"],
        wide=wide,
        empty=f"No {'open ' if open_only else ''}findings"
        + (f" on {model}" + (f" v{version}" if version else "") if model else "")
        + ".",
    )


@findings_app.command("alerts")
def alerts(
    ctx: typer.Context,
    model: ModelArg = None,
    within_days: Annotated[int, typer.Option(help="Warn of waivers expiring this soon.")] = 14,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 10 when there is an alert (for cron).")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Overdue findings and waivers about to expire."""
    with exit_on_domain_error():
        found = env_of(ctx).client.evidence.alerts(model, within_days=within_days)
    if json_out:
        print_json(found)
    else:
        if not found:
            typer.echo("No overdue finding and no waiver about to expire.")
        for alert in found:
            typer.echo(f"{alert.kind}: {alert.message}")
    if check and found:
        raise typer.Exit(EXIT_CHECKS_FAILED)


@waive_app.command("request")
def request(
    ctx: typer.Context,
    model: str,
    version: int,
    item: Annotated[str, typer.Option(help="The gate item, e.g. findings or check.X.")],
    reason: Annotated[str, typer.Option(help="Why it may pass for now.")],
    approver_role: Annotated[str, typer.Option(help="The role that must approve it.")],
    expires: Annotated[str, typer.Option(help="When it stops counting, e.g. 2027-01-31.")],
    json_out: JsonOpt = False,
) -> None:
    """Ask that gate item ITEM of MODEL VERSION pass until EXPIRES."""
    with exit_on_domain_error():
        found = env_of(ctx).client.evidence.request_waiver(
            model,
            version,
            item=item,
            reason=reason,
            approver_role=approver_role,
            expires=parse_when(expires),
        )
        if json_out:
            print_json(found)
            return
        typer.echo(
            f"Waiver {found.id} of {item!r} on {model} v{version} requested; a"
            f" {approver_role} other than you must approve it"
            f" ('modelward governance waive approve {found.id}')."
        )


@waive_app.command("approve")
def approve(
    ctx: typer.Context,
    waiver_id: int,
    comment: Annotated[str, typer.Option(help="Kept with the approval.")] = "",
) -> None:
    """Approve WAIVER_ID: its item passes the gate until the waiver expires."""
    with exit_on_domain_error():
        found = env_of(ctx).client.evidence.approve_waiver(waiver_id, comment=comment)
        typer.echo(
            f"Waiver {found.id} of {found.item!r} on {found.model} v{found.version} approved by"
            f" {found.approved_by}, until {fmt_time(found.expires_at)}."
        )


@waive_app.command("revoke")
def revoke(
    ctx: typer.Context,
    waiver_id: int,
    reason: Annotated[str, typer.Option(help="Why (required).")],
) -> None:
    """Revoke WAIVER_ID: its item is judged again at once."""
    with exit_on_domain_error():
        found = env_of(ctx).client.evidence.revoke_waiver(waiver_id, reason=reason)
        typer.echo(
            f"Waiver {found.id} of {found.item!r} on {found.model} v{found.version} revoked."
        )


@waive_app.command("list")
def list_waivers(
    ctx: typer.Context,
    model: ModelArg = None,
    version: VersionArg = None,
    wide: WideOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Waivers, oldest first, with their state now."""
    with exit_on_domain_error():
        client = env_of(ctx).client
        found = client.evidence.waivers(model, version)
        now = client.backend.now()
    if json_out:
        print_json([{"state": w.state(now).value, "waiver": w} for w in found])
        return
    table(
        f"{len(found)} waiver(s)",
        ["id", "model", "v", "item", "state", "expires", "asked by", "approver"],
        [
            [
                w.id,
                w.model,
                w.version,
                w.item,
                w.state(now).value,
                fmt_day(w.expires_at),
                w.requested_by,
                w.approved_by or f"({w.approver_role})",
            ]
            for w in found
        ],
        compact=["id", "v", "item", "state", "expires", "approver"],
        wrap=["item"],
        wide=wide,
        empty="No waivers"
        + (f" on {model}" + (f" v{version}" if version else "") if model else "")
        + ".",
    )


def evidence(
    ctx: typer.Context,
    model: str,
    version: int,
    output: Annotated[Path, typer.Option("-o", "--output", help="The zip to write.")],
    checkpoint: Annotated[
        bool,
        typer.Option("--checkpoint", help="Checkpoint the audit trail first (anchors it all)."),
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Write the evidence pack of MODEL VERSION: assessment, policy, card, validation,
    findings, waivers, sign-offs, gate decisions, deployments, monitoring, lineage,
    reproducibility and the audit slice, with a regulatory index. Check it with
    'modelward audit verify-pack'."""
    with exit_on_domain_error():
        client = env_of(ctx).client
        if checkpoint:
            client.governance.checkpoint_audit()
        pack = client.evidence.pack(model, version, output)
    if json_out:
        print_json(
            {
                "output": str(output),
                "manifest_sha256": pack.manifest_sha256,
                "parts": pack.parts,
                "anchored": pack.anchored,
                "unanchored": pack.unanchored,
            }
        )
        return
    missing = [part for part, status in pack.parts.items() if status == "missing"]
    typer.echo(f"Evidence pack of {model} v{version} written to {output}.")
    typer.echo(f"Manifest sha256 {pack.manifest_sha256} (give it with the pack).")
    typer.echo(f"Missing parts: {', '.join(missing) or 'none'}.")
    if not pack.anchored or pack.unanchored:
        typer.echo(
            "Some audit events are not anchored to a checkpoint; rerun with --checkpoint to"
            " include them."
        )
