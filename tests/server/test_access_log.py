"""`modelward server`'s logging: the access log is ours (after the answer, with the time taken
and the request id), on standard output unless --no-access-log; uvicorn's own is off."""

from __future__ import annotations

import logging
import logging.config

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from modelward.cli.server import log_config


@pytest.mark.parametrize(("access", "level"), [(True, logging.INFO), (False, logging.WARNING)])
def test_the_log_configuration_applies(access: bool, level: int) -> None:
    config = log_config(access=access)
    logging.config.dictConfig(config)
    try:
        assert logging.getLogger("modelward.access").level == level
        assert logging.getLogger("modelward").level == logging.INFO
        assert config["handlers"]["modelward.access"]["stream"] == "ext://sys.stdout"
    finally:
        logging.config.dictConfig({"version": 1, "disable_existing_loggers": False})


def test_the_option_is_offered() -> None:
    from modelward.cli.main import app

    shown = CliRunner().invoke(app, ["server", "--help"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0 and "--no-access-log" in shown.output


def test_each_request_is_logged_once_with_status_time_and_id(
    api: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="modelward.access"):
        api.get("/api/v1/whoami", headers={"X-Request-ID": "abc-1"})
        api.get("/api/v1/models/no-such-model")
    lines = [r.getMessage() for r in caplog.records if r.name == "modelward.access"]
    assert len(lines) == 2
    assert lines[0].startswith("testclient:") and '"GET /api/v1/whoami HTTP/1.1" 200 ' in lines[0]
    assert lines[0].endswith("ms abc-1")
    assert '"GET /api/v1/models/no-such-model HTTP/1.1" 404 ' in lines[1]
