"""The human view: Rich tables. Rich is imported here only, when a table is drawn."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TextIO

from .tables import Chart, Column, Table, cell_text, note_text
from .text import compact, fmt, visible

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
    do not depend on the terminal: ``COLUMNS`` if it is set, else :data:`PLAIN_WIDTH`.
    """
    import os

    from rich.console import Console

    # Figures and names are literal text: no markup, no emoji codes to interpret.
    console = Console(file=file, highlight=False, markup=False, emoji=False)
    if not console.is_terminal and not os.environ.get("COLUMNS", "").strip().isdigit():
        console = Console(file=file, width=PLAIN_WIDTH, highlight=False, markup=False, emoji=False)
    return console


def _plain(console: Console) -> bool:
    """Whether to draw with ASCII only: for a file or a pipe, without colour, or for an
    encoding that has no box drawing or block characters."""
    return not console.is_terminal or console.no_color or not console.encoding.startswith("utf")


def draw(
    tables: Iterable[Table | Chart],
    *,
    to_stdout: bool,
    wide: bool = False,
    units: str = "auto",
) -> str:
    """The tables as text, drawn for stdout (colour and width as Rich decides for it)
    or for a file (plain, :data:`PLAIN_WIDTH` wide); the caller writes the text."""
    if to_stdout:
        console = make_console()
        with console.capture() as capture:
            print_tables(tables, console, wide=wide, units=units)
        return capture.get()
    import io

    out = io.StringIO()
    print_tables(tables, make_console(file=out), wide=wide, units=units)
    return out.getvalue()


NOTE_WIDTH = 60
"""The narrowest that notes under a narrow table are wrapped to (the terminal allowing)."""


def print_tables(
    tables: Iterable[Table | Chart],
    console: Console,
    *,
    wide: bool = False,
    units: str = "auto",
    fitted_to: int | None = None,
) -> None:
    """Draw each table, with its notes under it, and each chart.

    Each table fits the console's width (:func:`fit`): the least important columns
    are left out first and counts written at a glance if ``units`` is ``auto``, and
    a line under the table says so; below what can be drawn, each row is written as
    ``header: value`` lines, so no figure is dropped. Notes and headings wrap between
    words. ``wide`` draws every column whatever the width; ``fitted_to`` is the width
    the line under a table names (the console's, unless a picture was fitted to
    another before it was cropped to its content). Names are shown with
    control characters escaped (:func:`convcalc.views.text.visible`).
    """
    first = True
    items = list(tables)
    for at, table in enumerate(items):
        if isinstance(table, Chart):
            if at and _pairs(items[at - 1], table):
                continue  # drawn beside the one before
            if not first:
                console.print()
            first = False
            following = items[at + 1] if at + 1 < len(items) else None
            pair = isinstance(following, Chart) and _pairs(table, following)
            print_chart([table, following] if pair else table, console)  # type: ignore[list-item]
            continue
        rows = [*table.rows, *([table.total] if table.total is not None else [])]
        totals = [row is table.total for row in rows]
        drawn = 0
        shown: set[str] = set()  # the keys of the columns drawn, which the notes may explain
        for heading, columns in table.views():
            if not first:
                console.print()
            first = False
            print_text(console, visible(heading), console.width, style="bold")
            view_width, view_shown = _print_view(
                console, columns, rows, totals, wide, units, fitted_to
            )
            drawn = max(drawn, view_width)
            shown.update(view_shown)
        width = console.width if wide else min(console.width, max(drawn, NOTE_WIDTH))
        for note in table.notes:
            text = note_text(note, shown)
            if text:
                print_text(console, visible(text), width)


def _pairs(one: Table | Chart, other: Chart) -> bool:
    """Whether two charts draw the same bars (a quantity each), to be set side by side."""

    def shape(chart: Chart) -> list[tuple[str, list[str]]]:
        return [(heading, [label for label, _ in bars]) for heading, bars in chart.groups]

    return isinstance(one, Chart) and one.unit != other.unit and shape(one) == shape(other)


