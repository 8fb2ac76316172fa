"""The governance sections of the model card (intended use, limitations, data, metrics,
fairness, risk with the 5x5 matrix, approvals, history) and the card as HTML.

The card itself is `registry.card`; these sections go in through its `extra_sections`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from modelward.domain.audit import AuditEvent
from modelward.domain.governance import CARD_FIELDS
from modelward.domain.policy import PersonalDataUse, PolicySet, SignOff
from modelward.domain.ports import ArtifactStore, Guard, UnitOfWork
from modelward.domain.registry import AliasEvent
from modelward.domain.reports import ReportRecord
from modelward.domain.risk import RiskAssessment, render_matrix_markdown
from modelward.domain.roles import Action
from modelward.errors import InvalidInput
from modelward.governance.policies import render_policy
from modelward.registry import card as registry_card

_MISSING = (
    "_not filled in; set it with 'modelward governance card-set {model} {version}"
    " --field {field} --value ...'_"
)


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    if not rows:
        return "_none recorded_"
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


@dataclass(frozen=True)
class _Facts:
    model: str
    version: int
    fields: dict[str, str]
    assessment: RiskAssessment | None
    report: ReportRecord | None
    sign_offs: list[SignOff]
    personal: list[PersonalDataUse]
    aliases: list[AliasEvent]
    events: list[AuditEvent]
    recorded_data: tuple[str, ...] = ()  # the version's own training run's data sets


def _training_data(facts: _Facts) -> str:
    """The field if a person wrote it, else what the record says about *this* version's data
    (the data sets its training run logged), marked as such."""
    if facts.fields.get("training_data", "").strip() or not facts.recorded_data:
        return _field(facts, "training_data")
    listed = "\n".join(f"- {line}" for line in facts.recorded_data)
    return f"From the record of v{facts.version}'s training run:\n\n{listed}"


def _field(facts: _Facts, name: str) -> str:
    value = facts.fields.get(name, "").strip()
    return value or _MISSING.format(model=facts.model, version=facts.version, field=name)


def _checks(facts: _Facts, *, fairness: bool) -> list[dict[str, Any]]:
    checks = facts.report.summary.get("checks", []) if facts.report else []
    return [c for c in checks if (str(c.get("name", "")).startswith("fairness.")) == fairness]


def _checks_table(checks: list[dict[str, Any]]) -> str:
    def show(value: object) -> str:
        return f"{value:.4g}" if isinstance(value, float) else "-" if value is None else str(value)

    rows = [
        [c["name"], show(c.get("value")), show(c.get("threshold")), show(c.get("passed"))]
        for c in checks
    ]
    return _table(["check", "value", "threshold", "passed"], rows)


def _risk(facts: _Facts, policies: PolicySet) -> str:
    found = facts.assessment
    if found is None:
        head = f"_Not assessed; run 'modelward governance assess {facts.model}'._"
        return head + "\n\n" + render_matrix_markdown()
    expires = found.expires_at.date().isoformat() if found.expires_at else "never"
    head = (
        f"**{found.level.value} risk**: likelihood {int(found.likelihood)}"
        f" ({found.likelihood.label}) x severity {int(found.severity)} ({found.severity.label})"
        f" = {found.score}. Assessed by {found.assessed_by} on"
        f" {found.assessed_at.date().isoformat()}; expires {expires}."
    )
    rationale = f"\n\nRationale: {found.rationale}" if found.rationale else ""
    matrix = render_matrix_markdown(marked=(found.likelihood, found.severity))
    policy = render_policy(policies.for_assessment(found))
    return f"{head}{rationale}\n\n{matrix}\n\n```\n{policy}\n```"


def sections(facts: _Facts, policies: PolicySet) -> dict[str, str]:
    """The governance sections, in card order (pure)."""
    personal = _table(
        ["dataset", "column", "legal basis"],
        [[p.dataset, p.column, p.legal_basis or "**none recorded**"] for p in facts.personal],
    )
    report = facts.report
    validated = (
        f"Latest validation {report.created_at.date().isoformat()} by {report.created_by}:"
        f" {'passed' if report.passed else 'failed'}."
        if report
        else "_No validation report._"
    )
    approvals = _table(
        ["when", "who", "role", "decision", "comment"],
        [
            [s.at.isoformat(timespec="seconds"), s.user, s.role, s.decision.value, s.comment]
            for s in facts.sign_offs
        ],
    )
    moves = [
        [e.at.isoformat(timespec="seconds"), e.actor, f"{e.alias} -> v{e.version}"]
        for e in facts.aliases
        if e.version == facts.version or e.previous_version == facts.version
    ]
    events = [[e.at.isoformat(timespec="seconds"), e.actor, e.action] for e in facts.events]
    return {
        "Intended use": "Business owner: "
        + _field(facts, "business_owner")
        + "\n\n"
        + _field(facts, "intended_use")
        + "\n\nOut of scope: "
        + _field(facts, "out_of_scope_use"),
        "Limitations": _field(facts, "limitations") + "\n\n" + _field(facts, "caveats"),
        "Training data": _training_data(facts) + "\n\nPersonal data used:\n\n" + personal,
        "Metrics": validated + "\n\n" + _checks_table(_checks(facts, fairness=False)),
        "Fairness": _checks_table(_checks(facts, fairness=True))
        + "\n\nEthical considerations: "
        + _field(facts, "ethical_considerations"),
        "Risk": _risk(facts, policies),
        "Approvals": approvals,
        "History": _table(["when", "who", "what"], sorted([*moves, *events])),
    }


def _recorded_data(uow: UnitOfWork, run_id: str | None) -> tuple[str, ...]:
    run = uow.tracking.get_run(run_id) if run_id else None
    return tuple(
        f"{d.name} ({d.role}): {d.row_count} rows, {len(d.schema)} columns,"
        f" fingerprint {d.dataset_id[:12]}"
        for d in (run.datasets if run else ())
    )


def _read(uow: UnitOfWork, model: str, version: int) -> _Facts:
    with uow:
        target = uow.registry.get_version(model, version)
        events = uow.audit.list_events(entity_id=f"{model}/{version}", limit=100)
        events += uow.audit.list_events(entity_type="model", entity_id=model, limit=100)
        return _Facts(
            model=model,
            version=version,
            fields=uow.governance.card_fields(model, version),
            assessment=uow.governance.find_assessment(model),
            report=uow.validation.latest_report(model, version),
            sign_offs=uow.governance.list_sign_offs(model, version),
            personal=uow.governance.personal_data_uses(model, version),
            aliases=uow.registry.alias_history(model),
            events=events,
            recorded_data=_recorded_data(uow, target.run_id),
        )


def model_card(
    uow: UnitOfWork,
    artifacts: ArtifactStore,
    *,
    model: str,
    version: int,
    policies: PolicySet,
    html: bool = False,
) -> str:
    """The model card of MODEL VERSION with the governance sections, as Markdown or HTML.

    Raises:
        NotFound: no such model or version.
    """
    extra = sections(_read(uow, model, version), policies)
    text = registry_card.model_card(
        uow, artifacts, name=model, version=version, extra_sections=extra
    )
    return to_html(text, title=f"Model card: {model} v{version}") if html else text


_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
    "table{border-collapse:collapse;margin:.5rem 0}"
    "td,th{border:1px solid #ccc;padding:.25rem .5rem}"
    "strong{background:#fde68a}pre{background:#f5f5f5;padding:.5rem}"
)


_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_REL = "noopener noreferrer nofollow"


def _safe_link(url: str) -> bool:
    # Only web and mail links; javascript:, data:, vbscript:, file: and the like become text.
    # Control characters and spaces are dropped first, as browsers do ("java\tscript:").
    compact = re.sub(r"[\x00-\x20\x7f]+", "", url).lower()
    match = _SCHEME.match(compact)
    return match is None or match.group(1) in _SAFE_SCHEMES


def _link_open(renderer: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
    tokens[idx].attrSet("rel", _REL)
    return str(renderer.renderToken(tokens, idx, options, env))


def markdown_html(markdown: str) -> str:
    """User Markdown as inert HTML: raw HTML escaped, only http(s)/mailto/relative links, each
    with rel="noopener noreferrer nofollow"."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    md.validateLink = _safe_link  # type: ignore[method-assign]
    md.add_render_rule("link_open", _link_open)
    return str(md.render(markdown))


