"""`modelward inventory`: every model with owner, risk level, stage, last validation, pending
sign-offs and what is overdue."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from modelward.cli.env import env_of
from modelward.cli.errors import exit_on_domain_error
from modelward.cli.output import WideOpt, fmt_day, print_json, table


def inventory(
    ctx: typer.Context,
    risk: Annotated[
        str | None, typer.Option(help="low, medium, high, severe or unassessed.")
    ] = None,
    stage: Annotated[
        str | None,
        typer.Option(help="registered, validated, approved, in_production or retired."),
    ] = None,
    overdue: Annotated[
        bool,
        typer.Option("--overdue", help="Only models with an expired assessment or due retraining."),
    ] = False,
    pending: Annotated[
        bool, typer.Option("--pending", help="Only models awaiting sign-offs.")
    ] = False,
    owner: Annotated[str | None, typer.Option(help="Only this owner's models.")] = None,
    search: Annotated[str | None, typer.Option(help="Only names containing this.")] = None,
    wide: WideOpt = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """The model inventory, with filters."""
    with exit_on_domain_error():
        rows = env_of(ctx).client.governance.inventory(
            risk=risk, stage=stage, overdue=overdue, pending=pending, owner=owner, search=search
        )
        if json_out:
            print_json([{**_as_dict(row), "overdue": row.overdue} for row in rows])
            return
        filtered = any((risk, stage, overdue, pending, owner, search))
        table(
            f"{len(rows)} model(s)",
            ["model", "owner", "risk", "stage", "production", "latest", "last validation"]
            + ["pending sign-offs", "overdue", "dependents"],
            [
                [row.model, row.owner, row.risk_level, row.stage, _v(row.production_version)]
                + [f"{_v(row.latest_version)} ({row.latest_stage or '-'})", _validation(row)]
                + [", ".join(row.pending_sign_offs) or "-", _overdue(row), row.dependents]
                for row in rows
            ],
            compact=["model", "risk", "stage", "production", "pending sign-offs", "overdue"],
            wrap=["pending sign-offs", "overdue", "last validation", "latest"],
            wide=wide,
            empty="No models match these filters." if filtered else "No registered models.",
        )


def _as_dict(row: Any) -> dict[str, object]:
    from modelward.cli.output import jsonable

    value = jsonable(row)
    assert isinstance(value, dict)
    return value


def _v(version: int | None) -> str:
    return f"v{version}" if version else "-"


def _validation(row: Any) -> str:
    if row.last_validation is None:
        return "-"
    return (
        f"{fmt_day(row.last_validation)} ({'passed' if row.last_validation_passed else 'failed'})"
    )


def _overdue(row: Any) -> str:
    reasons = ["assessment"] if row.assessment_overdue else []
    reasons += ["retraining"] if row.retraining_due else []
    reasons += [f"{row.overdue_findings} finding(s)"] if row.overdue_findings else []
    return ", ".join(reasons) or "-"
