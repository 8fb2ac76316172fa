"""Rendering for people (Rich tables) and for scripts (--json)."""

from __future__ import annotations

import dataclasses
import enum
import json
from datetime import datetime
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text


def jsonable(value: Any) -> Any:
    """Dataclasses, enums, datetimes and containers as plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    return value


def print_json(value: Any) -> None:
    typer.echo(json.dumps(jsonable(value), indent=2, default=str))


def console() -> Console:
    # Piped output is read by people too (CI logs): do not squeeze tables to 80 columns.
    probe = Console()
    width = None if probe.is_terminal else max(probe.width, 160)
    return Console(highlight=False, soft_wrap=False, width=width)


def table(title: str | None, columns: list[str], rows: list[list[Any]]) -> None:
    out = Table(title=title, show_lines=False)
    for col in columns:
        out.add_column(col, overflow="fold")
    for row in rows:
        # Values are data, not markup: "fairness.gap[gender]" must print as written.
        out.add_row(*[_cell(v) for v in row])
    console().print(out)


def _cell(value: Any) -> Text | str:
    if isinstance(value, Text):
        return value
    return escape("" if value is None else str(value))


def fmt_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def fmt_num(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else ("" if value is None else str(value))
