"""``convcalc model FILE.onnx``: graphs built here with onnx.helper (no framework), the
real torchvision exports recorded in tests/data/onnx_exports.json (their skeletons and
PyTorch's figures), the links to the presets' --fold-bn figures, and bad files.

Every expected figure is hand arithmetic written out beside it, PyTorch's recorded
figures, or another path through convcalc that must agree (a preset folded, a saved
spec read back)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import DATA, as_json, ok, run

onnx = pytest.importorskip("onnx")
import numpy as np  # noqa: E402  (onnx depends on it)
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from convcalc.model.core import BatchNorm, Block, Conv  # noqa: E402
from convcalc.model.network import Activated, Linear, Pool, Seq, trace  # noqa: E402
from convcalc.model.onnx_graph import Const, Graph, Op, convert  # noqa: E402
from convcalc.model.spec import build, load_preset  # noqa: E402

EXPORTS: dict[str, Any] = json.loads((DATA / "onnx_exports.json").read_text())

# --- building graphs -------------------------------------------------------------------


class G:
    """A graph under construction: nodes in order, weights as zero tensors of a shape."""

    def __init__(self, shape: list[Any]) -> None:
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self.shape = shape
        self.count = 0

    def name(self, stem: str) -> str:
        self.count += 1
        return f"{stem}{self.count}"

    def weight(self, dims: list[int], dtype: Any = np.float32, values: Any = None) -> str:
        name = self.name("w")
        array = np.zeros(dims, dtype=dtype) if values is None else np.array(values, dtype=dtype)
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def op(
        self, kind: str, inputs: list[str], name: str | None = None, outputs: int = 1, **attrs: Any
    ) -> Any:
        name = name or self.name(kind.lower())
        outs = [f"{name}_out{i}" for i in range(outputs)]
        self.nodes.append(helper.make_node(kind, inputs, outs, name=name, **attrs))
        return outs[0] if outputs == 1 else outs

    def conv(
        self,
        x: str,
        cin: int,
        cout: int,
        k: int = 3,
        *,
        group: int = 1,
        bias: bool = True,
        name: str | None = None,
        **attrs: Any,
    ) -> str:
        inputs = [x, self.weight([cout, cin // group, k, k])]
        if bias:
            inputs.append(self.weight([cout]))
        attrs.setdefault("pads", [k // 2] * 4)
        return self.op("Conv", inputs, name, kernel_shape=[k, k], group=group, **attrs)

    def model(self, out: str, *, opset: int = 17) -> Any:
        graph = helper.make_graph(
            self.nodes,
            "g",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, self.shape)],
            [helper.make_tensor_value_info(out, TensorProto.FLOAT, None)],
            self.inits,
        )
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])

    def save(self, out: str, path: Path, **kw: Any) -> str:
        onnx.save_model(self.model(out, **kw), str(path))
        return str(path)


def figures(path: str, *args: str) -> dict[str, Any]:
    return as_json("model", path, *args)


def leaf(data: dict[str, Any], name: str) -> dict[str, Any]:
    """The layer of that name, anywhere in the JSON tree."""
    stack = list(data["layers"])
    while stack:
        layer = stack.pop()
        if layer["name"] == name:
            return layer
        stack.extend(layer.get("layers", []))
    raise KeyError(name)


def quiet_json(path: str, *args: str) -> dict[str, Any]:
    """A run whose stderr may carry notes (they never go to stdout)."""
    result = run("model", path, *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


# --- layers, by hand arithmetic --------------------------------------------------------


def test_grouped_convolution(tmp_path: Path) -> None:
    g = G([1, 8, 16, 16])
    y = g.conv("x", 8, 16, group=4, name="grouped")
    data = figures(g.save(y, tmp_path / "g.onnx"))
    # weight 16 × (8/4) × 3 × 3 = 288, bias 16; each of 16·16·16 outputs sums 2·9 products
    assert (data["params"], data["macs"]) == (288 + 16, 16 * 16 * 16 * 2 * 9)
    assert leaf(data, "grouped")["type"] == "standard"
    assert data["output_shape"] == [16, 16, 16]


def test_depthwise_with_a_multiplier_and_a_pointwise(tmp_path: Path) -> None:
    g = G([1, 8, 10, 10])
    y = g.conv("x", 8, 16, group=8, name="dw")
    y = g.conv(y, 16, 4, k=1, name="pw", bias=False)
    data = figures(g.save(y, tmp_path / "g.onnx"))
    assert leaf(data, "dw")["type"] == "depthwise"
    assert leaf(data, "pw")["type"] == "pointwise"
    # dw: 16 filters of 3×3 + 16 biases; pw: 16·4 weights, no bias
    assert data["params"] == 16 * 9 + 16 + 16 * 4
    assert data["macs"] == 16 * 100 * 9 + 4 * 100 * 16


@pytest.mark.parametrize(
    ("sizes", "kernel"),
    [([100], [5]), ([4, 8, 8], [3, 3, 3])],
    ids=["1d", "3d"],
)
def test_convolutions_in_1d_and_3d(tmp_path: Path, sizes: list[int], kernel: list[int]) -> None:
    g = G([1, 2, *sizes])
    w = g.weight([6, 2, *kernel])
    y = g.op("Conv", ["x", w], "c", kernel_shape=kernel, pads=[k // 2 for k in kernel] * 2)
    data = figures(g.save(y, tmp_path / "c.onnx"))
    window = 2 * int(np.prod(kernel))
    # padding k // 2 keeps the sizes: 6 outputs per position, each a 2·prod(kernel) window
    assert data["output_shape"] == [6, *sizes]
    assert (data["params"], data["macs"]) == (6 * window, 6 * int(np.prod(sizes)) * window)


def test_weights_behind_a_dequantize_are_counted_by_shape(tmp_path: Path) -> None:
    """A quantized export (QDQ): the weight is int8 behind DequantizeLinear; the
    activations' Quantize/DequantizeLinear pairs are listed and counted as 0."""
    g = G([1, 3, 8, 8])
    w = g.op("DequantizeLinear", [g.weight([4, 3, 3, 3], np.int8), g.weight([], np.float32, 0.1)])
    q = g.op("QuantizeLinear", ["x", g.weight([], np.float32, 0.1), g.weight([], np.int8, 0)])
    x = g.op("DequantizeLinear", [q, g.weight([], np.float32, 0.1), g.weight([], np.int8, 0)])
    y = g.op("Conv", [x, w], "c", kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    result = run("model", g.save(y, tmp_path / "q.onnx"), "--format", "json")
    data = json.loads(result.stdout)
    assert (data["params"], data["macs"]) == (4 * 3 * 9, 64 * 4 * 3 * 9)
    assert data["unsupported"] == {"DequantizeLinear": 1, "QuantizeLinear": 1}


def test_transposed_convolution(tmp_path: Path) -> None:
    g = G([1, 8, 8, 8])
    w = g.weight([8, 4, 4, 4])
    y = g.op(
        "ConvTranspose",
        ["x", w, g.weight([4])],
        "up",
        kernel_shape=[4, 4],
        strides=[2, 2],
        pads=[1, 1, 1, 1],
    )
    data = figures(g.save(y, tmp_path / "t.onnx"))
    # out = (8 − 1)·2 − 2 + 4 = 16; params 8·4·16 + 4; MACs from the input side: 8·64·4·16
    assert data["output_shape"] == [4, 16, 16]
    assert (data["params"], data["macs"]) == (8 * 4 * 16 + 4, 8 * 64 * 4 * 16)


def test_transposed_convolution_with_output_shape(tmp_path: Path) -> None:
    g = G([1, 8, 8, 8])
    y = g.op(
        "ConvTranspose",
        ["x", g.weight([8, 4, 3, 3])],
        "up",
        kernel_shape=[3, 3],
        strides=[2, 2],
        output_shape=[16, 16],
    )
    data = figures(g.save(y, tmp_path / "t.onnx"))
    # (8 − 1)·2 + 3 = 17 without padding: 16 asks for padding 1 and output_padding 1
    assert data["output_shape"] == [4, 16, 16]
    assert data["macs"] == 8 * 64 * 4 * 9


@pytest.mark.parametrize(
    ("n", "ceil", "size"),
    [
        (6, 0, 3),  # floor((6 + 2 − 3)/2) + 1 = 3
        (6, 1, 4),  # ceil(5/2) + 1 = 4; the last window starts at 3·2 − 1 = 5 < 6: kept
        (5, 1, 3),  # ceil(4/2) + 1 = 3
    ],
)
def test_ceil_mode_pool(tmp_path: Path, n: int, ceil: int, size: int) -> None:
    g = G([1, 4, n, n])
    y = g.op(
        "MaxPool",
        ["x"],
        "pool",
        kernel_shape=[3, 3],
        strides=[2, 2],
        pads=[1, 1, 1, 1],
        ceil_mode=ceil,
    )
    assert figures(g.save(y, tmp_path / "p.onnx"))["output_shape"] == [4, size, size]


def test_dilated_max_pool(tmp_path: Path) -> None:
    g = G([1, 2, 9, 9])
    y = g.op("MaxPool", ["x"], "pool", kernel_shape=[3, 3], dilations=[2, 2], strides=[1, 1])
    # a 3-wide window dilated by 2 reaches 2·(3 − 1) + 1 = 5: 9 − 5 + 1 = 5 positions
    assert figures(g.save(y, tmp_path / "p.onnx"))["output_shape"] == [2, 5, 5]


def test_squeeze_and_excitation_is_a_gate(tmp_path: Path) -> None:
    g = G([1, 16, 8, 8])
    s = g.op("GlobalAveragePool", ["x"])
    s = g.conv(s, 16, 4, k=1)
    s = g.op("Relu", [s])
    s = g.conv(s, 4, 16, k=1)
    s = g.op("HardSigmoid", [s], alpha=1 / 6)
    y = g.op("Mul", [s, "x"], "se")
    data = figures(g.save(y, tmp_path / "se.onnx"))
    se = leaf(data, "se")
    assert se["type"] == "gate"
    # 16·4 + 4 + 4·16 + 16 = 148 parameters; 64 + 64 MACs on the pooled 1×1 map
    assert (data["params"], data["macs"]) == (148, 128)


def test_silu_written_as_a_product_is_one_activation(tmp_path: Path) -> None:
    g = G([1, 4, 8, 8])
    s = g.op("Sigmoid", ["x"])
    y = g.op("Mul", ["x", s], "silu")
    data = figures(g.save(y, tmp_path / "silu.onnx"))
    assert leaf(data, "silu")["type"] == "act"
    assert data["params"] == data["macs"] == 0


def test_residual_add(tmp_path: Path) -> None:
    g = G([1, 16, 8, 8])
    y = g.conv("x", 16, 16)
    y = g.op("Relu", [y])
    y = g.conv(y, 16, 16, bias=False)
    y = g.op("Add", ["x", y], "add")
    y = g.op("Relu", [y])
    data = figures(g.save(y, tmp_path / "r.onnx"))
    assert leaf(data, "add")["type"] == "residual"
    # two 3×3 convolutions 16 → 16 (one with a bias) on an 8×8 map
    assert data["params"] == 2 * 16 * 16 * 9 + 16
    assert data["macs"] == 2 * 64 * 16 * 16 * 9


def test_residual_with_a_projection_shortcut(tmp_path: Path) -> None:
    g = G([1, 8, 8, 8])
    a = g.conv("x", 8, 16, strides=[2, 2])
    b = g.conv("x", 8, 16, k=1, strides=[2, 2], name="down")
    y = g.op("Add", [a, b], "add")
    data = figures(g.save(y, tmp_path / "r.onnx"))
    block = leaf(data, "add")
    assert block["type"] == "residual"
    assert data["output_shape"] == [16, 4, 4]
    assert data["params"] == (8 * 9 + 1) * 16 + (8 + 1) * 16


def test_concat_of_branches(tmp_path: Path) -> None:
    g = G([1, 8, 8, 8])
    a = g.conv("x", 8, 8, k=1)
    b = g.conv("x", 8, 8, k=3)
    c = g.op("MaxPool", ["x"], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1])
    y = g.op("Concat", [a, b, c], "cat", axis=1)
    data = figures(g.save(y, tmp_path / "c.onnx"))
    assert leaf(data, "cat")["type"] == "parallel"
    assert data["output_shape"] == [24, 8, 8]
    assert data["params"] == (8 + 1) * 8 + (8 * 9 + 1) * 8


