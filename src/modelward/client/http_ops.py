"""Validation, governance and deployment namespaces of the client over the platform server.

Same method names and results as the local namespaces (`client/validation.py`,
`client/governance.py`, `client/deploy.py`) for what a remote user does; workspace
administration (checkpoints, policy files, packaging, batch scoring) stays local.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from modelward.client.http import HttpBackend, _parquet, segment
from modelward.domain.audit import AuditEvent
from modelward.domain.deployment import (
    DEFAULT_MAX_BODY_BYTES,
    Deployment,
    DeploymentConfig,
    Strategy,
    UnseenCategories,
)
from modelward.domain.governance import LineageEntry, ReviewRequest, User
from modelward.domain.policy import Decision, SignOff
from modelward.domain.registry import AliasEvent
from modelward.domain.reports import ReportRecord
from modelward.domain.results import ValidationReport
from modelward.domain.risk import RiskAssessment
from modelward.domain.tokens import DEFAULT_TOKEN_DAYS, ApiToken, RevokedUser
from modelward.schemas import core, identity, ops
from modelward.validation.service import Validated


def _validated(found: Any) -> Validated:
    out = core.ValidationOut.model_validate(found)
    return Validated(ValidationReport.from_dict(out.report), out.record.to_domain())


class HttpValidationClient:
    """`client.validation` over the server (data is uploaded as Parquet)."""

    def __init__(self, backend: HttpBackend) -> None:
        self._b = backend

    def validate(
        self,
        model_uri: str,
        data: Any,
        *,
        target: str,
        sensitive: Sequence[str] = (),
        against: str | None = None,
        config: Mapping[str, Any] | None = None,
        custom_metrics: Mapping[str, Any] | None = None,
    ) -> Validated:
        if custom_metrics:
            from modelward.errors import InvalidInput

            raise InvalidInput(
                "Custom metric callables run only locally; unset MODELWARD_SERVER_URL."
            )
        form = {"model_uri": model_uri, "target": target, "sensitive": ",".join(sensitive)}
        if against:
            form["against"] = against
        if config is not None:
            form["config"] = json.dumps(config if isinstance(config, Mapping) else vars(config))
        files = {"file": ("data.parquet", _parquet(data), "application/octet-stream")}
        return _validated(self._b.json("POST", "/validations", data=form, files=files))

    def latest(self, model: str, version: int) -> Validated:
        return _validated(
            self._b.json("GET", f"/models/{segment(model)}/versions/{segment(version)}/report")
        )

    def list(self, model: str, version: int | None = None) -> list[ReportRecord]:
        params = {"version": version} if version is not None else {}
        found = self._b.json("GET", f"/models/{segment(model)}/reports", params=params)
        return [core.ReportRecordOut.model_validate(r).to_domain() for r in found]

    def html(self, record: ReportRecord) -> str:
        path = f"/models/{segment(record.model)}/versions/{segment(record.version)}/report.html"
        return self._b.call("GET", path).text


class HttpGovernanceClient:
    """`client.governance` over the server: risk, reviews, sign-offs, users, audit, inventory."""

    def __init__(self, backend: HttpBackend) -> None:
        self._b = backend

    def assess(
        self,
        model: str,
        *,
        likelihood: object = None,
        severity: object = None,
        rationale: str = "",
        answers: Mapping[str, object] | None = None,
    ) -> RiskAssessment:
        body = {
            "likelihood": likelihood,
            "severity": severity,
            "rationale": rationale,
            "answers": dict(answers) if answers is not None else None,
        }
        found = self._b.json("POST", f"/governance/models/{segment(model)}/assessment", json=body)
        return ops.AssessmentOut.model_validate(found).to_domain()

    def require_server(self) -> bool:
        """True when the workspace accepts writes only through its platform server."""
        return bool(self._b.json("GET", "/workspace/require-server")["require_server"])

    def set_require_server(self, on: bool) -> bool:
        """Turn `require_server` on or off (an admin); returns the previous value."""
        found = self._b.json("PUT", "/workspace/require-server", json={"require_server": on})
        return bool(found["previous"])

    def assessment_history(self, model: str) -> list[RiskAssessment]:
        found = self._b.json("GET", f"/governance/models/{segment(model)}/assessments")
        return [ops.AssessmentOut.model_validate(a).to_domain() for a in found]

    def assessment(self, model: str) -> RiskAssessment | None:
        history = self.assessment_history(model)
        return history[0] if history else None

    def model_card(self, model: str, version: int, *, html: bool = False) -> str:
        if html:
            path = f"/governance/models/{segment(model)}/versions/{segment(version)}/card"
            return self._b.call("GET", path).text
        return str(
            self._b.json("GET", f"/models/{segment(model)}/versions/{segment(version)}/card")[
                "text"
            ]
        )

    def request_review(
        self, model: str, version: int, *, comment: str = ""
    ) -> tuple[ReviewRequest, AliasEvent | None]:
        """Ask for sign-offs; the second item is the automatic promotion's alias move, if any."""
        path = f"/governance/models/{segment(model)}/versions/{segment(version)}/review"
        found = ops.ReviewOut.model_validate(self._b.json("POST", path, json={"comment": comment}))
        moved = None
        if found.promoted_to:
            params = {"alias": found.promoted_to}
            history = self._b.json("GET", f"/models/{segment(model)}/aliases", params=params)
            moved = core.AliasEventOut.model_validate(history[-1]).to_domain()
        return found.to_domain(), moved

    def approve(self, model: str, version: int, *, role: str, comment: str = "") -> SignOff:
        return self._sign(model, version, role, Decision.APPROVE, comment)

    def reject(self, model: str, version: int, *, role: str, comment: str) -> SignOff:
        return self._sign(model, version, role, Decision.REJECT, comment)

    def _sign(
        self, model: str, version: int, role: str, decision: Decision, comment: str
    ) -> SignOff:
        path = f"/governance/models/{segment(model)}/versions/{segment(version)}/sign-offs"
        body = {"role": role, "decision": decision.value, "comment": comment}
        return ops.SignOffOut.model_validate(self._b.json("POST", path, json=body)).to_domain()

    def status(self, model: str, version: int) -> ops.StatusOut:
        path = f"/governance/models/{segment(model)}/versions/{segment(version)}/status"
        return ops.StatusOut.model_validate(self._b.json("GET", path))

    def add_user(self, name: str, roles: Sequence[str]) -> User:
        found = self._b.json("POST", "/users", json={"name": name, "roles": list(roles)})
        return core.UserOut.model_validate(found).to_domain()

    def users(self) -> list[User]:
        return [core.UserOut.model_validate(u).to_domain() for u in self._b.json("GET", "/users")]

    def whoami(self) -> core.IdentityOut:
        return core.IdentityOut.model_validate(self._b.json("GET", "/whoami"))

    def issue_token(
        self,
        name: str,
        *,
        label: str = "",
        expires_days: int = DEFAULT_TOKEN_DAYS,
        break_glass: bool = False,
    ) -> str:
        if break_glass:
            from modelward.errors import InvalidInput

            raise InvalidInput(
                "--break-glass is for local mode only; through the server an admin issues tokens.",
                field="break_glass",
            )
        body = {"user": name, "label": label, "expires_days": expires_days}
        return identity.TokenOut.model_validate(self._b.json("POST", "/tokens", json=body)).token

    def tokens(self, user: str | None = None) -> list[ApiToken]:
        found = self._b.json("GET", "/tokens", params={"user": user} if user else None)
        return [identity.TokenInfoOut.model_validate(t).to_domain() for t in found]

    def revoke_token(self, token_id: int) -> ApiToken:
        found = self._b.json("POST", f"/tokens/{token_id}/revoke")
        return identity.TokenInfoOut.model_validate(found).to_domain()

    def revoke_user(self, name: str) -> RevokedUser:
        found = self._b.json("POST", f"/users/{quote(name, safe='')}/revoke")
        return identity.RevokedUserOut.model_validate(found).to_domain()

    def lineage(
        self, *, dataset: str | None = None, column: str | None = None
    ) -> list[LineageEntry]:
        params = {k: v for k, v in {"dataset": dataset, "column": column}.items() if v}
        found = self._b.json("GET", "/lineage", params=params)
        return [ops.LineageOut.model_validate(e).to_domain() for e in found]

    def audit_events(
        self, *, entity_type: str | None = None, entity_id: str | None = None, limit: int = 50
    ) -> list[AuditEvent]:
        params: dict[str, Any] = {"limit": limit}
        params |= {
            k: v for k, v in {"entity_type": entity_type, "entity_id": entity_id}.items() if v
        }
        found = self._b.json("GET", "/audit/events", params=params)
        return [core.AuditEventOut.model_validate(e).to_domain() for e in found]

    def verify_audit(self) -> ops.VerifyOut:
        return ops.VerifyOut.model_validate(self._b.json("GET", "/audit/verify"))

    def export_audit(self, fmt: str = "jsonl") -> Iterator[str]:
        yield self._b.call("GET", "/audit/export", params={"fmt": fmt}).text

    def inventory(self, **filters: Any) -> list[ops.InventoryRowOut]:
        rows: list[ops.InventoryRowOut] = []
        while True:
            params = filters | {"offset": len(rows), "limit": 1000}
            page = ops.InventoryPageOut.model_validate(
                self._b.json("GET", "/governance/inventory", params=params)
            )
            rows.extend(page.items)
            if len(rows) >= page.total or not page.items:
                return rows


