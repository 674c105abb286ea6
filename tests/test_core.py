"""The formula core against independent figures: the post's arithmetic worked by
hand, PyTorch's recorded cases, and invariants that must hold for any input."""

from __future__ import annotations

from math import prod

import pytest
from conftest import TORCH, torch_conv
from hypothesis import given
from hypothesis import strategies as st

import convcalc
from convcalc.model.core import BatchNorm, Conv, ConvCalcError, make_block
from convcalc.model.cost import measure

# --- the post's worked examples, each written out by hand -----------------


@pytest.mark.parametrize(
    ("block", "by_hand"),
    [
        # 1. Standard: (C_in × K × K + 1) × C_out
        (convcalc.standard(cin=64, cout=128, k=3), (64 * 3 * 3 + 1) * 128),
        # 2. Depthwise: (K × K + 1) × C_in
        (convcalc.depthwise(cin=64, k=3), (3 * 3 + 1) * 64),
        # 3. Pointwise: (C_in + 1) × C_out
        (convcalc.pointwise(cin=64, cout=128), (64 + 1) * 128),
        # 4. MobileNet: (K × K + 1) × C_in + (C_in + 1) × C_out
        (convcalc.separable(cin=64, cout=128, k=3), (3 * 3 + 1) * 64 + (64 + 1) * 128),
        # 5. OSNet lite: (C_in + 1) × C_out + (K × K + 1) × C_out
        (convcalc.lite(cin=64, cout=128, k=3), (64 + 1) * 128 + (3 * 3 + 1) * 128),
    ],
)
def test_post_formulas(block: convcalc.Block, by_hand: int) -> None:
    assert block.params == by_hand


def test_post_printed_figures_that_follow_from_its_formulas() -> None:
    # The post's worked examples and its 64 => 128 table, as printed.
    assert convcalc.standard(cin=64, cout=128).params == 73_856
    assert convcalc.depthwise(cin=64).params == 640
    assert convcalc.pointwise(cin=64, cout=128).params == 8_320
    assert convcalc.separable(cin=64, cout=128).params == 8_960
    assert convcalc.lite(cin=64, cout=128).params == 9_600
    # 64 => 64 table: MobileNet and OSNet both print 4,800.
    assert convcalc.separable(cin=64, cout=64).params == 4_800
    assert convcalc.lite(cin=64, cout=64).params == 4_800


def test_post_erratum_standard_64_to_64() -> None:
    """The post prints 37,056 for a 3×3 standard convolution 64 => 64.

    Its own formula gives (64 × 3 × 3 + 1) × 64 = 577 × 64 = 36,928, which is
    also what PyTorch counts. 37,056 is what a BatchNorm (2 × 64 = 128 more)
    would add, which the post's formula does not have.
    """
    printed = 37_056
    block = convcalc.standard(cin=64, cout=64, k=3)
    assert block.params == 577 * 64 == 36_928 != printed
    assert block.params == TORCH["blog_variants"]["64->64"]["standard"]
    assert convcalc.standard(cin=64, cout=64, bn=True).params == printed


BLOG_BUILDERS = {
    "standard": lambda cin, cout: convcalc.standard(cin=cin, cout=cout),
    "depthwise": lambda cin, cout: convcalc.depthwise(cin=cin),
    "pointwise": lambda cin, cout: convcalc.pointwise(cin=cin, cout=cout),
    "separable": lambda cin, cout: convcalc.separable(cin=cin, cout=cout),
    "lite": lambda cin, cout: convcalc.lite(cin=cin, cout=cout),
    "lite, no bias, one BatchNorm after the depthwise (torchreid LightConv3x3)": (
        lambda cin, cout: convcalc.lite(cin=cin, cout=cout, bias=False, bn=True)
    ),
    "standard, no bias": lambda cin, cout: convcalc.standard(cin=cin, cout=cout, bias=False),
    "standard, bias, BatchNorm": lambda cin, cout: convcalc.standard(cin=cin, cout=cout, bn=True),
}


