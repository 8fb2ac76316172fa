from pathlib import Path
from typer.testing import CliRunner
from modelward.cli.main import app
from modelward.client import Client
from modelward.config import Settings
from tests.governance.helpers import register, store_report
from modelward.domain.results import CheckResult


def test_x(sqlite_settings: Settings) -> None:
    client = Client(sqlite_settings)
    v = register(client)
    checks = [
        CheckResult("performance.roc_auc", "performance", 0.8, 0.7, True, "min").to_dict(),
        CheckResult("slices.gap[employment=retired]", "slices", 0.3, 0.15, False, "max").to_dict(),
        CheckResult("fairness.demographic_parity_difference[gender]", "fairness", 0.08, 0.05, False, "max").to_dict(),
        CheckResult("fairness.four_fifths_rule[gender]", "fairness", 0.9, 0.95, False, "min").to_dict(),
    ]
    store_report(client, v, checks=checks, passed=False)
    client.governance.assess("credit-risk", likelihood="4", severity="4")
    r = CliRunner().invoke(app, ["--home", str(sqlite_settings.home), "governance", "status", "credit-risk", "1"], env={"COLUMNS": "80"})
    print(r.stdout)
    print(r.stderr)
    assert 0
