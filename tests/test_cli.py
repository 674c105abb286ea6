"""The CLI as users run it: CliRunner for most cases, the installed command for a few."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from conftest import TORCH, as_json, ok, run

from convcalc.cli import cli

VARIANT_COMMANDS = ["standard", "depthwise", "pointwise", "separable", "lite"]
COMMANDS = cli.list_commands(click.Context(cli))


# --- each variant -----------------------------------------------------------

BLOG = TORCH["blog_variants"]["64->128"]


@pytest.mark.parametrize(
    ("args", "variant", "params"),
    [
        (["standard", "--cin", "64", "--cout", "128", "-k", "3"], "standard", BLOG["standard"]),
        (["depthwise", "--cin", "64", "-k", "3"], "depthwise", BLOG["depthwise"]),
        (["pointwise", "--cin", "64", "--cout", "128"], "pointwise", BLOG["pointwise"]),
        (["separable", "--cin", "64", "--cout", "128"], "separable", BLOG["separable"]),
        (["mobilenet", "--cin", "64", "--cout", "128"], "separable", BLOG["separable"]),
        (["lite", "--cin", "64", "--cout", "128"], "lite", BLOG["lite"]),
        (["osnet", "--cin", "64", "--cout", "128"], "lite", BLOG["lite"]),
    ],
)
def test_variant_json_contract(args: list[str], variant: str, params: int) -> None:
    data = as_json(*args)
    for key in ("variant", "cin", "cout", "kernel", "bias", "bn", "params", "buffers", "layers"):
        assert key in data
    assert data["variant"] == variant
    assert data["params"] == params
    assert data["params"] == sum(layer["params"] for layer in data["layers"])
    assert data["bias"] is True and data["bn"] is False and data["buffers"] == 0
    assert data["cin"] == 64
    assert data["kernel"] == ([1, 1] if variant == "pointwise" else [3, 3])
    # Without an input, the compute keys are there but null.
    for key in ("input_shape", "output_shape", "macs", "flops", "peak_activation_bytes"):
        assert data[key] is None


@pytest.mark.parametrize("command", VARIANT_COMMANDS)
def test_quiet_prints_only_the_total(command: str) -> None:
    args = [command, "--cin", "64"] + ([] if command == "depthwise" else ["--cout", "128"])
    assert ok(*args, "-q").stdout == f"{BLOG[command]}\n"


@pytest.mark.parametrize(
    "args, says, prints",
    [
        # (64×9+1)×128 for standard; 64 channels on 56×56, 10 M MACs for a separable
        # block: 64·9·3136 + 64·c·3136 ≤ 10,000,000 gives c ≤ 40.8.
        (["standard", "--cin", "64", "--cout", "128"], "total parameter count", "73856\n"),
        (
            ["fit", "separable", "--cin", "64", "--input", "56", "--max-macs", "10M"],
            "largest cout",
            "40\n",
        ),
        # 3×3 and 5×5 standard layers 8→8: (8·9+1)·8 and (8·25+1)·8, one line each.
        (["sweep", "--cin", "8", "--cout", "8", "-k", "3,5"], "a line per config", None),
    ],
)
def test_quiet_help_says_what_quiet_prints(args: list[str], says: str, prints: str | None) -> None:
    help_text = " ".join(ok(args[0], "--help").stdout.split())
    assert "-q, --quiet Print only" in help_text and says in help_text
    out = ok(*args, "-q").stdout
    if prints is not None:
        assert out == prints
    else:
        lines = out.splitlines()
        assert [line.split()[0] for line in lines] == [str(73 * 8), str(201 * 8)]


def test_table_shows_the_working_in_the_posts_form() -> None:
    out = ok("standard", "--cin", "64", "--cout", "128", "-k", "3").stdout
    assert "(64 × 3 × 3 + 1) × 128 = 73,856" in out
    out = ok("separable", "--cin", "64", "--cout", "128").stdout
    assert "(3 × 3 + 1) × 64" in out and "(64 + 1) × 128" in out
    assert "640 + 8,320 = 8,960" in out


def test_groups_multiplier_kernel_and_bn_options() -> None:
    data = as_json("standard", "--cin", "64", "--cout", "128", "-k", "3x5", "-g", "4")
    assert data["kernel"] == [3, 5]
    assert data["params"] == (64 // 4 * 3 * 5 + 1) * 128
    data = as_json("depthwise", "--cin", "32", "-m", "2", "-k", "5")
    assert data["cout"] == 64 and data["params"] == (5 * 5 + 1) * 64
    assert as_json("depthwise", "--cin", "32", "--cout", "96")["params"] == (9 + 1) * 96
    data = as_json("separable", "--cin", "64", "--cout", "128", "--no-bias", "--bn")
    assert data["params"] == 64 * 9 + 128 + 64 * 128 + 256
    assert data["buffers"] == 128 + 256
    assert [layer["type"] for layer in data["layers"]] == [
        "depthwise",
        "batchnorm",
        "pointwise",
        "batchnorm",
    ]
    data = as_json("lite", "--cin", "64", "--cout", "128", "--no-bias", "--bn")
    assert (
        data["params"]
        == BLOG["lite, no bias, one BatchNorm after the depthwise (torchreid LightConv3x3)"]
    )


def test_huge_figures_stay_exact() -> None:
    out = ok("standard", "--cin", "1000000", "--cout", "1000000", "-k", "7", "-q").stdout
    assert int(out) == (1_000_000 * 7 * 7 + 1) * 1_000_000
    big = "1" + "0" * 30
    out = ok("pointwise", "--cin", big, "--cout", big, "-q").stdout
    assert int(out) == (10**30 + 1) * 10**30
    out = ok("standard", "--cin", big, "--cout", big, "-k", big, "--format", "json").stdout
    assert json.loads(out)["params"] == (10**30 * 10**60 + 1) * 10**30


# --- compare ----------------------------------------------------------------


def test_compare_reproduces_both_post_tables_in_one_call() -> None:
    data = as_json("compare", "--cin", "64", "--cout", "128,64", "-k", "3")
    rows = [(v["variant"], v["cin"], v["cout"], v["params"]) for v in data["variants"]]
    assert rows == [
        ("standard", 64, 128, 73_856),
        ("separable", 64, 128, 8_960),
        ("lite", 64, 128, 9_600),
        ("standard", 64, 64, 36_928),  # the post prints 37,056: see the erratum
        ("separable", 64, 64, 4_800),
        ("lite", 64, 64, 4_800),
    ]
    table = ok("compare", "--cin", "64", "--cout", "128", "--cout", "64").stdout
    assert table.count("| standard ") == 2
    # Every table names the variants as the commands do, and says once what they are.
    assert "| separable " in table and "| lite " in table
    said = " ".join(table.split())
    assert (
        said.count("separable: MobileNet's depthwise separable block (depthwise → pointwise)") == 1
    )
    # Reductions: 73,856 / 8,960 = 8.24×, 1 − 8,960 / 73,856 = 87.9 %.
    assert "8.24×" in table and "87.9%" in table


def test_compare_all_adds_depthwise_and_pointwise() -> None:
    data = as_json("compare", "--cin", "64", "--cout", "128", "--all")
    assert [v["variant"] for v in data["variants"]] == [
        "standard",
        "separable",
        "lite",
        "depthwise",
        "pointwise",
    ]
    assert [v["params"] for v in data["variants"]][3:] == [640, 8_320]
    reduction = data["variants"][1]["reduction"]
    assert reduction["params_factor"] == pytest.approx(73_856 / 8_960)
    assert reduction["params_percent"] == pytest.approx(100 * (1 - 8_960 / 73_856))


def test_compare_with_input_has_compute_and_the_paper_ratio() -> None:
    data = as_json("compare", "--cin", "64", "--cout", "128", "-k", "3", "--input", "56")
    standard, separable, lite = data["variants"]
    assert standard["macs"] == 128 * 56 * 56 * 64 * 3 * 3
    assert separable["macs"] == 64 * 56 * 56 * 9 + 128 * 56 * 56 * 64
    assert lite["macs"] == 128 * 56 * 56 * 64 + 128 * 56 * 56 * 9
    assert separable["flops"] == 2 * separable["macs"]
    assert separable["reduction"]["paper_ratio"] == pytest.approx(1 / 128 + 1 / 9)
    assert separable["reduction"]["macs_ratio"] == pytest.approx(
        separable["macs"] / standard["macs"]
    )
    for row in data["variants"]:
        assert row["output_shape"] == [128, 56, 56]
        assert row["input_shape"] == [64, 56, 56]
    table = ok("compare", "--cin", "64", "--cout", "128", "--input", "56").stdout
    assert "1/N + 1/K²" in table and "231,211,008" in table


# --- formats ----------------------------------------------------------------


@pytest.mark.parametrize("command", ["standard", "separable", "compare"])
def test_csv_has_a_header_and_a_row_per_table_row(command: str) -> None:
    args = [command, "--cin", "64", "--cout", "128"]
    rows = list(csv.DictReader(io.StringIO(ok(*args, "--format", "csv").stdout)))
    if command == "compare":
        assert [r["variant"] for r in rows] == ["standard", "separable", "lite"]
        assert [int(r["params"]) for r in rows] == [73_856, 8_960, 9_600]
    else:
        data = as_json(*args)
        assert [r["layer"] for r in rows] == [*(la["name"] for la in data["layers"]), "total"]
        assert int(rows[-1]["params"]) == data["params"]


def test_csv_columns_do_not_depend_on_options() -> None:
    plain = ok("separable", "--cin", "8", "--cout", "16", "--format", "csv").stdout
    full = ok("separable", "--cin", "8", "--cout", "16", "--bn", "--input", "9", "--format", "csv")
    assert plain.splitlines()[0] == full.stdout.splitlines()[0]


def test_markdown_table() -> None:
    out = ok("compare", "--cin", "64", "--cout", "128", "--format", "markdown").stdout
    lines = [line for line in out.splitlines() if line.startswith("|")]
    assert lines[0].startswith("| Variant")
    assert set(lines[1]) <= set("|-:")
    assert len(lines) == 2 + 3
    assert "| 73,856 |" in lines[2]


def test_piped_table_is_plain_and_byte_stable() -> None:
    args = ["compare", "--cin", "64", "--cout", "128", "--input", "56"]
    first = run(*args, env={"COLUMNS": None}).stdout  # type: ignore[dict-item]
    second = run(*args, env={"COLUMNS": None, "LINES": "10"}).stdout  # type: ignore[dict-item]
    assert first == second
    assert "\x1b[" not in first
    assert not any("\u2500" <= ch <= "\u257f" for ch in first)  # no box-drawing characters
    # COLUMNS, when set, is asked for: the table fits it even in a pipe.
    narrow = run(*args, env={"COLUMNS": "60"}).stdout
    assert max(map(len, narrow.splitlines())) <= 60 < max(map(len, first.splitlines()))


COLOUR = re.compile(r"\x1b\[(?:[0-9]+;)*(?:3[0-8]|9[0-7])[;m]")  # SGR foreground colours


def test_force_color_colours_and_no_color_does_not() -> None:
    args = ["standard", "--cin", "64", "--cout", "128"]
    coloured = run(*args, env={"FORCE_COLOR": "1", "NO_COLOR": ""}).stdout
    assert COLOUR.search(coloured)
    plain = run(*args, env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout
    assert not COLOUR.search(plain)
    assert not any("\u2500" <= ch <= "\u257f" for ch in plain)


# --- compute on the command line --------------------------------------------


def test_issue_example_geometry() -> None:
    data = as_json(
        "standard", "--cin", "32", "--cout", "64", "-k", "3x5", "-s", "2", "-p", "1x2",
        "-d", "2", "-g", "4", "--input", "57x43",
    )  # fmt: skip
    case = TORCH["cases"][0]
    assert data["output_shape"] == case["output_shape"][1:] == [64, 28, 20]
    assert data["params"] == case["params"] == 7_744
    assert data["macs"] == case["macs"] == 4_300_800
    assert data["layers"][0]["output_shape"] == [64, 28, 20]


def _case_args(case: dict) -> list[str]:
    x = "x".join
    args = [
        "standard", "--cin", str(case["cin"]), "--cout", str(case["cout"]),
        "-k", x(map(str, case["kernel"])), "-s", x(map(str, case["stride"])),
        "-d", x(map(str, case["dilation"])), "-g", str(case["groups"]),
        "--dims", str(len(case["kernel"])),
        "--input", x(map(str, case["input_shape"][2:])), "--batch", str(case["input_shape"][0]),
        "--bias" if case["bias"] else "--no-bias",
        "-p", case["padding"] if isinstance(case["padding"], str) else x(map(str, case["padding"])),
    ]  # fmt: skip
    if case["op"].startswith("ConvTranspose"):
        args += ["--transposed", "--output-padding", x(map(str, case["output_padding"]))]
    return args


@pytest.mark.parametrize("case", TORCH["cases"], ids=lambda c: c["op"])
def test_every_torch_case_through_the_cli(case: dict) -> None:
    data = as_json(*_case_args(case))
    assert data["params"] == case["params"]
    assert [case["input_shape"][0], *data["output_shape"]] == case["output_shape"]
    assert data["macs"] == case["macs"]
    assert data["layers"][0]["weight_shape"] == case["weight_shape"]


def test_batch_dtype_and_memory() -> None:
    data = as_json(
        "standard", "--cin", "64", "--cout", "128", "--input", "56", "--batch", "8",
        "--dtype", "int8",
    )  # fmt: skip
    assert data["macs"] == 8 * 128 * 56 * 56 * 64 * 9
    assert data["weight_bytes"] == 73_856
    assert data["activation_bytes"] == 8 * 128 * 56 * 56
    assert data["peak_activation_bytes"] == 8 * (64 + 128) * 56 * 56
    assert data["batch"] == 8 and data["dtype"] == "int8"


def test_dims_inferred_from_a_three_size_kernel_and_explicit_1d() -> None:
    data = as_json("standard", "--cin", "3", "--cout", "8", "-k", "3x3x3", "--input", "8")
    assert data["dims"] == 3 and data["output_shape"] == [8, 8, 8, 8]
    data = as_json("standard", "--cin", "3", "--cout", "8", "--dims", "1", "--input", "100")
    assert data["kernel"] == [3] and data["output_shape"] == [8, 100]


# --- gates and exit codes ---------------------------------------------------


def test_expect_passes_and_fails_with_one_line() -> None:
    assert run("standard", "--cin", "64", "--cout", "128", "--expect", "73856").exit_code == 0
    result = run("standard", "--cin", "64", "--cout", "128", "--expect", "73728")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "73,728" in result.stderr and "73,856" in result.stderr


def test_budgets() -> None:
    base = ["separable", "--cin", "64", "--cout", "128"]
    assert run(*base, "--max-params", "8960").exit_code == 0
    assert run(*base, "--max-params", "8959").exit_code == 1
    assert run(*base, "--max-params", "9k").exit_code == 0
    macs = 64 * 56 * 56 * 9 + 128 * 56 * 56 * 64
    assert run(*base, "--input", "56", "--max-macs", str(macs)).exit_code == 0
    assert run(*base, "--input", "56", "--max-macs", str(macs - 1)).exit_code == 1
    assert run(*base, "--input", "56", "--max-macs", "27.5M").exit_code == 0


BAD_INPUTS = [
    (["standard", "--cin", "0", "--cout", "8"], "--cin"),
    (["standard", "--cin", "-4", "--cout", "8"], "--cin"),
    (["standard", "--cin", "4.5", "--cout", "8"], "--cin"),
    (["standard", "--cin", "8", "--cout", "8", "-k", "0"], "--kernel"),
    (["standard", "--cin", "8", "--cout", "8", "-k", "3x"], "--kernel"),
    (["standard", "--cin", "8", "--cout", "8", "-k", "x3"], "--kernel"),
    (["standard", "--cin", "6", "--cout", "8", "-g", "4"], "--groups"),
    (["standard", "--cin", "8", "--cout", "6", "-g", "4"], "--groups"),
    (["standard", "--cin", "8", "--cout", "8", "-g", "0"], "--groups"),
    (["depthwise", "--cin", "8", "-m", "0"], "--multiplier"),
    (["depthwise", "--cin", "8", "--cout", "12"], "--cout"),
    (["standard", "--cin", "8", "--cout", "8", "--format", "xml"], "--format"),
    (["frobnicate"], "standard"),
    (["standard", "--cout", "8"], "--cin"),
    (["standard", "--cin", "8", "--cout", "8", "--bogus"], "--bogus"),
    (["standard", "--cin", "3", "--cout", "8", "-k", "7", "-p", "0", "--input", "5"], "empty"),
    (["standard", "--cin", "3", "--cout", "8", "-s", "2", "-p", "same", "--input", "9"], "same"),
    (["standard", "--cin", "3", "--cout", "8", "--expect", "lots"], "--expect"),
    (["standard", "--cin", "3", "--cout", "8", "--max-macs", "5"], "--input"),
    (["standard", "--cin", "3", "--cout", "8", "-k", "3x3x3", "--input", "5x5"], "dimensions"),
    (["lite", "--cin", "3", "--cout", "8", "-s", "0"], "--stride"),
    (["standard", "--cin", "3", "--cout", "8", "--output-padding", "1"], "transposed"),
    (["compare", "--cin", "64", "--cout", "128,x"], "--cout"),
    (["compare", "--cin", "64"], "--cout"),
]


@pytest.mark.parametrize(("args", "named"), BAD_INPUTS, ids=lambda a: " ".join(a)[:40])
def test_bad_input_is_one_line_on_stderr_with_exit_2(args: list[str], named: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert named in result.stderr
    assert "Traceback" not in result.stderr


def test_no_command_shows_the_whole_help() -> None:
    result = run()
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout.startswith("Usage: convcalc [OPTIONS] COMMAND")
    assert "\nCommands:\n" in result.stdout and "  compare " in result.stdout


def test_help_lists_commands_and_aliases() -> None:
    out = ok("--help").stdout
    for name in [*VARIANT_COMMANDS, "compare", "model", "mobilenet", "osnet"]:
        assert name in out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_examples(command: str) -> None:
    out = ok(command, "--help").stdout
    assert "Examples:" in out
    assert f"convcalc {command}" in out or command in ("separable", "lite")
    assert "--format" in out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_in_the_readme(command: str) -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    assert f"convcalc {command}" in readme


def test_version() -> None:
    from importlib.metadata import version

    assert ok("--version").stdout == f"convcalc {version('convcalc')}\n"


# --- the installed command, run for real ------------------------------------

EXE = shutil.which("convcalc", path=os.path.dirname(sys.executable)) or shutil.which("convcalc")


@pytest.mark.skipif(EXE is None, reason="the convcalc script is not installed")
def test_installed_command_end_to_end() -> None:
    assert EXE is not None
    done = subprocess.run(
        [EXE, "compare", "--cin", "64", "--cout", "128", "-k", "3"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and done.stderr == ""
    assert "73,856" in done.stdout and "8,960" in done.stdout and "9,600" in done.stdout
    bad = subprocess.run(
        [EXE, "standard", "--cin", "6", "--cout", "8", "-g", "4"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.count("\n") == 1 and "--groups" in bad.stderr


def test_python_dash_m() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "convcalc", "standard", "--cin", "64", "--cout", "128", "-q"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "73856\n")


# --- the group: a name -> module map ------------------------------------------------


def test_the_command_map_names_every_command_and_each_is_defined_where_it_says() -> None:
    import importlib

    from convcalc.cli import COMMANDS as MAP

    assert list(MAP) == COMMANDS
    for name, where in MAP.items():
        module, attribute = where.split(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command) and command.name == name


def test_help_lists_every_command() -> None:
    from convcalc.cli import COMMANDS as MAP

    listed = ok("--help").stdout.split("Commands:", 1)[1]
    names = [
        line.split()[0] for line in listed.splitlines() if line.startswith("  ") and line.split()
    ]
    assert [n for n in names if n in MAP] == list(MAP)


@pytest.mark.parametrize("variant", VARIANT_COMMANDS)
def test_a_variant_command_has_every_schema_option_its_layer_takes(variant: str) -> None:
    from convcalc.model.schema import ANALYSIS, MEASURE, options_for

    command = cli.get_command(click.Context(cli), variant)
    assert command is not None
    names = {param.name for param in command.params}
    assert {o.name for o in (*options_for(variant), *MEASURE, *ANALYSIS)} <= names
    other = {o.name for o in options_for("standard")} - {o.name for o in options_for(variant)}
    assert not other & names


def test_reported_by_takes_a_comma_list_as_batch_does() -> None:
    base = ["standard", "--cin", "8", "--cout", "8", "--input", "8"]
    listed = as_json(*base, "--reported-by", "thop,fvcore")["reported_by"]
    repeated = as_json(*base, "--reported-by", "thop", "--reported-by", "fvcore")["reported_by"]
    assert list(listed) == list(repeated) == ["thop", "fvcore"]
    everything = as_json(*base, "--reported-by", "thop", "--reported-by", "all")["reported_by"]
    assert len(everything) == 9
