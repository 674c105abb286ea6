"""What other tools print for the same layer or block, from their counting rules.

Each profiler in the PyTorch world counts a little differently: one multiply-add
is one operation to some and two to others, some add the bias, some charge
BatchNorm as compute, and some count a transposed convolution over its output.
The rules below were read from each tool's source (the versions named in
:data:`TOOLS`) and are checked against the installed tools by
``benchmarks/profilers.py``; nothing here imports them.

All counts are for the whole batch: per-sample counts times the batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from math import prod

from .core import BatchNorm, Conv, Shape
from .cost import BlockCost, LayerCost

__all__ = ["TOOLS", "Report", "Tool", "reported_by"]


@dataclass(frozen=True, kw_only=True)
class Report:
    """What one tool prints for a block: its parameter count and compute figure."""

    tool: str
    params: int
    compute: int | None
    """The tool's compute figure, or None for a tool that prints none."""
    unit: str | None
    """What the tool calls its figure ("MACs", "FLOPs", "Mult-Adds"), or None."""
    note: str
    """Why it differs from convcalc's MACs, in one line."""


Rule = Callable[[Conv | BatchNorm, Shape, Shape], int]


@dataclass(frozen=True)
class Tool:
    """A profiler's counting rules, per layer and per sample."""

    name: str
    version: str
    unit: str | None
    conv: Rule | None
    """Compute of a (transposed) convolution; None for a tool that prints no compute."""
    bn: Rule | None
    """Compute charged for an inference BatchNorm; None if it charges nothing."""
    per_sample: bool = False
    """Whether the tool prints a figure for one sample whatever the batch."""


def _out_positions(shape: Shape) -> int:
    return prod(shape[1:])


def _macs(conv: Conv, x: Shape, y: Shape) -> int:
    """True multiply-accumulates: transposed counted from the input side."""
    return conv.cost(x)[1]


def _bias(conv: Conv, y: Shape) -> int:
    return prod(y) if conv.bias else 0


def _torchinfo(layer: Conv | BatchNorm, x: Shape, y: Shape) -> int:
    # Every parameter of a Conv times the output positions; of any other layer, once.
    if isinstance(layer, Conv):
        return (layer.weights + (layer.cout if layer.bias else 0)) * _out_positions(y)
    return layer.params


def _ptflops(layer: Conv | BatchNorm, x: Shape, y: Shape) -> int:
    if isinstance(layer, Conv):
        return _macs(layer, x, y) + _bias(layer, y)
    return 2 * prod(x)  # affine BatchNorm: a multiply and an add per element


def _ptflops_aten(layer: Conv | BatchNorm, x: Shape, y: Shape) -> int:
    if isinstance(layer, Conv):
        return _macs(layer, x, y) + _bias(layer, y)
    return 0


def _fvcore(layer: Conv | BatchNorm, x: Shape, y: Shape) -> int:
    if isinstance(layer, Conv):
        # padding="same"/"valid" traces to aten::_convolution_mode, which it skips.
        return 0 if isinstance(layer.padding, str) else _macs(layer, x, y)
    return 2 * prod(x)  # eval mode; a model left in training mode is charged 5 per element