def test_split_concat_and_shuffle(tmp_path: Path) -> None:
    """ShuffleNetV2's unit: half the channels pass, half go through a branch; then a
    channel shuffle of 2 groups (Reshape, Transpose, Reshape)."""
    g = G([1, 16, 8, 8])
    a, b = g.op("Split", ["x", g.weight([2], np.int64, [8, 8])], "split", outputs=2, axis=1)
    b = g.conv(b, 8, 8, k=1)
    y = g.op("Concat", [a, b], "cat", axis=1)
    y = g.op("Reshape", [y, g.weight([5], np.int64, [1, 2, 8, 8, 8])])
    y = g.op("Transpose", [y], "shuffle", perm=[0, 2, 1, 3, 4])
    y = g.op("Reshape", [y, g.weight([4], np.int64, [1, 16, 8, 8])])
    data = figures(g.save(y, tmp_path / "s.onnx"))
    assert leaf(data, "shuffle")["type"] == "shuffle"
    assert data["output_shape"] == [16, 8, 8]
    # one 1×1 convolution 8 → 8 on the second half only: (8 + 1)·8 and 64·8·8
    assert (data["params"], data["macs"]) == (72, 64 * 64)


def test_chunk_written_as_slices_is_a_split(tmp_path: Path) -> None:
    """torch.chunk as PyTorch exports it: Shape → Gather → Div → Slice twice."""
    g = G([1, 16, 4, 4])
    shape = g.op("Shape", ["x"])
    channels = g.op("Gather", [shape, g.weight([1], np.int64, [1])], axis=0)
    half = g.op("Div", [channels, g.weight([1], np.int64, [2])])
    axis = g.weight([1], np.int64, [1])
    a = g.op("Slice", ["x", g.weight([1], np.int64, [0]), half, axis])
    b = g.op("Slice", ["x", half, g.weight([1], np.int64, [16]), axis])
    b = g.conv(b, 8, 8, k=1)
    y = g.op("Concat", [a, b], "cat", axis=1)
    data = figures(g.save(y, tmp_path / "s.onnx"))
    assert (data["params"], data["macs"]) == (72, 16 * 8 * 8)


