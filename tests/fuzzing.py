"""Hostile input for the whole CLI: argument lists drawn from the real option names and
values chosen to break parsers, random batch input (JSON Lines and CSV), random spec
files (JSON and TOML, from a file or standard input), and outputs written over an
existing file or over the input itself.

Besides plain garbage, each kind draws from what a hostile pass found (issue #10):
byte-order marks, keys given twice at any depth, control characters (escape
sequences, NUL, CR, bidi overrides) in names and values, numbers of 100, 101, 4,300,
5,000 and 100,000 digits, big and nested ``repeat``, shared modules that use the one
before twice, use themselves or each other, CSV headers with duplicates, unknown
columns and quoted newlines, and ``-o`` naming the input.

Used by tests/test_fuzz.py (a small budget, in CI) and benchmarks/fuzz.py (a large one,
``big=True`` strategies: also inputs at the limits, which take seconds each).
"""

from __future__ import annotations

import contextlib
import csv
import faulthandler
import io
import json
import math
import os
import re
import signal
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from click.testing import CliRunner, Result
from hypothesis import strategies as st

from convcalc.cli import cli
from convcalc.model.limits import MAX_DIGITS, MAX_NODES, MAX_REPEAT
from convcalc.model.names import ALIASES, VARIANTS
from convcalc.views.batch import READERS

COMMANDS = cli.list_commands(click.Context(cli))

SECONDS = 20
"""How long one run may take before it counts as a hang. The CI budget draws no input
near the limits; benchmarks/fuzz.py does, and may set a longer time."""


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

# --- values ----------------------------------------------------------------------------

CONTROLS = [
    "\x1b]0;title\x07", "\x1b[2J", "red\x1b[31m!\x1b[0m", "nul\x00nul", "cr\rcr",
    "\u202eevil", "csi\x9b2J", "bell\x07", "del\x7f", "line\nbreak", "tab\tx", "\x1b",
    "[bold]x[/bold]", "\ufeffbom", "\u2066isolate\u2069",
]  # fmt: skip
"""Names and values that would act on a terminal if written raw, and Rich markup."""

HUGE = [
    "9" * MAX_DIGITS, "1" + "0" * (MAX_DIGITS - 1), "1" * (MAX_DIGITS + 1),
    "1" + "0" * MAX_DIGITS, "7" * 4300, "7" * 4301, "3" * 5000, "1" * 100_000,
]  # fmt: skip
"""Digit strings at and beyond the 100-digit limit and around Python's int/str guard."""

HOSTILE = [
    "", " ", "-", "--", "0", "1", "2", "3", "7", "64", "128", "-1", "-64", "+3",
    "3x5", "3x", "x3", "3xx3", "3x3x3x3", "0x3", "1x1x1", "56x40", "16x112x112", "3×3",
    "nan", "NaN", "inf", "-inf", "1e9", "1e-9", "0.5", "1.5G", "30M", "9k", "1,2",
    "64,", ",64", ",", ",,,", "32:512:x2", "32:16", "1:100000", "8:64:0", "x2",
    "99999999999999999999999", "1" + "0" * 400, "٣", "３", "٠.٥", "é", "∞", "\u202e3",
    "\ufeff3", "1_000", "1e-99999999", "1e5000", "0." + "0" * 5000 + "1",
    "-" + "1" * 101, "1" * 101 + "x3", "3x" + "9" * 5000, "1:" + "9" * 100,
    "same", "valid", "table", "json", "csv", "markdown", "svg", "html", "jsonl", "toml",
    "fp32", "int8", "fp64", "standard", "mobilenet", "osnet", "mobilenet_v1",
    "osnet_x0_25", "separable,lite", "nope", "--cin", "-k", "-q", "--help",
    *CONTROLS, *HUGE,
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

# --- JSON and TOML text, written by hand -----------------------------------------------


class Raw(str):
    """A number written into JSON or TOML as it stands: digits that Python's int/str
    guard would refuse to convert, so json.dumps could not write them."""

    __slots__ = ()


class Pairs(list[tuple[str, Any]]):
    """An object (a JSON object, a TOML table) written pair by pair, so that a key can
    appear twice."""

    __slots__ = ()


def to_json(value: Any) -> str:
    """JSON text for generated data, with :class:`Raw` numbers and :class:`Pairs`.

    >>> to_json(Pairs([("cout", 4), ("cout", Raw("1" * 5))]))
    '{"cout": 4, "cout": 11111}'
    """
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, dict):
        value = Pairs(value.items())
    if isinstance(value, Pairs):
        items = (f"{json.dumps(k, ensure_ascii=False)}: {to_json(v)}" for k, v in value)
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(map(to_json, value)) + "]"
    return json.dumps(value, ensure_ascii=False)