def to_html(markdown: str, *, title: str) -> str:
    """A standalone HTML page of the Markdown card (raw HTML in the text is escaped, links are
    inert: see `markdown_html`)."""
    from html import escape

    body = markdown_html(markdown)
    return (
        f"<!doctype html>\n<html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body>\n{body}</body></html>\n"
    )


def set_card_field(
    uow: UnitOfWork,
    *,
    model: str,
    version: int,
    field: str,
    value: str,
    guard: Guard,
) -> str | None:
    """Fill a model card field of MODEL VERSION (version 0: every version); returns the
    previous value.

    Raises:
        InvalidInput: an unknown field.
        NotFound: no such model or version.
        PermissionDenied: the actor may neither register models nor assess risk.
    """
    policies, actor, now = guard.policies, guard.actor, guard.now()
    known = sorted(
        {*CARD_FIELDS, *(f for p in policies.policies.values() for f in p.required_card_fields)}
    )
    if field not in known:
        raise InvalidInput(f"Unknown model card field {field!r}; use one of {', '.join(known)}.")
    with uow:
        guard.require(uow, Action.REGISTER, Action.ASSESS_RISK)
        previous = uow.governance.set_card_field(model, version, field, value, at=now, by=actor)
        entity = f"{model}/{version}" if version else model
        uow.audit.append(
            AuditEvent(
                "card.field_set",
                "model_version" if version else "model",
                entity,
                actor,
                now,
                before={field: previous},
                after={field: value},
            )
        )
        uow.commit()
    return previous
