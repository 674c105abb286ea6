"""Tables fit the width they are given (issue 14): at COLUMNS=80 and 60 no line is
wider, no word or figure is split across lines, and what was left out is said."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner, Result

from convcalc.cli import cli
from convcalc.views.tables import ABBREVIATIONS
from convcalc.views.text import compact, fmt

RUNS = [
    ["compare", "--cin", "64", "--cout", "128", "-k", "3", "--input", "56", "--all", "--chart"],
    ["model", "mobilenet_v1"],
    ["model", "mobilenet_v1", "--as", "standard"],
    ["model", "osnet_x1_0", "--depth", "3"],
    ["sweep", "--cin", "16,32,64", "--cout", "128", "-k", "3,5,7", "--input", "56", "--chart"],
    ["separable", "--cin", "64", "--cout", "128", "--input", "56", "--reported-by", "all"],
]

BARS = set("█▉▊▋▌▍▎▏#")
RULES = "│|─━╭╮╰╯├┤┬┴┼+-"
LEFT_OUT = re.compile(r"(Not shown at|Counts rounded|Headers shortened).*?\)\.", re.S)


def at(args: list[str], width: int) -> Result:
    """A run with the width a terminal of ``width`` columns would give (COLUMNS, and
    Click's own terminal width for help)."""
    result = CliRunner().invoke(cli, args, env={"COLUMNS": str(width)}, terminal_width=width)
    assert (result.exit_code, result.stderr) == (0, ""), result.output
    return result


def tokens(text: str) -> list[str]:
    """The words of a drawn output, without rules and bars."""
    words = re.sub(f"[{re.escape(RULES)}]", " ", text).split()
    return [word for word in words if not set(word) <= BARS and not set(word) <= set(RULES)]


def vocabulary(args: list[str]) -> set[str]:
    """Every word the output may hold: the full output (every column, exact and at a
    glance) and the abbreviated headers."""
    words = set(tokens(" ".join(ABBREVIATIONS.values())))
    for units in ("exact", "si"):
        words |= set(tokens(at([*args, "--wide", "--units", units], 1000).stdout))
    return words


@pytest.mark.parametrize("args", RUNS, ids=lambda a: "-".join(a[:3]))
@pytest.mark.parametrize("width", [80, 60])
def test_nothing_is_wider_than_the_terminal_or_split(args: list[str], width: int) -> None:
    text = at(args, width).stdout
    too_wide = [line for line in text.splitlines() if len(line) > width]
    assert not too_wide, text
    known = vocabulary(args)
    split = [word for word in tokens(LEFT_OUT.sub(" ", text)) if word not in known]
    assert not split, text


@pytest.mark.parametrize("width", [80, 60])
def test_what_is_left_out_is_said_and_wide_shows_it(width: int) -> None:
    args = ["compare", "--cin", "64", "--cout", "128", "-k", "3", "--input", "56", "--all"]
    text = at(args, width).stdout
    said = " ".join(text.split())
    assert f"Not shown at {width} columns: FLOPs" in said and "--wide" in said
    assert "462,422,016" not in text  # the standard row's FLOPs, left out
    wide = at([*args, "--wide"], width).stdout
    assert "462,422,016" in wide and "Not shown" not in wide


EXPLAINED = {  # a column's headers (full, abbreviated) -> what the note says of it only
    ("FLOPs",): "FLOPs = 2 × MACs",
    ("Ratio",): "Ratio is MACs / standard's",
    ("1/N + 1/K²", ABBREVIATIONS["1/N + 1/K²"]): "1/N + 1/K² is the MobileNet paper's",
    ("MACs/byte", ABBREVIATIONS["MACs/byte"]): "MACs/byte: MACs per byte",
}


@pytest.mark.parametrize("convention", ["macs", "flops"])
@pytest.mark.parametrize("width", [80, 60, 0])
def test_notes_speak_only_of_the_columns_shown(width: int, convention: str) -> None:
    """A column left out to fit the width is not explained under the table (at 60 and
    80 columns compare leaves out Ratio); with --wide (0 here) every column is."""
    args = ["compare", "--cin", "64", "--cout", "128", "-k", "3", "--input", "56"]
    args += ["--convention", convention]
    text = at([*args, "--wide"] if width == 0 else args, width or 80).stdout
    lines = text.splitlines()
    headers = {  # the header cells of every table drawn
        cell.strip()
        for line in lines
        if line.lstrip("|│ ").startswith("Variant ")
        for cell in re.split("[|│]", line)
    }
    last_rule = max(i for i, line in enumerate(lines) if line[:1] in "+╰")
    notes = " ".join(" ".join(lines[last_rule + 1 :]).split())
    assert "MACs exclude bias and BatchNorm" in notes
    for names, sentence in EXPLAINED.items():
        assert bool(headers & set(names)) == (sentence in notes), (names, headers, notes)
    if width:  # the case at hand: not vacuous
        assert "Ratio" not in headers
    else:
        assert {"FLOPs", "Ratio", "MACs/byte"} <= headers


@pytest.mark.parametrize("args", [RUNS[0], RUNS[1]], ids=lambda a: a[0])
@pytest.mark.parametrize("width", [80, 60, 40, 24])
def test_every_params_and_macs_figure_is_shown(args: list[str], width: int) -> None:
    """Parameters and MACs are never left out: exact, or at a glance with a line
    saying so; below what a table can show, a record per row."""
    data = json.loads(at([a for a in args if a != "--chart"] + ["--format", "json"], 80).stdout)
    rows = data["variants"] if args[0] == "compare" else [data, *data["layers"]]
    text = at(args, width).stdout
    said = " ".join(text.split())
    for row in rows:
        for key in ("params", "macs"):
            n = row[key]
            assert (
                fmt(n) in text
                or (compact(n) in said and "Counts rounded" in said)
                or (compact(n) in said and "counts rounded" in said)
            ), (key, n, text)
    assert all(len(line) <= width for line in text.splitlines()), text


def test_units_exact_never_rounds_and_si_always_does() -> None:
    args = ["model", "mobilenet_v1"]
    exact = at([*args, "--units", "exact"], 60).stdout
    assert "568,740,352" in exact and "568.7 M" not in exact.split("MACs (")[0]
    glance = at([*args, "--units", "si"], 200).stdout
    assert "│ 568.7 M │" in glance or "| 568.7 M |" in glance
    assert "568,740,352 |" not in glance


def test_a_record_per_row_below_what_a_table_can_show() -> None:
    text = at(["model", "mobilenet_v1", "--units", "exact"], 24).stdout
    assert "conv_ds_13\n" in text and "  Params: 1,061,888" in text
    assert all(len(line) <= 24 for line in text.splitlines()), text


def test_notes_wrap_between_words() -> None:
    text = at(["compare", "--cin", "64", "--cout", "128", "--input", "56"], 60).stdout
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("MACs/byte: "))
    paragraph = lines[start : start + 4]
    assert all(len(line) <= 60 for line in paragraph)
    assert "A depthwise layer does only K² MACs per output element" in " ".join(paragraph)


