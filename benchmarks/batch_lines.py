"""What one all-different batch line costs, inside the process, against its floor.

    python benchmarks/batch_lines.py [--lines 30000] [--instructions]

``startup.py`` times whole ``convcalc batch`` runs; this times ``run()`` alone over the
same kind of lines (a random variant, cin and cout from 1 to 1,024, a kernel of 1, 3,
5 or 7, an input size on half), in CPU time per line, best of five, beside the floor:
parse each line and write its result, prebuilt (convcalc's own, the same bytes). With
``--instructions``, each is also counted by valgrind's callgrind as the difference
between 3,000 lines and 1,000, which does not move from run to run (valgrind's own
``memcpy`` inflates the floor's encoding, so that ratio reads low).
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import pickle
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from startup import unique_lines  # noqa: E402

from convcalc.views.batch import run  # noqa: E402


def per_line(work: Callable[[], object], lines: int, repeats: int = 5) -> float:
    """Microseconds of CPU a line, the best of ``repeats`` runs."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        work()
        best = min(best, time.process_time() - start)
    return best / lines * 1e6


def loop(data: bytes) -> Callable[[], object]:
    """convcalc's loop over the lines in ``data``."""

    def ours() -> None:
        for _ in run(io.BytesIO(data), "json", "json"):
            pass

    return ours


def floor_loop(data: bytes, results: list[object]) -> Callable[[], object]:
    """The floor's loop: each line parsed, its prebuilt result written."""

    def floor() -> None:
        out = io.StringIO()
        text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
        for line, result in zip(text, results, strict=True):
            json.loads(line)
            out.write(json.dumps(result, ensure_ascii=False) + "\n")

    return floor


def lines_data(count: int) -> bytes:
    return ("\n".join(unique_lines(count)) + "\n").encode()


def results_of(data: bytes) -> list[object]:
    return [json.loads(outcome.text) for outcome in run(io.BytesIO(data), "json", "json")]


def instructions(which: str, count: int, results: Path) -> int:
    """Instructions callgrind counts for this script doing ``which`` on ``count`` lines."""
    command = [sys.executable, __file__, "--once", which, "--lines", str(count)]
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            *command,
            "--results",
            str(results),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(text for text in done.stderr.splitlines() if "Collected" in text)
    return int(line.split()[-1])


def per_line_instructions(which: str, results: Path) -> float:
    """A line's instructions: 3,000 lines less 1,000, over 2,000."""
    return (instructions(which, 3000, results) - instructions(which, 1000, results)) / 2000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=30_000)
    parser.add_argument("--instructions", action="store_true", help="count with callgrind")
    parser.add_argument("--once", choices=["ours", "floor", "load", "data"], help=argparse.SUPPRESS)
    parser.add_argument("--results", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    gc.set_threshold(100_000, 50, 100)  # as the convcalc program sets it
    data = lines_data(args.lines)
    if args.once:
        # Under callgrind: the floor's prebuilt results are loaded, never computed;
        # making the lines ("data") and loading the results ("load") are counted apart.
        if args.once == "ours":
            loop(data)()
        elif args.once != "data":
            with args.results.open("rb") as kept:
                results = pickle.load(kept)[: args.lines]
            if args.once == "floor":
                floor_loop(data, results)()
        return
    results = results_of(data)
    a = per_line(loop(data), args.lines)
    b = per_line(floor_loop(data, results), args.lines)
    print(f"CPU a line, {args.lines:,} lines: convcalc {a:.1f} us, floor {b:.1f} us: {a / b:.2f}x")
    if args.instructions:
        with tempfile.TemporaryDirectory() as tmp:
            kept = Path(tmp) / "results.pickle"
            kept.write_bytes(pickle.dumps(results_of(lines_data(3000))))
            ours = per_line_instructions("ours", kept) - per_line_instructions("data", kept)
            floor = per_line_instructions("floor", kept) - per_line_instructions("load", kept)
        print(
            f"instructions a line: convcalc {ours / 1000:.0f} k, floor {floor / 1000:.0f} k: "
            f"{ours / floor:.2f}x"
        )


if __name__ == "__main__":
    main()
