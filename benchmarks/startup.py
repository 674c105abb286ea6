"""Start-up and batch speed, measured side by side in one run, as ratios.

    python benchmarks/startup.py [--runs 40] [--lines 100000]

Each command is run ``--runs`` times, interleaved with its baseline so that both
see the same machine, and the medians are compared:

- ``convcalc compare`` against a floor script that imports Click and prints one
  small Rich table (target: at most 1.15×);
- ``convcalc standard ... --format json`` and ``-q`` against
  ``python -c "import click, json"`` (target: at most 1.15×);
- ``convcalc batch`` on N lines against a fair floor: a loop that parses each input
  line and writes that line's result, prebuilt (convcalc's own, the same bytes), with
  the standard library's json, timing its loop alone; convcalc's time is its whole run,
  start-up included (target: at most 3× for lines that repeat the way the layers of real networks
  do, 2.5× for lines that are all different, as issue #11 sets it);
- the same figure from PyTorch, by building the layer, if torch is installed.

Where valgrind is installed, each start-up row also gets instruction counts, which
unlike wall time are the same on every run, and they decide its verdict; the share
of them spent creating convcalc's frozen dataclasses (Python compiles each one's
generated methods at import); and, for reference, what a bare four-option Click
command costs.

It needs the ``convcalc`` command installed beside this interpreter.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import os
import pickle
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

PYTHON = sys.executable
CONVCALC = shutil.which("convcalc", path=os.path.dirname(PYTHON)) or "convcalc"

STARTUP_TARGET = 1.15

FLOOR_TABLE = """
import click
from rich.console import Console
from rich.table import Table
table = Table(title="floor")
table.add_column("Variant")
table.add_column("Params", justify="right")
table.add_row("Standard", "73,856")
Console().print(table)
"""

BARE_LOOP = """
import json, pickle, sys, time
with open(sys.argv[2], "rb") as kept:
    results = pickle.load(kept)
start = time.perf_counter()
out = sys.stdout
lines = iter(results)
for line in open(sys.argv[1], encoding="utf-8"):
    json.loads(line)
    out.write(json.dumps(next(lines), ensure_ascii=False) + "\\n")
out.flush()
print(time.perf_counter() - start, file=sys.stderr)
"""
"""The floor: parse each line and write its result, prebuilt (convcalc's own for that
line, so the same bytes), with nothing computed. Loading the prebuilt results takes
longer than the loop, so the script times its loop alone and prints that on stderr."""

# The least a Click command can do: four options parsed, one product printed.
CLICK_COMMAND = """
import click, json

@click.command()
@click.option("--cin", type=int)
@click.option("--cout", type=int)
@click.option("-k", "--kernel", type=int)
@click.option("-q", "--quiet", is_flag=True)
def standard(cin, cout, kernel, quiet):
    click.echo((cin * kernel * kernel + 1) * cout)

standard()
"""

LOADED = """
import sys
from convcalc.cli import cli
cli.main(sys.argv[1:], standalone_mode=False)
names = sorted(name for name in sys.modules if name.startswith("convcalc."))
sys.stderr.write("\\nloaded: " + " ".join(names) + "\\n")
"""

# Imports the given modules with the real dataclasses module ("on") or with a
# stand-in ("off") whose records get one shared __init__ and no generated methods:
# the difference is what creating the frozen dataclasses costs, importing the
# dataclasses module included.
DATACLASSES = """
import importlib, sys, types

def dataclass(cls=None, **options):
    def plain(c):
        names = list(vars(c).get("__annotations__", {}))
        def __init__(self, *args, **kwargs):
            values = {**dict(zip(names, args)), **kwargs}
            for name in names:
                object.__setattr__(self, name, values.get(name, getattr(c, name, None)))
        c.__init__ = __init__
        return c
    return plain(cls) if cls else plain

if sys.argv[1] == "off":
    stand_in = types.ModuleType("dataclasses")
    stand_in.dataclass = dataclass
    stand_in.field = lambda **kw: kw.get("default")
    stand_in.replace = stand_in.asdict = None
    sys.modules["dataclasses"] = stand_in
