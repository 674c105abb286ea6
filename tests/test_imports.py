"""Start-up stays light: the core imports no third-party package, and the
machine-output paths (JSON, CSV, -q) never import Rich (after Click's
tests/test_imports.py, which checks the same in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def loaded_after(code: str) -> set[str]:
    """Top-level modules a fresh interpreter has imported after running ``code``."""
    script = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return {name.split(".")[0] for name in json.loads(done.stdout.splitlines()[-1])}


def test_core_is_pure() -> None:
    loaded = loaded_after("import convcalc.model.core, convcalc.model.cost, convcalc.views.tables")
    assert not loaded & {"click", "rich", "pygments", "markdown_it"}


def test_library_api_needs_no_cli() -> None:
    loaded = loaded_after("import convcalc; convcalc.separable(cin=64, cout=128).params")
    assert not loaded & {"click", "rich"}


MACHINE_PATHS = [
    ["standard", "--cin", "64", "--cout", "128", "--format", "json"],
    ["standard", "--cin", "64", "--cout", "128", "-q"],
    ["compare", "--cin", "64", "--cout", "128", "--input", "56", "--format", "csv"],
    ["separable", "--cin", "64", "--cout", "128", "--format", "markdown"],
    ["standard", "--cin", "64", "--cout", "0"],
]


@pytest.mark.parametrize("args", MACHINE_PATHS, ids=lambda a: " ".join(a[-2:]))
def test_machine_output_paths_do_not_import_rich(args: list[str]) -> None:
    code = (
        "import contextlib, io\n"
        "from convcalc.cli import cli\n"
        "out, err = io.StringIO(), io.StringIO()\n"
        "with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):\n"
        f"    cli.main({args!r}, standalone_mode=False)"
    )
    assert "rich" not in loaded_after(code)


def test_table_path_does_import_rich() -> None:
    # The check above would pass vacuously if nothing ever imported Rich.
    code = (
        "import contextlib, io\n"
        "from convcalc.cli import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    cli.main(['standard', '--cin', '64', '--cout', '128'], standalone_mode=False)"
    )
    assert "rich" in loaded_after(code)


def test_only_the_program_tunes_the_garbage_collector() -> None:
    """The program raises gc's threshold before Click is imported; a process that
    imports or invokes the CLI itself (tests, library users) keeps its own."""
    probe = (
        "import gc, sys\n"
        "default = gc.get_threshold()\n"
        "{body}\n"
        "print(gc.get_threshold() != default, 'click' in sys.modules, file=sys.stderr)"
    )
    in_process = probe.format(
        body="from convcalc.cli import cli\ncli.main(['standard', '--cin', '8', '--cout', '8', "
        "'-q'], standalone_mode=False)"
    )
    done = subprocess.run(
        [sys.executable, "-c", in_process], capture_output=True, text=True, check=True
    )
    assert done.stderr.split() == ["False", "True"]
    # The entry point tunes gc first, then imports the CLI: check at import of click.
    program = (
        "import builtins, gc, sys\n"
        "seen = []\n"
        "real = builtins.__import__\n"
        "def spy(name, *args, **kwargs):\n"
        "    if name == 'click' and not seen:\n"
        "        seen.append(gc.get_threshold()[0])\n"
        "    return real(name, *args, **kwargs)\n"
        "builtins.__import__ = spy\n"
        "sys.argv = ['convcalc', 'standard', '--cin', '8', '--cout', '8', '-q']\n"
        "from convcalc.__main__ import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    print(seen, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert done.stdout == "584\n"  # (8·9 + 1)·8
    assert done.stderr.strip() == "[100000]"