@pytest.mark.parametrize(
    ("pair", "name"),
    [(pair, name) for pair, figures in TORCH["blog_variants"].items() for name in figures],
)
def test_blog_variants_match_pytorch(pair: str, name: str) -> None:
    cin, cout = map(int, pair.split("->"))
    assert BLOG_BUILDERS[name](cin, cout).params == TORCH["blog_variants"][pair][name]


# --- PyTorch's recorded layers ----------------------------------------------


CASES = TORCH["cases"]
CASE_IDS = [f"{i}-{c['op']}-k{'x'.join(map(str, c['kernel']))}" for i, c in enumerate(CASES)]


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_torch_case_shapes_and_params(case: dict) -> None:
    conv, shape, batch = torch_conv(case)
    assert list(conv.weight_shape) == case["weight_shape"]
    assert conv.params == case["params"]
    assert [batch, *conv.output_shape(shape)] == case["output_shape"]


def output_based(conv: Conv, shape: tuple[int, ...]) -> int:
    """MACs as several profilers count them: weight elements × output positions."""
    return conv.weights * prod(conv.output_shape(shape)[1:])


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_torch_case_macs(case: dict) -> None:
    conv, shape, batch = torch_conv(case)
    assert batch * conv.macs(shape) == case["macs"]
    if "macs_output_based" in case:
        assert batch * output_based(conv, shape) == case["macs_output_based"]
    if "macs_plus_bias" in case:
        # The recorded figure adds one bias addition per output element to the
        # MACs; for transposed layers it was recorded on the output-based count.
        base = case.get("macs_output_based", case["macs"])
        assert base + batch * conv.extra_ops(shape) == case["macs_plus_bias"]


def test_transposed_strided_overcount_is_stride_product() -> None:
    # ConvTranspose2d(64, 32, 4, stride 2, padding 1) on 16×16: counted over
    # the 32×32 output, the MACs come out s² = 4 times too many.
    conv = Conv(cin=64, cout=32, kernel=(4, 4), stride=(2, 2), padding=(1, 1), transposed=True)
    assert conv.macs((64, 16, 16)) == 64 * 16 * 16 * 32 * 4 * 4
    assert output_based(conv, (64, 16, 16)) == 4 * conv.macs((64, 16, 16))


# --- BatchNorm placement ----------------------------------------------------


def test_batchnorm_where_the_architectures_put_it() -> None:
    sep = convcalc.separable(cin=64, cout=128, bias=False, bn=True)
    assert [type(layer).__name__ for layer in sep.layers] == [
        "Conv",
        "BatchNorm",
        "Conv",
        "BatchNorm",
    ]
    assert sep.params == 64 * 9 + 2 * 64 + 64 * 128 + 2 * 128
    assert sep.buffers == 2 * 64 + 2 * 128
    lite = convcalc.lite(cin=64, cout=128, bias=False, bn=True)
    assert [layer.name for layer in lite.layers] == ["pointwise", "depthwise", "bn"]
    assert lite.params == 64 * 128 + 128 * 9 + 2 * 128
    assert lite.buffers == 2 * 128


def test_block_chaining_and_stride_on_the_kxk_convolution() -> None:
    cost = measure(convcalc.separable(cin=32, cout=64, stride=2), input=(15, 16))
    dw, pw = cost.children
    assert dw.output_shape == (32, 8, 8)
    assert pw.input_shape == (32, 8, 8) and pw.output_shape == (64, 8, 8)
    lite = measure(convcalc.lite(cin=32, cout=64, stride=2), input=16)
    assert [c.output_shape for c in lite.children] == [(64, 16, 16), (64, 8, 8)]


# --- the paper's single-layer example (MobileNet Table 3) -------------------


def test_mobilenet_table3_layer() -> None:
    """3×3 conv on 14×14×512 to 512: 462 M Mult-Adds, 2.36 M params; separable 52.3 M, 0.27 M."""
    conv = measure(convcalc.standard(cin=512, cout=512, bias=False), input=14)
    assert round(conv.macs / 1e6) == 462
    assert round(conv.params / 1e6, 2) == 2.36
    sep = measure(convcalc.separable(cin=512, cout=512, bias=False), input=14)
    assert round(sep.macs / 1e6, 1) == 52.3
    assert round(sep.params / 1e6, 2) == 0.27


