"""Exit codes for domain errors, and the guard every command runs inside."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from modelward import errors

EXIT_CODE: dict[type[errors.ModelwardError], int] = {
    errors.ModelwardError: 1,
    errors.InvalidInput: 2,
    errors.NotFound: 3,
    errors.Conflict: 4,
    errors.AlreadyExists: 4,
    errors.InvalidTransition: 4,
    errors.PolicyViolation: 5,
    errors.PermissionDenied: 6,
    errors.Unauthenticated: 6,
    errors.IntegrityViolation: 7,
    errors.BackendUnavailable: 8,
    errors.InsufficientStorage: 8,
    errors.SchemaVersionError: 8,
}


def exit_code_for(exc: errors.ModelwardError) -> int:
    # Walk the MRO so a subclass without its own entry falls back to its parent's code.
    return next(EXIT_CODE[cls] for cls in type(exc).__mro__ if cls in EXIT_CODE)


@contextmanager
def exit_on_domain_error() -> Iterator[None]:
    """One line on stderr, mapped exit code, no traceback (MODELWARD_DEBUG=1 shows it)."""
    try:
        yield
    except errors.ModelwardError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(exit_code_for(exc)) from exc
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as exc:
        if os.environ.get("MODELWARD_DEBUG"):
            raise
        typer.echo(
            f"Internal error: {type(exc).__name__}: {exc}. This is a bug in modelward; rerun"
            " with MODELWARD_DEBUG=1 for the traceback and report it.",
            err=True,
        )
        sys.stderr.flush()
        raise typer.Exit(1) from exc
