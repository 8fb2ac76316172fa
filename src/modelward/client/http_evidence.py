"""`client.evidence` over the platform server: the same methods and results as the local
`client/evidence.py` (the `EvidenceAPI` Protocol of `client/contract.py`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from modelward.client.evidence import verify_pack, write_pack
from modelward.client.http import HttpBackend, segment
from modelward.domain.findings import Finding, GovernanceAlert, Waiver
from modelward.governance.evidence_pack import EvidencePack, read_pack
from modelward.governance.pack_format import PackCheck
from modelward.schemas import domain as wire


def _version_path(model: str, version: int) -> str:
    return f"/governance/models/{segment(model)}/versions/{segment(version)}"


def _scope(model: str | None, version: int | None) -> dict[str, Any]:
    return {k: v for k, v in {"model": model, "version": version}.items() if v is not None}


class HttpEvidenceClient:
    """Findings, waivers, governance alerts and evidence packs, through the server."""

    def __init__(self, backend: HttpBackend) -> None:
        self._b = backend

    def record_finding(
        self,
        model: str,
        version: int,
        *,
        title: str,
        severity: str,
        owner: str,
        due: datetime,
        detail: str = "",
    ) -> Finding:
        """Record a validation finding on MODEL VERSION."""
        body = {
            "title": title,
            "severity": severity,
            "owner": owner,
            "due": due.isoformat(),
            "detail": detail,
        }
        found = self._b.json("POST", f"{_version_path(model, version)}/findings", json=body)
        return wire.load(Finding, found)

    def update_finding(
        self,
        finding_id: int,
        *,
        status: str | None = None,
        severity: str | None = None,
        owner: str | None = None,
        due: datetime | None = None,
        resolution: str = "",
    ) -> Finding:
        """Change a finding's status, severity, owner or due date."""
        body = {
            "status": status,
            "severity": severity,
            "owner": owner,
            "due": due.isoformat() if due else None,
            "resolution": resolution,
        }
        found = self._b.json("PATCH", f"/governance/findings/{segment(finding_id)}", json=body)
        return wire.load(Finding, found)

    def findings(
        self, model: str | None = None, version: int | None = None, *, open_only: bool = False
    ) -> list[Finding]:
        """Findings, oldest first."""
        params = _scope(model, version) | {"open_only": open_only}
        return wire.load(list[Finding], self._b.json("GET", "/governance/findings", params=params))

    def request_waiver(
        self,
        model: str,
        version: int,
        *,
        item: str,
        reason: str,
        approver_role: str,
        expires: datetime,
    ) -> Waiver:
        """Ask that gate item ITEM pass until `expires`."""
        body = {
            "item": item,
            "reason": reason,
            "approver_role": approver_role,
            "expires": expires.isoformat(),
        }
        found = self._b.json("POST", f"{_version_path(model, version)}/waivers", json=body)
        return wire.load(Waiver, found)

    def approve_waiver(self, waiver_id: int, *, comment: str = "") -> Waiver:
        """Approve a waiver."""
        path = f"/governance/waivers/{segment(waiver_id)}/approve"
        return wire.load(Waiver, self._b.json("POST", path, json={"comment": comment}))

    def revoke_waiver(self, waiver_id: int, *, reason: str) -> Waiver:
        """Revoke a waiver."""
        path = f"/governance/waivers/{segment(waiver_id)}/revoke"
        return wire.load(Waiver, self._b.json("POST", path, json={"reason": reason}))

    def waivers(self, model: str | None = None, version: int | None = None) -> list[Waiver]:
        """Waivers, oldest first."""
        found = self._b.json("GET", "/governance/waivers", params=_scope(model, version))
        return wire.load(list[Waiver], found)

    def alerts(self, model: str | None = None, *, within_days: int = 14) -> list[GovernanceAlert]:
        """Overdue findings and waivers expiring within `within_days`."""
        params = _scope(model, None) | {"within_days": within_days}
        found = self._b.json("GET", "/governance/alerts", params=params)
        return wire.load(list[GovernanceAlert], found)

    def pack(self, model: str, version: int, output: str | Path | None = None) -> EvidencePack:
        """Build the evidence pack of MODEL VERSION on the server (written to `output`)."""
        data = self._b.call("GET", f"{_version_path(model, version)}/evidence-pack").content
        return write_pack(read_pack(data), output)

    def verify_pack(self, path: str | Path) -> PackCheck:
        """Check a pack offline (here: nothing is sent to the server)."""
        return verify_pack(path)
