"""The spec language of issue #12 (design: /work/design/spec-language.md), each feature
against figures worked out by hand in the test, by PyTorch's own rules (its pooling
output formula, its adaptive bins, torchvision's _make_divisible) written out here."""

from __future__ import annotations

import json
import re
import tomllib
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, run

from convcalc.model.cost import Cost
from convcalc.model.errors import ConvCalcError
from convcalc.model.expressions import divisible, evaluate
from convcalc.model.expressions import parse as parse_expression
from convcalc.model.network import adaptive_bins, breakdown, trace
from convcalc.model.spec import CONV_KEYS, OTHER_KEYS, build


def net(layers: list[dict[str, Any]], shape: list[int], **top: Any) -> Cost:
    """A spec of these layers on this input, built and traced."""
    return trace(build({"input": shape, "layers": layers, **top}, "test.toml"))


def failure(layers: list[dict[str, Any]], shape: list[int], **top: Any) -> str:
    """The message of a spec that must not build or trace."""
    with pytest.raises(ConvCalcError) as caught:
        net(layers, shape, **top)
    return str(caught.value)


def _model(spec: dict[str, Any], *args: str) -> dict[str, Any]:
    result = run("model", "-", "--format", "json", *args, stdin=json.dumps(spec))
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


# --- §5: repeat on a pool keeps its stride ---------------------------------------


def test_sppf_repeat_keeps_the_pools_stride() -> None:
    # Issue #12 §5. Input 8×20×20; max pool k5 s1 p2 twice: (20 + 2·2 − 5) // 1 + 1 = 20
    # each time. Then a 3×3 conv 8 → 8 without bias (padding 1 keeps 20×20):
    # params 8 · 8 · 3 · 3 = 576, MACs 576 · 20 · 20 = 230,400 (PyTorch's figures).
    pool = {"type": "pool", "kind": "max", "kernel": 5, "stride": 1, "padding": 2, "repeat": 2}
    conv = {"type": "standard", "cout": 8, "kernel": 3, "padding": 1, "bias": False}
    cost = net([pool, conv], [8, 20, 20])
    assert [c.output_shape for c in cost.children] == [(8, 20, 20)] * 3
    assert (cost.params, cost.macs, cost.output_shape) == (576, 230_400, (8, 20, 20))


# Every key repeat copies, on every layer type that takes it: a layer with repeat = 2
# is the layer written twice, the second time without its stride for a convolution
# (MobileNet's "first layer of a stage strides"), with it for a pool.
REPEATED: list[tuple[list[int], dict[str, Any]]] = [
    ([8, 16, 16], {"type": "standard", "cout": 8, "kernel": 3, "padding": 1, "stride": 2}),
    ([8, 16, 16], {"type": "standard", "cout": 8, "kernel": 3, "dilation": 2, "padding": 2}),
    ([8, 16, 16], {"type": "standard", "cout": 8, "groups": 4, "bias": False, "bn": True}),
    ([8, 8, 8], {"type": "standard", "cout": 8, "kernel": 2, "transposed": True, "stride": 2}),
    (
        [8, 8, 8],
        {
            "type": "standard",
            "cout": 8,
            "kernel": 3,
            "transposed": True,
            "dilation": 2,
            "padding": 1,
            "output_padding": 1,
        },
    ),
    ([8, 16, 16], {"type": "standard", "cout": 8, "kernel": 3, "act": "relu6"}),
    ([8, 16, 16], {"type": "depthwise", "multiplier": 2, "kernel": 5, "padding": 2}),
    ([8, 16, 16], {"type": "depthwise", "cout": 8, "dilation": 2, "kernel": 3, "stride": 2}),
    ([8, 16, 16], {"type": "depthwise", "kernel": 3, "bias": False, "bn": True, "act": "relu"}),
    ([8, 16, 16], {"type": "pointwise", "cout": 8, "groups": 2, "stride": 2, "act": "silu"}),
    ([8, 16, 16], {"type": "pointwise", "cout": 8, "bias": False, "bn": True}),
    ([8, 16, 16], {"type": "separable", "cout": 8, "multiplier": 2, "kernel": 3, "stride": 2}),
    ([8, 16, 16], {"type": "separable", "cout": 8, "dilation": 2, "padding": 2, "bn": True}),
    ([8, 16, 16], {"type": "separable", "cout": 8, "bias": False, "act": "hardswish"}),
    ([8, 16, 16], {"type": "lite", "cout": 8, "kernel": 5, "padding": 2, "stride": 2}),
    ([8, 16, 16], {"type": "lite", "cout": 8, "dilation": 2, "bias": False, "bn": True}),
    ([8, 16, 16], {"type": "lite", "cout": 8, "act": "gelu"}),
    ([8, 20, 20], {"type": "pool", "kind": "max", "kernel": 5, "stride": 1, "padding": 2}),
    ([8, 20, 20], {"type": "pool", "kind": "avg", "kernel": 3, "stride": 2, "ceil_mode": True}),
    ([8, 20, 20], {"type": "pool", "kind": "max", "kernel": 3, "stride": 1, "dilation": 2}),
    ([8, 20, 20], {"type": "pool", "kind": "avg", "output": 5}),
    ([8, 20, 20], {"type": "pool", "kind": "max", "global": True}),
    ([8, 1, 1], {"type": "linear", "cout": 8, "bias": False, "bn": True, "act": "tanh"}),
    ([8, 4, 4], {"type": "act", "fn": "sigmoid"}),
    ([8, 4, 4], {"type": "bn"}),
    ([8, 4, 4], {"type": "identity"}),
    ([8, 4, 4], {"type": "flatten"}),
    ([32, 4, 4], {"type": "gate", "reduction": 4}),
    ([32, 4, 4], {"type": "gate", "squeeze": 12, "divisor": 8, "act": "silu", "gate": "sigmoid"}),
    ([32, 4, 4], {"type": "shuffle", "groups": 4}),
    (
        [8, 4, 4],
        {"type": "parallel", "merge": "concat", "split": [2, 6], "streams": [[], []]},
    ),
    (
        [8, 4, 4],
        {"type": "residual", "layers": [{"type": "pointwise", "cout": 8}], "shortcut": []},
    ),
    (
        [8, 4, 4],
        {
            "type": "parallel",
            "merge": "sum",
            "streams": [[{"use": "m"}], [{"use": "m"}]],
            "shared": {"m": {"type": "pointwise", "cout": 8}},
        },
    ),
]


