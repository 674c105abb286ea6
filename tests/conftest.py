"""What the tests share: the CLI runner, the JSON loader, and PyTorch's recorded cases
(tests/data/torch_conv_cases.json) as convcalc layers.

Test modules import these by name (``from conftest import run, as_json``);
benchmarks/profilers.py reads the recorded cases from here too.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from convcalc.cli import cli
from convcalc.model.core import Conv

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
TORCH: dict[str, Any] = json.loads((DATA / "torch_conv_cases.json").read_text())
CASES: list[dict[str, Any]] = TORCH["cases"]


def run(*args: str, stdin: str | bytes | None = None, env: dict[str, str] | None = None) -> Result:
    """convcalc run in-process, as Click's test runner runs it."""
    return CliRunner().invoke(cli, list(args), input=stdin, env=env)


def ok(*args: str, stdin: str | bytes | None = None) -> Result:
    """A run that must succeed, with nothing on stderr."""
    result = run(*args, stdin=stdin)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    return result


def as_json(*args: str) -> dict[str, Any]:
    """A successful run's ``--format json`` output, parsed."""
    data: dict[str, Any] = json.loads(ok(*args, "--format", "json").stdout)
    return data


def jsonl(*records: object) -> str:
    """Records as JSON Lines, for batch input."""
    return "".join(json.dumps(record) + "\n" for record in records)


def torch_conv(case: dict[str, Any]) -> tuple[Conv, tuple[int, ...], int]:
    """A recorded case as (layer, channels-first input shape of one sample, batch)."""
    padding = case["padding"]
    conv = Conv(
        cin=case["cin"],
        cout=case["cout"],
        kernel=tuple(case["kernel"]),
        groups=case["groups"],
        bias=case["bias"],
        stride=tuple(case["stride"]),
        padding=padding if isinstance(padding, str) else tuple(padding),
        dilation=tuple(case["dilation"]),
        transposed=case["op"].startswith("ConvTranspose"),
        output_padding=tuple(case.get("output_padding", [0] * len(case["kernel"]))),
    )
    batch, *shape = case["input_shape"]
    return conv, tuple(shape), batch


def read_pty(master: int) -> bytes:
    """Everything written to a pseudo-terminal until its other end closes."""
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the other end has closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)
