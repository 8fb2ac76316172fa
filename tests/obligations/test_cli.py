"""`modelward monitor context|outcomes|figures|obligations|webhooks|purge-context`."""

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


def _run(home: Path, *args: str) -> object:
    env = {"MODELWARD_HOME": str(home), "MODELWARD_USER": "alice"}
    return CliRunner().invoke(app, list(args), env=env)


def test_feeds_figures_and_obligations_commands(
    sqlite_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = Client(sqlite_settings)
    model = deploy_model(client, rows=600)
    ids = log_traffic(client, model, traffic(200, seed=9), at=DAY2, prefix="c")
    client.close()
    home = sqlite_settings.home
    pd.DataFrame({"request_id": ids, "clicked": [i % 4 == 0 for i in range(200)],
                  "value": [float(i % 7) for i in range(200)]}).to_csv(
        tmp_path / "outcomes.csv", index=False)  # fmt: skip
    pd.DataFrame({"request_id": ids, "gender": ["f", "m"] * 100}).to_csv(
        tmp_path / "context.csv", index=False
    )
    monkeypatch.chdir(tmp_path)
    sent = _run(home, "monitor", "outcomes", "credit-scoring", str(tmp_path / "outcomes.csv"))
    assert sent.exit_code == 0 and "200 new" in sent.output, sent.output  # type: ignore[attr-defined]
    sent = _run(home, "monitor", "context", "credit-scoring", str(tmp_path / "context.csv"))
    assert sent.exit_code == 0 and "(gender)" in sent.output, sent.output  # type: ignore[attr-defined]
    assert _run(home, "monitor", "run", "credit-scoring").exit_code == 0  # type: ignore[attr-defined]
    shown = _run(home, "monitor", "figures", "credit-scoring", "--json")
    rows = {r["name"]: r for r in json.loads(shown.output)}  # type: ignore[attr-defined]
    assert rows["outcome.value"]["value"] == pytest.approx(sum(i % 7 for i in range(200)) / 200)
    due = _run(home, "monitor", "obligations", "--json")
    assert due.exit_code == 0 and json.loads(due.output) == []  # type: ignore[attr-defined]
    empty = _run(home, "monitor", "webhooks", "--failed", "--json")
    assert json.loads(empty.output) == []  # type: ignore[attr-defined]
    purged = _run(home, "monitor", "purge-context", "credit-scoring", "--days", "1")
    assert purged.exit_code == 0, purged.output  # type: ignore[attr-defined]