class HttpDeploymentClient:
    """`client.deployments` over the server (configuration changes; serving stays where it runs)."""

    def __init__(self, backend: HttpBackend) -> None:
        self._b = backend

    def _one(self, method: str, path: str, **kwargs: Any) -> Deployment:
        found = self._b.json(method, f"/deployments{path}", **kwargs)
        return ops.DeploymentOut.model_validate(found).to_domain()

    def create(
        self,
        name: str,
        *,
        model_uri: str,
        environment: str = "production",
        unseen_categories: UnseenCategories | str = UnseenCategories.ALLOW,
        allow_missing: bool = False,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        reason: str = "",
    ) -> Deployment:
        body = {
            "name": name,
            "model_uri": model_uri,
            "environment": environment,
            "unseen_categories": UnseenCategories(unseen_categories).value,
            "allow_missing": allow_missing,
            "max_body_bytes": max_body_bytes,
            "reason": reason,
        }
        return self._one("POST", "", json=body)

    def get(self, name: str) -> Deployment:
        return self._one("GET", f"/{segment(name)}")

    def list(self) -> builtins.list[Deployment]:
        found = self._b.json("GET", "/deployments")
        return [ops.DeploymentOut.model_validate(d).to_domain() for d in found]

    def history(self, name: str) -> builtins.list[DeploymentConfig]:
        found = self._b.json("GET", f"/deployments/{segment(name)}/history")
        return [ops.DeploymentConfigOut.model_validate(c).to_domain() for c in found]

    def set_challenger(
        self,
        name: str,
        version: int,
        *,
        strategy: Strategy | str,
        share: float = 0.0,
        ab_key: str | None = None,
        reason: str = "",
    ) -> Deployment:
        body = {
            "version": version,
            "strategy": Strategy(strategy).value,
            "share": share,
            "ab_key": ab_key,
            "reason": reason,
        }
        return self._one("PUT", f"/{segment(name)}/challenger", json=body)

    def clear_challenger(self, name: str, *, reason: str = "") -> Deployment:
        return self._one("POST", f"/{segment(name)}/challenger/clear", json={"reason": reason})

    def promote(self, name: str, *, reason: str = "") -> Deployment:
        return self._one("POST", f"/{segment(name)}/promote", json={"reason": reason})

    def rollback(self, name: str, *, reason: str = "") -> Deployment:
        return self._one("POST", f"/{segment(name)}/rollback", json={"reason": reason})

    def kill(self, name: str, *, fallback: Any = None, reason: str = "") -> Deployment:
        return self._one(
            "POST", f"/{segment(name)}/kill", json={"fallback": fallback, "reason": reason}
        )

    def revive(self, name: str, *, reason: str = "") -> Deployment:
        return self._one("POST", f"/{segment(name)}/revive", json={"reason": reason})


class RemoteMonitoring:
    """Monitoring jobs read the prediction logs where serving writes them: run them there."""

    def __getattr__(self, name: str) -> Any:
        from modelward.errors import InvalidInput

        raise InvalidInput(
            f"client.monitoring.{name} runs next to the prediction logs; unset"
            " MODELWARD_SERVER_URL there (the server shows monitoring results in its UI)."
        )


def remote_monitoring(backend: HttpBackend) -> RemoteMonitoring:
    """The monitoring namespace of a remote client."""
    return RemoteMonitoring()
