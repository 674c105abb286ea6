"""What other tools print for the same layer or block, from their counting rules.

Each profiler in the PyTorch world counts a little differently: one multiply-add
is one operation to some and two to others, some add the bias, some charge
BatchNorm as compute, and some count a transposed convolution per output element
instead of per input element. Each rule below states a tool's figure as convcalc's
MACs plus named terms (:class:`Term`), and each note is those terms written out, so
a note accounts for every difference it sits beside. The rules were read from each
tool's source (the versions named in :data:`TOOLS`) and are checked against the
installed tools by ``benchmarks/profilers.py``; nothing here imports them.

:func:`reported_by` reads a block's cost or a whole traced network's alike (one
:class:`~convcalc.model.cost.Cost` tree), with each tool's rules for pooling, linear
layers and activations besides, read from the network as PyTorch code usually writes
it (see :class:`Tool`).

All counts are for the whole batch: per-sample counts times the batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from math import prod
from typing import TYPE_CHECKING, Literal

from .core import BatchNorm, Conv, Shape, fmt

if TYPE_CHECKING:
    from .cost import Cost
    from .network import Gate, Linear, Pool

__all__ = ["TOOLS", "Report", "Term", "Tool", "reported_by"]


@dataclass(frozen=True, kw_only=True)
class Term:
    """One reason a tool's figure differs from convcalc's, with the amount it accounts for.

    >>> Term(figure="compute", amount=-768, reason="bias additions").text
    '− 768 bias additions'
    """

    figure: Literal["params", "compute"]
    """The figure it changes: the parameter count or the compute figure."""
    amount: int
    """What the tool adds to convcalc's figure; negative for what it leaves out."""
    reason: str

    @property
    def text(self) -> str:
        """The term as a note states it: sign, amount, reason."""
        sign = "+" if self.amount >= 0 else "−"
        unit = " parameters:" if self.figure == "params" else ""
        return f"{sign} {fmt(abs(self.amount))}{unit} {self.reason}"


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
    """Why it differs from convcalc's parameters and MACs: its terms, in one line."""
    terms: tuple[Term, ...] = ()
    """The differences: each figure is convcalc's plus the amounts of its terms."""


Terms = list[tuple[int, str]]
"""(amount, reason) pairs for one layer and one sample: what a tool adds to the
layer's true MACs (none for BatchNorm)."""

Rule = Callable[[Conv | BatchNorm, Shape, Shape], Terms]


PoolRule = Callable[["Pool", Shape, Shape], Terms]
LinearRule = Callable[["Linear", Shape, Shape], Terms]


@dataclass(frozen=True)
class Tool:
    """A profiler's counting rules, per layer and per sample.

    The rules for a whole network (pooling, linear layers, activations) read the
    network as PyTorch code usually writes it, as torchvision does: each layer an
    ``nn`` module (a global pool ``nn.AdaptiveAvgPool2d(1)``, a square pooling window
    given as one number), residual sums and gate products written ``a + b`` and
    ``x * g``, a flatten before a linear layer, and a shared module registered once
    and called from each place it is used.
    """

    name: str
    version: str
    unit: str | None
    conv: Rule | None
    """What the tool adds to a (transposed) convolution's MACs; None for a tool that
    prints no compute."""
    bn: Rule | None
    """Compute charged for an inference BatchNorm; None if it charges nothing."""
    per_sample: bool = False
    """Whether the tool prints a figure for one sample whatever the batch."""
    pool: PoolRule | None = None
    """Compute charged for a pooling layer (convcalc counts none); None for none."""
    linear: LinearRule | None = None
    """What the tool adds to a linear layer's MACs; None for nothing."""
    act: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    """Operations per element the tool charges for each activation (by the ``fn``
    names of the spec's ``act``), with the reason; an activation not listed costs 0."""
    unsupported: frozenset[str] = frozenset()
    """Activations the tool flags as unsupported, counting 0 and calling its total
    partial (torchscan prints it as "known")."""
    batch_wide: frozenset[str] = frozenset()
    """Reasons a per-sample tool still counts for the whole batch (ptflops divides
    its modules' counts by the batch, not those of the functions it patches)."""


# Each rule states a tool's figure as the layer's true MACs plus named terms, so
# that the figure and the note explaining it are computed from the same facts.

DOUBLED = "for FLOPs = 2 × MACs (a multiply and an add each)"
BIAS = "bias additions (one per output element)"


