"""``model FILE.onnx`` used as a careless user or an attacker would: where a saved spec
cannot be written, and files that are not what their name says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run

onnx = pytest.importorskip("onnx")
import numpy as np  # noqa: E402
from onnx import helper  # noqa: E402
from test_onnx import G, quiet_json  # noqa: E402


def tiny(tmp_path: Path) -> str:
    # One 3×3 convolution 3 → 4 without bias: 4 · 3 · 9 = 108 params.
    g = G([1, 3, 8, 8])
    return g.save(g.conv("x", 3, 4, bias=False), tmp_path / "tiny.onnx")


def one_line_error(*args: str) -> str:
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    return result.stderr


def test_an_unwritable_save_spec_names_save_spec_not_output(tmp_path: Path) -> None:
    path = tiny(tmp_path)
    message = one_line_error("model", path, "--save-spec", str(tmp_path / "no" / "x.toml"), "-q")
    assert "(--save-spec)" in message and "--output" not in message
    message = one_line_error("model", path, "--save-spec", str(tmp_path), "-q")
    assert "(--save-spec)" in message


def test_save_spec_onto_the_onnx_file_itself_is_refused_and_leaves_it(tmp_path: Path) -> None:
    path = tiny(tmp_path)
    before = Path(path).read_bytes()
    message = one_line_error("model", path, "--save-spec", path, "-q")
    assert "input file is output file" in message
    assert Path(path).read_bytes() == before


def test_a_ceil_mode_pool_wider_than_its_input_gives_one_output(tmp_path: Path) -> None:
    # PyTorch 2.13: nn.MaxPool2d(3, 2, ceil_mode=True) on a 1×1×2×2 input gives 1×1×1×1
    # (ceil((2 − 3)/2) + 1 = 1; that window starts at 0, inside the input). ONNX's
    # MaxPool says the same: ceil((2 − 3)/2 + 1) = 1. The ONNX reader refused it as
    # "empty output" while a spec's pool gave 1×1.
    g = G([1, 8, 2, 2])
    out = g.op("MaxPool", ["x"], "pool", kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)
    path = g.save(out, tmp_path / "pool.onnx")
    result = run("model", path, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["output_shape"] == [8, 1, 1]
    spec = {"input": [8, 2, 2], "layers": [{"type": "pool", "kernel": 3, "stride": 2}]}
    spec["layers"][0]["ceil_mode"] = True
    result = run("model", "-", "--format", "json", stdin=json.dumps(spec))
    assert json.loads(result.stdout)["output_shape"] == [8, 1, 1]


def test_an_unknown_operator_that_ends_the_graph_and_changes_its_shape_is_refused(
    tmp_path: Path,
) -> None:
    # A Resize ×2 of a 3×8×8 map gives 3×16×16 (ONNX's shape inference says so); as the
    # graph's last operator it was passed over as an identity, and the network's output
    # read 3×8×8. Within the graph it was refused already; now at its end too.
    g = G([1, 3, 8, 8])
    scales = g.weight([4], values=[1, 1, 2, 2])
    out = g.op("Resize", ["x", "", scales], "up", mode="nearest")
    message = one_line_error("model", g.save(out, tmp_path / "up.onnx"))
    assert "node 'up' (Resize)" in message and "3×8×8 to 3×16×16" in message
    # One that keeps the shape is still passed over, counted 0 and listed.
    g = G([1, 3, 8, 8])
    result = run("model", g.save(g.op("Softmax", ["x"], "sm", axis=1), tmp_path / "sm.onnx"))
    assert result.exit_code == 0 and "Softmax ×1" in result.stderr


@pytest.mark.parametrize("kind", ["Mul", "Concat"])
def test_shape_arithmetic_that_grows_without_bound_ends_at_once(tmp_path: Path, kind: str) -> None:
    # 40 operators squaring a constant (3^(2^40)) or doubling a list (2^40 values): a
    # file of a few hundred bytes that ran for minutes, or until memory ran out. Values
    # past 4,096 of them or 100 digits are no longer worked out, and a Reshape that
    # needs them is one line, exit 2.
    g = G([1, 3, 8, 8])
    value = g.weight([1], dtype=np.int64, values=[3])
    for _ in range(40):
        attrs = {"axis": 0} if kind == "Concat" else {}
        value = g.op(kind, [value, value], **attrs)
    message = one_line_error(
        "model", g.save(g.op("Reshape", ["x", value], "rs"), tmp_path / "b.onnx")
    )
    assert "node 'rs' (Reshape)" in message


def test_a_weight_with_a_negative_dimension_is_named(tmp_path: Path) -> None:
    # ONNX dims are never negative; a file that says so is corrupt. It used to reach the
    # spec and be refused as "layers[0].cout: -4", a place no ONNX user can find.
    g = G([1, 3, 8, 8])
    out = g.conv("x", 3, 4, bias=False, name="c")
    model = g.model(out)
    model.graph.initializer[0].dims[0] = -4
    model.graph.initializer[0].ClearField("raw_data")
    path = tmp_path / "neg.onnx"
    onnx.save_model(model, str(path))
    message = one_line_error("model", str(path))
    assert "has a negative dimension" in message and "layers[0]" not in message


def test_an_error_found_while_building_names_the_graphs_node(tmp_path: Path) -> None:
    # A MaxPool k3 d2 with pads 2: PyTorch and convcalc refuse padding over half the
    # kernel (3). The error named "layers[1]", a place in a spec the user never wrote.
    g = G([1, 3, 9, 9])
    conv = g.conv("x", 3, 4, name="conv0")
    pool = g.op("MaxPool", [conv], "pool7", kernel_shape=[3, 3], pads=[2] * 4, dilations=[2, 2])
    message = one_line_error("model", g.save(pool, tmp_path / "p.onnx"))
    assert "node 'pool7' (layers[1] of the spec): padding 2 must be at most half" in message


def test_places_inside_blocks_are_named_by_their_node() -> None:
    from convcalc.cli.onnx_file import in_graph_terms

    spec = {
        "layers": [
            {"name": "c0"},
            {"name": "add", "layers": [{"name": "a"}, {"name": "b"}]},
            {"name": "cat", "streams": [[{"name": "s0"}], [{"name": "s1"}, {"name": "s2"}]]},
        ]
    }
    said = in_graph_terms(spec, "f.onnx: layers[1].layers[1]: no")
    assert said == "f.onnx: node 'b' (layers[1].layers[1] of the spec): no"
    said = in_graph_terms(spec, "f.onnx: layers[2].streams[1][1].cout: no")
    assert said == "f.onnx: node 's2' (layers[2].streams[1][1] of the spec).cout: no"
    # A place that is not in the spec is left as it is.
    assert in_graph_terms(spec, "layers[9]: no") == "layers[9]: no"


# --- operators passed over only where they keep the shape ----------------------------


def conv_3_to_8(g: G, x: str) -> str:
    # 3×3, padding 1, 3 → 8 with bias: 8 · 3 · 9 + 8 = 224 params.
    return g.conv(x, 3, 8, name="c")


def test_an_expand_that_changes_the_shape_is_refused(tmp_path: Path) -> None:
    # Expand 1×3×8×8 to [1, 3, 16, 16]: numpy's broadcasting stretches only sizes of 1,
    # so 8 cannot become 16 (ONNX Runtime refuses the graph). It was passed over as an
    # identity and the Conv counted at 8×8: 8·8 · 8·3·9 = 13,824 MACs, not 16×16's 55,296.
    g = G([1, 3, 8, 8])
    y = g.op("Expand", ["x", g.weight([4], np.int64, [1, 3, 16, 16])], "ex")
    message = one_line_error("model", g.save(conv_3_to_8(g, y), tmp_path / "e.onnx"))
    assert "node 'ex' (Expand)" in message and "3×8×8" in message and "16×16" in message
    # A valid broadcast that changes the shape, 1×8×8 to 3×8×8, is refused too: convcalc
    # has no layer that copies channels.
    g = G([1, 1, 8, 8])
    y = g.op("Expand", ["x", g.weight([4], np.int64, [1, 3, 8, 8])], "ex")
    message = one_line_error("model", g.save(conv_3_to_8(g, y), tmp_path / "e.onnx"))
    assert "node 'ex' (Expand)" in message and "1×8×8 to 3×8×8" in message


def test_an_expand_that_keeps_the_shape_is_nothing(tmp_path: Path) -> None:
    # [3, 1, 1] against 1×3×8×8: right-aligned, 8 against 1 and 3 against 3 give
    # 1×3×8×8 again. The Conv then costs 8·8 (outputs) · 8 · 3·9 = 13,824 MACs.
    g = G([1, 3, 8, 8])
    y = g.op("Expand", ["x", g.weight([3], np.int64, [3, 1, 1])], "ex")
    result = run("model", g.save(conv_3_to_8(g, y), tmp_path / "e.onnx"), "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["macs"] == 8 * 8 * 8 * 3 * 9 == 13_824
    assert data["params"] == 224 and data["unsupported"] == {}


def test_arithmetic_with_a_constant_that_broadcasts_the_map_is_refused(tmp_path: Path) -> None:
    # 1×1×8×8 + a 1×3×8×8 constant is 1×3×8×8: it was passed over as 1×1×8×8.
    g = G([1, 1, 8, 8])
    y = g.op("Add", ["x", g.weight([1, 3, 8, 8])], "plus")
    message = one_line_error("model", g.save(y, tmp_path / "a.onnx"))
    assert "node 'plus' (Add)" in message and "1×8×8 to 3×8×8" in message
    # A per-channel constant (3×1×1) keeps 3×8×8: still passed over, counted 0.
    g = G([1, 3, 8, 8])
    y = g.op("Add", ["x", g.weight([3, 1, 1])], "plus")
    result = run("model", g.save(conv_3_to_8(g, y), tmp_path / "a.onnx"), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["unsupported"] == {"Add (by a constant tensor)": 1}


def test_a_mean_over_the_channels_is_refused(tmp_path: Path) -> None:
    # ReduceMean over axis 1 with keepdims: 1×3×8×8 → 1×1×8×8. Every operator being
    # known, ONNX's shape inference was not run and it was passed over as 3×8×8.
    g = G([1, 3, 8, 8])
    y = g.op("ReduceMean", ["x"], "mean", axes=[1], keepdims=1)
    message = one_line_error("model", g.save(y, tmp_path / "m.onnx", opset=13))
    assert "node 'mean' (ReduceMean)" in message and "3×8×8 to 1×8×8" in message


def test_an_unknown_operator_whose_shape_is_unknown_is_refused(tmp_path: Path) -> None:
    # An operator of a domain ONNX's shape inference does not know: its output shape
    # cannot be known, so it cannot be passed over as keeping its input's.
    g = G([1, 3, 8, 8])
    g.nodes.append(helper.make_node("Mystery", ["x"], ["m"], name="odd", domain="com.example"))
    model = g.model("m")
    model.opset_import.append(helper.make_opsetid("com.example", 1))
    path = tmp_path / "u.onnx"
    onnx.save_model(model, str(path))
    message = one_line_error("model", str(path))
    assert "node 'odd' (com.example.Mystery)" in message and "shape" in message


def test_operators_that_keep_the_shape_are_still_passed_over(tmp_path: Path) -> None:
    # Clip to [-1, 1] (not a ReLU) and LRN keep 3×8×8: each is counted 0 and listed.
    g = G([1, 3, 8, 8])
    low, high = g.weight([], values=-1.0), g.weight([], values=1.0)
    y = g.op("Clip", ["x", low, high], "clip")
    y = g.op("LRN", [y], "norm", size=3)
    result = run("model", g.save(conv_3_to_8(g, y), tmp_path / "k.onnx"), "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["unsupported"] == {"Clip": 1, "LRN": 1}
    assert data["macs"] == 8 * 8 * 8 * 3 * 9


def test_a_scale_and_shift_by_constants_is_passed_over(tmp_path: Path) -> None:
    # x · s + b with per-channel constants (a Keras Normalization layer before the first
    # convolution): each is counted 0 and listed. It was refused as "inputs from
    # different branches", though the node has one. The Conv: 8·8 · 8 · 3·9 = 13,824 MACs.
    g = G([1, 3, 8, 8])
    y = g.op("Mul", ["x", g.weight([1, 3, 1, 1])], "scale")
    y = g.op("Add", [y, g.weight([1, 3, 1, 1])], "shift")
    data = quiet_json(g.save(conv_3_to_8(g, y), tmp_path / "n.onnx"))
    assert data["unsupported"] == {"Add (by a constant tensor)": 1, "Mul (by a constant tensor)": 1}
    assert data["macs"] == 13_824 and data["params"] == 224
    assert [layer["type"] for layer in data["layers"]] == ["identity", "identity", "standard"]


# --- attributes and dimensions that contradict ONNX --------------------------------------


def test_a_kernel_shape_that_contradicts_the_weight_is_refused(tmp_path: Path) -> None:
    # kernel_shape [5, 5] on an 8×3×3×3 weight: ONNX Runtime refuses the graph; it was
    # read as 3×3.
    g = G([1, 3, 8, 8])
    y = g.op("Conv", ["x", g.weight([8, 3, 3, 3])], "c", kernel_shape=[5, 5], pads=[1] * 4)
    message = one_line_error("model", g.save(y, tmp_path / "k.onnx"))
    assert "node 'c' (Conv)" in message and "kernel_shape 5×5" in message
    assert "3×3" in message
    g = G([1, 8, 8, 8])
    y = g.op("ConvTranspose", ["x", g.weight([8, 4, 2, 2])], "t", kernel_shape=[3, 3])
    message = one_line_error("model", g.save(y, tmp_path / "t.onnx"))
    assert "node 't' (ConvTranspose)" in message and "kernel_shape 3×3" in message


@pytest.mark.parametrize("size", [0, -5])
def test_an_input_size_below_one_says_so(tmp_path: Path, size: int) -> None:
    g = G([1, 3, size, 8])
    path = g.save(conv_3_to_8(g, "x"), tmp_path / "d.onnx")
    message = one_line_error("model", path)
    assert "symbolic" not in message and "at least 1" in message and "--input" in message
    # --input gives the sizes: 8·8 · 8 · 3·9 = 13,824 MACs.
    assert quiet_json(path, "--input", "8")["macs"] == 13_824


@pytest.mark.parametrize("kind", ["Conv", "ConvTranspose"])
def test_group_zero_says_what_a_group_count_must_be(tmp_path: Path, kind: str) -> None:
    g = G([1, 3, 8, 8])
    y = g.op(kind, ["x", g.weight([3, 3, 3, 3])], "c", kernel_shape=[3, 3], group=0)
    message = one_line_error("model", g.save(y, tmp_path / "g.onnx"))
    assert f"node 'c' ({kind})" in message and "group 0" in message
    assert "at least 1" in message and "divide" in message and "× 0 groups" not in message


def test_input_resizes_what_shape_inference_sees(tmp_path: Path) -> None:
    # A file exported at 4×8×8 measured with --input 16: ONNX's shape inference ran at
    # 8×8, so the LRN (which keeps its shape) was refused as changing 4×16×16 to 4×8×8.
    # At 16×16 the 3×3 conv 4 → 4 costs 16·16 · 4 · 4·9 = 36,864 MACs.
    g = G([1, 4, 8, 8])
    y = g.op("LRN", [g.conv("x", 4, 4, name="c1")], "norm", size=3)
    data = quiet_json(g.save(y, tmp_path / "l.onnx"), "--input", "16")
    assert data["macs"] == 16 * 16 * 4 * 4 * 9 == 36_864 and data["unsupported"] == {"LRN": 1}
    # A Resize ×2 is still refused, at the size measured: 4×16×16 to 4×32×32.
    g = G([1, 4, 8, 8])
    y = g.op("Resize", [g.conv("x", 4, 4), "", g.weight([4], values=[1, 1, 2, 2])], "up")
    message = one_line_error("model", g.save(y, tmp_path / "r.onnx"), "--input", "16")
    assert "node 'up' (Resize)" in message and "4×16×16 to 4×32×32" in message
