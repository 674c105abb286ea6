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
    from rich.table import Table as RichTable

    plain = not console.is_terminal or console.no_color
    for index, table in enumerate(tables):
        if index:
            console.print()
        console.print(table.title, style="bold", soft_wrap=True)
        rich_table = RichTable(box=box.ASCII if plain else box.ROUNDED)
        for column in table.columns:
            rich_table.add_column(
                column.header,
                justify="right" if column.numeric else "left",
                style=COLUMN_STYLES.get(column.key),
                # Figures are never cut; labels may wrap on a narrow terminal.
                no_wrap=column.numeric,
            )
        for row in table.rows:
            rich_table.add_row(*(cell_text(row.get(c.key), c.kind) for c in table.columns))
        if table.total is not None:
            rich_table.add_section()
            rich_table.add_row(
                *(
                    "" if row_value is None and c.key != "layer" else cell_text(row_value, c.kind)
                    for c in table.columns
                    for row_value in [table.total.get(c.key)]
                ),
                style="bold",
            )
        console.print(rich_table)
        for note in table.notes:
            console.print(note, soft_wrap=True)
