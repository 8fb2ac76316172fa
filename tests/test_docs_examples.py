"""Every ```python example in docs/ runs as written.

Examples are fragments of a larger story ("`model` is your fitted model"), so each page gets a
prelude: the objects its text says exist (a fitted model, data frames, a run, registered
versions), made in a fresh workspace. The prelude never edits an example: what a reader
copies is what runs. The one example that needs a second program (the MLflow client against
`modelward server`) is run by the compatibility suite, which this file checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import modelward
from modelward.client import Client
from modelward.config import Settings
from tests.builders import applicants, fitted_classifier

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
FENCE = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)

pytestmark = pytest.mark.slow  # trains and validates models


def examples(page: str) -> list[str]:
    return FENCE.findall((DOCS / page).read_text(encoding="utf-8"))


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / ".modelward"
    monkeypatch.setenv("MODELWARD_HOME", str(home))
    monkeypatch.setenv("MODELWARD_USER", "dana")
    monkeypatch.chdir(tmp_path)
    modelward.set_client(None)
    yield home
    modelward.get_client().close()
    modelward.set_client(None)


def _versions(count: int, *, champion: int | None) -> dict[str, Any]:
    """`count` registered versions of credit-risk (champion set without the gate: setup)."""
    frame = applicants(400)
    model, features = fitted_classifier(frame)
    for _ in range(count):
        with modelward.start_run(experiment="credit-risk") as run:
            run.log_dataset(frame, name="train", role="training")
            run.log_model(model, name="model", input_example=features.head(5))
        modelward.register_model(run.id, "model", name="credit-risk")
    if champion is not None:
        setup = Client(Settings(protected_aliases=""))
        setup.registry.set_alias("credit-risk", "champion", champion)
        setup.close()
    return {"run": run, "model": model, "df": features.head(20), "mw": modelward}


def tracking_prelude() -> dict[str, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import plotly.graph_objects as go

    frame = applicants(300)
    model, features = fitted_classifier(frame)
    Path("data").mkdir()
    applicants(100, seed=3).to_parquet("data/holdout.parquet", index=False)
    figure, axes = plt.subplots()
    axes.plot([0, 1], [0, 1])
    return {
        "losses": [0.9, 0.5, 0.3],
        "train_df": frame,
        "model": model,
        "X_test": features,
        "notes": "baseline with default settings",
        "config": {"C": 0.5},
        "fig": figure,
        "plotly_fig": go.Figure(go.Scatter(x=[0, 1], y=[0, 1])),
    }


def registry_prelude() -> dict[str, Any]:
    return _versions(1, champion=1)


def validation_prelude() -> dict[str, Any]:
    found = _versions(4, champion=1)
    holdout = applicants(500, seed=11)
    holdout["gender"] = ["f", "m"] * 250
    return {**found, "holdout": holdout}


def governance_prelude() -> dict[str, Any]:
    _versions(3, champion=None)
    return {}


PAGES: dict[str, Callable[[], dict[str, Any]]] = {
    "tracking.md": tracking_prelude,
    "registry.md": registry_prelude,
    "validation.md": validation_prelude,
    "governance.md": governance_prelude,
}
RUN_ELSEWHERE = {"coming-from-mlflow.md": ROOT / "tests" / "compat" / "test_mlflow_registry.py"}


def test_every_page_with_python_examples_is_covered() -> None:
    pages = {path.name for path in DOCS.glob("*.md") if examples(path.name)}
    assert pages == set(PAGES) | set(RUN_ELSEWHERE)
    for page, test_file in RUN_ELSEWHERE.items():
        (block,) = examples(page)
        assert "set_registered_model_alias" in block
        assert "set_registered_model_alias" in test_file.read_text(encoding="utf-8")


@pytest.mark.parametrize("page", sorted(PAGES))
def test_the_examples_of_a_page_run(page: str, workspace: Path) -> None:
    namespace: dict[str, Any] = {"__name__": f"docs_{page}"}
    namespace.update(PAGES[page]())
    for number, block in enumerate(examples(page), start=1):
        code = compile(block, f"docs/{page} (example {number})", "exec")
        exec(code, namespace)  # our own documentation: running it is the point of the test
    if page == "validation.md":
        assert namespace["report"].against == "models:/credit-risk/1"  # the champion
    if page == "tracking.md":
        run = modelward.get_client().tracking.get_run(namespace["run"].id)
        assert run.params == {"C": "1.0", "penalty": "l2"}
