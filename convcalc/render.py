"""The human view: Rich tables. Rich is imported here only, when a table is drawn."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, TextIO

from .views import Chart, Table, cell_text

if TYPE_CHECKING:
    from rich.console import Console

PLAIN_WIDTH = 200
"""Width used when stdout is not a terminal, so that piped output never depends on it."""


COLUMN_STYLES = {
    "params": "cyan",
    "macs": "magenta",
    "flops": "magenta",
    "compute": "magenta",
    "label": "bold",
    "layer": "bold",
}
"""Colours for the columns people look for first (compute in one colour, whichever
convention states it); Rich drops them where colour is off."""


def make_console(file: TextIO | None = None) -> Console:
    """A Console that lets Rich decide on colour (isatty, NO_COLOR, FORCE_COLOR, TERM).

    When the output is not a terminal, the width is fixed so the bytes written
    do not depend on the environment.
    """
    from rich.console import Console

    # Figures and names are literal text: no markup, no emoji codes to interpret.
    console = Console(file=file, highlight=False, markup=False, emoji=False)
    if not console.is_terminal:
        console = Console(file=file, width=PLAIN_WIDTH, highlight=False, markup=False, emoji=False)
    return console


def _plain(console: Console) -> bool:
    """Whether to draw with ASCII only: for a file or a pipe, without colour, or for an
    encoding that has no box drawing or block characters."""
    return not console.is_terminal or console.no_color or not console.encoding.startswith("utf")


def draw(tables: Iterable[Table | Chart], *, to_stdout: bool) -> str:
    """The tables as text, drawn for stdout (colour and width as Rich decides for it)
    or for a file (plain, :data:`PLAIN_WIDTH` wide); the caller writes the text."""
    if to_stdout:
        console = make_console()
        with console.capture() as capture:
            print_tables(tables, console)
        return capture.get()
    import io

    out = io.StringIO()
    print_tables(tables, make_console(file=out))
    return out.getvalue()


def print_tables(tables: Iterable[Table | Chart], console: Console) -> None:
    """Draw each table, with its notes under it, and each chart."""
    from rich import box
    from rich.measure import Measurement
    from rich.table import Table as RichTable

    plain = _plain(console)
    first = True
    for table in tables:
        if isinstance(table, Chart):
            if not first:
                console.print()
            first = False
            print_chart(table, console)
            continue
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


EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(value: int, scale: int, width: int, *, plain: bool) -> str:
    """A bar of ``value`` on a scale where ``scale`` fills ``width`` cells.

    >>> bar(1, 2, 4, plain=True), bar(3, 8, 4, plain=False)
    ('##', '█▌')
    """
    if scale <= 0:
        return ""
    eighths = value * width * 8 // scale
    if plain:
        return "#" * ((eighths + 4) // 8)
    full, rest = divmod(eighths, 8)
    return "█" * full + (EIGHTHS[rest] if rest else "")


def print_chart(chart: Chart, console: Console) -> None:
    """Horizontal bars, every group on one scale, so the gaps are seen, not read."""
    from rich.text import Text

    from .core import fmt

    plain = _plain(console)
    labels = [label for _, bars in chart.groups for label, _ in bars]
    values = [value for _, bars in chart.groups for _, value in bars]
    scale = max(values, default=0)
    label_width = max(map(len, labels), default=0)
    value_width = max((len(fmt(v)) for v in values), default=0)
    width = max(10, min(60, console.width - label_width - value_width - 4))
    console.print(
        f"{chart.title} (one scale; the longest bar is {fmt(scale)} {chart.unit})",
        style="bold",
        soft_wrap=True,
    )
    for heading, bars in chart.groups:
        if len(chart.groups) > 1:
            console.print(heading, style="italic", soft_wrap=True)
        for label, value in bars:
            drawn = bar(value, scale, width, plain=plain)
            line = Text(f"{label:<{label_width}} ")
            line.append(f"{drawn:<{width}}", style="cyan")
            line.append(f" {fmt(value):>{value_width}}")
            console.print(line, soft_wrap=True)


def export(tables: Iterable[Table | Chart], kind: str) -> str:
    """The tables as an SVG picture or an HTML page, through Rich's own export.

    The picture is as wide as its widest line, so it holds no blank margin.
    """
    import io

    from rich.console import Console

    items = list(tables)

    def record(width: int) -> Console:
        console = Console(
            record=True,
            width=width,
            file=io.StringIO(),
            force_terminal=True,
            color_system="truecolor",
            highlight=False,
            markup=False,
            emoji=False,
            legacy_windows=False,
        )
        print_tables(items, console)
        return console

    probe = record(PLAIN_WIDTH)
    text = probe.export_text(styles=False)
    width = max((len(line.rstrip()) for line in text.splitlines()), default=40)
    console = record(max(width, 20))
    if kind == "svg":
        return console.export_svg(title="convcalc")
    return console.export_html(inline_styles=True)
