"""The views' text writers: formulas, ratios and shapes, each written one way, and
the one vocabulary of layer types in every command's JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from convcalc.cli import cli
from convcalc.model.core import BatchNorm, Conv
from convcalc.model.network import Linear
from convcalc.views.text import formula, ratio, ratio_number, ratio_text, reduction, shape_text

SPECS = Path(__file__).parent.parent / "benchmarks" / "corpus"

FORMULAS = [
    (Conv(cin=64, cout=128, kernel=(3, 3)), "(64 × 3 × 3 + 1) × 128"),
    (Conv(cin=64, cout=128, kernel=(3, 3), bias=False), "64 × 3 × 3 × 128"),
    (Conv(cin=64, cout=128, kernel=(3, 5), groups=4), "(64/4 × 3 × 5 + 1) × 128"),
    (Conv(cin=64, cout=64, kernel=(3, 3), groups=64, kind="depthwise"), "(3 × 3 + 1) × 64"),
    (Conv(cin=64, cout=128, kernel=(1, 1), kind="pointwise"), "(64 + 1) × 128"),
    (Conv(cin=64, cout=128, kernel=(1,), kind="pointwise", groups=2), "(64/2 + 1) × 128"),
    (Conv(cin=8, cout=8, kernel=(1, 1), groups=8, kind="depthwise"), "(1 × 1 + 1) × 8"),
    (Conv(cin=32, cout=16, kernel=(4, 4), transposed=True, bias=False), "32 × 16 × 4 × 4"),
    (Conv(cin=32, cout=16, kernel=(4,), groups=2, transposed=True), "32 × 16/2 × 4 + 16"),
    (Conv(cin=2048, cout=1024, kernel=(3, 3)), "(2,048 × 3 × 3 + 1) × 1,024"),
    (BatchNorm(channels=1024), "2 × 1,024"),
    (Linear(cin=1024, cout=1000), "(1,024 + 1) × 1,000"),
    (Linear(cin=1024, cout=1000, bias=False), "1,024 × 1,000"),
]


@pytest.mark.parametrize(("layer", "expected"), FORMULAS, ids=lambda x: str(x)[:40])
def test_formula_writes_the_working_the_post_writes(
    layer: Conv | BatchNorm | Linear, expected: str
) -> None:
    assert formula(layer) == expected


def test_ratios_are_exact_pairs_written_at_the_end() -> None:
    fold, saved = reduction(8960, 73856)
    assert fold is not None and saved is not None
    assert (ratio_text(fold, 2), ratio_text(saved, 1, scale=100)) == ("8.24", "87.9")
    assert reduction(0, 5) == (None, None) and ratio(3, 0) is None and ratio(None, 3) is None
    assert ratio_number((1, 3), scale=100) == 100 / 3 and ratio_number(None) is None
    assert ratio_number((10**400, 1)) is None  # beyond a float: null in JSON, empty in CSV


def test_one_shape_writer() -> None:
    assert (shape_text((128, 56, 56)), shape_text((3, 5), "x"), shape_text(None)) == (
        "128×56×56",
        "3x5",
        "--",
    )


def _json(*args: str) -> dict:
    done = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout)


def _types(nodes: list[dict]) -> dict[str, str]:
    found = {}
    for node in nodes:
        found[node["name"]] = node["type"]
        found.update(_types(node.get("children", [])))
    return found


def test_a_transposed_convolution_has_one_type_in_every_json() -> None:
    block = _json("standard", "--cin", "32", "--cout", "16", "-k", "4", "--transposed")
    network = _json("model", str(SPECS / "everything.json"))
    assert block["layers"][0]["type"] == "conv_transpose"
    assert _types(network["layers"])["conv_transpose"] == "conv_transpose"


@settings(max_examples=300)
@given(
    lead=st.sampled_from(["", " ", "    "]),
    words=st.lists(st.sampled_from(["a", "bb", "dddddddd", "x" * 30, "4.2\0M", "2\0×\0MACs"])),
    width=st.integers(1, 80),
    indent=st.sampled_from(["", "  ", "    "]),
)
def test_notes_wrap_as_textwrap_would_without_splitting_words(
    lead: str, words: list[str], width: int, indent: str
) -> None:
    """The terminal's own wrap fills lines exactly as the standard library's textwrap
    does when told never to break a word (it saves textwrap's import on every table)."""
    import textwrap

    from convcalc.views.terminal import _wrap

    text = lead + " ".join(words)
    width = max(width, len(indent) + 1)
    expected = textwrap.wrap(
        text, width, break_long_words=False, break_on_hyphens=False, subsequent_indent=indent
    ) or [""]
    assert _wrap(text, width, indent) == expected
