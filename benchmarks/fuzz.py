"""Fuzz the whole CLI with a large budget and report what was tried.

    python benchmarks/fuzz.py [--examples 5000] [--only KIND ...] [--seconds 60]

The same properties as tests/test_fuzz.py (every run exits 0, 1 or 2 within a bounded
time, prints no traceback, reports an error in one line on stderr with no raw control
character, and loses no file) over random command lines, batch input (JSON Lines and
CSV, with byte-order marks, keys given twice, control characters and long numbers),
spec files (JSON and TOML, from a file or stdin, with big and nested repeats and
nested shared modules, up to the limits), and outputs over existing files or over the
input itself. Exits 1 at the first failure, printing the smallest failing input
hypothesis found.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import fuzzing  # noqa: E402
from fuzzing import (  # noqa: E402
    BatchRun,
    SpecRun,
    Tally,
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


def kinds(
    tallies: dict[str, Tally],
) -> dict[str, tuple[st.SearchStrategy[Any], Callable[..., None]]]:
    """Each kind of input: what draws it, and how one is run and checked."""

    def line(args: tuple[str, list[str]], tally: Tally) -> None:
        check([args[0], *args[1]], tally=tally)

    def lines(text: list[str], tally: Tally) -> None:
        check(["batch"], stdin="\n".join(text) + "\n", tally=tally)

    def batch(run: BatchRun, tally: Tally) -> None:
        check_batch(run, tally=tally)

    def spec(run: SpecRun | dict[str, Any], tally: Tally) -> None:
        check_spec(run, tally=tally)

    def over(args: tuple[str, list[str]], tally: Tally) -> None:
        check_output_over([args[0], *args[1]], tally=tally)

    def same(run: tuple[list[str], dict[str, str], str], tally: Tally) -> None:
        check_same_file(*run, tally=tally)

    def piped(text: str, tally: Tally) -> None:
        check_stdin_is_output(text, [], tally=tally)

    table: dict[str, tuple[st.SearchStrategy[Any], Callable[..., None]]] = {
        "command lines": (command_lines, line),
        "well-formed": (structured_lines, line),
        "batch lines": (batch_lines, lines),
        "batch inputs": (batch_runs(), batch),
        "spec files": (specs, spec),
        "hostile specs": (spec_runs(big=True, fit=False), spec),
    }
    table["-o over a file"] = (structured_lines, over)
    table["-o the input"] = (same_file_runs(), same)
    table["stdin is -o"] = (jsonl_inputs(), piped)
    # Last: fit --model builds a network a dozen times, so it is the slowest at the limits.
    table["fit --model"] = (spec_runs(big=True, fit=True), spec)
    return table


def fuzzer(
    budget: settings, strategy: st.SearchStrategy[Any], run: Callable[..., None], tally: Tally
) -> Callable[[], None]:
    @budget
    @given(strategy)
    def fuzz(example: Any) -> None:
        run(example, tally)

    return fuzz


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=5000, help="inputs per kind")
    parser.add_argument("--only", nargs="*", help="kinds to run (by the start of their name)")
    parser.add_argument("--seconds", type=int, default=60, help="a run that takes longer is a hang")
    parser.add_argument(
        "--shrink",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="shrink a failing input (each try of a hang takes --seconds)",
    )
    args = parser.parse_args()
    fuzzing.SECONDS = args.seconds
    # No "explain" phase: it traces every line, which makes a slow run ten times slower.
    phases = [Phase.explicit, Phase.generate, *([Phase.shrink] if args.shrink else [])]
    budget = settings(
        max_examples=args.examples,
        deadline=None,
        database=None,
        phases=phases,
        suppress_health_check=list(HealthCheck),
    )
    tallies: dict[str, Tally] = {}
    chosen = {
        name: kind
        for name, kind in kinds(tallies).items()
        if not args.only or any(name.startswith(start) for start in args.only)
    }
    start = time.perf_counter()
    for name, (strategy, run) in chosen.items():
        tally = tallies[name] = Tally()
        began = time.perf_counter()
        failed = True
        try:
            fuzzer(budget, strategy, run, tally)()
            failed = False
        finally:
            exits = ", ".join(f"exit {code}: {n:,}" for code, n in sorted(tally.exits.items()))
            spent = time.perf_counter() - began
            done = "runs, then a FAILURE" if failed else "runs"
            print(f"{name:<15} {tally.runs:>7,} {done} in {spent:4.0f} s ({exits})", flush=True)
    elapsed = time.perf_counter() - start
    total = sum(t.runs for t in tallies.values())
    print(f"{total:,} runs in {elapsed:.0f} s: no traceback, no hang, every error one line")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
