"""`modelward governance`: risk assessment, the matrix, status and gates, reviews and sign-offs,
policies, model card fields, dataset column tags and lineage. Thin over `client.governance`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from modelward.cli.env import env_of
from modelward.cli.errors import EXIT_POLICY_VIOLATION, exit_on_domain_error
from modelward.cli.findings import evidence, findings_app, waive_app
from modelward.cli.output import console, fmt_time, print_json, table
from modelward.errors import InvalidInput

governance_app = typer.Typer(
    help="Risk, policies, sign-offs, gates, model cards, data governance.", no_args_is_help=True
)
policy_app = typer.Typer(help="The risk-tiered policies in force.", no_args_is_help=True)
governance_app.add_typer(policy_app, name="policy")
governance_app.add_typer(findings_app, name="findings")
governance_app.add_typer(waive_app, name="waive")
governance_app.command("evidence")(evidence)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _read_answers(path: Path) -> dict[str, object]:
    import yaml

    from modelward.errors import InvalidInput

    try:
        content = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput(f"Cannot read questionnaire answers from {str(path)!r}: {exc}") from exc
    if not isinstance(content, dict):
        raise InvalidInput(f"{str(path)!r} must map each risk question to its answer.")
    return {str(k): v for k, v in content.items()}


@governance_app.command("assess")
def assess(
    ctx: typer.Context,
    model: str,
    likelihood: Annotated[
        str | None, typer.Option(help="1-5 or a label (rare ... very likely).")
    ] = None,
    severity: Annotated[
        str | None, typer.Option(help="1-5 or a label (very low ... very high).")
    ] = None,
    rationale: Annotated[str, typer.Option(help="Why these values.")] = "",
    questionnaire: Annotated[
        Path | None, typer.Option(help="YAML answers to the risk questions; suggests the values.")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Record the risk assessment of MODEL (explicit values, or from questionnaire answers)."""
    with exit_on_domain_error():
        gov = env_of(ctx).client.governance
        answers = _read_answers(questionnaire) if questionnaire else None
        suggestion = gov.suggest(answers) if answers is not None else None
        found = gov.assess(
            model, likelihood=likelihood, severity=severity, rationale=rationale, answers=answers
        )
        if json_out:
            print_json({"assessment": found, "level": found.level, "score": found.score})
            return
        if suggestion is not None:
            typer.echo(suggestion.explanation())
        expires = f", expires {found.expires_at.date()}" if found.expires_at else ""
        typer.echo(
            f"{model}: {found.level} risk (likelihood {int(found.likelihood)} x severity"
            f" {int(found.severity)} = {found.score}){expires}."
        )


