"""CliEnv: settings from the environment and options, and a client built on first use."""

from __future__ import annotations

from dataclasses import dataclass, field

import typer

from modelward.client import Client
from modelward.config import Settings


@dataclass
class CliEnv:
    settings: Settings
    _client: Client | None = field(default=None, repr=False)

    @property
    def client(self) -> Client:
        """The client over an existing workspace (commands other than `init` never create one)."""
        if self._client is None:
            self._client = Client(self.settings, create=False)
        return self._client


def env_of(ctx: typer.Context) -> CliEnv:
    obj = ctx.find_root().obj
    assert isinstance(obj, CliEnv)
    return obj
