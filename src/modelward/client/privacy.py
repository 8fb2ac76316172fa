"""DataProtectionClient (`client.data`): a deployment's legal basis, retention and personal
columns; erasing a data subject; the maintenance pass (retention and compaction)."""

from __future__ import annotations

from collections.abc import Sequence

from modelward.client.local import LocalBackend
from modelward.domain.privacy import (
    DataProtection,
    ErasureResult,
    MaintenanceResult,
    PersonalDataHolding,
)
from modelward.governance import erasure, privacy


class DataProtectionClient:
    """Data protection over the local workspace."""

    def __init__(self, backend: LocalBackend) -> None:
        self._b = backend

    def protect(
        self,
        deployment: str,
        *,
        legal_basis: str | None = None,
        retention_days: int | None = None,
        personal_columns: Sequence[str] | None = None,
        subject_column: str | None = None,
        note: str = "",
    ) -> DataProtection:
        return privacy.set_protection(
            self._b.uow(),
            guard=self._b.guard(),
            deployment=deployment,
            legal_basis=legal_basis,
            retention_days=retention_days,
            personal_columns=personal_columns,
            subject_column=subject_column,
            note=note,
        )

    def protection(self, deployment: str) -> DataProtection:
        return privacy.get_protection(self._b.uow(read_only=True), deployment=deployment)

    def protections(self) -> list[DataProtection]:
        return privacy.list_protection(self._b.uow(read_only=True))

    def inventory(self) -> list[PersonalDataHolding]:
        return privacy.personal_data_inventory(
            self._b.uow(read_only=True), policies=self._b.workspace.policies
        )

    def pseudonymised_columns(self, deployment: str) -> list[str]:
        found = self._b.workspace.pseudonymiser(deployment)
        return sorted(found.columns) if found else []

    def erase(self, subject: str, *, columns: Sequence[str] = ()) -> ErasureResult:
        workspace = self._b.workspace
        return erasure.erase_subject(
            self._b.uow(),
            self._b.artifacts,
            workspace.prediction_files(),
            guard=self._b.guard(),
            subject=subject,
            key=workspace.pseudonym_key(),
            columns=columns,
        )

    def maintenance(self, *, compact: bool = True) -> MaintenanceResult:
        return erasure.run_maintenance(
            self._b.uow(),
            self._b.artifacts,
            self._b.workspace.prediction_files(),
            guard=self._b.guard(),
            compact=compact,
        )