def print_text(
    console: Console, text: str, width: int, *, style: str | None = None, indent: str = ""
) -> None:
    """``text`` wrapped between words at ``width``; ``indent`` starts every line
    after the first. A word wider than that (a long name, a figure on a very narrow
    terminal) is kept whole on a line of its own: it is never split."""
    from rich.text import Text

    # A figure stays with its unit ("4.2 M", "16.2 MiB"): the space between is held.
    lines = _wrap(_UNIT_SPACE.sub("\0", text), max(width, len(indent) + 1), indent)
    for line in lines:
        console.print(Text(line.replace("\0", " "), style=style or ""), soft_wrap=True, crop=False)


def _wrap(text: str, width: int, indent: str) -> list[str]:
    """Words filled greedily into lines of at most ``width``, a word wider than that
    on a line of its own (textwrap's ``fill`` without breaking words, and without its
    import on every table's path)."""
    lines: list[str] = []
    line = ""
    lead = text[: len(text) - len(text.lstrip())] if text.strip() else ""
    for word in text.split():
        if line and len(line) + 1 + len(word) <= width:
            line += " " + word
        elif line:
            lines.append(line)
            line = indent + word
        else:
            start = lead.expandtabs()
            line = start + word if len(start) + len(word) <= width else word
    return [*lines, line] if line else [""]


_UNIT_SPACE = re.compile(
    r"(?<=[0-9]) (?=(?:[kMGTPEZY]i?B?|B|MACs|FLOPs)\b)"  # a figure and its unit
    r"|(?<=[^\s;]) (?=[+−×=] [^\s(])|(?<=[^\s;] [+−×=]) (?=[^\s(])"  # a formula: 2 × MACs
    r"|(?<=\s[+−]) (?=[0-9])"  # a sign and its figure: + 602,112
)


def _style(key: str) -> str | None:
    """One colour per quantity, the same in every table and chart: parameters cyan,
    compute magenta."""
    if key == "params" or key.endswith("_params"):
        return QUANTITY_STYLES["parameters"]
    if key in ("macs", "flops", "compute") or key.endswith("_macs"):
        return QUANTITY_STYLES["MACs"]
    return COLUMN_STYLES.get(key)


QUANTITY_STYLES = {"parameters": "cyan", "MACs": "magenta"}
"""A chart's colour by what it counts, as its column is coloured in the tables."""


class Fit:
    """How one (sub-)table is drawn at a width: which columns, their widths and
    headers, counts exact or at a glance, and with or without padding."""

    __slots__ = ("columns", "headers", "texts", "widths", "padded", "units", "left_out")

    def __init__(
        self,
        columns: list[Column],
        headers: list[str],
        texts: list[list[str]],
        widths: list[int],
        padded: bool,
        units: str,
        left_out: list[Column],
    ) -> None:
        self.columns, self.headers, self.texts, self.widths = columns, headers, texts, widths
        self.padded, self.units, self.left_out = padded, units, left_out

    @property
    def width(self) -> int:
        """The width of the drawn table, rules and padding included."""
        n = len(self.widths)
        return sum(self.widths) + (3 * n + 1 if self.padded else n - 1)


def _words(text: str) -> int:
    return max((len(word) for word in text.split()), default=0)