@governance_app.command("matrix")
def matrix(
    ctx: typer.Context,
    model: Annotated[str | None, typer.Argument(help="Mark this model's cell.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Show the 5x5 risk matrix, with MODEL's cell in [brackets]."""
    from modelward.domain.risk import render_matrix, render_matrix_text

    with exit_on_domain_error():
        found = env_of(ctx).client.governance.assessment(model) if model else None
        marked = (found.likelihood, found.severity) if found else None
        if json_out:
            print_json({"assessment": found, "matrix": render_matrix(marked=marked)})
            return
        if model and found is None:
            typer.echo(f"{model} has no risk assessment yet.")
        typer.echo(render_matrix_text(marked=marked))


@governance_app.command("history")
def history(ctx: typer.Context, model: str, json_out: JsonOpt = False) -> None:
    """Every risk assessment of MODEL, newest first."""
    with exit_on_domain_error():
        found = env_of(ctx).client.governance.assessment_history(model)
        if json_out:
            print_json(found)
            return
        table(
            f"risk assessments of {model}",
            ["when", "by", "likelihood", "severity", "score", "level", "expires", "rationale"],
            [
                [fmt_time(a.assessed_at), a.assessed_by, int(a.likelihood), int(a.severity)]
                + [a.score, a.level.value, fmt_time(a.expires_at), a.rationale]
                for a in found
            ],
        )


@governance_app.command("status")
def status(ctx: typer.Context, model: str, version: int, json_out: JsonOpt = False) -> None:
    """The gate checklist of MODEL VERSION. Exits 5 when the gate is not met."""
    with exit_on_domain_error():
        found = env_of(ctx).client.governance.status(model, version)
    if json_out:
        print_json(
            {
                "model": model,
                "version": version,
                "level": found.level,
                "stage": found.stage,
                "allowed": found.decision.allowed,
                "missing": found.decision.missing,
                "items": found.decision.items,
            }
        )
    else:
        level = found.level or "not assessed (severe policy applies)"
        console().print(f"[bold]{model} v{version}[/bold]: risk {level}, stage {found.stage.value}")
        for item in found.decision.items:
            mark = "[green]\\[x][/green]" if item.met else "[red]\\[ ][/red]"
            console().print(f"{mark} {escape(item.name)}: {escape(item.detail)}")
        verdict = "may be promoted" if found.decision.allowed else "may not be promoted yet"
        console().print(f"{model} v{version} {verdict}.")
    if not found.decision.allowed:
        raise typer.Exit(EXIT_POLICY_VIOLATION)


@governance_app.command("request-review")
def request_review(
    ctx: typer.Context,
    model: str,
    version: int,
    comment: Annotated[str, typer.Option(help="What reviewers should know.")] = "",
) -> None:
    """Ask reviewers to sign off MODEL VERSION (low risk: promoted at once if the gate passes)."""
    with exit_on_domain_error():
        _, promoted = env_of(ctx).client.governance.request_review(model, version, comment=comment)
        typer.echo(f"Review of {model} v{version} requested.")
        if promoted is not None:
            typer.echo(f"Low risk and the gate passes: {model}@{promoted.alias} -> v{version}.")


def _sign(ctx: typer.Context, model: str, version: int, role: str, comment: str, ok: bool) -> None:
    with exit_on_domain_error():
        gov = env_of(ctx).client.governance
        if ok:
            done = gov.approve(model, version, role=role, comment=comment)
        else:
            done = gov.reject(model, version, role=role, comment=comment)
        verb = "approved" if ok else "rejected"
        typer.echo(f"{done.user} {verb} {model} v{version} as {role}.")


RoleOpt = Annotated[str, typer.Option(help="The role you sign in (validator, risk_manager ...).")]


@governance_app.command("approve")
def approve(
    ctx: typer.Context,
    model: str,
    version: int,
    role: RoleOpt,
    comment: Annotated[str, typer.Option(help="Kept with the sign-off.")] = "",
) -> None:
    """Approve MODEL VERSION in ROLE."""
    _sign(ctx, model, version, role, comment, True)


@governance_app.command("reject")
def reject(
    ctx: typer.Context,
    model: str,
    version: int,
    role: RoleOpt,
    comment: Annotated[str, typer.Option(help="Why (required).")] = "",
) -> None:
    """Reject MODEL VERSION in ROLE, saying why."""
    _sign(ctx, model, version, role, comment, False)


@policy_app.command("show")
def policy_show(
    ctx: typer.Context,
    level: Annotated[str | None, typer.Argument(help="low, medium, high or severe.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Show the policy of one risk level, or of all."""
    from modelward.domain.policy import policy_as_dict
    from modelward.domain.risk import RiskLevel
    from modelward.errors import InvalidInput
    from modelward.governance.policies import render_policies, render_policy

    with exit_on_domain_error():
        policies = env_of(ctx).client.governance.policies
        if level is not None and level not in set(RiskLevel):
            raise InvalidInput(f"Unknown risk level {level!r}; use low, medium, high or severe.")
        chosen = [RiskLevel(level)] if level else list(RiskLevel)
        if json_out:
            print_json([policy_as_dict(policies.for_level(lv)) for lv in chosen])
        elif level:
            typer.echo(render_policy(policies.for_level(RiskLevel(level))))
        else:
            typer.echo(render_policies(policies))


@governance_app.command("card-set")
def card_set(
    ctx: typer.Context,
    model: str,
    version: Annotated[int, typer.Argument(help="The version; 0 sets it for every version.")],
    field: Annotated[str, typer.Option(help="intended_use, limitations, training_data ...")],
    value: Annotated[str, typer.Option(help="The text.")],
) -> None:
    """Fill a model card field of MODEL VERSION (audited)."""
    with exit_on_domain_error():
        env_of(ctx).client.governance.set_card_field(model, version, field, value)
        which = f"v{version}" if version else "every version"
        typer.echo(f"Model card field {field} of {model} ({which}) set.")


@governance_app.command("tag-data")
def tag_data(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Argument(help="Dataset fingerprint (or a unique prefix).")],
    column: str,
    personal: Annotated[
        bool, typer.Option("--personal/--not-personal", help="Personal data?")
    ] = True,
    legal_basis: Annotated[
        str | None,
        typer.Option(
            help="GDPR Art. 6(1): consent, contract, legal_obligation, vital_interests,"
            " public_task or legitimate_interests (or 6(1)(a)-(f)); the purpose goes in --note."
        ),
    ] = None,
    note: Annotated[str, typer.Option(help="Kept with the tag.")] = "",
) -> None:
    """Tag COLUMN of DATASET as personal data (with its legal basis) or not."""
    with exit_on_domain_error():
        tag = env_of(ctx).client.governance.tag_column(
            dataset, column, personal=personal, legal_basis=legal_basis, note=note
        )
        kind = "personal data" if tag.personal_data else "not personal data"
        basis = f", legal basis: {tag.legal_basis}" if tag.legal_basis else ""
        typer.echo(f"{tag.dataset_id[:12]}.{column}: {kind}{basis}.")


@governance_app.command("tags")
def tags(
    ctx: typer.Context,
    dataset: Annotated[str | None, typer.Argument(help="Only this dataset.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """List dataset column tags (with DATASET: its own, then those its columns inherit from
    its model's other data sets; the dataset column names where each was set)."""
    with exit_on_domain_error():
        found = env_of(ctx).client.governance.column_tags(dataset)
        if json_out:
            print_json(found)
            return
        table(
            f"{len(found)} column tag(s)",
            ["dataset", "column", "personal", "legal basis", "by", "when"],
            [
                [t.dataset_id[:12], t.column, "yes" if t.personal_data else "no"]
                + [t.legal_basis or "-", t.tagged_by, fmt_time(t.tagged_at)]
                for t in found
            ],
        )


@governance_app.command("lineage")
def lineage(
    ctx: typer.Context,
    dataset: Annotated[str | None, typer.Option(help="Dataset fingerprint or prefix.")] = None,
    column: Annotated[str | None, typer.Option(help="A column name.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Which model versions were trained on a dataset, or on a column."""
    with exit_on_domain_error():
        found = env_of(ctx).client.governance.lineage(dataset=dataset, column=column)
        if json_out:
            print_json(found)
            return
        table(
            f"{len(found)} model version(s)",
            ["model", "version", "run", "dataset", "name", "role"],
            [
                [e.model, e.version, e.run_id[:12], e.dataset_id[:12], e.dataset_name, e.role]
                for e in found
            ],
        )


@governance_app.command("require-server")
def require_server(
    ctx: typer.Context,
    state: Annotated[str | None, typer.Argument(help="on or off; omit to show.")] = None,
) -> None:
    """Show or set `require_server`: once on, local writes are refused and every change goes
    through the platform server (turning it off takes an admin through the server)."""
    with exit_on_domain_error():
        governance = env_of(ctx).client.governance
        if state is None:
            typer.echo(f"require_server: {'on' if governance.require_server() else 'off'}")
            return
        if state not in ("on", "off"):
            raise InvalidInput(f"Say 'on' or 'off', got {state!r}.")
        governance.set_require_server(state == "on")
        typer.echo(f"require_server: {state}")
