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
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from modelward.config import Settings
from modelward.domain.policy import PolicySet
from modelward.domain.ports import UnitOfWork
from modelward.domain.privacy import Pseudonymiser
from modelward.errors import NotFound
from modelward.governance.guard import PolicyGuard
from modelward.governance.policies import load_policies, policy_hash
from modelward.governance.policy_audit import record_policy_in_force
from modelward.store.artifacts import ArtifactStore
from modelward.store.objectstore import check_log_root
from modelward.store.private import private_dir
from modelward.store.sql import engine as sql_engine
from modelward.store.sql.changes import ChangeCounter, open_counter
from modelward.store.sql.uow import SqlUnitOfWork

if TYPE_CHECKING:
    from modelward.store.prediction_files import ParquetPredictionFiles

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
    try:
        mtime = project.stat().st_mtime
    except OSError:  # no project file
        return None
    named = _named_policy_file(str(project), mtime)
    return (project.parent / named) if named else None


@lru_cache(maxsize=8)
def _named_policy_file(project: str, mtime: float) -> str | None:
    """The `policy_file` key of a project file, read again only when the file changes (a
    guard is built per request: the project file is not parsed each time)."""
    import yaml

    content = yaml.safe_load(Path(project).read_text("utf-8")) or {}
    named = content.get("policy_file") if isinstance(content, dict) else None
    return str(named) if named else None


