"""The main job (`make demo`, `modelward demo`): the whole lifecycle of a consumer-credit model
on an embedded SQLite workspace, narrated with the figures that decided each step.

The data generator is `credit_data`; the steps are in `lifecycle`.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console


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
    facts = run_lifecycle(home, console, rows=rows, requests=requests)
    console.print(
        f"Done in {time.monotonic() - started:.0f} s. Summary: {facts['summary']}\n"
        "Explore it:\n"
        f"  export MODELWARD_HOME={home} MODELWARD_POLICY_FILE={home / 'policies.yaml'}\n"
        "  modelward inventory ; modelward governance status credit-risk"
        f" {facts.get('retrained', facts.get('mitigated', 1))} ; modelward audit verify\n"
        "  modelward server --port 5000   # then open http://127.0.0.1:5000 and sign in as"
        f" admin with the token {facts['admin_token']} (issued at bootstrap; expires in 7 days)"
    )
    facts["home"] = str(home)
    return facts
