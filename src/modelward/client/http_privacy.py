"""The HTTP backend of `client.data` and of the tracking client's reproduction calls."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote

from modelward.domain.privacy import (
    DataProtection,
    ErasureResult,
    MaintenanceResult,
    PersonalDataHolding,
    Reproduction,
)
from modelward.schemas import domain as wire

if TYPE_CHECKING:
    from modelward.client.http import HttpBackend


def _segment(value: str) -> str:
    return quote(value, safe="")


class HttpDataProtectionClient:
    """`client.data` over the platform server."""

    def __init__(self, backend: HttpBackend) -> None:
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
        body = {
            "legal_basis": legal_basis,
            "retention_days": retention_days,
            "personal_columns": None if personal_columns is None else list(personal_columns),
            "subject_column": subject_column,
            "note": note,
        }
        path = f"/deployments/{_segment(deployment)}/data-protection"
        return wire.load(DataProtection, self._b.json("PUT", path, json=body))

    def protection(self, deployment: str) -> DataProtection:
        path = f"/deployments/{_segment(deployment)}/data-protection"
        return wire.load(DataProtection, self._b.json("GET", path))

    def protections(self) -> list[DataProtection]:
        return wire.load(list[DataProtection], self._b.json("GET", "/data-protection"))

    def inventory(self) -> list[PersonalDataHolding]:
        found = self._b.json("GET", "/data-protection/inventory")
        return wire.load(list[PersonalDataHolding], found)

    def pseudonymised_columns(self, deployment: str) -> list[str]:
        path = f"/deployments/{_segment(deployment)}/pseudonymised-columns"
        return [str(c) for c in self._b.json("GET", path)]

    def erase(self, subject: str, *, columns: Sequence[str] = ()) -> ErasureResult:
        body = {"subject": subject, "columns": list(columns)}
        return wire.load(ErasureResult, self._b.json("POST", "/data/erase", json=body))

    def maintenance(self, *, compact: bool = True) -> MaintenanceResult:
        found = self._b.json("POST", "/data/maintenance", json={"compact": compact})
        return wire.load(MaintenanceResult, found)


def record_reproduction(backend: HttpBackend, result: Reproduction) -> Reproduction:
    body = {
        "reproduced_run_id": result.reproduced_run_id,
        "metrics_match": result.metrics_match,
        "model_identical": result.model_identical,
        "metric_diffs": result.metric_diffs,
        "tolerance": result.tolerance,
        "environment": result.environment,
        "detail": result.detail,
    }
    path = f"/runs/{_segment(result.run_id)}/reproductions"
    return wire.load(Reproduction, backend.json("POST", path, json=body))


def reproductions(backend: HttpBackend, run_id: str) -> list[Reproduction]:
    path = f"/runs/{_segment(run_id)}/reproductions"
    return wire.load(list[Reproduction], backend.json("GET", path))
