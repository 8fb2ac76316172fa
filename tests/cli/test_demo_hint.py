"""The demo's last lines copy whole and say where `modelward` is; its alerts are narrated,
not logged to stderr. (The demo itself runs in tests/test_demo.py, marked slow.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from modelward.demo import closing_hint

SRC = str(Path(__file__).resolve().parents[2] / "src")


def test_the_closing_hint_is_whole_lines_naming_the_venv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # modelward not on PATH, as after `make demo`
    home = tmp_path / ("a-long-folder-name-" * 4) / ".modelward"
    lines = closing_hint(home, 4, "mw_token")
    activate = Path(sys.executable).parent / "activate"
    if activate.exists():  # a venv: say to activate it
        assert any("not on your PATH: run  source " in line for line in lines), lines
    else:  # else name the program by its path
        assert f"  {Path(sys.executable).parent / 'modelward'} inventory" in lines
    assert f"  export MODELWARD_HOME={home}" in lines
    assert "  modelward governance status credit-risk 4" in lines
    assert "  mw_token" in lines
    # Printed the way run_demo prints them: never wrapped, whatever the width.
    console = Console(record=True, width=40)
    for line in lines:
        from rich.text import Text

        console.print(Text(line), soft_wrap=True)
    printed = console.export_text().splitlines()
    assert f"  export MODELWARD_HOME={home}" in printed


def test_alerts_logged_during_the_demo_do_not_reach_stderr() -> None:
    code = (
        "import logging\n"
        "from modelward.demo import _alerts_narrated\n"
        "log = logging.getLogger('modelward.monitoring')\n"
        "with _alerts_narrated():\n"
        "    log.warning('monitoring alert inside')\n"
        "log.warning('monitoring alert outside')\n"
    )
    env = {**os.environ, "PYTHONPATH": SRC}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "inside" not in result.stderr and "outside" in result.stderr
