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


MAX_UNTRACKED_BYTES = 5 * 1024 * 1024  # untracked files beyond this total are left out
MAX_UNTRACKED_FILES = 200  # ... and beyond this many (one git call each)
CODE_STATE = "modelward/code.json"
CODE_PATCH = "modelward/code.patch"
ENV_LOCK = "modelward/requirements.lock"
DATA_PREFIX = "modelward/data/"


def _git_bytes(args: list[str], cwd: Path, ok: tuple[int, ...] = (0,)) -> bytes | None:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode in ok else None


def _untracked_patch(root: Path) -> tuple[bytes, list[str]]:
    listed = _git_bytes(["ls-files", "--others", "--exclude-standard", "-z"], root) or b""
    patch, skipped, total, included = b"", [], 0, 0
    for name in filter(None, listed.decode("utf-8", "replace").split("\0")):
        size = (root / name).stat().st_size if (root / name).is_file() else 0
        if total + size > MAX_UNTRACKED_BYTES or included >= MAX_UNTRACKED_FILES:
            skipped.append(name)
            continue
        total, included = total + size, included + 1
        diff = _git_bytes(["diff", "--binary", "--no-index", "--", "/dev/null", name], root, (0, 1))
        patch += diff or b""
    return patch, skipped


@functools.cache
def code_state() -> tuple[dict[str, Any], bytes] | None:
    """(state, patch) of the running script's git work tree, or None outside one.

    The state names the commit, the entry point and working folder relative to the tree's
    root, and the arguments; the patch holds every uncommitted change (staged or not) and
    the untracked, not ignored files (up to 5 MB), so ``git apply`` on the commit rebuilds
    the code that ran.
    """
    src = source()
    if not src.git_commit or not src.entry_point:
        return None
    entry = Path(src.entry_point).resolve()
    top = _git(["rev-parse", "--show-toplevel"], entry.parent)
    if not top:
        return None
    root = Path(top).resolve()
    tracked = _git_bytes(["diff", "--binary", "HEAD"], root) or b""
    untracked, skipped = _untracked_patch(root)
    patch = tracked + untracked
    try:
        cwd = str(Path.cwd().resolve().relative_to(root))
    except ValueError:
        cwd = "."
    state = {
        "commit": src.git_commit,
        "entry_point": str(entry.relative_to(root)) if entry.is_relative_to(root) else None,
        "cwd": cwd,
        "args": list(sys.argv[1:]),
        "patch_sha256": hashlib.sha256(patch).hexdigest(),
        "untracked_left_out": skipped,
        "python": platform.python_version(),
    }
    return state, patch


ENV_LOCK_FILE = "MODELWARD_ENV_LOCK"


@functools.cache
def environment_lock() -> str:
    """A pip-freeze-like lock of the running environment: ``name==version`` per package, and
    ``name @ file://...`` for packages installed from a local folder (editable or not).

    With MODELWARD_ENV_LOCK naming a requirements file (the project's own lock, e.g. from
    ``pip freeze`` in its virtual environment or ``uv export``), that file is the lock.
    """
    import os

    given = os.environ.get(ENV_LOCK_FILE)
    if given:
        return Path(given).read_text("utf-8")
    lines = []
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if not name:
            continue
        direct = dist.read_text("direct_url.json")
        url = json.loads(direct).get("url", "") if direct else ""
        lines.append(f"{name} @ {url}" if url.startswith("file://") else f"{name}=={dist.version}")
    header = f"# python {platform.python_version()} {platform.machine()}\n"
    return header + "\n".join(sorted(set(lines), key=str.lower)) + "\n"
