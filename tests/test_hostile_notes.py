"""--reported-by notes, attacked (issue #10): a note must account for every difference
between the tool's figure and convcalc's beside it, and claim none where there is none.

A note is a list of parts separated by "; ". A part that states a difference starts with
its sign and amount ("+ 401,408 bias additions ...", "− 64 parameters: ..."); the
amounts of the compute parts must add up to the tool's compute figure minus convcalc's
MACs, those of the parameter parts to the tool's parameter count minus convcalc's.
The tools' figures are checked here against the tools' rules restated from their
sources, written out independently of convcalc's code."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from math import prod

import pytest
from conftest import ROOT
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from convcalc.model.conventions import fold_bn, keras_block
from convcalc.model.core import BatchNorm, Block, Conv, ConvCalcError, make_block
from convcalc.model.cost import measure
from convcalc.model.profilers import TOOLS, reported_by

PART = re.compile(r"([+−]) ([0-9,]+) (parameters\b)?")


def convcalc_json(*args: str) -> dict:
    """The installed command's JSON output; each argument is split at spaces."""
    words = [word for arg in args for word in arg.split()]
    result = subprocess.run(
        [sys.executable, "-m", "convcalc", *words, "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def stated(note: str) -> tuple[int, int, int]:
    """(compute difference, parameter difference, parts stating one) read from a note."""
    compute = params = count = 0
    for part in note.split("; "):
        match = PART.match(part)
        if match is None:
            continue
        amount = int(match[2].replace(",", "")) * (1 if match[1] == "+" else -1)
        count += 1
        if match[3]:
            params += amount
        else:
            compute += amount
    return compute, params, count


def check_note(note: str, compute_gap: int, params_gap: int) -> None:
    compute, params, count = stated(note)
    assert (compute, params) == (compute_gap, params_gap), note
    if compute_gap == params_gap == 0 and count:
        assert "cancel" in note, note  # equal totals from terms that offset each other
    assert "as convcalc counts them" not in note or (compute_gap, params_gap) == (0, 0)


# --- the issue's reproduction, worked by hand ------------------------------------------

# ConvTranspose2d(4, 4, 7, padding=0) on 1×1: the output is 7×7.
# True MACs (input side): cin × 1 × 1 × cout × 7 × 7 = 4 × 4 × 49 = 784.
# Over the output: cout × 7 × 7 × cin × 7 × 7 = 4 × 49 × 4 × 49 = 38,416 = 784 × 49.
# Bias additions: cout × 7 × 7 = 196.
ISSUE = ["standard", "--transposed", "--cin", "4", "--cout", "4", "-k", "7", "-p", "0"]


def test_thop_note_on_an_unstrided_transposed_layer_explains_its_figure() -> None:
    data = convcalc_json(*ISSUE, "--input", "1", "--reported-by", "all")
    assert data["macs"] == 784
    thop = data["reported_by"]["thop"]
    assert thop["compute"] == 38_416
    assert "as convcalc counts them" not in thop["note"]
    assert thop["note"].startswith("+ 37,632 ")  # 38,416 − 784 = 784 × 48
    assert "× 49" in thop["note"]  # 7×7 output elements per 1×1 input element
    assert thop["terms"] == [
        {"figure": "compute", "amount": 37_632, "reason": thop["terms"][0]["reason"]}
    ]
    torchinfo = data["reported_by"]["torchinfo"]
    assert torchinfo["compute"] == 38_416 + 196
    assert stated(torchinfo["note"])[0] == 37_632 + 196
    # torchscan: 2 × 38,416 − 196 (one addition fewer than products per output)
    # + 196 (bias) + 8 × 2 (its constant per dimension of a transposed layer) = 76,848.
    torchscan = data["reported_by"]["torchscan"]
    assert torchscan["compute"] == 76_848
    assert stated(torchscan["note"])[0] == 76_848 - 784
    # calflops: 2 × 784, and a bias sized by the forward formula: (1 + 0 − 6 − 1) // 1 + 1
    # = −5 a side, so 4 × (−5) × (−5) = 100 bias additions: 1,668.
    calflops = data["reported_by"]["calflops"]
    assert calflops["compute"] == 1_668
    assert stated(calflops["note"])[0] == 1_668 - 784
    for report in data["reported_by"].values():
        if report["compute"] is not None:
            check_note(report["note"], report["compute"] - 784, report["params"] - 788)


def test_table_row_states_the_difference_beside_the_figure() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "convcalc", *ISSUE, "--input", "1", "--reported-by", "thop"]
        + ["--format", "markdown"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if line.startswith("| thop "))
    assert "38,416" in row and "+ 37,632" in row
    assert "as convcalc counts them" not in row


def test_a_transposed_layer_smaller_than_its_input_is_counted_short() -> None:
    """ConvTranspose2d(8, 8, 1, padding=1) on 4×4 gives a 2×2 output: counted over the
    output, 4 of 16 positions, so thop's 8 × 4 × 8 = 256 is 768 short of the true
    8 × 16 × 8 = 1,024; not "too many"."""
    data = convcalc_json(
        "standard --transposed --cin 8 --cout 8 -k 1 -p 1 --input 4 --reported-by thop"
    )
    assert data["macs"] == 1_024
    thop = data["reported_by"]["thop"]
    assert thop["compute"] == 256
    assert thop["note"].startswith("− 768 ")
    assert "too many" not in thop["note"]


def test_per_sample_tools_state_the_batch_they_leave_out() -> None:
    """Conv2d(64, 128, 3) on 56×56, batch 2: ptflops prints one sample with its bias,
    231,211,008 + 401,408 = 231,612,416, against convcalc's 2 × 231,211,008."""
    data = convcalc_json("standard --cin 64 --cout 128 --input 56 --batch 2 --reported-by ptflops")
    ptflops = data["reported_by"]["ptflops"]
    assert data["macs"] == 462_422_016 and ptflops["compute"] == 231_612_416
    assert stated(ptflops["note"])[0] == 231_612_416 - 462_422_016
    assert "+ 802,816 bias additions" in ptflops["note"]  # 2 × 128 × 56 × 56
    assert "− 231,612,416 " in ptflops["note"]  # the second sample, left out


def test_keras_note_names_only_the_differences_there_are() -> None:
    """Under --framework keras the block is already Keras' SeparableConv2D: the note
    must not claim the bias difference a second time. 3 × 3 × 64 + 64 × 128 + 128
    = 8,896 both ways."""
    data = convcalc_json("separable --cin 64 --cout 128 --framework keras --reported-by keras")
    keras = data["reported_by"]["keras"]
    assert keras["params"] == 8_896
    assert "one bias" not in keras["note"]
    check_note(keras["note"], 0, 0)
    plain = convcalc_json("separable --cin 64 --cout 128 --reported-by keras")
    # Two PyTorch layers: 8,896 + 64 depthwise biases = 8,960.
    assert plain["params"] == 8_960
    check_note(plain["reported_by"]["keras"]["note"], 0, 8_896 - 8_960)


def test_no_input_claims_no_compute_difference() -> None:
    data = convcalc_json("standard --cin 4 --cout 8 --bn --reported-by all")
    for name, report in data["reported_by"].items():
        assert report["compute"] is None
        compute, params, _ = stated(report["note"])
        assert compute == 0, name
        # Keras counts BatchNorm's moving mean and variance: 2 × 8 more.
        assert params == (16 if name == "keras" else 0), name


# --- the tools' rules, restated from their sources -------------------------------------


def out_size(conv: Conv, size: tuple[int, ...]) -> tuple[int, ...]:
    sizes = []
    for axis, n in enumerate(size):
        k, s, d = conv.kernel[axis], conv.stride[axis], conv.dilation[axis]
        if conv.padding == "same":
            sizes.append(n)
            continue
        p = 0 if conv.padding == "valid" else conv.padding[axis]  # type: ignore[index]
        if conv.transposed:
            sizes.append((n - 1) * s - 2 * p + d * (k - 1) + conv.output_padding[axis] + 1)
        else:
            sizes.append((n + 2 * p - d * (k - 1) - 1) // s + 1)
    return tuple(sizes)


def calflops_size(conv: Conv, size: tuple[int, ...]) -> tuple[int, ...]:
    """calflops' _conv_flops_compute: the forward formula, 'same' as (d·(k−1))//2."""
    sizes = []
    for axis, n in enumerate(size):
        k, s, d = conv.kernel[axis], conv.stride[axis], conv.dilation[axis]
        if conv.padding == "same":
            p = d * (k - 1) // 2
        else:
            p = 0 if conv.padding == "valid" else conv.padding[axis]  # type: ignore[index]
        sizes.append((n + 2 * p - d * (k - 1) - 1) // s + 1)
    return tuple(sizes)


def tool_figure(tool: str, block: Block, size: tuple[int, ...], batch: int) -> int:
    total = 0
    shape = (block.cin, *size)
    for layer in block.layers:
        if isinstance(layer, BatchNorm):
            c, elements = layer.channels, prod(shape)
            total += {
                "torchinfo": 2 * c,
                "ptflops": 2 * elements,
                "ptflops-aten": 0,
                "fvcore": 2 * elements,
                "thop": 4 * elements,
                "calflops": 2 * elements,
                "torchscan": 2 * c + 4 * elements,
                "flopcountermode": 0,
            }[tool]
            continue
        cin, cout, g, window = layer.cin, layer.cout, layer.groups, prod(layer.kernel)
        x, y = prod(shape[1:]), prod(out := out_size(layer, shape[1:]))
        if layer.transposed:
            macs = cin * x * (cout // g) * window
        else:
            macs = cout * y * (cin // g) * window
        over = cout * y * (cin // g) * window  # per output element
        bias = cout * y if layer.bias else 0
        if tool == "torchinfo":
            total += prod(layer.weight_shape) * y + bias
        elif tool in ("ptflops", "ptflops-aten"):
            total += macs + bias
        elif tool == "fvcore":
            total += 0 if isinstance(layer.padding, str) else macs
        elif tool == "thop":
            total += over
        elif tool == "calflops":
            if layer.transposed:
                per_group = cout // g
                cal_bias = per_group * prod(calflops_size(layer, shape[1:])) if layer.bias else 0
                total += 2 * window * cin * (per_group // g) * x + cal_bias
            else:
                positions = prod(calflops_size(layer, shape[1:]))
                total += 2 * window * cin * (cout // g) * positions
                total += cout * positions if layer.bias else 0
        elif tool == "torchscan":
            terms = window * (cin // g)
            total += cout * y * (2 * terms - 1 + int(layer.bias))
            total += 8 * len(layer.kernel) if layer.transposed else 0
        else:
            assert tool == "flopcountermode"
            total += 2 * macs
        shape = (cout, *out)
    return total if tool in ("ptflops", "torchscan") else batch * total


def keras_figure(block: Block) -> int:
    """Keras: BatchNorm has 4 × C weights; a SeparableConv2D (separable, no BatchNorm
    between its parts) keeps the pointwise bias only."""
    params = sum(4 * layer.channels for layer in block.layers if isinstance(layer, BatchNorm))
    for index, layer in enumerate(block.layers):
        if isinstance(layer, Conv):
            params += layer.params
            separable = block.variant == "separable" and not block.bn and block.bias
            if separable and index == 0 and layer.bias:
                params -= layer.cout
    return params


@st.composite
def layers(draw: st.DrawFn) -> tuple[Block, tuple[int, ...] | None, int]:
    variant = draw(st.sampled_from(["standard", "depthwise", "pointwise", "separable", "lite"]))
    dims = draw(st.integers(1, 3))
    sizes = st.integers(1, 4)
    cin = draw(st.integers(1, 6))
    options: dict = {"bias": draw(st.booleans()), "bn": draw(st.booleans()), "dims": dims}
    if variant != "depthwise":
        options["cout"] = draw(st.integers(1, 6))
    if variant in ("standard", "pointwise"):
        options["groups"] = draw(st.integers(1, 3))
    if variant in ("depthwise", "separable"):
        options["multiplier"] = draw(st.integers(1, 3))
    options["stride"] = tuple(draw(sizes) for _ in range(dims))
    if variant != "pointwise":
        options["k"] = tuple(draw(st.integers(1, 5)) for _ in range(dims))
        options["dilation"] = tuple(draw(st.integers(1, 3)) for _ in range(dims))
        options["padding"] = draw(
            st.one_of(
                st.none(),
                st.sampled_from(["same", "valid"]),
                st.tuples(*[st.integers(0, 3)] * dims),
            )
        )
    if variant == "standard" and draw(st.booleans()):
        options["transposed"] = True
        options["output_padding"] = tuple(draw(st.integers(0, 2)) for _ in range(dims))
    try:
        block = make_block(variant, cin=cin, **options)
        if draw(st.booleans()):
            block = fold_bn(block)
        if draw(st.booleans()):
            block = keras_block(block)
        size = draw(st.none() | st.tuples(*[st.integers(1, 9)] * dims))
        batch = draw(st.integers(1, 3))
        measure(block, input=size, batch=batch)
    except ConvCalcError:
        assume(False)
        raise
    return block, size, batch


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(layers())
def test_every_note_accounts_for_its_figures(drawn: tuple) -> None:
    block, size, batch = drawn
    cost = measure(block, input=size, batch=batch)
    for name, report in reported_by(cost, TOOLS).items():
        if name == "keras":
            assert report.compute is None
            assert report.params == keras_figure(block)
            check_note(report.note, 0, report.params - cost.params)
            continue
        assert report.params == cost.params
        if size is None:
            assert report.compute is None
            check_note(report.note, 0, 0)
            continue
        assert cost.macs is not None and report.compute is not None
        assert report.compute == tool_figure(name, block, size, batch), name
        check_note(report.note, report.compute - cost.macs, 0)
        assert sum(t.amount for t in report.terms) == report.compute - cost.macs


@pytest.mark.parametrize("padding", ["same", "valid"])
def test_fvcore_note_names_the_skipped_convolution(padding: str) -> None:
    """fvcore does not count a convolution traced with padding='same'/'valid'
    (aten::_convolution_mode): 0 for Conv2d(4, 8, 3) on 5×5, whose true MACs are
    8 × 25 × 4 × 9 = 7,200 with 'same' and 8 × 9 × 4 × 9 = 2,592 with 'valid'."""
    data = convcalc_json(f"standard --cin 4 --cout 8 -p {padding} --input 5 --reported-by fvcore")
    macs = 7_200 if padding == "same" else 2_592
    assert data["macs"] == macs and data["reported_by"]["fvcore"]["compute"] == 0
    note = data["reported_by"]["fvcore"]["note"]
    assert note.startswith(f"− {macs:,} ") and padding in note