modules = [importlib.import_module(name) for name in sys.argv[2:]]
classes = {
    value
    for module in modules
    for value in vars(module).values()
    if isinstance(value, type) and "__dataclass_fields__" in vars(value)
}
sys.stderr.write(f"\\nclasses: {len(classes)}\\n")
"""

TORCH = """
import torch
layer = torch.nn.Conv2d(64, 128, 3)
print(sum(p.numel() for p in layer.parameters()))
"""


def timed(command: Sequence[str], stdout: int | None = subprocess.DEVNULL) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=stdout, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def side_by_side(a: Sequence[str], b: Sequence[str], runs: int) -> tuple[float, float]:
    """Medians of a and b, run alternately after one warm-up each."""
    timed(a), timed(b)
    times_a, times_b = [], []
    for _ in range(runs):
        times_a.append(timed(a))
        times_b.append(timed(b))
    return statistics.median(times_a), statistics.median(times_b)


def instructions(command: Sequence[str]) -> int | None:
    """Instructions the command executes, counted by valgrind's callgrind: unlike wall
    time, the same on every run, whatever else the machine is doing."""
    if shutil.which("valgrind") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/out", *command],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=True,
        )
    for line in done.stderr.splitlines():
        if "Collected :" in line:
            return int(line.rsplit(":", 1)[1])
    return None


def report_instructions(
    name: str, ours: Sequence[str], floor: Sequence[str], target: float | None = None
) -> float | None:
    """Print the instruction counts of ours and the floor; their ratio, or None
    without valgrind."""
    a, b = instructions(ours), instructions(floor)
    if a is None or b is None:
        return None
    verdict = "" if target is None else f"  {_verdict(a / b, target)}"
    print(f"{name:<44} {a / 1e6:8.1f} M  vs {b / 1e6:8.1f} M   {a / b:5.2f}x{verdict}")
    return a / b


def startup(name: str, ours: Sequence[str], floor: Sequence[str], runs: int) -> bool:
    """One start-up row: wall medians, then instruction counts, which decide the
    verdict where valgrind is installed (wall medians on a shared machine move by
    more than the margins at stake), then the dataclasses' share."""
    wall_ours, wall_floor = side_by_side(ours, floor, runs)
    print(
        f"{name:<44} {wall_ours * 1000:8.1f} ms vs {wall_floor * 1000:8.1f} ms  "
        f"{wall_ours / wall_floor:5.2f}x"
    )
    counted = report_instructions("  instructions", ours, floor, STARTUP_TARGET)
    ratio = wall_ours / wall_floor if counted is None else counted
    if counted is None:
        print(f"{'':<44} {_verdict(ratio, STARTUP_TARGET)}")
    report_dataclasses(ours[1:], floor, STARTUP_TARGET)
    return ratio <= STARTUP_TARGET


def _verdict(ratio: float, target: float) -> str:
    return f"(target <= {target}x: {'meets' if ratio <= target else 'MISSES'})"


def _tail(command: Sequence[str], prefix: str) -> str:
    done = subprocess.run(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True
    )
    return done.stderr.rsplit(prefix, 1)[1].strip()


def report_dataclasses(args: Sequence[str], floor: Sequence[str], target: float) -> None:
    """How much of the floor creating convcalc's frozen dataclasses costs on this
    path by itself, beside what the target allows on top of the floor."""
    modules = _tail([PYTHON, "-c", LOADED, *args], "loaded:").split()
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "dataclasses_cost.py"
        script.write_text(DATACLASSES)
        on = instructions([PYTHON, str(script), "on", *modules])
        off = instructions([PYTHON, str(script), "off", *modules])
        base = instructions(floor)
        count = _tail([PYTHON, str(script), "on", *modules], "classes:")
    if on is None or off is None or base is None:
        return
    print(
        f"{f'  of which {count} frozen dataclasses':<44} {(on - off) / 1e6:8.1f} M  "
        f"= {(on - off) / base:.1%} of the floor (the target allows {target - 1:.0%} in all)"
    )


def report(name: str, ours: float, floor: float, target: float) -> bool:
    ratio = ours / floor
    print(
        f"{name:<44} {ours * 1000:8.1f} ms vs {floor * 1000:8.1f} ms  "
        f"{ratio:5.2f}x  {_verdict(ratio, target)}"
    )
    return ratio <= target


def network_lines(count: int, seed: int = 0) -> list[str]:
    """Layer configs as a model zoo would give them: a few networks' layers, at a few
    input sizes, many repeated (MobileNet repeats its 512-channel block five times)."""
    rng = random.Random(seed)
    configs = []
    widths = [16, 24, 32, 48, 64, 96, 128, 160, 192, 256, 320, 384, 512, 768, 1024]
    for variant in ("standard", "separable", "lite", "depthwise", "pointwise"):
        for cin in widths:
            for cout in (cin, 2 * cin):
                for size in (7, 14, 28, 56, 112):
                    record = {"variant": variant, "cin": cin, "cout": cout, "input": size}
                    if variant == "depthwise":
                        del record["cout"]
                    if variant not in ("pointwise",):
                        record["kernel"] = 3
                    configs.append(json.dumps(record))
    return [rng.choice(configs) for _ in range(count)]