_BARE = re.compile(r"[A-Za-z0-9_-]+")
_TOML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _toml_key(key: str) -> str:
    return key if _BARE.fullmatch(key) else _toml_string(key)


def _toml_string(text: str) -> str:
    out = []
    for char in text:
        if char in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[char])
        elif (char < " " and char != "\t") or char == "\x7f":
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _is_table(value: Any) -> bool:
    return isinstance(value, dict | Pairs)


def _pairs(table: Any) -> list[tuple[str, Any]]:
    return list(table.items()) if isinstance(table, dict) else list(table)


def _toml_value(value: Any) -> str | None:
    """A TOML value, inline; None for None, which TOML cannot write (left out)."""
    if value is None:
        return None
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return repr(value) if math.isfinite(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, str):
        return _toml_string(value)
    if _is_table(value):
        return "{" + ", ".join(_toml_lines(value)) + "}"
    return "[" + ", ".join(v for v in map(_toml_value, value) if v is not None) + "]"


def _toml_lines(table: Any) -> list[str]:
    lines = []
    for key, value in _pairs(table):
        text = _toml_value(value)
        if text is not None:
            lines.append(f"{_toml_key(key)} = {text}")
    return lines


def to_toml(document: Any) -> str:
    """TOML text for a generated spec: its tables as ``[name]`` sections and its lists
    of tables as ``[[name]]`` (as spec files are written), the rest inline.

    >>> print(to_toml({"name": "a\\x1b", "input": [3, 8], "layers": [{"cout": 4}]}), end="")
    name = "a\\u001b"
    input = [3, 8]
    <BLANKLINE>
    [[layers]]
    cout = 4
    """
    lines: list[str] = []
    sections: list[str] = []
    for key, value in _pairs(document):
        if _is_table(value):
            sections += ["", f"[{_toml_key(key)}]", *_toml_lines(value)]
        elif isinstance(value, list) and value and all(map(_is_table, value)):
            for item in value:
                sections += ["", f"[[{_toml_key(key)}]]", *_toml_lines(item)]
        else:
            text = _toml_value(value)
            if text is not None:
                lines.append(f"{_toml_key(key)} = {text}")
    return "\n".join([*lines, *sections]) + "\n"


@st.composite
def duplicated(draw: st.DrawFn, value: Any) -> Any:
    """``value`` with some of its objects, at any depth, given one key twice (with the
    same value or another)."""
    if not _is_table(value):
        return [draw(duplicated(item)) for item in value] if isinstance(value, list) else value
    pairs = [(key, draw(duplicated(item))) for key, item in _pairs(value)]
    if pairs and draw(st.integers(0, 3)) == 0:
        key, item = draw(st.sampled_from(pairs))
        again = draw(st.one_of(st.just(item), json_values))
        pairs.insert(draw(st.integers(0, len(pairs))), (key, again))
        return Pairs(pairs)
    return dict(pairs) if isinstance(value, dict) else Pairs(pairs)


