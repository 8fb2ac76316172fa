"""`client.governance` over the platform server: the same methods and results as the local
`client/governance.py` (the `GovernanceAPI` Protocol of `client/contract.py`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from modelward import errors
from modelward.client.http import HttpBackend, segment
from modelward.domain.audit import AuditEvent
from modelward.domain.gate import GateDecision
from modelward.domain.governance import (
    CheckpointRecord,
    ColumnTag,
    LineageEntry,
    ReviewRequest,
    User,
)
from modelward.domain.policy import Decision, PolicySet, SignOff
from modelward.domain.questionnaire import Suggestion, suggest
from modelward.domain.registry import AliasEvent
from modelward.domain.risk import RiskAssessment
from modelward.domain.tokens import DEFAULT_TOKEN_DAYS, ApiToken, RevokedUser
from modelward.governance.audit_verify import VerifyResult
from modelward.governance.inventory import InventoryRow
from modelward.governance.policies import parse_policies
from modelward.governance.service import GovernanceStatus
from modelward.governance.users import Identity
from modelward.schemas import core, identity, ops
from modelward.schemas import domain as wire


def _version_path(model: str, version: int) -> str:
    return f"/governance/models/{segment(model)}/versions/{segment(version)}"


class HttpGovernanceClient:
    """`client.governance` over the server: risk, reviews, sign-offs, gates, users, tokens,
    data governance, audit trail, inventory."""

    def __init__(self, backend: HttpBackend) -> None:
        self._b = backend
        self._settings: ops.GovernanceSettingsOut | None = None
        self._policies: PolicySet | None = None

    def _governance_settings(self) -> ops.GovernanceSettingsOut:
        found = ops.GovernanceSettingsOut.model_validate(
            self._b.json("GET", "/governance/settings")
        )
        if self._settings is None or found.policies != self._settings.policies:
            self._policies = parse_policies(found.policies, name="<server policies>")
        self._settings = found
        return found

    @property
    def policies(self) -> PolicySet:
        """The policies in force on the server."""
        self._governance_settings()
        assert self._policies is not None  # set by _governance_settings
        return self._policies

    @property
    def protected_aliases(self) -> tuple[str, ...]:
        """Aliases whose moves pass the gate."""
        return tuple(self._governance_settings().protected_aliases)

    @property
    def protected_environments(self) -> tuple[str, ...]:
        """Deployment environments whose changes pass the gate."""
        return tuple(self._governance_settings().protected_environments)

    # -- risk --------------------------------------------------------------------------

    def suggest(self, answers: Mapping[str, object]) -> Suggestion:
        """Likelihood and severity the questionnaire suggests (pure: computed here)."""
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
        body = {
            "likelihood": likelihood,
            "severity": severity,
            "rationale": rationale,
            "answers": dict(answers) if answers is not None else None,
        }
        found = self._b.json("POST", f"/governance/models/{segment(model)}/assessment", json=body)
        return ops.AssessmentOut.model_validate(found).to_domain()

    def assessment_history(self, model: str) -> list[RiskAssessment]:
        """Every assessment of the model, newest first."""
        found = self._b.json("GET", f"/governance/models/{segment(model)}/assessments")
        return [ops.AssessmentOut.model_validate(a).to_domain() for a in found]

    def assessment(self, model: str) -> RiskAssessment | None:
        """The model's current assessment."""
        history = self.assessment_history(model)
        return history[0] if history else None

    # -- reviews, sign-offs, gates -----------------------------------------------------

    def request_review(
        self, model: str, version: int, *, comment: str = ""
    ) -> tuple[ReviewRequest, AliasEvent | None]:
        """Ask for sign-offs; the second item is the automatic promotion's alias move, if any."""
        path = f"{_version_path(model, version)}/review"
        found = ops.ReviewOut.model_validate(self._b.json("POST", path, json={"comment": comment}))
        moved = None
        if found.promoted_to:
            params = {"alias": found.promoted_to}
            history = self._b.json("GET", f"/models/{segment(model)}/aliases", params=params)
            moved = core.AliasEventOut.model_validate(history[-1]).to_domain()
        return found.to_domain(), moved

    def auto_promote(self, model: str, version: int) -> AliasEvent | None:
        """Promote to the first protected alias if the policy allows it automatically and the
        gate passes; None (nothing changed) otherwise."""
        found = self._b.json("POST", f"{_version_path(model, version)}/auto-promote")
        event = ops.AutoPromotedOut.model_validate(found).event
        return event.to_domain() if event is not None else None

    def approve(self, model: str, version: int, *, role: str, comment: str = "") -> SignOff:
        """Approve MODEL VERSION in `role`."""
        return self._sign(model, version, role, Decision.APPROVE, comment)

    def reject(self, model: str, version: int, *, role: str, comment: str) -> SignOff:
        """Reject MODEL VERSION in `role`; the comment says why."""
        return self._sign(model, version, role, Decision.REJECT, comment)

    def _sign(
        self, model: str, version: int, role: str, decision: Decision, comment: str
    ) -> SignOff:
        path = f"{_version_path(model, version)}/sign-offs"
        body = {"role": role, "decision": decision.value, "comment": comment}
        return ops.SignOffOut.model_validate(self._b.json("POST", path, json=body)).to_domain()

    def status(self, model: str, version: int) -> GovernanceStatus:
        """The gate checklist and stage of MODEL VERSION."""
        found = self._b.json("GET", f"{_version_path(model, version)}/governance-status")
        return wire.load(GovernanceStatus, found)

    def check_promotion(self, model: str, version: int) -> GateDecision:
        """The gate decision; raises PolicyViolation listing every unmet item."""
        found = self._b.json("GET", f"{_version_path(model, version)}/gate")
        return wire.load(GateDecision, found)

    def set_card_field(self, model: str, version: int, field: str, value: str) -> str | None:
        """Fill a model card field (version 0: every version); returns the previous value."""
        path = f"/governance/models/{segment(model)}/card-fields/{segment(field)}"
        found = self._b.json("PUT", path, json={"version": version, "value": value})
        return ops.PreviousOut.model_validate(found).previous

    def model_card(self, model: str, version: int, *, html: bool = False) -> str:
        """The full model card (Markdown, or HTML)."""
        if html:
            return self._b.call("GET", f"{_version_path(model, version)}/card").text
        path = f"/models/{segment(model)}/versions/{segment(version)}/card"
        return str(self._b.json("GET", path)["text"])

    # -- users and tokens --------------------------------------------------------------

    def add_user(self, name: str, roles: Sequence[str]) -> User:
        """Register a user (if new) with roles."""
        found = self._b.json("POST", "/users", json={"name": name, "roles": list(roles)})
        return core.UserOut.model_validate(found).to_domain()

    def users(self) -> list[User]:
        """Registered users."""
        return [core.UserOut.model_validate(u).to_domain() for u in self._b.json("GET", "/users")]

    def whoami(self) -> Identity:
        """The token's user and their roles."""
        found = core.IdentityOut.model_validate(self._b.json("GET", "/whoami"))
        return Identity(found.user, tuple(found.roles), found.bootstrap)

    def issue_token(
        self,
        name: str,
        *,
        label: str = "",
        expires_days: int = DEFAULT_TOKEN_DAYS,
        break_glass: bool = False,
    ) -> str:
        """A new API token for user `name` (shown once); break glass is local only."""
        if break_glass:
            raise errors.InvalidInput(
                "--break-glass is for local mode only; through the server an admin issues tokens.",
                field="break_glass",
            )
        body = {"user": name, "label": label, "expires_days": expires_days}
        return identity.TokenOut.model_validate(self._b.json("POST", "/tokens", json=body)).token

    def require_server(self) -> bool:
        """True when the workspace accepts writes only through its platform server."""
        return bool(self._b.json("GET", "/workspace/require-server")["require_server"])

    def set_require_server(self, on: bool) -> bool:
        """Turn `require_server` on or off (an admin); returns the previous value."""
        found = self._b.json("PUT", "/workspace/require-server", json={"require_server": on})
        return bool(found["previous"])

    def tokens(self, user: str | None = None) -> list[ApiToken]:
        """API tokens (of `user`; default: everyone's if you may manage roles, else yours)."""
        found = self._b.json("GET", "/tokens", params={"user": user} if user else None)
        return [identity.TokenInfoOut.model_validate(t).to_domain() for t in found]

    def revoke_token(self, token_id: int) -> ApiToken:
        """Revoke one API token (and the web sessions signed in with it)."""
        found = self._b.json("POST", f"/tokens/{token_id}/revoke")
        return identity.TokenInfoOut.model_validate(found).to_domain()

    def revoke_user(self, name: str) -> RevokedUser:
        """Revoke every API token and web session of user `name`."""
        found = self._b.json("POST", f"/users/{quote(name, safe='')}/revoke")
        return identity.RevokedUserOut.model_validate(found).to_domain()

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
        path = f"/governance/datasets/{segment(dataset)}/columns/{segment(column)}/tag"
        body = {"personal": personal, "legal_basis": legal_basis, "note": note}
        return wire.load(ColumnTag, self._b.json("PUT", path, json=body))

    def column_tags(self, dataset: str | None = None) -> list[ColumnTag]:
        """Column tags of one dataset or all."""
        params = {"dataset": dataset} if dataset else None
        return wire.load(
            list[ColumnTag], self._b.json("GET", "/governance/column-tags", params=params)
        )

    def lineage(
        self, *, dataset: str | None = None, column: str | None = None
    ) -> list[LineageEntry]:
        """Model versions trained on a dataset, or on any dataset with a column."""
        params = {k: v for k, v in {"dataset": dataset, "column": column}.items() if v}
        found = self._b.json("GET", "/lineage", params=params)
        return [ops.LineageOut.model_validate(e).to_domain() for e in found]

    # -- audit trail -------------------------------------------------------------------

    def verify_audit(self) -> VerifyResult:
        """Verify the audit chain against every checkpoint (does not raise on tampering)."""
        return wire.load(VerifyResult, self._b.json("GET", "/audit/verify/result"))

    def checkpoint_audit(self) -> CheckpointRecord:
        """Verify, then anchor the chain head (in the server's workspace)."""
        return wire.load(CheckpointRecord, self._b.json("POST", "/audit/checkpoints"))

    def checkpoints(self) -> list[CheckpointRecord]:
        """The checkpoints indexed in the database, oldest first."""
        return wire.load(list[CheckpointRecord], self._b.json("GET", "/audit/checkpoints"))

    def audit_events(
        self, *, entity_type: str | None = None, entity_id: str | None = None, limit: int = 50
    ) -> list[AuditEvent]:
        """The newest audit events (about one entity, if given), newest first."""
        params: dict[str, Any] = {"limit": limit}
        params |= {
            k: v for k, v in {"entity_type": entity_type, "entity_id": entity_id}.items() if v
        }
        found = self._b.json("GET", "/audit/events", params=params)
        return [core.AuditEventOut.model_validate(e).to_domain() for e in found]

    def export_audit(self, fmt: str = "jsonl") -> Iterator[str]:
        """The trail as JSON Lines or CSV text (one chunk)."""
        yield self._b.call("GET", "/audit/export", params={"fmt": fmt}).text

    # -- inventory ---------------------------------------------------------------------

    def inventory(self, **filters: Any) -> list[InventoryRow]:
        """Every model with risk, stage, validation, pending sign-offs and what is overdue.

        Filters: risk, stage, overdue, pending, owner, search.
        """
        rows: list[InventoryRow] = []
        given = {k: v for k, v in filters.items() if v is not None}  # None: no filter
        while True:
            params = given | {"offset": len(rows), "limit": 1000}
            page = ops.InventoryPageOut.model_validate(
                self._b.json("GET", "/governance/inventory", params=params)
            )
            rows.extend(
                InventoryRow(
                    **page_row.model_dump(exclude={"overdue", "pending_sign_offs"}),
                    pending_sign_offs=tuple(page_row.pending_sign_offs),
                )
                for page_row in page.items
            )
            if len(rows) >= page.total or not page.items:
                return rows