def test_matmul_and_bias_add_are_a_linear_layer(tmp_path: Path) -> None:
    g = G([1, 8, 4, 4])
    y = g.op("Flatten", ["x"], "flat", axis=1)
    y = g.op("MatMul", [y, g.weight([128, 10])], "fc")
    y = g.op("Add", [y, g.weight([10])])
    data = figures(g.save(y, tmp_path / "m.onnx"))
    assert data["output_shape"] == [10]
    assert (data["params"], data["macs"]) == (128 * 10 + 10, 128 * 10)
    assert data["unsupported"] == {}


def test_standalone_batchnorm_and_batchnorm_after_a_convolution(tmp_path: Path) -> None:
    g = G([1, 4, 8, 8])

    def bn(x: str, c: int, name: str | None = None) -> str:
        return g.op("BatchNormalization", [x, *(g.weight([c]) for _ in range(4))], name)

    y = bn("x", 4, "norm0")
    y = g.op("Relu", [y])
    y = bn(g.conv(y, 4, 8, bias=False, name="conv"), 8)
    data = quiet_json(g.save(y, tmp_path / "b.onnx"))
    assert leaf(data, "norm0")["params"] == 8  # a layer of its own
    # BN 2·4; conv 4·8·9 and its BN 2·8 (buffers: 2·4 + 2·8)
    assert (data["params"], data["buffers"]) == (8 + 288 + 16, 8 + 16)
    assert data["onnx"]["batchnorm"] == 2
    assert data["onnx"]["batchnorm_folded"] is False
    # --fold-bn folds the one after the convolution only, as exporters do
    folded = quiet_json(str(tmp_path / "b.onnx"), "--fold-bn")
    assert folded["params"] == 8 + 288 + 8


