"""The demo runs end to end and leaves a workspace a user can explore."""

from pathlib import Path

from rich.console import Console

from modelward.client import Client
from modelward.config import Settings
from modelward.demo import MODEL, run_demo


def test_demo_tracks_two_runs_and_crowns_the_better(tmp_path: Path) -> None:
    console = Console(record=True, width=120)
    result = run_demo(tmp_path, console=console)
    client = Client(Settings(home=tmp_path / ".modelward"), create=False)
    runs = client.tracking.search_runs(order_by=["metrics.roc_auc DESC"])
    assert len(runs) == 2
    assert all(len(client.tracking.get_run(r.id).datasets) == 2 and r.params for r in runs)
    champion = client.registry.resolve(f"models:/{MODEL}@champion")
    assert champion.run_id == runs[0].id, "the champion is the run with the best ROC AUC"
    assert result["reloaded_auc"] == runs[0].metrics["roc_auc"]
    assert "champion" in console.export_text()
    client.close()
