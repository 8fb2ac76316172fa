"""CliEnv: settings from the environment and options, and a client built on first use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:  # the client pulls in pandas, SQLAlchemy...: built only when a command runs
    from modelward.client import Client
    from modelward.config import Settings


@dataclass
class CliEnv:
    """What every command needs: the settings, and the client made from them on first use."""

    settings: Settings
    _client: Client | None = field(default=None, repr=False)

    @property
    def client(self) -> Client:
        """The client over an existing workspace (commands other than `init` never create one)."""
        if self._client is None:
            from modelward.client import Client

            self._client = Client(self.settings, create=False)
        return self._client


def env_of(ctx: typer.Context) -> CliEnv:
    """The CliEnv the root callback stored on the context."""
    obj = ctx.find_root().obj
    assert isinstance(obj, CliEnv)
    return obj
