"""LocalBackend: the services over a workspace opened by the composition root, acting as the
user the settings declare (MODELWARD_USER, else the OS login).

Local mode is honour-based: the identity is declared, not proven, so whoever can write the
workspace's files could also edit them. Every service still checks that identity's
permissions, the gate and ownership, so honest mistakes are refused; a workspace that must
hold against dishonest users turns on `require_server`, after which local writes are refused
and changes go through the platform server, which authenticates every request.
"""

from __future__ import annotations

from modelward.config import Settings
from modelward.domain.ports import Guard
from modelward.workspace import OverWorkspace, Workspace, utcnow

__all__ = ["LocalBackend", "utcnow"]


class LocalBackend(OverWorkspace):
    """A workspace and the declared acting user."""

    def __init__(self, workspace: Workspace, actor: str) -> None:
        self.workspace = workspace
        self.actor = actor

    @classmethod
    def open(cls, settings: Settings, *, create: bool = True) -> LocalBackend:
        """Open (and with `create`, make) the workspace of `settings`.

        Raises:
            NotFound: the workspace does not exist and `create` is False.
            SchemaVersionError: the database was written by a newer modelward.
        """
        return cls(Workspace.open(settings, create=create), settings.resolved_user())

    def guard(self) -> Guard:
        """The checks every write passes, for the declared (unauthenticated) local user."""
        return self.workspace.guard(self.actor, authenticated=False)

    def close(self) -> None:
        self.workspace.close()
