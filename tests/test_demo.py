"""The demo runs the lifecycle end to end (small size) and leaves a workspace to explore."""

from pathlib import Path

from rich.console import Console

from modelward.client import Client
from modelward.config import Settings
from modelward.demo import run_demo
from modelward.demo.lifecycle import DEPLOYMENT, MODEL


def test_demo_runs_the_lifecycle(tmp_path: Path) -> None:
    console = Console(record=True, width=120)
    facts = run_demo(tmp_path, console=console, rows=6000, requests=40)
    text = console.export_text()
    assert facts["validation"] == {"biased_passed": False, "mitigated_passed": True}
    assert facts["risk"].level.value == "high"
    assert facts["audit"].ok
    client = Client(Settings(home=tmp_path / ".modelward", user="auditor"), create=False)
    champion = client.registry.resolve(f"models:/{MODEL}@champion")
    assert champion.version == facts["mitigated"] != facts["biased"]
    assert client.deployments.get(DEPLOYMENT).environment == "production"
    assert sum(facts["traffic"].values()) == 40
    stored = client.deployments.read_predictions(DEPLOYMENT)
    assert len(stored) == 40, "every prediction was logged"
    assert "FAILS" in text and "champion" in text
    client.close()