def fit(
    columns: tuple[Column, ...],
    rows: list[dict[str, Any]],
    totals: list[bool],
    width: int,
    *,
    wide: bool = False,
    units: str = "auto",
) -> Fit | None:
    """The best way to draw a table in ``width`` columns, or None if even its
    essential columns cannot be drawn (then it is written a record per row).

    Tried in order, the first that fits wins: every column; then without the
    redundant columns, then without the useful ones. At each, padded with full
    headers, then abbreviated headers, then counts at a glance (``units="auto"``),
    then without padding. Names and figures never wrap; only prose does, between words.
    """
    from .tables import ABBREVIATIONS, ESSENTIAL, REDUNDANT

    kinds = {"auto": ("exact", "si"), "exact": ("exact",), "si": ("si",)}[units]
    texts = {
        unit: [_cells(row, columns, total, unit) for row, total in zip(rows, totals, strict=True)]
        for unit in kinds
    }
    # Every column, then without the redundant ones, padded, then not; then only the
    # essential ones.
    every, most = REDUNDANT + 1, REDUNDANT
    tries = [(every, True)] if wide else [(every, True), (most, True), (most, False)]
    if not wide:
        tries += [(ESSENTIAL + 1, True), (ESSENTIAL + 1, False)]
    for level, padded in tries:
        kept = [i for i, c in enumerate(columns) if c.priority < level]
        if not kept:
            continue
        for unit in kinds:
            if unit == "si" and units == "auto" and level == every:
                continue  # leave out what another column says before rounding figures
            cells = [[row[i] for i in kept] for row in texts[unit]]
            for short in (False, True):
                headers = [visible(columns[i].header) for i in kept]
                if short:  # abbreviate the headers wider than their figures
                    headers = [
                        visible(ABBREVIATIONS.get(columns[i].header, columns[i].header))
                        if len(header) > max((len(row[j]) for row in cells), default=0)
                        else header
                        for j, (i, header) in enumerate(zip(kept, headers, strict=True))
                    ]
                found = Fit(
                    [columns[i] for i in kept],
                    headers,
                    cells,
                    [],
                    padded,
                    unit,
                    [c for c in columns if c.priority >= level],
                )
                if _widths(found, None if wide else width):
                    return found
    return None


def _widths(found: Fit, width: int | None) -> bool:
    """Set the columns' widths for ``width`` (None: as wide as they need); whether the
    table fits. Prose shares what the other columns leave, down to its longest word."""
    natural = [
        max([len(header), *(len(row[i]) for row in found.texts)])
        for i, header in enumerate(found.headers)
    ]
    found.widths[:] = natural
    if width is None or found.width <= width:
        return True
    prose = [i for i, c in enumerate(found.columns) if c.kind == "prose"]
    if not prose:
        return False
    least = {  # prose narrower than this reads a word a line
        i: max(
            [len(found.headers[i]), min(natural[i], PROSE_WIDTH)]
            + [_words(row[i]) for row in found.texts]
        )
        for i in prose
    }
    for i in prose:
        found.widths[i] = min(natural[i], least[i])
    spare = width - found.width
    if spare < 0:
        return False
    for i in prose:  # the first prose column takes what is left
        grow = min(spare, natural[i] - found.widths[i])
        found.widths[i] += grow
        spare -= grow
    return True


PROSE_WIDTH = 24
"""The narrowest a column of prose (a note per row) is drawn before other columns
are left out to make room for it."""


def _left_out_note(found: Fit, units: str, width: int) -> str | None:
    """The line under a table that had to give something up to fit ``width``: columns
    left out, counts rounded, headers shortened (said in full, as the notes name them)."""
    dropped = ", ".join(c.header for c in found.left_out)
    rounded = units == "auto" and found.units == "si"
    short = ", ".join(
        f"{header} is {visible(column.header)}"
        for column, header in zip(found.columns, found.headers, strict=True)
        if header != visible(column.header)
    )
    if dropped:
        said = f"Not shown at {width} columns: {dropped}"
        said += "; counts rounded" if rounded else ""
        said += f"; headers shortened: {short}" if short else ""
        full = ", in full" if rounded or short else ""
        return f"{said} (--wide shows every column{full})."
    if rounded and short:
        return (
            f"Counts rounded and headers shortened to fit {width} columns: {short} "
            "(--wide writes them in full)."
        )
    if rounded:
        return f"Counts rounded to fit {width} columns (--units exact writes them in full)."
    if short:
        return f"Headers shortened to fit {width} columns: {short} (--wide writes them in full)."
    return None


