"""The demo runs the lifecycle end to end (small size) and leaves a workspace to explore."""

from pathlib import Path

import pytest
from rich.console import Console

from modelward.client import Client
from modelward.config import Settings
from modelward.demo import run_demo
from modelward.demo.lifecycle import DEPLOYMENT, MODEL

# The whole lifecycle end to end: tens of seconds (`make test-fast` skips it).
pytestmark = pytest.mark.slow


def test_demo_runs_the_lifecycle(tmp_path: Path) -> None:
    console = Console(record=True, width=120)
    facts = run_demo(tmp_path, console=console, rows=6000, requests=40)
    text = console.export_text()
    assert facts["validation"] == {"biased_passed": False, "mitigated_passed": True}
    assert facts["risk"].level.value == "high"
    assert facts["audit"].ok
    client = Client(Settings(home=tmp_path / ".modelward", user="auditor"), create=False)
    history = [e.version for e in client.registry.alias_history(MODEL, "champion")]
    assert history == [facts["mitigated"], facts["retrained"]], "biased v1 never reached it"
    assert "income" in facts["drifted"] and any(a["kind"] == "drift" for a in facts["alerts"])
    assert facts["summary"].exists() and (tmp_path / "monitoring.html").exists()
    assert client.deployments.get(DEPLOYMENT).environment == "production"
    assert sum(facts["traffic"].values()) == 40
    stored = client.deployments.read_predictions(DEPLOYMENT)
    # step 6: 40; step 7: 200; step 8: 200 answered by the champion and scored in shadow
    assert len(stored) == 40 + 200 + 200 * 2, "every prediction was logged"
    assert "FAILS" in text and "champion" in text
    weeks = facts["weeks"]  # six weeks of dated traffic: a trend in every over-time chart
    assert weeks["windows"] == 42 and weeks["first_drift_day"] is not None
    assert weeks["accuracy_before_retrain"] < weeks["accuracy_first_week"]
    assert weeks["accuracy_retrained"] > weeks["accuracy_before_retrain"]
    assert weeks["unlabelled_days"] == 3 and weeks["report"].exists()
    # the first week is the reference period: CBPE estimates every week, labels confirm
    # all but the newest days
    by_week = weeks["estimated_by_week"]
    assert len(by_week) == 6 and all(w["estimated"] is not None for w in by_week)
    assert by_week[0]["realised"] is not None and by_week[-1]["days_labelled"] < 7
    assert "CBPE" in text  # the narration gives the weekly estimates
    client.close()
