"""Spec semantics found wrong in review: template defaults naming ``in`` (a default is
part of the template, so its ``in`` is the channels entering each copy of the use, as
docs/spec.md says: "the channels entering the innermost template use as built"), and
what follows a flatten."""

from __future__ import annotations

from typing import Any

import pytest

from convcalc.model.cost import Cost
from convcalc.model.errors import ConvCalcError
from convcalc.model.network import trace
from convcalc.model.spec import build

EXPAND = {"args": {"hidden": "= in * 2"}, "layers": [{"type": "pointwise", "cout": "= hidden"}]}


def net(layers: list[dict[str, Any]], shape: list[int], **top: Any) -> Cost:
    return trace(build({"input": shape, "layers": layers, **top}, "test.toml"))


def test_a_default_naming_in_is_read_for_each_repeated_copy() -> None:
    # 16 → 32 → 64 → 128 channels: each copy doubles what enters it. Params of a 1×1
    # conv with bias: cin·cout + cout = 16·32 + 32 = 544, 32·64 + 64 = 2,112,
    # 64·128 + 128 = 8,320; total 10,976 (a default read once would give 32 each time).
    cost = net([{"template": "x", "repeat": 3}], [16, 8, 8], templates={"x": EXPAND})
    assert [c.output_shape[0] for c in cost.children] == [32, 64, 128]
    assert [c.params for c in cost.children] == [544, 2_112, 8_320]
    assert cost.params == 10_976


def test_a_default_naming_in_inside_another_template_reads_its_own_use() -> None:
    # The outer template first widens 16 → 24 (16·24 + 24 = 408), then uses x, which
    # enters with 24 channels: hidden = 48, params 24·48 + 48 = 1,200 (reading the
    # outer use's in, 16, would give 32 channels).
    outer = {"args": [], "layers": [{"type": "pointwise", "cout": 24}, {"template": "x"}]}
    cost = net([{"template": "outer"}], [16, 8, 8], templates={"x": EXPAND, "outer": outer})
    assert cost.output_shape == (48, 8, 8)
    assert cost.params == 408 + 1_200


def test_a_default_reads_the_arguments_before_it_and_the_copies_stride() -> None:
    # pad defaults to stride: the first copy strides 2 with padding 2 on a 3×3 kernel
    # (the conv's own rule, (8 + 4 − 3)//2 + 1 = 5), later copies stride 1 and pad 1
    # ((5 + 2 − 3)//1 + 1 = 5).
    t = {
        "args": {"stride": 2, "pad": "= stride"},
        "layers": [{"type": "standard", "cout": 4, "stride": "= stride", "padding": "= pad"}],
    }
    cost = net([{"template": "t", "repeat": 2}], [4, 8, 8], templates={"t": t})
    assert [c.output_shape for c in cost.children] == [(4, 5, 5), (4, 5, 5)]


def test_a_given_argument_is_read_where_the_use_is_written() -> None:
    # At the top level, in is what enters the use: 16, so c = 32 for every copy
    # (a key given is the same in each copy, as repeat copies every key).
    t = {"args": ["c"], "layers": [{"type": "pointwise", "cout": "= c"}]}
    cost = net([{"template": "t", "c": "= in * 2", "repeat": 2}], [16, 8, 8], templates={"t": t})
    assert [c.output_shape[0] for c in cost.children] == [32, 32]


# --- after a flatten: the features are known when the network is traced --------------


def test_a_linear_cin_after_a_flatten_states_the_features() -> None:
    # 3×8×8 flattens to 192 features; Linear(192, 4): 192·4 + 4 = 772 params.
    flat = [{"type": "flatten"}, {"type": "linear", "cout": 4, "cin": 192}]
    assert net(flat, [3, 8, 8]).params == 772
    with pytest.raises(ConvCalcError, match="declares 3 input features but receives 192"):
        net([{"type": "flatten"}, {"type": "linear", "cout": 4, "cin": 3}], [3, 8, 8])


def test_in_after_a_flatten_is_an_error_not_zero() -> None:
    with pytest.raises(
        ConvCalcError, match=r"layers\[1\]\.cout: .*in is not known after a flatten"
    ):
        net([{"type": "flatten"}, {"type": "linear", "cout": "= in // 2"}], [3, 8, 8])


# --- defaults ----------------------------------------------------------------------


@pytest.mark.parametrize("padding", [-1, [1, -2], True, 1.5, "= 1"])
def test_a_bad_default_padding_is_named_where_it_is_written(padding: Any) -> None:
    # It used to be read only by a convolution that takes it: a spec of pools let it
    # pass, and a convolution's error named the layer, not defaults.padding.
    for layers in ([{"type": "pool", "kernel": 2}], [{"type": "standard", "cout": 2}]):
        with pytest.raises(ConvCalcError, match=r"test.toml: defaults\.padding: "):
            net(layers, [3, 8, 8], defaults={"padding": padding})


def test_a_good_default_padding_still_applies() -> None:
    # padding 2 on a 3×3 conv: (8 + 4 − 3) + 1 = 10; "same" keeps 8.
    assert net(
        [{"type": "standard", "cout": 2}], [3, 8, 8], defaults={"padding": 2}
    ).output_shape == (2, 10, 10)
    assert net(
        [{"type": "standard", "cout": 2}], [3, 8, 8], defaults={"padding": "same"}
    ).output_shape == (2, 8, 8)


POINTWISE = [{"type": "pointwise", "cout": 8}]
UNKNOWN_KEYS = [
    pytest.param(
        {"layres": []},
        "test.toml: layres: unknown key (did you mean 'layers'?): use about, args, defaults, "
        "divisor, input, layers, min_channels, name, rounding, templates, widths",
        id="top",
    ),
    pytest.param(
        {"defaults": {"bais": False}},
        "test.toml: defaults.bais: unknown key (did you mean 'bias'?): use bias, bn, dtype, "
        "padding",
        id="defaults",
    ),
    pytest.param(
        {"templates": {"fire": {"layers": POINTWISE, "arg": []}}},
        "test.toml: templates.fire.arg: unknown key (did you mean 'args'?): use about, args, "
        "layers",
        id="template",
    ),
    pytest.param(
        {"layers": [*POINTWISE, {"type": "pool", "kind": "max", "kernal": 2}]},
        "test.toml: layers[1].kernal: unknown key (did you mean 'kernel'?): use ceil_mode, cin, "
        "dilation, global, kernel, kind, name, output, padding, repeat, stride, type",
        id="layer",
    ),
    pytest.param(
        {"layers": [{"type": "residual", "layers": [{"type": "pointwise", "cout": 3, "zz": 1}]}]},
        "test.toml: layers[0].layers[0].zz: unknown key: use act, bias, bn, cin, cout, groups, "
        "name, repeat, stride, type",
        id="nested-layer-no-suggestion",
    ),
]


@pytest.mark.parametrize(("top", "message"), UNKNOWN_KEYS)
def test_an_unknown_key_is_said_one_way_wherever_it_is(top: dict[str, Any], message: str) -> None:
    # Each table of a spec: its place and the key, the key perhaps meant, the keys allowed.
    with pytest.raises(ConvCalcError) as error:
        build({"input": [3, 8, 8], "layers": POINTWISE, **top}, "test.toml")
    assert str(error.value) == message
