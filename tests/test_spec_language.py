"""The spec language of issue #12 (design: /work/design/spec-language.md), each feature
against figures worked out by hand in the test, by PyTorch's own rules (its pooling
output formula, its adaptive bins, torchvision's _make_divisible) written out here."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import run

from convcalc.model.errors import ConvCalcError
from convcalc.model.network import NodeCost, adaptive_bins, breakdown, trace
from convcalc.model.spec import CONV_KEYS, OTHER_KEYS, build


def net(layers: list[dict[str, Any]], shape: list[int], **top: Any) -> NodeCost:
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
