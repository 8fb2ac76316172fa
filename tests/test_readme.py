"""The README's Python tour runs as written, in a fresh workspace.

The ```python blocks of "Five-minute tour → Python" are executed in order, in one namespace,
with the current directory and MODELWARD_HOME in a temporary folder: what a newcomer pastes
into an empty folder must work.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import modelward

README = Path(__file__).resolve().parents[1] / "README.md"
FENCE = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)

# Trains, validates (slices, fairness, robustness) and promotes a model: about 10 s.
pytestmark = pytest.mark.slow


def section(text: str, chapter: str, part: str) -> str:
    """The text under `## chapter` → `### part`, up to the next heading of either level."""
    after_chapter = text.split(f"\n## {chapter}\n", 1)[1].split("\n## ", 1)[0]
    return after_chapter.split(f"\n### {part}\n", 1)[1].split("\n### ", 1)[0]


def python_tour() -> list[str]:
    return FENCE.findall(section(README.read_text(encoding="utf-8"), "Five-minute tour", "Python"))


@pytest.fixture
def fresh_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / ".modelward"
    monkeypatch.setenv("MODELWARD_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    modelward.set_client(None)  # the shortcuts' client is built from this environment
    yield home
    modelward.get_client().close()
    modelward.set_client(None)


def test_the_tour_has_a_data_block_and_the_lifecycle_block() -> None:
    blocks = python_tour()
    assert len(blocks) == 2
    assert "train_df" in blocks[0] and "import modelward as mw" in blocks[1]


def test_the_python_tour_runs_in_a_fresh_workspace(fresh_workspace: Path) -> None:
    namespace: dict[str, Any] = {"__name__": "readme_tour"}
    for number, block in enumerate(python_tour(), start=1):
        code = compile(block, f"README.md (tour block {number})", "exec")
        exec(code, namespace)  # our own README: running it is the point of the test
    client = namespace["client"]
    assert namespace["report"].passed
    assert client.registry.resolve("models:/credit-risk@champion").version == 1
    assert client.deployments.get("credit-scoring").model == "credit-risk"
    assert len(namespace["model"].predict(namespace["X_new"])) == len(namespace["X_new"])
    assert Path(client.settings.home).resolve() == fresh_workspace.resolve()  # not elsewhere
