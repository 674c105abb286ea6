"""The small frictions of issue 14, each fixed: did-you-mean, comma lists, dtype
aliases, batch's json, completion of presets, plain ``convcalc``, help and README
that agree, and batch's progress bar."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

import pytest
from click.testing import CliRunner
from conftest import ROOT, as_json, jsonl, ok, read_pty, run

from convcalc.cli import COMMANDS, cli
from convcalc.cli.options import FORMATS

README = (ROOT / "README.md").read_text()

# --- did you mean ----------------------------------------------------------------


def test_a_misspelt_command_gets_a_suggestion() -> None:
    result = run("comapre", "--cin", "64")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "did you mean 'compare'?" in result.stderr


def test_a_misspelt_preset_gets_a_suggestion() -> None:
    result = run("model", "mobilnet_v1")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "did you mean 'mobilenet_v1'?" in result.stderr


def test_a_misspelt_batch_key_gets_a_suggestion_and_k_is_listed() -> None:
    result = run("batch", stdin=jsonl({"variant": "standard", "cin": 3, "cout": 4, "kernal": 3}))
    error = json.loads(result.stdout)["error"]
    assert "did you mean 'kernel'?" in error
    assert "kernel (or k)" in error
    csv = run("batch", "--input-format", "csv", stdin="variant,cin,cout,kernal\n")
    assert csv.exit_code == 2 and "did you mean 'kernel'?" in csv.stderr


def test_nothing_close_gets_no_suggestion() -> None:
    assert "did you mean" not in run("zzzzzz").stderr


# --- comma lists and aliases -------------------------------------------------------


def test_repeatable_options_take_comma_lists() -> None:
    base = ["separable", "--cin", "64", "--cout", "128", "--input", "56"]
    listed = as_json(*base, "--reported-by", "torchinfo,ptflops")
    repeated = as_json(*base, "--reported-by", "torchinfo", "--reported-by", "ptflops")
    assert list(listed["reported_by"]) == list(repeated["reported_by"]) == ["torchinfo", "ptflops"]
    # compare's and sweep's lists, repeated or comma-separated, are the same configs.
    assert (
        ok("compare", "--cin", "64", "--cout", "128,64", "-q").stdout
        == ok("compare", "--cin", "64", "--cout", "128", "--cout", "64", "-q").stdout
    )
    sweep = ["sweep", "--cout", "64", "-q"]
    assert (
        ok(*sweep, "--cin", "16,32", "-k", "3,5", "--variants", "standard,lite").stdout
        == ok(
            *sweep,
            "--cin",
            "16",
            "--cin",
            "32",
            "-k",
            "3",
            "-k",
            "5",
            "--variants",
            "standard",
            "--variants",
            "lite",
        ).stdout
    )


@pytest.mark.parametrize(
    ("alias", "dtype"),
    [
        ("float16", "fp16"),
        ("half", "fp16"),
        ("float32", "fp32"),
        ("bfloat16", "bf16"),
        ("FLOAT16", "fp16"),
    ],
)
def test_dtype_aliases(alias: str, dtype: str) -> None:
    base = ["standard", "--cin", "3", "--cout", "8", "--input", "8"]
    assert as_json(*base, "--dtype", alias) == as_json(*base, "--dtype", dtype)
    record = {"variant": "standard", "cin": 3, "cout": 8, "input": 8, "dtype": alias}
    assert json.loads(ok("batch", stdin=jsonl(record)).stdout)["dtype"] == dtype


def test_a_bad_dtype_still_says_what_is_allowed() -> None:
    result = run("standard", "--cin", "3", "--cout", "8", "--dtype", "float64")
    assert result.exit_code == 2 and "fp16" in result.stderr


# --- batch --------------------------------------------------------------------------


def test_batch_format_json_is_json_lines() -> None:
    records = jsonl(
        {"variant": "standard", "cin": 3, "cout": 8}, {"variant": "lite", "cin": 8, "cout": 16}
    )
    assert (
        ok("batch", "--format", "json", stdin=records).stdout
        == ok("batch", "--format", "jsonl", stdin=records).stdout
    )


def _feed(pipe: IO[bytes], data: bytes) -> None:
    with pipe:
        pipe.write(data)


def _batch_on_a_terminal(tmp_path: Path, *args: str, stdin: bool = False) -> bytes:
    """What batch writes on stderr when stderr is a terminal."""
    source = tmp_path / "in.jsonl"
    source.write_text(
        jsonl(*({"variant": "standard", "cin": 1 + i % 50, "cout": 8} for i in range(5000)))
    )
    master, slave = pty.openpty()
    command = [sys.executable, "-m", "convcalc", "batch", *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        command if stdin else [*command, str(source)],
        stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    if stdin:  # a pipe: its size is not known
        assert process.stdin is not None
        feeder = threading.Thread(target=_feed, args=(process.stdin, source.read_bytes()))
        feeder.start()
    output = read_pty(master)
    assert process.wait(timeout=120) == 0
    os.close(master)
    return output


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs a pty")
def test_batch_draws_progress_for_a_file_on_a_terminal(tmp_path: Path) -> None:
    stderr = _batch_on_a_terminal(tmp_path)
    assert b"%" in stderr and b"\r[" in stderr
    assert stderr.endswith(b"\r")  # the bar is cleared at the end


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs a pty")
def test_batch_draws_no_progress_with_q_or_from_a_pipe(tmp_path: Path) -> None:
    assert _batch_on_a_terminal(tmp_path, "-q") == b""
    assert _batch_on_a_terminal(tmp_path, stdin=True) == b""


def test_batch_draws_no_progress_into_a_pipe() -> None:
    result = run("batch", stdin=jsonl({"variant": "standard", "cin": 3, "cout": 8}))
    assert result.stderr == ""


def test_batch_quiet_says_nothing_of_bad_lines() -> None:
    result = run("batch", "-q", stdin=jsonl({"variant": "nope"}))
    assert result.exit_code == 0 and result.stderr == ""
    assert "error" in json.loads(result.stdout)


# --- completion and the bare command ---------------------------------------------------


def test_completion_offers_preset_names() -> None:
    def complete(*words: str) -> list[str]:
        env = {
            "COMP_WORDS": " ".join(["convcalc", *words]),
            "COMP_CWORD": str(len(words)),
            "_CONVCALC_COMPLETE": "bash_complete",
        }
        result = CliRunner().invoke(cli, [], env=env, prog_name="convcalc")
        return result.stdout.splitlines()

    assert "plain,mobilenet_v1" in complete("model", "mob")
    assert "plain,osnet_x1_0" in complete("fit", "--model", "os")
    assert "file,ex" in complete("model", "ex")  # files too


def test_plain_convcalc_prints_help_and_exits_0() -> None:
    result = run()
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: convcalc") and result.stderr == ""


# --- help and README agree ----------------------------------------------------------

OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def help_of(*command: str) -> str:
    result = CliRunner().invoke(cli, [*command, "--help"], terminal_width=100)
    assert result.exit_code == 0
    return result.stdout


def options_of(command: str) -> set[str]:
    """The options a command takes, as Click declares them."""
    found = {"--help"}
    for param in cli.get_command(None, command).params:  # type: ignore[arg-type, union-attr]
        found |= {name for name in (*param.opts, *param.secondary_opts) if name.startswith("--")}
    return found


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_option_in_help_is_in_the_readme(command: str) -> None:
    missing = sorted(o for o in options_of(command) if o not in OPTION.findall(README))
    assert not missing, f"{command}: not in the README: {missing}"


@pytest.mark.parametrize("command", list(COMMANDS))
def test_help_names_only_options_its_command_takes(command: str) -> None:
    named = set(OPTION.findall(help_of(command)))
    assert named <= options_of(command), sorted(named - options_of(command))


def readme_command_lines() -> list[tuple[str, str]]:
    """(command, line) for each ``convcalc COMMAND ...`` the README writes."""
    found = []
    for line in README.splitlines():
        for match in re.finditer(r"convcalc ([a-z]+)((?: +[^|`#\n]+)?)", line):
            if match[1] in COMMANDS:
                found.append((match[1], match[0]))
    return found


def test_every_option_the_readme_gives_a_command_exists() -> None:
    wrong = [
        (command, line, option)
        for command, line in readme_command_lines()
        for option in OPTION.findall(line)
        if option not in options_of(command)
    ]
    assert len(readme_command_lines()) > 50
    assert not wrong, wrong


def test_every_option_in_the_readme_tables_exists() -> None:
    every = set().union(*(options_of(command) for command in COMMANDS))
    rows = [line for line in README.splitlines() if line.startswith("| `-")]
    named = {option for row in rows for option in OPTION.findall(row.split("|")[1])}
    assert named and not named - every, sorted(named - every)


def test_the_readme_lists_every_format() -> None:
    assert f"--format {'|'.join(FORMATS)}" in README