def _macs(conv: Conv, x: Shape) -> int:
    """True multiply-accumulates: transposed counted from the input side."""
    return conv.cost(x)[1]


def _bias(conv: Conv, y: Shape) -> int:
    return prod(y) if conv.bias else 0


def _sizes(sizes: Iterable[int]) -> str:
    return "×".join(map(str, sizes))


def _output_side(conv: Conv, x: Shape, y: Shape, times: int = 1) -> Terms:
    """Counting a transposed convolution per output element, as
    cout × prod(output) × (cin / groups) × prod(kernel), instead of per input element:
    its MACs times prod(output size) / prod(input size), which is more whenever the
    output is larger than the input (at any stride, or a kernel wider than its
    padding) and less when padding makes it smaller."""
    if not conv.transposed:
        return []  # the same count: a convolution's MACs are per output element
    over = prod(y) * (conv.cin // conv.groups) * prod(conv.kernel)
    ratio = Fraction(prod(y[1:]), prod(x[1:]))
    factor = f"{ratio.numerator:,}" + (f"/{ratio.denominator:,}" if ratio.denominator > 1 else "")
    reason = (
        "from counting the transposed convolution per output element: "
        f"× {factor} ({_sizes(y[1:])} output / {_sizes(x[1:])} input)"
    )
    if times == 2:
        reason += ", doubled"
    return [(times * (over - _macs(conv, x)), reason)]


def _torchinfo(layer: Conv | BatchNorm, x: Shape, y: Shape) -> Terms:
    # Every parameter of a Conv times the output positions; of any other layer, once.
    if isinstance(layer, Conv):
        return [*_output_side(layer, x, y), (_bias(layer, y), BIAS)]
    return [(layer.params, "for BatchNorm: its parameters (2 per channel), once per sample")]


def _ptflops(layer: Conv | BatchNorm, x: Shape, y: Shape) -> Terms:
    if isinstance(layer, Conv):
        return [(_bias(layer, y), BIAS)]
    # affine BatchNorm: a multiply and an add per element
    return [(2 * prod(x), "for BatchNorm: 2 operations per element")]


def _ptflops_aten(layer: Conv | BatchNorm, x: Shape, y: Shape) -> Terms:
    return [(_bias(layer, y), BIAS)] if isinstance(layer, Conv) else []


def _fvcore(layer: Conv | BatchNorm, x: Shape, y: Shape) -> Terms:
    if isinstance(layer, Conv):
        if isinstance(layer.padding, str):
            # padding="same"/"valid" traces to aten::_convolution_mode, which it skips.
            reason = (
                f"for the convolution with padding={layer.padding!r}, which traces to "
                "aten::_convolution_mode and is not counted"
            )
            return [(-_macs(layer, x), reason)]
        return []
    # eval mode; a model left in training mode is charged 5 per element
    return [(2 * prod(x), "for BatchNorm: 2 operations per element (eval mode)")]


def _thop(layer: Conv | BatchNorm, x: Shape, y: Shape) -> Terms:
    if isinstance(layer, Conv):
        # Output elements × (cin / groups) × kernel: over the output even when transposed.
        return _output_side(layer, x, y)
    # 2 per element, doubled for the affine scale and shift
    return [(4 * prod(x), "for BatchNorm: 4 operations per element")]


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


def _calflops(layer: Conv | BatchNorm, x: Shape, y: Shape) -> Terms:
    if isinstance(layer, BatchNorm):
        return [(2 * prod(x), "for BatchNorm: 2 operations per element")]
    window, macs, bias = prod(layer.kernel), _macs(layer, x), _bias(layer, y)
    sizes = _calflops_sizes(layer, x)
    terms = [(macs, DOUBLED)]
    if layer.transposed:
        # Its "out_channels" is weight.shape[1], already cout / groups, and is then
        # divided by the groups again; the bias uses the forward output formula.
        per_group = layer.cout // layer.groups
        counted = window * layer.cin * (per_group // layer.groups) * prod(x[1:])
        terms.append(
            (
                2 * (counted - macs),
                "from dividing the grouped transposed convolution's MACs by its "
                f"{layer.groups} groups a second time, doubled",
            )
        )
        if layer.bias:
            added = per_group * prod(sizes)
            reason = BIAS
            if added != bias:
                reason = (
                    "bias additions, sized by the forward formula: "
                    f"{per_group:,} × {prod(sizes):,}, where the output has "
                    f"{layer.cout:,} × {prod(y[1:]):,} elements"
                )
            terms.append((added, reason))
        return terms
    positions = prod(sizes)
    counted = 2 * window * layer.cin * (layer.cout // layer.groups) * positions
    counted += layer.cout * positions if layer.bias else 0
    terms.append((bias, BIAS))
    terms.append(
        (
            counted - 2 * macs - bias,
            "from taking 'same' padding as (d·(k−1))//2 a side: output "
            f"{_sizes(sizes)}, not {_sizes(y[1:])} (MACs doubled, bias added)",
        )
    )
    return terms


def _torchscan(layer: Conv | BatchNorm, x: Shape, y: Shape) -> Terms:
    if isinstance(layer, BatchNorm):
        # Per channel: add eps, sqrt; per element: subtract, divide, scale, shift.
        return [
            (
                2 * layer.channels + 4 * prod(x),
                "for BatchNorm: 4 operations per element and 2 per channel",
            )
        ]
    # Per output element: n products summed by n − 1 additions, + 1 for a bias.
    terms = [
        (_macs(layer, x), DOUBLED),
        *_output_side(layer, x, y, times=2),
        (-prod(y), "additions: n products take n − 1 (one fewer per output element)"),
        (_bias(layer, y), BIAS),
    ]
    if layer.transposed:
        terms.append((8 * layer.dims, "torchscan's constant for a transposed convolution"))
    return terms


def _flop_counter_mode(layer: Conv | BatchNorm, x: Shape, y: Shape) -> Terms:
    return [(_macs(layer, x), DOUBLED)] if isinstance(layer, Conv) else []


# --- pooling, linear layers and activations (whole networks) -------------------
# A global pool is adaptive pooling to 1 (nn.AdaptiveAvgPool2d(1)): Pool.adaptive.


def _pool_name(pool: Pool) -> str:
    return ("adaptive " if pool.adaptive else "") + ("max" if pool.kind == "max" else "average")


# ptflops counts a module by its hook, and also counts the torch.nn.functional calls
# it patches (F.relu, F.max_pool2d, …) wherever they run, inside a module's forward
# too: nn.ReLU, which calls F.relu, is counted twice. Its hooks' counts are divided by
# the batch; the patched calls' are not.
_PTFLOPS_POOL = "for pooling: 1 operation per input element (the module's hook)"
_PTFLOPS_POOL_F = (
    "for pooling: 1 operation per input element again (the F.*_pool call it makes, "
    "counted for the whole batch)"
)


def _ptflops_pool(pool: Pool, x: Shape, y: Shape) -> Terms:
    return [(prod(x), _PTFLOPS_POOL), (prod(x), _PTFLOPS_POOL_F)]


def _fvcore_pool(pool: Pool, x: Shape, y: Shape) -> Terms:
    # Only aten::adaptive_avg_pool2d has a handler: one per input element.
    if pool.kind == "avg" and pool.adaptive and len(x) == 3:
        return [(prod(x), "for 2D adaptive average pooling: 1 operation per input element")]
    return []


def _thop_pool(pool: Pool, x: Shape, y: Shape) -> Terms:
    if pool.kind == "max":
        return []  # zero_ops
    if not pool.adaptive:
        return [(prod(y), "for average pooling: 1 operation per output element")]
    # (input / output size, per dimension, multiplied) + 1 per output element. thop
    # computes it in float64 and truncates: where the sizes do not divide, its figure
    # can be one less than the exact one, so its arithmetic is repeated here as it is
    # (Python's float is the same IEEE double; each step in thop's order).
    window = 1.0
    for i, o in zip(x[1:], y[1:], strict=True):
        window *= float(i) / float(o)
    return [
        (
            int((window + 1) * float(prod(y))),
            "for adaptive average pooling: the window (input / output size) + 1 "
            "operations per output element",
        )
    ]


def _calflops_pool(pool: Pool, x: Shape, y: Shape) -> Terms:
    return [(prod(x), "for pooling: 1 operation per input element")]


def _torchscan_pool(pool: Pool, x: Shape, y: Shape) -> Terms:
    dims = len(x) - 1
    note = ""
    if pool.adaptive:
        # Its approximation of the window: in // out where it divides, else in % out + 1.
        window = prod(
            i // o if i % o == 0 else i % o + 1 for i, o in zip(x[1:], y[1:], strict=True)
        )
    else:
        assert pool.kernel is not None
        kernel = pool.kernel if len(pool.kernel) == dims else pool.kernel * dims
        if len(set(kernel)) == 1 and dims > 1:
            # A square window written as one number (nn.MaxPool2d(3)) stays an int in
            # the module, and torchscan takes it as the window's size: 3, not 9.
            window = kernel[0]
            note = (
                f" (a {kernel[0]}×{kernel[0]} window written as {kernel[0]} counts as {kernel[0]})"
            )
        else:
            window = prod(kernel)
    if pool.kind == "max":
        reason = f"for {_pool_name(pool)} pooling: window − 1 comparisons per output element"
        return [(prod(y) * (window - 1), reason + note)]
    reason = (
        f"for {_pool_name(pool)} pooling: window − 1 additions and {dims} more per output element"
    )
    return [(prod(y) * (window - 1 + dims), reason + note)]


def _linear_macs(linear: Linear) -> int:
    return linear.cin * linear.cout


def _linear_bias(linear: Linear) -> Terms:
    return [(linear.cout, BIAS)] if linear.bias else []


def _linear_doubled(linear: Linear, x: Shape, y: Shape) -> Terms:
    return [(_linear_macs(linear), DOUBLED)]


def _torchscan_linear(linear: Linear, x: Shape, y: Shape) -> Terms:
    return [
        (_linear_macs(linear), DOUBLED),
        (-linear.cout, "additions: n products take n − 1 (one fewer per output element)"),
        *_linear_bias(linear),
    ]


def _functional(name: str, function: str) -> str:
    return (
        f"for {name}: 1 operation per element (the F.{function} call nn.{name} makes, "
        "counted for the whole batch)"
    )


_PTFLOPS_ACT: dict[str, list[tuple[int, str]]] = {
    "relu": [
        (1, "for ReLU: 1 operation per element (nn.ReLU's hook)"),
        (1, _functional("ReLU", "relu")),
    ],
    "gelu": [
        (1, "for GELU: 1 operation per element (nn.GELU's hook)"),
        (1, _functional("GELU", "gelu")),
    ],
    # nn.ReLU6 calls F.hardtanh, which is not patched: only its hook counts.
    "relu6": [(1, "for ReLU6: 1 operation per element (nn.ReLU6's hook)")],
    # nn.SiLU has no hook, but the F.silu it calls is patched.
    "silu": [(1, _functional("SiLU", "silu"))],
}
# calflops counts only the functions it patches: nn.ReLU6 (F.hardtanh), nn.Sigmoid,
# nn.Tanh, nn.Hardswish and nn.Hardsigmoid cost nothing.
_CALFLOPS_ACT: dict[str, list[tuple[int, str]]] = {
    "relu": [(1, "for ReLU: 1 operation per element (F.relu)")],
    "gelu": [(1, "for GELU: 1 operation per element (F.gelu)")],
    "silu": [(1, "for SiLU: 1 operation per element (F.silu)")],
}
# torchscan has formulas for these; SiLU, GELU, Hardswish, Hardsigmoid are
# "not supported" and cost nothing.
_TORCHSCAN_ACT: dict[str, list[tuple[int, str]]] = {
    "relu": [(1, "for ReLU: 1 comparison per element")],
    "relu6": [(2, "for ReLU6: 2 comparisons per element")],
    "sigmoid": [(4, "for sigmoid: 4 operations per element")],
    "tanh": [(6, "for tanh: 6 operations per element")],
}


TOOLS: dict[str, Tool] = {
    "torchinfo": Tool(
        "torchinfo",
        "1.8",
        "Mult-Adds",
        _torchinfo,
        _torchinfo,
        linear=lambda linear, x, y: _linear_bias(linear),
    ),
    "ptflops": Tool(
        "ptflops",
        "0.7.5",
        "MACs",
        _ptflops,
        _ptflops,
        per_sample=True,
        pool=_ptflops_pool,
        linear=lambda linear, x, y: _linear_bias(linear),
        act=_PTFLOPS_ACT,
        batch_wide=frozenset(
            [
                _PTFLOPS_POOL_F,
                *(r for terms in _PTFLOPS_ACT.values() for _, r in terms if "batch" in r),
            ]
        ),
    ),
    "ptflops-aten": Tool(
        "ptflops-aten",
        "0.7.5",
        "MACs",
        _ptflops_aten,
        None,
        linear=lambda linear, x, y: _linear_bias(linear),
    ),
    "fvcore": Tool("fvcore", "0.1.5", "flops", _fvcore, _fvcore, pool=_fvcore_pool),
    "thop": Tool("thop", "0.1.1", "MACs", _thop, _thop, pool=_thop_pool),
    "calflops": Tool(
        "calflops",
        "0.3.2",
        "FLOPs",
        _calflops,
        _calflops,
        pool=_calflops_pool,
        linear=_linear_doubled,
        act=_CALFLOPS_ACT,
    ),
    "torchscan": Tool(
        "torchscan",
        "0.2.0",
        "FLOPs",
        _torchscan,
        _torchscan,
        per_sample=True,
        pool=_torchscan_pool,
        linear=_torchscan_linear,
        act=_TORCHSCAN_ACT,
        unsupported=frozenset(["silu", "gelu", "hardswish", "hardsigmoid"]),
    ),
    "flopcountermode": Tool(
        "flopcountermode", "2.13", "FLOPs", _flop_counter_mode, None, linear=_linear_doubled
    ),
    "keras": Tool("keras", "3", None, None, None),
}
"""The tools whose figures convcalc derives, with the versions their rules come from."""


def _figure(tool: Tool, terms: Iterable[Terms], macs: int, batch: int) -> tuple[int, list[Term]]:
    """The tool's compute figure from convcalc's MACs for the batch and each layer's
    terms for one sample, with the terms added up by reason and scaled to the batch
    (or, for a tool that prints one sample's figure, the batch left out as a term)."""
    by_reason: dict[str, int] = {}
    for layer_terms in terms:
        for amount, reason in layer_terms:
            by_reason[reason] = by_reason.get(reason, 0) + amount
    per_sample = macs // batch + sum(by_reason.values())
    found = [
        Term(figure="compute", amount=batch * amount, reason=reason)
        for reason, amount in by_reason.items()
        if amount
    ]
    if tool.per_sample and batch > 1:
        divided = per_sample - sum(by_reason.get(reason, 0) for reason in tool.batch_wide)
        left_out = (batch - 1) * divided
        reason = f"for printing one sample's figure, not the batch of {batch:,}"
        found.append(Term(figure="compute", amount=-left_out, reason=reason))
        return batch * per_sample - left_out, found
    return batch * per_sample, found


def _note(tool: Tool, terms: list[Term], has_input: bool) -> str:
    parts = [term.text for term in terms]
    if tool.conv is None:
        parts.insert(0, "prints no compute")
    elif not has_input:
        parts.insert(0, "compute needs an input size")
    elif not any(term.figure == "compute" for term in terms):
        parts.insert(0, "counts MACs as convcalc does")
    compute = [term.amount for term in terms if term.figure == "compute"]
    if compute and sum(compute) == 0:
        parts.insert(0, "the same compute figure, its differences cancelling")
    return "; ".join(parts)


def reported_by(cost: Cost, tools: Iterable[str]) -> dict[str, Report]:
    """Each named tool's figures for a measured block or a traced network (with an
    input, for compute), each with the terms by which it differs from convcalc's:
    every layer's terms (convolutions, BatchNorm, pooling, linear layers, activations,
    a gate's own activations) added up by reason.

    >>> from convcalc.model.core import standard
    >>> from convcalc.model.cost import measure
    >>> cost = measure(standard(cin=64, cout=128, k=3), input=56)
    >>> {t: r.compute for t, r in reported_by(cost, ["torchinfo", "fvcore"]).items()}
    {'torchinfo': 231612416, 'fvcore': 231211008}
    >>> reported_by(cost, ["torchinfo"])["torchinfo"].note
    '+ 401,408 bias additions (one per output element)'
    >>> from convcalc.model.network import Linear, Network, Pool, Seq, trace
    >>> net = Network(name="tiny", input_shape=(3, 32, 32), body=Seq(children=(
    ...     standard(cin=3, cout=8, bn=True, bias=False), Pool(kind="avg"),
    ...     Linear(cin=8, cout=10))))
    >>> cost = trace(net)
    >>> cost.macs, reported_by(cost, ["ptflops"])["ptflops"].compute
    (221264, 254042)
    >>> for term in reported_by(cost, ["ptflops"])["ptflops"].terms:
    ...     print(term.amount, term.reason.split(" (")[0])
    10 bias additions
    16384 for BatchNorm: 2 operations per element
    8192 for pooling: 1 operation per input element
    8192 for pooling: 1 operation per input element again
    """
    reports = {}
    for name in tools:
        tool = TOOLS[name]
        compute: int | None = None
        terms: list[Term] = []
        if tool.conv is None:
            terms = _keras_terms(cost)
        elif cost.macs is not None:
            compute, terms = _figure(tool, _terms(tool, cost), cost.macs, cost.batch)
        note = _note(tool, terms, cost.has_input)
        missing = _unsupported(tool, cost)
        if missing:
            note += (
                f"; prints its total as “known” (a partial sum): it has no formula for "
                f"{', '.join(_MODULES[fn] for fn in missing)}, which it counts as 0"
            )
        reports[name] = _report(tool, cost.params, compute, terms, note)
    return reports


def _report(tool: Tool, params: int, compute: int | None, terms: list[Term], note: str) -> Report:
    """A tool's report: convcalc's parameters with the tool's parameter terms added."""
    return Report(
        tool=tool.name,
        params=params + sum(t.amount for t in terms if t.figure == "params"),
        compute=compute,
        unit=tool.unit,
        note=note,
        terms=tuple(terms),
    )


_MODULES = {
    "relu": "nn.ReLU",
    "relu6": "nn.ReLU6",
    "hardswish": "nn.Hardswish",
    "silu": "nn.SiLU",
    "sigmoid": "nn.Sigmoid",
    "hardsigmoid": "nn.Hardsigmoid",
    "gelu": "nn.GELU",
    "tanh": "nn.Tanh",
}
"""The PyTorch module of each activation a spec names."""


def _unsupported(tool: Tool, cost: Cost) -> list[str]:
    """The activations in the network (a gate's two included) that the tool does
    not support, in the order they first run."""
    from .network import Act, Gate

    found: dict[str, None] = {}
    for _, node in cost.walk():
        if isinstance(node.layer, Act):
            found[node.layer.fn] = None
        elif isinstance(node.node, Gate):
            found[node.node.act] = found[node.node.gate] = None
    return [fn for fn in found if fn in tool.unsupported]


def _terms(tool: Tool, cost: Cost) -> Iterator[Terms]:
    """Each node's terms for one sample, in forward order."""
    from .network import Act, Gate, Linear, Pool

    for _, node in cost.walk():
        layer = node.layer
        x, y = node.input_shape, node.output_shape
        assert x is not None and y is not None  # measured on an input, for compute
        if isinstance(layer, Conv):
            assert tool.conv is not None
            yield tool.conv(layer, x, y)
        elif isinstance(layer, BatchNorm):
            yield tool.bn(layer, x, y) if tool.bn else []
        elif isinstance(layer, Pool):
            yield tool.pool(layer, x, y) if tool.pool else []
        elif isinstance(layer, Linear):
            yield tool.linear(layer, x, y) if tool.linear else []
        elif isinstance(layer, Act):
            yield _act(tool, layer.fn, prod(x))
        elif isinstance(node.node, Gate):
            yield from _gate_acts(tool, node, node.node)
        # Flatten, identity, shuffle, a split and the sums of residual and parallel
        # blocks (a + b) are counted by none of the tools.


def _act(tool: Tool, fn: str, elements: int) -> Terms:
    return [(per_element * elements, reason) for per_element, reason in tool.act.get(fn, [])]


def _gate_acts(tool: Tool, cost: Cost, gate: Gate) -> Iterator[Terms]:
    """The activation after a gate's first 1×1 convolution and the one after its
    second (sigmoid or hard sigmoid); the product with the input, ``x * g``, is
    counted by none of the tools."""
    first, second = [c.output_shape for c in cost.children if isinstance(c.layer, Conv)]
    assert first is not None and second is not None
    yield _act(tool, gate.act, prod(first))
    yield _act(tool, gate.gate, prod(second))


def _keras_terms(cost: Cost) -> list[Term]:
    """Keras' parameters for a block or a network: BatchNorm's moving statistics, and one bias
    less for each separable block built as a SeparableConv2D."""
    dropped = 0
    for _, node in cost.walk():
        if node.type == "separable" and not any(
            isinstance(c.layer, BatchNorm) for c in node.children
        ):
            first = node.children[0].layer
            if isinstance(first, Conv) and first.bias and not node.shared:
                dropped += first.cout
    terms = [
        Term(
            figure="params",
            amount=-dropped,
            reason="Keras' separable convolution has one bias, not two (none depthwise)",
        ),
        Term(
            figure="params",
            amount=cost.buffers,
            reason="BatchNorm's moving mean and variance, which Keras counts (non-trainable)",
        ),
    ]
    return [term for term in terms if term.amount]
