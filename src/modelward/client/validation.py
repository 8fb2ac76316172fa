"""ValidationClient: validate versions and read their stored reports."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from modelward.client.governance import workspace_policies
from modelward.client.local import LocalBackend
from modelward.domain.reports import ReportRecord
from modelward.validation import service
from modelward.validation.config import ValidationConfig


class ValidationClient:
    def __init__(self, backend: LocalBackend) -> None:
        self._b = backend

    def validate(
        self,
        model_uri: str,
        data: Any,
        *,
        target: str,
        sensitive: Sequence[str] = (),
        against: str | None = None,
        config: ValidationConfig | Mapping[str, Any] | None = None,
        custom_metrics: Mapping[str, Callable[..., float]] | None = None,
    ) -> service.Validated:
        """Validate a version on held-out data; the report is stored with the version."""
        if config is not None and not isinstance(config, ValidationConfig):
            config = ValidationConfig.from_mapping(config)
        return service.validate_version(
            self._b.uow(),
            self._b.artifacts,
            model_uri=model_uri,
            data=data,
            target=target,
            actor=self._b.actor,
            now=self._b.now(),
            sensitive=sensitive,
            against=against,
            config=config,
            custom_metrics=custom_metrics,
            permissions=workspace_policies(self._b.settings).permissions,
        )

    def latest(self, model: str, version: int) -> service.Validated:
        return service.latest_report(
            self._b.uow(read_only=True), self._b.artifacts, model=model, version=version
        )

    def list(self, model: str, version: int | None = None) -> list[ReportRecord]:
        return service.list_reports(self._b.uow(read_only=True), model=model, version=version)

    def html(self, record: ReportRecord) -> str:
        return service.record_html(self._b.artifacts, record)