def sometimes_duplicated(value: Any) -> st.SearchStrategy[Any]:
    """``value`` as it is, or (one time in three) with keys given twice."""
    return st.one_of(st.just(value), st.just(value), duplicated(value))


json_values: st.SearchStrategy[Any] = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**12), max_value=10**12),
        st.floats(allow_nan=True),
        st.sampled_from(HOSTILE),
        st.sampled_from(HUGE).map(Raw),
    ),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
huge_numbers = st.one_of(
    st.sampled_from(HUGE).map(Raw),
    st.sampled_from(HUGE).map(lambda digits: Raw("-" + digits)),
    st.sampled_from(HUGE),  # as a string, which a value may be written as too
)
hostile_leaves = st.one_of(huge_numbers, st.sampled_from(CONTROLS))

# --- batch input -----------------------------------------------------------------------

KEYS = list(READERS)  # every key batch reads, so a new one is fuzzed too
batch_records = st.dictionaries(st.sampled_from([*KEYS, "colour"]), json_values, max_size=8)
batch_lines = st.lists(
    st.one_of(batch_records.map(json.dumps), st.text(max_size=30)), min_size=1, max_size=8
)

TYPICAL_RECORD = {
    "variant": st.sampled_from([*VARIANTS, *ALIASES]),
    "cin": st.integers(1, 64),
    "cout": st.integers(1, 64),
}
OPTIONAL_RECORD = {
    "kernel": st.sampled_from([1, 3, 5, "3x5", [3, 3]]),
    "input": st.sampled_from([8, 32, "16x8", [7, 5], "4x4x4"]),
    "stride": st.integers(1, 3),
    "padding": st.sampled_from([0, 1, "same", "valid"]),
    "groups": st.sampled_from([1, 2, 4]),
    "dims": st.integers(0, 3),
    "batch": st.integers(1, 8),
    "dtype": st.sampled_from(["fp32", "int8", "fp64"]),
    "transposed": st.booleans(),
    "reported_by": st.sampled_from(["all", "thop", "fvcore,ptflops"]),
}


@st.composite
def hostile_records(draw: st.DrawFn) -> Any:
    """A record that computes, with up to two values (or keys) swapped for hostile
    ones, and sometimes a key given twice at some depth."""
    record: dict[str, Any] = draw(st.fixed_dictionaries(TYPICAL_RECORD, optional=OPTIONAL_RECORD))
    for _ in range(draw(st.integers(0, 2))):
        key = draw(st.sampled_from([*KEYS, *CONTROLS, "\ufeffvariant"]))
        record[key] = draw(st.one_of(hostile_leaves, st.lists(hostile_leaves, max_size=3)))
    return draw(sometimes_duplicated(record))


@st.composite
def jsonl_inputs(draw: st.DrawFn) -> str:
    """JSON Lines: typical and hostile records, garbage lines, a byte-order mark at the
    start (or at the start of a later line, as ``cat`` joins files), CRLF endings."""
    lines = draw(
        st.lists(
            st.one_of(
                hostile_records().map(to_json),
                batch_records.map(to_json),
                st.text(max_size=30),
                st.sampled_from(["", "{}", "[]", "\ufeff{}", "{" * 2000, "[" * 100_000]),
            ),
            min_size=1,
            max_size=6,
        )
    )
    if draw(st.booleans()):
        at = draw(st.integers(0, len(lines) - 1))
        lines[at] = "\ufeff" + lines[at]
    end = draw(st.sampled_from(["\n", "\r\n"]))
    return end.join(lines) + draw(st.sampled_from([end, ""]))


CSV_CELLS = [
    "standard", "lite", "mobilenet", "64", "3", "3x3", "3×3", "56", "same", "true", "",
    "a\nb", "a\r\nb", 'say "x"', "1,2", " 7 ", *CONTROLS, *HUGE[:4], HUGE[5],
]  # fmt: skip


