"""Whole networks: layers beyond convolutions, blocks with branches, and their cost.

A network is a tree of nodes. Leaves are the core's :class:`~convcalc.model.core.Block`
(a convolution variant with its BatchNorm), :class:`Pool`, :class:`Linear` and
:class:`Gate`; inner nodes are :class:`Seq` (in order), :class:`Residual`
(a body plus a shortcut, summed) and :class:`Parallel` (streams merged by sum or
concatenation). A :class:`Shared` node is a module that runs in several places:
its parameters are counted once, its MACs every time it runs.

:func:`trace` walks the tree with a shape and returns a :class:`NodeCost` tree
whose every total is the sum of its children. Pure arithmetic: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from math import prod
from typing import Literal, NamedTuple

from .core import (
    BatchNorm,
    Block,
    Conv,
    ConvCalcError,
    Shape,
    _sizes,
    make_block,
    size_text,
)
from .cost import DTYPES, compute
from .names import SWAP_VARIANTS

__all__ = [
    "CATEGORIES",
    "Gate",
    "Kept",
    "Linear",
    "Network",
    "NodeCost",
    "Parallel",
    "Pool",
    "Residual",
    "Seq",
    "Shared",
    "kept",
    "swap",
    "trace",
]


@dataclass(frozen=True, kw_only=True)
class Pool:
    """Max or average pooling; ``kernel=None`` pools globally to 1×1."""

    kind: Literal["max", "avg"] = "avg"
    kernel: tuple[int, ...] | None = None
    stride: tuple[int, ...] | None = None
    padding: tuple[int, ...] | None = None
    name: str = "pool"

    params = 0
    buffers = 0

    def output_shape(self, shape: Shape) -> Shape:
        """Pooled shape (PyTorch's formula, floor mode); global pooling keeps the rank."""
        channels, size = shape[0], shape[1:]
        if self.kernel is None:
            return (channels, *(1 for _ in size))
        dims = len(size)
        kernel = _sizes(self.kernel, dims, "kernel")
        stride = _sizes(self.stride or kernel, dims, "stride")
        padding = _sizes(self.padding or 0, dims, "padding", minimum=0)
        out = []
        for n, k, s, p in zip(size, kernel, stride, padding, strict=True):
            if 2 * p > k:
                raise ConvCalcError(
                    f"{self.name}: padding {p} must be at most half the kernel {k}",
                    option="padding",
                )
            span = n + 2 * p - k
            if span < 0:
                raise ConvCalcError(
                    f"{self.name}: empty output: kernel {k} does not fit the input {n} "
                    f"(padding {p})",
                    option="input",
                )
            out.append(span // s + 1)
        return (channels, *out)

    def cost(self, shape: Shape) -> tuple[Shape, int, int]:
        """(output shape, MACs, extra operations): pooling has no multiply-accumulates;
        it compares or adds about once per input element."""
        return self.output_shape(shape), 0, prod(shape)


@dataclass(frozen=True, kw_only=True)
class Linear:
    """A fully connected layer; its input is flattened (C, 1, 1) or (C,)."""

    cin: int
    cout: int
    bias: bool = True
    name: str = "fc"

    buffers = 0

    @property
    def params(self) -> int:
        """Weights cin × cout, plus a bias per output."""
        return self.cin * self.cout + (self.cout if self.bias else 0)

    def output_shape(self, shape: Shape) -> Shape:
        """``(cout,)``; the input must flatten to ``cin`` features."""
        if prod(shape) != self.cin:
            raise ConvCalcError(
                f"{self.name}: expects {self.cin} input features, got shape "
                f"{size_text(shape)} ({prod(shape)} features): pool it first",
                option="cin",
            )
        return (self.cout,)

    def cost(self, shape: Shape) -> tuple[Shape, int, int]:
        """(output shape, MACs, extra operations): cin × cout multiply-accumulates and
        one bias addition per output."""
        return self.output_shape(shape), self.cin * self.cout, self.cout if self.bias else 0


@dataclass(frozen=True, kw_only=True)
class Seq:
    """Children run one after the other."""

    children: tuple[Node, ...]
    name: str = "seq"
    kind: str = "sequence"


@dataclass(frozen=True, kw_only=True)
class Residual:
    """``body(x) + shortcut(x)``; an empty shortcut is the identity."""

    body: Seq
    shortcut: Seq | None = None
    name: str = "residual"


@dataclass(frozen=True, kw_only=True)
class Parallel:
    """Streams that each see the same input, merged by sum or concatenation."""

    streams: tuple[Seq, ...]
    merge: Literal["sum", "concat"] = "sum"
    name: str = "parallel"


@dataclass(frozen=True, kw_only=True)
class Gate:
    """OSNet's channel gate: global average pool, 1×1 conv to C/r, ReLU, 1×1 conv
    back to C, sigmoid, and the input scaled channel-wise by the result."""

    channels: int
    reduction: int = 16
    name: str = "gate"

    def __post_init__(self) -> None:
        if self.channels // self.reduction < 1:
            raise ConvCalcError(
                f"{self.name}: {self.channels} channels // reduction {self.reduction} is 0",
                option="reduction",
            )

    @property
    def convs(self) -> tuple[Conv, Conv]:
        """The two 1×1 convolutions (with bias, as torchreid's ChannelGate has them)."""
        hidden = self.channels // self.reduction
        return (
            Conv(cin=self.channels, cout=hidden, kernel=(1, 1), kind="pointwise", name="fc1"),
            Conv(cin=hidden, cout=self.channels, kernel=(1, 1), kind="pointwise", name="fc2"),
        )


@dataclass(frozen=True, kw_only=True)
class Shared:
    """A module used in several places; ``key`` identifies it across its uses."""

    key: str
    node: Node
    name: str = "shared"


Node = Block | BatchNorm | Pool | Linear | Gate | Seq | Residual | Parallel | Shared


@dataclass(frozen=True, kw_only=True)
class Network:
    """A named network: an input shape and a sequence of nodes."""

    name: str
    input_shape: Shape
    body: Seq
    dtype: str = "fp32"


# --- cost --------------------------------------------------------------------

CATEGORIES: tuple[str, ...] = (
    "Conv 1×1",
    "Conv DW",
    "Conv K×K",
    "Fully connected",
    "BatchNorm",
    "Pooling",
)
"""Layer types of the breakdown, after the MobileNet paper's "Resource per layer type"."""


@dataclass(frozen=True, kw_only=True)
class NodeCost:
    """One node's figures for the whole batch; a parent's are the sums of its children's."""

    name: str
    type: str
    input_shape: Shape
    output_shape: Shape
    params: int
    buffers: int
    macs: int
    extra_ops: int
    bias_adds: int
    """Bias additions (one per output element of a layer with a bias), within extra_ops."""
    activation_bytes: int
    peak_bytes: int
    category: str | None = None
    """For leaves: the breakdown row the layer belongs to."""
    layer: Conv | BatchNorm | Pool | Linear | None = None
    """For leaves: the layer itself (the views write its formula when they show it)."""
    shared: bool = False
    """A repeated use of a shared module, whose parameters were counted at its first use."""
    children: tuple[NodeCost, ...] = field(default=())
    batch: int = 1
    """Samples in the batch the figures are for."""
    dtype: str = "fp32"
    """Data type of weights and activations."""

    @property
    def input_bytes(self) -> int:
        """Bytes of the node's input activations, for the batch."""
        return self.batch * prod(self.input_shape) * DTYPES[self.dtype]

    @property
    def flops(self) -> int:
        """FLOPs = 2 × MACs."""
        return 2 * self.macs

    def compute(self, convention: str) -> int:
        """The compute in a convention (see :data:`convcalc.model.cost.CONVENTIONS`)."""
        return compute(self.macs, self.bias_adds, convention)

    def walk(self, depth: int = 0) -> Iterator[tuple[int, NodeCost]]:
        """(depth, node) for this node and its descendants, in forward order."""
        yield depth, self
        for child in self.children:
            yield from child.walk(depth + 1)

    def leaves(self) -> Iterator[NodeCost]:
        """The leaf layers."""
        if not self.children:
            yield self
        for child in self.children:
            yield from child.leaves()


@dataclass
class _Tracer:
    batch: int
    dtype: str
    size: int  # bytes per element
    seen: set[str] = field(default_factory=set)

    def bytes(self, shape: Shape) -> int:
        return self.batch * prod(shape) * self.size

    def leaf(
        self,
        layer: Conv | BatchNorm | Pool | Linear,
        shape: Shape,
        held: int,
        category: str,
        type_name: str,
    ) -> NodeCost:
        out, macs, extra = layer.cost(shape)
        return NodeCost(
            batch=self.batch,
            dtype=self.dtype,
            name=layer.name,
            type=type_name,
            input_shape=shape,
            output_shape=out,
            params=layer.params,
            buffers=layer.buffers,
            macs=self.batch * macs,
            extra_ops=self.batch * extra,
            bias_adds=self.batch * extra if isinstance(layer, Conv | Linear) else 0,
            activation_bytes=self.bytes(out),
            peak_bytes=held + self.bytes(shape) + self.bytes(out),
            category=category,
            layer=layer,
        )

    def node(self, node: Node, shape: Shape, held: int) -> NodeCost:
        if isinstance(node, Block):
            return self.block(node, shape, held)
        if isinstance(node, BatchNorm):
            return self.leaf(node, shape, held, "BatchNorm", "batchnorm")
        if isinstance(node, Pool):
            return self.leaf(node, shape, held, "Pooling", f"{node.kind}pool")
        if isinstance(node, Linear):
            return self.leaf(node, shape, held, "Fully connected", "linear")
        if isinstance(node, Gate):
            return self.gate(node, shape, held)
        if isinstance(node, Seq):
            return self.seq(node, shape, held)
        if isinstance(node, Residual):
            return self.residual(node, shape, held)
        if isinstance(node, Parallel):
            return self.parallel(node, shape, held)
        return self.shared(node, shape, held)

    def combine(
        self, name: str, type_name: str, shape: Shape, out: Shape, children: list[NodeCost]
    ) -> NodeCost:
        return NodeCost(
            batch=self.batch,
            dtype=self.dtype,
            name=name,
            type=type_name,
            input_shape=shape,
            output_shape=out,
            params=sum(c.params for c in children),
            buffers=sum(c.buffers for c in children),
            macs=sum(c.macs for c in children),
            extra_ops=sum(c.extra_ops for c in children),
            bias_adds=sum(c.bias_adds for c in children),
            activation_bytes=sum(c.activation_bytes for c in children),
            peak_bytes=max((c.peak_bytes for c in children), default=0),
            children=tuple(children),
        )

    def chain(self, nodes: tuple[Node, ...], shape: Shape, held: int) -> list[NodeCost]:
        costs = []
        for node in nodes:
            cost = self.node(node, shape, held)
            costs.append(cost)
            shape = cost.output_shape
        return costs

    def seq(self, seq: Seq, shape: Shape, held: int) -> NodeCost:
        children = self.chain(seq.children, shape, held)
        out = children[-1].output_shape if children else shape
        return self.combine(seq.name, seq.kind, shape, out, children)

    def block(self, block: Block, shape: Shape, held: int) -> NodeCost:
        children = []
        for layer in block.layers:
            if isinstance(layer, BatchNorm):
                category, type_name = "BatchNorm", "batchnorm"
            elif layer.kind == "pointwise":
                category, type_name = "Conv 1×1", "pointwise"
            elif layer.kind == "depthwise":
                category, type_name = "Conv DW", "depthwise"
            else:
                category, type_name = "Conv K×K", "conv"
            cost = self.leaf(layer, shape, held, category, type_name)
            children.append(cost)
            shape = cost.output_shape
        return self.combine(
            block.name or block.variant, block.variant, children[0].input_shape, shape, children
        )

    def gate(self, gate: Gate, shape: Shape, held: int) -> NodeCost:
        if shape[0] != gate.channels:
            raise ConvCalcError(
                f"{gate.name}: expects {gate.channels} channels, got {shape[0]}", option="cin"
            )
        # The input stays alive until it is scaled by the gate's output.
        inner = held + self.bytes(shape)
        pooled = self.leaf(Pool(kind="avg", name="pool"), shape, inner, "Pooling", "avgpool")
        fc1, fc2 = gate.convs
        a = self.leaf(fc1, pooled.output_shape, inner, "Conv 1×1", "pointwise")
        b = self.leaf(fc2, a.output_shape, inner, "Conv 1×1", "pointwise")
        cost = self.combine(gate.name, "gate", shape, shape, [pooled, a, b])
        # Scaling the input: one multiply per element, outside the MACs.
        return replace(
            cost,
            extra_ops=cost.extra_ops + self.batch * prod(shape),
            activation_bytes=cost.activation_bytes + self.bytes(shape),
            peak_bytes=max(cost.peak_bytes, held + 2 * self.bytes(shape)),
        )

    def residual(self, node: Residual, shape: Shape, held: int) -> NodeCost:
        # The block's input is held for the shortcut while the body runs.
        body = self.seq(node.body, shape, held + self.bytes(shape))
        children = [replace(body, name="body")]
        if node.shortcut is not None:
            short = self.seq(node.shortcut, shape, held + self.bytes(body.output_shape))
            children.append(replace(short, name="shortcut"))
            out = short.output_shape
        else:
            out = shape
        if out != body.output_shape:
            raise ConvCalcError(
                f"{node.name}: the body gives {size_text(body.output_shape)} but the shortcut "
                f"gives {size_text(out)}: they must match to be added",
                option="shortcut",
            )
        cost = self.combine(node.name, "residual", shape, out, children)
        return replace(cost, extra_ops=cost.extra_ops + self.batch * prod(out))

    def parallel(self, node: Parallel, shape: Shape, held: int) -> NodeCost:
        children: list[NodeCost] = []
        merged: Shape | None = None
        for index, stream in enumerate(node.streams):
            # Held: the input (for the streams still to run) and the merged result so far.
            accumulated = self.bytes(merged) if merged is not None else 0
            cost = self.seq(stream, shape, held + self.bytes(shape) + accumulated)
            children.append(replace(cost, name=stream.name or f"stream{index + 1}"))
            merged = self._merge(node, merged, cost.output_shape)
        assert merged is not None
        cost = self.combine(node.name, "parallel", shape, merged, children)
        if node.merge == "sum":
            adds = self.batch * prod(merged) * (len(node.streams) - 1)
            cost = replace(cost, extra_ops=cost.extra_ops + adds)
        return cost

    def _merge(self, node: Parallel, merged: Shape | None, out: Shape) -> Shape:
        if merged is None:
            return out
        if node.merge == "sum":
            if out != merged:
                raise ConvCalcError(
                    f"{node.name}: streams give {size_text(merged)} and {size_text(out)}: "
                    "summed streams must match",
                    option="streams",
                )
            return merged
        if out[1:] != merged[1:]:
            raise ConvCalcError(
                f"{node.name}: streams give sizes {size_text(merged[1:])} and "
                f"{size_text(out[1:])}: concatenated streams must have the same spatial size",
                option="streams",
            )
        return (merged[0] + out[0], *merged[1:])

    def shared(self, node: Shared, shape: Shape, held: int) -> NodeCost:
        cost = self.node(node.node, shape, held)
        if node.key not in self.seen:
            self.seen.add(node.key)
            return cost
        return _zero_params(cost)


def _zero_params(cost: NodeCost) -> NodeCost:
    return replace(
        cost,
        params=0,
        buffers=0,
        shared=True,
        children=tuple(_zero_params(c) for c in cost.children),
    )


def trace(network: Network, *, batch: int = 1, dtype: str | None = None) -> NodeCost:
    """Every node's shapes, parameters, MACs and memory, for a batch.

    >>> from convcalc.model.core import standard
    >>> net = Network(name="tiny", input_shape=(3, 32, 32),
    ...               body=Seq(children=(standard(cin=3, cout=8), Pool(kind="avg"))))
    >>> cost = trace(net)
    >>> cost.params, cost.macs, cost.output_shape
    (224, 221184, (8, 1, 1))
    """
    dtype = dtype or network.dtype
    if dtype not in DTYPES:
        raise ConvCalcError(
            f"unknown dtype {dtype!r}: use one of {', '.join(DTYPES)}", option="dtype"
        )
    tracer = _Tracer(batch=batch, dtype=dtype, size=DTYPES[dtype])
    cost = tracer.seq(network.body, network.input_shape, 0)
    return replace(cost, name=network.name, type="network")


def breakdown(cost: NodeCost) -> dict[str, tuple[int, int]]:
    """(params, MACs) per layer type, in :data:`CATEGORIES` order, for types present."""
    totals = {category: [0, 0] for category in CATEGORIES}
    for leaf in cost.leaves():
        if leaf.category is not None:
            totals[leaf.category][0] += leaf.params
            totals[leaf.category][1] += leaf.macs
    return {k: (v[0], v[1]) for k, v in totals.items() if v != [0, 0] or k != "Pooling"}


# --- swapping variants ------------------------------------------------------

SWAPPABLE = SWAP_VARIANTS
"""The K×K convolution blocks that ``--as`` replaces."""


class Kept(NamedTuple):
    """A block ``--as`` would replace but leaves as it is, because no variant it can
    be swapped for computes the same thing."""

    row: str
    """Its index in the network's table: ``3`` the third layer, ``3.2`` that one's second
    part."""
    name: str
    reason: str
    """Why: ``transposed`` (a separable or lite block cannot upsample)."""


def _kept(block: Block) -> str | None:
    """Why a K×K block cannot be swapped faithfully, or None if it can.

    A separable or lite block keeps a convolution's channels, kernel, stride, padding
    and dilation, in 1D, 2D or 3D, and a grouped convolution's input and output; but
    none of them is transposed, so an upsampling layer swapped would shrink its map.
    """
    return "transposed" if block.main.transposed else None


def _swappable(node: Block, variant: str) -> bool:
    return (
        node.variant in SWAPPABLE
        and node.variant != variant
        and any(k != 1 for k in node.main.kernel)
        and _kept(node) is None
    )


def swap(network: Network, variant: str) -> Network:
    """The same network with every K×K convolution block made of ``variant``.

    A standard K×K convolution, a separable block and a lite block each become
    the named variant with the same channels, kernel, stride, padding and
    dilation; BatchNorm goes where that variant carries it, wherever the block
    had any. A block of that variant already stays as it is (with its groups or
    multiplier), and so do 1×1 and depthwise convolutions, pooling, linear layers,
    gates and what :func:`kept` lists.
    """
    return replace(network, body=_swap_seq(network.body, variant))


def kept(network: Network, variant: str) -> list[Kept]:
    """The K×K blocks :func:`swap` leaves as they are because it cannot express them,
    indexed as the network's table numbers its rows."""
    found = []
    for index, block in _blocks(network.body, ""):
        reason = _kept(block)
        if block.variant in SWAPPABLE and block.variant != variant and reason is not None:
            found.append(Kept(row=index, name=block.name or block.variant, reason=reason))
    return found


def _blocks(node: Node, index: str) -> Iterator[tuple[str, Block]]:
    """Every block with its row index; a shared module's row is the module's own row,
    as :func:`trace` gives it no row of its own."""
    if isinstance(node, Shared):
        yield from _blocks(node.node, index)
        return
    if isinstance(node, Block):
        yield index, node
        return
    if isinstance(node, Seq):
        parts: tuple[Node, ...] = node.children
    elif isinstance(node, Residual):
        parts = (node.body,) if node.shortcut is None else (node.body, node.shortcut)
    elif isinstance(node, Parallel):
        parts = node.streams
    else:
        return
    for number, part in enumerate(parts, start=1):
        yield from _blocks(part, f"{index}.{number}" if index else str(number))


def _swap_seq(seq: Seq, variant: str) -> Seq:
    return replace(seq, children=tuple(_swap(child, variant) for child in seq.children))


def _swap(node: Node, variant: str) -> Node:
    if isinstance(node, Block):
        if not _swappable(node, variant):
            return node
        main = node.main
        swapped = make_block(
            variant,
            cin=node.cin,
            cout=node.cout,
            k=main.kernel,
            bias=node.bias,
            bn=node.bn,
            stride=main.stride,
            padding=main.padding,
            dilation=main.dilation,
            dims=main.dims,
        )
        return swapped.replace(name=node.name)
    if isinstance(node, Seq):
        return _swap_seq(node, variant)
    if isinstance(node, Residual):
        shortcut = _swap_seq(node.shortcut, variant) if node.shortcut else None
        return replace(node, body=_swap_seq(node.body, variant), shortcut=shortcut)
    if isinstance(node, Parallel):
        return replace(node, streams=tuple(_swap_seq(s, variant) for s in node.streams))
    if isinstance(node, Shared):
        return replace(node, node=_swap(node.node, variant))
    return node