def test_ratios_say_their_direction_and_compute_is_hinted() -> None:
    text = at(["compare", "--cin", "64", "--cout", "128"], 80).stdout
    assert "8.24× fewer" in text
    assert "--input" in text  # no compute without an input: say how to get it
    swapped = at(["model", "mobilenet_v1", "--as", "standard", "--wide"], 200).stdout
    assert "8.56× more" in swapped
    titles = at(["compare", "--cin", "64", "--cout", "128", "--input", "56"], 200).stdout
    assert "Compute (MACs)" in titles and "(macs)" not in titles


# --- pictures ------------------------------------------------------------------------


@pytest.mark.parametrize("args", [RUNS[0], RUNS[2], RUNS[5]], ids=lambda a: a[0])
def test_svg_is_at_most_100_columns_and_aligned_for_every_renderer(args: list[str]) -> None:
    svg = at([*args, "--format", "svg"], 80).stdout
    width = float(re.search(r'viewBox="0 0 ([0-9.]+) ', svg)[1])  # type: ignore[index]
    cell = 12.2  # Rich's cell at its 20 px font: 0.61 em
    assert width <= 100 * cell + 40  # 100 columns and the window's margins
    # No text run starts or ends with a space: librsvg drops leading spaces, so each
    # word is placed at its own column (a right-aligned figure stays right-aligned).
    texts = re.findall(r"<text [^>]*clip-path[^>]*>([^<]*)</text>", svg)
    assert texts and not [t for t in texts if t != t.strip() or "&#160;" in t or "\xa0" in t]
    # The title says what made it.
    assert f">convcalc {args[0]}:" in svg.replace("&#160;", " ")