@st.composite
def csv_inputs(draw: st.DrawFn) -> str:
    """CSV: a header (with duplicate, unknown, empty or BOM-marked names, or none at
    all) and records whose cells hold typical values, newlines, quotes, control
    characters and long numbers; sometimes a ragged row or an unbalanced quote."""
    header = draw(
        st.lists(
            st.sampled_from([*KEYS, "variant", "cin", "cout", "colour", "", "\ufeffvariant"]),
            min_size=0,
            max_size=6,
        )
    )
    typical = [["variant", "cin", "cout"], ["variant", "cin", "cout", "input"]]
    header = draw(st.sampled_from([header, *typical]))
    rows: list[list[str]] = []
    for _ in range(draw(st.integers(0, 4))):
        width = len(header) + draw(st.sampled_from([0, 0, 0, -1, 1]))
        row = []
        for column in range(max(width, 0)):
            name = header[column] if column < len(header) else "?"
            if name == "variant":
                cell = draw(st.sampled_from([*VARIANTS, *CSV_CELLS]))
            elif name in ("cin", "cout", "input"):
                cell = draw(st.sampled_from(["4", "8", "16", *CSV_CELLS]))
            else:
                cell = draw(st.sampled_from(CSV_CELLS))
            row.append(cell)
        rows.append(row)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    empty_header: bool = draw(st.booleans())
    if header or empty_header:
        writer.writerow(header)
    writer.writerows(rows)
    text = out.getvalue()
    if draw(st.booleans()):
        text = "\ufeff" + text
    return text + draw(st.sampled_from(["", "", '"unbalanced\n', "x,y\n", "\n\n"]))


@dataclass
class BatchRun:
    """A batch run: how its input is given, the input, and its options."""

    how: str  # "stdin" or "file"
    input_format: str
    text: str
    options: list[str]


@st.composite
def batch_runs(draw: st.DrawFn) -> BatchRun:
    """JSON Lines or CSV input, on stdin or in a file, with or without --strict."""
    input_format = draw(st.sampled_from(["jsonl", "csv"]))
    text = draw(csv_inputs() if input_format == "csv" else jsonl_inputs())
    options = draw(
        st.tuples(
            st.sampled_from([[], ["--strict"]]),
            st.sampled_from([[], ["--format", "csv"], ["--format", "jsonl"]]),
        )
    )
    how = draw(st.sampled_from(["stdin", "file"]))
    return BatchRun(how, input_format, text, [*options[0], *options[1]])


# --- spec files ------------------------------------------------------------------------

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
        "name": st.sampled_from(CONTROLS),
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
        "name": st.one_of(st.sampled_from(CONTROLS), st.text(max_size=6)),
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
        "name": st.one_of(json_values, st.sampled_from(CONTROLS)),
    },
)
sane_specs = st.fixed_dictionaries(
    {
        "input": st.sampled_from([[3, 32, 32], [8, 16], [4, 8, 8, 8], [16, 7, 5]]),
        "layers": st.lists(sane_layer, min_size=1, max_size=5),
    },
    optional={
        "name": st.one_of(st.sampled_from(CONTROLS), st.text(max_size=8)),
        "defaults": st.fixed_dictionaries(
            {},
            optional={
                "bias": st.booleans(),
                "bn": st.booleans(),
                "padding": st.sampled_from(["same", "valid", 0, 1]),
            },
        ),
    },
)
"""Specs that mostly build, so that names with control characters reach the tables."""


def repeats(big: bool) -> st.SearchStrategy[Any]:
    """A layer's ``repeat``: small, just over the limit, far over it, long numbers;
    with ``big``, the limit itself (10,000 layers, which take seconds to show)."""
    over = [MAX_REPEAT + 1, 10**9, 2**63, Raw("1" * (MAX_DIGITS + 1)), Raw("9" * 5000)]
    odd = [0, -1, "3", 2.5, True, None, Raw("3" * MAX_DIGITS)]
    return st.one_of(
        st.integers(1, 4),
        st.sampled_from(over + odd + ([MAX_REPEAT] if big else [])),
    )


