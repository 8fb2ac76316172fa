"""The composition root: one place opens a workspace from settings and wires what every face
needs: the metadata engine, the artifact store, the prediction-log folder, the clock, the
policies (re-read when their file changes), the protected aliases and environments, and the
guard that checks every write.

The local Client, the platform server, the scoring service and the MLflow-compatible API are
all built from a `Workspace`; nothing else builds an engine, an artifact store or a guard.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from modelward.config import Settings
from modelward.domain.policy import PolicySet
from modelward.domain.ports import UnitOfWork
from modelward.errors import NotFound
from modelward.governance.guard import PolicyGuard
from modelward.governance.policies import load_policies, policy_hash
from modelward.governance.policy_audit import record_policy_in_force
from modelward.store.artifacts import ArtifactStore
from modelward.store.private import private_dir
from modelward.store.sql import engine as sql_engine
from modelward.store.sql.uow import SqlUnitOfWork

DEFAULT_PROTECTED_ALIASES = ("champion",)
DEFAULT_PROTECTED_ENVIRONMENTS = ("production", "prod")


def utcnow() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


def policy_path(settings: Settings, *, cwd: Path | None = None) -> Path | None:
    """The policy file to merge over the defaults: MODELWARD_POLICY_FILE, else the
    `policy_file` key of ./modelward.yaml (relative to that file), else None."""
    if settings.policy_file is not None:
        return Path(settings.policy_file)
    project = (cwd or Path.cwd()) / "modelward.yaml"
    if not project.is_file():
        return None
    import yaml

    content = yaml.safe_load(project.read_text("utf-8")) or {}
    named = content.get("policy_file") if isinstance(content, dict) else None
    return (project.parent / str(named)) if named else None


def _split(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


@dataclass
class Workspace:
    """Everything opened once per process from the settings. Thread-safe to share."""

    settings: Settings
    engine: Engine
    artifacts: ArtifactStore
    clock: Callable[[], datetime] = utcnow
    _policy_cache: tuple[tuple[str | None, float], PolicySet, str] | None = field(
        default=None, repr=False
    )
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def open(cls, settings: Settings, *, create: bool = True) -> Workspace:
        """Open (and with `create`, make) the workspace; migrate the schema if needed.

        Raises:
            NotFound: the workspace does not exist and `create` is False.
            SchemaVersionError: the database was written by a newer modelward.
            InvalidInput: the policy file has errors.
        """
        url = settings.resolved_db_url()
        home = Path(settings.home)
        if (
            url.startswith("sqlite")
            and not (home / "modelward.db").exists()
            and settings.db_url is None
            and not create
        ):
            raise NotFound(
                f"No modelward workspace at {str(home.resolve())!r}; run 'modelward init'"
                " or set MODELWARD_HOME."
            )
        if create:
            private_dir(home)  # 0700: the workspace holds training data and the audit trail
        engine = sql_engine.make_engine(url)
        sql_engine.ensure_schema(engine)
        return cls(settings, engine, ArtifactStore(settings.resolved_artifact_url()))

    def uow(self, *, read_only: bool = False) -> UnitOfWork:
        """A new unit of work over the metadata store."""
        return SqlUnitOfWork(self.engine, read_only=read_only)

    def now(self) -> datetime:
        """The workspace clock (settable in tests)."""
        return self.clock()

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    # -- policies and what they protect --------------------------------------------------

    def _policies(self) -> tuple[PolicySet, str]:
        path = policy_path(self.settings)
        mtime = path.stat().st_mtime if path is not None and path.exists() else 0.0
        key = (str(path) if path else None, mtime)
        with self._lock:
            cached = self._policy_cache
        if cached is not None and cached[0] == key:
            return cached[1], cached[2]
        loaded = load_policies(path)
        digest = policy_hash(loaded)
        if path is not None:  # a policy file in force: the trail says which, when it changes
            record_policy_in_force(
                self.uow(), loaded, actor="modelward", now=self.now(), source=str(path)
            )
        with self._lock:
            self._policy_cache = (key, loaded, digest)
        return loaded, digest

    @property
    def policies(self) -> PolicySet:
        """The policies in force: the shipped defaults with the policy file merged over them."""
        return self._policies()[0]

    @property
    def policy_hash(self) -> str:
        """sha256 of the policies in force (recorded with every gate decision and refusal)."""
        return self._policies()[1]

    @property
    def protected_aliases(self) -> tuple[str, ...]:
        """Aliases whose moves are promotions: MODELWARD_PROTECTED_ALIASES if set (it replaces
        the list), else the policy file's `protected.aliases`, else `champion`."""
        if self.settings.protected_aliases is not None:
            return _split(self.settings.protected_aliases)
        found = self.policies.protected_aliases
        return found if found is not None else DEFAULT_PROTECTED_ALIASES

    @property
    def protected_environments(self) -> tuple[str, ...]:
        """Environments whose deployments pass the gate: MODELWARD_PROTECTED_ENVIRONMENTS if
        set (it replaces the list), else the policy file's `protected.environments`, else
        production and prod."""
        if self.settings.protected_environments is not None:
            return _split(self.settings.protected_environments)
        found = self.policies.protected_environments
        return found if found is not None else DEFAULT_PROTECTED_ENVIRONMENTS

    def guard(self, actor: str, *, authenticated: bool) -> PolicyGuard:
        """The guard of one acting identity: `authenticated` when the server proved who it is
        (a token or a session), False for a local, declared identity."""
        policies, digest = self._policies()
        return PolicyGuard(
            actor=actor,
            clock=self.clock,
            policies=policies,
            protected_aliases=frozenset(self.protected_aliases),
            protected_environments=frozenset(self.protected_environments),
            authenticated=authenticated,
            policy_hash=digest,
        )

    # -- prediction logs ---------------------------------------------------------------------

    @property
    def predictions_dir(self) -> Path:
        """Where prediction logs and labels are written and read."""
        return self.settings.resolved_predictions_dir()
