"""`modelward explain REQUEST_ID` (the notice of one decision) and `modelward deploy
explanations NAME --top N` (answers carry each row's main contributions)."""

from __future__ import annotations

from typing import Annotated

import typer

from modelward.cli.env import env_of
from modelward.cli.errors import exit_on_domain_error
from modelward.cli.output import print_json

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def explain(
    ctx: typer.Context,
    request_id: Annotated[str, typer.Argument(help="The X-Request-ID of the answer.")],
    deployment: Annotated[
        str | None, typer.Option(help="The deployment that answered (default: search all).")
    ] = None,
    row: Annotated[int, typer.Option(min=0, help="The row of a batch request.")] = 0,
    json_out: JsonOpt = False,
) -> None:
    """Regenerate the notice of one decision from the prediction log and the registered
    version: the decision, its principal reasons (reason codes from modelward.yaml's
    `explain:` section) and whether the reasons match what was logged. Audited."""
    with exit_on_domain_error():
        notice = env_of(ctx).client.deployments.explain(request_id, deployment=deployment, row=row)
        if json_out:
            print_json(notice.to_dict())
            return
        typer.echo(notice.text())


def explanations(
    ctx: typer.Context,
    name: str,
    top: Annotated[
        int, typer.Option(min=0, help="Contributions returned per row (0 turns them off).")
    ] = 4,
    reason: Annotated[str, typer.Option(help="Why (kept in the audit trail).")] = "",
    json_out: JsonOpt = False,
) -> None:
    """Make deployment NAME's answers carry each row's TOP main contributions (the prediction
    log keeps all of them); --top 0 turns explanations off."""
    with exit_on_domain_error():
        updated = env_of(ctx).client.deployments.set_explanations(name, top=top, reason=reason)
        if json_out:
            print_json(updated)
            return
        state = f"carry each row's top {top} contributions" if top else "carry no explanations"
        typer.echo(
            f"{name}: answers now {state} (the scoring service picks it up at its next poll)."
        )