@st.composite
def repeated_specs(draw: st.DrawFn, big: bool = False) -> dict[str, Any]:
    """Repeats inside repeats: a residual block repeated around repeated layers, so
    that the product of the repeats may pass the 100,000-layer limit."""
    # Pairs of outer and inner repeats on each side of the node limit; those under it
    # build up to ~90,000 layers (seconds; fit --model builds many), so only with ``big``.
    near = int(MAX_NODES**0.5)
    sizes = [1, 2, 10, 50, near + 1, near * 3, MAX_REPEAT] + ([near - 20] if big else [])
    outer, inner = draw(st.sampled_from(sizes)), draw(st.sampled_from(sizes))
    if not big and 30 < outer * (1 + inner) <= MAX_NODES:
        outer, inner = 2, 3  # under the limit, and quick even for fit --model
    body = {"type": "pointwise", "cout": 4, "repeat": inner}
    layers: list[Any] = [{"type": "residual", "repeat": outer, "layers": [body]}]
    for extra in draw(st.lists(conv_layer, max_size=3)):
        layers.append({**extra, "repeat": draw(repeats(big))})
    return {"input": [4, 8, 8], "layers": layers}


@st.composite
def shared_specs(draw: st.DrawFn, big: bool = False) -> dict[str, Any]:
    """Shared modules in a parallel block: a chain in which each module uses the one
    before twice (2 ** levels layers: over the node limit from 17 levels), a module
    that uses itself, modules that use each other in a cycle, a name that is not
    declared, and module names with control characters."""
    name = draw(st.sampled_from(["m", *CONTROLS, ""]))
    kind = draw(st.sampled_from(["chain", "self", "cycle", "missing", "nested"]))
    base = {"type": "pointwise", "cout": 4}
    shared: dict[str, Any]
    if kind == "chain":
        levels = draw(st.integers(1, 40) if big else st.sampled_from([1, 2, 3, 17, 30, 40]))
        shared = {f"{name}0": base}
        for level in range(1, levels + 1):
            twice = [{"use": f"{name}{level - 1}"}, {"use": f"{name}{level - 1}"}]
            shared[f"{name}{level}"] = {"type": "residual", "layers": twice}
        use = f"{name}{levels}"
    elif kind == "self":
        shared = {name: {"type": "residual", "layers": [base, {"use": name}]}}
        use = name
    elif kind == "cycle":
        size = draw(st.integers(2, 4))
        shared = {
            f"{name}{i}": {"type": "residual", "layers": [{"use": f"{name}{(i + 1) % size}"}]}
            for i in range(size)
        }
        use = f"{name}0"
    elif kind == "missing":
        shared = {name: base}
        use = name + "?"
    else:  # a parallel block inside a module, declaring modules of its own
        inner = {"type": "parallel", "shared": {name: base}, "streams": [[{"use": name}]] * 2}
        shared = {name: {"type": "residual", "layers": [inner, {"use": name}]}}
        use = name
    streams = [[{"use": use}] for _ in range(draw(st.integers(1, 3)))]
    block = {"type": "parallel", "merge": "sum", "shared": shared, "streams": streams}
    return {"name": name, "input": [4, 8, 8], "layers": [block]}


@st.composite
def huge_specs(draw: st.DrawFn) -> Any:
    """A spec with some numbers swapped for long digit strings (of up to 100 digits,
    which are allowed, or more), at any depth."""

    def walk(value: Any) -> Any:
        if isinstance(value, list):
            return [walk(item) for item in value]
        if isinstance(value, dict):
            return {key: walk(item) for key, item in value.items()}
        if isinstance(value, int) and not isinstance(value, bool) and draw(st.integers(0, 3)) == 0:
            return draw(st.one_of(huge_numbers, st.sampled_from(HUGE[:2]).map(Raw)))
        return value

    return walk(draw(sane_specs))


