"""`modelward server`: the platform server (REST API + web UI) under uvicorn.

The CLI never imports the server: uvicorn imports `modelward.server.app:create_app` as a
factory, which reads its settings from MODELWARD_* (the options given here are exported).
"""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer

from modelward.cli.env import env_of
from modelward.cli.errors import EXIT_INVALID_INPUT, exit_on_domain_error


def server(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 5000,
    workers: Annotated[int, typer.Option(help="Worker processes (share the database).")] = 1,
    access_log: Annotated[
        bool, typer.Option(help="Log each request (logger modelward.access) on standard output.")
    ] = True,
) -> None:
    """Serve the REST API (/api/v1, OpenAPI at /docs) and the web UI.

    Users sign in with a token from 'modelward users token NAME'.
    """
    settings = env_of(ctx).settings
    if workers > 1 and not settings.secret_key:
        # Each worker would draw its own random session key: a sign-in made on one worker
        # would be refused by the next one.
        typer.echo(
            f"Error: --workers {workers} needs MODELWARD_SECRET_KEY: set the secret key (the same"
            " on every worker, e.g. 'export MODELWARD_SECRET_KEY=$(openssl rand -hex 32)') so"
            " sessions work across workers.",
            err=True,
        )
        raise typer.Exit(EXIT_INVALID_INPUT)
    import inspect

    import uvicorn

    os.environ["MODELWARD_HOME"] = str(settings.home)
    if settings.db_url:
        os.environ["MODELWARD_DB_URL"] = settings.db_url
    if workers > 1:
        # Migrate once here: workers opening a fresh database together would each run the
        # migrations and all but one would die on "table already exists".
        from modelward.client.admin import db_upgrade

        with exit_on_domain_error():
            db_upgrade(settings)
    options: dict[str, object] = {}
    if "timeout_worker_healthcheck" in inspect.signature(uvicorn.Config).parameters:
        # uvicorn restarts a worker that does not answer its health check within 5 s by
        # default; a worker importing pandas and scikit-learn on a busy host takes longer,
        # and a worker killed under load drops the requests it was serving.
        options["timeout_worker_healthcheck"] = 60
    typer.echo(f"modelward server on http://{host}:{port} (API docs at /docs)", err=True)
    uvicorn.run(
        "modelward.server.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        log_config=log_config(access=access_log),
        access_log=False,  # ours (modelward.access) is written after the answer, not before
        **options,  # type: ignore[arg-type]
    )


def log_config(*, access: bool) -> dict[str, Any]:
    """uvicorn's logging configuration, plus the server's own loggers: ``modelward`` (start-up,
    reaping, internal errors with their request id) on standard error and ``modelward.access``
    (one line per request, see `server.handlers.RequestId`) on standard output."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["modelward"] = {
        "()": "uvicorn.logging.DefaultFormatter",
        "fmt": "%(levelprefix)s %(message)s",
        "use_colors": None,
    }
    config["handlers"]["modelward"] = {
        "formatter": "modelward",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
    }
    # uvicorn's formatter copies each record to colour its level: a plain one for the access
    # lines, which are all INFO (the same text, uncoloured)
    config["formatters"]["modelward.access"] = {"format": "%(levelname)s:     %(message)s"}
    config["handlers"]["modelward.access"] = {
        "formatter": "modelward.access",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stdout",
    }
    config["loggers"]["modelward"] = {
        "handlers": ["modelward"],
        "level": "INFO",
        "propagate": False,
    }
    config["loggers"]["modelward.access"] = {
        "handlers": ["modelward.access"],
        "level": "INFO" if access else "WARNING",
        "propagate": False,
    }
    return config