def test_same_padding_at_stride_2_is_written_as_equal_padding(tmp_path: Path) -> None:
    g = G([1, 3, 8, 8])
    y = g.op(
        "Conv",
        ["x", g.weight([4, 3, 3, 3])],
        "c",
        kernel_shape=[3, 3],
        strides=[2, 2],
        auto_pad="SAME_UPPER",
    )
    data = figures(g.save(y, tmp_path / "s.onnx"))
    # SAME: ceil(8/2) = 4 outputs, padding (0, 1); 1 on each side gives 4 as well
    assert data["output_shape"] == [4, 4, 4]
    assert data["macs"] == 16 * 4 * 3 * 9


def test_channels_last_input_and_explicit_padding(tmp_path: Path) -> None:
    """TensorFlow's way (tf2onnx): an NHWC input transposed at once, and Keras'
    ZeroPadding2D ((0, 1), (0, 1)) as a Pad before a 'valid' stride-2 convolution."""
    g = G([1, 8, 8, 3])
    x = g.op("Transpose", ["x"], perm=[0, 3, 1, 2])
    x = g.op("Pad", [x, g.weight([8], np.int64, [0, 0, 0, 0, 0, 0, 1, 1])], "pad")
    y = g.op("Conv", [x, g.weight([4, 3, 3, 3])], "conv", kernel_shape=[3, 3], strides=[2, 2])
    data = figures(g.save(y, tmp_path / "tf.onnx"))
    # 9 × 9 padded, (9 − 3)//2 + 1 = 4; equal padding 1 gives (8 + 2 − 3)//2 + 1 = 4 too
    assert data["input_shape"] == [3, 8, 8]
    assert data["output_shape"] == [4, 4, 4]
    assert data["macs"] == 16 * 4 * 3 * 9


