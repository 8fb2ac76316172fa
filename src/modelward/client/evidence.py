"""`client.evidence` over the local workspace: findings, waivers, their alerts, and evidence
packs. `verify_pack` is also a plain function: checking a pack needs no workspace."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from modelward.client.local import LocalBackend
from modelward.domain.findings import Finding, GovernanceAlert, Waiver
from modelward.errors import InvalidInput
from modelward.governance import evidence_pack
from modelward.governance import findings as service
from modelward.governance.evidence_pack import EvidencePack
from modelward.governance.pack_format import PackCheck
from modelward.governance.pack_format import verify_pack as _verify


def verify_pack(path: str | Path) -> PackCheck:
    """Check the evidence pack at `path` offline (no workspace, no server).

    Raises:
        InvalidInput: the file cannot be read, or is not an evidence pack.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InvalidInput(f"Cannot read {str(path)!r}: {exc.strerror or exc}.") from exc
    return _verify(data)


def write_pack(pack: EvidencePack, output: str | Path | None) -> EvidencePack:
    """Write the pack's bytes to `output` (if given); returns the pack."""
    if output is not None:
        Path(output).write_bytes(pack.data)
    return pack


class EvidenceClient:
    """Findings, waivers, governance alerts and evidence packs, over the workspace."""

    def __init__(self, backend: LocalBackend) -> None:
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
        return service.record_finding(
            self._b.uow(),
            guard=self._b.guard(),
            model=model,
            version=version,
            title=title,
            severity=severity,
            owner=owner,
            due_at=due,
            detail=detail,
        )

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
        return service.update_finding(
            self._b.uow(),
            guard=self._b.guard(),
            finding_id=finding_id,
            status=status,
            severity=severity,
            owner=owner,
            due_at=due,
            resolution=resolution,
        )

    def findings(
        self, model: str | None = None, version: int | None = None, *, open_only: bool = False
    ) -> list[Finding]:
        """Findings, oldest first."""
        return service.list_findings(
            self._b.uow(read_only=True), model=model, version=version, open_only=open_only
        )

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
        return service.request_waiver(
            self._b.uow(),
            guard=self._b.guard(),
            model=model,
            version=version,
            item=item,
            reason=reason,
            approver_role=approver_role,
            expires_at=expires,
        )

    def approve_waiver(self, waiver_id: int, *, comment: str = "") -> Waiver:
        """Approve a waiver."""
        return service.approve_waiver(
            self._b.uow(), guard=self._b.guard(), waiver_id=waiver_id, comment=comment
        )

    def revoke_waiver(self, waiver_id: int, *, reason: str) -> Waiver:
        """Revoke a waiver."""
        return service.revoke_waiver(
            self._b.uow(), guard=self._b.guard(), waiver_id=waiver_id, reason=reason
        )

    def waivers(self, model: str | None = None, version: int | None = None) -> list[Waiver]:
        """Waivers, oldest first."""
        return service.list_waivers(self._b.uow(read_only=True), model=model, version=version)

    def alerts(self, model: str | None = None, *, within_days: int = 14) -> list[GovernanceAlert]:
        """Overdue findings and waivers expiring within `within_days`."""
        return service.alerts(
            self._b.uow(read_only=True), now=self._b.now(), model=model, within_days=within_days
        )

    def pack(self, model: str, version: int, output: str | Path | None = None) -> EvidencePack:
        """Build the evidence pack of MODEL VERSION (written to `output` when given)."""
        workspace = self._b.workspace
        built = evidence_pack.build_pack(
            self._b.uow(read_only=True),
            self._b.artifacts,
            model=model,
            version=version,
            policies=workspace.policies,
            policy_hash=workspace.policy_hash,
            now=self._b.now(),
            actor=self._b.actor,
        )
        return write_pack(built, output)

    def verify_pack(self, path: str | Path) -> PackCheck:
        """Check a pack offline."""
        return verify_pack(path)
