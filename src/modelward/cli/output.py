"""Rendering for people (Rich tables) and for scripts (--json).

Tables fit the terminal: when a table's columns do not all fit, each command names the
compact set it keeps (`--wide` shows them all anyway); a table whose rows still cannot fit
without cutting values is printed as one `key: value` block per row. Piped output is not
squeezed to Rich's 80-column default: it uses COLUMNS when set, else as much width as the
values need, so `| grep` sees whole values.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import os
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

PIPE_WIDTH = 100_000  # piped without COLUMNS: no line is wrapped or cut
MIN_WRAP_WIDTH = 16  # a free-text column (message, reason ...) may wrap down to this width
_settings = {"wide": False}

WideOpt = Annotated[
    bool, typer.Option("--wide", help="Show every column, even when they do not all fit the width.")
]


def set_wide(wide: bool) -> None:
    """Show every column of every table (the global `modelward --wide`; set on every call)."""
    _settings["wide"] = wide


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


def output_width() -> int | None:
    """The width to render at: the terminal's (None: Rich asks it); when piped, COLUMNS if
    set, else `PIPE_WIDTH` (values are never wrapped or cut for the next program)."""
    if Console().is_terminal:
        return None
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return PIPE_WIDTH


def console() -> Console:
    return Console(highlight=False, soft_wrap=False, width=output_width())


def say(text: str | Text) -> None:
    """A sentence for people, wrapped at word boundaries to the output width (never markup)."""
    console().print(text if isinstance(text, Text) else Text(text))


def table(
    title: str | None,
    columns: list[str],
    rows: Sequence[Sequence[Any]],
    *,
    compact: Sequence[str] | None = None,
    wrap: Sequence[str] = (),
    empty: str | None = None,
    wide: bool = False,
) -> None:
    """Print `rows` under `columns`.

    Args:
        title: Shown above the table (None: no title).
        compact: The columns kept when not all fit the width (and no --wide).
        wrap: Free-text columns that may wrap at word boundaries; other columns keep each
            value on one line (a table that cannot fit them is printed vertically).
        empty: The sentence printed instead of an empty table (default: the title, else
            "Nothing to show.").
        wide: This command's --wide.
    """
    if not rows:
        say(empty or (f"{title}." if title else "Nothing to show."))
        return
    out = console()
    every = [[_cell(v) for v in row] for row in rows]
    shown = list(range(len(columns)))
    if (
        compact is not None
        and not (wide or _settings["wide"])
        and not _fits(columns, every, out.width, wrap)
    ):
        shown = [i for i, col in enumerate(columns) if col in compact]
    hidden = len(columns) - len(shown)
    names = [columns[i] for i in shown]
    cells = [[row[i] for i in shown] for row in every]
    if _fits(names, cells, out.width, wrap):
        grid = Table(title=title, show_lines=False)
        for name in names:
            free = name in wrap
            grid.add_column(name, overflow="fold", no_wrap=not free)
        for row_cells in cells:
            grid.add_row(*row_cells)
        out.print(grid)
    else:
        _vertical(out, title, names, cells)
    if hidden:
        out.print(Text(f"{hidden} more column(s) with --wide.", style="dim"))


def _fits(names: list[str], cells: list[list[Text]], width: int, wrap: Sequence[str]) -> bool:
    """Whether a boxed table of these cells fits `width` keeping non-wrap values whole."""
    needed = len(names) * 3 + 1  # a border and one space of padding on each side per column
    for i, name in enumerate(names):
        longest = max([cell_len(name), *(cell_len(row[i].plain) for row in cells)])
        if name in wrap:  # free text wraps at word boundaries down to a readable width
            longest = min(longest, max(MIN_WRAP_WIDTH, cell_len(name)))
        needed += longest
    return needed <= width


def _vertical(out: Console, title: str | None, names: list[str], cells: list[list[Text]]) -> None:
    """One `key: value` block per row, values wrapped under themselves."""
    if title:
        out.print(Text(title, style="bold"))
    key_width = max(cell_len(n) for n in names) + 1
    for index, row_cells in enumerate(cells):
        if index:
            out.print()
        block = Table.grid(padding=(0, 1))
        block.add_column(no_wrap=True, width=key_width)
        block.add_column(overflow="fold")
        for name, value in zip(names, row_cells, strict=True):
            block.add_row(Text(f"{name}:", style="bold"), value)
        out.print(block)


def _cell(value: Any) -> Text:
    # Values are data, not markup: "fairness.gap[gender]" must print as written.
    if isinstance(value, Text):
        return value
    return Text("" if value is None else str(value))


def fmt_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def fmt_day(value: datetime | None) -> str:
    """A date and minute, for compact columns: 2026-12-01 09:30."""
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def fmt_num(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else ("" if value is None else str(value))
