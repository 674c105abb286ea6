"""Fuzz the whole CLI with a large budget and report what was tried.

    python benchmarks/fuzz.py [--examples 5000]

The same properties as tests/test_fuzz.py (every run exits 0, 1 or 2, prints no
traceback, and reports an error in one line on stderr) over random command lines,
random batch input and random spec files. Exits 1 at the first failure, printing
the smallest failing input hypothesis found.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fuzzing import (  # noqa: E402
    Tally,
    batch_lines,
    check,
    check_spec,
    command_lines,
    specs,
    structured_lines,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=5000, help="inputs per kind")
    args = parser.parse_args()
    budget = settings(
        max_examples=args.examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    tallies = {
        "command lines": Tally(),
        "well-formed": Tally(),
        "batch inputs": Tally(),
        "spec files": Tally(),
    }

    @budget
    @given(command_lines)
    def commands(line: tuple[str, list[str]]) -> None:
        check([line[0], *line[1]], tally=tallies["command lines"])

    @budget
    @given(structured_lines)
    def well_formed(line: tuple[str, list[str]]) -> None:
        check([line[0], *line[1]], tally=tallies["well-formed"])

    @budget
    @given(batch_lines)
    def batches(lines: list[str]) -> None:
        check(["batch"], stdin="\n".join(lines) + "\n", tally=tallies["batch inputs"])

    @budget
    @given(specs)
    def spec_files(spec: dict[str, Any]) -> None:
        check_spec(spec, tally=tallies["spec files"])

    start = time.perf_counter()
    for run in (commands, well_formed, batches, spec_files):
        run()
    elapsed = time.perf_counter() - start
    total = sum(t.runs for t in tallies.values())
    for name, tally in tallies.items():
        exits = ", ".join(f"exit {code}: {n}" for code, n in sorted(tally.exits.items()))
        print(f"{name:<14} {tally.runs:>7,} runs ({exits})")
    print(f"{total:,} inputs in {elapsed:.0f} s: no traceback, every error one line")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
