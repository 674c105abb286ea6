"""The README shows real output: every ``$ convcalc ...`` in a console block is run
again and must print what the README says it prints."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from convcalc.cli import cli

README = (Path(__file__).parent.parent / "README.md").read_text()


def console_examples() -> list[tuple[str, str]]:
    examples = []
    for block in re.findall(r"```console\n(.*?)```", README, flags=re.S):
        command, *output = block.splitlines()
        assert command.startswith("$ convcalc ")
        examples.append((command[2:], "\n".join(output) + "\n"))
    return examples


@pytest.mark.parametrize(("command", "output"), console_examples(), ids=lambda x: x[:50])
def test_readme_output_is_real(command: str, output: str) -> None:
    result = CliRunner().invoke(cli, shlex.split(command)[1:])
    assert result.stdout == output


def test_quick_start_has_exactly_two_commands() -> None:
    section = README.split("## Quick start", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.S)
    assert block is not None
    commands = [line for line in block[1].splitlines() if line.strip()]
    assert len(commands) == 2
    assert commands[0].startswith("pip install . && convcalc ")
    assert "pytest" in commands[1]
