"""Turn the search tree of ``modelward.domain.search`` into SQL over the runs table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, not_, or_, select

from modelward.domain.search import BoolOp, Comparison, Filter, OrderBy
from modelward.errors import InvalidInput
from modelward.store.sql.tables import experiments, latest_metrics, params, run_tags, runs

_ATTR_COLUMNS = {
    "status": runs.c.status,
    "run_name": runs.c.name,
    "user": runs.c.user,
    "start_time": runs.c.start_time,
    "end_time": runs.c.end_time,
    "run_id": runs.c.id,
    "parent_run_id": runs.c.parent_run_id,
    "experiment": experiments.c.name,
}


def _compare(column: Any, op: str, value: Any) -> ColumnElement[bool]:
    if op == "=":
        return column == value  # type: ignore[no-any-return]
    if op == "!=":
        return column != value  # type: ignore[no-any-return]
    if op == ">":
        return column > value  # type: ignore[no-any-return]
    if op == ">=":
        return column >= value  # type: ignore[no-any-return]
    if op == "<":
        return column < value  # type: ignore[no-any-return]
    if op == "<=":
        return column <= value  # type: ignore[no-any-return]
    if op == "like":
        return column.like(value)  # type: ignore[no-any-return]
    if op == "ilike":
        return func.lower(column).like(str(value).lower())
    if op == "in":
        return column.in_(value)  # type: ignore[no-any-return]
    if op == "not in":
        return not_(column.in_(value))  # type: ignore[no-any-return]
    raise InvalidInput(f"Unknown operator {op!r}.")


def _as_text(value: Any) -> Any:
    """Params, tags and text attributes compare as strings."""
    if isinstance(value, tuple):
        return tuple(_as_text(v) for v in value)
    return str(value)


def _to_time(key: str, value: Any) -> datetime:
    if isinstance(value, float):  # milliseconds since the epoch, as in MLflow
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(
            f"attributes.{key} compares with an ISO date or epoch milliseconds, got {value!r}."
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _attribute(cmp: Comparison) -> ColumnElement[bool]:
    # Binds take the column's type (UTCDateTime), so aware datetimes compare correctly.
    value: Any = cmp.value
    if cmp.key in {"start_time", "end_time"}:
        if isinstance(value, tuple):
            value = tuple(_to_time(cmp.key, v) for v in value)
        else:
            value = _to_time(cmp.key, value)
    else:
        value = _as_text(value)
    return _compare(_ATTR_COLUMNS[cmp.key], cmp.op, value)


def to_condition(tree: Filter) -> ColumnElement[bool]:
    """A WHERE condition over `runs` (joined with `experiments`) for the filter tree."""
    if isinstance(tree, BoolOp):
        parts = [to_condition(part) for part in tree.parts]
        return and_(*parts) if tree.op == "and" else or_(*parts)
    cmp = tree
    if cmp.entity == "attributes":
        return _attribute(cmp)
    if cmp.entity == "metrics":
        value = cmp.value
        cond = _compare(latest_metrics.c.value, cmp.op, value)
        return exists().where(
            latest_metrics.c.run_id == runs.c.id, latest_metrics.c.key == cmp.key, cond
        )
    table = params if cmp.entity == "params" else run_tags
    cond = _compare(table.c.value, cmp.op, _as_text(cmp.value))
    return exists().where(table.c.run_id == runs.c.id, table.c.key == cmp.key, cond)


def apply_order(query: Select[Any], order_by: Sequence[OrderBy]) -> Select[Any]:
    """ORDER BY the given keys (missing metric or param values last), then newest first."""
    for i, item in enumerate(order_by):
        if item.entity == "attributes":
            column: Any = _ATTR_COLUMNS[item.key]
        else:
            table = {"metrics": latest_metrics, "params": params, "tags": run_tags}[item.entity]
            alias = table.alias(f"order_{i}")
            query = query.outerjoin(
                alias, and_(alias.c.run_id == runs.c.id, alias.c.key == item.key)
            )
            column = alias.c.value
        query = query.order_by(column.is_(None), column.desc() if item.descending else column.asc())
    return query.order_by(runs.c.start_time.desc(), runs.c.id)


def base_query() -> Select[Any]:
    return select(runs, experiments.c.name.label("experiment_name")).join(
        experiments, experiments.c.id == runs.c.experiment_id
    )
