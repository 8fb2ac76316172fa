"""Reproductions of runs: comparing a re-run with the original, and storing the result.

The re-run itself happens where the code is (``modelward.client.reproduce``: the caller's
machine, never the platform server, which runs no code a client sent); this module judges
and records what it found, guarded and audited like any validation evidence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace

from modelward.domain.audit import AuditEvent
from modelward.domain.ports import Guard, UnitOfWork
from modelward.domain.privacy import Reproduction
from modelward.domain.roles import Action
from modelward.errors import InvalidInput

# Relative tolerance on metrics by default: a re-run on the same code, data and package
# versions computes the same floats on one machine; on another x86-64 CPU, vectorised
# reductions may sum in another order and differ in the last bits (~1e-12 relative).
DEFAULT_TOLERANCE = 1e-9
ENVIRONMENTS = ("fresh-venv", "current")


def compare_metrics(
    original: Mapping[str, float], reproduced: Mapping[str, float], *, tolerance: float
) -> tuple[bool, dict[str, list[float | None]]]:
    """Whether every original metric came back within `tolerance` (relative, with an
    absolute floor of `tolerance` near zero), and each metric as [original, reproduced]."""
    diffs: dict[str, list[float | None]] = {}
    match = True
    for key in sorted(original):
        a, b = original[key], reproduced.get(key)
        diffs[key] = [a, b]
        if b is None:
            match = False
        elif not (
            (math.isnan(a) and math.isnan(b))
            or math.isclose(a, b, rel_tol=tolerance, abs_tol=tolerance)
        ):
            match = False
    return match, diffs


def record_reproduction(uow: UnitOfWork, *, guard: Guard, result: Reproduction) -> Reproduction:
    """Store a reproduction of a run (it can then pass the gate's `reproducibility.reproduced`).

    Raises:
        InvalidInput: a negative tolerance or an unknown environment kind.
        NotFound: no such run.
        PermissionDenied: the actor may not validate.
    """
    if not result.tolerance >= 0:
        raise InvalidInput(f"The tolerance must be >= 0, got {result.tolerance!r}.")
    if result.environment not in ENVIRONMENTS:
        raise InvalidInput(
            f"Environment {result.environment!r} is not one of {', '.join(ENVIRONMENTS)}.",
            field="environment",
        )
    with uow:
        guard.require(uow, Action.VALIDATE, subject=f"run {result.run_id}")
        uow.tracking.get_run(result.run_id)  # NotFound for an unknown run
        stored = uow.privacy.add_reproduction(
            replace(result, actor=guard.actor, created_at=guard.now(), id=None)
        )
        uow.audit.append(
            AuditEvent(
                "run.reproduced",
                "run",
                result.run_id,
                guard.actor,
                stored.created_at,
                after=stored.as_dict(),
            )
        )
        uow.commit()
    return stored


def list_reproductions(uow: UnitOfWork, *, run_id: str) -> list[Reproduction]:
    """A run's reproductions, newest first. Raises NotFound for an unknown run."""
    with uow:
        uow.tracking.get_run(run_id)
        return uow.privacy.list_reproductions(run_id)