@pytest.mark.parametrize(("shape", "layer"), REPEATED, ids=lambda v: str(v))
def test_repeat_copies_every_key(shape: list[int], layer: dict[str, Any]) -> None:
    second = dict(layer)
    if layer["type"] != "pool":
        second.pop("stride", None)
    written = net([layer, second], shape)
    repeated = net([{**layer, "repeat": 2}], shape)
    assert repeated.output_shape == written.output_shape
    assert (repeated.params, repeated.buffers, repeated.macs, repeated.extra_ops) == (
        written.params,
        written.buffers,
        written.macs,
        written.extra_ops,
    )
    for a, b in zip(repeated.children, written.children, strict=True):
        assert [(n.type, n.output_shape, n.params) for _, n in a.walk()] == [
            (n.type, n.output_shape, n.params) for _, n in b.walk()
        ]


def test_the_repeat_cases_cover_every_key() -> None:
    covered: dict[str, set[str]] = {}
    for _, layer in REPEATED:
        covered.setdefault(layer["type"], set()).update(layer)
    for kind, keys in {**CONV_KEYS, **OTHER_KEYS}.items():
        assert keys <= covered[kind] - {"type"}, (kind, keys - covered[kind])


# --- pooling: ceil_mode, dilation, adaptive ------------------------------------------


def pooled(n: int, **pool: Any) -> int:
    cost = net([{"type": "pool", **pool}], [1, n, n])
    return cost.output_shape[1]


@pytest.mark.parametrize(
    ("n", "pool", "size"),
    [
        # PyTorch: out = ceil((n + 2p − d(k−1) − 1) / s) + 1, one less if the last
        # window would start at or past n + p.
        (112, {"kernel": 3, "stride": 2, "ceil_mode": True}, 56),  # ceil(109/2)+1 = 56
        (112, {"kernel": 3, "stride": 2}, 55),  # floor(109/2)+1 = 55
        (54, {"kernel": 3, "stride": 2, "ceil_mode": True}, 27),  # ceil(51/2)+1 = 27
        (54, {"kernel": 3, "stride": 2}, 26),  # floor(51/2)+1 = 26
        (6, {"kernel": 3, "stride": 2, "ceil_mode": True}, 3),  # ceil(3/2)+1 = 3: (3−1)·2 = 4 < 6
        # n = 5, k = 2, s = 2, p = 1: ceil(5/2)+1 = 4, but the 4th window starts at
        # (4−1)·2 = 6 ≥ n + p = 6, in the right padding: PyTorch drops it, 3.
        (5, {"kernel": 2, "stride": 2, "padding": 1, "ceil_mode": True}, 3),
        (2, {"kernel": 3, "stride": 2, "ceil_mode": True}, 1),  # ceil(−1/2)+1 = 1
        (9, {"kernel": 3, "stride": 1, "dilation": 2, "kind": "max"}, 5),  # 9 − 2·2 = 5
        (9, {"kernel": 3, "stride": 2, "dilation": 2, "ceil_mode": True, "kind": "max"}, 3),
        (10, {"output": 4}, 4),
        (2, {"output": 3}, 3),  # adaptive pooling may enlarge: bins [0,1) [0,2) [1,2)
        (7, {"output": 7}, 7),
    ],
)
def test_pool_output_sizes(n: int, pool: dict[str, Any], size: int) -> None:
    assert pooled(n, **pool) == size


def test_ceil_mode_pool_that_does_not_fit() -> None:
    message = failure([{"type": "pool", "kernel": 3, "stride": 2, "ceil_mode": True}], [1, 1, 1])
    assert "empty output" in message


def test_adaptive_bins_are_pytorchs() -> None:
    # start = floor(i·n/o), end = ceil((i+1)·n/o): n = 10, o = 4 gives
    # i=0: [0, ceil(10/4)=3), i=1: [floor(10/4)=2, ceil(20/4)=5), i=2: [5, ceil(30/4)=8),
    # i=3: [floor(30/4)=7, 10).
    assert adaptive_bins(10, 4) == [(0, 3), (2, 5), (5, 8), (7, 10)]
    assert adaptive_bins(2, 3) == [(0, 1), (0, 2), (1, 2)]
    # An adaptive avg pool adds each element of each bin: 2 channels, bins of widths
    # 3 + 3 + 3 + 3 = 12 along each side: 2 · 12 · 12 = 288 additions.
    cost = net([{"type": "pool", "output": 4}], [2, 10, 10])
    assert cost.extra_ops == 2 * 12 * 12
    assert (cost.params, cost.macs, cost.output_shape) == (0, 0, (2, 4, 4))


def test_adaptive_pool_with_sizes_per_dimension() -> None:
    cost = net([{"type": "pool", "kind": "max", "output": [2, 3]}], [4, 9, 9])
    assert cost.output_shape == (4, 2, 3)


@pytest.mark.parametrize(
    ("pool", "key"),
    [
        ({"output": 2, "kernel": 3}, "kernel"),
        ({"global": True, "output": 2}, "output"),
        ({"output": 0}, "output"),
        ({"kind": "avg", "kernel": 3, "dilation": 2}, "dilation"),
        ({"kernel": 3, "stride": 0}, "stride"),
        ({"kernel": 3, "ceil_mode": 1}, "ceil_mode"),
    ],
)
def test_pool_keys_refused(pool: dict[str, Any], key: str) -> None:
    message = failure([{"type": "pool", **pool}], [1, 8, 8])
    assert f"layers[0].{key}" in message


# --- flatten and linear ----------------------------------------------------------


