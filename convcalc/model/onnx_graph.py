"""ONNX files read as convcalc specs: a graph of operators turned into layers.

:func:`read_graph` is the only place that touches the ``onnx`` package (imported when it
runs, so that the model layer stays free of it): it reads the file, bounded, without its
weights' data, into plain records (:class:`Graph`). :func:`convert` turns such a graph
into spec data in the spec language (``docs/spec.md``), which
:func:`~convcalc.model.spec.build` builds like any other spec; so every figure comes
from the layers' shapes, counted per operator, never from the file's tensors (exporters
share identical tensors between operators through Identity nodes).

The graph is a DAG; :func:`convert` recovers its series-parallel structure: where a
tensor forks, the branches must meet again at one operator, which says what the block
is (Add: a residual or a parallel sum; Concat: a parallel concatenation; Mul: a
squeeze-and-excitation gate), and a Split (or channel Slices covering the input) gives
each branch its part of the channels.
"""

from __future__ import annotations

import heapq
import math
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import ConvCalcError
from .limits import MAX_NODES, MAX_ONNX_BYTES, too_large
from .network import window_out

__all__ = [
    "Const",
    "Graph",
    "Imported",
    "OnnxError",
    "Op",
    "convert",
    "read_graph",
]

INSTALL = "pip install 'convcalc[onnx]'"
"""How to get the optional ``onnx`` package that reading a file needs."""


_ACTIVATIONS = {
    "Relu": "relu",
    "HardSwish": "hardswish",
    "HardSigmoid": "hardsigmoid",
    "Sigmoid": "sigmoid",
    "Tanh": "tanh",
    "Gelu": "gelu",
}
"""ONNX operators that are one activation each (Clip is ReLU or ReLU6 by its bounds;
SiLU is found as x · sigmoid(x))."""


class OnnxError(ConvCalcError):
    """An ONNX file that cannot be read or followed; the message names the file and,
    where there is one, the node."""


@dataclass(frozen=True)
class Const:
    """A tensor whose value is known before the network runs: an initializer, a
    Constant, or a shape computed from shapes. ``values`` (flattened) is None when the
    file's data was not read (large weights, external data): its shape is enough."""

    dims: tuple[int, ...]
    values: tuple[Any, ...] | None = None
    dtype: str = ""

    @property
    def size(self) -> int:
        return math.prod(self.dims)


@dataclass(frozen=True)
class Op:
    """One operator as the file writes it, with its attributes as Python values."""

    op: str
    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Graph:
    """A graph read from a file: operators in the file's order, initializers, and the
    inputs that are not initializers (each dimension an int, or a name or None when
    symbolic or missing)."""

    name: str
    ops: tuple[Op, ...]
    consts: dict[str, Const]
    inputs: tuple[tuple[str, tuple[int | str | None, ...] | None], ...]
    outputs: tuple[str, ...]
    producer: str = ""
    opset: int = 0
    shapes: dict[str, tuple[int | None, ...]] = field(default_factory=dict)
    """Shapes ONNX's own shape inference found (a fallback for unknown operators)."""


@dataclass(frozen=True)
class Imported:
    """What :func:`convert` made of a graph: spec data, and what it could not count."""

    spec: dict[str, Any]
    unsupported: dict[str, int]
    """Operator types convcalc does not know, with how often each occurs (counted 0)."""
    batchnorms: int
    """BatchNormalization operators in the file (0: the exporter folded them)."""
    producer: str
    opset: int
    convolutions: int = 0
    """Conv and ConvTranspose operators: with none, there was no BatchNorm to fold."""

    @property
    def folded(self) -> bool:
        """Whether the exporter folded BatchNorm into the convolutions: a graph with
        convolutions and no BatchNormalization."""
        return self.convolutions > 0 and self.batchnorms == 0


# --- reading a file (the only code that uses the onnx package) ---------------------


def read_graph(path: str, *, size: int | Sequence[int] | None = None) -> Graph:
    """Read an ONNX file into a :class:`Graph`, bounded: a file over
    :data:`~convcalc.model.limits.MAX_ONNX_BYTES` is refused before it is read, and no
    external data is loaded (weights are only needed for their shapes). ``size``
    (``--input``) is the input's spatial size for ONNX's shape inference, as for
    :func:`convert`."""
    try:
        import onnx
    except ImportError:
        raise OnnxError(
            f"{path}: reading ONNX files needs the onnx package: {INSTALL}", option="spec"
        ) from None
    try:
        nbytes = os.stat(path).st_size
    except OSError as error:
        raise OnnxError(
            f"{path}: cannot read it: {error.strerror or error}", option="spec"
        ) from None
    if nbytes > MAX_ONNX_BYTES:
        raise OnnxError(
            f"{path}: the file is {nbytes:,} bytes: the limit is {MAX_ONNX_BYTES:,} bytes "
            "(save the weights as external data, which convcalc does not need)",
            option="spec",
        )
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_ONNX_BYTES + 1)
    except OSError as error:
        raise OnnxError(
            f"{path}: cannot read it: {error.strerror or error}", option="spec"
        ) from None
    if not data:
        raise OnnxError(f"{path}: the file is empty, not an ONNX model", option="spec")
    try:
        model = onnx.ModelProto.FromString(data)
    except Exception:  # protobuf's DecodeError, or a RuntimeError from its C parser
        raise OnnxError(
            f"{path}: not a readable ONNX model (truncated or corrupted, or not ONNX at all)",
            option="spec",
        ) from None
    del data
    if not model.graph.node or not model.opset_import:
        raise OnnxError(
            f"{path}: not an ONNX model (no graph of operators in it: another protobuf?)",
            option="spec",
        )
    _check_external(model, path)
    _drop_weight_data(model)
    if size is not None:
        _resize_input(onnx, model, size)
    shapes: dict[str, tuple[int | None, ...]] = {}
    if any(
        node.op_type not in KNOWN or node.domain not in ("", "ai.onnx") for node in model.graph.node
    ):
        # ONNX's shape inference, only for what convcalc does not know itself: the output
        # shape of an unknown operator (and of weights computed from weights).
        try:
            inferred = onnx.shape_inference.infer_shapes(model, strict_mode=False)
            # The graph's outputs too: an unknown operator may be the last (a Resize
            # back to the input's size ends many segmentation networks).
            for info in (*inferred.graph.value_info, *inferred.graph.output):
                shape = _dims(info)
                if shape is not None:
                    shapes[info.name] = tuple(
                        d if isinstance(d, int) and d > 0 else None for d in shape
                    )
        except Exception:  # a fallback only: without it, an unknown operator keeps its shape
            pass
    consts = {t.name: _const(onnx, t) for t in model.graph.initializer}
    for sparse in model.graph.sparse_initializer:
        consts[sparse.values.name] = Const(dims=tuple(sparse.dims))
    for name, const in consts.items():
        if any(d < 0 for d in const.dims):
            raise OnnxError(
                f"{path}: the tensor {name!r} has a negative dimension "
                f"({'×'.join(map(str, const.dims))}): a corrupted file?",
                option="spec",
            )
    inputs = tuple(
        (info.name, _dims(info)) for info in model.graph.input if info.name not in consts
    )
    try:
        ops = tuple(_op(onnx, node, index) for index, node in enumerate(model.graph.node))
    except Exception:  # an attribute the onnx package itself cannot read
        raise OnnxError(
            f"{path}: an operator's attributes cannot be read (a corrupted file?)", option="spec"
        ) from None
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    producer = " ".join(p for p in (model.producer_name, model.producer_version) if p)
    return Graph(
        name=model.graph.name,
        ops=ops,
        consts=consts,
        inputs=inputs,
        outputs=tuple(o.name for o in model.graph.output),
        producer=producer,
        opset=opset,
        shapes=shapes,
    )


_SMALL = 4096
"""Elements of a tensor whose values are read (shapes, axes, clip bounds); larger ones,
the weights, are kept as shapes only."""


def _check_external(model: Any, path: str) -> None:
    """Name external data the file points to that is not beside it (its weights'
    values are not needed, but a model without them is not the model)."""
    folder = os.path.dirname(os.path.abspath(path))
    missing = set()
    for tensor in model.graph.initializer:
        if tensor.data_location == 1:  # TensorProto.EXTERNAL
            location = next((e.value for e in tensor.external_data if e.key == "location"), "")
            if not location or not os.path.isfile(os.path.join(folder, location)):
                missing.add(location or "(no location given)")
    if missing:
        names = ", ".join(sorted(missing)[:3]) + (" …" if len(missing) > 3 else "")
        raise OnnxError(
            f"{path}: its weights are stored in external data that is missing: {names} "
            "(keep the data file beside the model)",
            option="spec",
        )


def _drop_weight_data(model: Any) -> None:
    """Forget large tensors' values (their shapes stay): memory for shape inference."""
    for tensor in model.graph.initializer:
        elements = math.prod(tensor.dims)
        if elements > _SMALL:
            tensor.ClearField("raw_data")
            for name in ("float_data", "int32_data", "int64_data", "double_data", "uint64_data"):
                tensor.ClearField(name)
            tensor.ClearField("external_data")
            tensor.data_location = 0


def _resize_input(onnx: Any, model: Any, size: int | Sequence[int]) -> None:
    """Write ``--input``'s sizes into the file's input, so that ONNX's shape inference
    (what tells whether an unknown operator keeps its shape) works at the size measured,
    not at the one the file was exported at. Sizes that do not fit are left for
    :func:`convert` to refuse."""
    weights = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in weights]
    if len(inputs) != 1 or inputs[0].type.WhichOneof("value") != "tensor_type":
        return
    if not inputs[0].type.tensor_type.HasField("shape"):
        return
    dims = inputs[0].type.tensor_type.shape.dim
    rank = len(dims)
    readers = [n for n in model.graph.node if inputs[0].name in n.input]
    first = 2
    if rank >= 3 and len(readers) == 1 and readers[0].op_type == "Transpose":
        perm = next(
            (onnx.helper.get_attribute_value(a) for a in readers[0].attribute if a.name == "perm"),
            None,
        )
        if list(perm or ()) == [0, rank - 1, *range(1, rank - 1)]:
            first = 1  # channels-last, read as channels-first (see _Converter.run)
    axes = range(first, first + rank - 2)
    sizes = (size,) * len(axes) if isinstance(size, int) else tuple(size)
    if len(sizes) != len(axes):
        return
    for axis, n in zip(axes, sizes, strict=True):
        dims[axis].dim_value = int(n)


