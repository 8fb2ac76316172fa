"""The ORM tables and the migrations never drift apart; the schema head constant is right."""

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from modelward.errors import SchemaVersionError
from modelward.store.sql.engine import (
    SCHEMA_HEAD,
    SCHEMA_HEADS,
    known_revisions,
    make_engine,
    upgrade,
)
from modelward.store.sql.tables import metadata


def test_migrations_match_the_tables(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    engine.dispose()
    assert not diff, (
        "The tables in store/sql/tables.py and the migrations differ. Fix: write a migration with"
        " `alembic revision --autogenerate` (see store/sql/migrations) and update SCHEMA_HEADS."
        f" Differences: {diff}"
    )


def test_schema_heads_are_the_newest_migrations() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from modelward.store.sql.engine import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert set(ScriptDirectory.from_config(cfg).get_heads()) == SCHEMA_HEADS, (
        "SCHEMA_HEADS in store/sql/engine.py must list the newest migration(s)"
    )
    assert SCHEMA_HEADS <= known_revisions()


def test_upgrade_is_idempotent(db_url: str) -> None:
    engine = make_engine(db_url)
    assert upgrade(engine) == (SCHEMA_HEAD, SCHEMA_HEAD)
    engine.dispose()


def test_a_newer_schema_gives_a_clear_error(tmp_path: Path, sqlite_template: Path) -> None:
    import shutil

    path = tmp_path / "newer.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        # Several heads are several rows: replace them all by one unknown revision.
        conn.execute(text("DELETE FROM alembic_version"))
        conn.execute(text("INSERT INTO alembic_version (version_num) VALUES ('9999_future')"))
    with pytest.raises(SchemaVersionError, match="newer than this modelward"):
        upgrade(engine)
    engine.dispose()


def test_empty_sqlite_is_migrated_to_head(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert upgrade(engine) == (None, SCHEMA_HEAD)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()


def test_0010_keeps_reports_of_a_workspace_without_users_as_evidence(client) -> None:
    """Before 0010 no roles were recorded; in a workspace without users everyone held all."""
    from alembic import command

    from modelward.store.sql.engine import _alembic_config
    from tests.builders import applicants, fitted_classifier

    frame = applicants()
    model, features = fitted_classifier(frame)
    with client.start_run("credit") as run:
        run.log_model(model, "model", input_example=features.head(5))
    client.registry.register(run.id, name="credit-risk")
    client.validation.validate(
        "models:/credit-risk/1", frame, target="default", config={"explain": False}
    )
    engine = make_engine(client.backend.settings.db_url)
    command.downgrade(_alembic_config(engine), "0006")
    with engine.connect() as conn:
        assert "author_roles" not in conn.execute(text("SELECT * FROM validation_reports")).keys()
    upgrade(engine)
    engine.dispose()
    (record,) = client.validation.list("credit-risk", 1)
    assert record.author_roles is not None
    assert {"validator", "admin"} <= set(record.author_roles)
