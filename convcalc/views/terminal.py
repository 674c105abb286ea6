"""The human view: Rich tables. Rich is imported here only, when a table is drawn."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TextIO

from .tables import Chart, Column, Table, cell_text
from .text import fmt, visible

if TYPE_CHECKING:
    from rich.console import Console
    from rich.segment import Segment

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
    """Draw each table, with its notes under it, and each chart.

    Names are shown with control characters escaped (:func:`convcalc.views.text.visible`).
    Where a table cannot fit the width even with its text wrapped, each row is
    written as ``header: value`` lines instead: figures are never dropped.
    """
    from rich.segment import Segment, Segments

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
            console.print(visible(heading), style="bold", soft_wrap=True)
            totals = [row is table.total for row in rows]
            texts = [_cells(row, columns, total) for row, total in zip(rows, totals, strict=True)]
            headers = [visible(c.header) for c in columns]
            minimums = [
                _least_width(header, [cells[i] for cells in texts], column.numeric)
                for i, (header, column) in enumerate(zip(headers, columns, strict=True))
            ]
            # A grid with a space either side of each cell and rules around; else
            # without the spaces and the outer rules; else a record per row.
            for compact, rules in ((False, 3 * len(minimums) + 1), (True, len(minimums) - 1)):
                if sum(minimums) + rules > console.width:
                    continue  # cannot fit, even at each column's least width
                lines = _grid(console, columns, headers, texts, totals, minimums, compact)
                if max(map(Segment.get_line_length, lines), default=0) <= console.width:
                    drawn = [part for line in lines for part in (*line, Segment.line())]
                    console.print(Segments(drawn), crop=False, soft_wrap=True)
                    break
            else:
                _print_records(console, headers, texts, totals)
        for note in table.notes:
            console.print(visible(note), soft_wrap=True)


def _cells(row: dict[str, Any], columns: tuple[Column, ...], total: bool) -> list[str]:
    """A row's cells as people read them; the totals row leaves blank what does not
    apply rather than writing ``--``."""
    texts = []
    for column in columns:
        text = cell_text(row.get(column.key), column.kind)
        texts.append("" if total and text == "--" else visible(text))
    return texts


WORD_LIMIT = 8
"""The widest a word of text (a name, a heading) forces its column to be; a longer
word is folded. Figures are never folded."""


def _least_width(header: str, cells: list[str], numeric: bool) -> int:
    """The narrowest a column can be: figures whole, words whole up to WORD_LIMIT."""

    def longest_word(text: str) -> int:
        return max((len(word) for word in text.split()), default=0)

    widest = max(
        (len(c) if numeric else min(longest_word(c), WORD_LIMIT) for c in cells), default=0
    )
    return max(widest, min(longest_word(header), WORD_LIMIT), 1)


def _grid(
    console: Console,
    columns: tuple[Any, ...],
    headers: list[str],
    texts: list[list[str]],
    totals: list[bool],
    minimums: list[int],
    compact: bool,
) -> list[list[Segment]]:
    """The table drawn as lines of segments, each as wide as Rich makes it: the
    caller checks they fit before printing them."""
    from rich import box
    from rich.segment import Segment
    from rich.table import Table as RichTable

    rich_table = RichTable(
        box=box.ASCII if _plain(console) else box.ROUNDED,
        padding=(0, 0) if compact else (0, 1),
        show_edge=not compact,
    )
    for header, column, minimum in zip(headers, columns, minimums, strict=True):
        rich_table.add_column(
            header,
            justify="right" if column.numeric else "left",
            style=COLUMN_STYLES.get(column.key),
            # On a narrow terminal, headers and labels wrap; figures never do, being
            # single words no wider than the column's least width.
            min_width=minimum,
            overflow="fold",
        )
    for cells, total in zip(texts, totals, strict=True):
        if total:
            rich_table.add_section()
        rich_table.add_row(*cells, style="bold" if total else None)
    return list(Segment.split_lines(console.render(rich_table, console.options)))


def _print_records(
    console: Console, headers: list[str], texts: list[list[str]], totals: list[bool]
) -> None:
    """One ``header: value`` line per filled cell, a blank line between rows: the
    layout for a width no table fits in."""
    for index, (cells, total) in enumerate(zip(texts, totals, strict=True)):
        if index:
            console.print()
        for header, cell in zip(headers, cells, strict=True):
            if cell:
                line = f"{header}: {cell}"
                console.print(line, style="bold" if total else None, soft_wrap=True)


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

    plain = _plain(console)
    labels = [visible(label) for _, bars in chart.groups for label, _ in bars]
    values = [value for _, bars in chart.groups for _, value in bars]
    scale = max(values, default=0)
    label_width = max(map(len, labels), default=0)
    value_width = max((len(fmt(v)) for v in values), default=0)
    width = max(10, min(60, console.width - label_width - value_width - 4))
    console.print(
        visible(f"{chart.title} (one scale; the longest bar is {fmt(scale)} {chart.unit})"),
        style="bold",
        soft_wrap=True,
    )
    for heading, bars in chart.groups:
        if len(chart.groups) > 1:
            console.print(visible(heading), style="italic", soft_wrap=True)
        for label, value in bars:
            drawn = bar(value, scale, width, plain=plain)
            line = Text(f"{visible(label):<{label_width}} ")
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
