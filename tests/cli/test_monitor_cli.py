"""`modelward monitor ...` and `modelward retrain` through CliRunner: exit codes and messages."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from modelward.cli.main import app
from modelward.client import Client
from modelward.config import Settings
from tests.monitoring.helpers import DAY2, deploy_model, log_traffic, traffic


@pytest.fixture
def home(sqlite_settings: Settings, tmp_path: Path) -> Path:
    client = Client(sqlite_settings)
    model = deploy_model(client, rows=1000)
    frame = traffic(300, seed=9, income_shift=12_000)
    ids = log_traffic(client, model, frame, at=DAY2, prefix="c")
    pd.DataFrame({"request_id": [*ids, "ghost"], "label": [*frame["default"], 1]}).to_csv(
        tmp_path / "labels.csv", index=False
    )
    client.close()
    return sqlite_settings.home


def _run(home: Path, *args: str) -> object:
    env = {"MODELWARD_HOME": str(home), "MODELWARD_USER": "alice"}
    return CliRunner().invoke(app, list(args), env=env)


def test_monitor_commands(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = _run(home, "monitor", "labels", "credit-scoring", str(tmp_path / "labels.csv"))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "300 new" in result.output and "1 unknown" in result.output  # type: ignore[attr-defined]
    result = _run(home, "monitor", "run", "credit-scoring", "--json")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    runs = json.loads(result.output)["runs"]  # type: ignore[attr-defined]
    assert "income" in {a["subject"] for a in runs[0]["alerts"]}
    result = _run(home, "monitor", "alerts", "--open")
    assert result.exit_code == 0 and "income" in result.output  # type: ignore[attr-defined]
    result = _run(home, "monitor", "status", "credit-scoring")
    assert result.exit_code == 0 and "Open alerts: 3" in result.output  # type: ignore[attr-defined]
    result = _run(home, "monitor", "report", "credit-scoring", "-o", str(tmp_path / "r.html"))
    assert result.exit_code == 0 and (tmp_path / "r.html").exists()  # type: ignore[attr-defined]


def test_monitor_errors_are_one_line(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = _run(home, "monitor", "run")
    assert result.exit_code == 2 and "DEPLOYMENT or --all" in result.output  # type: ignore[attr-defined]
    result = _run(home, "monitor", "status", "nowhere")
    assert result.exit_code == 3  # type: ignore[attr-defined]
    result = _run(home, "retrain", "credit-risk")
    assert result.exit_code == 2 and "train:" in result.output  # type: ignore[attr-defined]