def test_vgg_classifier_after_flatten() -> None:
    # torchvision's VGG16 tail: 512×14×14 → max pool 2/2 → 7×7 (14 − 2)//2 + 1 = 7;
    # AdaptiveAvgPool2d(7) keeps 7×7; flatten: 512 · 7 · 7 = 25,088 features;
    # Linear(25088, 4096): 25,088 · 4,096 + 4,096 = 102,764,544 params,
    # 25,088 · 4,096 = 102,760,448 MACs.
    cost = net(
        [
            {"type": "pool", "kind": "max", "kernel": 2, "stride": 2},
            {"type": "pool", "kind": "avg", "output": 7},
            {"type": "flatten"},
            {"type": "linear", "cout": 4096, "act": "relu"},
        ],
        [512, 14, 14],
    )
    shapes = [c.output_shape for c in cost.children]
    assert shapes == [(512, 7, 7), (512, 7, 7), (25088,), (4096,)]
    assert (cost.params, cost.macs) == (102_764_544, 102_760_448)
    assert breakdown(cost) == {"Fully connected": (102_764_544, 102_760_448)}


def test_squeezenet_style_output_is_one_dimensional() -> None:
    # A 1×1 conv to 10 classes, global pool, flatten: PyTorch's output is [10].
    cost = net(
        [
            {"type": "pointwise", "cout": 10, "act": "relu"},
            {"type": "pool", "kind": "avg", "output": 1},
            {"type": "flatten"},
        ],
        [4, 5, 5],
    )
    assert cost.output_shape == (10,)


def test_linear_on_a_map_says_flatten_or_pool() -> None:
    message = failure([{"type": "linear", "cout": 10}], [8, 7, 7])
    assert 'flatten it first (type = "flatten") or pool it to 1×1' in message


def test_a_convolution_cannot_follow_a_flatten() -> None:
    message = failure([{"type": "flatten"}, {"type": "pointwise", "cout": 4}], [8, 2, 2])
    assert "layers[1]" in message and "follows a flatten" in message


# --- bn, act, identity -------------------------------------------------------------


def test_standalone_batchnorm() -> None:
    # DenseNet's pre-activation BN on 64 channels: γ, β (2 · 64 = 128 params) and the
    # running mean and variance (128 buffers); BatchNorm1d after a flatten: 2 · 48.
    cost = net([{"type": "bn"}, {"type": "act", "fn": "relu"}], [64, 8, 8])
    assert (cost.params, cost.buffers, cost.macs) == (128, 128, 0)
    assert [c.type for c in cost.children] == ["batchnorm", "act"]
    flat = net([{"type": "flatten"}, {"type": "bn"}], [3, 4, 4])
    assert (flat.params, flat.buffers, flat.output_shape) == (96, 96, (48,))


@pytest.mark.parametrize("fn", ["relu", "relu6", "hardswish", "silu", "sigmoid", "hardsigmoid"])
def test_activation_counts_nothing_but_one_op_per_element(fn: str) -> None:
    cost = net([{"type": "act", "fn": fn}], [3, 4, 5])
    assert (cost.params, cost.macs, cost.extra_ops, cost.output_shape) == (0, 0, 60, (3, 4, 5))


def test_act_attribute_is_the_last_part_of_its_layer() -> None:
    # A 3×3 conv 3 → 8 with BN then ReLU: (3·3·3 + 1)·8 = 224 params + 2·8 BN.
    cost = net([{"type": "standard", "cout": 8, "kernel": 3, "bn": True, "act": "relu"}], [3, 6, 6])
    layer = cost.children[0]
    assert [c.type for c in layer.children] == ["conv", "batchnorm", "act"]
    assert (layer.type, layer.params) == ("standard", 224 + 16)


def test_unknown_activation_is_refused() -> None:
    message = failure([{"type": "act", "fn": "swish"}], [3, 4, 4])
    assert "layers[0].fn" in message and "hardswish" in message
    message = failure([{"type": "act"}], [3, 4, 4])
    assert "layers[0].fn" in message


def test_identity_stream_concatenates_the_input() -> None:
    # A DenseNet-style concat: [] passes 16 channels through; a 1×1 conv 16 → 8 with
    # bias: 16·8 + 8 = 136 params, 16·8·8·8 = 8,192 MACs; 16 + 8 = 24 channels out.
    cost = net(
        [
            {
                "type": "parallel",
                "merge": "concat",
                "streams": [[], [{"type": "pointwise", "cout": 8}]],
            }
        ],
        [16, 8, 8],
    )
    assert (cost.params, cost.macs, cost.output_shape) == (136, 8192, (24, 8, 8))
    assert [n.type for _, n in cost.children[0].children[0].walk()] == ["sequence", "identity"]


def test_identity_layer_and_empty_shortcut() -> None:
    cost = net(
        [
            {"type": "identity"},
            {"type": "residual", "layers": [{"type": "pointwise", "cout": 4}], "shortcut": []},
        ],
        [4, 3, 3],
    )
    # 1×1 conv 4 → 4 with bias: 20 params, 4·4·9 = 144 MACs; the residual adds 36.
    assert (cost.params, cost.macs, cost.output_shape) == (20, 144, (4, 3, 3))


# --- the breakdown and the JSON -------------------------------------------------------


def test_breakdown_omits_every_empty_category() -> None:
    cost = net([{"type": "pointwise", "cout": 4, "bn": False}], [4, 3, 3])
    assert list(breakdown(cost)) == ["Conv 1×1"]


def test_new_node_kinds_in_json() -> None:
    spec = {
        "input": [4, 9, 9],
        "layers": [
            {"type": "pointwise", "cout": 4, "act": "relu"},
            {"type": "bn"},
            {"type": "act", "fn": "relu6"},
            {"type": "pool", "kind": "max", "kernel": 3, "stride": 2, "ceil_mode": True},
            {"type": "parallel", "merge": "concat", "streams": [[], [{"type": "identity"}]]},
            {"type": "pool", "kind": "avg", "output": 2},
            {"type": "flatten"},
            {"type": "linear", "cout": 3},
        ],
    }
    data = _model(spec)
    assert [layer["type"] for layer in data["layers"]] == [
        "pointwise",
        "batchnorm",
        "act",
        "maxpool",
        "parallel",
        "avgpool",
        "flatten",
        "linear",
    ]
    assert [c["type"] for c in data["layers"][0]["children"]] == ["pointwise", "act"]
    # 9 → ceil((9 − 3)/2) + 1 = 4; concat 4 + 4 = 8 channels; adaptive to 2×2;
    # 8·2·2 = 32 features; Linear(32, 3): 32·3 + 3 = 99 params.
    assert data["output_shape"] == [3]
    assert data["layers"][-1]["params"] == 99
    assert data["layers"][6]["output_shape"] == [32]


