"""GovernanceClient: risk, reviews, sign-offs, gates, users, data tags, audit, inventory, card.

Policies come from `Settings.policy_file` (MODELWARD_POLICY_FILE), else the `policy_file` key
of `./modelward.yaml` (relative to that file), else the shipped defaults. The workspace file
`audit-checkpoints.json` keeps the newest checkpoint addresses outside the database.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from modelward.client.local import LocalBackend
from modelward.domain.audit import AuditEvent
from modelward.domain.governance import (
    CheckpointRecord,
    ColumnTag,
    LineageEntry,
    ReviewRequest,
    User,
)
from modelward.domain.policy import Decision, GateDecision, PolicySet, SignOff
from modelward.domain.questionnaire import Suggestion, suggest
from modelward.domain.registry import AliasEvent
from modelward.domain.risk import RiskAssessment
from modelward.domain.tokens import DEFAULT_TOKEN_DAYS, ApiToken, RevokedUser
from modelward.governance import assessment as risk_service
from modelward.governance import card, data, service, tokens, trail, workspace_settings
from modelward.governance import inventory as inventory_service
from modelward.governance import users as user_service
from modelward.governance.audit_verify import VerifyResult
from modelward.store.private import private_dir, write_private

CHECKPOINT_FILE = "audit-checkpoints.json"
KEEP_CHECKPOINTS = 100


def workspace_policies(backend: LocalBackend) -> PolicySet:
    """The workspace's policies (re-read when the file changes)."""
    return backend.workspace.policies


