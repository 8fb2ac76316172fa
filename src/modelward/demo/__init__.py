"""The main job (`make demo`, `modelward demo`): the whole lifecycle of a consumer-credit model
on an embedded SQLite workspace, narrated with the figures that decided each step.

The data generator is `credit_data`; the steps are in `lifecycle`.
"""

from __future__ import annotations

import logging
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text


def run_demo(
    workdir: Path | None = None,
    *,
    console: Console | None = None,
    rows: int = 12_000,
    requests: int = 300,
) -> dict[str, Any]:
    """Run the lifecycle in `workdir` (a new temporary folder if None); return its figures."""
    from modelward.demo.lifecycle import run_lifecycle

    console = console or Console()
    root = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="modelward-demo-"))
    home = root / ".modelward"
    console.print(f"[bold]modelward demo[/bold]: the life of a credit-risk model, in {home}")
    started = time.monotonic()
    with _alerts_narrated():
        facts = run_lifecycle(home, console, rows=rows, requests=requests)
    console.print(f"Done in {time.monotonic() - started:.0f} s. Summary: {facts['summary']}")
    version = facts.get("retrained", facts.get("mitigated", 1))
    for line in closing_hint(home, version, facts["admin_token"]):
        # Whole lines, never wrapped by Rich: each command must copy and paste as printed.
        console.print(Text(line), soft_wrap=True)
    facts["home"] = str(home)
    return facts


@contextmanager
def _alerts_narrated() -> Iterator[None]:
    """The monitoring service logs each new alert as a warning; the demo narrates them in its
    steps, so they must not also reach stderr through Python's last-resort handler."""
    logger = logging.getLogger("modelward.monitoring")
    quiet = logging.NullHandler()
    logger.addHandler(quiet)
    try:
        yield
    finally:
        logger.removeHandler(quiet)


def _bin_dir() -> str | None:
    """The folder holding this interpreter's `modelward` when it is not on PATH (e.g.
    `.venv/bin` after `make demo`), relative to the working directory when inside it."""
    folder = Path(sys.executable).parent
    found = shutil.which("modelward")
    if found and Path(found).resolve().parent == folder.resolve():
        return None
    try:
        return str(folder.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(folder)


def closing_hint(home: Path, version: int, token: str) -> list[str]:
    """The demo's last lines: how to explore the workspace it left, one command a line."""
    lines = []
    folder = _bin_dir()
    command = "modelward"
    if folder is not None:
        activate = Path(folder) / "activate"
        if activate.exists():
            lines.append(
                f"modelward is in {folder}, not on your PATH: run  source {activate}  first"
                f" (or type {Path(folder) / 'modelward'} for modelward)."
            )
        else:
            command = str(Path(folder) / "modelward")
    lines += [
        "Explore the workspace it left:",
        f"  export MODELWARD_HOME={home}",
        f"  export MODELWARD_POLICY_FILE={home / 'policies.yaml'}",
        f"  {command} inventory",
        f"  {command} governance status credit-risk {version}",
        f"  {command} monitor status credit-scoring",
        f"  {command} audit verify",
        f"  {command} server --port 5000",
        "Then open http://127.0.0.1:5000 and sign in as admin with this token (issued at"
        " bootstrap; expires in 7 days):",
        f"  {token}",
    ]
    return lines
