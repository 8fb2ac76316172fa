"""The one table from domain errors to HTTP statuses, and the error body every route returns.

Lookups walk the exception's MRO (as Starlette does), so a subclass without its own entry gets
its parent's status: PolicyViolation falls back to Conflict's 409.
"""

from __future__ import annotations

from typing import Any

from modelward import errors

HTTP_STATUS: dict[type[errors.ModelwardError], int] = {
    errors.ModelwardError: 500,
    errors.InvalidInput: 422,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.AlreadyExists: 409,
    errors.InvalidTransition: 409,
    errors.PolicyViolation: 409,
    errors.PermissionDenied: 403,
    errors.Unauthenticated: 401,
    errors.IntegrityViolation: 500,
    errors.SchemaVersionError: 503,
    errors.BackendUnavailable: 503,
    errors.DeploymentDisabled: 503,
    errors.InsufficientStorage: 507,
}


def status_for(exc: errors.ModelwardError) -> int:
    """The HTTP status of a domain error (nearest class in the MRO that has an entry)."""
    return next(HTTP_STATUS[cls] for cls in type(exc).__mro__ if cls in HTTP_STATUS)


def error_body(code: str, message: str, **details: Any) -> dict[str, Any]:
    """``{"error": {"code", "message", **details}}``: the shape of every error answer."""
    return {"error": {"code": code, "message": message, **details}}
