"""Pool padding follows PyTorch's check, which compares the padding with the kernel as
written, not with the dilated window: ``nn.MaxPool2d(3, 1, padding=2, dilation=2)``
raises "pad should be smaller than or equal to half of kernel size" in PyTorch 2.13
(and MaxPool1d/3d the same), though the dilated window spans 5."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import run

from convcalc.model.errors import ConvCalcError
from convcalc.model.network import trace
from convcalc.model.spec import build


def pool(**keys: Any) -> dict[str, Any]:
    return {"input": [2, 9, 9], "layers": [{"type": "pool", "kind": "max", **keys}]}


def test_padding_over_half_the_written_kernel_is_refused_even_when_dilated() -> None:
    with pytest.raises(ConvCalcError, match="padding 2 must be at most half the kernel 3"):
        trace(build(pool(kernel=3, stride=1, padding=2, dilation=2), "t.toml"))
    result = run("model", "-", stdin=json.dumps(pool(kernel=3, stride=1, padding=2, dilation=2)))
    assert result.exit_code == 2
    assert "<stdin>: layers[0]" in result.stderr and len(result.stderr.splitlines()) == 1


def test_padding_of_half_the_written_kernel_is_allowed() -> None:
    # k4 d2 p2: window 2·3 + 1 = 7; (9 + 4 − 7)//1 + 1 = 7. k3 d2 p1: (9 + 2 − 5) + 1 = 7.
    assert trace(build(pool(kernel=4, stride=1, padding=2, dilation=2), "t")).output_shape == (
        2,
        7,
        7,
    )
    assert trace(build(pool(kernel=3, stride=1, padding=1, dilation=2), "t")).output_shape == (
        2,
        7,
        7,
    )
