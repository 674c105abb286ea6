"""The README shows real output: every ``$ convcalc ...`` in a console block is run
again and must print what the README says it prints."""

from __future__ import annotations

import json
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
    result = CliRunner().invoke(cli, shlex.split(command)[1:], env={"COLUMNS": None})
    assert result.stdout == output


def test_quick_start_has_exactly_two_commands() -> None:
    section = README.split("## Quick start", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.S)
    assert block is not None
    commands = [line for line in block[1].splitlines() if line.strip()]
    assert len(commands) == 2
    assert commands[0].startswith("pip install . && convcalc ")
    assert "pytest" in commands[1]


def published_rows() -> list[list[str]]:
    section = README.split("### Published figures, reproduced", 1)[1].split("\n\n")[2]
    return [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("| `")
    ]


@pytest.mark.parametrize("row", published_rows(), ids=lambda r: r[0])
def test_readme_published_figures_table_is_real(row: list[str]) -> None:
    arguments, _, params, _, macs = row
    result = CliRunner().invoke(cli, ["model", *arguments.strip("`").split(), "--format", "json"])
    data = json.loads(result.stdout)
    data = data.get("swapped", data)
    assert (f"{data['params']:,}", f"{data['macs']:,}") == (params, macs)


def test_readme_published_figures_cover_every_preset() -> None:
    from convcalc.model.spec import PRESETS

    named = {row[0].strip("`").split()[0] for row in published_rows()}
    assert named == set(PRESETS)
