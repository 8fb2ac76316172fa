"""Settings from the environment (``MODELWARD_*``) and the optional project file ``modelward.yaml``.

Settings are built at the edge (the CLI's root callback, ``create_app``, the default client),
never at import time.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the workspace lives and how to reach its stores."""

    model_config = SettingsConfigDict(env_prefix="MODELWARD_", extra="ignore")

    home: Path = Field(default=Path(".modelward"), description="Workspace folder.")
    db_url: str | None = Field(default=None, description="SQLAlchemy URL; SQLite in home if unset.")
    artifact_url: str | None = Field(
        default=None,
        description="Artifact store root (path or fsspec URL); home/artifacts if unset.",
    )
    server_url: str | None = Field(default=None, description="Platform server; local if unset.")
    token: str | None = Field(default=None, description="API token for the platform server.")
    user: str | None = Field(default=None, description="Acting user; the OS user if unset.")
    policy_file: Path | None = Field(
        default=None,
        description="Governance policy YAML merged over the shipped defaults; else the"
        " `policy_file` key of ./modelward.yaml, else the defaults alone.",
    )
    protected_aliases: str | None = Field(
        default=None,
        description="Comma-separated aliases whose moves are promotions through the gate;"
        " replaces the policy file's `protected.aliases` and the default (champion).",
    )
    protected_environments: str | None = Field(
        default=None,
        description="Comma-separated deployment environments whose changes pass the gate;"
        " replaces the policy file's `protected.environments` and the default"
        " (production, prod).",
    )
    flush_interval: float = Field(
        default=1.0, gt=0, description="Seconds between background flushes of logged metrics."
    )
    run_heartbeat_timeout: float = Field(
        default=600.0,
        gt=0,
        description="Seconds without a heartbeat after which a RUNNING run is marked FAILED"
        " (its process died); logging processes send one every 30 s.",
    )
    predictions_dir: Path | None = Field(
        default=None, description="Prediction log folder; home/predictions if unset."
    )
    predictions_url: str | None = Field(
        default=None,
        description="Prediction log root on object storage (e.g. s3://bucket/predictions):"
        " every scoring replica writes there and monitoring reads it; overrides"
        " predictions_dir.",
    )
    predictions_flush_seconds: float = Field(
        default=1.0, gt=0, description="Seconds between prediction-log flushes (the crash bound)."
    )
    predictions_batch_rows: int = Field(
        default=10_000, gt=0, description="Rows that trigger a prediction-log flush."
    )
    poll_interval: float = Field(
        default=1.0, ge=0, description="Seconds between deployment-config polls of `serve`."
    )
    max_request_bytes: int = Field(
        default=512 * 1024 * 1024,
        gt=0,
        description="Largest request body the platform server accepts (413 above it).",
    )
    pseudonym_key_file: Path | None = Field(
        default=None,
        description="File holding the secret key of the keyed hash that pseudonymises personal"
        " data in the prediction log (made, 0600, on first use); home/pseudonym.key if unset."
        " Share it between the platform server and scoring replicas; never log it.",
    )
    secret_key: str | None = Field(
        default=None,
        description="Signs web UI sessions; set the same value on every server replica"
        " (random per process if unset).",
    )

    def resolved_db_url(self) -> str:
        """The metadata store URL: explicit, or the SQLite file inside the workspace."""
        if self.db_url:
            return self.db_url
        return f"sqlite:///{(self.home / 'modelward.db').resolve()}"

    def resolved_artifact_url(self) -> str:
        """The artifact store root: explicit, or the folder inside the workspace."""
        if self.artifact_url:
            return self.artifact_url
        return str((self.home / "artifacts").resolve())

    def resolved_predictions_dir(self) -> Path:
        """The prediction log folder: explicit, or the folder inside the workspace."""
        return (self.predictions_dir or self.home / "predictions").resolve()

    def resolved_predictions_root(self) -> str:
        """Where prediction logs are written and read: predictions_url, else the folder."""
        return self.predictions_url or str(self.resolved_predictions_dir())

    def resolved_user(self) -> str:
        """The acting user: MODELWARD_USER, else the OS login name."""
        if self.user:
            return self.user
        import getpass

        try:
            return getpass.getuser()
        except Exception:  # no login name in some containers
            return "unknown"
