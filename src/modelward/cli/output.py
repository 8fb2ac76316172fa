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
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any

import typer
from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

PIPE_WIDTH = 100_000  # piped without COLUMNS: no line is wrapped or cut
GAP = 2  # between two columns: one space of padding and the (blank) column divider
MIN_WRAP_WIDTH = 16  # a free-text column (message, reason ...) wraps no narrower than this
MAX_WHOLE_WORD = 48  # ... nor than its longest word up to this; longer ones (lists) may fold
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


def say(text: str | Text, *, whole: bool = False) -> None:
    """A sentence for people, wrapped at word boundaries to the output width (never markup);
    `whole`: never wrapped (a command to copy and paste)."""
    console().print(text if isinstance(text, Text) else Text(text), soft_wrap=whole)


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
        empty: The sentence printed instead of an empty table (default: "No <title>.", else
            "Nothing to show.").
        wide: This command's --wide.
    """
    if not rows:
        say(empty or (f"No {title[:1].lower()}{title[1:]}." if title else "Nothing to show."))
        return
    out = console()
    every = [[_cell(v) for v in row] for row in rows]
    shown = list(range(len(columns)))
    if (
        compact is not None
        and not (wide or _settings["wide"])
        and _widths(columns, every, out.width, wrap) is None
    ):
        shown = [i for i, col in enumerate(columns) if col in compact]
    hidden = len(columns) - len(shown)
    names = [columns[i] for i in shown]
    cells = [[row[i] for i in shown] for row in every]
    widths = _widths(names, cells, out.width, wrap)
    if widths is None:
        _vertical(out, title, names, cells)
    else:
        # Light lines (a rule under the header, spaces between columns) leave the width to
        # the values and keep rows easy to grep and cut.
        grid = Table(
            title=title,
            min_width=min(cell_len(title or ""), out.width),  # a title is not wrapped
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
            padding=(0, 1, 0, 0),
        )
        for name, width in zip(names, widths, strict=True):
            grid.add_column(name, overflow="fold", no_wrap=name not in wrap, width=width)
        for row_cells in cells:
            grid.add_row(*row_cells)
        out.print(grid)
    if hidden:
        out.print(Text(f"{hidden} more column(s) with --wide.", style="dim"))


def _widths(
    names: list[str], cells: list[list[Text]], width: int, wrap: Sequence[str]
) -> list[int] | None:
    """Each column's width in a table at most `width` wide, or None when none fits.

    A column keeps its values on one line, except free-text (`wrap`) columns, which may
    narrow down to their longest word (at least `MIN_WRAP_WIDTH`): words are not cut, unless
    longer than `MAX_WHOLE_WORD` (a comma-separated list, a path), which fold.
    """
    natural, least = [], []
    for i, name in enumerate(names):
        values = [row[i].plain for row in cells]
        longest = max([cell_len(name), *(cell_len(v) for v in values)])
        natural.append(longest)
        if name in wrap:
            words = [min(cell_len(w), MAX_WHOLE_WORD) for v in values for w in v.split()]
            least.append(min(longest, max([MIN_WRAP_WIDTH, cell_len(name), *words])))
        else:
            least.append(longest)
    room = width - GAP * (len(names) - 1)  # no outer edges; GAP characters between columns
    if sum(natural) <= room:
        return natural
    if sum(least) > room:
        return None
    # Share the spare room among the free-text columns, in proportion to what they lack.
    spare, lacking = room - sum(least), [n - m for n, m in zip(natural, least, strict=True)]
    total = sum(lacking)
    return [m + (spare * lack) // total for m, lack in zip(least, lacking, strict=True)]


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


def as_time(value: datetime | str | None) -> datetime | None:
    """A datetime from itself or its ISO text (JSON over HTTP carries text)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def fmt_window(starts: Sequence[datetime | str | None]) -> Callable[[Any], str]:
    """How to show window starts: the date alone when every one is at midnight (daily or
    weekly windows), else the date and minute."""
    times = [as_time(t) for t in starts]
    daily = all(t is None or (t.hour, t.minute, t.second) == (0, 0, 0) for t in times)

    def show(value: Any) -> str:
        text = fmt_day(as_time(value))
        return text[:10] if daily else text

    return show


def fmt_num(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else ("" if value is None else str(value))
