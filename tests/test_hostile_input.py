"""Hostile input to the readers (issue #10): batch lines, numbers and sizes.

Each test is named by what it attacks. Runs that could hang or exhaust memory are run
as a real process, held to a timeout and an address-space limit; the rest run in
process. Expected figures are worked out by hand in the test.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from convcalc.cli import cli
from convcalc.limits import MAX_DIGITS, MAX_LINE_BYTES

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
MEMORY = 256 << 20  # address space for a whole convcalc process: far below the input
LIMIT_TEXT = f"{MAX_LINE_BYTES:,}"  # 1,048,576: the limit as the message names it
BOM = "\ufeff"


def run(*args: str, stdin: str | bytes | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin)


def refused(result: Result, *named: str) -> str:
    """The run stopped with exit 2 and one short line on stderr naming each of ``named``."""
    assert result.exit_code == 2, (result.exit_code, result.stderr, result.exception)
    assert result.stderr.count("\n") == 1, result.stderr
    assert len(result.stderr) < 400, result.stderr  # a huge value is not echoed whole
    for name in named:
        assert name in result.stderr, (name, result.stderr)
    return result.stderr


def records(result: Result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def jsonl(*lines: object) -> str:
    return "".join(json.dumps(line) + "\n" for line in lines)


def limited(memory: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return apply


def convcalc(
    *args: str, memory: int = MEMORY, timeout: float = 60, **kwargs: object
) -> subprocess.CompletedProcess[bytes]:
    """convcalc run for real, in bounded time and memory."""
    return subprocess.run(
        [sys.executable, "-m", "convcalc", *args],
        capture_output=True,
        timeout=timeout,
        env=ENV,
        preexec_fn=limited(memory),
        check=False,
        **kwargs,  # type: ignore[arg-type]
    )


def stopped(done: subprocess.CompletedProcess[bytes], *named: str) -> str:
    err = done.stderr.decode()
    assert done.returncode == 2, (done.returncode, err[-2000:])
    assert err.count("\n") == 1 and len(err) < 400, err[-2000:]
    for name in named:
        assert name in err, (name, err)
    return err


# --- numbers beyond the limit ---------------------------------------------------

OVER = "1" * (MAX_DIGITS + 1)
HUGE = "7" * 100_000
DIGITS_TEXT = f"{MAX_DIGITS} digits"


def test_batch_option_with_a_hundred_thousand_digits_ends_quickly() -> None:
    stopped(convcalc("standard", "--cin", "4", "--cout", "4", "--batch", HUGE), "--batch", "100")


def test_hundred_digit_numbers_still_print_exactly() -> None:
    """The largest numbers read give figures of hundreds of digits: written exactly,
    without Python's int/str guard (4,300 digits) ever being reached."""
    big = 10**99  # 100 digits: the most read
    # standard 3D, cin = cout = 10^99, kernel 10^99 x 10^99 x 10^99:
    # (cin x k^3 + 1) x cout = 10^495 + 10^99
    record = {"variant": "standard", "cin": big, "cout": big, "kernel": [big] * 3, "padding": 0}
    out = records(run("batch", stdin=jsonl(record)))
    assert out[0]["params"] == 10**495 + 10**99
    quiet = run("pointwise", "--cin", str(big), "--cout", str(big), "-q")
    assert quiet.stdout == str(10**198 + 10**99) + "\n"  # (cin + 1) x cout
    # 10^30 channels, in batch as on the command line: (10^30 + 1) x 10^30
    thirty = {"variant": "pointwise", "cin": 10**30, "cout": 10**30}
    assert records(run("batch", stdin=jsonl(thirty)))[0]["params"] == 10**60 + 10**30
    table = run("pointwise", "--cin", str(10**30), "--cout", str(10**30)).stdout
    assert f"{10**60 + 10**30:,}" in table


# --- one rule for numbers, on every numeric option ----------------------------------

BASE = {
    "standard": ["--cin", "8", "--cout", "8"],
    "depthwise": ["--cin", "8"],
    "pointwise": ["--cin", "8", "--cout", "8"],
    "separable": ["--cin", "8", "--cout", "8"],
    "lite": ["--cin", "8", "--cout", "8"],
    "compare": ["--cin", "8", "--cout", "8"],
    "sweep": ["--cin", "8", "--cout", "8"],
    "model": ["mobilenet_v1"],
    "fit": ["--cin", "8", "--max-params", "1M"],
}
NUMERIC_TYPES = {"integer", "size", "padding", "count", "list", "range", "sizes", "dims", "decimal"}


def numeric_options() -> list[tuple[str, str]]:
    """(command, option) for every option that reads a number, found from the commands
    themselves so that a new one is checked too."""
    found = []
    for name in BASE:
        command = cli.get_command(click.Context(cli), name)
        assert command is not None
        for param in command.params:
            if isinstance(param, click.Option) and param.type.name in NUMERIC_TYPES:
                found.append((name, param.opts[-1]))
    return found


NUMERIC = numeric_options()


def test_every_numeric_option_is_found() -> None:
    assert ("model", "--width") in NUMERIC
    assert ("standard", "--dims") in NUMERIC
    assert ("sweep", "--kernel") in NUMERIC
    assert len(NUMERIC) > 60


