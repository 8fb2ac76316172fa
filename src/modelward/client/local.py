"""LocalBackend: the services over the workspace (SQL metadata store + artifact store)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from modelward.config import Settings
from modelward.errors import NotFound
from modelward.store.artifacts import ArtifactStore
from modelward.store.private import private_dir
from modelward.store.sql import engine as sql_engine
from modelward.store.sql.uow import SqlUnitOfWork


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class LocalBackend:
    """Everything a local client needs: engine, artifact store, acting user and clock."""

    settings: Settings
    engine: Engine
    artifacts: ArtifactStore
    actor: str
    clock: Callable[[], datetime] = field(default=utcnow)

    @classmethod
    def open(cls, settings: Settings, *, create: bool = True) -> LocalBackend:
        """Open (and with `create`, make) the workspace; migrate the schema if needed.

        Raises:
            NotFound: the workspace does not exist and `create` is False.
            SchemaVersionError: the database was written by a newer modelward.
        """
        url = settings.resolved_db_url()
        home = Path(settings.home)
        if (
            url.startswith("sqlite")
            and not (home / "modelward.db").exists()
            and settings.db_url is None
        ):
            if not create:
                raise NotFound(
                    f"No modelward workspace at {str(home.resolve())!r}; run 'modelward init'"
                    " or set MODELWARD_HOME."
                )
        if create:
            private_dir(home)  # 0700: the workspace holds training data and the audit trail
        engine = sql_engine.make_engine(url)
        sql_engine.ensure_schema(engine)
        artifacts = ArtifactStore(settings.resolved_artifact_url())
        return cls(settings, engine, artifacts, settings.resolved_user())

    def uow(self, *, read_only: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, read_only=read_only)

    def now(self) -> datetime:
        return self.clock()

    def close(self) -> None:
        self.engine.dispose()
