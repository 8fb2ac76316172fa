"""`require_server`: once on, a declared local identity can write nothing; only an admin
authenticated by the server turns it off."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from modelward.cli.main import app as cli_app
from modelward.client import Client
from modelward.config import Settings
from modelward.errors import PermissionDenied
from tests.builders import logged_model_run
from tests.server.conftest import make_team
from tests.serving.server import serve_in_thread


def test_local_writes_are_refused_once_the_workspace_requires_its_server(
    settings: Settings,
) -> None:
    team = make_team(settings)
    admin = Client(settings.model_copy(update={"user": "alice"}))
    run_id = logged_model_run(admin)
    admin.governance.set_require_server(True)
    # anyone may claim to be the admin locally: the claim no longer writes anything
    forged = Client(settings.model_copy(update={"user": "alice"}))
    with pytest.raises(PermissionDenied, match="governed through its server"):
        forged.registry.register(run_id, name="credit-risk")
    with pytest.raises(PermissionDenied, match="governed through its server"):
        forged.tracking.start_run(experiment="credit")
    with pytest.raises(PermissionDenied, match="server"):
        forged.governance.set_require_server(False)
    result = CliRunner().invoke(
        cli_app,
        ["governance", "require-server", "off"],
        env={"MODELWARD_HOME": str(settings.home), "MODELWARD_DB_URL": settings.resolved_db_url(),
             "MODELWARD_USER": "alice", "MODELWARD_ARTIFACT_URL": settings.resolved_artifact_url()},
    )  # fmt: skip
    assert result.exit_code == 6, result.output
    assert "governed through its server" in result.output
    assert forged.governance.require_server() is True
    assert forged.registry.list_models() == []

    from modelward.server.app import create_app

    with serve_in_thread(create_app(settings)) as url:
        remote = Client(
            settings.model_copy(update={"server_url": url, "token": team.tokens["alice"]})
        )
        version = remote.registry.register(run_id, name="credit-risk")  # the server may
        assert version.version == 1
        assert remote.governance.set_require_server(False) is True
        remote.close()
    assert forged.governance.require_server() is False
    for made in (admin, forged):
        made.close()


def test_a_viewer_cannot_trigger_an_automatic_promotion(settings: Settings) -> None:
    """Automatic promotion skips the promote permission, so asking for it needs the right to
    request a review, locally as through the server (one rule, in the service)."""
    make_team(settings)
    alice = Client(settings.model_copy(update={"user": "alice"}))
    alice.registry.register(logged_model_run(alice), name="credit-risk")
    viewer = Client(settings.model_copy(update={"user": "victor", "protected_aliases": "champion"}))
    with pytest.raises(PermissionDenied, match="request_review"):
        viewer.governance.auto_promote("credit-risk", 1)
    assert alice.registry.get_version("credit-risk", 1).aliases == ()
    for made in (alice, viewer):
        made.close()