def _print_view(
    console: Console,
    columns: tuple[Column, ...],
    rows: list[dict[str, Any]],
    totals: list[bool],
    wide: bool,
    units: str,
    fitted_to: int | None = None,
) -> tuple[int, list[str]]:
    """Draw one (sub-)table; its width and the keys of the columns drawn."""
    from rich.segment import Segment, Segments

    found = fit(columns, rows, totals, console.width, wide=wide, units=units)
    if found is None:
        texts = [
            _cells(row, columns, total, units) for row, total in zip(rows, totals, strict=True)
        ]
        _print_records(console, columns, texts)
        return console.width, [c.key for c in columns]
    lines = _grid(console, found, totals)
    drawn = [part for line in lines for part in (*line, Segment.line())]
    console.print(Segments(drawn), crop=False, soft_wrap=True)
    note = _left_out_note(found, units, fitted_to or console.width)
    if note:
        print_text(console, note, min(console.width, max(found.width, NOTE_WIDTH)), style="dim")
    return found.width, [c.key for c in found.columns]


def _cells(row: dict[str, Any], columns: tuple[Column, ...], total: bool, units: str) -> list[str]:
    """A row's cells as people read them; the totals row leaves blank what does not
    apply rather than writing ``--``."""
    texts = []
    for column in columns:
        text = cell_text(row.get(column.key), column.kind, "si" if units == "si" else "exact")
        texts.append("" if total and text == "--" else visible(text))
    return texts


def _grid(console: Console, found: Fit, totals: list[bool]) -> list[list[Segment]]:
    """The table drawn as lines of segments, at the widths :func:`fit` chose."""
    from rich import box
    from rich.segment import Segment
    from rich.table import Table as RichTable

    rich_table = RichTable(
        box=box.ASCII if _plain(console) else box.ROUNDED,
        padding=(0, 1) if found.padded else (0, 0),
        show_edge=found.padded,
    )
    for header, column, width in zip(found.headers, found.columns, found.widths, strict=True):
        rich_table.add_column(
            header,
            justify="right" if column.numeric else "left",
            style=_style(column.key),
            width=width,
            no_wrap=column.kind != "prose",
            overflow="fold",
        )
    for cells, total in zip(found.texts, totals, strict=True):
        if total:
            rich_table.add_section()
        rich_table.add_row(*cells, style="bold" if total else None)
    options = console.options.update(width=max(console.width, found.width))
    return list(Segment.split_lines(console.render(rich_table, options)))


def _print_records(console: Console, columns: tuple[Column, ...], texts: list[list[str]]) -> None:
    """Each row headed by its leading names (``3 conv_ds_2``), then one indented
    ``header: value`` line per filled cell: the layout for a width no table fits in."""
    names = 0
    while names < min(2, len(columns)) and not columns[names].numeric:
        names += 1
    for index, cells in enumerate(texts):
        if index:
            console.print()
        heading = " ".join(cell for cell in cells[:names] if cell)
        rest = list(zip(columns, cells, strict=True))[names:]
        if not heading and rest:  # a figure first: said with its header
            (column, cell), *rest = rest
            heading = f"{visible(column.header)}: {cell}"
        print_text(console, heading, console.width, style="bold")
        for column, cell in rest:
            if cell:
                print_text(
                    console, f"  {visible(column.header)}: {cell}", console.width, indent="    "
                )


EIGHTHS = " ▏▎▍▌▋▊▉"


def _length(value: int, chart: Chart, width: int) -> int:
    """A bar's length in eighths of a cell: proportional to the value, or on a log
    scale to its logarithm (the smallest bar still a little long, zero empty)."""
    values = [v for _, bars in chart.groups for _, v in bars if v > 0]
    if value <= 0 or not values:
        return 0
    top = max(values)
    if not chart.logarithmic:
        return value * width * 8 // top
    import math

    floor = min(values) / 2  # the smallest bar is one step above nothing
    span = math.log(top / floor)
    return round(width * 8 * math.log(value / floor) / span) if span else width * 8


