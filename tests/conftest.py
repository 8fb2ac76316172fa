"""Shared fixtures: settings over a migrated database, parametrized as SQLite and PostgreSQL.

SQLite: migrated once per session, the file copied for each test (MLflow's cached_db idea).
PostgreSQL (MODELWARD_TEST_PG_URL, default 127.0.0.1:5432/test): migrated once per session in
a schema of its own, every table truncated after each test. Unreachable PostgreSQL skips those
tests with a loud note, or fails the run when MODELWARD_REQUIRE_POSTGRES=1 (CI).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from modelward.config import Settings
from modelward.store.sql.engine import make_engine, upgrade
from modelward.store.sql.tables import metadata

pytest_plugins = ["tests.objectstore"]  # the S3 server and the local/S3 store roots

PG_BASE = os.environ.get(
    "MODELWARD_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_PG = os.environ.get("MODELWARD_REQUIRE_POSTGRES") == "1"
_pg_skipped: list[str] = []


@pytest.fixture(autouse=True)
def _no_modelward_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts without MODELWARD_* variables, whatever the developer's shell exports.

    A test that needs one sets it itself (monkeypatch.setenv, or CliRunner's `env=`). The test
    suite's own knobs (MODELWARD_TEST_PG_URL, MODELWARD_REQUIRE_POSTGRES, MODELWARD_CHROMIUM,
    MODELWARD_DOCS_SCREENSHOTS) are read when the test modules are imported, before this runs.
    """
    for name in [n for n in os.environ if n.startswith("MODELWARD_")]:
        monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "modelward.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A migrated PostgreSQL schema private to this test session."""
    schema = f"mw_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_BASE)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        admin.dispose()
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL at {PG_BASE} is unreachable and CI requires it: {exc}")
        _pg_skipped.append(str(exc).splitlines()[0])
        pytest.skip(f"PostgreSQL unreachable at {PG_BASE}")
    sep = "&" if "?" in PG_BASE else "?"
    url = f"{PG_BASE}{sep}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _truncate(url: str) -> None:
    engine = make_engine(url)
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        conn.execute(
            text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :h)"), {"h": "0" * 64}
        )
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty metadata database: one test per backend."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        target = tmp_path / ".modelward" / "modelward.db"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(template, target)
        yield f"sqlite:///{target}"
        return
    url = request.getfixturevalue("pg_url")
    yield url
    _truncate(url)


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(
        home=tmp_path / ".modelward",
        db_url=db_url,
        artifact_url=str(tmp_path / "artifacts"),
        user="alice",
        flush_interval=0.2,
        protected_aliases="",  # plain alias mechanics; governance tests opt in to the gate
        protected_environments="",
    )


@pytest.fixture
def sqlite_settings(tmp_path: Path, sqlite_template: Path) -> Settings:
    """Settings over a SQLite workspace only (CLI and process tests)."""
    home = tmp_path / ".modelward"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(sqlite_template, home / "modelward.db")
    return Settings(
        home=home, user="alice", flush_interval=0.2, protected_aliases="", protected_environments=""
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[object]:
    from modelward.client import Client

    made = Client(settings)
    yield made
    made.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _pg_skipped:
        terminalreporter.write_sep(
            "!",
            "PostgreSQL was unreachable: the PostgreSQL half of the store tests was SKIPPED",
            red=True,
            bold=True,
        )
        terminalreporter.write_line(f"  reason: {_pg_skipped[0]}")
        terminalreporter.write_line(f"  set MODELWARD_TEST_PG_URL (now {PG_BASE}) to run them.")
