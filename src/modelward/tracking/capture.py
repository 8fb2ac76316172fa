"""What a run records about where it ran: source (entry point, git) and environment.

Both are read once per process and cached: they do not change while a script runs, and
reading installed packages costs tens of milliseconds.
"""

from __future__ import annotations

import functools
import hashlib
import json
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from modelward.domain.tracking import Source


@functools.cache
def environment() -> tuple[str, dict[str, Any]]:
    """(id, content): Python version, platform and installed package versions; id = sha256."""
    packages = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            packages[name.lower()] = dist.version
    content = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "packages": dict(sorted(packages.items())),
    }
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
    return digest, content


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


@functools.cache
def source() -> Source:
    """The entry point (script or module) and, inside a git work tree, commit and dirty flag."""
    entry = sys.argv[0] if sys.argv and sys.argv[0] else None
    folder = Path(entry).resolve().parent if entry and Path(entry).exists() else Path.cwd()
    commit = _git(["rev-parse", "HEAD"], folder)
    dirty = None
    if commit:
        status = _git(["status", "--porcelain", "--untracked-files=no"], folder)
        dirty = bool(status) if status is not None else None
    return Source(entry_point=entry, git_commit=commit, git_dirty=dirty)