def _bar_text(eighths: int, plain: bool) -> str:
    """A bar ``eighths`` eighths of a cell long (``#`` per cell where it is plain).

    >>> _bar_text(16, plain=True), _bar_text(12, plain=False)
    ('##', '█▌')
    """
    if plain:
        return "#" * ((eighths + 4) // 8)
    full, rest = divmod(eighths, 8)
    return "█" * full + (EIGHTHS[rest] if rest else "")


def _scale_text(chart: Chart) -> str:
    values = [v for _, bars in chart.groups for _, v in bars if v > 0]
    if chart.logarithmic and values:
        return f"log scale, {fmt(min(values))} to {fmt(max(values))}"
    return f"one scale, longest {fmt(max(values, default=0))}"


def print_chart(chart: Chart | list[Chart], console: Console) -> None:
    """Horizontal bars, every group on one scale, so the gaps are seen, not read.

    Two charts of the same bars (parameters and MACs) are drawn side by side when
    they fit, each in its quantity's colour; a group's bars are drawn together,
    under its heading. Figures are shortened (``231.2 M``) rather than let a line
    pass the edge, and the bars left out below what can be drawn.
    """
    from rich.text import Text

    charts = chart if isinstance(chart, list) else [chart]
    plain = _plain(console)
    grouped = len(charts[0].groups) > 1
    indent = "  " if grouped else ""
    labels = [visible(label) for _, bars in charts[0].groups for label, _ in bars]
    label_width = max(map(len, labels), default=0)
    for writer in (fmt, compact):
        value_widths = [
            max((len(writer(v)) for _, bars in c.groups for _, v in bars), default=0)
            for c in charts
        ]
        room = console.width - len(indent) - label_width - sum(2 + w for w in value_widths)
        bar_width = min(40 if len(charts) > 1 else 60, room // len(charts))
        if bar_width >= 8:
            break
    if bar_width < 8 and len(charts) > 1:
        for one in charts:  # not side by side: one after the other
            print_chart(one, console)
            if one is not charts[-1]:
                console.print()
        return
    bar_width = max(bar_width, 0)  # below what can be drawn: values without bars
    titles = [f"{c.title} ({_scale_text(c)})" for c in charts]
    if len(charts) == 1:
        print_text(console, visible(titles[0]), console.width, style="bold")
    else:
        print_text(console, visible("; ".join(titles)), console.width, style="bold")
        heads = Text(" " * (len(indent) + label_width))
        for c, value_width in zip(charts, value_widths, strict=True):
            room = bar_width + 1 + value_width
            heads.append(f" {c.title[:room]:<{room}}", style=QUANTITY_STYLES.get(c.unit, "cyan"))
        heads.rstrip()
        console.print(heads, soft_wrap=True, crop=False)
    for index, (heading, bars) in enumerate(charts[0].groups):
        if grouped:
            print_text(console, visible(heading), console.width, style="italic")
        for number, (label, _) in enumerate(bars):
            line = Text(f"{indent}{visible(label):<{label_width}}")
            for c, value_width in zip(charts, value_widths, strict=True):
                value = c.groups[index][1][number][1]
                if bar_width:
                    drawn = _bar_text(_length(value, c, bar_width), plain)
                    line.append(f" {drawn:<{bar_width}}", style=QUANTITY_STYLES.get(c.unit, "cyan"))
                line.append(f" {writer(value):>{value_width}}")
            console.print(line, soft_wrap=True, crop=False)


PICTURE_WIDTH = 100
"""The most columns an SVG or HTML picture is drawn in (unless ``--wide``): scaled
to a pull request's column (about 880 px), its text stays legible."""


def export(
    tables: Iterable[Table | Chart],
    kind: str,
    *,
    wide: bool = False,
    units: str = "auto",
    title: str = "convcalc",
) -> str:
    """The tables as an SVG picture or an HTML page, through Rich's own export,
    titled ``title`` and the first table's title.

    The tables fit :data:`PICTURE_WIDTH` columns as they fit a terminal, and the
    picture is as wide as its widest line, so it holds no blank margin. The SVG's
    text is placed word by word (:func:`_placed`), so that it lines up in every
    renderer.
    """
    import io

    from rich.console import Console

    items = list(tables)
    first = next((item.title for item in items), "")
    title = visible(f"{title}: {first}" if first else title)

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
        print_tables(items, console, wide=wide, units=units, fitted_to=fitted_to)
        return console

    fitted_to = PLAIN_WIDTH if wide else PICTURE_WIDTH
    probe = record(fitted_to)
    text = probe.export_text(styles=False)
    width = max((len(line.rstrip()) for line in text.splitlines()), default=40)
    console = record(max(width, 20))
    if kind == "svg":
        return _placed(console.export_svg(title=title))
    import html

    from rich._export_format import CONSOLE_HTML_FORMAT

    head = f"<head>\n<title>{html.escape(title)}</title>".replace("{", "{{").replace("}", "}}")
    page = CONSOLE_HTML_FORMAT.replace("<head>", head, 1)
    return console.export_html(inline_styles=True, code_format=page)


_SVG_TEXT = re.compile(
    r'<text class="([^"]*)" x="([0-9.]+)" y="([0-9.]+)" textLength="([0-9.]+)" '
    r'clip-path="([^"]*)">(.*?)</text>',
    re.S,
)

WORD_CELLS = 6
"""The longest run of a rule (box drawing) placed as one piece of SVG text: a
renderer whose font is a little narrower or wider than Rich's reckoning (librsvg
ignores ``textLength``) drifts by at most a fraction of a cell, so the rules meet.
Words are placed whole, so the picture's text can still be searched."""


def _placed(svg: str) -> str:
    """Rich's SVG with each line's text cut into words (and rules into pieces of
    :data:`WORD_CELLS`), each placed at its own column, and bars drawn as rectangles.

    Rich writes a run of cells as one ``<text>``, spaces as non-breaking ones and
    relies on ``textLength`` to keep the columns: librsvg drops the leading spaces
    (right-aligned figures go left) and ignores ``textLength`` (borders go jagged).
    Placed word by word, with no spaces to keep, the picture is the same in both.
    """
    import html

    from rich.cells import cell_len

    def place(match: re.Match[str]) -> str:
        style, x, y, length, clip, body = match.groups()
        text = html.unescape(body)
        cells = cell_len(text)
        if not text.strip(" \xa0\n"):
            return ""  # nothing to see
        if not cells:
            return match[0]
        unit = float(length) / cells
        pieces: list[str] = []
        column = start = 0
        word = ""
        for char in (*text, " "):
            bars = bool(word) and set(word) <= BAR_CHARS
            rules = bool(word) and all("\u2500" <= c <= "\u257f" for c in word)
            if (
                char in " \xa0"
                or (rules and cell_len(word) >= WORD_CELLS)
                or (bars != (char in BAR_CHARS))
            ):
                if word:
                    pieces.append(_piece(word, style, float(x) + start * unit, y, unit, clip))
                word = ""
            if char not in " \xa0":
                if not word:
                    start = column
                word += char
            column += cell_len(char)
        return "".join(pieces)

    return _SVG_TEXT.sub(place, svg)


BAR_CHARS = frozenset("█" + EIGHTHS.strip())


def _piece(word: str, style: str, left: float, y: str, unit: float, clip: str) -> str:
    """One word of SVG text at its column; a bar as a rectangle, which no font can
    leave gaps in."""
    import html

    from rich.cells import cell_len

    if set(word) <= BAR_CHARS:
        eighths = sum(8 if char == "█" else EIGHTHS.index(char) for char in word)
        # The text's baseline is 0.8 of the font size (20 px) below the top of a cell.
        return (
            f'<rect class="{style}" x="{left:.6g}" y="{float(y) - 16:.6g}" '
            f'width="{eighths * unit / 8:.6g}" height="20" clip-path="{clip}"/>'
        )
    return (
        f'<text class="{style}" x="{left:.6g}" y="{y}" textLength="{cell_len(word) * unit:.6g}" '
        f'clip-path="{clip}">{html.escape(word, quote=False)}</text>'
    )
