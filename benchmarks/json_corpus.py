"""Write the JSON (and CSV) of a wide corpus of commands into a folder, to diff two trees.

    python benchmarks/json_corpus.py OUT_DIR
    diff -r before/ after/

A redesign must leave every command's machine output unchanged, except where it
unifies a vocabulary on purpose (the README's changelog lists each such change).
Each file holds one command's stdout, its stderr and its exit code, so a change in
an error message or a status shows as well as a change in a figure.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "benchmarks" / "corpus"

VARIANTS = ["standard", "depthwise", "pointwise", "separable", "lite", "mobilenet", "osnet"]
PRESETS = ["mobilenet_v1", "osnet_x1_0", "osnet_x0_25"]


def commands() -> list[list[str]]:
    """Every command, every variant, 1D/3D, transposed, --as, --training, --reported-by."""
    found: list[list[str]] = []
    for variant in VARIANTS:
        base = [variant, "--cin", "32", "--cout", "64"]
        if variant == "depthwise":
            base = [variant, "--cin", "32", "-m", "2"]
        found += [
            base,
            [*base, "--input", "56"],
            [*base, "--input", "57x43", "-k", "3x5", "-s", "2", "--no-bias", "--bn"],
            [*base, "--input", "100", "--dims", "1", "-k", "5"],
            [*base, "--input", "8x16x16", "-k", "3x3x3"],
            [*base, "--input", "28", "--reported-by", "all"],
            [*base, "--input", "28", "--training", "--optimizer", "adam"],
            [*base, "--input", "28", "--training", "--frozen", "--dtype", "fp16"],
            [*base, "--input", "28", "--convention", "flops+bias", "--batch", "8"],
            [*base, "--input", "28", "--bn", "--fold-bn"],
            [*base, "--input", "28", "--bn", "--framework", "keras"],
            [*base, "--input", "3", "-k", "7", "-p", "0"],
            [*base, "-p", "same", "--input", "9", "-d", "2"],
        ]
    found += [
        "standard --cin 16 --cout 8 -k 4 -s 2 --transposed --input 8 --output-padding 1".split(),
        "standard --cin 4 --cout 4 -k 7 -p 0 --transposed --input 1 --reported-by all".split(),
        ["standard", "--cin", "32", "--cout", "64", "-g", "4", "--input", "14"],
        ["pointwise", "--cin", "32", "--cout", "64", "-g", "4", "-s", "2", "--input", "14"],
        ["compare", "--cin", "64", "--cout", "128", "-k", "3"],
        ["compare", "--cin", "64", "--cout", "128,64", "-k", "3"],
        ["compare", "--cin", "64", "--cout", "128", "-k", "3", "--input", "56", "--all"],
        "compare --cin 16,32 --cout 64 -k 5 --input 28 --bn --no-bias --convention flops".split(),
        "compare --cin 64 --cout 128 --input 56 --fold-bn --bn --framework keras".split(),
        ["sweep", "--cin", "64", "--cout", "32:512:x2", "-k", "3"],
        ["sweep", "--cin", "16,32", "--cout", "64:256:64", "-k", "3,5", "--input", "28"],
        "sweep --cin 8 --cout 8 --variants lite,mobilenet --input 7 --convention flops".split(),
        ["fit", "separable", "--cin", "64", "-k", "3", "--input", "56", "--max-macs", "10M"],
        ["fit", "--cin", "64", "-k", "3", "--max-params", "50k"],
        ["fit", "standard", "--cin", "64", "-g", "4", "--max-params", "50k"],
        ["fit", "--model", "mobilenet_v1", "--max-macs", "300M"],
        ["fit", "--model", "osnet_x1_0", "--max-params", "1M", "--convention", "flops"],
        ["model", "--list"],
    ]
    for preset in PRESETS:
        found += [
            ["model", preset],
            ["model", preset, "--as", "standard"],
            ["model", preset, "--as", "lite", "--training"],
            ["model", preset, "--training", "--optimizer", "momentum", "--batch", "4"],
            ["model", preset, "--convention", "flops", "--dtype", "int8"],
        ]
    found += [
        ["model", "mobilenet_v1", "--width", "0.5", "--resolution", "160"],
        ["model", "mobilenet_v1", "--as", "osnet"],
        ["model", str(ROOT / "examples" / "tiny_resnet.toml")],
        ["model", str(ROOT / "examples" / "tiny_resnet.toml"), "--as", "separable"],
        ["model", str(SPECS / "everything.json")],
        ["model", str(SPECS / "everything.json"), "--as", "standard"],
    ]
    return found


def batch_input() -> str:
    lines = [
        {"variant": "standard", "cin": 64, "cout": 128, "input": 56},
        {"variant": "lite", "cin": 64, "cout": 128, "kernel": 5, "bn": True, "bias": False},
        {"variant": "depthwise", "cin": 32, "multiplier": 2, "input": [28, 14]},
        {"variant": "pointwise", "cin": 32, "cout": 64, "groups": 4, "stride": 2, "input": 9},
        {"variant": "separable", "cin": 8, "cout": 8, "k": "3x3x3", "input": "4x8x8"},
        {
            "variant": "standard",
            "cin": 16,
            "cout": 8,
            "k": 4,
            "stride": 2,
            "transposed": True,
            "output_padding": 1,
            "padding": 1,
            "input": 8,
            "reported_by": ["thop", "fvcore"],
        },
        {
            "variant": "mobilenet",
            "cin": 64,
            "cout": 64,
            "input": 14,
            "training": True,
            "optimizer": "adam",
            "dtype": "fp16",
            "batch": 2,
        },
        {"variant": "osnet", "cin": 64, "cout": 64, "input": 14, "fold_bn": True, "bn": True},
        {
            "variant": "standard",
            "cin": 64,
            "cout": 64,
            "input": 14,
            "framework": "keras",
            "bn": True,
            "convention": "flops+bias",
        },
        {"variant": "standard", "cin": 6, "cout": 8, "groups": 4},
        {"variant": "nope", "cin": 1},
    ]
    return "".join(json.dumps(line) + "\n" for line in lines)


def run(args: list[str], stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "convcalc", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "COLUMNS": "200"},
        timeout=120,
    )
    return (
        f"$ convcalc {' '.join(args)}\nexit {done.returncode}\n"
        f"--- stderr\n{done.stderr}--- stdout\n{done.stdout}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to write (created)")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    jobs: list[tuple[list[str], str | None]] = []
    for args in commands():
        jobs.append(([*args, "--format", "json"], None))
        if args[0] not in ("fit",) and "--list" not in args:
            jobs.append(([*args, "--format", "csv"], None))
    jobs += [
        (["batch"], batch_input()),
        (["batch", "--format", "csv"], batch_input()),
    ]
    for args, stdin in jobs:
        name = hashlib.sha1(" ".join(args).encode()).hexdigest()[:12]
        (out / f"{args[0]}-{name}.txt").write_text(run(args, stdin))
    print(f"{len(jobs)} outputs written to {out}")


if __name__ == "__main__":
    main()
