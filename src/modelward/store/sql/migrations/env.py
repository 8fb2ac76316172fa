"""Alembic environment: runs migrations on the engine modelward hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from modelward.store.sql.engine import make_engine
from modelward.store.sql.tables import metadata

config = context.config
engine: Engine | None = config.attributes.get("engine")
if engine is None:  # plain `alembic` command line: take the URL from the ini/option
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///modelward.db")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
