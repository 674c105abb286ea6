"""What a layer, a block or a whole network costs: shapes, MACs, FLOPs and memory.

One result model, :class:`Cost`, for all three: a layer's cost is a leaf, a block's
holds its layers' costs, a network's its nodes' (see
:func:`convcalc.model.network.trace`), and each total is the sum of its children's
(with what a node does itself besides: a residual's sum, a gate's product). A block
on its own and a block in a network are measured by the same :class:`Measurer`, the
network's tracer being one; measured without an input, only the parameters are known
and the shape-dependent figures are None.

Conventions, stated once: MACs are multiply-accumulates (the MobileNet paper's
"Mult-Adds"), FLOPs = 2 × MACs, and neither includes bias additions,
BatchNorm or activations; those are reported apart as ``extra_ops``.
"""

from __future__ import annotations

from collections.abc import Iterator
from math import prod
from typing import Any

from .core import BatchNorm, Block, ConvCalcError, Layer, Shape, _sizes
from .names import CONVENTIONS, DTYPES
from .records import Record, setter

__all__ = [
    "CATEGORIES",
    "CATEGORY_OF",
    "CONVENTIONS",
    "CONV_TYPES",
    "DTYPES",
    "Cost",
    "Measurer",
    "compute",
    "input_shape",
    "measure",
    "type_of",
]


def compute(macs: int, bias_adds: int, convention: str) -> int:
    """A compute figure in a convention.

    >>> compute(231_211_008, 401_408, "flops+bias")
    462823424
    """
    try:
        per_mac, per_bias, _ = CONVENTIONS[convention]
    except KeyError:
        allowed = ", ".join(CONVENTIONS)
        raise ConvCalcError(
            f"unknown convention {convention!r}: use {allowed}", option="convention"
        ) from None
    return per_mac * macs + per_bias * bias_adds


class Cost(Record):
    """What one node costs, for the whole batch: a layer (a leaf, :attr:`layer` set),
    or a block, a part of a network or a whole one, whose figures are the sums of its
    :attr:`children`'s and of what the node does itself (a residual's sum, a gate's
    product: extra operations, bytes written, a peak of its own). Without an input (a
    block's parameters alone) the shapes and the figures that depend on them are None."""

    __slots__ = (
        "name",
        "type",
        "input_shape",
        "output_shape",
        "params",
        "buffers",
        "macs",
        "extra_ops",
        "bias_adds",
        "activation_bytes",
        "peak_bytes",
        "bytes_moved",
        "node",
        "shared",
        "children",
        "batch",
        "dtype",
    )

    def __init__(
        self,
        *,
        name: str,
        type: str,
        input_shape: Shape | None,
        output_shape: Shape | None,
        params: int,
        buffers: int,
        macs: int | None,
        extra_ops: int | None,
        bias_adds: int | None,
        activation_bytes: int | None,
        peak_bytes: int | None,
        bytes_moved: int | None,
        node: object = None,
        shared: bool = False,
        children: tuple[Cost, ...] = (),
        batch: int = 1,
        dtype: str = "fp32",
    ) -> None:
        # Each by its slot's setter (see records.setter): batch makes a few a line.
        _name(self, name)
        _type(self, type)
        _input_shape(self, input_shape)
        _output_shape(self, output_shape)
        _params(self, params)
        _buffers(self, buffers)
        _macs(self, macs)
        _extra_ops(self, extra_ops)
        _bias_adds(self, bias_adds)
        _activation_bytes(self, activation_bytes)
        _peak_bytes(self, peak_bytes)
        _bytes_moved(self, bytes_moved)
        _node(self, node)
        _shared(self, shared)
        _children(self, children)
        _batch(self, batch)
        _dtype(self, dtype)

    name: str
    """The node's name (a block on its own: its variant)."""
    type: str
    """What the node is: a layer type (``pointwise``, ``avgpool``), a variant for a
    block, ``seq``, ``residual``, ``parallel``, ``gate``, ``network``."""
    input_shape: Shape | None
    """Channels-first input shape of one sample."""
    output_shape: Shape | None
    """Channels-first output shape of one sample."""
    params: int
    """Trainable parameters."""
    buffers: int
    """Non-trainable elements (BatchNorm's running statistics)."""
    macs: int | None
    """Multiply-accumulates for the whole batch, bias excluded."""
    extra_ops: int | None
    """Operations outside the MACs (bias additions, BatchNorm, activations, sums)."""
    bias_adds: int | None
    """Bias additions (one per output element of a layer with a bias), within extra_ops."""
    activation_bytes: int | None
    """Bytes of the outputs written, for the batch (an activation works in place)."""
    peak_bytes: int | None
    """The most activation memory alive at once during the forward pass."""
    bytes_moved: int | None
    """Bytes of weights and input read and of output written by the layers (a
    residual's sum and a gate's product are not counted), summed over them."""
    node: object
    """What was measured: the layer (for a leaf; the views write its formula when they
    show it), the block, the gate, the residual or parallel block; None for a
    sequence."""
    shared: bool
    """A repeated use of a shared module, whose parameters were counted at its first use."""
    children: tuple[Cost, ...]
    """The parts' costs in forward order; none for a layer."""
    batch: int
    """Samples in the batch the figures are for."""
    dtype: str
    """Data type of weights and activations."""

    @property
    def layer(self) -> object:
        """For a leaf: the layer measured (a ``network.Leaf``); else None."""
        return None if self.children else self.node

    @property
    def category(self) -> str | None:
        """For a leaf: the breakdown row it belongs to (see ``network.CATEGORIES``)."""
        return None if self.children else CATEGORY_OF.get(self.type)

    @property
    def block(self) -> Block:
        """The block measured, for a block's cost."""
        node = self.node
        if not isinstance(node, Block):
            raise TypeError(f"{self.name!r} is a {self.type}, not a block")
        return node

    @property
    def has_input(self) -> bool:
        """Whether shape-dependent figures were computed."""
        return self.input_shape is not None

    @property
    def weight_bytes(self) -> int:
        """Bytes of parameters and buffers at :attr:`dtype`."""
        return (self.params + self.buffers) * DTYPES[self.dtype]

    @property
    def input_bytes(self) -> int | None:
        """Bytes of the node's input activations, for the batch."""
        shape = self.input_shape
        return None if shape is None else self.batch * prod(shape) * DTYPES[self.dtype]

    @property
    def flops(self) -> int | None:
        """FLOPs = 2 × MACs (a multiply and an add)."""
        macs = self.macs
        return None if macs is None else 2 * macs

    def compute(self, convention: str) -> int | None:
        """The compute in a convention (see :data:`CONVENTIONS`)."""
        macs, bias_adds = self.macs, self.bias_adds
        if macs is None or bias_adds is None:
            return None
        return compute(macs, bias_adds, convention)

    def walk(self, depth: int = 0) -> Iterator[tuple[int, Cost]]:
        """(depth, node) for this node and its descendants, in forward order."""
        yield depth, self
        for child in self.children:
            yield from child.walk(depth + 1)

    def leaves(self) -> Iterator[Cost]:
        """The leaf layers."""
        if not self.children:
            yield self
        for child in self.children:
            yield from child.leaves()