def test_svg_places_each_figure_at_its_column() -> None:
    svg = at(["compare", "--cin", "64", "--cout", "128", "--format", "svg"], 80).stdout
    runs = re.findall(r'<text [^>]*x="([0-9.]+)"[^>]*textLength="([0-9.]+)"[^>]*>([^<]*)<', svg)
    ends = {text: float(x) + float(length) for x, length, text in runs}
    # Right-aligned: 73,856 and 8,960 end at the same x.
    assert abs(ends["73,856"] - ends["8,960"]) < 0.01


def test_html_has_a_title() -> None:
    page = at([*RUNS[1], "--format", "html"], 80).stdout
    assert "<title>convcalc model: mobilenet_v1: input 3×224×224</title>" in page


def test_charts_colour_each_quantity_as_the_tables_do() -> None:
    from rich.console import Console

    from convcalc.views.terminal import QUANTITY_STYLES, _style

    assert _style("params") == QUANTITY_STYLES["parameters"] == "cyan"
    assert _style("macs") == _style("standard_macs") == QUANTITY_STYLES["MACs"] == "magenta"
    assert Console  # the chart draws its bars with QUANTITY_STYLES[chart.unit]
    text = CliRunner().invoke(cli, [*RUNS[0], "--format", "svg"], env={"COLUMNS": "100"}).stdout
    # Two bar colours: the parameters' cyan and the MACs' magenta, as their columns.
    assert len(set(re.findall(r'<rect class="([^"]*)"[^>]*height="20"', text))) == 2


def test_log_scale_past_two_orders_of_magnitude() -> None:
    with_depthwise = at(RUNS[0], 120).stdout  # 640 to 73,856 parameters: 115×
    assert "Parameters (log scale" in with_depthwise
    without = at(["compare", "--cin", "64", "--cout", "128", "--chart"], 120).stdout
    assert "Parameters (one scale" in without
    assert (
        "(log scale"
        in at(["compare", "--cin", "64", "--cout", "128", "--chart", "--log"], 120).stdout
    )
    assert "(one scale" in at([*RUNS[0], "--linear"], 120).stdout


def test_sweep_charts_group_bars_by_config() -> None:
    text = at(RUNS[4], 100).stdout
    chart = text.split("Parameters (log scale", 1)[1]
    lines = chart.splitlines()[2:]
    # Each config heads its group; each variant is one line holding both bars.
    assert lines[0] == "16 → 128, 3×3"
    assert lines[1].startswith("  standard ") and lines[1].count("█") + lines[1].count("#") > 0
    assert sum(1 for line in lines if line.startswith("  ")) == 9 * 5


def test_a_shortened_header_is_said_in_full_under_its_table() -> None:
    """The notes name the columns by their full headers ("1/N + 1/K² is the MobileNet
    paper's approximation"): a table that shortened one says which it was."""
    args = ["compare", "--cin", "64", "--cout", "128", "-k", "3", "--input", "56", "--all"]
    said = " ".join(at(args, 60).stdout.split())
    for full in ("1/N + 1/K²", "MACs/byte", "Activations"):
        assert f"{ABBREVIATIONS[full]} is {full}" in said, said
    assert "shortened" not in " ".join(at([*args, "--wide"], 60).stdout.split())
