"""The package installs into someone else's project: a built wheel holds every file the code
reads at run time (templates, static assets, migrations, policies), not only the .py files."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "modelward"

pytestmark = pytest.mark.slow  # builds a wheel in a subprocess


def test_the_wheel_holds_every_data_file_of_the_package(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("modelward-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        inside = set(archive.namelist())
    wanted = {
        "modelward/" + path.relative_to(SOURCE).as_posix()
        for path in SOURCE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    missing = sorted(wanted - inside)
    assert missing == [], f"add these to [tool.setuptools.package-data]: {missing}"
    assert any(name.endswith("entry_points.txt") for name in inside)