_name = setter(Cost, "name")
_type = setter(Cost, "type")
_input_shape = setter(Cost, "input_shape")
_output_shape = setter(Cost, "output_shape")
_params = setter(Cost, "params")
_buffers = setter(Cost, "buffers")
_macs = setter(Cost, "macs")
_extra_ops = setter(Cost, "extra_ops")
_bias_adds = setter(Cost, "bias_adds")
_activation_bytes = setter(Cost, "activation_bytes")
_peak_bytes = setter(Cost, "peak_bytes")
_bytes_moved = setter(Cost, "bytes_moved")
_node = setter(Cost, "node")
_shared = setter(Cost, "shared")
_children = setter(Cost, "children")
_batch = setter(Cost, "batch")
_dtype = setter(Cost, "dtype")


class Measurer:
    """Measures layers and blocks for one batch and dtype; :func:`measure` measures a
    block with it, and a network's trace is one with more kinds of node."""

    __slots__ = ("batch", "dtype", "size")

    def __init__(self, *, batch: int = 1, dtype: str = "fp32") -> None:
        if dtype not in DTYPES:
            raise ConvCalcError(
                f"unknown dtype {dtype!r}: use one of {', '.join(DTYPES)}", option="dtype"
            )
        if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
            raise ConvCalcError(f"batch must be a whole number >= 1, got {batch!r}", option="batch")
        self.batch = batch
        self.dtype = dtype
        self.size = DTYPES[dtype]

    def bytes(self, shape: Shape) -> int:
        """Bytes of a tensor of this shape, for the batch."""
        return self.batch * prod(shape) * self.size

    def leaf(
        self,
        layer: Any,
        shape: Shape,
        held: int,
        type_name: str,
        *,
        bias: bool = False,
        in_place: bool = False,
    ) -> Cost:
        """A layer's cost on an input of ``shape``, while ``held`` bytes of other
        activations are alive; ``type_name`` says what it is (its breakdown row).
        ``bias``: its extra operations are bias additions; ``in_place``: it writes over
        its input (an activation), taking no memory."""
        try:
            out, macs, extra = layer.cost(shape)
        except ConvCalcError as error:
            error.leaf = layer.name  # type: ignore[attr-defined]  # for a trace's errors
            raise
        batch, size = self.batch, self.size
        params, buffers = layer.params, layer.buffers
        read = batch * prod(shape) * size
        written = 0 if in_place else batch * prod(out) * size
        extra *= batch
        return Cost(
            name=layer.name,
            type=type_name,
            input_shape=shape,
            output_shape=out,
            params=params,
            buffers=buffers,
            macs=batch * macs,
            extra_ops=extra,
            bias_adds=extra if bias else 0,
            activation_bytes=written,
            peak_bytes=held + read + written,
            bytes_moved=(params + buffers) * size + read + written,
            node=layer,
            batch=batch,
            dtype=self.dtype,
        )

    def combine(
        self,
        name: str,
        type_name: str,
        shape: Shape | None,
        out: Shape | None,
        children: list[Cost] | tuple[Cost, ...],
        node: Any = None,
        *,
        extra_ops: int = 0,
        written: int = 0,
        peak: int = 0,
    ) -> Cost:
        """A node made of parts: each figure the sum of theirs, the peak the largest,
        with what the node does itself besides: ``extra_ops`` (a sum's additions),
        bytes ``written``, a ``peak`` of its own. Without an input (``shape`` None),
        the parameters alone."""
        params = buffers = macs = bias_adds = moved = 0
        for child in children:
            params += child.params
            buffers += child.buffers
            if shape is None:
                continue
            m, e, b, w, p, v = (
                child.macs,
                child.extra_ops,
                child.bias_adds,
                child.activation_bytes,
                child.peak_bytes,
                child.bytes_moved,
            )
            # Measured on an input, as the parent is: every figure is known.
            assert m is not None and e is not None and b is not None
            assert w is not None and p is not None and v is not None
            macs += m
            extra_ops += e
            bias_adds += b
            written += w
            if p > peak:
                peak = p
            moved += v
        measured = shape is not None
        return Cost(
            name=name,
            type=type_name,
            input_shape=shape,
            output_shape=out,
            params=params,
            buffers=buffers,
            macs=macs if measured else None,
            extra_ops=extra_ops if measured else None,
            bias_adds=bias_adds if measured else None,
            activation_bytes=written if measured else None,
            peak_bytes=peak if measured else None,
            bytes_moved=moved if measured else None,
            node=node,
            children=tuple(children),
            batch=self.batch,
            dtype=self.dtype,
        )

    def block(self, block: Block, shape: Shape, held: int = 0, act: Any = None) -> Cost:
        """A block's cost: its layers in turn, each fed the last one's output; ``act``,
        an activation, follows each BatchNorm (after both halves of a separable block,
        as MobileNet has it), or the block's end if it has none."""
        children = []
        first = shape
        for layer in block.layers:
            cost = self.leaf(layer, shape, held, type_of(layer), bias=type(layer) is not BatchNorm)
            children.append(cost)
            shape = cost.output_shape  # type: ignore[assignment]
            if act is not None and type(layer) is BatchNorm:
                children.append(self.leaf(act, shape, held, "act", in_place=True))
        if act is not None and not block.bn:
            children.append(self.leaf(act, shape, held, "act", in_place=True))
        return self.combine(
            block.name or block.variant, block.variant, first, shape, children, block
        )

    def unmeasured(self, block: Block) -> Cost:
        """A block's cost without an input: its parameters alone."""
        children = [
            Cost(
                name=layer.name,
                type=type_of(layer),
                input_shape=None,
                output_shape=None,
                params=layer.params,
                buffers=layer.buffers,
                macs=None,
                extra_ops=None,
                bias_adds=None,
                activation_bytes=None,
                peak_bytes=None,
                bytes_moved=None,
                node=layer,
                batch=self.batch,
                dtype=self.dtype,
            )
            for layer in block.layers
        ]
        return self.combine(block.name or block.variant, block.variant, None, None, children, block)


