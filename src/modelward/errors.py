"""Domain exceptions with stable ``code`` strings.

Faces (CLI, REST API) map these to exit codes and HTTP statuses in one table each;
nothing here knows about HTTP or the terminal.
"""

from __future__ import annotations


class ModelwardError(Exception):
    """Base class. `code` is stable and machine-readable; `details` go into error bodies."""

    code = "internal_error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(ModelwardError):
    """The caller's input is malformed or out of range."""

    code = "invalid_input"


class NotFound(ModelwardError):
    """The object does not exist (or the caller may not see it)."""

    code = "not_found"


class Conflict(ModelwardError):
    """Valid request, but the current state forbids it."""

    code = "conflict"


class AlreadyExists(Conflict):
    """An object with this identity already exists."""

    code = "already_exists"


class InvalidTransition(Conflict):
    """The requested state change is not allowed from the current state."""

    code = "invalid_transition"


class PolicyViolation(Conflict):
    """The risk tier's gate is not met; details["missing"] lists what is missing."""

    code = "policy_violation"


class PermissionDenied(ModelwardError):
    """The caller is known but may not do this."""

    code = "permission_denied"


class Unauthenticated(PermissionDenied):
    """The caller did not prove who they are."""

    code = "unauthenticated"


class IntegrityViolation(ModelwardError):
    """Stored bytes or the audit chain do not match their recorded hash."""

    code = "integrity_violation"


class SchemaVersionError(ModelwardError):
    """The workspace's database schema is newer (or unknown) to this version of modelward."""

    code = "schema_version"


class BackendUnavailable(ModelwardError):
    """The database, artifact store or server cannot be reached."""

    code = "backend_unavailable"


class DeploymentDisabled(BackendUnavailable):
    """The deployment's kill switch is on and it has no fallback answer to give."""

    code = "deployment_disabled"


class InsufficientStorage(BackendUnavailable):
    """The artifact store or log folder is full (no space left on the device)."""

    code = "insufficient_storage"


def all_error_classes() -> list[type[ModelwardError]]:
    """Every subclass of ModelwardError, recursively (for mapping-completeness tests)."""
    found: list[type[ModelwardError]] = []
    stack: list[type[ModelwardError]] = [ModelwardError]
    while stack:
        cls = stack.pop()
        found.append(cls)
        stack.extend(cls.__subclasses__())
    return found
