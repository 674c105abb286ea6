"""How long `convcalc model` takes on a large spec file.

    python benchmarks/spec_size.py [--layers 20000]

Writes a network of N layers (standard, separable and lite blocks, and residual
blocks with a shared gate, so every kind of node is there) as TOML and as JSON,
and times `convcalc model` on each with -q, --format json and the table view.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONVCALC = shutil.which("convcalc", path=os.path.dirname(sys.executable)) or "convcalc"


def spec(layers: int) -> dict[str, object]:
    body: list[dict[str, object]] = [{"type": "standard", "cout": 32, "stride": 2}]
    kinds = ["separable", "lite", "standard"]
    while len(body) < layers:
        if len(body) % 10 == 0:
            body.append(
                {
                    "type": "residual",
                    "layers": [
                        {
                            "type": "parallel",
                            "shared": {"gate": {"type": "gate", "reduction": 4}},
                            "streams": [
                                [{"type": "lite", "cout": 32}, {"use": "gate"}],
                                [{"type": "lite", "cout": 32, "repeat": 2}, {"use": "gate"}],
                            ],
                        }
                    ],
                }
            )
        else:
            body.append({"type": kinds[len(body) % 3], "cout": 32})
    body.append({"type": "pool", "kind": "avg", "global": True})
    body.append({"type": "linear", "cout": 10})
    return {"name": "large", "input": [3, 64, 64], "defaults": {"bn": True}, "layers": body}


def toml_value(value: object) -> str:
    """A value written as TOML: tables inline, strings quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)
    return str(value)


def toml(data: dict[str, object]) -> str:
    """The spec as TOML, one [[layers]] table per layer, nested parts inline."""
    out = [f"name = {toml_value(data['name'])}", f"input = {toml_value(data['input'])}"]
    out += ["", "[defaults]", "bn = true"]
    layers = data["layers"]
    assert isinstance(layers, list)
    for layer in layers:
        out.append("\n[[layers]]")
        out.extend(f"{key} = {toml_value(value)}" for key, value in layer.items())
    return "\n".join(out) + "\n"


def timed(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([CONVCALC, *args], stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layers", type=int, default=20_000)
    args = parser.parse_args()
    data = spec(args.layers)
    with tempfile.TemporaryDirectory() as tmp:
        files = {"json": Path(tmp) / "large.json", "toml": Path(tmp) / "large.toml"}
        files["json"].write_text(json.dumps(data, indent=1))
        files["toml"].write_text(toml(data))
        for kind, path in files.items():
            size = path.stat().st_size / 2**20
            for label, extra in (("-q", ["-q"]), ("json", ["--format", "json"]), ("table", [])):
                seconds = timed(["model", str(path), *extra])
                print(f"{args.layers:,} layers, {kind} {size:.1f} MiB, {label:<5}: {seconds:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