def hostile_specs(big: bool = False) -> st.SearchStrategy[Any]:
    """Any of the spec kinds above, sometimes with keys given twice at some depth."""
    kinds = [sane_specs, sane_specs, specs, huge_specs(), repeated_specs(big), shared_specs(big)]
    return st.one_of(kinds).flatmap(sometimes_duplicated)


@dataclass
class SpecRun:
    """How a spec reaches convcalc: the text, the file name (``-`` for stdin), and the
    command line around it."""

    text: str
    path: str
    args: list[str]


SPEC_FLAGS = [
    ["--format", "csv"], ["--format", "table"], ["--format", "markdown"], ["-q"],
    ["--width", "0.5"], ["--width", "4"], ["--width", "0.001"], ["--width", "1e-99999999"],
    ["--width", "0." + "0" * 5000 + "1"], ["--width", "1" * 101], ["--resolution", "16"],
    ["--resolution", "9" * 100], ["--resolution", "1" * 5000], ["--as", "standard"],
    ["--as", "separable"], ["--depth", "3"], ["--batch", "9" * 100],
    ["--expect", "1" * 101], ["--max-params", "1" * 100], ["--spec-format", "toml"],
    ["--spec-format", "json"],
]  # fmt: skip
"""Options of ``model``, some of them hostile, some contradicting the spec's format."""
SPEC_OPTIONS = st.lists(st.sampled_from(SPEC_FLAGS), max_size=3)


@st.composite
def spec_texts(draw: st.DrawFn, big: bool = False) -> tuple[str, str]:
    """A hostile spec written as JSON or TOML, maybe after a byte-order mark."""
    spec = draw(hostile_specs(big))
    fmt = draw(st.sampled_from(["json", "toml"]))
    text = to_json(spec) if fmt == "json" else to_toml(spec)
    return fmt, "\ufeff" + text if draw(st.booleans()) else text


@st.composite
def spec_runs(draw: st.DrawFn, big: bool = False, fit: bool | None = None) -> SpecRun:
    """A spec written as JSON or TOML, maybe after a byte-order mark, given by a file
    (with a suffix or without) or on stdin with ``-``, to ``model`` or (with ``fit``,
    or now and then if it is None) ``fit --model``."""
    fmt, text = draw(spec_texts(big))
    where = draw(st.sampled_from(["suffix", "bare", "stdin"]))
    path = {"suffix": f"spec.{fmt}", "bare": "spec", "stdin": "-"}[where]
    declared = draw(st.sampled_from([[], ["--spec-format", fmt]]))
    if fit or (fit is None and draw(st.integers(0, 4)) == 0):
        budget = draw(st.sampled_from(["1", "100k", "1G", "1" * 101]))
        return SpecRun(text, path, ["fit", "--model", path, "--max-params", budget, *declared])
    extra = [a for group in draw(SPEC_OPTIONS) for a in group]
    return SpecRun(text, path, ["model", path, "--format", "json", *declared, *extra])


# --- running convcalc ------------------------------------------------------------------


@dataclass
class Tally:
    """What a fuzzing run saw, by exit code."""

    runs: int = 0
    exits: dict[int, int] = field(default_factory=dict)

    def add(self, code: int) -> None:
        self.runs += 1
        self.exits[code] = self.exits.get(code, 0) + 1


class Hang(Exception):
    """A run went on past its time."""