# --- expressions ------------------------------------------------------------------


def tv_make_divisible(v: float, divisor: int = 8) -> int:
    """torchvision.models._utils._make_divisible, as torchvision writes it (floats)."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


@pytest.mark.parametrize(
    ("text", "names", "value"),
    [
        # int(16 + 4) // 8 · 8 = 16, not below 0.9 · 16 = 14.4
        ("= divisible(32 * width, 8)", {"width": Fraction(1, 2)}, 16),
        # 24 · 0.35 = 8.4: int(12.4) // 8 · 8 = 8, not below 7.56
        ("= divisible(24 * width, 8)", {"width": Fraction(35, 100)}, 8),
        # 1280 · max(1, 0.5) = 1280: int(1284) // 8 · 8 = 1280
        ("= divisible(1280 * max(1, width), 8)", {"width": Fraction(1, 2)}, 1280),
        # 18: int(22) // 8 · 8 = 16 < 0.9 · 18 = 16.2, so 16 + 8 = 24
        ("= divisible(18, 8)", {}, 24),
        ("= in * 6", {"in": 16}, 96),  # MobileNetV2's round(inp · t) of whole numbers
        ("= round(in * 3 / 2)", {"in": 5}, 8),  # round(7.5) = 8, half to even
        ("= round(in * 5 / 2)", {"in": 1}, 2),  # round(2.5) = 2, half to even
        ("= (squeeze + 1) // 2 - 1", {"squeeze": 16}, 7),
        ("= min(in, 64) + -1", {"in": 100}, 63),
        ("= 6 / 4 * 2", {}, 3),  # exact: 3/2 · 2
        ("= act", {"act": "relu"}, "relu"),
    ],
)
def test_expression_values(text: str, names: dict[str, Any], value: Any) -> None:
    renamed = {("__in__" if k == "in" else k): v for k, v in names.items()}
    assert evaluate(parse_expression(text), renamed) == value


def test_divisible_is_torchvisions_make_divisible() -> None:
    # The same answers as torchvision's float code over the channels and widths of
    # MobileNetV2/V3 and EfficientNet (where floats do not round across a boundary).
    for c in (16, 24, 32, 40, 48, 64, 72, 80, 96, 112, 120, 160, 240, 320, 576, 960, 1280):
        for w in ("0.35", "0.5", "0.75", "1.0", "1.3", "1.4"):
            assert divisible(c * Fraction(w), 8) == tv_make_divisible(c * float(w)), (c, w)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("= 7 / 2", "gives 7/2, not a whole number"),
        ("= 2 ** 3", "the operators are"),
        ("= __import__('os')", "the functions are"),
        ("= cout.real", "not allowed"),
        ("= 1.5 * 2", "only whole numbers"),
        ("= nope * 2", "unknown name 'nope'"),
        ("= " + "1" * 101, "more than 100 digits"),
        ("= " + "9" * 60 + " * " + "9" * 60, "grows past 100 digits"),
        ("= " + "1 + " * 60 + "1", "at most 200"),
        ("= 4 // 0", "division by zero"),
        ("= divisible(8, 0)", "whole d >= 1"),
        ("= max(1)", "takes 2 to 16 arguments"),
        ("= (", "is not an expression"),
        ("= 'text'", "only whole numbers"),
    ],
)
def test_bad_expressions_name_the_key(text: str, message: str) -> None:
    error = failure([{"type": "pointwise", "cout": text}], [8, 4, 4])
    assert "layers[0].cout" in error and message in error, error


def test_expression_in_any_integer_key() -> None:
    # kernel 3 (= 1 + 2), stride 2, padding 1 on 9×9: (9 + 2 − 3)//2 + 1 = 5;
    # cout = in · 2 = 16 (as built), groups = in / 4 = 2:
    # params 8/2 · 16 · 3 · 3 + 16 = 592.
    layer = {
        "type": "standard",
        "cout": "= in * 2",
        "kernel": "= 1 + 2",
        "stride": "= 2",
        "padding": ["= 1", 1],
        "groups": "= in / 4",
        "repeat": "= 1",
    }
    cost = net([layer], [8, 9, 9])
    assert (cost.params, cost.output_shape) == (592, (16, 5, 5))


def test_width_rule_written_or_as_built() -> None:
    # At width 0.5 (slim rounding): cout = 32 is written at width 1 → 16; "= 16 * 2"
    # names neither in nor width → 32 written → 16; "= in * 2" is as built: 16 · 2 = 32.
    layers = [
        {"type": "pointwise", "cout": 32},
        {"type": "pointwise", "cout": "= 16 * 2"},
        {"type": "pointwise", "cout": "= in * 2"},
        {"type": "pointwise", "cout": "= 64 * width"},
    ]
    data = {"input": [3, 4, 4], "layers": layers}
    cost = trace(build(data, "t.toml", width="0.5"))
    assert [c.output_shape[0] for c in cost.children] == [16, 16, 32, 32]


# --- rounding -----------------------------------------------------------------------


def mobilenet_v2_params(width: float) -> int:
    """torchvision's MobileNetV2(width_mult=width) parameters, from its source written out:
    conv 3×3 → _make_divisible(32w) with BN; per (t, c, n, s) row, n inverted residuals
    (1×1 expand to round(inp·t) unless t = 1, 3×3 depthwise, 1×1 project, each with BN);
    1×1 conv to _make_divisible(1280·max(1, w)) with BN; Linear(last, 1000) with bias."""
    inp = tv_make_divisible(32 * width)
    last = tv_make_divisible(1280 * max(1.0, width))
    params = 3 * inp * 9 + 2 * inp
    rows = [(1, 16, 1), (6, 24, 2), (6, 32, 3), (6, 64, 4), (6, 96, 3), (6, 160, 3), (6, 320, 1)]
    for t, c, n in rows:
        out = tv_make_divisible(c * width)
        for _ in range(n):
            hidden = int(round(inp * t))
            if t != 1:
                params += inp * hidden + 2 * hidden
            params += hidden * 9 + 2 * hidden + hidden * out + 2 * out
            inp = out
    return params + inp * last + 2 * last + last * 1000 + 1000


MOBILENET_V2 = (ROOT / "tests" / "data" / "specs" / "mobilenet_v2.toml").read_text()


@pytest.mark.parametrize("width", ["1", "0.5", "0.35", "0.75", "1.4"])
def test_mobilenet_v2_with_templates_and_divisible_rounding(width: str) -> None:
    cost = trace(build(tomllib.loads(MOBILENET_V2), "mobilenet_v2.toml", width=width))
    assert cost.params == mobilenet_v2_params(float(width))
    assert cost.output_shape == (1000,)


def test_mobilenet_v2_published_figures() -> None:
    # torchvision's weights metadata: MobileNet_V2_Weights.IMAGENET1K_V1 has
    # num_params 3,504,872 and 0.30 GFLOPS; issue #12 gives width_mult=0.5's
    # 1,968,680 parameters, as PyTorch counts them.
    full = trace(build(tomllib.loads(MOBILENET_V2), "m.toml"))
    half = trace(build(tomllib.loads(MOBILENET_V2), "m.toml", width="0.5"))
    assert (full.params, round(full.macs / 1e9, 2), half.params) == (3_504_872, 0.30, 1_968_680)


def shufflenet_like(width: str | None) -> Cost:
    data = {
        "input": [3, 8, 8],
        "rounding": "table",
        "args": {"stage": 116, "last": 1024},
        "widths": {"0.5": {"stage": 48}, "2.0": {"stage": 244, "last": 2048}},
        "layers": [
            {"type": "pointwise", "cout": "= stage"},
            {"type": "pointwise", "cout": "= last"},
            {"type": "pointwise", "cout": 24},
        ],
    }
    return trace(build(data, "s.toml", width=width))


def test_table_rounding_selects_arguments() -> None:
    channels = [c.output_shape[0] for c in shufflenet_like(None).children]
    assert channels == [116, 1024, 24]
    channels = [c.output_shape[0] for c in shufflenet_like("0.5").children]
    assert channels == [48, 1024, 24]  # a plain 24 is not scaled: the table is the width
    channels = [c.output_shape[0] for c in shufflenet_like("2").children]
    assert channels == [244, 2048, 24]
    with pytest.raises(ConvCalcError, match=r"width 0\.7 .*use 0\.5, 2\.0 or 1"):
        shufflenet_like("0.7")


@pytest.mark.parametrize(
    ("top", "message"),
    [
        ({"rounding": "even"}, "rounding: 'even': use one of slim, divisible, table"),
        ({"divisor": 8}, 'divisor: goes with rounding = "divisible"'),
        ({"rounding": "divisible", "divisor": 0}, "divisor: expected a whole number"),
        ({"rounding": "table"}, "needs [widths"),
        ({"widths": {"0.5": {}}}, 'goes with rounding = "table"'),
        ({"args": {"in": 3}}, "reserved"),
        ({"args": {"x": 1.5}}, "expected a whole number, a string or true/false"),
        ({"rounding": "table", "args": {}, "widths": {"0.5": {"y": 2}}}, "not in [args]"),
    ],
)
def test_bad_rounding_and_args(top: dict[str, Any], message: str) -> None:
    assert message in failure([{"type": "pointwise", "cout": 4}], [3, 4, 4], **top)


def test_divisible_rounding_with_another_divisor() -> None:
    # divisible(20 · 0.5, 4) = int(10 + 2) // 4 · 4 = 12; slim would give 10.
    cost = trace(
        build(
            {
                "input": [3, 4, 4],
                "rounding": "divisible",
                "divisor": 4,
                "layers": [{"type": "pointwise", "cout": 20}],
            },
            "t.toml",
            width="0.5",
        )
    )
    assert cost.output_shape[0] == 12


# --- templates ----------------------------------------------------------------------

FIRE = {
    "args": ["squeeze", "expand"],
    "layers": [
        {"type": "pointwise", "cout": "= squeeze", "act": "relu"},
        {
            "type": "parallel",
            "merge": "concat",
            "streams": [
                [{"type": "pointwise", "cout": "= expand", "act": "relu"}],
                [{"type": "standard", "cout": "= expand", "kernel": 3, "padding": 1}],
            ],
        },
    ],
}


def fire(*uses: dict[str, Any], shape: list[int] | None = None, **templates: Any) -> Cost:
    layers = [{"template": "fire", **use} for use in uses]
    return net(layers, shape or [96, 54, 54], templates={"fire": FIRE, **templates})


def test_squeezenet_fire_template() -> None:
    # torchvision's Fire(96, 16, 64, 64): squeeze 96·16 + 16 = 1,552; expand1x1
    # 16·64 + 64 = 1,088; expand3x3 16·64·9 + 64 = 9,280; 11,920 in all.
    # MACs at 54×54 (2,916 positions): (96·16 + 16·64 + 16·64·9) · 2,916 = 34,338,816.
    cost = fire({"name": "features.3", "squeeze": 16, "expand": 64})
    use = cost.children[0]
    assert (use.name, use.type) == ("features.3", "sequence")
    assert (cost.params, cost.macs, cost.output_shape) == (11_920, 34_338_816, (128, 54, 54))


def test_template_repeat_makes_fresh_copies() -> None:
    # Fire(128, 16, 64, 64) twice: 128·16 + 16 + 1,088 + 9,280 = 12,432 each.
    cost = fire({"squeeze": 16, "expand": 64, "repeat": 2}, shape=[128, 8, 8])
    assert [c.name for c in cost.children] == ["fire.1", "fire.2"]
    assert cost.params == 2 * 12_432


def test_template_defaults_and_nesting() -> None:
    # "pair" uses "fire" twice with expand = squeeze · 4 by default.
    pair = {
        "args": {"squeeze": 16, "expand": "= squeeze * 4"},
        "layers": [
            {"template": "fire", "squeeze": "= squeeze", "expand": "= expand"},
            {"template": "fire", "squeeze": "= squeeze", "expand": "= expand"},
        ],
    }
    cost = net([{"template": "pair"}], [128, 8, 8], templates={"fire": FIRE, "pair": pair})
    assert cost.params == 2 * 12_432
    assert [n.type for _, n in cost.walk()][:3] == ["network", "sequence", "sequence"]


def test_template_stride_applies_to_the_first_copy() -> None:
    down = {
        "args": {"stride": 1},
        "layers": [
            {"type": "standard", "cout": 4, "kernel": 3, "padding": 1, "stride": "= stride"}
        ],
    }
    cost = net(
        [{"template": "down", "stride": 2, "repeat": 3}], [4, 16, 16], templates={"down": down}
    )
    assert [c.output_shape for c in cost.children] == [(4, 8, 8)] * 3


@pytest.mark.parametrize(
    ("use", "templates", "message"),
    [
        ({"squeeze": 16}, {}, "template 'fire' needs the argument 'expand'"),
        ({"squeeze": 16, "expand": 64, "cout": 3}, {}, "layers[0].cout: template 'fire' takes no"),
        ({"template": "nope"}, {}, "layers[0].template: no template 'nope' (declared: fire)"),
        (
            {"squeeze": 16, "expand": "= in / 7"},
            {},
            "layers[0].expand: '= in / 7' gives 96/7",
        ),
        (
            {"squeeze": 16, "expand": 0},
            {},
            'layers[0] (template "fire").layers[1].streams[0][0].cout',
        ),
    ],
)
def test_template_errors(use: dict[str, Any], templates: dict[str, Any], message: str) -> None:
    layers = [{"template": "fire", **use}]
    assert message in failure(layers, [96, 8, 8], templates={"fire": FIRE, **templates})


def test_template_cycles_and_the_layer_bound() -> None:
    loop = {"args": [], "layers": [{"template": "other"}]}
    other = {"layers": [{"template": "loop"}]}
    message = failure([{"template": "loop"}], [4, 4, 4], templates={"loop": loop, "other": other})
    assert "templates use each other in a cycle: loop -> other -> loop" in message
    # 10,000 identities in a template, used 11 times: 110,011 layers > 100,000, refused
    # before anything is built.
    big = {"layers": [{"type": "identity", "repeat": 10_000}]}
    message = failure([{"template": "big", "repeat": 11}], [4, 4, 4], templates={"big": big})
    assert "grows past 100,000 layers" in message
    # A repeat counted before building cannot depend on in.
    r = {"layers": [{"type": "identity", "repeat": "= in"}]}
    message = failure([{"template": "r"}], [4, 4, 4], templates={"r": r})
    assert "cannot depend on in" in message


def test_global_args_in_expressions() -> None:
    cost = net([{"type": "pointwise", "cout": "= base * 2"}], [3, 4, 4], args={"base": 8})
    assert cost.output_shape == (16, 4, 4)


def test_string_arguments() -> None:
    block = {"args": {"fn": "relu"}, "layers": [{"type": "act", "fn": "= fn"}]}
    cost = net([{"template": "b", "fn": "hardswish"}], [3, 4, 4], templates={"b": block})
    leaf = next(cost.leaves())
    assert leaf.layer is not None and leaf.layer.fn == "hardswish"


# --- split, shuffle, gate ------------------------------------------------------------

SHUFFLE_UNIT = {
    "type": "parallel",
    "merge": "concat",
    "split": 2,
    "streams": [
        [],
        [
            {"type": "pointwise", "cout": "= in", "bias": False, "bn": True, "act": "relu"},
            {"type": "depthwise", "kernel": 3, "padding": 1, "bias": False, "bn": True},
            {"type": "pointwise", "cout": "= in", "bias": False, "bn": True, "act": "relu"},
        ],
    ],
}


def test_shufflenet_v2_unit_with_split_and_shuffle() -> None:
    # torchvision's InvertedResidual(116, 116, stride=1): the input splits into 58 + 58;
    # branch2 on 58: 1×1 58·58 = 3,364 (+ BN 2·58), 3×3 depthwise 58·9 = 522 (+ BN 116),
    # 1×1 3,364 (+ BN 116): 7,598 params; MACs (3,364 + 522 + 3,364) · 28 · 28 =
    # 5,684,000. Concatenated back to 116, then channel_shuffle(x, 2): no cost.
    cost = net([SHUFFLE_UNIT, {"type": "shuffle", "groups": 2}], [116, 28, 28])
    assert (cost.params, cost.macs, cost.output_shape) == (7_598, 5_684_000, (116, 28, 28))
    unit, shuffle = cost.children
    assert (unit.type, shuffle.type, shuffle.params, shuffle.macs) == ("split", "shuffle", 0, 0)
    assert [s.input_shape for s in unit.children] == [(58, 28, 28), (58, 28, 28)]


def test_split_into_listed_parts() -> None:
    # 24 channels as 8 + 16: stream 1 a 1×1 conv 8 → 4 (8·4 + 4 = 36 params), stream 2
    # an identity of 16: concat 4 + 16 = 20.
    layer = {
        "type": "parallel",
        "merge": "concat",
        "split": [8, 16],
        "streams": [[{"type": "pointwise", "cout": 4}], []],
    }
    cost = net([layer], [24, 2, 2])
    assert (cost.params, cost.output_shape) == (36, (20, 2, 2))


@pytest.mark.parametrize(
    ("split", "message"),
    [
        ([8, 8], "the parts [8, 8] add up to 16, not the input's 24 channels"),
        ([8, 8, 8], "3 parts but there are 2 streams"),
        (3, "split = 3 but there are 2 streams"),
        ("x", "expected a number of parts or a list of channels"),
    ],
)
def test_bad_split(split: Any, message: str) -> None:
    layer = {"type": "parallel", "merge": "concat", "split": split, "streams": [[], []]}
    error = failure([layer], [24, 2, 2])
    assert "layers[0].split" in error and message in error, error


def test_shuffle_groups_must_divide() -> None:
    error = failure([{"type": "shuffle", "groups": 5}], [24, 2, 2])
    assert "layers[0].groups" in error and "24 channels do not divide into 5 groups" in error


def test_mobilenet_v3_gate_squeeze_with_divisor() -> None:
    # torchvision's SqueezeExcitation(72, _make_divisible(72 // 4, 8)): 72 // 4 = 18,
    # int(18 + 4) // 8 · 8 = 16 < 0.9 · 18 = 16.2, so 24. fc1 72·24 + 24 = 1,752,
    # fc2 24·72 + 72 = 1,800: 3,552 params; MACs 72·24 + 24·72 = 3,456.
    gate = {"type": "gate", "reduction": 4, "divisor": 8, "act": "relu", "gate": "hardsigmoid"}
    cost = net([gate], [72, 28, 28])
    assert (cost.params, cost.macs, cost.output_shape) == (3_552, 3_456, (72, 28, 28))
    node = cost.children[0].node
    assert node is not None and (node.act, node.gate, node.hidden) == (
        "relu",
        "hardsigmoid",
        24,
    )


def test_efficientnet_gate_squeezes_the_blocks_input() -> None:
    # torchvision's MBConv: SqueezeExcitation(expanded, max(1, input_channels // 4)).
    # Block input 16, expanded 16·6 = 96, squeeze 16 // 4 = 4: fc1 96·4 + 4 = 388,
    # fc2 4·96 + 96 = 480: 868 params in the gate.
    mb = {
        "layers": [
            {"type": "pointwise", "cout": "= in * 6", "bias": False},
            {"type": "gate", "squeeze": "= max(1, in // 4)", "act": "silu"},
        ]
    }
    cost = net([{"template": "mb"}], [16, 4, 4], templates={"mb": mb})
    gate = cost.children[0].children[1]
    assert (gate.type, gate.params) == ("gate", 868)


def test_gate_squeeze_written_at_width_one_is_scaled() -> None:
    # squeeze = 8 at width 0.5 (slim): 4; the gate on the input's 32 channels (an
    # input is never scaled): 32·4 + 4 + 4·32 + 32 = 292.
    data = {"input": [32, 2, 2], "layers": [{"type": "gate", "squeeze": 8}]}
    cost = trace(build(data, "g.toml", width="0.5"))
    assert cost.params == 32 * 4 + 4 + 4 * 32 + 32


@pytest.mark.parametrize(
    ("gate", "message"),
    [
        ({"reduction": 4, "squeeze": 8}, "layers[0].squeeze: give reduction or squeeze"),
        ({"gate": "relu"}, "layers[0].gate: 'relu': use one of sigmoid, hardsigmoid"),
        ({"act": "swish"}, "layers[0].act: 'swish'"),
        ({"divisor": 0}, "layers[0].divisor"),
    ],
)
def test_bad_gate(gate: dict[str, Any], message: str) -> None:
    assert message in failure([{"type": "gate", **gate}], [32, 2, 2])


# --- errors name the place in the spec -------------------------------------------------


def test_trace_errors_name_the_spec_path(tmp_path: Path) -> None:
    # The residual's body halves 8×8 with a pool; the identity shortcut keeps 8×8.
    spec = tmp_path / "net.toml"
    spec.write_text(
        'input = [3, 8, 8]\n[[layers]]\ntype = "pointwise"\ncout = 3\n'
        '[[layers]]\ntype = "residual"\nname = "stage1.2"\n'
        'layers = [{ type = "pointwise", cout = 3 }, { type = "pool", kernel = 2 }]\n'
    )
    result = run("model", str(spec))
    assert result.exit_code == 2
    assert f"{spec}: layers[1]: the body gives 3x4x4" in result.stderr
    assert "stage1.2" not in result.stderr


@pytest.mark.parametrize(
    ("layers", "templates", "place"),
    [
        (
            [{"type": "pool", "kernel": 2}, {"type": "pool", "kernel": 9}],
            {},
            "layers[1]: empty output",
        ),
        (
            [
                {
                    "type": "parallel",
                    "merge": "concat",
                    "streams": [
                        [{"type": "pointwise", "cout": 4}],
                        [{"type": "residual", "layers": [{"type": "pool", "kernel": 9}]}],
                    ],
                }
            ],
            {},
            "layers[0].streams[1][0].layers[0]: empty output",
        ),
        (
            [{"type": "pointwise", "cout": 3}, {"template": "t", "k": 5}],
            {
                "t": {
                    "args": ["k"],
                    "layers": [
                        {"type": "identity"},
                        {"type": "standard", "cout": 4, "kernel": "= k", "padding": 0},
                    ],
                }
            },
            'layers[1] (template "t").layers[1]: empty output',
        ),
        (
            [{"type": "flatten"}, {"type": "linear", "cout": 4}, {"type": "linear", "cout": 2}],
            {},
            "",
        ),
    ],
)
def test_errors_while_tracing_name_the_place(
    layers: list[dict[str, Any]], templates: dict[str, Any], place: str
) -> None:
    if not place:  # a spec that traces: nothing to name
        net(layers, [3, 4, 4], templates=templates)
        return
    message = failure(layers, [3, 4, 4], templates=templates)
    assert message.startswith(place), message


def onnx_model() -> bytes:
    # An ONNX ModelProto as protobuf bytes, written out by hand: field 1 ir_version = 8
    # (tag 0x08, varint 8), field 2 producer_name = "pytorch" (tag 0x12, length 7),
    # field 3 producer_version = "2.13" (tag 0x1a, length 4).
    return b"\x08\x08" + b"\x12\x07pytorch" + b"\x1a\x042.13"


@pytest.mark.parametrize(
    ("name", "content", "looks"),
    [
        ("resnet.onnx", b"anything", "an ONNX model (a protobuf)"),
        ("model.bin", onnx_model(), "an ONNX model (a protobuf)"),
        ("model.pt", b"PK\x03\x04\x14\x00\x00\x00", "a PyTorch checkpoint"),
        ("model.pth", b"\x80\x02}q\x00", "a Python pickle"),
        ("model.zip", b"PK\x03\x04\x14\x00", "a zip archive"),
        ("model.h5", b"\x89HDF\r\n\x1a\n\x00", "an HDF5 file"),
        ("x.toml", b"input = [3, 8]\x00\x01", "a binary file"),
    ],
)
def test_a_file_that_is_not_a_spec(tmp_path: Path, name: str, content: bytes, looks: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    # `model` reads a FILE.onnx as ONNX (tests/test_onnx.py); `fit --model` takes specs
    args = ["fit", "--max-params", "1M", "--model"] if name.endswith(".onnx") else ["model"]
    result = run(*args, str(path))
    assert result.exit_code == 2
    assert f"this looks like {looks}" in result.stderr
    assert "convcalc reads network specs written in TOML or JSON" in result.stderr
    assert "Traceback" not in result.stderr


# --- docs/spec.md: every complete example builds, with the figures it states ----------

DOCS = (ROOT / "docs" / "spec.md").read_text()


def doc_specs() -> list[str]:
    return [b for b in re.findall(r"```toml\n(.*?)```", DOCS, flags=re.S) if "input =" in b]


@pytest.mark.parametrize("text", doc_specs(), ids=lambda t: t.split('"')[1])
def test_docs_examples_state_their_figures(text: str) -> None:
    cost = trace(build(tomllib.loads(text), "docs.toml"))
    # The figures are in the comment lines at the end: "# params: … = N; MACs: … = M".
    comment = " ".join(line[2:] for line in text.splitlines() if line.startswith("# "))
    assert comment.startswith("params:")
    params_part, _, macs_part = comment.partition("MACs:")
    figure = re.compile(r"= ([0-9,]+)")
    assert cost.params == int(figure.findall(params_part)[-1].replace(",", ""))
    if macs_part:
        assert cost.macs == int(figure.findall(macs_part)[-1].replace(",", ""))


def test_docs_list_every_layer_type_and_key() -> None:
    for kind, keys in {**CONV_KEYS, **OTHER_KEYS}.items():
        assert f"| `{kind}` |" in DOCS, kind
        for key in keys:
            assert f"`{key}`" in DOCS, (kind, key)


@pytest.mark.parametrize("value", [{"a": 1}, [1], 1.5])
def test_template_argument_of_another_kind_is_refused(value: Any) -> None:
    t = {"args": ["x"], "layers": [{"type": "identity"}]}
    message = failure([{"template": "t", "x": value}], [3, 4, 4], templates={"t": t})
    assert "layers[0].x: expected a whole number, a string, true/false" in message


def test_a_name_is_text_even_with_an_equals_sign() -> None:
    cost = net([{"type": "identity", "name": "= x"}], [3, 4, 4])
    assert cost.children[0].name == "= x"


def test_json_details_of_the_new_kinds() -> None:
    spec = {
        "input": [8, 9, 9],
        "layers": [
            {"type": "pool", "kind": "max", "kernel": 2, "stride": 1},
            {"type": "act", "fn": "hardswish"},
            {"type": "shuffle", "groups": 4},
            {"type": "pool", "kind": "max", "kernel": 3, "stride": 2, "ceil_mode": True},
            {"type": "parallel", "merge": "concat", "split": [2, 6], "streams": [[], []]},
            {"type": "pool", "kind": "avg", "output": [2, 1]},
        ],
    }
    plain, *layers = _model(spec)["layers"]
    assert layers[0]["fn"] == "hardswish" and layers[1]["groups"] == 4
    assert layers[2]["ceil_mode"] is True and "adaptive" not in layers[2]
    assert (layers[3]["type"], layers[3]["split"], layers[3]["merge"]) == (
        "split",
        [2, 6],
        "concat",
    )
    assert layers[4]["adaptive"] == [2, 1]
    # A pool written as before says nothing more than before.
    assert not {"adaptive", "ceil_mode", "dilation"} & set(plain)


def test_squeezenet_with_fire_templates_and_ceil_mode_pools() -> None:
    # torchvision's SqueezeNet1_0_Weights.IMAGENET1K_V1 metadata: num_params 1,248,424,
    # 0.82 GFLOPS. Shapes by PyTorch's rule: conv 7/2 on 224: (224 − 7)//2 + 1 = 109;
    # ceil pools 3/2: ceil(106/2) + 1 = 54, ceil(51/2) + 1 = 27, ceil(24/2) + 1 = 13
    # (floor mode would give 54, 26, 12); the output is [1000] after the flatten.
    text = (ROOT / "tests" / "data" / "specs" / "squeezenet1_0.toml").read_text()
    cost = trace(build(tomllib.loads(text), "squeezenet1_0.toml"))
    pools = [c.output_shape for c in cost.children if c.type == "maxpool"]
    assert pools == [(96, 54, 54), (256, 27, 27), (512, 13, 13)]
    assert (cost.params, round(cost.macs / 1e9, 2), cost.output_shape) == (
        1_248_424,
        0.82,
        (1000,),
    )


def test_an_activation_works_in_place_and_follows_each_batchnorm() -> None:
    # A separable block 4 → 8 on 4×8×8, BatchNorm after each half, act = "relu":
    # a ReLU after each BatchNorm (MobileNet's Figure 3), so 4·8·8 + 8·8·8 = 768
    # elements activated, one operation each. In place, as torchvision's ReLUs are: the
    # activations held are the four outputs dw 256, bn 256, pw 512, bn 512 elements,
    # 1,536 × 4 bytes = 6,144 in fp32, the same as without the ReLUs.
    layer = {"type": "separable", "cout": 8, "kernel": 3, "padding": 1, "bn": True}
    plain = net([layer], [4, 8, 8])
    relu = net([{**layer, "act": "relu"}], [4, 8, 8])
    block = relu.children[0]
    assert [c.type for c in block.children] == [
        "depthwise",
        "batchnorm",
        "act",
        "pointwise",
        "batchnorm",
        "act",
    ]
    assert relu.extra_ops - plain.extra_ops == 768
    assert relu.activation_bytes == plain.activation_bytes == 6_144
    assert (relu.params, relu.macs) == (plain.params, plain.macs)
