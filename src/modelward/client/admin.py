"""Workspace administration for the CLI: schema status and upgrade (the CLI never imports store)."""

from __future__ import annotations

from modelward.config import Settings
from modelward.store.sql import engine as sql_engine


def db_status(settings: Settings) -> tuple[str | None, str]:
    """(current revision or None, newest revision this modelward knows)."""
    engine = sql_engine.make_engine(settings.resolved_db_url())
    try:
        return sql_engine.current_revision(engine), sql_engine.SCHEMA_HEAD
    finally:
        engine.dispose()


def db_upgrade(settings: Settings) -> tuple[str | None, str]:
    """Apply pending migrations; (revision before, revision after)."""
    if settings.resolved_db_url().startswith("sqlite"):
        settings.home.mkdir(parents=True, exist_ok=True)
    engine = sql_engine.make_engine(settings.resolved_db_url())
    try:
        return sql_engine.upgrade(engine)
    finally:
        engine.dispose()
