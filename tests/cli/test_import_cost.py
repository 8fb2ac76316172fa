"""The CLI starts without the heavy libraries: measured as the set of imported modules.

Timing is machine-dependent and flaky; the import set is not. Each check runs in a fresh
interpreter (a subprocess) because this test process has long since imported everything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import modelward

HEAVY = (
    "pandas",
    "numpy",
    "sklearn",
    "scipy",
    "plotly",
    "sqlalchemy",
    "fastapi",
    "duckdb",
    "pyarrow",
)
SRC = str(Path(modelward.__file__).resolve().parents[1])


def _python(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )


def _imported_heavy(module: str) -> list[str]:
    result = _python(
        f"import json, sys; import {module}; "
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    )
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout))
    return [name for name in HEAVY if name in loaded]


@pytest.mark.parametrize("module", ["modelward", "modelward.cli.main"])
def test_import_pulls_in_no_heavy_library(module: str) -> None:
    assert _imported_heavy(module) == [], f"`import {module}` imports heavy libraries"


def test_the_cli_imports_no_client_store_server_or_service_until_a_command_runs() -> None:
    result = _python(
        "import json, sys; import modelward.cli.main; "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('modelward.'))))"
    )
    assert result.returncode == 0, result.stderr
    ours = json.loads(result.stdout)
    allowed = ("modelward.cli", "modelward.domain", "modelward.errors", "modelward._version")
    assert [m for m in ours if not m.startswith(allowed)] == []


def test_help_runs_in_a_fresh_interpreter_without_heavy_libraries() -> None:
    result = _python(
        "import sys\n"
        "from modelward.cli.main import main\n"
        "sys.argv = ['modelward', '--help']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        f"    heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "    print('HEAVY', heavy, file=sys.stderr)\n"
        "    raise\n"
    )
    assert result.returncode == 0, result.stderr
    assert "validate" in result.stdout and "deploy" in result.stdout
    assert "HEAVY []" in result.stderr, result.stderr