@contextlib.contextmanager
def bounded(context: str) -> Iterator[list[bool]]:
    """Fail a run that takes longer than :data:`SECONDS`: an alarm interrupts it, and
    again each second should convcalc catch the exception and go on (the list yielded
    records that it rang, should convcalc turn it into an error line); should the run
    be stuck in C code, where no alarm reaches, faulthandler ends the process with its
    stack, so that a hang fails CI instead of stalling it."""
    rang: list[bool] = []
    seconds = SECONDS

    def ring(signum: int, frame: object) -> None:
        rang.append(True)
        signal.alarm(1)
        raise Hang(f"{context}: still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    faulthandler.dump_traceback_later(seconds * 3, exit=True)
    try:
        yield rang
    finally:
        faulthandler.cancel_dump_traceback_later()
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# Raw control characters other than newline and tab: C0, DEL, C1, bidi overrides.
RAW_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def run(args: list[str], stdin: str | bytes | io.BufferedReader | None = None) -> Result:
    """Run convcalc in-process, bounded in time, and check what holds for any run:
    exit 0, 1 or 2 without a traceback; an error (exit 1 or 2) is exactly one line on
    stderr; stderr holds no raw control character."""
    context = f"convcalc {' '.join(repr(a)[:200] for a in args)}"
    with bounded(context) as rang:
        result = CliRunner().invoke(cli, args, input=stdin)
    assert not rang, f"{context}: still running after {SECONDS} s (caught as {result.stderr!r})"
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{context} raised {result.exception!r}") from result.exception
    assert result.exit_code in (0, 1, 2), f"{context}: exit {result.exit_code}"
    assert "Traceback" not in result.stderr, f"{context}: {result.stderr}"
    if result.exit_code in (1, 2):
        assert result.stderr.count("\n") == 1, f"{context}: stderr {result.stderr[:2000]!r}"
    raw = RAW_CONTROLS.search(result.stderr)
    assert raw is None, f"{context}: raw {raw[0]!r} on stderr: {result.stderr[:2000]!r}"
    return result


@contextlib.contextmanager
def scratch() -> Iterator[Path]:
    """A directory of its own to run in: a fuzzed -o may name any file."""
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
        yield Path(tmp)


def check(args: list[str], stdin: str | bytes | None = None, tally: Tally | None = None) -> Result:
    """Run convcalc on a command line (and stdin) in a scratch directory."""
    with scratch():
        result = run(args, stdin)
    if tally is not None:
        tally.add(result.exit_code)
    return result


def check_batch(batch: BatchRun, tally: Tally | None = None) -> None:
    """Run batch on generated input, from stdin or from a file."""
    fmt = ["--input-format", batch.input_format]
    if batch.how == "stdin":
        check(["batch", *fmt, *batch.options], stdin=batch.text, tally=tally)
        return
    with scratch() as tmp:
        name = "in.csv" if batch.input_format == "csv" else "in.jsonl"
        (tmp / name).write_text(batch.text, encoding="utf-8", newline="")
        result = run(["batch", name, *batch.options])
        if tally is not None:
            tally.add(result.exit_code)


def check_spec(spec: SpecRun | dict[str, Any], tally: Tally | None = None) -> None:
    """Write a spec to a file (or give it on stdin) and run ``model`` or ``fit`` on it."""
    if not isinstance(spec, SpecRun):
        spec = SpecRun(to_json(spec), "spec.json", ["model", "spec.json", "--format", "json"])
    with scratch() as tmp:
        if spec.path == "-":
            result = run(spec.args, stdin=spec.text)
        else:
            (tmp / spec.path).write_text(spec.text, encoding="utf-8", newline="")
            result = run(spec.args)
    if tally is not None:
        tally.add(result.exit_code)


# --- output over existing files and over the input itself ------------------------------

OLD = b"an existing file, which must be whole or untouched\n"


def without_output(args: list[str]) -> list[str]:
    """A command line with its -o/--output options taken out."""
    out: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in ("-o", "--output"):
            skip = True
        elif not arg.startswith("--output="):
            out.append(arg)
    return out


def check_output_over(
    args: list[str], stdin: str | None = None, files: dict[str, str] | None = None,
    tally: Tally | None = None,
) -> None:  # fmt: skip
    """Run a command with ``-o`` naming an existing file: on exit 2 the file must be as
    it was; on exit 0 or 1 it must hold the whole output, byte for byte what the same
    command writes to a new file. Any input files must be intact afterwards."""
    args = without_output(args)
    context = f"convcalc {' '.join(repr(a)[:200] for a in args)} -o old.out"
    with scratch() as tmp:
        for name, text in (files or {}).items():
            (tmp / name).write_text(text, encoding="utf-8", newline="")
        (tmp / "old.out").write_bytes(OLD)
        result = run([*args, "-o", "old.out"], stdin)
        if tally is not None:
            tally.add(result.exit_code)
        for name, text in (files or {}).items():
            assert (tmp / name).read_bytes() == text.encode(), f"{context}: {name} changed"
        written = (tmp / "old.out").read_bytes()
        if result.exit_code == 2:
            assert written == OLD, f"{context}: exit 2, yet old.out was changed"
            return
        again = run([*args, "-o", "new.out"], stdin)
        assert again.exit_code == result.exit_code, f"{context}: exit codes differ"
        fresh = tmp / "new.out"
        assert fresh.exists(), f"{context}: exit {result.exit_code} but -o new.out not written"
        assert written == fresh.read_bytes(), f"{context}: old.out is not the whole output"


@st.composite
def same_file_runs(draw: st.DrawFn) -> tuple[list[str], dict[str, str], str]:
    """A command whose output would land on its own input: ``batch F -o F`` (or -o a
    symlink or hard link to F), ``model F -o F``, ``fit --model F -o F``. Returns the
    command line, the files to create, and which of them are links to ``in``."""
    kind = draw(st.sampled_from(["batch", "model", "fit"]))
    if kind == "batch":
        batch = draw(batch_runs())
        name = "in.csv" if batch.input_format == "csv" else "in.jsonl"
        args = ["batch", name, *batch.options]
        text = batch.text
    else:
        fmt, text = draw(spec_texts())
        name = f"spec.{fmt}"
        if kind == "model":
            args = ["model", name, "--format", draw(st.sampled_from(["json", "table", "csv"]))]
        else:
            args = ["fit", "--model", name, "--max-params", "100k"]
    target = draw(st.sampled_from([name, "symlink", "hardlink", f"./{name}"]))
    return [*args, "-o", target], {name: text}, target


def check_same_file(
    args: list[str], files: dict[str, str], target: str, tally: Tally | None = None
) -> None:
    """Run a command whose -o is its own input (under some name): it must refuse, exit 2
    in one line, and leave the input as it was."""
    (name, text), *_ = files.items()
    context = f"convcalc {' '.join(repr(a)[:200] for a in args)}"
    with scratch() as tmp:
        (tmp / name).write_text(text, encoding="utf-8", newline="")
        before = (tmp / name).read_bytes()
        if target == "symlink":
            (tmp / "symlink").symlink_to(name)
        elif target == "hardlink":
            os.link(tmp / name, tmp / "hardlink")
        result = run(args)
        if tally is not None:
            tally.add(result.exit_code)
        assert (tmp / name).read_bytes() == before, f"{context}: the input changed"
        assert result.exit_code == 2, f"{context}: exit {result.exit_code}, not refused"


def check_stdin_is_output(text: str, options: list[str], tally: Tally | None = None) -> None:
    """``convcalc batch -o F < F``: standard input is the output file."""
    with scratch() as tmp:
        path = tmp / "in.jsonl"
        path.write_text(text, encoding="utf-8", newline="")
        before = path.read_bytes()
        with path.open("rb") as handle:
            result = run(["batch", *options, "-o", "in.jsonl"], stdin=handle)
        if tally is not None:
            tally.add(result.exit_code)
        assert path.read_bytes() == before, "batch -o in.jsonl < in.jsonl: the input changed"
        assert result.exit_code == 2, f"batch -o in.jsonl < in.jsonl: exit {result.exit_code}"
