"""Whole networks: layers beyond convolutions, blocks with branches, and their cost.

A network is a tree of nodes. Leaves are the core's :class:`~convcalc.model.core.Block`
(a convolution variant with its BatchNorm), :class:`Pool`, :class:`Linear`,
:class:`Gate`, :class:`Norm` (a standalone BatchNorm), :class:`Act` (an activation),
:class:`Flatten`, :class:`Identity` and :class:`Shuffle` (a channel shuffle); inner
nodes are :class:`Seq` (in order), :class:`Activated` (a block and the activation
after it), :class:`Residual` (a body plus a shortcut, summed) and :class:`Parallel`
(streams merged by sum or concatenation, each fed the whole input or a split of its
channels). A :class:`Shared` node is a module that runs in several places:
its parameters are counted once, its MACs every time it runs.

:func:`trace` walks the tree with a shape and returns a :class:`Cost` tree
whose every total is the sum of its children. Pure arithmetic: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from math import gcd, prod
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
from .cost import CATEGORIES, Cost, Measurer
from .names import SWAP_VARIANTS

__all__ = [
    "CATEGORIES",
    "Act",
    "Activated",
    "Flatten",
    "Gate",
    "Identity",
    "Kept",
    "Linear",
    "Network",
    "Norm",
    "PlacedError",
    "Parallel",
    "Pool",
    "Residual",
    "Seq",
    "Shared",
    "Shuffle",
    "kept",
    "swap",
    "trace",
    "window_out",
]


@dataclass(frozen=True, kw_only=True)
class Pool:
    """Max or average pooling, as PyTorch's MaxPool/AvgPool (``ceil_mode``, a max
    pool's ``dilation``) and AdaptiveMax/AvgPool (``output``, the size pooled to);
    ``kernel=None`` without ``output`` pools globally to 1×1."""

    kind: Literal["max", "avg"] = "avg"
    kernel: tuple[int, ...] | None = None
    stride: tuple[int, ...] | None = None
    padding: tuple[int, ...] | None = None
    dilation: tuple[int, ...] | None = None
    ceil_mode: bool = False
    output: tuple[int, ...] | None = None
    """Adaptive pooling's output size (PyTorch's bins), None for a windowed pool."""
    name: str = "pool"

    params = 0
    buffers = 0

    @property
    def adaptive(self) -> bool:
        """Pooled to a stated size (global pooling is adaptive pooling to 1)."""
        return self.kernel is None

    def output_shape(self, shape: Shape) -> Shape:
        """Pooled shape (PyTorch's formula, floor or ceil mode); global and adaptive
        pooling keep the rank."""
        channels, size = shape[0], shape[1:]
        if self.kernel is None:
            if self.output is None:
                return (channels, *(1 for _ in size))
            return (channels, *_sizes(self.output, len(size), "output"))
        dims = len(size)
        kernel = _sizes(self.kernel, dims, "kernel")
        stride = _sizes(self.stride or kernel, dims, "stride")
        padding = _sizes(self.padding or 0, dims, "padding", minimum=0)
        dilation = _sizes(self.dilation or 1, dims, "dilation")
        out = []
        for n, k, s, p, d in zip(size, kernel, stride, padding, dilation, strict=True):
            if 2 * p > k:  # PyTorch's rule: half the kernel as written, not dilated
                raise ConvCalcError(
                    f"{self.name}: padding {p} must be at most half the kernel {k}",
                    option="padding",
                )
            o = window_out(n, p, p, k, s, d, ceil=self.ceil_mode)
            if o < 1:
                raise ConvCalcError(
                    f"{self.name}: empty output: kernel {k} does not fit the input {n} "
                    f"(padding {p})",
                    option="input",
                )
            out.append(o)
        return (channels, *out)

    def cost(self, shape: Shape) -> tuple[Shape, int, int]:
        """(output shape, MACs, extra operations): pooling has no multiply-accumulates;
        it compares or adds about once per input element (adaptive pooling: once per
        element of each of its bins, which may overlap)."""
        out = self.output_shape(shape)
        if self.output is None:
            return out, 0, prod(shape)
        return (
            out,
            0,
            shape[0] * prod(adaptive_span(n, o) for n, o in zip(shape[1:], out[1:], strict=True)),
        )


def window_out(n: int, before: int, after: int, k: int, s: int, d: int, *, ceil: bool) -> int:
    """Outputs of a window of ``k`` (dilation ``d``, stride ``s``) sliding over ``n``
    padded by ``before`` and ``after``; 0 if none. PyTorch's pooling_output_shape (and
    ONNX's): floor, or in ceil mode round up, then drop the last window if it would
    start at or past ``n + before`` (it must start inside the input or the padding
    before it). In ceil mode a window wider than the padded input still gives one
    output, as in PyTorch (MaxPool2d(3, 2, ceil_mode=True) on 2×2 gives 1×1).

    >>> window_out(112, 0, 0, 3, 2, 1, ceil=True), window_out(112, 0, 0, 3, 2, 1, ceil=False)
    (56, 55)
    >>> window_out(2, 0, 0, 3, 2, 1, ceil=True), window_out(2, 0, 0, 3, 2, 1, ceil=False)
    (1, 0)
    """
    span = n + before + after - d * (k - 1) - 1
    if not ceil:
        return span // s + 1 if span >= 0 else 0
    out = (span + s - 1) // s + 1  # floor division rounds down, as PyTorch's div_rtn
    if (out - 1) * s >= n + before:
        out -= 1
    return max(out, 0)


def adaptive_bins(n: int, o: int) -> list[tuple[int, int]]:
    """PyTorch's adaptive pooling bins of ``n`` inputs into ``o`` outputs:
    [floor(i·n/o), ceil((i+1)·n/o)) for each output i.

    >>> adaptive_bins(10, 4)
    [(0, 3), (2, 5), (5, 8), (7, 10)]
    """
    return [((i * n) // o, -(-((i + 1) * n) // o)) for i in range(o)]


def adaptive_span(n: int, o: int) -> int:
    """The summed width of :func:`adaptive_bins`, in closed form: n + o − gcd(n, o)
    (the floors cancel; ceil((i+1)·n/o) is exact for gcd(n, o) of the o bins).

    >>> adaptive_span(10, 4), sum(end - start for start, end in adaptive_bins(10, 4))
    (12, 12)
    """
    return n + o - gcd(n, o)


@dataclass(frozen=True, kw_only=True)
class Act:
    """An activation function (``fn``, one of :data:`~convcalc.model.names.ACTIVATIONS`):
    no parameters and, in convcalc's convention, no MACs; one operation per element."""

    fn: str = "relu"
    name: str = "act"

    params = 0
    buffers = 0

    def output_shape(self, shape: Shape) -> Shape:
        """An activation keeps the shape."""
        return shape

    def cost(self, shape: Shape) -> tuple[Shape, int, int]:
        """(output shape, MACs, extra operations): one operation per element."""
        return shape, 0, prod(shape)


@dataclass(frozen=True, kw_only=True)
class Flatten:
    """(C, H, W) to (C·H·W,), as PyTorch's ``torch.flatten(x, 1)``: nothing computed."""

    name: str = "flatten"

    params = 0
    buffers = 0

    def output_shape(self, shape: Shape) -> Shape:
        """The shape as one dimension."""
        return (prod(shape),)

    def cost(self, shape: Shape) -> tuple[Shape, int, int]:
        """(output shape, MACs, extra operations): a view, nothing computed."""
        return self.output_shape(shape), 0, 0


@dataclass(frozen=True, kw_only=True)
class Identity:
    """The input, unchanged (PyTorch's ``nn.Identity``, a pass-through stream)."""

    name: str = "identity"

    params = 0
    buffers = 0

    def output_shape(self, shape: Shape) -> Shape:
        """The input's shape."""
        return shape

    def cost(self, shape: Shape) -> tuple[Shape, int, int]:
        """(output shape, MACs, extra operations): nothing computed."""
        return shape, 0, 0


@dataclass(frozen=True, kw_only=True)
class Shuffle:
    """ShuffleNet's channel shuffle in ``groups``: channels reordered, nothing computed."""

    groups: int
    name: str = "shuffle"

    params = 0
    buffers = 0

    def output_shape(self, shape: Shape) -> Shape:
        """The input's shape; its channels must divide into the groups."""
        if shape[0] % self.groups:
            raise ConvCalcError(
                f"{self.name}: {shape[0]} channels do not divide into {self.groups} groups",
                option="groups",
            )
        return shape

    def cost(self, shape: Shape) -> tuple[Shape, int, int]:
        """(output shape, MACs, extra operations): a reordering, nothing computed."""
        return self.output_shape(shape), 0, 0


@dataclass(frozen=True, kw_only=True)
class Norm:
    """A standalone BatchNorm (PyTorch's BatchNorm1d/2d/3d) over the channels of its
    input, whatever they are when the network is traced."""

    name: str = "bn"


@dataclass(frozen=True, kw_only=True)
class Activated:
    """A convolution block and its activation, shown as one layer: the activation
    follows each of the block's BatchNorms (after both halves of a separable block,
    as MobileNet has it), or the block's end if it has none."""

    block: Block
    act: Act

    @property
    def name(self) -> str:
        """The block's name."""
        return self.block.name


@dataclass(frozen=True, kw_only=True)
class Linear:
    """A fully connected layer; its input is (C,) (after a flatten) or (C, 1, 1).
    ``cin=0`` takes the input's features as they are when the network is traced."""

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
        if prod(shape) != self.cin and len(shape) == 1:
            raise ConvCalcError(
                f"{self.name}: declares {self.cin} input features but receives {shape[0]}",
                option="cin",
            )
        if prod(shape) != self.cin:
            raise ConvCalcError(
                f"{self.name}: expects {self.cin} input features, got shape "
                f"{size_text(shape)} ({prod(shape)} features): flatten it first "
                '(type = "flatten") or pool it to 1×1',
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
    """Streams that each see the same input, merged by sum or concatenation; with
    ``split``, stream i sees the next ``split[i]`` channels of the input instead."""

    streams: tuple[Seq, ...]
    merge: Literal["sum", "concat"] = "sum"
    split: tuple[int, ...] | None = None
    name: str = "parallel"


@dataclass(frozen=True, kw_only=True)
class Gate:
    """A squeeze-and-excitation gate (OSNet's channel gate, MobileNetV3's and
    EfficientNet's SE): global average pool, 1×1 conv to the squeeze width (C // r,
    or ``squeeze``), ``act``, 1×1 conv back to C, ``gate``, and the input scaled
    channel-wise by the result."""

    channels: int
    reduction: int = 16
    squeeze: int | None = None
    """The squeeze width as built, when stated; else C // reduction."""
    act: str = "relu"
    gate: str = "sigmoid"
    name: str = "gate"

    def __post_init__(self) -> None:
        if self.squeeze is None and self.channels // self.reduction < 1:
            raise ConvCalcError(
                f"{self.name}: {self.channels} channels // reduction {self.reduction} is 0",
                option="reduction",
            )

    @property
    def hidden(self) -> int:
        """The squeeze width."""
        return self.squeeze if self.squeeze is not None else self.channels // self.reduction

    @property
    def convs(self) -> tuple[Conv, Conv]:
        """The two 1×1 convolutions (with bias, as torchreid's ChannelGate and
        torchvision's SqueezeExcitation have them)."""
        hidden = self.hidden
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


Node = (
    Block
    | BatchNorm
    | Pool
    | Linear
    | Gate
    | Seq
    | Residual
    | Parallel
    | Shared
    | Act
    | Activated
    | Flatten
    | Identity
    | Shuffle
    | Norm
)
Leaf = Conv | BatchNorm | Pool | Linear | Act | Flatten | Identity | Shuffle
"""A layer the trace shows as a row of its own, with no parts."""


@dataclass(frozen=True, kw_only=True)
class Network:
    """A named network: an input shape and a sequence of nodes; ``places`` says where
    each node was written in its spec, for the errors found while tracing it."""

    name: str
    input_shape: Shape
    body: Seq
    dtype: str = "fp32"
    places: dict[int, tuple[object, str]] = field(default_factory=dict, compare=False, repr=False)
    """By ``id`` of a node: the node (kept, so that its id stays its own) and its place
    in the spec as written (``layers[12].layers[1]``)."""


class PlacedError(ConvCalcError):
    """An error found while tracing a network, naming the place in its spec of the node
    at fault rather than the node's name."""


# --- cost --------------------------------------------------------------------


def _out(cost: Cost) -> Shape:
    """The output shape of a node traced (every one has one)."""
    shape = cost.output_shape
    assert shape is not None
    return shape


class _Tracer(Measurer):
    """A :class:`~convcalc.model.cost.Measurer` that also knows pools, linear layers,
    activations, gates, residual and parallel blocks and shared modules, and names the
    spec's place of a node at fault."""

    __slots__ = ("seen", "places")

    def __init__(self, *, batch: int, dtype: str, places: dict[int, tuple[object, str]]) -> None:
        super().__init__(batch=batch, dtype=dtype)
        self.seen: set[str] = set()
        self.places = places

    def node(self, node: Node, shape: Shape, held: int) -> Cost:
        try:
            return self._node(node, shape, held)
        except PlacedError:
            raise
        except ConvCalcError as error:
            raise self.placed(error, node) from None

    def placed(self, error: ConvCalcError, node: object) -> ConvCalcError:
        """The error as the spec's place of ``node`` names it (the innermost node with a
        place, as each node up the tree passes a placed error on as it is)."""
        entry = self.places.get(id(node))
        if entry is None or entry[0] is not node:
            return error
        message = str(error)
        for name in (getattr(error, "leaf", None), getattr(node, "name", None)):
            if isinstance(name, str) and message.startswith(f"{name}: "):
                message = message[len(name) + 2 :]
                break
        return PlacedError(f"{entry[1]}: {message}", option=error.option)

    def _node(self, node: Node, shape: Shape, held: int) -> Cost:
        if isinstance(node, Block):
            return self.block(node, shape, held)
        if isinstance(node, BatchNorm):
            return self.leaf(node, shape, held, "batchnorm")
        if isinstance(node, Pool):
            return self.leaf(node, shape, held, f"{node.kind}pool")
        if isinstance(node, Linear):
            if node.cin == 0:
                node = replace(node, cin=prod(shape))
            return self.leaf(node, shape, held, "linear", bias=True)
        if isinstance(node, Act):
            return self.leaf(node, shape, held, "act", in_place=True)
        if isinstance(node, Flatten):
            return self.leaf(node, shape, held, "flatten")
        if isinstance(node, Identity):
            return self.leaf(node, shape, held, "identity")
        if isinstance(node, Shuffle):
            return self.leaf(node, shape, held, "shuffle")
        if isinstance(node, Norm):
            norm = BatchNorm(channels=shape[0], name=node.name)
            return self.leaf(norm, shape, held, "batchnorm")
        if isinstance(node, Activated):
            return self.block(node.block, shape, held, node.act)
        if isinstance(node, Gate):
            return self.gate(node, shape, held)
        if isinstance(node, Seq):
            return self.seq(node, shape, held)
        if isinstance(node, Residual):
            return self.residual(node, shape, held)
        if isinstance(node, Parallel):
            return self.parallel(node, shape, held)
        return self.shared(node, shape, held)

    def chain(self, nodes: tuple[Node, ...], shape: Shape, held: int) -> list[Cost]:
        costs = []
        for node in nodes:
            cost = self.node(node, shape, held)
            costs.append(cost)
            shape = _out(cost)
        return costs

    def seq(self, seq: Seq, shape: Shape, held: int) -> Cost:
        try:
            children = self.chain(seq.children, shape, held)
        except PlacedError:
            raise
        except ConvCalcError as error:
            raise self.placed(error, seq) from None
        out = _out(children[-1]) if children else shape
        return self.combine(seq.name, seq.kind, shape, out, children)

    def gate(self, gate: Gate, shape: Shape, held: int) -> Cost:
        if shape[0] != gate.channels:
            raise ConvCalcError(
                f"{gate.name}: expects {gate.channels} channels, got {shape[0]}", option="cin"
            )
        # The input stays alive until it is scaled by the gate's output.
        inner = held + self.bytes(shape)
        pooled = self.leaf(Pool(kind="avg", name="pool"), shape, inner, "avgpool")
        fc1, fc2 = gate.convs
        a = self.leaf(fc1, _out(pooled), inner, "pointwise", bias=True)
        b = self.leaf(fc2, _out(a), inner, "pointwise", bias=True)
        # Scaling the input: one multiply per element, outside the MACs.
        return self.combine(
            gate.name,
            "gate",
            shape,
            shape,
            [pooled, a, b],
            gate,
            extra_ops=self.batch * prod(shape),
            written=self.bytes(shape),
            peak=held + 2 * self.bytes(shape),
        )

    def residual(self, node: Residual, shape: Shape, held: int) -> Cost:
        # The block's input is held for the shortcut while the body runs.
        body = self.seq(node.body, shape, held + self.bytes(shape))
        children = [body.replace(name="body")]
        if node.shortcut is not None:
            short = self.seq(node.shortcut, shape, held + self.bytes(_out(body)))
            children.append(short.replace(name="shortcut"))
            out = _out(short)
        else:
            out = shape
        if out != body.output_shape:
            raise ConvCalcError(
                f"{node.name}: the body gives {size_text(_out(body))} but the shortcut "
                f"gives {size_text(out)}: they must match to be added",
                option="shortcut",
            )
        # The sum: one addition per element.
        return self.combine(
            node.name, "residual", shape, out, children, node, extra_ops=self.batch * prod(out)
        )

    def parallel(self, node: Parallel, shape: Shape, held: int) -> Cost:
        children: list[Cost] = []
        merged: Shape | None = None
        parts = self._split(node, shape)
        for index, stream in enumerate(node.streams):
            # Held: the input (for the streams still to run) and the merged result so far.
            accumulated = self.bytes(merged) if merged is not None else 0
            cost = self.seq(stream, parts[index], held + self.bytes(shape) + accumulated)
            children.append(cost.replace(name=stream.name or f"stream{index + 1}"))
            merged = self._merge(node, merged, _out(cost))
        assert merged is not None
        kind = "parallel" if node.split is None else "split"
        adds = self.batch * prod(merged) * (len(node.streams) - 1) if node.merge == "sum" else 0
        return self.combine(node.name, kind, shape, merged, children, node, extra_ops=adds)

    def _split(self, node: Parallel, shape: Shape) -> list[Shape]:
        """The input each stream sees: the whole of it, or its share of the channels."""
        if node.split is None:
            return [shape] * len(node.streams)
        if len(shape) < 2 or sum(node.split) != shape[0]:
            raise ConvCalcError(
                f"{node.name}: the split {list(node.split)} must add up to the input's "
                f"{shape[0]} channels (input {size_text(shape)})",
                option="split",
            )
        return [(part, *shape[1:]) for part in node.split]

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

    def shared(self, node: Shared, shape: Shape, held: int) -> Cost:
        cost = self.node(node.node, shape, held)
        if node.key not in self.seen:
            self.seen.add(node.key)
            return cost
        return _zero_params(cost)


def _zero_params(cost: Cost) -> Cost:
    return cost.replace(
        params=0,
        buffers=0,
        shared=True,
        children=tuple(_zero_params(c) for c in cost.children),
    )


def trace(network: Network, *, batch: int = 1, dtype: str | None = None) -> Cost:
    """Every node's shapes, parameters, MACs and memory, for a batch.

    >>> from convcalc.model.core import standard
    >>> net = Network(name="tiny", input_shape=(3, 32, 32),
    ...               body=Seq(children=(standard(cin=3, cout=8), Pool(kind="avg"))))
    >>> cost = trace(net)
    >>> cost.params, cost.macs, cost.output_shape
    (224, 221184, (8, 1, 1))
    """
    tracer = _Tracer(batch=batch, dtype=dtype or network.dtype, places=network.places)
    cost = tracer.seq(network.body, network.input_shape, 0)
    return cost.replace(name=network.name, type="network")


def breakdown(cost: Cost) -> dict[str, tuple[int, int]]:
    """(params, MACs) per layer type, in :data:`CATEGORIES` order; a type with neither
    (no such layer, or one that counts nothing) is left out."""
    totals = {category: [0, 0] for category in CATEGORIES}
    for leaf in cost.leaves():
        if leaf.category is not None:
            totals[leaf.category][0] += leaf.params
            totals[leaf.category][1] += leaf.macs or 0
    return {k: (v[0], v[1]) for k, v in totals.items() if v != [0, 0]}


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
    if isinstance(node, Activated):
        yield index, node.block
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
    if isinstance(node, Activated):
        swapped_block = _swap(node.block, variant)
        assert isinstance(swapped_block, Block)
        return replace(node, block=swapped_block)
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
