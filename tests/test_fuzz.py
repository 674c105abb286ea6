"""Fuzzing the whole CLI: whatever the input, convcalc exits 0, 1 or 2, never prints a
traceback, and reports an error in one line on stderr. benchmarks/fuzz.py runs the
same properties with a much larger budget."""

from __future__ import annotations

from typing import Any

from fuzzing import batch_lines, check, check_spec, command_lines, specs, structured_lines
from hypothesis import HealthCheck, given, settings

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(command_lines)
def test_any_command_line(line: tuple[str, list[str]]) -> None:
    command, args = line
    check([command, *args])


@FUZZ
@given(structured_lines)
def test_well_formed_command_lines_with_hostile_values(line: tuple[str, list[str]]) -> None:
    command, args = line
    check([command, *args])


@FUZZ
@given(batch_lines)
def test_any_batch_input(lines: list[str]) -> None:
    check(["batch"], stdin="\n".join(lines) + "\n")
    check(["batch", "--strict", "--format", "csv"], stdin="\n".join(lines) + "\n")


@FUZZ
@given(specs)
def test_any_spec_file(spec: dict[str, Any]) -> None:
    check_spec(spec)