class GovernanceClient:
    """Risk assessments, reviews and sign-offs, gates, users, data governance, audit trail."""

    def __init__(self, backend: LocalBackend) -> None:
        self._b = backend

    @property
    def policies(self) -> PolicySet:
        """The policies in force (defaults merged with the workspace's policy file)."""
        return self._b.workspace.policies

    @property
    def protected_aliases(self) -> tuple[str, ...]:
        """Aliases whose moves pass the gate."""
        return self._b.workspace.protected_aliases

    @property
    def protected_environments(self) -> tuple[str, ...]:
        """Deployment environments whose changes pass the gate."""
        return self._b.workspace.protected_environments

    def _common(self) -> dict[str, Any]:
        return {"policies": self.policies, "actor": self._b.actor, "now": self._b.now()}

    # -- risk --------------------------------------------------------------------------

    def suggest(self, answers: Mapping[str, object]) -> Suggestion:
        """Likelihood and severity the questionnaire suggests, with the reasons."""
        return suggest(answers)

    def assess(
        self,
        model: str,
        *,
        likelihood: object = None,
        severity: object = None,
        rationale: str = "",
        answers: Mapping[str, object] | None = None,
    ) -> RiskAssessment:
        """Record a risk assessment (explicit values, or questionnaire answers)."""
        return risk_service.assess_risk(
            self._b.uow(),
            model=model,
            likelihood=likelihood,
            severity=severity,
            rationale=rationale,
            answers=answers,
            guard=self._b.guard(),
        )

    def assessment(self, model: str) -> RiskAssessment | None:
        """The model's current assessment."""
        return risk_service.get_assessment(self._b.uow(read_only=True), model=model)

    def assessment_history(self, model: str) -> list[RiskAssessment]:
        """Every assessment of the model, newest first."""
        return risk_service.assessment_history(self._b.uow(read_only=True), model=model)

    # -- reviews, sign-offs, gates -----------------------------------------------------

    def request_review(
        self, model: str, version: int, *, comment: str = ""
    ) -> tuple[ReviewRequest, AliasEvent | None]:
        """Ask for sign-offs; a low-risk version whose policy auto-promotes and whose gate
        passes is promoted to the first protected alias right away (returned as the event)."""
        request = service.request_review(
            self._b.uow(), model=model, version=version, comment=comment, guard=self._b.guard()
        )
        return request, self.auto_promote(model, version)

    def auto_promote(self, model: str, version: int) -> AliasEvent | None:
        """Promote to the first protected alias if the policy allows it automatically and the
        gate passes; None (nothing changed) otherwise."""
        first = self.protected_aliases[0] if self.protected_aliases else None
        return service.auto_promote(
            self._b.uow(), guard=self._b.guard(), model=model, version=version, alias=first
        )

    def approve(self, model: str, version: int, *, role: str, comment: str = "") -> SignOff:
        """Approve MODEL VERSION in `role`."""
        return self._sign(model, version, role, Decision.APPROVE, comment)

    def reject(self, model: str, version: int, *, role: str, comment: str) -> SignOff:
        """Reject MODEL VERSION in `role`; the comment says why."""
        return self._sign(model, version, role, Decision.REJECT, comment)

    def _sign(
        self, model: str, version: int, role: str, decision: Decision, comment: str
    ) -> SignOff:
        return service.record_sign_off(
            self._b.uow(),
            model=model,
            version=version,
            role=role,
            decision=decision,
            comment=comment,
            guard=self._b.guard(),
        )

    def status(self, model: str, version: int) -> service.GovernanceStatus:
        """The gate checklist and stage of MODEL VERSION."""
        return service.governance_status(
            self._b.uow(read_only=True),
            model=model,
            version=version,
            policies=self.policies,
            now=self._b.now(),
            protected=self.protected_aliases,
        )

    def check_promotion(self, model: str, version: int) -> GateDecision:
        """The gate decision; raises PolicyViolation listing every unmet item."""
        uow = self._b.uow(read_only=True)
        with uow:
            target = uow.registry.get_version(model, version)
            return service.check_promotion(uow, target, policies=self.policies, now=self._b.now())

    def set_card_field(self, model: str, version: int, field: str, value: str) -> str | None:
        """Fill a model card field (version 0: every version); returns the previous value."""
        return card.set_card_field(
            self._b.uow(),
            model=model,
            version=version,
            field=field,
            value=value,
            guard=self._b.guard(),
        )

    def model_card(self, model: str, version: int, *, html: bool = False) -> str:
        """The full model card (Markdown, or HTML)."""
        return card.model_card(
            self._b.uow(read_only=True),
            self._b.artifacts,
            model=model,
            version=version,
            policies=self.policies,
            html=html,
        )

    # -- users -------------------------------------------------------------------------

    def add_user(self, name: str, roles: Sequence[str]) -> User:
        """Register a user (if new) with roles."""
        return user_service.add_user(self._b.uow(), name=name, roles=roles, guard=self._b.guard())

    def users(self) -> list[User]:
        """Registered users."""
        return user_service.list_users(self._b.uow(read_only=True))

    def whoami(self) -> user_service.Identity:
        """The acting user and their roles."""
        return user_service.whoami(
            self._b.uow(read_only=True), actor=self._b.actor, policies=self.policies
        )

    def issue_token(
        self,
        name: str,
        *,
        label: str = "",
        expires_days: int = DEFAULT_TOKEN_DAYS,
        break_glass: bool = False,
    ) -> str:
        """A new API token for user `name` (shown once; only its hash is stored).

        Locally the acting user (MODELWARD_USER) is not authenticated, so only your own token
        of a user who may not manage roles is issued here (plus bootstrap and break glass; see
        `governance.tokens`); tokens for others come from the server.
        """
        token, _ = tokens.issue_token(
            self._b.uow(),
            user=name,
            label=tokens.check_label(label),
            expires_days=expires_days,
            break_glass=break_glass,
            guard=self._b.guard(),
        )
        return token

    def require_server(self) -> bool:
        """True when the workspace accepts writes only through its platform server."""
        return workspace_settings.require_server(self._b.uow(read_only=True))

    def set_require_server(self, on: bool) -> bool:
        """Turn `require_server` on (any admin) or off (an admin, through the server only);
        returns the previous value."""
        return workspace_settings.set_require_server(self._b.uow(), guard=self._b.guard(), on=on)

    def tokens(self, user: str | None = None) -> list[ApiToken]:
        """API tokens (of `user`; default: everyone's if you may manage roles, else yours)."""
        return tokens.list_tokens(
            self._b.uow(read_only=True), policies=self.policies, actor=self._b.actor, user=user
        )

    def revoke_token(self, token_id: int) -> ApiToken:
        """Revoke one API token (and the web sessions signed in with it)."""
        return tokens.revoke_token(self._b.uow(), token_id=token_id, guard=self._b.guard())

    def revoke_user(self, name: str) -> RevokedUser:
        """Revoke every API token and web session of user `name`."""
        return tokens.revoke_user(self._b.uow(), user=name, guard=self._b.guard())

    # -- data governance ---------------------------------------------------------------

    def tag_column(
        self,
        dataset: str,
        column: str,
        *,
        personal: bool,
        legal_basis: str | None = None,
        note: str = "",
    ) -> ColumnTag:
        """Mark a dataset column as personal data (with its legal basis) or not."""
        return data.tag_column(
            self._b.uow(),
            dataset=dataset,
            column=column,
            personal_data=personal,
            legal_basis=legal_basis,
            note=note,
            guard=self._b.guard(),
        )

    def column_tags(self, dataset: str | None = None) -> list[ColumnTag]:
        """Column tags of one dataset or all."""
        return data.column_tags(self._b.uow(read_only=True), dataset=dataset)

    def lineage(
        self, *, dataset: str | None = None, column: str | None = None
    ) -> list[LineageEntry]:
        """Model versions trained on a dataset, or on any dataset with a column."""
        return data.lineage(self._b.uow(read_only=True), dataset=dataset, column=column)

    # -- audit trail -------------------------------------------------------------------

    def _anchor_file(self) -> Path:
        return Path(self._b.settings.home) / CHECKPOINT_FILE

    def _anchors(self) -> list[str]:
        # A damaged file hides no checkpoint: the store's refs and the table list them too.
        try:
            listed = json.loads(self._anchor_file().read_text("utf-8")).get("checkpoints", [])
        except (OSError, ValueError, AttributeError):
            return []
        return [str(a) for a in listed] if isinstance(listed, list) else []

    def verify_audit(self) -> VerifyResult:
        """Verify the audit chain against every checkpoint (does not raise on tampering)."""
        return trail.verify_audit(
            self._b.uow(read_only=True), self._b.artifacts, anchors=self._anchors()
        )

    def checkpoint_audit(self) -> CheckpointRecord:
        """Verify, then anchor the chain head in the artifact store and the workspace file."""
        anchors = self._anchors()
        record = trail.write_checkpoint(
            self._b.uow(),
            self._b.uow(read_only=True),
            self._b.artifacts,
            guard=self._b.guard(),
            anchors=anchors,
        )
        kept = [*anchors, record.address][-KEEP_CHECKPOINTS:]
        path = self._anchor_file()
        private_dir(path.parent)
        write_private(path, json.dumps({"checkpoints": kept}, indent=1).encode())  # 0600
        return record

    def audit_events(
        self, *, entity_type: str | None = None, entity_id: str | None = None, limit: int = 50
    ) -> list[AuditEvent]:
        """The newest audit events (about one entity, if given), newest first."""
        return trail.recent_events(
            self._b.uow(read_only=True), entity_type=entity_type, entity_id=entity_id, limit=limit
        )

    def checkpoints(self) -> list[CheckpointRecord]:
        """The checkpoints indexed in the database, oldest first."""
        return trail.list_checkpoints(self._b.uow(read_only=True))

    def export_audit(self, fmt: str = "jsonl") -> Iterator[str]:
        """The trail as JSON Lines or CSV text chunks."""
        return trail.export_audit(self._b.uow(read_only=True), fmt=fmt)

    # -- inventory ---------------------------------------------------------------------

    def inventory(self, **filters: Any) -> list[inventory_service.InventoryRow]:
        """Every model with risk, stage, validation, pending sign-offs and what is overdue.

        Filters: risk, stage, overdue, pending, owner, search.
        """
        return inventory_service.inventory(
            self._b.uow(read_only=True),
            policies=self.policies,
            now=self._b.now(),
            protected=self.protected_aliases,
            **filters,
        )