_DTYPES = {1: "float32", 10: "float16", 16: "bfloat16", 3: "int8", 2: "uint8", 11: "float64"}


def _const(onnx: Any, tensor: Any) -> Const:
    dims = tuple(int(d) for d in tensor.dims)
    dtype = _DTYPES.get(tensor.data_type, "")
    values = None
    if math.prod(dims) <= _SMALL and tensor.data_location != 1:
        try:
            values = tuple(onnx.numpy_helper.to_array(tensor).reshape(-1).tolist())
        except Exception:  # unreadable data: the shape is still known
            values = None
    return Const(dims=dims, values=values, dtype=dtype)


def _dims(info: Any) -> tuple[int | str | None, ...] | None:
    kind = info.type.WhichOneof("value")
    if kind != "tensor_type" or not info.type.tensor_type.HasField("shape"):
        return None
    dims: list[int | str | None] = []
    for dim in info.type.tensor_type.shape.dim:
        which = dim.WhichOneof("value")
        if which == "dim_value":  # one below 1 is kept, to be named where it is read
            dims.append(int(dim.dim_value))
        elif which == "dim_param":
            dims.append(dim.dim_param)
        else:
            dims.append(None)
    return tuple(dims)


def _op(onnx: Any, node: Any, index: int) -> Op:
    attrs: dict[str, Any] = {}
    for attribute in node.attribute:
        value = onnx.helper.get_attribute_value(attribute)
        if isinstance(value, onnx.TensorProto):
            value = _const(onnx, value)
        elif isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        elif isinstance(value, list):
            value = [v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in value]
            if any(not isinstance(v, int | float | str) for v in value):
                value = None
        elif not isinstance(value, int | float | str):
            value = None  # a subgraph: the operator is not one convcalc follows
        attrs[attribute.name] = value
    op = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}.{node.op_type}"
    name = node.name or (node.output[0] if node.output else f"{node.op_type}_{index}")
    return Op(op=op, name=name, inputs=tuple(node.input), outputs=tuple(node.output), attrs=attrs)


# --- converting a graph to spec data (pure) -----------------------------------------

ACTIVATIONS = {
    "Relu": "relu",
    "HardSwish": "hardswish",
    "HardSigmoid": "hardsigmoid",
    "Sigmoid": "sigmoid",
    "Tanh": "tanh",
    "Gelu": "gelu",
}
"""ONNX activations and the spec's ``act`` names (Clip to [0, 6] is relu6; x·sigmoid(x)
is silu; x·hardsigmoid(x) is hardswish)."""

PASS_THROUGH = {"Identity", "Dropout"}
"""Operators that leave their input as it is at inference."""

KEEPS_SHAPE = {"Cast", "Floor", "Ceil", "Neg"}
"""Operators worked out here on constants that, on the data path, are counted 0 and
passed over: they keep their input's shape (ONNX's shape inference, which tells for an
unknown operator, is not run for them)."""

CONST_OPS = {
    "Constant",
    "Shape",
    "Gather",
    "Unsqueeze",
    "Squeeze",
    "Concat",
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Cast",
    "Slice",
    "Reshape",
    "Identity",
    "ConstantOfShape",
    "Floor",
    "Ceil",
    "Neg",
    "Size",
}
"""Operators worked out here when their inputs are known: exporters compute reshape
targets and split points this way (ShuffleNet's Shape → Gather → Div → Slice)."""


@dataclass
class _Node:
    """An operator on the data path, once constants are worked out: its data inputs,
    the spec layers it stands for (None: it is removed), and its role in the graph."""

    op: Op
    inputs: list[str]
    outputs: list[str]
    layer: dict[str, Any] | None = None
    role: str = "layer"
    """``layer`` (one input, one output), ``merge`` (several inputs), ``split``,
    ``slice``, ``reshape``, ``transpose`` (kept for the patterns that use them)."""
    extra: dict[str, Any] = field(default_factory=dict)
    index: int = 0


_Shape = tuple[int, ...]


