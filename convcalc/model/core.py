"""The formula core: convolution layers and the blocks made of them.

Everything here is pure integer arithmetic on immutable records. Nothing is
imported beyond the standard library, and nothing does I/O, so the CLI, the
renderers and library users all read the same figures.

Shapes are channels-first tuples *without* the batch dimension, as PyTorch
prints them after the batch: ``(C, H, W)`` for a 2D map, ``(C, L)`` for 1D.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import prod
from typing import Literal

from .errors import ConvCalcError
from .limits import (
    MAX_DIGITS,
    MAX_VALUE,
    too_large,
)
from .names import ALIASES, VARIANTS
from .records import Record, init, setter
from .schema import Option, options_not_for

__all__ = [
    "ALIASES",
    "VARIANTS",
    "BatchNorm",
    "Block",
    "Conv",
    "ConvCalcError",
    "Padding",
    "Shape",
    "depthwise",
    "lite",
    "make_block",
    "pointwise",
    "separable",
    "standard",
]

Shape = tuple[int, ...]
"""A channels-first shape without the batch dimension, e.g. ``(128, 56, 56)``."""

Padding = tuple[int, ...] | Literal["same", "valid"]
SizeArg = int | tuple[int, ...] | list[int]
PaddingArg = int | tuple[int, ...] | list[int] | str | None

ConvKind = Literal["standard", "depthwise", "pointwise"]


def _rank_mismatch(what: str, given: int, dims: int) -> str:
    """The message for ``given`` sizes of a ``dims``-D convolution: what is wrong, and
    what is allowed (one size, one per dimension, or the rank the sizes ask for)."""
    allowed = "one size" if dims == 1 else f"one size or {dims}"
    other = f", or make the convolution {given}D (dims {given})" if 1 <= given <= 3 else ""
    return f"{what} has {given} sizes but the convolution is {dims}D: give {allowed}{other}"


def _sizes(value: SizeArg, dims: int, what: str, *, minimum: int = 1) -> tuple[int, ...]:
    """One size per spatial dimension: an int is repeated, a sequence is checked."""
    sizes = (value,) * dims if type(value) is int else tuple(value)  # type: ignore[arg-type]
    # The usual case at once (every config builds several of these), in a plain loop,
    # the cheapest in Python; a bad one below is found again and named.
    if len(sizes) == dims:
        for s in sizes:
            if type(s) is not int or not minimum <= s < MAX_VALUE:
                break
        else:
            return sizes
    if len(sizes) != dims:
        raise ConvCalcError(_rank_mismatch(what, len(sizes), dims), option=what)
    for size in sizes:
        # type() rather than isinstance(): True is not a size.
        if type(size) is not int:
            raise ConvCalcError(f"{what} must be whole numbers, got {size!r}", option=what)
        if size < minimum:
            raise ConvCalcError(f"{what} must be >= {minimum}, got {size}", option=what)
        if too_large(size):
            raise ConvCalcError(f"{what} has more than {MAX_DIGITS} digits", option=what)
    return sizes


def _tuple(value: SizeArg, dims: int) -> tuple[int, ...]:
    """A size as a tuple, unchecked: :class:`Conv` checks it once."""
    return (value,) * dims if isinstance(value, int) else tuple(value)


def _count(value: int, what: str) -> int:
    if type(value) is int and 0 < value < MAX_VALUE:
        return value  # the usual case at once
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConvCalcError(f"{what} must be a whole number, got {value!r}", option=what)
    if value < 1:
        raise ConvCalcError(f"{what} must be >= 1, got {value}", option=what)
    if too_large(value):
        raise ConvCalcError(f"{what} has more than {MAX_DIGITS} digits", option=what)
    return value


_set = object.__setattr__


def fmt(n: int) -> str:
    """An integer with thousands separators, the way the post prints figures.

    >>> fmt(73856)
    '73,856'
    """
    return f"{n:,}"


class Conv(Record):
    """One convolution layer, with PyTorch's shapes and formulas.

    >>> Conv(cin=64, cout=128, kernel=(3, 3)).params
    73856
    """

    __slots__ = (
        "cin",
        "cout",
        "kernel",
        "groups",
        "bias",
        "stride",
        "padding",
        "dilation",
        "transposed",
        "output_padding",
        "kind",
        "name",
    )

    def __init__(
        self,
        *,
        cin: int,
        cout: int,
        kernel: tuple[int, ...],
        groups: int = 1,
        bias: bool = True,
        stride: tuple[int, ...] = (),
        padding: Padding = (),
        dilation: tuple[int, ...] = (),
        transposed: bool = False,
        output_padding: tuple[int, ...] = (),
        kind: ConvKind = "standard",
        name: str = "conv",
    ) -> None:
        # Each by its slot's setter (see records.setter): a batch line makes up to three.
        _conv_cin(self, cin)
        _conv_cout(self, cout)
        _conv_kernel(self, kernel)
        _conv_groups(self, groups)
        _conv_bias(self, bias)
        _conv_stride(self, stride)
        _conv_padding(self, padding)
        _conv_dilation(self, dilation)
        _conv_transposed(self, transposed)
        _conv_output_padding(self, output_padding)
        _conv_kind(self, kind)
        _conv_name(self, name)
        self._check()

    cin: int
    """Input channels."""
    cout: int
    """Output channels."""
    kernel: tuple[int, ...]
    """Kernel size, one per spatial dimension; its length is the rank (1D/2D/3D)."""
    groups: int
    """Channel groups: 1 for a full convolution, cin for a depthwise one."""
    bias: bool
    """Whether the layer adds a learned bias per output channel."""
    stride: tuple[int, ...]
    """Stride per dimension; empty means 1 everywhere."""
    padding: Padding
    """Zero padding per dimension (each side), ``"same"`` or ``"valid"``; empty means 0."""
    dilation: tuple[int, ...]
    """Dilation per dimension; empty means 1 everywhere."""
    transposed: bool
    """A transposed convolution (ConvTranspose), weight shaped (cin, cout/groups, k...)."""
    output_padding: tuple[int, ...]
    """Extra size added on one side of a transposed convolution's output."""
    kind: ConvKind
    """What the layer is, for tables and breakdowns; chosen by the builder, never guessed."""
    name: str
    """The layer's name within its block."""

    def _check(self) -> None:
        if self._usual():
            return
        _count(self.cin, "cin")
        _count(self.cout, "cout")
        _count(self.groups, "groups")
        dims = len(self.kernel)
        if not 1 <= dims <= 3:
            raise ConvCalcError(
                f"kernel must have 1, 2 or 3 sizes, got {len(self.kernel)}", option="kernel"
            )
        _sizes(self.kernel, dims, "kernel")
        if self.cin % self.groups:
            raise ConvCalcError(f"groups={self.groups} must divide cin={self.cin}", option="groups")
        if self.cout % self.groups:
            raise ConvCalcError(
                f"groups={self.groups} must divide cout={self.cout}", option="groups"
            )
        _set(self, "stride", _sizes(self.stride or 1, dims, "stride"))
        _set(self, "dilation", _sizes(self.dilation or 1, dims, "dilation"))
        if isinstance(self.padding, str):
            if self.padding not in ("same", "valid"):
                raise ConvCalcError(
                    f"padding must be a size, 'same' or 'valid', got {self.padding!r}",
                    option="padding",
                )
            if self.transposed:
                raise ConvCalcError(
                    f"padding={self.padding!r} is not supported for a transposed "
                    "convolution (nor by PyTorch): give a size",
                    option="padding",
                )
            if self.padding == "same" and any(s > 1 for s in self.stride):
                raise ConvCalcError(
                    f"{self.name}: padding='same' needs stride 1, got stride "
                    f"{'x'.join(map(str, self.stride))} (PyTorch refuses it too): "
                    "give the padding as a size",
                    option="padding",
                )
        else:
            _set(self, "padding", _sizes(self.padding or 0, dims, "padding", minimum=0))
        output_padding = _sizes(self.output_padding or 0, dims, "output_padding", minimum=0)
        _set(self, "output_padding", output_padding)
        if not any(output_padding):
            return  # none: nothing below can fail
        if not self.transposed:
            raise ConvCalcError(
                "output_padding applies only to a transposed convolution: make it transposed, "
                "or leave output_padding out",
                option="output_padding",
            )
        for op, s, d in zip(output_padding, self.stride, self.dilation, strict=True):
            if op >= max(s, d):
                raise ConvCalcError(
                    f"output_padding={op} must be smaller than the stride ({s}) "
                    f"or the dilation ({d})",
                    option="output_padding",
                )

    def _usual(self) -> bool:
        """Whether the layer is the usual case, checked in one pass: channels and groups
        in range that divide, every size a tuple of one whole number per dimension in
        range, a numeric padding and no output padding (a batch line builds up to three
        layers, each with five sizes). False sends it through :meth:`_check`'s checks,
        which accept the rest and name what is wrong."""
        cin, cout, groups, kernel = self.cin, self.cout, self.groups, self.kernel
        stride, dilation, padding = self.stride, self.dilation, self.padding
        output_padding = self.output_padding
        dims = len(kernel)
        if not (
            type(cin) is int
            and type(cout) is int
            and type(groups) is int
            and 0 < groups
            and 0 < cin < MAX_VALUE
            and 0 < cout < MAX_VALUE
            and not cin % groups
            and not cout % groups
            and type(kernel) is tuple
            and 0 < dims <= 3
            and type(stride) is tuple
            and type(dilation) is tuple
            and type(padding) is tuple
            and type(output_padding) is tuple
            and len(stride) == len(dilation) == len(padding) == len(output_padding) == dims
        ):
            return False
        for size in kernel + stride + dilation:
            if type(size) is not int or not 0 < size < MAX_VALUE:
                return False
        for size in padding + output_padding:
            if type(size) is not int or not 0 <= size < MAX_VALUE:
                return False
        return not any(output_padding)

    @property
    def dims(self) -> int:
        """The spatial rank: 1, 2 or 3."""
        return len(self.kernel)

    @property
    def weight_shape(self) -> Shape:
        """The weight tensor's shape as PyTorch stores it.

        >>> Conv(cin=32, cout=64, kernel=(3, 5), groups=4).weight_shape
        (64, 8, 3, 5)
        """
        if self.transposed:
            return (self.cin, self.cout // self.groups, *self.kernel)
        return (self.cout, self.cin // self.groups, *self.kernel)

    @property
    def weights(self) -> int:
        """Elements of the weight tensor."""
        return prod(self.weight_shape)

    @property
    def params(self) -> int:
        """Trainable parameters: weight elements plus one bias per output channel.

        >>> Conv(cin=64, cout=64, kernel=(3, 3), groups=64, kind="depthwise").params
        640
        """
        return self.weights + (self.cout if self.bias else 0)

    @property
    def buffers(self) -> int:
        """Non-trainable elements: a convolution has none."""
        return 0

    def pads(self, size: Shape) -> tuple[tuple[int, int], ...]:
        """Zeros added before and after, per dimension, for an input of ``size``."""
        if self.padding == "valid":
            return tuple((0, 0) for _ in self.kernel)
        if self.padding == "same":
            # PyTorch: total d*(k-1); the odd pixel goes to the right/bottom.
            totals = [d * (k - 1) for k, d in zip(self.kernel, self.dilation, strict=True)]
            return tuple((t // 2, t - t // 2) for t in totals)
        return tuple([(p, p) for p in self.padding])

    def output_size(self, size: Shape) -> Shape:
        """The spatial output size for a spatial input size (PyTorch's formulas).

        >>> Conv(cin=3, cout=8, kernel=(3, 3), stride=(2, 2), padding=(1, 1)).output_size((9, 9))
        (5, 5)
        """
        kernel, stride, dilation = self.kernel, self.stride, self.dilation
        if len(size) != len(kernel):
            self._check_input(size)  # says what is wrong
        out: list[int] = []
        transposed = self.transposed
        for axis, (before, after) in enumerate(self.pads(size)):
            length, k, s, d = size[axis], kernel[axis], stride[axis], dilation[axis]
            if transposed:
                n = (length - 1) * s - before - after + d * (k - 1) + self.output_padding[axis] + 1
            else:
                span = length + before + after - d * (k - 1) - 1
                n = span // s + 1 if span >= 0 else 0
            if n < 1:
                raise ConvCalcError(
                    f"{self.name}: empty output: kernel {size_text(self.kernel)} (dilation "
                    f"{size_text(self.dilation)}) does not fit the padded input {size_text(size)} "
                    f"(padding {size_text(tuple(b + a for b, a in self.pads(size)))} in all)",
                    option="input",
                )
            out.append(n)
        return tuple(out)

    def output_shape(self, shape: Shape) -> Shape:
        """The channels-first output shape for a channels-first input shape."""
        if shape[0] != self.cin:
            self._check_channels(shape)  # says what is wrong
        return (self.cout, *self.output_size(shape[1:]))

    def macs(self, shape: Shape) -> int:
        """Multiply-accumulates for one sample, bias excluded.

        A convolution multiplies each output element by a window of
        (cin/groups) × prod(kernel) inputs. A transposed convolution is counted
        from its input side: each input element is multiplied into a window of
        (cout/groups) × prod(kernel) outputs, which is what it really computes.

        >>> Conv(cin=64, cout=128, kernel=(3, 3), padding=(1, 1)).macs((64, 56, 56))
        231211008
        """
        return self.cost(shape)[1]

    def extra_ops(self, shape: Shape) -> int:
        """Operations outside the MACs: one bias addition per output element."""
        return self.cost(shape)[2]

    def cost(self, shape: Shape) -> tuple[Shape, int, int]:
        """(output shape, MACs, extra operations) for one sample, computed together."""
        out = self.output_shape(shape)
        window = prod(self.kernel)
        if self.transposed:
            macs = self.cin * prod(shape[1:]) * (self.cout // self.groups) * window
        else:
            macs = self.cout * prod(out[1:]) * (self.cin // self.groups) * window
        return out, macs, prod(out) if self.bias else 0

    def _check_channels(self, shape: Shape) -> None:
        if shape[0] != self.cin:
            raise ConvCalcError(
                f"{self.name}: expects {self.cin} input channels, got {shape[0]}", option="cin"
            )

    def _check_input(self, size: Shape) -> None:
        if len(size) != self.dims:
            raise ConvCalcError(
                f"{self.name}: the input has {len(size)} sizes but the kernel has "
                f"{self.dims}: give one size per dimension",
                option="input",
            )


_conv_cin = setter(Conv, "cin")
_conv_cout = setter(Conv, "cout")
_conv_kernel = setter(Conv, "kernel")
_conv_groups = setter(Conv, "groups")
_conv_bias = setter(Conv, "bias")
_conv_stride = setter(Conv, "stride")
_conv_padding = setter(Conv, "padding")
_conv_dilation = setter(Conv, "dilation")
_conv_transposed = setter(Conv, "transposed")
_conv_output_padding = setter(Conv, "output_padding")
_conv_kind = setter(Conv, "kind")
_conv_name = setter(Conv, "name")


def size_text(sizes: Sequence[int]) -> str:
    """Sizes the way convcalc's options write them.

    >>> size_text((3, 5))
    '3x5'
    """
    return "x".join(map(str, sizes))


class BatchNorm(Record):
    """Batch normalisation over ``channels``, as PyTorch's BatchNorm1d/2d/3d.

    >>> BatchNorm(channels=128).params, BatchNorm(channels=128).buffers
    (256, 256)
    """

    __slots__ = (
        "channels",
        "name",
    )

    def __init__(self, *, channels: int, name: str = "bn") -> None:
        init(self, channels=channels, name=name)
        self._check()

    channels: int
    """Channels normalised."""
    name: str
    """The layer's name within its block."""

    kind: Literal["bn"] = "bn"

    def _check(self) -> None:
        _count(self.channels, "channels")

    @property
    def params(self) -> int:
        """Trainable: a scale γ and a shift β per channel."""
        return 2 * self.channels

    @property
    def buffers(self) -> int:
        """Non-trainable: the running mean and variance per channel.

        PyTorch also keeps a one-element ``num_batches_tracked`` counter,
        which is bookkeeping rather than a statistic and is not counted.
        """
        return 2 * self.channels

    def output_shape(self, shape: Shape) -> Shape:
        """BatchNorm keeps the shape."""
        if shape[0] != self.channels:
            raise ConvCalcError(
                f"{self.name}: expects {self.channels} channels, got {shape[0]}", option="cin"
            )
        return shape

    def macs(self, shape: Shape) -> int:
        """No multiply-accumulates are counted for BatchNorm (see :meth:`extra_ops`)."""
        return self.cost(shape)[1]

    def extra_ops(self, shape: Shape) -> int:
        """At inference, a multiply and an add per element."""
        return self.cost(shape)[2]

    def cost(self, shape: Shape) -> tuple[Shape, int, int]:
        """(output shape, MACs, extra operations) for one sample."""
        out = self.output_shape(shape)
        return out, 0, 2 * prod(out)


Layer = Conv | BatchNorm


class Block(Record):
    """A named sequence of layers, such as a separable block; totals are sums.

    >>> separable(cin=64, cout=128, k=3).params
    8960
    """

    __slots__ = ("variant", "layers", "bn", "name", "_convs")

    def __init__(
        self, *, variant: str, layers: tuple[Layer, ...], bn: bool = False, name: str = ""
    ) -> None:
        _set(self, "variant", variant)
        _set(self, "layers", layers)
        _set(self, "bn", bn)
        _set(self, "name", name)
        _set(self, "_convs", tuple([layer for layer in layers if isinstance(layer, Conv)]))

    variant: str
    """The canonical variant name (standard, depthwise, pointwise, separable, lite)."""
    layers: tuple[Layer, ...]
    """The layers in forward order."""
    bn: bool
    """Whether the block carries BatchNorm."""
    name: str
    """The block's name within a network; empty for a block on its own."""
    _convs: tuple[Conv, ...]

    @property
    def convs(self) -> tuple[Conv, ...]:
        """The convolution layers alone."""
        return self._convs

    @property
    def cin(self) -> int:
        """Input channels of the block."""
        return self._convs[0].cin

    @property
    def cout(self) -> int:
        """Output channels of the block."""
        return self._convs[-1].cout

    @property
    def main(self) -> Conv:
        """The K×K convolution of the block (for pointwise, its only one)."""
        for conv in self._convs:
            if conv.kind != "pointwise":
                return conv
        return self._convs[0]

    @property
    def kernel(self) -> tuple[int, ...]:
        """The kernel of the block's K×K convolution."""
        return self.main.kernel

    @property
    def bias(self) -> bool:
        """Whether the block's convolutions carry a bias."""
        for conv in self._convs:
            if conv.bias:
                return True
        return False

    @property
    def params(self) -> int:
        """Trainable parameters: the sum over layers."""
        return sum(layer.params for layer in self.layers)

    @property
    def buffers(self) -> int:
        """Non-trainable elements (BatchNorm statistics): the sum over layers."""
        return sum(layer.buffers for layer in self.layers)


def _kernel(k: SizeArg, dims: int | None) -> tuple[int, ...]:
    if isinstance(k, int):
        return _sizes(k, dims or 2, "kernel")
    kernel = tuple(k)
    if dims is not None and len(kernel) != dims:
        raise ConvCalcError(_rank_mismatch("kernel", len(kernel), dims), option="kernel")
    return _sizes(kernel, len(kernel), "kernel")


def _padding(padding: PaddingArg, kernel: tuple[int, ...], dilation: SizeArg) -> Padding:
    """Resolve the builders' default padding: (d·(k−1))//2 on each side.

    That is the padding MobileNet, ResNet and OSNet use: it keeps the size of
    an odd kernel at stride 1 and halves it at stride 2. PyTorch's own
    default is 0; pass ``padding=0`` for it.
    """
    if padding is None:
        dil = _sizes(dilation, len(kernel), "dilation")
        return tuple([d * (k - 1) // 2 for k, d in zip(kernel, dil, strict=True)])
    if isinstance(padding, str):
        return padding  # type: ignore[return-value]  # checked by Conv
    return _sizes(padding, len(kernel), "padding", minimum=0)


def _with_bn(convs: list[Conv], bn_after: set[int]) -> tuple[Layer, ...]:
    if not bn_after:
        return tuple(convs)
    layers: list[Layer] = []
    for i, conv in enumerate(convs):
        layers.append(conv)
        if i in bn_after:
            suffix = str(i + 1) if len(bn_after) > 1 else ""
            layers.append(BatchNorm(channels=conv.cout, name=f"bn{suffix}"))
    return tuple(layers)


def standard(
    *,
    cin: int,
    cout: int,
    k: SizeArg = 3,
    groups: int = 1,
    bias: bool = True,
    bn: bool = False,
    stride: SizeArg = 1,
    padding: PaddingArg = None,
    dilation: SizeArg = 1,
    transposed: bool = False,
    output_padding: SizeArg = 0,
    dims: int | None = None,
) -> Block:
    """A standard (optionally grouped or transposed) K×K convolution.

    Parameters: (C_in/g × KH × KW + 1) × C_out, BatchNorm adding 2 × C_out.

    >>> standard(cin=64, cout=128, k=3).params
    73856
    >>> standard(cin=64, cout=64, k=3).params
    36928
    """
    kernel = _kernel(k, dims)
    conv = Conv(
        cin=cin,
        cout=cout,
        kernel=kernel,
        groups=groups,
        bias=bias,
        stride=_tuple(stride, len(kernel)),
        padding=_padding(padding, kernel, dilation),
        dilation=_tuple(dilation, len(kernel)),
        transposed=transposed,
        output_padding=_tuple(output_padding, len(kernel)),
        kind="standard",
        name="conv_transpose" if transposed else "conv",
    )
    return Block(variant="standard", layers=_with_bn([conv], {0} if bn else set()), bn=bn)


def _depthwise_conv(
    cin: int,
    multiplier: int,
    kernel: tuple[int, ...],
    bias: bool,
    stride: SizeArg,
    padding: PaddingArg,
    dilation: SizeArg,
) -> Conv:
    _count(multiplier, "multiplier")
    return Conv(
        cin=cin,
        cout=cin * multiplier,
        kernel=kernel,
        groups=cin,
        bias=bias,
        stride=_tuple(stride, len(kernel)),
        padding=_padding(padding, kernel, dilation),
        dilation=_tuple(dilation, len(kernel)),
        output_padding=(0,) * len(kernel),  # every size given: Conv checks it at once
        kind="depthwise",
        name="depthwise",
    )


def _pointwise_conv(
    cin: int, cout: int, dims: int, bias: bool, groups: int = 1, stride: SizeArg = 1
) -> Conv:
    return Conv(
        cin=cin,
        cout=cout,
        kernel=(1,) * dims,
        groups=groups,
        bias=bias,
        stride=_tuple(stride, dims),
        padding=(0,) * dims,  # every size given: Conv checks it at once
        dilation=(1,) * dims,
        output_padding=(0,) * dims,
        kind="pointwise",
        name="pointwise",
    )


def depthwise(
    *,
    cin: int,
    k: SizeArg = 3,
    multiplier: int = 1,
    bias: bool = True,
    bn: bool = False,
    stride: SizeArg = 1,
    padding: PaddingArg = None,
    dilation: SizeArg = 1,
    dims: int | None = None,
) -> Block:
    """A depthwise K×K convolution: one filter per input channel (× multiplier).

    Parameters: (K × K + 1) × C_in × m.

    >>> depthwise(cin=64, k=3).params
    640
    """
    conv = _depthwise_conv(cin, multiplier, _kernel(k, dims), bias, stride, padding, dilation)
    return Block(variant="depthwise", layers=_with_bn([conv], {0} if bn else set()), bn=bn)


def pointwise(
    *,
    cin: int,
    cout: int,
    groups: int = 1,
    bias: bool = True,
    bn: bool = False,
    stride: SizeArg = 1,
    dims: int | None = None,
) -> Block:
    """A pointwise (1×1) convolution, optionally grouped or strided.

    Parameters: (C_in/g + 1) × C_out.

    >>> pointwise(cin=64, cout=128).params
    8320
    """
    rank = dims or (len(stride) if isinstance(stride, tuple | list) else 2)
    conv = _pointwise_conv(cin, cout, rank, bias, groups, stride)
    return Block(variant="pointwise", layers=_with_bn([conv], {0} if bn else set()), bn=bn)


def separable(
    *,
    cin: int,
    cout: int,
    k: SizeArg = 3,
    multiplier: int = 1,
    bias: bool = True,
    bn: bool = False,
    stride: SizeArg = 1,
    padding: PaddingArg = None,
    dilation: SizeArg = 1,
    dims: int | None = None,
) -> Block:
    """MobileNet's depthwise separable block: depthwise K×K, then pointwise 1×1.

    Parameters: (K × K + 1) × C_in + (C_in + 1) × C_out; with BatchNorm, one
    after each convolution, as MobileNet has it.

    >>> separable(cin=64, cout=128, k=3).params
    8960
    """
    kernel = _kernel(k, dims)
    dw = _depthwise_conv(cin, multiplier, kernel, bias, stride, padding, dilation)
    pw = _pointwise_conv(dw.cout, cout, len(kernel), bias)
    return Block(variant="separable", layers=_with_bn([dw, pw], {0, 1} if bn else set()), bn=bn)


def lite(
    *,
    cin: int,
    cout: int,
    k: SizeArg = 3,
    bias: bool = True,
    bn: bool = False,
    stride: SizeArg = 1,
    padding: PaddingArg = None,
    dilation: SizeArg = 1,
    dims: int | None = None,
) -> Block:
    """OSNet's lite block (LightConv3x3): pointwise 1×1, then depthwise K×K.

    Parameters: (C_in + 1) × C_out + (K × K + 1) × C_out; with BatchNorm, a
    single one after the depthwise convolution, as torchreid's OSNet has it.

    >>> lite(cin=64, cout=128, k=3).params
    9600
    """
    kernel = _kernel(k, dims)
    pw = _pointwise_conv(cin, cout, len(kernel), bias)
    dw = _depthwise_conv(cout, 1, kernel, bias, stride, padding, dilation)
    return Block(variant="lite", layers=_with_bn([pw, dw], {1} if bn else set()), bn=bn)


def make_block(
    variant: str,
    *,
    cin: int,
    cout: int | None = None,
    k: SizeArg | None = None,
    groups: int = 1,
    multiplier: int = 1,
    bias: bool = True,
    bn: bool = False,
    stride: SizeArg = 1,
    padding: PaddingArg = None,
    dilation: SizeArg = 1,
    transposed: bool = False,
    output_padding: SizeArg = 0,
    dims: int | None = None,
) -> Block:
    """Build any variant by name (aliases accepted), refusing options that do not apply.

    >>> make_block("mobilenet", cin=64, cout=64).params
    4800
    """
    name = ALIASES.get(variant, variant)
    if name not in VARIANTS:
        allowed = ", ".join([*VARIANTS, *ALIASES])
        raise ConvCalcError(f"unknown variant {variant!r}: use one of {allowed}", option="variant")
    if dims is not None and (type(dims) is not int or not 1 <= dims <= 3):
        # 0 would silently read as the 2D default, and a negative rank as no sizes.
        raise ConvCalcError(f"dims must be 1, 2 or 3, got {dims!r}", option="dims")
    given = {
        "kernel": k,
        "groups": groups,
        "multiplier": multiplier,
        "padding": padding,
        "dilation": dilation,
        "transposed": transposed,
        "output_padding": output_padding,
    }
    not_for = _NOT_FOR.get(name)
    if not_for is None:
        not_for = _NOT_FOR[name] = options_not_for(name)
    for option in not_for:
        value = given[option.name]
        if value is None or (type(value) is type(option.absent) and value == option.absent):
            continue  # left out, or the value a variant without it has (the usual case)
        if _given(value, option.absent):
            raise ConvCalcError(
                f"{option.name} does not apply to a {name} convolution", option=option.name
            )
    if name == "pointwise":
        if cout is None:
            raise ConvCalcError("pointwise needs cout", option="cout")
        return pointwise(
            cin=cin, cout=cout, groups=groups, bias=bias, bn=bn, stride=stride, dims=dims
        )
    kk = 3 if k is None else k
    if name == "depthwise":
        if cout is not None:
            if cout % cin:
                raise ConvCalcError(
                    f"a depthwise convolution's cout must be a multiple of cin={cin}, got {cout}",
                    option="cout",
                )
            if multiplier not in (1, cout // cin):
                raise ConvCalcError(
                    f"cout={cout} disagrees with multiplier={multiplier} × cin={cin}",
                    option="cout",
                )
            multiplier = cout // cin
        return depthwise(
            cin=cin,
            k=kk,
            multiplier=multiplier,
            bias=bias,
            bn=bn,
            stride=stride,
            padding=padding,
            dilation=dilation,
            dims=dims,
        )
    if cout is None:
        raise ConvCalcError(f"{name} needs cout", option="cout")
    if name == "standard":
        return standard(
            cin=cin,
            cout=cout,
            k=kk,
            groups=groups,
            bias=bias,
            bn=bn,
            stride=stride,
            padding=padding,
            dilation=dilation,
            transposed=transposed,
            output_padding=output_padding,
            dims=dims,
        )
    if name == "separable":
        return separable(
            cin=cin,
            cout=cout,
            k=kk,
            multiplier=multiplier,
            bias=bias,
            bn=bn,
            stride=stride,
            padding=padding,
            dilation=dilation,
            dims=dims,
        )
    return lite(
        cin=cin,
        cout=cout,
        k=kk,
        bias=bias,
        bn=bn,
        stride=stride,
        padding=padding,
        dilation=dilation,
        dims=dims,
    )


_NOT_FOR: dict[str, tuple[Option, ...]] = {}
"""Each variant's options_not_for, worked out once (the schema does not change)."""


def _given(value: SizeArg | str | bool, default: int | bool) -> bool:
    """Whether a size (or a flag) differs from a value that is the same in every dimension."""
    if isinstance(value, str):
        return True
    sizes = (value,) if isinstance(value, int) else tuple(value)
    return any(v != default for v in sizes)
