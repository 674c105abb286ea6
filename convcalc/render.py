"""The human view: Rich tables. Rich is imported here only, when a table is drawn."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, TextIO

from .views import Table, cell_text

if TYPE_CHECKING:
    from rich.console import Console

PLAIN_WIDTH = 200
"""Width used when stdout is not a terminal, so that piped output never depends on it."""


COLUMN_STYLES = {"params": "cyan", "macs": "magenta", "label": "bold", "layer": "bold"}
"""Colours for the columns people look for first; Rich drops them where colour is off."""


def make_console(file: TextIO | None = None) -> Console:
    """A Console that lets Rich decide on colour (isatty, NO_COLOR, FORCE_COLOR, TERM).

    When the output is not a terminal, the width is fixed so the bytes written
    do not depend on the environment.
    """
    from rich.console import Console

    console = Console(file=file, highlight=False)
    if not console.is_terminal:
        console = Console(file=file, highlight=False, width=PLAIN_WIDTH)
    return console


def print_tables(tables: Iterable[Table], console: Console) -> None:
    """Draw each table, with its notes under it."""
    from rich import box
    from rich.measure import Measurement
    from rich.table import Table as RichTable

    plain = not console.is_terminal or console.no_color
    first = True
    for table in tables:
        rows = [*table.rows, *([table.total] if table.total is not None else [])]
        for heading, columns in table.views():
            if not first:
                console.print()
            first = False
            console.print(heading, style="bold", soft_wrap=True)
            rich_table = RichTable(box=box.ASCII if plain else box.ROUNDED)
            texts = [
                ["" if cell == "--" and row is table.total else cell for cell in cells]
                for row in rows
                for cells in [[cell_text(row.get(c.key), c.kind) for c in columns]]
            ]
            for index, column in enumerate(columns):
                widest = max((len(cells[index]) for cells in texts), default=0)
                rich_table.add_column(
                    column.header,
                    justify="right" if column.numeric else "left",
                    style=COLUMN_STYLES.get(column.key),
                    # On a narrow terminal, headers and labels wrap; figures never do.
                    min_width=widest if column.numeric else None,
                    overflow="fold",
                )
            for row, cells in zip(rows, texts, strict=True):
                if row is table.total:
                    rich_table.add_section()
                rich_table.add_row(*cells, style="bold" if row is table.total else None)
            # Wider than the terminal even at its narrowest: let lines wrap rather
            # than have Rich crop the last columns away.
            needed = Measurement.get(console, console.options, rich_table).minimum
            console.print(rich_table, width=max(needed, console.width), crop=False)
        for note in table.notes:
            console.print(note, soft_wrap=True)
