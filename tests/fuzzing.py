"""Hostile input for the whole CLI: argument lists drawn from the real option names and
values chosen to break parsers, random batch lines and random spec files.

Used by tests/test_fuzz.py (a small budget, in CI) and benchmarks/fuzz.py (a large one).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any

import click
from click.testing import CliRunner
from hypothesis import strategies as st

from convcalc.cli import cli
from convcalc.views.batch import READERS

COMMANDS = cli.list_commands(click.Context(cli))


def option_names() -> list[str]:
    """Every option spelling of every command, as --help would list them."""
    names: set[str] = set()
    for name in COMMANDS:
        command = cli.get_command(click.Context(cli), name)
        assert command is not None
        for param in command.params:
            if isinstance(param, click.Option):
                names.update(param.opts)
                names.update(param.secondary_opts)
    return sorted(names)


OPTIONS = option_names()

HOSTILE = [
    "", " ", "-", "--", "0", "1", "2", "3", "7", "64", "128", "-1", "-64", "+3",
    "3x5", "3x", "x3", "3xx3", "3x3x3x3", "0x3", "1x1x1", "56x40", "16x112x112",
    "nan", "NaN", "inf", "-inf", "1e9", "1e-9", "0.5", "1.5G", "30M", "9k", "1,2",
    "64,", ",64", "32:512:x2", "32:16", "1:100000", "8:64:0", "x2",
    "99999999999999999999999", "1" + "0" * 400, "٣", "３", "é", "∞", "\u202e3",
    "same", "valid", "table", "json", "csv", "markdown", "svg", "html", "jsonl",
    "fp32", "int8", "fp64", "standard", "mobilenet", "osnet", "mobilenet_v1",
    "osnet_x0_25", "separable,lite", "nope", "--cin", "-k", "-q", "--help",
]  # fmt: skip

values = st.one_of(
    st.sampled_from(HOSTILE),
    st.integers(min_value=-(10**6), max_value=10**6).map(str),
    st.text(max_size=12),
)
arguments = st.lists(st.one_of(st.sampled_from(OPTIONS), values), max_size=12)
command_lines = st.tuples(st.sampled_from([*COMMANDS, "mobilenet", "osnet", "nope"]), arguments)

TYPICAL = {
    "integer": ["1", "2", "3", "4", "8", "16", "64", "128"],
    "size": ["1", "3", "5", "2x1", "3x5", "3x3x3", "7", "56", "9x13", "16x8x8"],
    "padding": ["0", "1", "2", "1x2", "same", "valid"],
    "count": ["1", "9k", "30M", "1.5G", "73856"],
    "range": ["16,32", "8:32:8", "32:128:x2", "64"],
    "list": ["64", "128,64", "32"],
    "file": ["out.txt", "sub/out.svg", "\0", "."],
}


def structured(name: str) -> st.SearchStrategy[list[str]]:
    """Mostly well-formed command lines for one command, each option with a typical
    or a hostile value, so the fuzzing reaches past the parser into the arithmetic."""
    command = cli.get_command(click.Context(cli), name)
    assert command is not None
    parts: list[st.SearchStrategy[list[str]]] = []
    for param in command.params:
        if not isinstance(param, click.Option) or param.name == "help":
            continue
        flag = param.opts[-1]
        if param.is_flag:
            choice = [flag, *param.secondary_opts]
            parts.append(st.sampled_from([[], *[[c] for c in choice]]))
            continue
        if isinstance(param.type, click.Choice):
            typical = [str(c) for c in param.type.choices]
        else:
            typical = TYPICAL.get(param.type.name, ["1"])
        value = st.one_of(st.sampled_from(typical), st.sampled_from(HOSTILE))
        chance = [True] if param.required else [True, False, False]
        parts.append(
            st.tuples(st.sampled_from(chance), value).map(
                lambda t, f=flag: [f, t[1]] if t[0] else []
            )
        )
    return st.tuples(*parts).map(lambda groups: [a for group in groups for a in group])


structured_lines = st.sampled_from(COMMANDS).flatmap(
    lambda name: structured(name).map(lambda args, n=name: (n, args))
)

json_values: st.SearchStrategy[Any] = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**12), max_value=10**12),
        st.floats(allow_nan=True),
        st.sampled_from(HOSTILE),
    ),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
KEYS = list(READERS)  # every key batch reads, so a new one is fuzzed too
batch_records = st.dictionaries(st.sampled_from([*KEYS, "colour"]), json_values, max_size=8)
batch_lines = st.lists(
    st.one_of(batch_records.map(json.dumps), st.text(max_size=30)), min_size=1, max_size=8
)

LAYER_TYPES = [
    "standard", "depthwise", "pointwise", "separable", "lite", "pool", "linear", "gate",
    "residual", "parallel", "conv",
]  # fmt: skip
layer = st.fixed_dictionaries(
    {"type": st.sampled_from(LAYER_TYPES)},
    optional={
        "cout": st.one_of(st.integers(1, 64), st.integers(-2, 300), json_values),
        "kernel": st.one_of(st.integers(1, 5), st.integers(0, 9), json_values),
        "stride": st.integers(0, 4),
        "padding": st.one_of(st.integers(0, 4), st.sampled_from(["same", "valid"])),
        "repeat": st.integers(0, 3),
        "global": st.booleans(),
        "kind": st.sampled_from(["max", "avg", "min"]),
        "cin": st.integers(1, 64),
        "bias": json_values,
    },
)
conv_layer = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["standard", "depthwise", "pointwise", "separable", "lite"]),
        "cout": st.integers(1, 64),
    },
    optional={
        "kernel": st.integers(1, 5),
        "stride": st.integers(1, 3),
        "padding": st.one_of(st.integers(0, 3), st.sampled_from(["same", "valid"])),
        "repeat": st.integers(1, 3),
        "bias": st.booleans(),
        "bn": st.booleans(),
    },
)
sane_layer = st.one_of(
    conv_layer,
    st.fixed_dictionaries(
        {"type": st.just("pool"), "kind": st.sampled_from(["max", "avg"]), "global": st.just(True)}
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("pool"),
            "kind": st.sampled_from(["max", "avg"]),
            "kernel": st.integers(1, 4),
        },
        optional={"stride": st.integers(1, 3), "padding": st.integers(0, 2)},
    ),
    st.fixed_dictionaries({"type": st.just("linear"), "cout": st.integers(1, 64)}),
    st.fixed_dictionaries(
        {"type": st.just("residual"), "layers": st.lists(conv_layer, min_size=1, max_size=3)}
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("parallel"),
            "merge": st.sampled_from(["sum", "concat"]),
            "streams": st.lists(
                st.lists(conv_layer, min_size=1, max_size=2), min_size=1, max_size=3
            ),
        }
    ),
)
specs = st.fixed_dictionaries(
    {"layers": st.lists(st.one_of(sane_layer, sane_layer, layer), max_size=6)},
    optional={
        "input": st.one_of(
            st.sampled_from([[3, 32, 32], [8, 16], [4, 8, 8, 8], [16, 7, 5]]),
            st.lists(st.integers(0, 64), max_size=4),
            json_values,
        ),
        "defaults": st.dictionaries(
            st.sampled_from(["bias", "bn", "dtype", "padding"]), json_values
        ),
        "name": json_values,
    },
)


@dataclass
class Tally:
    """What a fuzzing run saw, by exit code."""

    runs: int = 0
    exits: dict[int, int] = field(default_factory=dict)

    def add(self, code: int) -> None:
        self.runs += 1
        self.exits[code] = self.exits.get(code, 0) + 1


def check(args: list[str], stdin: str | None = None, tally: Tally | None = None) -> None:
    """Run convcalc; fail unless it exits 0, 1 or 2 without a traceback, and an error
    (exit 1 or 2) is exactly one line on stderr."""
    # In a directory of its own: a fuzzed -o may name any file.
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
        result = CliRunner().invoke(cli, args, input=stdin)
    if tally is not None:
        tally.add(result.exit_code)
    context = f"convcalc {' '.join(map(repr, args))}"
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{context} raised {result.exception!r}") from result.exception
    assert result.exit_code in (0, 1, 2), f"{context}: exit {result.exit_code}"
    assert "Traceback" not in result.stderr, f"{context}: {result.stderr}"
    if result.exit_code in (1, 2) and not (args and args[0] == "batch" and result.exit_code == 0):
        assert result.stderr.count("\n") == 1, f"{context}: stderr {result.stderr!r}"


def check_spec(spec: dict[str, Any], tally: Tally | None = None) -> None:
    """Write a spec to a temporary file and run ``convcalc model`` on it."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "spec.json")
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(spec, handle)
        check(["model", path, "--format", "json"], tally=tally)