def test_padding_that_feeds_more_than_a_convolution_is_refused(tmp_path: Path) -> None:
    g = G([1, 3, 8, 8])
    x = g.op("Pad", ["x", g.weight([8], np.int64, [0, 0, 1, 1, 0, 0, 1, 1])], "pad")
    y = g.op("Relu", [x])
    assert "'pad'" in one_line_error(run("model", g.save(y, tmp_path / "p.onnx")))


def test_asymmetric_padding_no_equal_padding_gives_is_refused(tmp_path: Path) -> None:
    g = G([1, 3, 8, 8])
    y = g.op(
        "Conv", ["x", g.weight([4, 3, 3, 3])], "lopsided", kernel_shape=[3, 3], pads=[0, 0, 1, 1]
    )
    result = run("model", g.save(y, tmp_path / "a.onnx"))
    assert result.exit_code == 2
    assert "'lopsided'" in result.stderr and "asymmetric padding" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# --- what the output says ----------------------------------------------------------------


def lrn_graph(tmp_path: Path) -> str:
    g = G([1, 4, 8, 8])
    y = g.conv("x", 4, 4, name="c1")
    y = g.op("LRN", [y], "norm", size=3)
    y = g.op("LRN", [y], "norm2", size=3)
    return g.save(y, tmp_path / "lrn.onnx")


