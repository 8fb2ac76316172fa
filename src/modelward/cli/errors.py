"""Every exit code of the CLI, and the guard every command runs inside.

The codes live here and nowhere else: commands raise `typer.Exit(EXIT_...)` with the named
constants, and domain errors are mapped through `EXIT_CODE`. Exit 1 means a crash (a bug in
modelward), never an outcome a user should act on.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from modelward import errors

EXIT_OK = 0
EXIT_INTERNAL = 1  # an unexpected exception: a bug in modelward
EXIT_INVALID_INPUT = 2  # Click's usage-error code, shared with bad options
EXIT_NOT_FOUND = 3
EXIT_CONFLICT = 4
EXIT_POLICY_VIOLATION = 5  # a governance gate is not met
EXIT_PERMISSION_DENIED = 6
EXIT_INTEGRITY_VIOLATION = 7
EXIT_BACKEND_UNAVAILABLE = 8
EXIT_CHECKS_FAILED = 10  # checks ran and failed: a result, not an error

EXIT_CODE: dict[type[errors.ModelwardError], int] = {
    errors.ModelwardError: EXIT_INTERNAL,
    errors.InvalidInput: EXIT_INVALID_INPUT,
    errors.NotFound: EXIT_NOT_FOUND,
    errors.Conflict: EXIT_CONFLICT,
    errors.AlreadyExists: EXIT_CONFLICT,
    errors.InvalidTransition: EXIT_CONFLICT,
    errors.PolicyViolation: EXIT_POLICY_VIOLATION,
    errors.PermissionDenied: EXIT_PERMISSION_DENIED,
    errors.Unauthenticated: EXIT_PERMISSION_DENIED,
    errors.IntegrityViolation: EXIT_INTEGRITY_VIOLATION,
    errors.BackendUnavailable: EXIT_BACKEND_UNAVAILABLE,
    errors.DeploymentDisabled: EXIT_BACKEND_UNAVAILABLE,
    errors.InsufficientStorage: EXIT_BACKEND_UNAVAILABLE,
    errors.SchemaVersionError: EXIT_BACKEND_UNAVAILABLE,
}


def exit_code_for(exc: errors.ModelwardError) -> int:
    """The exit code of a domain error, from the most specific class in `EXIT_CODE`."""
    # Walk the MRO so a subclass without its own entry falls back to its parent's code.
    return next(EXIT_CODE[cls] for cls in type(exc).__mro__ if cls in EXIT_CODE)


def _wants_json() -> bool:
    """The running command was given --json (its `json_out` parameter)."""
    try:  # recent Typer vendors Click; older Typer runs on Click itself
        from typer._click.globals import get_current_context as current
    except ImportError:  # pragma: no cover - depends on the installed Typer
        from click import get_current_context as current  # type: ignore[no-redef]
    ctx = current(silent=True)
    return bool(ctx is not None and ctx.params.get("json_out"))


def _json_error(
    kind: str, message: str, code: int, details: object = None, *, slug: str = "internal_error"
) -> None:
    from modelward.cli.output import jsonable

    body: dict[str, object] = {"type": kind, "code": slug, "message": message, "exit_code": code}
    if details:
        body["details"] = jsonable(details)
    typer.echo(json.dumps({"error": body}, default=str), err=True)


@contextmanager
def exit_on_domain_error() -> Iterator[None]:
    """One line on stderr, mapped exit code, no traceback (MODELWARD_DEBUG=1 shows it).

    With --json the line is a JSON object for scripts:
    {"error": {"type": "NotFound", "message": "...", "exit_code": 3}}.
    """
    try:
        yield
    except errors.ModelwardError as exc:
        code = exit_code_for(exc)
        if _wants_json():
            _json_error(type(exc).__name__, str(exc), code, exc.details, slug=exc.code)
        else:
            typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(code) from exc
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as exc:
        if os.environ.get("MODELWARD_DEBUG"):
            raise
        message = (
            f"Internal error: {type(exc).__name__}: {exc}. This is a bug in modelward; rerun"
            " with MODELWARD_DEBUG=1 for the traceback and report it."
        )
        if _wants_json():
            _json_error("InternalError", message, EXIT_INTERNAL)
        else:
            typer.echo(message, err=True)
        sys.stderr.flush()
        raise typer.Exit(EXIT_INTERNAL) from exc