# --- errors -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "option"),
    [
        (dict(variant="standard", cin=6, cout=8, groups=4), "groups"),
        (dict(variant="standard", cin=0, cout=8), "cin"),
        (dict(variant="standard", cin=8, cout=8, k=0), "kernel"),
        (dict(variant="depthwise", cin=8, cout=12), "cout"),
        (dict(variant="lite", cin=8, cout=8, groups=2), "groups"),
        (dict(variant="pointwise", cin=8, cout=8, k=3), "kernel"),
        (dict(variant="lite", cin=8, cout=8, transposed=True), "transposed"),
        (dict(variant="standard", cin=8, cout=8, output_padding=1), "output_padding"),
        (
            dict(variant="standard", cin=8, cout=8, transposed=True, output_padding=2, stride=2),
            "output_padding",
        ),
        (dict(variant="standard", cin=8, cout=8, padding="same", stride=2), "padding"),
        (dict(variant="nope", cin=8, cout=8), "variant"),
    ],
)
def test_bad_input_names_the_option(kwargs: dict, option: str) -> None:
    with pytest.raises(ConvCalcError) as info:
        make_block(kwargs.pop("variant"), **kwargs)
    assert info.value.option == option


def test_empty_output_is_an_error() -> None:
    with pytest.raises(ConvCalcError, match="empty output"):
        measure(convcalc.standard(cin=3, cout=8, k=7, padding=0), input=5)


def test_exact_for_huge_sizes() -> None:
    block = convcalc.standard(cin=1_000_000, cout=1_000_000, k=7)
    assert block.params == (1_000_000 * 7 * 7 + 1) * 1_000_000
    big = 10**30
    assert convcalc.pointwise(cin=big, cout=big).params == (big + 1) * big


# --- invariants over random geometries --------------------------------------


def torch_out(length: int, k: int, s: int, p: int, d: int) -> int:
    """Conv output length as PyTorch's documentation writes it (Conv2d, "Shape")."""
    return (length + 2 * p - d * (k - 1) - 1) // s + 1


def torch_out_transposed(length: int, k: int, s: int, p: int, d: int, op: int) -> int:
    """ConvTranspose output length from PyTorch's documentation."""
    return (length - 1) * s - 2 * p + d * (k - 1) + op + 1


geometry = st.integers(min_value=1, max_value=3).flatmap(
    lambda dims: st.fixed_dictionaries(
        {
            "dims": st.just(dims),
            "kernel": st.lists(st.integers(1, 5), min_size=dims, max_size=dims),
            "stride": st.lists(st.integers(1, 3), min_size=dims, max_size=dims),
            "padding": st.lists(st.integers(0, 3), min_size=dims, max_size=dims),
            "dilation": st.lists(st.integers(1, 3), min_size=dims, max_size=dims),
            "input": st.lists(st.integers(1, 40), min_size=dims, max_size=dims),
        }
    )
)


@given(geometry, st.integers(1, 4), st.integers(1, 3), st.integers(1, 4), st.booleans())
def test_output_shape_and_macs_match_independent_formula(
    g: dict, cin_per_group: int, groups: int, cout_per_group: int, bias: bool
) -> None:
    expected = [
        torch_out(n, k, s, p, d)
        for n, k, s, p, d in zip(
            g["input"], g["kernel"], g["stride"], g["padding"], g["dilation"], strict=True
        )
    ]
    cin, cout = cin_per_group * groups, cout_per_group * groups
    conv = Conv(
        cin=cin,
        cout=cout,
        kernel=tuple(g["kernel"]),
        groups=groups,
        bias=bias,
        stride=tuple(g["stride"]),
        padding=tuple(g["padding"]),
        dilation=tuple(g["dilation"]),
    )
    if min(expected) < 1:
        with pytest.raises(ConvCalcError):
            conv.output_shape((cin, *g["input"]))
        return
    assert conv.output_shape((cin, *g["input"])) == (cout, *expected)
    # MACs: every output element takes a window of (cin/g) × prod(k) products.
    macs = conv.macs((cin, *g["input"]))
    assert macs == cout * prod(expected) * cin_per_group * prod(g["kernel"])
    assert conv.params == cout * cin_per_group * prod(g["kernel"]) + (cout if bias else 0)


