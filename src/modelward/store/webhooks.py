"""Outbound webhook POSTs: the adapter behind `modelward.monitoring.obligations.Sender`
(services do no HTTP). Redirects are not followed: a delivery goes to its target or fails."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from modelward.domain.obligations import target_origin

Sender = Callable[[str, dict[str, Any]], tuple[str, str]]  # (url, payload) -> (status, detail)


def http_sender(*, timeout: float = 5.0) -> Sender:
    """POST the payload as JSON to the URL; ("delivered" | "failed", detail)."""
    import httpx

    def send(url: str, payload: dict[str, Any]) -> tuple[str, str]:
        try:
            response = httpx.post(url, json=payload, timeout=timeout, follow_redirects=False)
        except httpx.HTTPError as exc:
            shown = str(exc).replace(url, target_origin(url))  # the URL may hold a secret
            return "failed", f"{type(exc).__name__}: {shown}"
        if response.is_success:
            return "delivered", f"HTTP {response.status_code}"
        return "failed", f"HTTP {response.status_code}"

    return send
