"""The Rich view, rendered with width and environment pinned, as Rich's own tests do."""

from __future__ import annotations

import io

from rich.console import Console

import convcalc
from convcalc.views.tables import block_table, compare_tables, to_markdown
from convcalc.views.terminal import print_tables
from convcalc.views.text import human_bytes


def render(tables: list, *, width: int = 120, color: bool = False) -> str:
    out = io.StringIO()
    console = Console(
        file=out,
        width=width,
        color_system="truecolor" if color else None,
        force_terminal=color,
        legacy_windows=False,
    )
    print_tables(tables, console)
    return out.getvalue()


def table_rows(text: str) -> list[list[str]]:
    """The cells of an ASCII-boxed table, row by row."""
    return [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith("|") and not set(line) <= set("|-+")
    ]


def test_block_table_rows_and_total() -> None:
    cost = convcalc.measure(convcalc.separable(cin=64, cout=128))
    rows = table_rows(render([block_table(cost)]))
    header, *body = rows
    assert header == ["Layer", "Type", "Weight shape", "Working", "Params"]
    assert body == [
        ["depthwise", "depthwise", "64×1×3×3", "(3 × 3 + 1) × 64", "640"],
        ["pointwise", "pointwise", "128×64×1×1", "(64 + 1) × 128", "8,320"],
        ["total", "", "", "", "8,960"],
    ]


def test_numbers_are_right_aligned() -> None:
    cost = convcalc.measure(convcalc.separable(cin=64, cout=128))
    lines = [line for line in render([block_table(cost)]).splitlines() if line.startswith("| ")]
    params_cells = [line.rstrip("|").rsplit("|", 1)[1] for line in lines[1:]]
    assert all(cell.endswith(" ") and cell.strip()[-1].isdigit() for cell in params_cells)
    assert {len(cell) - len(cell.rstrip()) for cell in params_cells} == {1}


def test_plain_console_has_no_box_drawing_and_terminal_one_does() -> None:
    tables = compare_tables([convcalc.compare(cin=64, cout=128)])
    plain = render(tables)
    assert not any("\u2500" <= ch <= "\u257f" for ch in plain)
    fancy = render(tables, color=True)
    assert any("\u2500" <= ch <= "\u257f" for ch in fancy)
    assert "\x1b[" in fancy


def test_compare_notes_name_the_conventions() -> None:
    tables = compare_tables([convcalc.compare(cin=64, cout=128, input=56)])
    text = render(tables, width=250)
    assert "MACs exclude bias and BatchNorm" in text and "FLOPs = 2 × MACs" in text


def test_markdown_and_rich_tables_agree_on_cells() -> None:
    tables = compare_tables([convcalc.compare(cin=64, cout=64)])
    md_rows = [
        [c.strip() for c in line.strip("|").split("|")]
        for line in to_markdown(tables).splitlines()
        if line.startswith("|") and "---" not in line
    ]
    assert md_rows == table_rows(render(tables))


def test_human_bytes() -> None:
    assert human_bytes(1023) == "1,023 B"
    assert human_bytes(1024) == "1.0 KiB"
    assert human_bytes(3 * 1024**2 // 2) == "1.5 MiB"
    assert human_bytes(5 * 1024**3) == "5.0 GiB"