@dataclass
class _Converter:
    graph: Graph
    source: str
    consts: dict[str, Const] = field(default_factory=dict)
    shapes: dict[str, _Shape] = field(default_factory=dict)
    alias: dict[str, str] = field(default_factory=dict)
    padded: dict[str, tuple[str, list[tuple[int, int]]]] = field(default_factory=dict)
    """A Pad's output: the tensor it pads and the zeros before and after each size."""
    nodes: list[_Node] = field(default_factory=list)
    batchnorms: int = 0

    def fail(self, op: Op | None, message: str) -> OnnxError:
        where = f"node {op.name!r} ({op.op}): " if op is not None else ""
        return OnnxError(f"{self.source}: {where}{message}", option="spec")

    def real(self, name: str) -> str:
        while name in self.alias:
            name = self.alias[name]
        return name

    # -- the walk over the operators --

    def run(self, size: int | Sequence[int] | None) -> tuple[str, str, _Shape]:
        graph = self.graph
        if len(graph.ops) > MAX_NODES:
            raise self.fail(
                None, f"the graph has {len(graph.ops):,} operators: at most {MAX_NODES:,}"
            )
        self.consts = dict(graph.consts)
        if len(graph.inputs) != 1:
            names = ", ".join(repr(n) for n, _ in graph.inputs[:4]) or "none"
            raise self.fail(
                None,
                f"the graph has {len(graph.inputs)} inputs besides its weights ({names}): "
                "convcalc reads a network with one input",
            )
        entry, dims = graph.inputs[0]
        readers = [op for op in graph.ops if entry in op.inputs]
        channels_last = None
        if dims is not None and len(dims) >= 3 and len(readers) == 1:
            rank = len(dims)
            if readers[0].op == "Transpose" and list(readers[0].attrs.get("perm") or ()) == [
                0,
                rank - 1,
                *range(1, rank - 1),
            ]:
                # A channels-last input (TensorFlow's) turned channels-first at once: read
                # the network as channels-first.
                channels_last = readers[0]
                dims = (dims[0], dims[-1], *dims[1:-1])
                self.alias[channels_last.outputs[0]] = entry
        self.shapes[entry] = self.input_shape(entry, dims, size)
        for op in _topological(graph.ops, self.fail):
            if op is channels_last:
                continue
            try:
                self.visit(op)
            except OnnxError:
                raise
            except (
                ValueError,
                TypeError,
                KeyError,
                IndexError,
                ZeroDivisionError,
                AttributeError,
                OverflowError,
            ) as error:
                raise self.fail(
                    op,
                    "its inputs or attributes are not as ONNX defines this operator "
                    f"({type(error).__name__})",
                ) from None
        outputs = [self.real(o) for o in graph.outputs if self.real(o) not in self.consts]
        if len(outputs) != 1:
            raise self.fail(
                None,
                f"the graph has {len(outputs)} outputs: convcalc reads a network with one output",
            )
        return entry, outputs[0], self.shapes[entry]

    def input_shape(
        self, name: str, dims: tuple[int | str | None, ...] | None, size: int | Sequence[int] | None
    ) -> _Shape:
        """(batch, channels, *sizes): a symbolic batch is 1; a symbolic channel count is
        read from the first convolution; ``size`` (``--input``) replaces the sizes."""
        if dims is None:
            if size is None:
                raise self.fail(
                    None,
                    f"the input {name!r} has no shape in the file: give its size with "
                    "--input (224, 256x128)",
                )
            dims = (1, None, *((size, size) if isinstance(size, int) else size))
        if not 3 <= len(dims) <= 5:
            raise self.fail(
                None,
                f"the input {name!r} is {_text(dims)}: convcalc reads a batch of maps "
                "(N, C, and 1 to 3 sizes)",
            )
        batch = dims[0] if isinstance(dims[0], int) and dims[0] > 0 else 1
        if isinstance(dims[1], int) and dims[1] < 1:
            raise self.fail(
                None,
                f"the input {name!r} is {_text(dims)}: {dims[1]} channels (a channel count "
                "must be at least 1; a corrupted file?)",
            )
        channels = dims[1] if isinstance(dims[1], int) else self.channels_of(name)
        sizes = list(dims[2:])
        if isinstance(size, int):
            size = (size,) * len(sizes)
        if size is not None:
            if len(size) != len(sizes):
                raise OnnxError(
                    f"--input has {len(size)} sizes but {self.source}'s input has "
                    f"{len(sizes)} ({_text(dims[1:])})",
                    option="input",
                )
            sizes = list(size)
        small = [d for d in sizes if isinstance(d, int) and d < 1]
        if small:
            raise self.fail(
                None,
                f"the input {name!r} is {_text(dims)}: a size must be at least 1, not "
                f"{small[0]}; give the sizes with --input (224, 256x128)",
            )
        unknown = [i for i, d in enumerate(sizes) if not isinstance(d, int)]
        if unknown or not sizes:
            raise self.fail(
                None,
                f"the input {name!r} is {_text(dims)}: its size is symbolic; give it with "
                "--input (224, 256x128)",
            )
        return (batch, channels, *(int(d) for d in sizes))  # type: ignore[arg-type]

    def channels_of(self, name: str) -> int:
        for op in self.graph.ops:
            if op.op == "Conv" and op.inputs and op.inputs[0] == name and len(op.inputs) > 1:
                weight = self.consts.get(op.inputs[1])
                if weight is not None and len(weight.dims) > 1:
                    return weight.dims[1] * int(op.attrs.get("group", 1))
        raise self.fail(None, f"the input {name!r} has symbolic channels that no Conv reveals")

    def visit(self, op: Op) -> None:
        if op.op in PASS_THROUGH and op.inputs:
            for output in op.outputs[:1]:
                self.alias[output] = self.real(op.inputs[0])
            return
        inputs = [self.real(i) for i in op.inputs]
        if op.op in CONST_OPS and all(
            not i or i in self.consts or i in self.shapes for i in inputs
        ):
            data = [i for i in inputs if i and i in self.shapes]
            if not data or op.op in ("Shape", "Size"):
                value = _evaluate(
                    op,
                    [self.consts.get(i) if i else None for i in inputs],
                    [self.shapes.get(i) if i else None for i in inputs],
                )
                if value is not None:
                    self.consts[op.outputs[0]] = value
                    return
        if op.outputs and all(not i or i in self.consts for i in inputs) and inputs:
            # Computed from weights alone (a DequantizeLinear of int8 weights): its
            # shape is what a layer reading it needs.
            inferred = self.graph.shapes.get(op.outputs[0])
            first = self.consts.get(inputs[0]) if inputs[0] else None
            if inferred is not None and None not in inferred:
                self.consts[op.outputs[0]] = Const(dims=tuple(d or 0 for d in inferred))
                return
            if first is not None:
                self.consts[op.outputs[0]] = Const(dims=first.dims)
                return
        if op.op in _ACTIVATIONS:
            self.activation(op, inputs, _ACTIVATIONS[op.op])
            return
        handler = getattr(self, f"op_{op.op}", None)
        if handler is None:
            self.unknown(op, inputs)
            return
        handler(op, inputs)

    def data_inputs(self, op: Op, inputs: list[str]) -> list[str]:
        return [i for i in inputs if i and i in self.shapes]

    def shape_of(self, op: Op, inputs: list[str], count: int = 1) -> _Shape:
        data = self.data_inputs(op, inputs)
        if len(data) != count:
            raise self.fail(op, f"expected {count} data input(s), found {len(data)}")
        return self.shapes[data[0]]

    def const(self, op: Op, inputs: list[str], index: int, *, values: bool = False) -> Const | None:
        if index >= len(inputs) or not inputs[index]:
            return None
        value = self.consts.get(inputs[index])
        if value is None:
            raise self.fail(op, f"input {index + 1} must be a constant (a weight), not computed")
        if values and value.values is None:
            raise self.fail(op, f"the value of {inputs[index]!r} is not in the file")
        return value

    def weight(self, op: Op, inputs: list[str]) -> Const:
        """The operator's second input, a constant of at least two dimensions."""
        weight = self.const(op, inputs, 1)
        if weight is None or len(weight.dims) < 2 or 0 in weight.dims:
            raise self.fail(op, "no weight of two dimensions or more as its second input")
        return weight

    def add(
        self,
        op: Op,
        inputs: list[str],
        layer: dict[str, Any] | None,
        out: _Shape,
        role: str = "layer",
        **extra: Any,
    ) -> None:
        if layer is not None:
            layer = {**layer, "name": op.name}
        data = self.data_inputs(op, inputs)
        node = _Node(
            op=op,
            inputs=data,
            outputs=[op.outputs[0]],
            layer=layer,
            role=role,
            extra=extra,
            index=len(self.nodes),
        )
        self.nodes.append(node)
        self.shapes[op.outputs[0]] = out

    def unknown(self, op: Op, inputs: list[str]) -> None:
        """An operator convcalc does not know: counted 0, listed, and passed through as
        an identity layer if it keeps its input's shape."""
        data = self.data_inputs(op, inputs)
        if len(data) != 1 or len(op.outputs) != 1:
            raise self.fail(
                op,
                f"convcalc does not know this operator and it takes {len(data)} data inputs: "
                "it cannot be passed over",
            )
        shape = self.shapes[data[0]]
        if op.op in KEEPS_SHAPE:
            self.add(op, inputs, {"type": "identity"}, shape)
            return
        inferred = self.graph.shapes.get(op.outputs[0])
        if inferred is None:
            raise self.fail(
                op,
                "convcalc does not know this operator and ONNX's shape inference does not "
                "give its output's shape: it cannot be passed over",
            )
        if len(inferred) != len(shape) or any(
            d is not None and d != s for d, s in zip(inferred[1:], shape[1:], strict=False)
        ):
            raise self.fail(
                op,
                f"convcalc does not know this operator and it changes the shape "
                f"({_change(shape, inferred)}): it cannot be passed over",
            )
        self.add(op, inputs, {"type": "identity"}, shape)

    def kept(self, op: Op, inputs: list[str], out: _Shape, what: str) -> str:
        """The data input of an operator passed over as nothing, which must give its
        input's shape: ``out`` (``what`` says which operation it is)."""
        data = self.data_inputs(op, inputs)[0]
        shape = self.shapes[data]
        if out != shape:
            raise self.fail(
                op,
                f"{what}, which changes the shape ({_change(shape, out)}): convcalc has no "
                "layer for that and cannot pass it over",
            )
        return data

    # -- operators --

    def op_Pad(self, op: Op, inputs: list[str]) -> None:
        """Zero padding of the map, kept for the convolution that reads it (TensorFlow's
        explicit padding): it is that convolution's padding."""
        shape = self.shape_of(op, inputs)
        mode = op.attrs.get("mode", "constant")
        pads = op.attrs.get("pads")
        value = op.attrs.get("value", 0)
        if pads is None:
            given = self.const(op, inputs, 1, values=True)
            pads = list(given.values or ()) if given else []
            fill = self.const(op, inputs, 2, values=True) if len(inputs) > 2 else None
            value = fill.values[0] if fill and fill.values else 0
        rank = len(shape)
        axes_given = self.const(op, inputs, 3, values=True) if len(inputs) > 3 else None
        axes = [int(a) % rank for a in axes_given.values or ()] if axes_given else range(rank)
        full = [0] * (2 * rank)
        count = len(axes)
        if len(pads) != 2 * count:
            raise self.fail(op, f"pads {pads!r} do not fit a tensor of rank {rank}")
        for i, axis in enumerate(axes):
            full[axis], full[axis + rank] = int(pads[i]), int(pads[i + count])
        if (
            mode != "constant"
            or value != 0
            or any(p < 0 for p in full)
            or any(full[a] or full[a + rank] for a in (0, 1))
        ):
            raise self.fail(
                op, "padding other than zeros around the map: convcalc cannot follow it"
            )
        out = tuple(n + full[a] + full[a + rank] for a, n in enumerate(shape))
        data = self.data_inputs(op, inputs)[0]
        self.padded[op.outputs[0]] = (data, [(full[a], full[a + rank]) for a in range(2, rank)])
        self.add(op, inputs, None, out, role="pad")

    def unpadded(self, op: Op, inputs: list[str]) -> tuple[list[str], list[tuple[int, int]]]:
        """A convolution's inputs with a Pad before it taken away, and that padding."""
        data = inputs[0] if inputs else ""
        if data not in self.padded or op.attrs.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID"):
            return inputs, []
        source, extra = self.padded[data]
        return [source, *inputs[1:]], extra

    def op_Conv(self, op: Op, inputs: list[str]) -> None:
        inputs, extra = self.unpadded(op, inputs)
        shape = self.shape_of(op, inputs)
        weight = self.weight(op, inputs)
        bias = self.const(op, inputs, 2) is not None
        cout, per_group, *kernel = weight.dims
        cin, sizes = shape[1], shape[2:]
        groups = self.groups(op, cin)
        if len(kernel) != len(sizes) or not 1 <= len(kernel) <= 3:
            raise self.fail(op, f"a {len(kernel)}-D kernel on a {len(sizes)}-D input")
        self.check_kernel(op, weight, kernel)
        if per_group * groups != cin:
            raise self.fail(
                op,
                f"the weight takes {per_group} × {groups} groups channels but the input has {cin}",
            )
        stride, dilation = (
            self.sizes(op, "strides", len(kernel)),
            self.sizes(op, "dilations", len(kernel)),
        )
        pads = self.pads(op, sizes, kernel, stride, dilation)
        if extra:
            pads = [(b + x, e + y) for (b, e), (x, y) in zip(pads, extra, strict=True)]
        out, padding = self.windows(op, sizes, pads, kernel, stride, dilation)
        layer: dict[str, Any]
        if groups == cin and cin > 1 and cout % cin == 0:
            layer = {"type": "depthwise", "kernel": _size(kernel)}
            if cout != cin:
                layer["multiplier"] = cout // cin
            layer |= _non_default(stride=stride, padding=padding, dilation=dilation)
        elif all(k == 1 for k in kernel) and not any(padding):
            layer = {"type": "pointwise", "cout": cout}
            if groups > 1:
                layer["groups"] = groups
            if any(s != 1 for s in stride):
                layer["stride"] = _size(stride)
        else:
            layer = {"type": "standard", "cout": cout, "kernel": _size(kernel)}
            if groups > 1:
                layer["groups"] = groups
            layer |= _non_default(stride=stride, padding=padding, dilation=dilation)
        if not bias:
            layer["bias"] = False
        self.add(op, inputs, layer, (shape[0], cout, *out))

    def op_ConvTranspose(self, op: Op, inputs: list[str]) -> None:
        shape = self.shape_of(op, inputs)
        weight = self.weight(op, inputs)
        bias = self.const(op, inputs, 2) is not None
        cin_w, per_group, *kernel = weight.dims
        cin, sizes = shape[1], shape[2:]
        groups = self.groups(op, cin)
        if cin_w != cin or len(kernel) != len(sizes):
            raise self.fail(
                op, f"the weight {_text(weight.dims)} does not fit the input {_text(shape[1:])}"
            )
        self.check_kernel(op, weight, kernel)
        dims = len(kernel)
        stride, dilation = self.sizes(op, "strides", dims), self.sizes(op, "dilations", dims)
        extra = list(op.attrs.get("output_padding") or [0] * dims)
        wanted = op.attrs.get("output_shape")
        out: list[int] = []
        for axis, (n, k, s, d) in enumerate(zip(sizes, kernel, stride, dilation, strict=True)):
            full = s * (n - 1) + extra[axis] + (k - 1) * d + 1
            if wanted:
                out.append(int(wanted[-dims + axis]))
            elif op.attrs.get("auto_pad", "NOTSET") in ("SAME_UPPER", "SAME_LOWER"):
                out.append(n * s)
            else:
                pads = list(op.attrs.get("pads") or [0] * 2 * dims)
                out.append(full - pads[axis] - pads[axis + dims])
        padding, output_padding = [], []
        for n, k, s, d, o in zip(sizes, kernel, stride, dilation, out, strict=True):
            # convcalc's rule: o = (n − 1)·s − 2p + d·(k − 1) + op + 1, with 0 ≤ op < max(s, d)
            gap = (n - 1) * s + d * (k - 1) + 1 - o
            p = max(0, -(-gap // 2))
            extra_size = 2 * p - gap
            if extra_size >= max(s, d) or extra_size < 0:
                raise self.fail(op, f"an output size of {o} that no symmetric padding gives")
            padding.append(p)
            output_padding.append(extra_size)
        layer: dict[str, Any] = {
            "type": "standard",
            "transposed": True,
            "cout": per_group * groups,
            "kernel": _size(kernel),
        }
        if groups > 1:
            layer["groups"] = groups
        layer |= _non_default(stride=stride, padding=padding, dilation=dilation)
        if any(output_padding):
            layer["output_padding"] = _size(output_padding)
        if not bias:
            layer["bias"] = False
        self.add(op, inputs, layer, (shape[0], per_group * groups, *out))

    def groups(self, op: Op, channels: int) -> int:
        """The ``group`` attribute: at least 1, and a divisor of the input's channels."""
        groups = op.attrs.get("group", 1)
        if not isinstance(groups, int) or groups < 1 or channels % groups:
            raise self.fail(
                op,
                f"group {groups}: a group count must be at least 1 and divide the input's "
                f"{channels} channels",
            )
        return groups

    def check_kernel(self, op: Op, weight: Const, kernel: Sequence[int]) -> None:
        """``kernel_shape``, where given, must be the weight's (ONNX Runtime refuses a
        graph where they differ; convcalc would count one of the two silently)."""
        given = op.attrs.get("kernel_shape")
        if given and list(given) != list(kernel):
            raise self.fail(
                op,
                f"kernel_shape {_text(given)} contradicts its weight {_text(weight.dims)}, "
                f"whose kernel is {_text(kernel)}",
            )

    def sizes(self, op: Op, key: str, dims: int) -> list[int]:
        value = op.attrs.get(key) or [1] * dims
        if len(value) != dims or any(not isinstance(v, int) or v < 1 for v in value):
            raise self.fail(op, f"{key} {value!r} do not fit a {dims}-D kernel")
        return [int(v) for v in value]

    def pads(
        self,
        op: Op,
        sizes: Sequence[int],
        kernel: Sequence[int],
        stride: Sequence[int],
        dilation: Sequence[int],
    ) -> list[tuple[int, int]]:
        dims = len(kernel)
        auto = op.attrs.get("auto_pad", "NOTSET") or "NOTSET"
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            result = []
            for n, k, s, d in zip(sizes, kernel, stride, dilation, strict=True):
                total = max((-(-n // s) - 1) * s + (k - 1) * d + 1 - n, 0)
                small, large = total // 2, total - total // 2
                result.append((small, large) if auto == "SAME_UPPER" else (large, small))
            return result
        if auto == "VALID":
            return [(0, 0)] * dims
        pads = op.attrs.get("pads") or [0] * 2 * dims
        if len(pads) != 2 * dims or any(not isinstance(p, int) or p < 0 for p in pads):
            raise self.fail(op, f"pads {pads!r} do not fit a {dims}-D kernel")
        return [(int(pads[i]), int(pads[i + dims])) for i in range(dims)]

    def windows(
        self,
        op: Op,
        sizes: Sequence[int],
        pads: Sequence[tuple[int, int]],
        kernel: Sequence[int],
        stride: Sequence[int],
        dilation: Sequence[int],
        *,
        ceil: bool = False,
    ) -> tuple[list[int], list[int]]:
        """A sliding window's output sizes and its padding as a spec writes it (the
        same on both sides), for a convolution or a pool; an empty output is refused."""
        out = [
            window_out(n, b, e, k, s, d, ceil=ceil)
            for n, (b, e), k, s, d in zip(sizes, pads, kernel, stride, dilation, strict=True)
        ]
        if any(o < 1 for o in out):
            raise self.fail(op, f"empty output on an input of {_text(sizes)}")
        padding = [
            self.symmetric(op, n, be, k, s, d, o, ceil=ceil)
            for n, be, k, s, d, o in zip(sizes, pads, kernel, stride, dilation, out, strict=True)
        ]
        return out, padding

    def symmetric(
        self,
        op: Op,
        n: int,
        pads: tuple[int, int],
        k: int,
        s: int,
        d: int,
        out: int,
        *,
        ceil: bool = False,
    ) -> int:
        """The padding on each side that gives the same output as ``pads`` (asymmetric
        padding only changes the output's size, which is what the figures need)."""
        before, after = pads
        if before == after:
            return before
        total = before + after
        for p in (total // 2, (total + 1) // 2):
            if window_out(n, p, p, k, s, d, ceil=ceil) == out:
                return p
        raise self.fail(
            op,
            f"asymmetric padding ({before} before, {after} after) that no equal padding on "
            "both sides reproduces: convcalc pads both sides alike",
        )

    def op_BatchNormalization(self, op: Op, inputs: list[str]) -> None:
        shape = self.shape_of(op, inputs)
        self.batchnorms += 1
        self.add(op, inputs, {"type": "bn"}, shape)

    def op_Clip(self, op: Op, inputs: list[str]) -> None:
        low = op.attrs.get("min")
        high = op.attrs.get("max")
        for index, slot in ((1, "low"), (2, "high")):
            value = self.const(op, inputs, index, values=True)
            if value is not None and value.values:
                if slot == "low":
                    low = value.values[0]
                else:
                    high = value.values[0]
        if low == 0 and high == 6:
            self.activation(op, inputs, "relu6")
        elif low == 0 and high is None:
            self.activation(op, inputs, "relu")
        else:  # another clip keeps the shape: counted 0 and listed
            self.add(op, inputs, {"type": "identity"}, self.shape_of(op, inputs))

    def activation(self, op: Op, inputs: list[str], fn: str) -> None:
        shape = self.shape_of(op, inputs)
        self.add(op, inputs, {"type": "act", "fn": fn}, shape)

    def pool(self, op: Op, inputs: list[str], kind: str) -> None:
        shape = self.shape_of(op, inputs)
        sizes = shape[2:]
        kernel = op.attrs.get("kernel_shape")
        if not kernel or len(kernel) != len(sizes):
            raise self.fail(
                op, f"kernel_shape {kernel!r} does not fit the input {_text(shape[1:])}"
            )
        dims = len(kernel)
        stride = self.sizes(op, "strides", dims)
        dilation = self.sizes(op, "dilations", dims)
        if kind != "max" and any(d != 1 for d in dilation):
            raise self.fail(op, "a dilated average pool: only a max pool is dilated")
        ceil = bool(op.attrs.get("ceil_mode", 0))
        pads = self.pads(op, sizes, kernel, stride, dilation)
        out, padding = self.windows(op, sizes, pads, kernel, stride, dilation, ceil=ceil)
        layer: dict[str, Any] = {
            "type": "pool",
            "kind": kind,
            "kernel": _size(kernel),
            "stride": _size(stride),
        }
        if any(d != 1 for d in dilation):
            layer["dilation"] = _size(dilation)
        if any(padding):
            layer["padding"] = _size(padding)
        if ceil:
            layer["ceil_mode"] = True
        self.add(op, inputs, layer, (shape[0], shape[1], *out))

    def op_MaxPool(self, op: Op, inputs: list[str]) -> None:
        if len(op.outputs) > 1 and op.outputs[1]:
            raise self.fail(op, "a max pool that also returns its indices")
        self.pool(op, inputs, "max")

    def op_AveragePool(self, op: Op, inputs: list[str]) -> None:
        self.pool(op, inputs, "avg")

    def global_pool(self, op: Op, inputs: list[str], kind: str, shape: _Shape) -> None:
        """A pool over the whole map of ``shape``, to 1 a spatial dimension."""
        layer = {"type": "pool", "kind": kind, "global": True}
        self.add(op, inputs, layer, (*shape[:2], *(1 for _ in shape[2:])))

    def op_GlobalAveragePool(self, op: Op, inputs: list[str]) -> None:
        self.global_pool(op, inputs, "avg", self.shape_of(op, inputs))

    def op_GlobalMaxPool(self, op: Op, inputs: list[str]) -> None:
        self.global_pool(op, inputs, "max", self.shape_of(op, inputs))

    def reduce(self, op: Op, inputs: list[str], kind: str) -> None:
        shape = self.shape_of(op, inputs)
        axes = op.attrs.get("axes")
        given = self.const(op, inputs, 1, values=True) if len(inputs) > 1 else None
        if given is not None:
            axes = list(given.values or ())
        rank = len(shape)
        spatial = set(range(2, rank))
        keep = bool(op.attrs.get("keepdims", 1))
        if not axes and op.attrs.get("noop_with_empty_axes", 0):
            axes = []
        elif not axes:
            axes = list(range(rank))  # ONNX's default: every axis
        if {a % rank for a in axes} != spatial or not spatial:
            reduced = {a % rank for a in axes}
            out = tuple(
                1 if i in reduced else d for i, d in enumerate(shape) if keep or i not in reduced
            )
            self.kept(op, inputs, out, f"it reduces over axes {sorted(reduced)}")
            self.add(op, inputs, {"type": "identity"}, shape)  # counted 0 and listed
            return
        if keep:
            self.global_pool(op, inputs, kind, shape)
            return
        pool = {"type": "pool", "kind": kind, "global": True, "name": op.name}
        layers = [pool, {"type": "flatten", "name": f"{op.name}.flatten"}]
        self.add(op, inputs, {"type": "_many", "layers": layers}, shape[:2])

    def op_ReduceMean(self, op: Op, inputs: list[str]) -> None:
        self.reduce(op, inputs, "avg")

    def op_ReduceMax(self, op: Op, inputs: list[str]) -> None:
        self.reduce(op, inputs, "max")

    def op_Flatten(self, op: Op, inputs: list[str]) -> None:
        shape = self.shape_of(op, inputs)
        axis = int(op.attrs.get("axis", 1)) % max(len(shape), 1)
        if axis != 1:
            raise self.fail(
                op, f"flattens from axis {axis}: convcalc flattens everything but the batch"
            )
        self.reshaped(op, inputs, shape, (shape[0], math.prod(shape[1:])))

    def op_Reshape(self, op: Op, inputs: list[str]) -> None:
        shape = self.shape_of(op, inputs)
        target = self.const(op, inputs, 1, values=True)
        if target is None or target.values is None:
            raise self.fail(op, "no target shape")
        out = _reshape(shape, [int(v) for v in target.values], bool(op.attrs.get("allowzero", 0)))
        if out is None:
            raise self.fail(
                op,
                f"cannot reshape {_text(shape)} to {_text(target.values)} (a shape traced at "
                "another input size? export the model at the size you measure)",
            )
        self.reshaped(op, inputs, shape, out)

    def op_Squeeze(self, op: Op, inputs: list[str]) -> None:
        shape = self.shape_of(op, inputs)
        axes = op.attrs.get("axes")
        given = self.const(op, inputs, 1, values=True) if len(inputs) > 1 else None
        if given is not None:
            axes = list(given.values or ())
        rank = len(shape)
        drop = {a % rank for a in axes} if axes else {i for i, d in enumerate(shape) if d == 1}
        self.reshaped(op, inputs, shape, tuple(d for i, d in enumerate(shape) if i not in drop))

    def op_Unsqueeze(self, op: Op, inputs: list[str]) -> None:
        shape = self.shape_of(op, inputs)
        axes = op.attrs.get("axes")
        given = self.const(op, inputs, 1, values=True) if len(inputs) > 1 else None
        if given is not None:
            axes = list(given.values or ())
        out = list(shape)
        rank = len(shape) + len(axes or ())
        for axis in sorted(a % rank for a in axes or ()):
            out.insert(axis, 1)
        self.reshaped(op, inputs, shape, tuple(out))

    def reshaped(self, op: Op, inputs: list[str], shape: _Shape, out: _Shape) -> None:
        if out == shape:
            self.alias[op.outputs[0]] = self.data_inputs(op, inputs)[0]
            return
        if len(out) == 2 and out[0] == shape[0]:
            layer: dict[str, Any] | None = None if len(shape) == 2 else {"type": "flatten"}
            if layer is None:
                self.alias[op.outputs[0]] = self.data_inputs(op, inputs)[0]
                return
            self.add(op, inputs, layer, out)
            return
        self.add(op, inputs, None, out, role="reshape")

    def op_Transpose(self, op: Op, inputs: list[str]) -> None:
        shape = self.shape_of(op, inputs)
        perm = op.attrs.get("perm") or list(reversed(range(len(shape))))
        if sorted(perm) != list(range(len(shape))):
            raise self.fail(op, f"perm {perm!r} does not fit the input {_text(shape)}")
        self.add(op, inputs, None, tuple(shape[p] for p in perm), role="transpose", perm=list(perm))

    def op_Gemm(self, op: Op, inputs: list[str]) -> None:
        shape = self.shape_of(op, inputs)
        weight = self.weight(op, inputs)
        if op.attrs.get("transA", 0) or len(shape) != 2 or len(weight.dims) != 2:
            raise self.fail(op, "only x·Wᵀ (+ b) on a flat input is a linear layer convcalc counts")
        cout, features = weight.dims if op.attrs.get("transB", 0) else reversed(weight.dims)
        if features != shape[1]:
            raise self.fail(
                op, f"the weight takes {features} features but the input has {shape[1]}"
            )
        layer: dict[str, Any] = {"type": "linear", "cout": cout}
        if self.const(op, inputs, 2) is None:
            layer["bias"] = False
        self.add(op, inputs, layer, (shape[0], cout))

    def op_MatMul(self, op: Op, inputs: list[str]) -> None:
        shape = self.shape_of(op, inputs)
        if len(inputs) != 2 or inputs[1] not in self.consts:
            raise self.fail(
                op, "a product of two computed tensors (only a constant weight is a linear layer)"
            )
        weight = self.consts[inputs[1]]
        if len(shape) != 2 or len(weight.dims) != 2 or weight.dims[0] != shape[1]:
            raise self.fail(
                op,
                f"{_text(shape)} × {_text(weight.dims)}: convcalc counts a MatMul as a linear "
                "layer on a flat input",
            )
        self.add(
            op,
            inputs,
            {"type": "linear", "cout": weight.dims[1], "bias": False},
            (shape[0], weight.dims[1]),
        )

    def elementwise(self, op: Op, inputs: list[str]) -> None:
        data = self.data_inputs(op, inputs)
        if len(data) >= 2:
            shapes = [self.shapes[d] for d in data]
            out = _broadcast(shapes)
            if out is None or (op.op != "Mul" and len(set(shapes)) != 1):
                raise self.fail(
                    op, f"{op.op} of tensors shaped {', '.join(_text(s) for s in shapes)}"
                )
            self.add(op, inputs, None, out, role="merge")
            return
        if len(data) != 1:
            raise self.fail(op, "no data input")
        others = [self.consts[i] for i in inputs if i and i in self.consts]
        shape = self.shapes[data[0]]
        wide: _Shape | None = shape
        for other in others:
            wide = _numpy_broadcast(wide, other.dims) if wide is not None else None
        if wide is None:
            shapes = [shape, *(c.dims for c in others)]
            raise self.fail(op, f"{op.op} of tensors shaped {', '.join(_text(s) for s in shapes)}")
        if others:
            constant = _text(others[0].dims) or "()"
            self.kept(op, inputs, wide, f"it broadcasts the map with a constant shaped {constant}")
        if all(c.size <= 1 for c in others):
            # A scalar: no weights and no MACs in convcalc's convention, as an activation.
            self.alias[op.outputs[0]] = data[0]
            return
        self.add(
            op,
            inputs,
            {"type": "identity"},
            self.shapes[data[0]],
            role="elementwise",
            const=others[0] if others else None,
        )

    op_Add = op_Sub = op_Mul = op_Div = op_Sum = elementwise

    def op_Expand(self, op: Op, inputs: list[str]) -> None:
        """Broadcasting to a shape: nothing where it gives the input's shape, and
        refused where it copies the tensor (no layer of convcalc's does)."""
        shape = self.shape_of(op, inputs)
        target = self.const(op, inputs, 1, values=True)
        if target is None or target.values is None:
            raise self.fail(op, "no target shape")
        dims = tuple(int(v) for v in target.values)
        out = _numpy_broadcast(shape, dims)
        if out is None:
            raise self.fail(
                op,
                f"cannot expand {_text(shape)} to {_text(dims)}: broadcasting stretches "
                "only sizes of 1",
            )
        self.alias[op.outputs[0]] = self.kept(op, inputs, out, "it repeats the tensor")

    def op_Concat(self, op: Op, inputs: list[str]) -> None:
        data = self.data_inputs(op, inputs)
        if len(data) != len([i for i in inputs if i]):
            raise self.fail(op, "concatenates a constant with computed tensors")
        shape = self.shapes[data[0]]
        axis = int(op.attrs.get("axis", 1)) % len(shape)
        if axis != 1:
            raise self.fail(op, f"concatenates along axis {axis}: convcalc concatenates channels")
        if any(self.shapes[d][2:] != shape[2:] or len(self.shapes[d]) != len(shape) for d in data):
            raise self.fail(op, "concatenates maps of different sizes")
        if len(data) == 1:
            self.alias[op.outputs[0]] = data[0]
            return
        channels = sum(self.shapes[d][1] for d in data)
        self.add(op, inputs, None, (shape[0], channels, *shape[2:]), role="merge")

    def op_Split(self, op: Op, inputs: list[str]) -> None:
        shape = self.shape_of(op, inputs)
        axis = int(op.attrs.get("axis", 0)) % len(shape)
        if axis != 1:
            raise self.fail(op, f"splits along axis {axis}: convcalc splits channels")
        parts = op.attrs.get("split")
        given = self.const(op, inputs, 1, values=True) if len(inputs) > 1 else None
        if given is not None:
            parts = list(given.values or ())
        count = len(op.outputs)
        if not parts:
            if shape[1] % count:
                raise self.fail(op, f"{shape[1]} channels do not split into {count} equal parts")
            parts = [shape[1] // count] * count
        parts = [int(p) for p in parts]
        if sum(parts) != shape[1] or len(parts) != count:
            raise self.fail(op, f"parts {parts} do not add up to {shape[1]} channels")
        node = _Node(
            op=op,
            inputs=[self.data_inputs(op, inputs)[0]],
            outputs=list(op.outputs),
            role="split",
            extra={"parts": parts},
            index=len(self.nodes),
        )
        self.nodes.append(node)
        for output, part in zip(op.outputs, parts, strict=True):
            self.shapes[output] = (shape[0], part, *shape[2:])

    def op_Slice(self, op: Op, inputs: list[str]) -> None:
        shape = self.shape_of(op, inputs)
        if "starts" in op.attrs:  # opset < 10
            starts, ends = op.attrs["starts"], op.attrs["ends"]
            axes = op.attrs.get("axes") or list(range(len(starts)))
            steps = [1] * len(starts)
        else:
            values = [self.const(op, inputs, i, values=True) for i in range(1, 5)]
            starts = list(values[0].values or ()) if values[0] else []
            ends = list(values[1].values or ()) if values[1] else []
            axes = list(values[2].values or ()) if values[2] else list(range(len(starts)))
            steps = list(values[3].values or ()) if values[3] else [1] * len(starts)
        out = list(shape)
        ranges: dict[int, tuple[int, int]] = {}
        for start, end, axis, step in zip(starts, ends, axes, steps, strict=True):
            axis = int(axis) % len(shape)
            size = shape[axis]
            if step != 1:
                raise self.fail(op, f"a slice with step {step}")
            begin = max(0, min(size, start + size if start < 0 else start))
            stop = max(0, min(size, end + size if end < 0 else end))
            if (begin, stop) != (0, size):
                ranges[axis] = (begin, stop)
                out[axis] = max(0, stop - begin)
        if not ranges:
            self.alias[op.outputs[0]] = self.data_inputs(op, inputs)[0]
            return
        if set(ranges) != {1}:
            raise self.fail(op, "slices the map itself (only a slice of channels is a split)")
        self.add(op, inputs, None, tuple(out), role="slice", channels=ranges[1])


def _broadcast(shapes: Sequence[_Shape]) -> _Shape | None:
    """The shape elementwise operators give tensors of these shapes (same rank)."""
    if len({len(s) for s in shapes}) != 1:
        return None
    out = []
    for sizes in zip(*shapes, strict=True):
        wide = {n for n in sizes if n != 1}
        if len(wide) > 1:
            return None
        out.append(wide.pop() if wide else 1)
    return tuple(out)


def _numpy_broadcast(shape: Sequence[int], other: Sequence[int]) -> _Shape | None:
    """The shape of ``shape`` broadcast with ``other`` by numpy's rule (sizes aligned
    from the right, each pair equal or one of them 1), or None where they do not.

    >>> _numpy_broadcast((1, 3, 8, 8), (3, 1, 1)), _numpy_broadcast((1, 3, 8, 8), (16, 16))
    ((1, 3, 8, 8), None)
    """
    if any(d < 0 for d in other):
        return None
    rank = max(len(shape), len(other))
    a = (1,) * (rank - len(shape)) + tuple(shape)
    b = (1,) * (rank - len(other)) + tuple(other)
    out = []
    for m, n in zip(a, b, strict=True):
        if m != n and 1 not in (m, n):
            return None
        out.append(n if m == 1 else m)
    return tuple(out)


def _change(shape: Sequence[Any], out: Sequence[Any]) -> str:
    """``3×8×8 to 3×16×16``: two shapes without the batch, unless that is what differs."""
    if len(shape) == len(out) and shape[:1] == out[:1]:
        return f"{_text(shape[1:])} to {_text(out[1:])}"
    return f"{_text(shape)} to {_text(out)}"


def _text(dims: Iterable[Any]) -> str:
    return "×".join("?" if d is None else str(d) for d in dims)


def _size(values: Sequence[int]) -> int | list[int]:
    """A spec size: one number when every dimension has it."""
    return values[0] if len(set(values)) == 1 else list(values)


def _non_default(
    *, stride: Sequence[int], padding: Sequence[int], dilation: Sequence[int]
) -> dict[str, Any]:
    """Stride, padding and dilation of a K×K layer, each written unless it is 1 (stride,
    dilation); padding is always written, so that the spec does not lean on a default."""
    keys: dict[str, Any] = {}
    if any(s != 1 for s in stride):
        keys["stride"] = _size(stride)
    keys["padding"] = _size(padding)
    if any(d != 1 for d in dilation):
        keys["dilation"] = _size(dilation)
    return keys


def _reshape(shape: _Shape, target: list[int], allowzero: bool) -> _Shape | None:
    out = [
        shape[i] if (t == 0 and not allowzero and i < len(shape)) else t
        for i, t in enumerate(target)
    ]
    if out.count(-1) > 1 or any(t < -1 for t in out):
        return None
    total = math.prod(shape)
    known = math.prod(t for t in out if t != -1)
    if -1 in out:
        if known == 0 or total % known:
            return None
        out[out.index(-1)] = total // known
    if math.prod(out) != total:
        return None
    return tuple(out)


def _topological(ops: Sequence[Op], fail: Any) -> list[Op]:
    """The operators in an order where each comes after what it reads (ONNX asks files to
    be sorted so; not every file is)."""
    produced = {o for op in ops for o in op.outputs if o}
    pending = {i: {n for n in op.inputs if n in produced} for i, op in enumerate(ops)}
    waiting: dict[str, list[int]] = {}
    queue: list[int] = []
    for i, needs in pending.items():
        for name in needs:
            waiting.setdefault(name, []).append(i)
        if not needs:
            heapq.heappush(queue, i)
    order = []
    done: set[str] = set()
    while queue:
        i = heapq.heappop(queue)
        order.append(ops[i])
        for output in ops[i].outputs:
            if output in done:
                continue
            done.add(output)
            for j in waiting.get(output, ()):
                pending[j].discard(output)
                if not pending[j]:
                    heapq.heappush(queue, j)
    if len(order) != len(ops):
        stuck = next(op for i, op in enumerate(ops) if pending[i])
        raise fail(stuck, "its inputs are never computed (a cycle, or a missing tensor)")
    return order


# --- working out constants -----------------------------------------------------------


def _evaluate(op: Op, consts: list[Const | None], shapes: list[_Shape | None]) -> Const | None:
    """A constant operator's value, or None if it is not one worked out here."""
    try:
        result = _EVALUATORS[op.op](op, consts, shapes)
    except (
        KeyError,
        IndexError,
        TypeError,
        ValueError,
        ZeroDivisionError,
        AttributeError,
        OverflowError,
    ):
        return None
    if result is not None and result.values is not None and _too_big(result.values):
        # Values are worked out only while they are small: a chain of a few products or
        # concatenations, a few bytes of file, must not grow without bound.
        return Const(dims=result.dims, dtype=result.dtype)
    return result


def _too_big(values: tuple[Any, ...]) -> bool:
    """More values than a shape computation needs, or a whole number over the limit."""
    return len(values) > _SMALL or any(type(v) is int and too_large(v) for v in values)


def _values(c: Const | None) -> list[Any]:
    if c is None or c.values is None:
        raise ValueError("unknown")
    return list(c.values)


def _ev_constant(op: Op, consts: list[Const | None], shapes: list[_Shape | None]) -> Const | None:
    for key in ("value_int", "value_float"):
        if key in op.attrs:
            return Const(dims=(), values=(op.attrs[key],))
    for key in ("value_ints", "value_floats"):
        if key in op.attrs:
            return Const(dims=(len(op.attrs[key]),), values=tuple(op.attrs[key]))
    value = op.attrs.get("value")
    return value if isinstance(value, Const) else None


def _ev_shape(op: Op, consts: list[Const | None], shapes: list[_Shape | None]) -> Const | None:
    shape = shapes[0]
    if shape is None:
        c = consts[0]
        if c is None:
            return None
        shape = c.dims
    rank = len(shape)
    start = int(op.attrs.get("start", 0))
    end = int(op.attrs.get("end", rank))
    picked = list(shape)[slice(start, end)]
    if op.op == "Size":
        return Const(dims=(), values=(math.prod(shape),))
    return Const(dims=(len(picked),), values=tuple(picked))


def _ev_gather(op: Op, consts: list[Const | None], shapes: list[_Shape | None]) -> Const | None:
    data, index = consts[0], consts[1]
    if data is None or index is None or len(data.dims) != 1 or int(op.attrs.get("axis", 0)) != 0:
        return None
    values = _values(data)
    picked = tuple(values[int(i)] for i in _values(index))
    return Const(dims=index.dims, values=picked)


def _ev_unsqueeze(op: Op, consts: list[Const | None], shapes: list[_Shape | None]) -> Const | None:
    data = consts[0]
    if data is None:
        return None
    axes = op.attrs.get("axes") or _values(consts[1])
    dims = list(data.dims)
    for axis in sorted(int(a) % (len(dims) + len(axes)) for a in axes):
        dims.insert(axis, 1)
    return Const(dims=tuple(dims), values=data.values)


def _ev_squeeze(op: Op, consts: list[Const | None], shapes: list[_Shape | None]) -> Const | None:
    data = consts[0]
    if data is None:
        return None
    return Const(dims=tuple(d for d in data.dims if d != 1), values=data.values)


def _ev_concat(op: Op, consts: list[Const | None], shapes: list[_Shape | None]) -> Const | None:
    parts = [c for c in consts if c is not None]
    if len(parts) != len(consts) or any(len(c.dims) > 1 for c in parts):
        return None
    values = tuple(v for c in parts for v in _values(c))
    return Const(dims=(len(values),), values=values)


def _ev_binary(op: Op, consts: list[Const | None], shapes: list[_Shape | None]) -> Const | None:
    a, b = consts[0], consts[1]
    if a is None or b is None:
        return None
    x, y = _values(a), _values(b)
    if len(x) != len(y) and min(len(x), len(y)) != 1:
        return None
    n = max(len(x), len(y))
    x, y = (x * n if len(x) == 1 else x), (y * n if len(y) == 1 else y)

    def apply(p: Any, q: Any) -> Any:
        if op.op == "Add":
            return p + q
        if op.op == "Sub":
            return p - q
        if op.op == "Mul":
            return p * q
        if isinstance(p, int) and isinstance(q, int):
            return (
                int(p / q)
                if abs(p) < 2**52
                else (abs(p) // abs(q)) * (1 if (p >= 0) == (q >= 0) else -1)
            )
        return p / q

    dims = a.dims if len(a.dims) >= len(b.dims) else b.dims
    return Const(dims=dims, values=tuple(apply(p, q) for p, q in zip(x, y, strict=True)))


def _ev_unary(op: Op, consts: list[Const | None], shapes: list[_Shape | None]) -> Const | None:
    data = consts[0]
    if data is None:
        return None
    values = _values(data)
    if op.op == "Cast":
        to = op.attrs.get("to")
        if to in (6, 7, 2, 3, 4, 5, 12, 13):
            values = [int(v) for v in values]
        elif to in (1, 10, 11, 16):
            values = [float(v) for v in values]
    elif op.op == "Floor":
        values = [math.floor(v) for v in values]
    elif op.op == "Ceil":
        values = [math.ceil(v) for v in values]
    elif op.op == "Neg":
        values = [-v for v in values]
    return Const(dims=data.dims, values=tuple(values))


def _ev_slice(op: Op, consts: list[Const | None], shapes: list[_Shape | None]) -> Const | None:
    data = consts[0]
    if data is None or len(data.dims) != 1:
        return None
    values = _values(data)
    if "starts" in op.attrs:
        start, end = op.attrs["starts"][0], op.attrs["ends"][0]
        step = 1
    else:
        start, end = _values(consts[1])[0], _values(consts[2])[0]
        step = _values(consts[4])[0] if len(consts) > 4 and consts[4] is not None else 1
    n = len(values)
    start = max(-n - 1, min(n, int(start)))
    end = max(-n - 1, min(n, int(end)))
    picked = values[slice(start, end, int(step))]
    return Const(dims=(len(picked),), values=tuple(picked))


def _ev_reshape(op: Op, consts: list[Const | None], shapes: list[_Shape | None]) -> Const | None:
    data = consts[0]
    if data is None or data.values is None:
        return None
    out = _reshape(data.dims, [int(v) for v in _values(consts[1])], False)
    return None if out is None else Const(dims=out, values=data.values)


def _ev_identity(op: Op, consts: list[Const | None], shapes: list[_Shape | None]) -> Const | None:
    return consts[0]


def _ev_constant_of_shape(
    op: Op, consts: list[Const | None], shapes: list[_Shape | None]
) -> Const | None:
    dims = tuple(int(v) for v in _values(consts[0]))
    if math.prod(dims) > _SMALL:
        return Const(dims=dims)
    value = op.attrs.get("value")
    fill = value.values[0] if isinstance(value, Const) and value.values else 0.0
    return Const(dims=dims, values=(fill,) * math.prod(dims))


_EVALUATORS = {
    "Constant": _ev_constant,
    "Shape": _ev_shape,
    "Size": _ev_shape,
    "Gather": _ev_gather,
    "Unsqueeze": _ev_unsqueeze,
    "Squeeze": _ev_squeeze,
    "Concat": _ev_concat,
    "Add": _ev_binary,
    "Sub": _ev_binary,
    "Mul": _ev_binary,
    "Div": _ev_binary,
    "Cast": _ev_unary,
    "Floor": _ev_unary,
    "Ceil": _ev_unary,
    "Neg": _ev_unary,
    "Slice": _ev_slice,
    "Reshape": _ev_reshape,
    "Identity": _ev_identity,
    "ConstantOfShape": _ev_constant_of_shape,
}


# --- the graph's structure: patterns, then series-parallel blocks ----------------------

CONV_TYPES = {"standard", "depthwise", "pointwise"}

NOT_NESTED = "convcalc cannot nest the graph's branches as blocks (it is not series-parallel)"


@dataclass
class _Structure:
    """The data path once every operator is mapped: rewritten where a pattern of several
    operators is one layer, then cut into nested blocks."""

    converter: _Converter
    nodes: list[_Node]
    exit: str
    producer: dict[str, _Node] = field(default_factory=dict)
    consumers: dict[str, list[_Node]] = field(default_factory=dict)

    def fail(self, node: _Node | None, message: str) -> OnnxError:
        return self.converter.fail(node.op if node else None, message)

    def index(self) -> None:
        """Number the nodes in order and map each tensor to its producer and consumers."""
        self.producer, self.consumers = {}, {}
        for number, node in enumerate(self.nodes):
            node.index = number
            for output in node.outputs:
                self.producer[output] = node
            for name in node.inputs:
                self.consumers.setdefault(name, []).append(node)

    def only_consumer(self, name: str) -> _Node | None:
        found = self.consumers.get(name, [])
        return found[0] if len(found) == 1 and name != self.exit else None

    def remove(self, *gone: _Node) -> None:
        ids = {id(n) for n in gone}
        self.nodes = [n for n in self.nodes if id(n) not in ids]

    # -- patterns --

    def rewrite(self) -> None:
        self.dense_concats()
        self.index()
        self.fuse_activations()
        self.index()
        self.fuse_norms_and_biases()
        self.index()
        self.shuffles()
        self.index()
        self.slices_to_splits()
        self.index()
        self.prune()
        self.index()
        for node in self.nodes:
            if node.role in ("reshape", "transpose", "slice", "pad"):
                shapes = self.converter.shapes
                what = {
                    "reshape": f"reshapes {_text(shapes[node.inputs[0]])} to "
                    f"{_text(shapes[node.outputs[0]])}",
                    "transpose": f"transposes {_text(shapes[node.inputs[0]])} by "
                    f"{node.extra.get('perm')}",
                    "slice": "takes a part of the channels that is not one of a split",
                    "pad": "pads a map that is not only a convolution's input",
                }[node.role]
                if node.role in ("reshape", "transpose"):
                    what += ", which is not a flatten or a channel shuffle"
                raise self.fail(node, f"{what}: convcalc cannot follow it")

    def dense_concats(self) -> None:
        """DenseNet's concatenations of every earlier feature map, rewritten as each one
        concatenating the previous concatenation and the newest map."""
        seen: dict[tuple[str, ...], str] = {}
        for node in self.nodes:
            if node.op.op != "Concat" or node.role != "merge":
                continue
            original = tuple(node.inputs)
            for k in range(len(original) - 1, 1, -1):
                prefix = seen.get(original[:k])
                if prefix is not None:
                    node.inputs = [prefix, *original[k:]]
                    break
            seen[original] = node.outputs[0]

    def fuse_activations(self) -> None:
        """x·sigmoid(x) is SiLU, x·hardsigmoid(x) hardswish: one activation layer."""
        gone = []
        for node in self.nodes:
            if node.op.op != "Mul" or node.role != "merge" or len(node.inputs) != 2:
                continue
            for x, s in (node.inputs, node.inputs[::-1]):
                gate = self.producer.get(s)
                if (
                    gate is not None
                    and gate.layer is not None
                    and gate.layer.get("type") == "act"
                    and gate.layer.get("fn") in ("sigmoid", "hardsigmoid")
                    and gate.inputs == [x]
                    and self.only_consumer(s) is node
                ):
                    fn = "silu" if gate.layer["fn"] == "sigmoid" else "hardswish"
                    node.layer = {"type": "act", "fn": fn, "name": node.op.name}
                    node.role = "layer"
                    node.inputs = [x]
                    gone.append(gate)
                    break
        self.remove(*gone)

    def fuse_norms_and_biases(self) -> None:
        """A BatchNormalization straight after a convolution or a linear layer is that
        layer's ``bn``; a constant added straight after a MatMul is its bias."""
        gone = []
        for node in self.nodes:
            layer = node.layer or {}
            kind = layer.get("type")
            if kind not in ("bn", "identity") or len(node.inputs) != 1:
                continue
            before = self.producer.get(node.inputs[0])
            if (
                before is None
                or before.layer is None
                or self.only_consumer(node.inputs[0]) is not node
            ):
                continue
            previous = before.layer
            if (
                kind == "bn"
                and previous.get("type") in (*CONV_TYPES, "linear")
                and not previous.get("bn")
            ):
                previous["bn"] = True
            elif (
                node.role == "elementwise"
                and node.op.op == "Add"
                and previous.get("type") == "linear"
                and previous.get("bias") is False
                and node.extra.get("const") is not None
                and node.extra["const"].size == previous["cout"]
            ):
                del previous["bias"]
            else:
                continue
            before.outputs = node.outputs
            gone.append(node)
        self.remove(*gone)

    def shuffles(self) -> None:
        """Reshape to (N, g, C/g, …), swap the two channel axes, reshape back: a channel
        shuffle of g groups."""
        shapes = self.converter.shapes
        gone: list[_Node] = []
        for node in self.nodes:
            if node.role != "reshape":
                continue
            before, after = shapes[node.inputs[0]], shapes[node.outputs[0]]
            swap = self.only_consumer(node.outputs[0])
            back = self.only_consumer(swap.outputs[0]) if swap is not None else None
            if (
                swap is None
                or back is None
                or swap.role != "transpose"
                or back.role != "reshape"
                or len(after) != len(before) + 1
                or after[0] != before[0]
                or after[1] * after[2] != before[1]
                or after[3:] != before[2:]
                or swap.extra["perm"] != [0, 2, 1, *range(3, len(after))]
                or shapes[back.outputs[0]] != before
            ):
                continue
            node.layer = {"type": "shuffle", "groups": after[1], "name": swap.op.name}
            node.role = "layer"
            node.outputs = back.outputs
            gone += [swap, back]
        self.remove(*gone)

    def slices_to_splits(self) -> None:
        """Slices of one tensor's channels that cover them, in order, are a split (how
        exporters write ``torch.chunk``)."""
        groups: dict[str, list[_Node]] = {}
        for node in self.nodes:
            if node.role == "slice":
                groups.setdefault(node.inputs[0], []).append(node)
        for name, slices in groups.items():
            if len(self.consumers.get(name, [])) != len(slices):
                continue  # an unpaired slice is refused by name after the rewrites
            ordered = sorted(slices, key=lambda n: n.extra["channels"])
            edges = [n.extra["channels"] for n in ordered]
            channels = self.converter.shapes[name][1]
            if (
                edges[0][0] != 0
                or edges[-1][1] != channels
                or any(a[1] != b[0] for a, b in zip(edges, edges[1:], strict=False))
            ):
                continue
            first = min(slices, key=lambda n: n.index)
            split = _Node(
                op=first.op,
                inputs=[name],
                outputs=[n.outputs[0] for n in ordered],
                role="split",
                extra={"parts": [b - a for a, b in edges]},
            )
            self.nodes[self.nodes.index(first)] = split
            self.remove(*(n for n in slices if n is not first))

    def prune(self) -> None:
        """Only what leads to the output is part of the network."""
        live: set[int] = set()
        stack = [self.producer.get(self.exit)]
        while stack:
            node = stack.pop()
            if node is None or id(node) in live:
                continue
            live.add(id(node))
            stack.extend(self.producer.get(i) for i in node.inputs)
        self.nodes = [n for n in self.nodes if id(n) in live]

    # -- series-parallel decomposition --

    def layers(self, entry: str) -> list[dict[str, Any]]:
        return self.chain(entry, self.exit, {n.index for n in self.nodes})

    def chain(self, entry: str, exit: str, region: set[int]) -> list[dict[str, Any]]:
        layers: list[dict[str, Any]] = []
        tensor = entry
        while tensor != exit:
            users = [n for n in self.consumers.get(tensor, []) if n.index in region]
            if not users:
                raise self.fail(self.producer.get(tensor), "its output leads nowhere")
            node = users[0]
            if len(users) == 1 and node.role in ("layer", "elementwise"):
                layers.extend(_layers_of(node))
                tensor = node.outputs[0]
            elif len(users) == 1 and node.role == "split":
                block, tensor = self.block(node.outputs, node, region)
                layers.append(block)
            elif len(users) == 1:
                raise self.fail(node, f"its inputs come from different branches: {NOT_NESTED}")
            else:
                block, tensor = self.block([tensor], None, region)
                layers.append(block)
        return layers

    def block(
        self, sources: list[str], split: _Node | None, region: set[int]
    ) -> tuple[dict[str, Any], str]:
        """The block from where ``sources`` fork to where their branches meet."""
        pending: Counter[int] = Counter()
        heap: list[int] = []
        for source in sources:
            for user in self.consumers.get(source, []):
                if user.index in region:
                    pending[user.index] += 1
                    heapq.heappush(heap, user.index)
        total = sum(pending.values())
        walked: set[int] = set()
        join = None
        while heap:
            number = heapq.heappop(heap)
            if number in walked:
                continue
            node = self.nodes[number]
            if pending[number] != len(node.inputs):
                raise self.fail(node, f"its inputs come from different branches: {NOT_NESTED}")
            if pending[number] == total and (node.role == "merge" or total > 1):
                join = node
                break
            if pending[number] == total:
                where = split or self.producer.get(sources[0])
                raise self.fail(where, "a split whose parts do not all meet again")
            total -= pending.pop(number)
            walked.add(number)
            for output in node.outputs:
                if output == self.exit:
                    raise self.fail(
                        node, f"branches that never meet before the output: {NOT_NESTED}"
                    )
                for user in self.consumers.get(output, []):
                    if user.index in region:
                        pending[user.index] += 1
                        total += 1
                        heapq.heappush(heap, user.index)
        if join is None:
            raise self.fail(split or self.producer.get(sources[0]), "branches that never meet")
        streams: list[list[dict[str, Any]]] = []
        entries: list[str] = []
        claimed: set[int] = set()
        for end in join.inputs:
            if end in sources:
                streams.append([])
                entries.append(end)
                continue
            members = self.ancestors(end, walked)
            if members & claimed:
                raise self.fail(
                    join, f"its branches share operators before they meet: {NOT_NESTED}"
                )
            claimed |= members
            starts = {i for n in members for i in self.nodes[n].inputs if i in sources}
            if len(starts) != 1:
                raise self.fail(join, "a branch that takes more than one part of a split")
            entry = starts.pop()
            entries.append(entry)
            streams.append(self.chain(entry, end, members))
        return self.merged(join, split, streams, entries, sources), join.outputs[0]

    def ancestors(self, end: str, walked: set[int]) -> set[int]:
        found: set[int] = set()
        stack = [end]
        while stack:
            node = self.producer.get(stack.pop())
            if node is None or node.index not in walked or node.index in found:
                continue
            found.add(node.index)
            stack.extend(node.inputs)
        return found

    def merged(
        self,
        join: _Node,
        split: _Node | None,
        streams: list[list[dict[str, Any]]],
        entries: list[str],
        sources: list[str],
    ) -> dict[str, Any]:
        kind = join.op.op
        name = join.op.name
        if kind == "Concat":
            block: dict[str, Any] = {"type": "parallel", "merge": "concat"}
            if split is not None:
                if entries != sources:
                    raise self.fail(
                        join, "concatenates a split's parts in another order than the split's"
                    )
                parts = split.extra["parts"]
                block["split"] = len(parts) if len(set(parts)) == 1 else parts
            return {**block, "streams": streams, "name": name}
        if split is not None:
            raise self.fail(join, f"a split's parts meet at {kind}: only a Concat joins them")
        if kind in ("Add", "Sum"):
            if len(streams) == 2:
                body, shortcut = sorted(streams, key=len, reverse=True)
                block = {"type": "residual", "layers": body, "name": name}
                if shortcut:
                    block["shortcut"] = shortcut
                return block
            return {"type": "parallel", "merge": "sum", "streams": streams, "name": name}
        if kind == "Mul" and len(streams) == 2:
            gate = _gate(streams, self.converter.shapes[sources[0]][1])
            if gate is not None:
                return {**gate, "name": name}
        raise self.fail(
            join,
            f"a {kind} of two branches that is not a squeeze-and-excitation gate "
            "(global average pool, 1×1 conv, activation, 1×1 conv, sigmoid, product)"
            if kind == "Mul"
            else f"branches meet at {kind}: convcalc joins branches by Add, Concat or an "
            "SE gate's Mul",
        )


def _layers_of(node: _Node) -> list[dict[str, Any]]:
    if node.layer is None:
        return []
    if node.layer.get("type") == "_many":
        return list(node.layer["layers"])
    return [node.layer]


def _gate(streams: list[list[dict[str, Any]]], channels: int) -> dict[str, Any] | None:
    """A squeeze-and-excitation gate, if one branch is the identity and the other
    pools, squeezes, activates, expands and gates (two 1×1 convolutions with biases)."""
    empty, other = sorted(streams, key=len)
    if empty or len(other) != 5:
        return None
    pool, squeeze, act, expand, gate = other
    if not (
        pool.get("type") == "pool"
        and pool.get("global")
        and pool.get("kind") == "avg"
        and squeeze.get("type") == "pointwise"
        and expand.get("type") == "pointwise"
        and "groups" not in squeeze
        and "groups" not in expand
        and "stride" not in squeeze
        and "stride" not in expand
        and squeeze.get("bias", True)
        and expand.get("bias", True)
        and not squeeze.get("bn")
        and not expand.get("bn")
        and expand.get("cout") == channels
        and act.get("type") == "act"
        and gate.get("type") == "act"
        and gate.get("fn") in ("sigmoid", "hardsigmoid")
    ):
        return None
    return {
        "type": "gate",
        "squeeze": squeeze["cout"],
        "act": act["fn"],
        "gate": gate["fn"],
    }


_SPEC_DTYPES = {"float32": "fp32", "float16": "fp16", "bfloat16": "bf16", "int8": "int8"}


def convert(graph: Graph, source: str, *, size: int | Sequence[int] | None = None) -> Imported:
    """A graph as spec data, with the operators it could not count.

    ``size`` replaces the input's spatial size (``--input``; one number is every
    dimension's): needed when the file leaves it symbolic.

    >>> g = Graph(name="g", consts={"w": Const(dims=(8, 3, 3, 3))},
    ...           inputs=(("x", (1, 3, 32, 32)),), outputs=("y",),
    ...           ops=(Op("Conv", "conv1", ("x", "w"), ("y",), {"pads": [1, 1, 1, 1]}),))
    >>> convert(g, "g.onnx").spec["layers"]
    [{'type': 'standard', 'cout': 8, 'kernel': 3, 'padding': 1, 'bias': False, 'name': 'conv1'}]
    """
    converter = _Converter(graph=graph, source=source)
    try:
        entry, exit, shape = converter.run(size)
        structure = _Structure(converter=converter, nodes=converter.nodes, exit=exit)
        structure.index()
        structure.rewrite()
        layers = structure.layers(entry)
    except RecursionError:
        raise OnnxError(f"{source}: blocks nested too deeply to follow", option="spec") from None
    if not layers:
        raise OnnxError(f"{source}: the graph computes nothing convcalc counts", option="spec")
    unsupported: Counter[str] = Counter()
    for node in structure.nodes:
        if node.layer is not None and node.layer.get("type") == "identity":
            label = node.op.op + (" (by a constant tensor)" if node.role == "elementwise" else "")
            unsupported[label] += 1
    stem = os.path.basename(source)
    stem = stem[: -len(".onnx")] if stem.lower().endswith(".onnx") else stem
    spec: dict[str, Any] = {
        "name": stem,
        "about": f"read from {stem}.onnx"
        + (f" ({graph.producer}, opset {graph.opset})" if graph.producer else ""),
        "input": list(shape[1:]),
    }
    dtypes = Counter(c.dtype for c in graph.consts.values() if c.size > _SMALL)
    if dtypes:
        dtype = _SPEC_DTYPES.get(dtypes.most_common(1)[0][0])
        if dtype and dtype != "fp32":
            spec["defaults"] = {"dtype": dtype}
    spec["layers"] = layers
    return Imported(
        spec=spec,
        unsupported=dict(sorted(unsupported.items())),
        batchnorms=converter.batchnorms,
        producer=graph.producer,
        opset=graph.opset,
        convolutions=sum(op.op in ("Conv", "ConvTranspose") for op in graph.ops),
    )


KNOWN = (
    {name[3:] for name in dir(_Converter) if name.startswith("op_")}
    | set(_ACTIVATIONS)
    | CONST_OPS
    | PASS_THROUGH
)
"""The operator types convcalc maps or works out itself."""