def _thop(layer: Conv | BatchNorm, x: Shape, y: Shape) -> int:
    if isinstance(layer, Conv):
        # Output elements × (cin / groups) × kernel: over the output even when transposed.
        return prod(y) * (layer.cin // layer.groups) * prod(layer.kernel)
    return 4 * prod(x)  # 2 per element, doubled for the affine scale and shift


def _calflops_sizes(conv: Conv, x: Shape) -> list[int]:
    """The output sizes calflops computes itself: the forward formula, with 'same'
    taken as (d·(k−1))//2 on both sides, for transposed layers too."""
    sizes = []
    for n, k, s, d, (before, _after) in zip(
        x[1:], conv.kernel, conv.stride, conv.dilation, conv.pads(x[1:]), strict=True
    ):
        pad = (d * (k - 1)) // 2 if conv.padding == "same" else before
        sizes.append((n + 2 * pad - d * (k - 1) - 1) // s + 1)
    return sizes


def _calflops(layer: Conv | BatchNorm, x: Shape, y: Shape) -> int:
    if isinstance(layer, BatchNorm):
        return 2 * prod(x)
    window = prod(layer.kernel)
    if layer.transposed:
        # Its "out_channels" is weight.shape[1], already cout / groups, and is then
        # divided by the groups again; the bias uses the forward output formula.
        per_group = layer.cout // layer.groups
        macs = window * layer.cin * (per_group // layer.groups) * prod(x[1:])
        bias = per_group * prod(_calflops_sizes(layer, x)) if layer.bias else 0
        return 2 * macs + bias
    positions = prod(_calflops_sizes(layer, x))
    macs = window * layer.cin * (layer.cout // layer.groups) * positions
    return 2 * macs + (layer.cout * positions if layer.bias else 0)


def _torchscan(layer: Conv | BatchNorm, x: Shape, y: Shape) -> int:
    if isinstance(layer, BatchNorm):
        # Per channel: add eps, sqrt; per element: subtract, divide, scale, shift.
        return 2 * layer.channels + 4 * prod(x)
    terms = prod(layer.kernel) * (layer.cin // layer.groups)
    flops = prod(y) * (2 * terms - 1 + int(layer.bias))
    return flops + (8 * layer.dims if layer.transposed else 0)


def _flop_counter_mode(layer: Conv | BatchNorm, x: Shape, y: Shape) -> int:
    return 2 * _macs(layer, x, y) if isinstance(layer, Conv) else 0


TOOLS: dict[str, Tool] = {
    "torchinfo": Tool("torchinfo", "1.8", "Mult-Adds", _torchinfo, _torchinfo),
    "ptflops": Tool("ptflops", "0.7.5", "MACs", _ptflops, _ptflops, per_sample=True),
    "ptflops-aten": Tool("ptflops-aten", "0.7.5", "MACs", _ptflops_aten, None),
    "fvcore": Tool("fvcore", "0.1.5", "flops", _fvcore, _fvcore),
    "thop": Tool("thop", "0.1.1", "MACs", _thop, _thop),
    "calflops": Tool("calflops", "0.3.2", "FLOPs", _calflops, _calflops),
    "torchscan": Tool("torchscan", "0.2.0", "FLOPs", _torchscan, _torchscan, per_sample=True),
    "flopcountermode": Tool("flopcountermode", "2.13", "FLOPs", _flop_counter_mode, None),
    "keras": Tool("keras", "3", None, None, None),
}
"""The tools whose figures convcalc derives, with the versions their rules come from."""


def keras_params(cost: BlockCost) -> tuple[int, int]:
    """(trainable, non-trainable) as Keras counts the block: built as Keras builds it
    (:func:`convcalc.conventions.keras_block`), with BatchNorm's moving mean and
    variance as non-trainable parameters."""
    from .conventions import keras_block

    return keras_block(cost.block).params, cost.buffers


def _notes(tool: Tool, cost: BlockCost) -> str:
    layers = list(cost.layers)
    convs = [c.layer for c in layers if isinstance(c.layer, Conv)]
    has_bias = any(c.bias for c in convs)
    has_bn = any(isinstance(c.layer, BatchNorm) for c in layers)
    transposed = [c for c in convs if c.transposed]
    strided_t = any(any(s > 1 for s in c.stride) for c in transposed)
    grouped_t = any(c.groups > 1 for c in transposed)
    same = any(c.padding == "same" for c in convs)
    name = tool.name
    if name == "keras":
        parts = ["prints no compute"]
        if has_bn:
            parts.append("counts BatchNorm's moving mean and variance as parameters (4 × C)")
        if cost.block.variant == "separable" and not cost.block.bn and has_bias:
            parts.append("SeparableConv2D has one bias, not two")
        return "; ".join(parts)
    parts = []
    if name in ("calflops", "flopcountermode", "torchscan"):
        parts.append(
            "FLOPs = 2 × MACs" + (" − 1 per output, + 1 for a bias" if name == "torchscan" else "")
        )
    if name == "torchinfo":
        parts.append("weight and bias elements × output positions")
    if has_bias and name in ("torchinfo", "ptflops", "ptflops-aten", "calflops"):
        parts.append("adds one bias addition per output element")
    if has_bn and tool.bn is not None:
        parts.append("charges BatchNorm as compute")
    if transposed and name in ("torchinfo", "thop", "torchscan") and strided_t:
        parts.append("counts the strided transposed convolution over its output (too many)")
    if grouped_t and name == "calflops":
        parts.append("divides a grouped transposed convolution by its groups twice")
    if transposed and name == "calflops":
        parts.append("sizes a transposed layer's bias with the forward formula")
    if same and name == "calflops":
        parts.append("takes 'same' padding as (d·(k−1))//2 a side, one short for even kernels")
    if name == "fvcore" and any(isinstance(c.padding, str) for c in convs):
        parts.append("skips a convolution with padding='same'/'valid' (aten::_convolution_mode)")
    if tool.per_sample and cost.batch > 1:
        parts.append("prints the figure for one sample")
    if not parts:
        parts.append("multiply-accumulates, as convcalc counts them")
    return "; ".join(parts)


def reported_by(cost: BlockCost, tools: Iterable[str]) -> dict[str, Report]:
    """Each named tool's figures for a measured block (with an input, for compute).

    >>> from convcalc.core import standard
    >>> from convcalc.cost import measure
    >>> cost = measure(standard(cin=64, cout=128, k=3), input=56)
    >>> {t: r.compute for t, r in reported_by(cost, ["torchinfo", "fvcore"]).items()}
    {'torchinfo': 231612416, 'fvcore': 231211008}
    """
    reports = {}
    for name in tools:
        tool = TOOLS[name]
        if name == "keras":
            trainable, non_trainable = keras_params(cost)
            reports[name] = Report(
                tool=name,
                params=trainable + non_trainable,
                compute=None,
                unit=None,
                note=_notes(tool, cost),
            )
            continue
        compute: int | None = None
        if cost.has_input:
            batch = 1 if tool.per_sample else cost.batch
            compute = sum(batch * _rule(tool, layer) for layer in cost.layers)
        reports[name] = Report(
            tool=name, params=cost.params, compute=compute, unit=tool.unit, note=_notes(tool, cost)
        )
    return reports


def _rule(tool: Tool, layer: LayerCost) -> int:
    assert layer.input_shape is not None and layer.output_shape is not None
    rule = tool.conv if isinstance(layer.layer, Conv) else tool.bn
    return 0 if rule is None else rule(layer.layer, layer.input_shape, layer.output_shape)