def _split(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


@dataclass
class Workspace:
    """Everything opened once per process from the settings. Thread-safe to share."""

    settings: Settings
    engine: Engine
    artifacts: ArtifactStore
    clock: Callable[[], datetime] = utcnow
    changes: ChangeCounter | None = field(default=None, repr=False)
    """Says whether the metadata store changed since it was last asked (SQLite files only;
    see `store.sql.changes`)."""
    _no_wait_engine: Engine | None = field(default=None, init=False, repr=False)
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
        artifacts = ArtifactStore(settings.resolved_artifact_url())
        artifacts.check()  # a missing bucket or refused credentials fail here, by name
        if settings.predictions_url:
            check_log_root(settings.predictions_url)
        engine = sql_engine.make_engine(url)
        sql_engine.ensure_schema(engine)
        return cls(settings, engine, artifacts, changes=open_counter(url))

    def uow(self, *, read_only: bool = False, wait: bool = True) -> UnitOfWork:
        """A new unit of work over the metadata store. ``wait=False``, on a SQLite file: one
        that never waits for another writer's lock but raises `WouldWait` (for work done where
        waiting would hold up others, the server's event loop); elsewhere it is ignored."""
        if wait or self.changes is None:  # only a SQLite file has a counter
            return SqlUnitOfWork(self.engine, read_only=read_only)
        with self._lock:
            if self._no_wait_engine is None:
                url = self.engine.url.render_as_string(hide_password=False)
                self._no_wait_engine = sql_engine.make_engine(url, wait=False)
        return SqlUnitOfWork(self._no_wait_engine, read_only=read_only, wait=False)

    def now(self) -> datetime:
        """The workspace clock (settable in tests)."""
        return self.clock()

    def close(self) -> None:
        """Release the database connections."""
        if self.changes is not None:
            self.changes.close()
        if self._no_wait_engine is not None:
            self._no_wait_engine.dispose()
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
        return self._protected(self.policies)[0]

    @property
    def protected_environments(self) -> tuple[str, ...]:
        """Environments whose deployments pass the gate: MODELWARD_PROTECTED_ENVIRONMENTS if
        set (it replaces the list), else the policy file's `protected.environments`, else
        production and prod."""
        return self._protected(self.policies)[1]

    def _protected(self, policies: PolicySet) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(aliases, environments): the setting if given, else the policies', else defaults."""
        chosen = []
        for setting, from_file, default in (
            (
                self.settings.protected_aliases,
                policies.protected_aliases,
                DEFAULT_PROTECTED_ALIASES,
            ),
            (
                self.settings.protected_environments,
                policies.protected_environments,
                DEFAULT_PROTECTED_ENVIRONMENTS,
            ),
        ):
            if setting is not None:
                chosen.append(_split(setting))
            else:
                chosen.append(from_file if from_file is not None else default)
        return chosen[0], chosen[1]

    def guard(self, actor: str, *, authenticated: bool) -> PolicyGuard:
        """The guard of one acting identity: `authenticated` when the server proved who it is
        (a token or a session), False for a local, declared identity."""
        policies, digest = self._policies()  # one look at the policy file per guard
        aliases, environments = self._protected(policies)
        return PolicyGuard(
            actor=actor,
            clock=self.clock,
            policies=policies,
            protected_aliases=frozenset(aliases),
            protected_environments=frozenset(environments),
            authenticated=authenticated,
            policy_hash=digest,
        )

    def system_guard(self) -> PolicyGuard:
        """The guard of the platform's automatic responses to critical alerts (a policy's
        `alert_responses`): acts as the system actor, may only deploy and monitor, and still
        passes the gate (see `governance.system_guard`)."""
        from modelward.domain.obligations import SYSTEM_ACTOR
        from modelward.governance.system_guard import SystemGuard

        policies, digest = self._policies()
        aliases, environments = self._protected(policies)
        return SystemGuard(
            actor=SYSTEM_ACTOR,
            clock=self.clock,
            authenticated=True,
            policies=policies,
            protected_aliases=frozenset(aliases),
            protected_environments=frozenset(environments),
            policy_hash=digest,
        )

    # -- prediction logs ---------------------------------------------------------------------

    @property
    def predictions_dir(self) -> Path:
        """Where prediction logs and labels are written and read."""
        return self.settings.resolved_predictions_dir()

    @property
    def predictions_root(self) -> str:
        """The prediction log root: the object-store URL if set, else the folder."""
        return self.settings.resolved_predictions_root()

    def prediction_files(self) -> ParquetPredictionFiles:
        """The prediction-log files, for erasure, retention and compaction."""
        from modelward.store.prediction_files import ParquetPredictionFiles

        return ParquetPredictionFiles(self.predictions_dir)

    def pseudonymiser(self, deployment: str) -> Pseudonymiser | None:
        """What the prediction log applies to `deployment`'s inputs before writing them
        (None: nothing to pseudonymise)."""
        from modelward.governance.privacy import logging_pseudonymiser

        return logging_pseudonymiser(
            self.uow(read_only=True),
            deployment=deployment,
            policies=self.policies,
            key=self.pseudonym_key(),
        )

    def webhook_sender(
        self, *, timeout: float = 5.0
    ) -> Callable[[str, dict[str, Any]], tuple[str, str]]:
        """What posts a webhook delivery to its URL (redirects not followed)."""
        from modelward.store.webhooks import http_sender

        return http_sender(timeout=timeout)

    def pseudonym_key(self) -> bytes:
        """The secret key of the prediction log's pseudonyms (MODELWARD_PSEUDONYM_KEY_FILE,
        else home/pseudonym.key; made on first use)."""
        from modelward.store.secrets import pseudonym_key

        path = self.settings.pseudonym_key_file or Path(self.settings.home) / "pseudonym.key"
        return pseudonym_key(path)


class OverWorkspace:
    """What a face's backend reads through to its `workspace` (the local client's backend and
    the server's platform both stand on one): settings, stores, clock, units of work."""

    workspace: Workspace

    @property
    def settings(self) -> Settings:
        return self.workspace.settings

    @property
    def engine(self) -> Engine:
        return self.workspace.engine

    @property
    def artifacts(self) -> ArtifactStore:
        return self.workspace.artifacts

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.workspace.clock

    @clock.setter
    def clock(self, value: Callable[[], datetime]) -> None:
        self.workspace.clock = value  # tests move time

    def uow(self, *, read_only: bool = False, wait: bool = True) -> UnitOfWork:
        """A new unit of work over the workspace's metadata store (see `Workspace.uow`)."""
        return self.workspace.uow(read_only=read_only, wait=wait)

    def now(self) -> datetime:
        """The workspace clock."""
        return self.workspace.now()