def test_unknown_operators_are_listed_and_counted_zero(tmp_path: Path) -> None:
    path = lrn_graph(tmp_path)
    result = run("model", path, "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["unsupported"] == {"LRN": 2}
    assert data["params"] == 4 * 4 * 9 + 4
    assert leaf(data, "norm")["type"] == "identity"
    assert "LRN ×2" in result.stderr


def test_strict_refuses_unknown_operators(tmp_path: Path) -> None:
    result = run("model", lrn_graph(tmp_path), "--strict")
    assert result.exit_code == 2
    assert "LRN ×2" in result.stderr and "--strict" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_graph_without_batchnorm_says_it_was_folded(tmp_path: Path) -> None:
    g = G([1, 3, 8, 8])
    path = g.save(g.conv("x", 3, 4), tmp_path / "f.onnx")
    table = run("model", path)
    assert table.exit_code == 0
    assert "--fold-bn" in table.stderr and "--fold-bn" not in table.stdout
    data = quiet_json(path)
    assert data["onnx"]["batchnorm_folded"] is True


def test_a_graph_without_convolutions_folded_nothing(tmp_path: Path) -> None:
    # Flatten then a linear layer: no BatchNormalization, but no convolution either,
    # so nothing was folded and nothing is said about it.
    g = G([1, 8, 4, 4])
    y = g.op("Flatten", ["x"], "flat", axis=1)
    y = g.op("Gemm", [y, g.weight([10, 128]), g.weight([10])], transB=1)
    path = g.save(y, tmp_path / "fc.onnx")
    assert "--fold-bn" not in run("model", path).stderr
    assert quiet_json(path)["onnx"]["batchnorm_folded"] is False


def test_names_are_the_graphs(tmp_path: Path) -> None:
    g = G([1, 3, 8, 8])
    y = g.conv("x", 3, 4, name="/features/features.0/Conv")
    y = g.op("Relu", [y], "/features/features.0/Relu")
    data = quiet_json(g.save(y, tmp_path / "n.onnx"))
    assert [layer["name"] for layer in data["layers"]] == [
        "/features/features.0/Conv",
        "/features/features.0/Relu",
    ]


def test_symbolic_input_needs_input(tmp_path: Path) -> None:
    g = G(["N", 3, "H", "W"])
    path = g.save(g.conv("x", 3, 4), tmp_path / "d.onnx")
    refused = run("model", path)
    assert refused.exit_code == 2 and "--input" in refused.stderr
    data = quiet_json(path, "--input", "32x16")
    assert data["output_shape"] == [4, 32, 16]
    assert data["macs"] == 32 * 16 * 4 * 3 * 9


def test_one_input_size_is_every_dimensions(tmp_path: Path) -> None:
    g = G(["N", 2, "L"])
    y = g.op("Conv", ["x", g.weight([4, 2, 3])], "c", kernel_shape=[3], pads=[1, 1])
    data = quiet_json(g.save(y, tmp_path / "d.onnx"), "--input", "50")
    assert data["output_shape"] == [4, 50]
    assert data["macs"] == 50 * 4 * 2 * 3


def test_input_is_for_onnx_files() -> None:
    result = run("model", "mobilenet_v1", "--input", "224")
    assert result.exit_code == 2 and "--resolution" in result.stderr


def test_a_graph_that_is_not_series_parallel_names_the_node(tmp_path: Path) -> None:
    g = G([1, 4, 8, 8])
    a = g.conv("x", 4, 4)
    b = g.conv(a, 4, 4)
    c = g.op("Add", ["x", a])  # x and a meet here, but a also feeds b, which meets later
    y = g.op("Add", [c, b], "tangle")
    result = run("model", g.save(y, tmp_path / "t.onnx"))
    assert result.exit_code == 2
    assert "node" in result.stderr and "series-parallel" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# --- the saved spec ------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["toml", "json"])
def test_saved_spec_reproduces_the_file(tmp_path: Path, suffix: str) -> None:
    g = G([1, 16, 8, 8])
    a = g.conv("x", 16, 16, k=1)
    b = g.op("Relu", [g.conv("x", 16, 8, k=3)])
    y = g.op("Concat", [a, b], axis=1)
    y = g.op("Add", [g.conv(y, 24, 16, k=1), "x"])
    y = g.op("GlobalAveragePool", [y])
    y = g.op("Flatten", [y])
    y = g.op("Gemm", [y, g.weight([10, 16]), g.weight([10])], transB=1)
    path = g.save(y, tmp_path / "m.onnx")
    saved = tmp_path / f"m.{suffix}"
    from_file = quiet_json(path, "--save-spec", str(saved))
    from_spec = as_json("model", str(saved))
    for key in ("params", "buffers", "macs", "output_shape", "breakdown"):
        assert from_spec[key] == from_file[key]


def test_saved_spec_of_a_real_export_reproduces_it(tmp_path: Path) -> None:
    imported = convert(skeleton("squeezenet1_0"), "squeezenet1_0.onnx")
    from convcalc.views.spec_text import spec_text

    saved = tmp_path / "squeezenet.toml"
    saved.write_text(spec_text(imported.spec))
    data = as_json("model", str(saved))
    record = EXPORTS["models"]["squeezenet1_0"]
    assert (data["params"], data["macs"]) == (record["folded_params"], record["macs"])


# --- MobileNetV1 from the preset, and the real exports -------------------------------------


def onnx_of(net: Seq, shape: tuple[int, ...], g: G, x: str) -> str:
    """Emit a built network as ONNX operators, BatchNorm folded into the convolutions
    (as an exporter writes it), each convolution followed by a ReLU."""
    for node in net.children:
        if isinstance(node, Activated):  # the preset's ReLU: emitted after each conv
            node = node.block
        if isinstance(node, Block):
            for layer in node.layers:
                if isinstance(layer, BatchNorm):
                    continue
                assert isinstance(layer, Conv)
                k = layer.kernel[0]
                x = g.conv(
                    x,
                    layer.cin,
                    layer.cout,
                    k=k,
                    group=layer.groups,
                    bias=layer.bias or node.bn,
                    strides=list(layer.stride),
                    pads=[layer.padding[0]] * 4 if k > 1 else [0] * 4,
                )
                x = g.op("Relu", [x])
        elif isinstance(node, Pool):
            x = g.op("GlobalAveragePool", [x])
        elif isinstance(node, Linear):
            x = g.op("Flatten", [x])
            x = g.op("Gemm", [x, g.weight([node.cout, node.cin]), g.weight([node.cout])], transB=1)
        else:
            raise AssertionError(f"not in MobileNetV1: {node!r}")
    return x


def test_mobilenet_v1_from_the_preset_matches_its_folded_figures(tmp_path: Path) -> None:
    data, width = load_preset("mobilenet_v1")
    network = build(data, "mobilenet_v1", width=width)
    g = G([1, *network.input_shape])
    y = onnx_of(network.body, network.input_shape, g, "x")
    from_onnx = quiet_json(g.save(y, tmp_path / "mobilenet_v1.onnx"))
    preset = as_json("model", "mobilenet_v1", "--fold-bn")
    for key in ("params", "buffers", "macs", "output_shape"):
        assert from_onnx[key] == preset[key]
    # and folding is what separates it from the trained network: each BN's 2·C go, each
    # bias-less convolution gains C, so params fall by the BatchNorm channels
    plain = as_json("model", "mobilenet_v1")
    channels = plain["params"] - preset["params"]
    assert channels == sum(b["params"] for b in plain["breakdown"] if b["type"] == "BatchNorm") // 2


def skeleton(name: str) -> Graph:
    raw = EXPORTS["models"][name]["graph"]

    def const(c: dict[str, Any]) -> Const:
        values = c.get("values")
        return Const(dims=tuple(c["dims"]), values=None if values is None else tuple(values))

    def attrs(values: dict[str, Any]) -> dict[str, Any]:
        return {k: const(v) if isinstance(v, dict) else v for k, v in values.items()}

    return Graph(
        name=raw["name"],
        ops=tuple(Op(o[0], o[1], tuple(o[2]), tuple(o[3]), attrs(o[4])) for o in raw["ops"]),
        consts={k: const(v) for k, v in raw["consts"].items()},
        inputs=tuple((n, tuple(d) if d else None) for n, d in raw["inputs"]),
        outputs=tuple(raw["outputs"]),
        producer=raw["producer"],
        opset=raw["opset"],
    )


SKELETONS = [name for name, record in EXPORTS["models"].items() if "graph" in record]


def test_the_recorded_exports_cover_every_kind_of_block() -> None:
    assert {"resnet18", "shufflenet_v2_x1_0", "efficientnet_b0", "densenet121"} <= set(SKELETONS)
    # and every recorded export's per-operator count is PyTorch's folded count
    for record in EXPORTS["models"].values():
        assert record["onnx"]["params_per_operator"] == record["folded_params"]


@pytest.mark.parametrize("name", SKELETONS)
def test_real_export_gives_pytorchs_folded_figures(name: str) -> None:
    record = EXPORTS["models"][name]
    imported = convert(skeleton(name), f"{name}.onnx")
    cost = trace(build(imported.spec, name))
    assert (cost.params, cost.macs) == (record["folded_params"], record["macs"])
    assert list(cost.output_shape) == record["output"]
    assert imported.unsupported == {}
    assert imported.batchnorms == record["onnx"]["ops"].get("BatchNormalization", 0)


def test_unique_initializers_fall_short() -> None:
    """The issue's example: resnet18's export shares 16 zero biases through Identity
    nodes, so summing its unique initializers misses 3,840 parameters."""
    record = EXPORTS["models"]["resnet18"]
    assert record["onnx"]["ops"]["Identity"] == 16
    assert record["folded_params"] - record["onnx"]["unique_initializers"] == 3840
    assert record["folded_params"] == 11_684_712 == record["params"] - 4_800


@pytest.mark.parametrize("name", list(EXPORTS["models"]))
def test_preset_folded_figures_are_the_exports(name: str) -> None:
    from convcalc.model.spec import PRESETS

    if name not in PRESETS:
        pytest.skip(f"no {name} preset in this checkout")
    record = EXPORTS["models"][name]
    data = as_json("model", name, "--fold-bn")
    assert (data["params"], data["macs"]) == (record["folded_params"], record["macs"])


# --- bad files ------------------------------------------------------------------------------


def one_line_error(result: Any) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return str(lines[0])


def small_model(tmp_path: Path) -> Path:
    g = G([1, 3, 8, 8])
    return Path(g.save(g.conv("x", 3, 64), tmp_path / "ok.onnx"))


def test_truncated_file(tmp_path: Path) -> None:
    data = small_model(tmp_path).read_bytes()
    bad = tmp_path / "cut.onnx"
    bad.write_bytes(data[: len(data) // 2])
    assert "truncated or corrupted" in one_line_error(run("model", str(bad)))


@pytest.mark.parametrize(
    "content",
    [b"", b"\xff" * 100, b"not a model at all\n", b"PK\x03\x04" + b"\x00" * 40],
    ids=["empty", "bytes", "text", "zip"],
)
def test_files_that_are_not_onnx(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(content)
    assert "bad.onnx" in one_line_error(run("model", str(bad)))


def test_another_protobuf(tmp_path: Path) -> None:
    bad = tmp_path / "tensor.onnx"
    # a message whose one field ModelProto reads too (as producer_name): it parses
    bad.write_bytes(onnx.StringStringEntryProto(value="hello").SerializeToString())
    assert "not an ONNX model" in one_line_error(run("model", str(bad)))


def test_missing_external_data(tmp_path: Path) -> None:
    g = G([1, 3, 8, 8])
    model = g.model(g.conv("x", 3, 64))
    path = tmp_path / "ext.onnx"
    onnx.save_model(
        model, str(path), save_as_external_data=True, location="ext.data", size_threshold=0
    )
    assert figures(str(path))["params"] == 3 * 64 * 9 + 64  # present: read without it
    (tmp_path / "ext.data").unlink()
    message = one_line_error(run("model", str(path)))
    assert "ext.data" in message and "missing" in message


def test_a_file_over_the_limit_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import convcalc.model.onnx_graph as onnx_graph

    path = small_model(tmp_path)
    monkeypatch.setattr(onnx_graph, "MAX_ONNX_BYTES", 100)
    assert "the limit is" in one_line_error(run("model", str(path)))


def test_missing_file() -> None:
    assert "no such file" in one_line_error(run("model", "nowhere.onnx"))


def test_without_the_onnx_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = small_model(tmp_path)
    monkeypatch.setitem(sys.modules, "onnx", None)  # `import onnx` raises ImportError
    assert "pip install 'convcalc[onnx]'" in one_line_error(run("model", str(path)))


def test_reading_onnx_files_keeps_the_model_layer_free_of_onnx() -> None:
    from test_imports import loaded_after

    assert "onnx" not in loaded_after("import convcalc.model.onnx_graph, convcalc.cli.model")


def test_fold_bn_on_a_spec_by_hand() -> None:
    spec = {
        "input": [3, 8, 8],
        "layers": [
            {"type": "standard", "cout": 8, "kernel": 3, "bias": False, "bn": True},
            {"type": "bn"},
        ],
    }
    text = json.dumps(spec)
    plain = json.loads(ok("model", "-", "--format", "json", stdin=text).stdout)
    folded = json.loads(ok("model", "-", "--format", "json", "--fold-bn", stdin=text).stdout)
    # conv 3·8·9 = 216, its BN 2·8, the standalone BN 2·8; folding: the first BN becomes
    # the conv's 8 biases, the standalone one stays
    assert (plain["params"], folded["params"]) == (216 + 16 + 16, 216 + 8 + 16)


def test_an_operator_without_its_weight_is_named(tmp_path: Path) -> None:
    g = G([1, 3, 8, 8])
    y = g.op("Conv", ["x"], "weightless", kernel_shape=[3, 3])
    message = one_line_error(run("model", g.save(y, tmp_path / "w.onnx")))
    assert "'weightless'" in message and "weight" in message


def test_an_input_that_is_not_a_batch_of_maps(tmp_path: Path) -> None:
    g = G([1, 3])
    y = g.op("Relu", ["x"])
    assert "batch of maps" in one_line_error(run("model", g.save(y, tmp_path / "v.onnx")))