CONV_TYPES = {"standard": "conv", "depthwise": "depthwise", "pointwise": "pointwise"}
"""A convolution's type, by its kind (a transposed one is ``conv`` here; the JSON
contract calls it ``conv_transpose``)."""

CATEGORY_OF = {
    "pointwise": "Conv 1×1",
    "depthwise": "Conv DW",
    "conv": "Conv K×K",
    "linear": "Fully connected",
    "batchnorm": "BatchNorm",
    "avgpool": "Pooling",
    "maxpool": "Pooling",
}
"""The breakdown row of each type of layer that has one, after the MobileNet paper's
"Resource per layer type"."""

CATEGORIES: tuple[str, ...] = tuple(dict.fromkeys(CATEGORY_OF.values()))
"""The breakdown's rows, in order."""


def type_of(layer: Layer) -> str:
    """A block's layer's type: ``batchnorm`` or its convolution's (:data:`CONV_TYPES`)."""
    return "batchnorm" if type(layer) is BatchNorm else CONV_TYPES[layer.kind]


def input_shape(cin: int, size: int | tuple[int, ...] | list[int], dims: int) -> Shape:
    """A channels-first input shape from a channel count and a spatial size.

    >>> input_shape(64, 56, 2)
    (64, 56, 56)
    """
    return (cin, *_sizes(size, dims, "input"))


def measure(
    block: Block,
    *,
    input: int | tuple[int, ...] | list[int] | None = None,
    batch: int = 1,
    dtype: str = "fp32",
) -> Cost:
    """Measure a block, optionally on a spatial input size, as a network's trace
    measures each of its blocks (see :func:`convcalc.model.network.trace`).

    >>> from convcalc.model.core import separable
    >>> cost = measure(separable(cin=64, cout=128, k=3), input=56)
    >>> cost.output_shape, cost.macs
    ((128, 56, 56), 27496448)
    """
    measurer = Measurer(batch=batch, dtype=dtype)
    if input is None:
        return measurer.unmeasured(block)
    return measurer.block(block, input_shape(block.cin, input, block.main.dims))
