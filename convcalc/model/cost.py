"""What a block costs on a given input: shapes, MACs, FLOPs and memory.

Pure arithmetic on :mod:`convcalc.model.core` blocks; results are immutable records
with raw integers, which the renderers and the JSON/CSV writers read.

Conventions, stated once: MACs are multiply-accumulates (the MobileNet paper's
"Mult-Adds"), FLOPs = 2 × MACs, and neither includes bias additions,
BatchNorm or activations; those are reported apart as ``extra_ops``.
"""

from __future__ import annotations

from math import prod

from .core import Block, Conv, ConvCalcError, Layer, Shape, _sizes
from .names import CONVENTIONS, DTYPES
from .records import Record

_set = object.__setattr__

__all__ = [
    "CONVENTIONS",
    "DTYPES",
    "BlockCost",
    "LayerCost",
    "compute",
    "input_shape",
    "measure",
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


class LayerCost(Record):
    """One layer's figures; the shape-dependent ones are None without an input."""

    __slots__ = (
        "layer",
        "params",
        "buffers",
        "input_shape",
        "output_shape",
        "macs",
        "extra_ops",
        "activation_bytes",
        "bytes_moved",
    )

    def __init__(
        self,
        *,
        layer: Layer,
        params: int,
        buffers: int,
        input_shape: Shape | None = None,
        output_shape: Shape | None = None,
        macs: int | None = None,
        extra_ops: int | None = None,
        activation_bytes: int | None = None,
        bytes_moved: int | None = None,
    ) -> None:
        # Set one by one rather than through init(**fields): batch makes one a layer.
        _set(self, "layer", layer)
        _set(self, "params", params)
        _set(self, "buffers", buffers)
        _set(self, "input_shape", input_shape)
        _set(self, "output_shape", output_shape)
        _set(self, "macs", macs)
        _set(self, "extra_ops", extra_ops)
        _set(self, "activation_bytes", activation_bytes)
        _set(self, "bytes_moved", bytes_moved)

    layer: Layer
    """The layer measured."""
    params: int
    """Trainable parameters."""
    buffers: int
    """Non-trainable elements (BatchNorm's running statistics)."""
    input_shape: Shape | None
    """Channels-first input shape of one sample."""
    output_shape: Shape | None
    """Channels-first output shape of one sample."""
    macs: int | None
    """Multiply-accumulates for the whole batch, bias excluded."""
    extra_ops: int | None
    """Bias additions and BatchNorm operations for the whole batch."""
    activation_bytes: int | None
    """Bytes of this layer's output activations for the whole batch."""
    bytes_moved: int | None
    """Bytes of weights and input read and of output written, for the whole batch."""

    @property
    def bias_adds(self) -> int | None:
        """One addition per output element for a convolution's bias; none for BatchNorm."""
        if self.extra_ops is None:
            return None
        return self.extra_ops if isinstance(self.layer, Conv) else 0

    def compute(self, convention: str) -> int | None:
        """This layer's compute in a convention (see :data:`CONVENTIONS`)."""
        macs, bias_adds = self.macs, self.bias_adds
        if macs is None or bias_adds is None:
            return None
        return compute(macs, bias_adds, convention)


class BlockCost(Record):
    """A block's figures: each total is the sum over :attr:`layers`."""

    __slots__ = (
        "block",
        "layers",
        "dtype",
        "batch",
        "input_shape",
        "_params",
        "_buffers",
        "_macs",
        "_extra_ops",
        "_activation_bytes",
        "_bias_adds",
        "_bytes_moved",
    )

    def __init__(
        self,
        *,
        block: Block,
        layers: tuple[LayerCost, ...],
        dtype: str = "fp32",
        batch: int = 1,
        input_shape: Shape | None = None,
    ) -> None:
        _set(self, "block", block)
        _set(self, "layers", layers)
        _set(self, "dtype", dtype)
        _set(self, "batch", batch)
        _set(self, "input_shape", input_shape)
        # Each total once, here, in one pass: the views read them many times over. A
        # shape-dependent total is None if any layer's figure is.
        params = buffers = 0
        macs: int | None = 0
        extra: int | None = 0
        activations: int | None = 0
        bias_adds: int | None = 0
        moved: int | None = 0
        for layer in layers:
            params += layer.params
            buffers += layer.buffers
            macs = None if macs is None or layer.macs is None else macs + layer.macs
            extra = None if extra is None or layer.extra_ops is None else extra + layer.extra_ops
            activations = (
                None
                if activations is None or layer.activation_bytes is None
                else activations + layer.activation_bytes
            )
            adds = layer.bias_adds
            bias_adds = None if bias_adds is None or adds is None else bias_adds + adds
            read = layer.bytes_moved
            moved = None if moved is None or read is None else moved + read
        _set(self, "_params", params)
        _set(self, "_buffers", buffers)
        _set(self, "_macs", macs)
        _set(self, "_extra_ops", extra)
        _set(self, "_activation_bytes", activations)
        _set(self, "_bias_adds", bias_adds)
        _set(self, "_bytes_moved", moved)

    block: Block
    """The block measured."""
    layers: tuple[LayerCost, ...]
    """Per-layer figures in forward order."""
    dtype: str
    """Data type of weights and activations."""
    batch: int
    """Samples in the batch; MACs and activations are for the whole batch."""
    input_shape: Shape | None
    """Channels-first input shape of one sample, or None when no input was given."""
    _params: int
    _buffers: int
    _macs: int | None
    _extra_ops: int | None
    _activation_bytes: int | None
    _bias_adds: int | None
    _bytes_moved: int | None

    @property
    def params(self) -> int:
        """Trainable parameters."""
        return self._params

    @property
    def buffers(self) -> int:
        """Non-trainable elements."""
        return self._buffers

    @property
    def weight_bytes(self) -> int:
        """Bytes of parameters and buffers at :attr:`dtype`."""
        return (self._params + self._buffers) * DTYPES[self.dtype]

    @property
    def has_input(self) -> bool:
        """Whether shape-dependent figures were computed."""
        return self.input_shape is not None

    @property
    def output_shape(self) -> Shape | None:
        """Channels-first output shape of one sample."""
        return self.layers[-1].output_shape

    @property
    def macs(self) -> int | None:
        """Multiply-accumulates for the batch: the sum over layers."""
        return self._macs

    @property
    def flops(self) -> int | None:
        """FLOPs = 2 × MACs (a multiply and an add)."""
        macs = self._macs
        return None if macs is None else 2 * macs

    @property
    def extra_ops(self) -> int | None:
        """Bias additions and BatchNorm operations, outside the MACs."""
        return self._extra_ops

    @property
    def activation_bytes(self) -> int | None:
        """Bytes of every layer's output activations, summed."""
        return self._activation_bytes

    @property
    def bias_adds(self) -> int | None:
        """Bias additions, one per output element of each convolution with a bias."""
        return self._bias_adds

    def compute(self, convention: str) -> int | None:
        """The block's compute in a convention (see :data:`CONVENTIONS`)."""
        macs, bias_adds = self._macs, self._bias_adds
        if macs is None or bias_adds is None:
            return None
        return compute(macs, bias_adds, convention)

    @property
    def bytes_moved(self) -> int | None:
        """Bytes each layer reads (weights, input) and writes (output), summed."""
        return self._bytes_moved

    @property
    def input_bytes(self) -> int | None:
        """Bytes of the block's input activations."""
        if self.input_shape is None:
            return None
        return self.batch * prod(self.input_shape) * DTYPES[self.dtype]

    @property
    def peak_activation_bytes(self) -> int | None:
        """The largest input + output pair alive at once during the forward pass."""
        previous = self.input_bytes
        if previous is None:
            return None
        peak = 0
        for layer in self.layers:
            out = layer.activation_bytes
            assert out is not None
            if previous + out > peak:
                peak = previous + out
            previous = out
        return peak


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
) -> BlockCost:
    """Measure a block, optionally on a spatial input size.

    >>> from convcalc.model.core import separable
    >>> cost = measure(separable(cin=64, cout=128, k=3), input=56)
    >>> cost.output_shape, cost.macs
    ((128, 56, 56), 27496448)
    """
    if dtype not in DTYPES:
        raise ConvCalcError(
            f"unknown dtype {dtype!r}: use one of {', '.join(DTYPES)}", option="dtype"
        )
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ConvCalcError(f"batch must be a whole number >= 1, got {batch!r}", option="batch")
    if input is None:
        layers = tuple(
            [
                LayerCost(layer=layer, params=layer.params, buffers=layer.buffers)
                for layer in block.layers
            ]
        )
        return BlockCost(block=block, layers=layers, dtype=dtype, batch=batch)
    shape = first = input_shape(block.cin, input, block.main.dims)
    costs = []
    size = DTYPES[dtype]
    for layer in block.layers:
        out, macs, extra = layer.cost(shape)
        params, buffers = layer.params, layer.buffers
        activations = batch * prod(out) * size
        costs.append(
            LayerCost(
                layer=layer,
                params=params,
                buffers=buffers,
                input_shape=shape,
                output_shape=out,
                macs=batch * macs,
                extra_ops=batch * extra,
                activation_bytes=activations,
                bytes_moved=(params + buffers) * size + batch * prod(shape) * size + activations,
            )
        )
        shape = out
    return BlockCost(block=block, layers=tuple(costs), dtype=dtype, batch=batch, input_shape=first)