def unique_lines(count: int, seed: int = 1) -> list[str]:
    """Layer configs that are all different, as issue #11 draws them: a random variant,
    cin and cout from 1 to 1024, a kernel of 1, 3, 5 or 7, an input size on half."""
    rng = random.Random(seed)
    lines, seen = [], set()
    variants = ("standard", "separable", "lite", "depthwise", "pointwise")
    while len(lines) < count:
        record: dict[str, object] = {
            "variant": rng.choice(variants),
            "cin": rng.randint(1, 1024),
            "cout": rng.randint(1, 1024),
            "kernel": rng.choice([1, 3, 5, 7]),
        }
        if rng.random() < 0.5:
            record["input"] = rng.randint(7, 224)
        if record["variant"] == "pointwise":
            del record["kernel"]
        if record["variant"] == "depthwise":
            del record["cout"]
        text = json.dumps(record)
        if text not in seen:
            seen.add(text)
            lines.append(text)
    return lines


def floor_loop(command: Sequence[str]) -> float:
    """The seconds the floor's loop takes, as it times itself."""
    done = subprocess.run(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=True,
    )
    return float(done.stderr.strip().splitlines()[-1])


def batch(name: str, lines: list[str], workdir: Path, runs: int, target: float) -> bool:
    path = workdir / f"{name}.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    script = workdir / "bare.py"
    script.write_text(BARE_LOOP)
    # The floor's prebuilt results: convcalc's own, one a line, the same bytes.
    ours_command = [CONVCALC, "batch", str(path)]
    done = subprocess.run(ours_command, capture_output=True, text=True, check=True)
    results = [json.loads(line) for line in done.stdout.splitlines()]
    each = workdir / f"{name}.pickle"
    each.write_bytes(pickle.dumps(results))
    # Issue #11's floor, for comparison with the figures before: every line writes the
    # result of the first line with an input, larger than the average one.
    first = next(result for result in results if result["input_shape"] is not None)
    one = workdir / f"{name}-one.pickle"
    one.write_bytes(pickle.dumps([first] * len(results)))
    floors = {
        "same bytes": [PYTHON, str(script), str(path), str(each)],
        "issue #11's": [PYTHON, str(script), str(path), str(one)],
    }
    timed(ours_command)
    times: dict[str, list[float]] = {"ours": [], **{floor: [] for floor in floors}}
    for _ in range(runs):
        times["ours"].append(timed(ours_command))
        for floor, command in floors.items():
            times[floor].append(floor_loop(command))
    ours, bare, old = (statistics.median(t) for t in times.values())
    ok = report(f"batch, {len(lines):,} {name} lines", ours, bare, target)
    print(
        f"{'':<44} {len(lines) / ours:,.0f} lines/s (floor {len(lines) / bare:,.0f}); "
        f"against issue #11's floor (one larger result for every line): {ours / old:.2f}x"
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=40, help="runs per command (medians)")
    parser.add_argument("--lines", type=int, default=100_000, help="lines for batch")
    parser.add_argument("--batch-runs", type=int, default=5, help="runs per batch command")
    args = parser.parse_args()
    print(f"{sys.version.split()[0]} on {os.cpu_count()} cores; medians of {args.runs} runs")
    # pip byte-compiles a package it installs; an editable install under
    # PYTHONDONTWRITEBYTECODE would compile convcalc's sources on every start.
    package = importlib.util.find_spec("convcalc")
    if package and package.submodule_search_locations:
        compileall.compile_dir(list(package.submodule_search_locations)[0], quiet=1)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        floor = workdir / "floor.py"
        floor.write_text(FLOOR_TABLE)
        compare = [CONVCALC, "compare", "--cin", "64", "--cout", "128", "-k", "3"]
        results.append(
            startup("compare --cin 64 --cout 128 -k 3", compare, [PYTHON, str(floor)], args.runs)
        )
        bare_import = [PYTHON, "-c", "import click, json"]
        for flag in (["--format", "json"], ["-q"]):
            standard = [CONVCALC, "standard", "--cin", "64", "--cout", "128", "-k", "3", *flag]
            results.append(
                startup(f"standard ... {' '.join(flag)}", standard, bare_import, args.runs)
            )
        command = workdir / "click_command.py"
        command.write_text(CLICK_COMMAND)
        report_instructions(
            "a 4-option Click command, for reference",
            [PYTHON, str(command), "--cin", "64", "--cout", "128", "-k", "3", "-q"],
            bare_import,
        )
        network = network_lines(args.lines)
        results.append(batch("network", network, workdir, args.batch_runs, 3.0))
        unique = unique_lines(args.lines)
        results.append(batch("all-different", unique, workdir, args.batch_runs, 2.5))
        try:
            import torch  # noqa: F401
        except ImportError:
            pass
        else:
            ours, theirs = side_by_side(
                [CONVCALC, "standard", "--cin", "64", "--cout", "128", "-k", "3", "-q"],
                [PYTHON, "-c", TORCH],
                max(5, args.runs // 4),
            )
            print(
                f"{'same figure from PyTorch (build the layer)':<44} "
                f"{theirs * 1000:8.1f} ms, convcalc {ours * 1000:.1f} ms: {theirs / ours:.0f}x"
            )
    print(f"{sum(results)} of {len(results)} targets met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
