"""`Direct` statements give what SQLAlchemy gives for the same statement, on both backends,
and fail the way SQLAlchemy fails (so the unit of work names the failure as it names others)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, bindparam, insert, literal, select, update
from sqlalchemy.exc import IntegrityError

from modelward.store.sql.direct import Direct
from modelward.store.sql.engine import make_engine
from modelward.store.sql.tables import experiments, metrics, runs

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def conn(db_url: str) -> Iterator[Connection]:
    engine = make_engine(db_url)
    with engine.connect() as connection, connection.begin():
        connection.execute(insert(experiments).values(id=1, name="e", created_at=T0))
        connection.execute(
            insert(runs).values(
                id="r1", experiment_id=1, name="run", status="RUNNING", user="ann", start_time=T0
            )
        )
        yield connection  # rolled back: the database stays empty for the next test
    engine.dispose()


STATE = Direct(
    select(runs.c.user, runs.c.status, runs.c.deleted_at.is_not(None)).where(
        runs.c.id == bindparam("b_id")
    )
)
INSERT = Direct(insert(metrics), column_keys=("run_id", "key", "value", "step", "timestamp"))
HISTORY = Direct(
    select(metrics.c.key, metrics.c.value, metrics.c.step)
    .where(metrics.c.run_id == bindparam("b_id"))
    .order_by(metrics.c.step)
)


def _metric(step: int, run_id: str = "r1") -> dict[str, object]:
    return {"run_id": run_id, "key": "loss", "value": 1 / (step + 1), "step": step, "timestamp": 7}


def test_first_all_and_execute_many_give_what_sqlalchemy_gives(conn: Connection) -> None:
    assert STATE.first(conn, {"b_id": "r1"}) == ("ann", "RUNNING", False)
    assert STATE.first(conn, {"b_id": "nobody"}) is None
    counted = INSERT.execute_many(conn, [_metric(s) for s in (2, 0, 1)])
    assert counted == 3 if conn.dialect.name == "sqlite" else counted in (3, None)
    assert INSERT.execute_many(conn, []) == 0
    through_sqlalchemy = [tuple(r) for r in conn.execute(HISTORY.statement, {"b_id": "r1"})]
    # the same rows, the floats exactly: both are the driver's own values, unconverted
    assert HISTORY.all(conn, {"b_id": "r1"}) == through_sqlalchemy
    assert through_sqlalchemy == [("loss", 1.0, 0), ("loss", 0.5, 1), ("loss", 1 / 3, 2)]


def test_values_the_statement_binds_itself_need_not_be_passed(conn: Connection) -> None:
    one = Direct(select(literal(1)).select_from(runs).limit(1))
    assert one.first(conn, {}) == (1,)


def test_a_missing_parameter_is_an_error_not_a_null() -> None:
    with make_engine("sqlite://").connect() as sqlite:  # SQLite's path: the others bind as ever
        with pytest.raises(KeyError, match="b_id"):
            STATE.first(sqlite, {})


def test_driver_errors_are_sqlalchemys(conn: Connection) -> None:
    with pytest.raises(IntegrityError):  # no such run: the foreign key refuses it
        INSERT.execute_many(conn, [_metric(0, run_id="nobody")])


def test_expanding_in_lists_are_refused() -> None:
    listed = Direct(select(runs.c.id).where(runs.c.id.in_(bindparam("ids", expanding=True))))
    with make_engine("sqlite://").connect() as sqlite, pytest.raises(TypeError, match="IN list"):
        listed.all(sqlite, {"ids": ["r1"]})


def test_column_types_convert_as_through_sqlalchemy(conn: Connection) -> None:
    """Aware UTC datetimes and booleans, bound and read, as SQLAlchemy's own rows give them."""
    ended = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    end = Direct(
        update(runs)
        .where(runs.c.id == bindparam("b_id"))
        .values(end_time=bindparam("b_end"), git_dirty=bindparam("b_dirty"))
    )
    assert end.execute(conn, {"b_id": "r1", "b_end": ended, "b_dirty": True}) == 1
    read = Direct(select(runs).where(runs.c.id == bindparam("b_id")))
    row = read.first(conn, {"b_id": "r1"})
    assert tuple(row) == tuple(conn.execute(read.statement, {"b_id": "r1"}).one())
    assert (row.start_time, row.end_time, row.git_dirty) == (T0, ended, True)
    assert row.end_time.tzinfo is not None
