"""The variant commands make only the options a command line names
(cli/options.NamedOptionsCommand): every other option must get exactly the value
Click gives it when it parses the whole command, and anything unusual must be
parsed by Click in full."""

from __future__ import annotations

import importlib
import subprocess
import sys
from typing import Any

import click
import pytest
from conftest import run

from convcalc.cli import COMMANDS
from convcalc.cli.options import DeferredOption, NamedOptionsCommand

VARIANTS = ["standard", "depthwise", "pointwise", "separable", "lite"]

ARGS = [
    ["--cin", "64", "--cout", "128"],
    ["--cin", "64", "--cout", "128", "-k", "5", "--format", "json"],
    ["--cin", "64", "--cout", "128", "-q", "--input", "56"],
    ["--cin", "8", "--cout", "16", "--no-bias", "--bn", "--dtype", "FP16", "--batch=4"],
    ["--cin", "8", "--cout", "16", "--reported-by", "thop,fvcore", "--training"],
    ["--cin", "8", "--cout", "16", "-o", "-", "--expect", "30M", "--convention", "flops"],
    ["--cin", "8", "--cout", "16", "-k3"],  # parsed in full
    ["--cin", "8"],  # cout missing where it is required
    ["--cin", "8", "--cout", "16", "-k"],  # a value missing: Click quotes -k
    ["--cin", "8", "--cout", "16", "-o", "-k"],  # -k is -o's value
    ["--cin", "8", "--cout", "16", "-q", "-s", "2", "-p", "1", "-d", "1", "-g", "2", "-m", "2"],
    ["--cin", "8", "--cout", "16", "-k", "0"],
    ["--cin", "-5", "--cout", "16"],
    ["--cin", "8", "--cout", "16", "--bn=yes"],
    ["--cin", "8", "--cout", "16", "-q", "extra"],
]


def command(variant: str) -> click.Command:
    module, attribute = COMMANDS[variant].split(":")
    found: click.Command = getattr(importlib.import_module(module), attribute)
    return found


def parsed(cmd: click.Command, args: list[str], *, full: bool) -> dict[str, Any] | str:
    """The values a command's callback would get, or Click's error."""
    ctx = click.Context(cmd, info_name=cmd.name)
    try:
        if full:
            click.Command.parse_args(cmd, ctx, list(args))
        else:
            cmd.parse_args(ctx, list(args))
    except click.ClickException as error:
        return f"{type(error).__name__}: {error.format_message()}"
    return dict(ctx.params)


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_variant_commands_defer_their_options(variant: str) -> None:
    cmd = command(variant)
    assert isinstance(cmd, NamedOptionsCommand)
    assert sum(isinstance(p, DeferredOption) for p in cmd.params) >= 20


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("args", ARGS, ids=" ".join)
def test_an_option_left_out_gets_the_value_click_gives_it(variant: str, args: list[str]) -> None:
    cmd = command(variant)
    if variant == "pointwise" and "-k" in " ".join(args):
        args = [a for a in args if not a.startswith("-k") and a != "5"]
    assert parsed(cmd, args, full=False) == parsed(cmd, args, full=True)


def test_only_the_named_options_are_made() -> None:
    cmd = command("standard")
    found = cmd._named(["--cin", "1", "--cout", "2", "-k", "3", "--format", "json"])  # type: ignore[attr-defined]
    assert found is not None
    named, spelled = found
    names = {
        p.deferred_name or p.deferred_flags[-1] for p in named if isinstance(p, DeferredOption)
    }
    assert names == {"--cin", "--cout", "kernel", "format"}
    # A short option is handed to Click in its long spelling, a value as it is.
    assert spelled == ["--cin", "1", "--cout", "2", "--kernel", "3", "--format", "json"]
    assert cmd._named(["--cin", "1", "-o", "-q"])[1] == ["--cin", "1", "--output", "-q"]  # type: ignore[attr-defined]
    assert cmd._named(["--cin", "1", "-k"])[1] == ["--cin", "1", "-k"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "args", [["-h"], ["--cin", "1", "-k3"], ["--cin", "1", "--", "x"], ["--cin", "1", "-5"]]
)
def test_anything_else_is_parsed_in_full(args: list[str]) -> None:
    assert command("standard")._named(args) is None  # type: ignore[attr-defined]


def test_help_still_lists_every_option() -> None:
    result = run("standard", "--help")
    assert result.exit_code == 0
    for flag in ("--kernel", "--reported-by", "--optimizer", "--max-macs", "--output"):
        assert flag in result.stdout


@pytest.mark.parametrize("flag", ["--format json", "-q"])
def test_the_machine_paths_ask_click_for_no_translation(flag: str) -> None:
    """Click's help and version options translate their help text, and a short option
    is first looked up as a long one, with difflib's close matches: the JSON and -q
    paths of a variant command do neither (gettext's first question loads locale)."""
    code = (
        "import contextlib, io, sys, gettext\n"
        "asked = []\n"
        "real = gettext.dgettext\n"
        "gettext.dgettext = lambda d, message: asked.append(message) or real(d, message)\n"
        "from convcalc.cli import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    cli.main(['standard', '--cin', '8', '-k', '3', '--cout', '8', *{flag.split()!r}],"
        " standalone_mode=False)\n"
        "print(asked, 'locale' in sys.modules, 'difflib' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["[]", "False", "False"]


def test_version_is_what_click_version_option_prints() -> None:
    from importlib.metadata import version

    assert run("--version").stdout == f"convcalc {version('convcalc')}\n"
