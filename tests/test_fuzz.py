"""Fuzzing the whole CLI: whatever the input, convcalc exits 0, 1 or 2 within a bounded
time, never prints a traceback, reports an error in one line on stderr with no raw
control character, and loses no file. benchmarks/fuzz.py runs the same properties with
a much larger budget (and inputs at the limits, which take seconds each)."""

from __future__ import annotations

from typing import Any

from fuzzing import (
    BatchRun,
    SpecRun,
    batch_lines,
    batch_runs,
    check,
    check_batch,
    check_output_over,
    check_same_file,
    check_spec,
    check_stdin_is_output,
    command_lines,
    jsonl_inputs,
    same_file_runs,
    spec_runs,
    specs,
    structured_lines,
)
from hypothesis import HealthCheck, Phase, example, given, settings

# Time is bounded per run by fuzzing.bounded, not by hypothesis' deadline. No "explain"
# phase: it traces every line, which makes a slow run ten times slower.
FUZZ = settings(
    max_examples=150,
    deadline=None,
    phases=[p for p in Phase if p is not Phase.explain],
    suppress_health_check=[HealthCheck.too_slow],
)
# The kinds of issue #10 run convcalc on larger inputs, two or three times each.
FEW = settings(FUZZ, max_examples=60)


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


@FEW
@given(batch_runs())
def test_batch_input_with_boms_duplicate_keys_long_numbers_and_csv(batch: BatchRun) -> None:
    check_batch(batch)


@FUZZ
@given(specs)
def test_any_spec_file(spec: dict[str, Any]) -> None:
    check_spec(spec)


@FEW
@given(spec_runs())
def test_hostile_specs_in_toml_json_and_on_stdin(spec: SpecRun) -> None:
    check_spec(spec)


@FEW
@given(structured_lines)
def test_an_existing_output_file_is_whole_or_untouched(line: tuple[str, list[str]]) -> None:
    command, args = line
    check_output_over([command, *args])


@FEW
@given(same_file_runs())
# Found by this fuzz: fit computed first, and its failed check (exit 1) came before the
# refusal of an output that is its own spec.
@example(
    (
        ["fit", "--model", "spec.json", "--max-params", "1", "-o", "spec.json"],
        {"spec.json": '{"input": [3, 8, 8], "layers": [{"type": "standard", "cout": 4}]}'},
        "spec.json",
    )
)
def test_output_over_the_input_is_refused_and_the_input_kept(
    run: tuple[list[str], dict[str, str], str],
) -> None:
    check_same_file(*run)


@settings(FUZZ, max_examples=20)
@given(jsonl_inputs())
def test_stdin_that_is_the_output_file_is_refused(text: str) -> None:
    check_stdin_is_output(text, [])