@given(geometry, st.integers(1, 8), st.integers(1, 8))
def test_transposed_output_matches_independent_formula(g: dict, cin: int, cout: int) -> None:
    op = [min(1, s - 1) for s in g["stride"]]
    conv = Conv(
        cin=cin,
        cout=cout,
        kernel=tuple(g["kernel"]),
        stride=tuple(g["stride"]),
        padding=tuple(g["padding"]),
        dilation=tuple(g["dilation"]),
        transposed=True,
        output_padding=tuple(op),
    )
    expected = [
        torch_out_transposed(n, k, s, p, d, o)
        for n, k, s, p, d, o in zip(
            g["input"], g["kernel"], g["stride"], g["padding"], g["dilation"], op, strict=True
        )
    ]
    if min(expected) < 1:
        with pytest.raises(ConvCalcError):
            conv.output_shape((cin, *g["input"]))
        return
    assert conv.output_shape((cin, *g["input"])) == (cout, *expected)
    assert conv.macs((cin, *g["input"])) == cin * prod(g["input"]) * cout * prod(g["kernel"])


variants = st.sampled_from(["standard", "depthwise", "pointwise", "separable", "lite"])


@given(
    variants,
    st.integers(1, 64),
    st.integers(1, 64),
    st.sampled_from([1, 3, 5]),
    st.booleans(),
    st.booleans(),
    st.integers(5, 40),
    st.integers(1, 4),
)
def test_block_invariants(
    variant: str, cin: int, cout: int, k: int, bias: bool, bn: bool, size: int, batch: int
) -> None:
    block = make_block(
        variant,
        cin=cin,
        cout=None if variant == "depthwise" else cout,
        k=None if variant == "pointwise" else k,
        bias=bias,
        bn=bn,
    )
    # A total is the sum of its layers.
    assert block.params == sum(layer.params for layer in block.layers)
    one = measure(block, input=size)
    many = measure(block, input=size, batch=batch)
    assert one.macs == sum(layer.macs for layer in one.children)
    # Parameters do not depend on the input or the batch; compute scales with the batch.
    assert one.params == many.params == measure(block).params == block.params
    assert many.macs == batch * one.macs
    assert many.activation_bytes == batch * one.activation_bytes
    assert one.flops == 2 * one.macs
    # The default padding keeps an odd kernel's size at stride 1.
    assert one.output_shape[1:] == (size, size)
    # BatchNorm: 2 × C trainable and 2 × C buffers each.
    bns = [layer for layer in block.layers if isinstance(layer, BatchNorm)]
    assert block.buffers == sum(2 * b.channels for b in bns)
    assert (len(bns) > 0) == bn


@given(st.integers(1, 256), st.integers(1, 256), st.sampled_from([1, 3, 5, 7]))
def test_separable_ratio_matches_paper_closed_form(cin: int, cout: int, k: int) -> None:
    """Without bias and at equal output size, separable / standard MACs = 1/N + 1/K² exactly."""
    rows = convcalc.compare(cin=cin, cout=cout, k=k, bias=False, input=16)
    standard_row, separable_row = rows[0], rows[1]
    assert separable_row.macs_ratio == separable_row.paper_ratio
    assert standard_row.macs_ratio == 1


def test_memory_figures_by_hand() -> None:
    # Standard 64 -> 128, 3×3, on 56×56 in fp16, batch 2.
    cost = measure(convcalc.standard(cin=64, cout=128), input=56, batch=2, dtype="fp16")
    assert cost.weight_bytes == 73_856 * 2
    assert cost.activation_bytes == 2 * 128 * 56 * 56 * 2
    assert cost.peak_bytes == 2 * (64 + 128) * 56 * 56 * 2
    # A separable block: the peak pair is the pointwise's input and output.
    sep = measure(convcalc.separable(cin=64, cout=128), input=56)
    assert sep.peak_bytes == (64 + 128) * 56 * 56 * 4
    assert sep.extra_ops == 64 * 56 * 56 + 128 * 56 * 56  # one bias add per output element
