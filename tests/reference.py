"""The PyTorch-recorded reference cases (tests/data/torch_conv_cases.json), as convcalc
layers. Shared by the tests and benchmarks/profilers.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from convcalc.model.core import Conv

DATA = Path(__file__).parent / "data"
TORCH: dict[str, Any] = json.loads((DATA / "torch_conv_cases.json").read_text())
CASES: list[dict[str, Any]] = TORCH["cases"]


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