@pytest.mark.parametrize(
    "value",
    ["", " ", "٣", "３", "٠.٥", "1_0", "0x1f", OVER, HUGE],
    ids=[
        "empty",
        "blank",
        "arabic",
        "fullwidth",
        "arabic-decimal",
        "underscore",
        "hex",
        "101",
        "100k",
    ],
)
@pytest.mark.parametrize(("command", "option"), NUMERIC, ids=[f"{c} {o}" for c, o in NUMERIC])
def test_numeric_option_refuses(command: str, option: str, value: str) -> None:
    stderr = refused(run(command, *BASE[command], option, value), option)
    if value in (OVER, HUGE):
        assert DIGITS_TEXT in stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["standard", "--cin", "8", "--cout", "8", "--dims", "3", "-q"], (8 * 27 + 1) * 8),
        (["standard", "--cin", "+8", "--cout", " 8 ", "-q"], (8 * 9 + 1) * 8),
        (["standard", "--cin", "8", "--cout", "8", "--expect", "584", "-q"], 584),
        (["standard", "--cin", "8", "--cout", "8", "--expect", "0.584k", "-q"], 584),
        (["standard", "--cin", "8", "--cout", "8", "--expect", "584.0", "-q"], 584),
    ],
)
def test_numbers_in_ascii_digits_are_read(args: list[str], expected: int) -> None:
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{expected}\n"


def test_budget_of_many_digits_is_read_exactly() -> None:
    """A count of 31 digits was read through 28-digit decimal arithmetic, so --expect
    compared against a rounded number: pointwise cin = 1234567890123456789012345678900,
    cout = 1 has (cin + 1) x 1 parameters, exactly the 31 digits given."""
    cin = "1234567890123456789012345678900"
    params = str(int(cin) + 1)
    result = run("pointwise", "--cin", cin, "--cout", "1", "-q", "--expect", params)
    assert result.exit_code == 0, result.stderr
    # 1,234,567,890,123,456,789,012,345,678.9k is one parameter under the count ...
    under = run("pointwise", "--cin", cin, "--cout", "1", "-q", "--max-params", f"{params[:-3]}.9k")
    assert under.exit_code == 1 and "over the budget" in under.stderr
    # ... and 1,234,567,890,123,456,789,012,345,678.9012k is no whole count.
    refused(run("pointwise", "--cin", cin, "--cout", "1", "--expect", f"{params[:-3]}.9012k"))
    fits = run("pointwise", "--cin", cin, "--cout", "1", "-q", "--max-params", f"{params}.000")
    assert fits.exit_code == 0, fits.stderr


def test_width_is_a_number_in_ascii_digits() -> None:
    half = run("model", "mobilenet_v1", "--width", "0.5", "-q")
    assert half.exit_code == 0 and half.stdout.strip().isdigit()
    refused(run("model", "mobilenet_v1", "--width", ""), "--width")
    refused(run("model", "mobilenet_v1", "--width", "٠.٥"), "--width")


# --- empty selections ---------------------------------------------------------------


@pytest.mark.parametrize("output", [[], ["--format", "json"], ["--format", "csv"], ["-q"]])
@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--variants", ""),
        ("--variants", ","),
        ("--variants", " "),
        ("--variants", ", ,"),
        ("-k", ""),
        ("-k", ",,,"),
        ("-k", " "),
        ("-k", "3,0"),
        ("-k", "3,x"),
    ],
)
def test_sweep_empty_or_bad_selection_is_refused(
    option: str, value: str, output: list[str]
) -> None:
    result = run("sweep", "--cin", "1", "--cout", "1", option, value, *output)
    refused(result, "--variants" if option == "--variants" else "-k")
    assert result.stdout == ""


@pytest.mark.parametrize("value", ["", ",", " ", " , "])
@pytest.mark.parametrize("option", ["--cin", "--cout"])
def test_compare_empty_channel_list_is_refused(option: str, value: str) -> None:
    refused(run("compare", *BASE["compare"], option, value), option)


# --- sizes as convcalc prints them ------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["standard", "--cin", "8", "--cout", "8", "-k", "3×5", "-q"], (8 * 15 + 1) * 8),
        (["standard", "--cin", "8", "--cout", "8", "-k", "3 × 3 × 3", "-q"], (8 * 27 + 1) * 8),
        (["depthwise", "--cin", "8", "-k", "1×3", "-q"], (3 + 1) * 8),
    ],
)
def test_size_written_as_convcalc_prints_it(args: list[str], expected: int) -> None:
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{expected}\n"


def test_size_with_times_sign_in_input_sweep_and_batch() -> None:
    # standard 8 -> 8, 3x3, padding 1, on 16x8: 8 x 16 x 8 outputs x (8 x 9) MACs each
    shaped = json.loads(
        run("standard", "--cin", "8", "--cout", "8", "--input", "16×8", "--format", "json").stdout
    )
    assert shaped["output_shape"] == [8, 16, 8] and shaped["macs"] == 8 * 16 * 8 * 8 * 9
    swept = run(
        "sweep", "--cin", "8", "--cout", "8", "-k", "3×3,1×5", "--variants", "standard", "-q"
    )
    assert swept.stdout.split() == [str((8 * 9 + 1) * 8), str((8 * 5 + 1) * 8)]
    record = {"variant": "standard", "cin": 8, "cout": 8, "kernel": "3×5", "input": "16×8"}
    out = records(run("batch", stdin=jsonl(record)))[0]
    assert out["params"] == (8 * 15 + 1) * 8 and out["output_shape"] == [8, 16, 8]
