"""``model --reported-by``: what each profiler prints for a whole network.

The golden figures are the tools' own, recorded by ``python benchmarks/profilers.py
--networks --record`` (tests/data/profilers_networks.json) from each network built in
PyTorch; the rest is hand arithmetic written out here.
"""

from __future__ import annotations

import json
from math import prod
from typing import Any

import pytest
from conftest import DATA, as_json, ok, run

from convcalc.model.names import TOOLS

RECORDED: dict[str, Any] = json.loads((DATA / "profilers_networks.json").read_text())
CASES: list[dict[str, Any]] = RECORDED["cases"]
SPECS = DATA / "profilers"


def _label(case: dict[str, Any]) -> str:
    return " ".join(case["args"]).replace("tests/data/profilers/", "")


@pytest.fixture(scope="module")
def reported() -> dict[str, dict[str, Any]]:
    """Each recorded case's ``model … --reported-by all --format json``, run once."""
    return {_label(case): as_json("model", *case["args"], "--reported-by", "all") for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=_label)
def test_every_tool_prints_what_convcalc_predicts(
    case: dict[str, Any], reported: dict[str, dict[str, Any]]
) -> None:
    data = reported[_label(case)]
    assert data["params"] == case["torch_params"]
    assert case["tools"], "nothing was recorded"
    for tool, figures in case["tools"].items():
        ours = data["reported_by"][tool]
        assert (ours["params"], ours["compute"]) == (figures["params"], figures["compute"]), tool


@pytest.mark.parametrize("case", CASES, ids=_label)
def test_each_note_adds_up_to_the_difference(
    case: dict[str, Any], reported: dict[str, dict[str, Any]]
) -> None:
    data = reported[_label(case)]
    assert list(data["reported_by"]) == list(TOOLS)
    for tool, report in data["reported_by"].items():
        compute = [t["amount"] for t in report["terms"] if t["figure"] == "compute"]
        params = [t["amount"] for t in report["terms"] if t["figure"] == "params"]
        assert report["params"] == data["params"] + sum(params), tool
        if report["compute"] is not None:
            assert report["compute"] == data["macs"] + sum(compute), tool


def test_the_recording_covers_every_preset_and_every_tool() -> None:
    from convcalc.model.spec import PRESETS

    recorded = {case["args"][0] for case in CASES}
    assert set(PRESETS) <= recorded
    for case in CASES:
        # Keras' parameter count where benchmarks/profilers.py's Keras builder can write
        # the network (not a channel split, adaptive or dilated pooling)
        assert set(TOOLS) - {"keras"} <= set(case["tools"]) <= set(TOOLS), _label(case)
    assert sum("keras" in case["tools"] for case in CASES) >= 20


# --- MobileNetV1 in ptflops: where the 20 M come from (issue #12, part 3) -----------

# Each convolution's output (channels × height × width) in MobileNetV1 at 224: the
# first 3×3 convolution, then each depthwise and pointwise pair (paper, Table 1).
MOBILENET_OUTPUTS = [
    32 * 112 * 112,
    *(32 * 112 * 112, 64 * 112 * 112),
    *(64 * 56 * 56, 128 * 56 * 56),
    *(128 * 56 * 56, 128 * 56 * 56),
    *(128 * 28 * 28, 256 * 28 * 28),
    *(256 * 28 * 28, 256 * 28 * 28),
    *(256 * 14 * 14, 512 * 14 * 14),
    *(512 * 14 * 14, 512 * 14 * 14) * 5,
    *(512 * 7 * 7, 1024 * 7 * 7),
    *(1024 * 7 * 7, 1024 * 7 * 7),
]


def test_mobilenet_v1_in_ptflops_by_hand() -> None:
    # Every convolution is followed by BatchNorm and nn.ReLU; then AvgPool2d(7) and a
    # Linear(1024, 1000) with a bias. ptflops counts, besides the MACs:
    elements = sum(MOBILENET_OUTPUTS)
    assert elements == 5_042_688
    batchnorm = 2 * elements  # a multiply and an add per element
    relu = elements + elements  # nn.ReLU's hook, and the F.relu it calls, patched
    pool = 1024 * 7 * 7 + 1024 * 7 * 7  # nn.AvgPool2d's hook and F.avg_pool2d
    bias = 1000
    data = as_json("model", str(SPECS / "mobilenet_v1_relu.toml"), "--reported-by", "ptflops")
    assert data["macs"] == 568_740_352
    report = data["reported_by"]["ptflops"]
    assert report["compute"] == 568_740_352 + batchnorm + relu + pool + bias == 589_012_456
    amounts = {term["reason"].split(":")[0]: 0 for term in report["terms"]}
    for term in report["terms"]:
        amounts[term["reason"].split(":")[0]] += term["amount"]
    assert amounts == {
        "bias additions (one per output element)": bias,
        "for BatchNorm": batchnorm,
        "for ReLU": relu,
        "for pooling": pool,
    }


def test_the_table_says_where_the_difference_comes_from() -> None:
    out = ok("model", str(SPECS / "mobilenet_v1_relu.toml"), "--reported-by", "ptflops").stdout
    assert "As other tools report it: mobilenet_v1_relu" in out
    assert "589,012,456" in out
    assert "+ 5,042,688 for ReLU" in out
    assert "convcalc: 4,231,976 parameters, 568,740,352 MACs" in out


def test_ptflops_counts_its_patched_functions_for_the_whole_batch() -> None:
    # ptflops divides its modules' counts by the batch, but not those of F.relu and
    # F.avg_pool2d: at batch 3 these count 3 samples' elements.
    elements = sum(MOBILENET_OUTPUTS)
    one = 568_740_352 + 2 * elements + elements + 1024 * 49 + 1000
    functional = elements + 1024 * 49
    data = as_json(
        "model", str(SPECS / "mobilenet_v1_relu.toml"), "--reported-by", "ptflops", "--batch", "3"
    )
    assert data["reported_by"]["ptflops"]["compute"] == one + 3 * functional


# --- pooling, by hand ---------------------------------------------------------------


def _spec(tmp_path: Any, layers: str, shape: str = "[4, 8, 8]") -> str:
    path = tmp_path / "net.toml"
    path.write_text(f'name = "net"\ninput = {shape}\n{layers}', encoding="utf-8")
    return str(path)


def test_a_max_pool_as_each_tool_counts_it(tmp_path: Any) -> None:
    # nn.MaxPool2d(3, stride=2, padding=1) on 4×8×8: output 4×4×4 = 64 elements.
    spec = _spec(
        tmp_path, '[[layers]]\ntype = "pool"\nkind = "max"\nkernel = 3\nstride = 2\npadding = 1\n'
    )
    reports = as_json("model", spec, "--reported-by", "all")["reported_by"]
    inputs, outputs = 4 * 8 * 8, 4 * 4 * 4
    assert {tool: report["compute"] for tool, report in reports.items()} == {
        "torchinfo": 0,
        "ptflops": 2 * inputs,  # the module's hook and F.max_pool2d
        "ptflops-aten": 0,
        "fvcore": 0,  # no handler for aten::max_pool2d
        "thop": 0,  # zero_ops
        "calflops": inputs,  # F.max_pool2d
        "torchscan": outputs * (3 - 1),  # the window "3" as an int: 3 − 1 comparisons
        "flopcountermode": 0,
        "keras": None,
    }


def test_global_pooling_as_each_tool_counts_it(tmp_path: Any) -> None:
    # nn.AdaptiveAvgPool2d(1) on 4×6×5: output 4×1×1.
    spec = _spec(tmp_path, '[[layers]]\ntype = "pool"\nkind = "avg"\nglobal = true\n', "[4, 6, 5]")
    reports = as_json("model", spec, "--reported-by", "all")["reported_by"]
    inputs, outputs = 4 * 6 * 5, 4
    assert reports["ptflops"]["compute"] == 2 * inputs
    assert reports["fvcore"]["compute"] == inputs  # aten::adaptive_avg_pool2d
    assert reports["thop"]["compute"] == (6 * 5 + 1) * outputs  # window + 1 per output
    assert reports["calflops"]["compute"] == inputs
    assert reports["torchscan"]["compute"] == (6 * 5 - 1 + 2) * outputs


def test_thop_truncates_adaptive_pooling_as_its_float64_does(tmp_path: Any) -> None:
    # thop's adaptive pooling: int((4/3 · 11/3 + 1) × outputs) in float64, on 1×4×11
    # pooled to 1×3×3. Exactly, (44/9 + 1) × 9 = 53; in float64 the product comes out
    # a hair under, and int() truncates it to 52.
    spec = _spec(tmp_path, '[[layers]]\ntype = "pool"\nkind = "avg"\noutput = 3\n', "[1, 4, 11]")
    assert (4 / 3 * (11 / 3) + 1) * 9 < 53
    reports = as_json("model", spec, "--reported-by", "thop")["reported_by"]
    assert reports["thop"]["compute"] == 52


def test_activations_as_each_tool_counts_them(tmp_path: Any) -> None:
    layers = "".join(
        f'[[layers]]\ntype = "act"\nfn = "{fn}"\n'
        for fn in ("relu", "relu6", "hardswish", "silu", "sigmoid", "hardsigmoid", "gelu", "tanh")
    )
    reports = as_json("model", _spec(tmp_path, layers), "--reported-by", "all")["reported_by"]
    n = 4 * 8 * 8
    # ptflops: ReLU and GELU twice (hook and F.*), ReLU6 by its hook, SiLU by F.silu;
    # calflops: F.relu, F.silu, F.gelu; torchscan: ReLU 1, ReLU6 2, sigmoid 4, tanh 6.
    assert reports["ptflops"]["compute"] == (2 + 1 + 1 + 2) * n
    assert reports["calflops"]["compute"] == 3 * n
    assert reports["torchscan"]["compute"] == (1 + 2 + 4 + 6) * n
    for tool in ("torchinfo", "ptflops-aten", "fvcore", "thop", "flopcountermode"):
        assert reports[tool]["compute"] == 0, tool


def test_the_sums_of_residual_blocks_are_counted_by_no_tool(tmp_path: Any) -> None:
    spec = _spec(
        tmp_path,
        '[[layers]]\ntype = "residual"\nlayers = [{ type = "identity" }]\n'
        '[[layers]]\ntype = "flatten"\n',
    )
    data = as_json("model", spec, "--reported-by", "all")
    assert data["extra_ops"] == 4 * 8 * 8  # convcalc counts the additions apart
    assert {r["compute"] for r in data["reported_by"].values()} == {0, None}


# --- the option ------------------------------------------------------------------------


def test_without_the_option_the_json_has_no_reported_by() -> None:
    assert "reported_by" not in as_json("model", "mobilenet_v1")


def test_comma_lists_and_repeats_name_the_tools_in_order() -> None:
    listed = as_json("model", "mobilenet_v1", "--reported-by", "thop,fvcore")["reported_by"]
    repeated = as_json("model", "mobilenet_v1", "--reported-by", "thop", "--reported-by", "fvcore")[
        "reported_by"
    ]
    assert list(listed) == list(repeated) == ["thop", "fvcore"]
    assert listed == repeated


def test_an_unknown_tool_is_one_line_and_exit_2() -> None:
    result = run("model", "mobilenet_v1", "--reported-by", "flopsy")
    assert result.exit_code == 2
    assert "unknown tool" in result.stderr and "ptflops" in result.stderr
    assert "Traceback" not in result.stderr


def test_with_as_both_networks_are_reported() -> None:
    data = as_json("model", "mobilenet_v1", "--as", "standard", "--reported-by", "ptflops")
    original = data["original"]["reported_by"]["ptflops"]
    swapped = data["swapped"]["reported_by"]["ptflops"]
    assert swapped["compute"] > original["compute"]
    # The same pooling and bias terms; less BatchNorm and ReLU, as a standard
    # convolution has one BatchNorm and ReLU where a separable block has two.
    before = {t["reason"]: t["amount"] for t in original["terms"]}
    after = {t["reason"]: t["amount"] for t in swapped["terms"]}
    assert before.keys() == after.keys()
    for reason in before:
        if "BatchNorm" in reason or "ReLU" in reason:
            assert after[reason] < before[reason], reason
        else:
            assert after[reason] == before[reason], reason
    out = ok("model", "mobilenet_v1", "--as", "standard", "--reported-by", "thop").stdout
    assert "As other tools report it: mobilenet_v1 as standard" in out


def test_quiet_still_prints_only_the_parameters() -> None:
    assert ok("model", "mobilenet_v1", "-q", "--reported-by", "all").stdout == "4231976\n"


def test_the_batch_scales_every_tool_but_the_per_sample_ones() -> None:
    one = as_json("model", "osnet_x0_25", "--reported-by", "all")["reported_by"]
    four = as_json("model", "osnet_x0_25", "--reported-by", "all", "--batch", "4")["reported_by"]
    for tool in ("torchinfo", "ptflops-aten", "fvcore", "thop", "calflops", "flopcountermode"):
        assert four[tool]["compute"] == 4 * one[tool]["compute"], tool
    # torchscan prints one sample's figure; ptflops too, but for its patched F.* calls
    assert four["torchscan"]["compute"] == one["torchscan"]["compute"]
    assert four["ptflops"]["compute"] > one["ptflops"]["compute"]


# --- torchvision's own models ----------------------------------------------------------

TORCHVISION: dict[str, Any] = json.loads((DATA / "profilers_torchvision.json").read_text())


def _relu_elements(preset: str) -> int:
    """Elements through every ReLU of a preset (the traced act layers)."""
    data = as_json("model", preset)

    def walk(nodes: list[dict[str, Any]]) -> int:
        total = 0
        for node in nodes:
            if node["type"] == "act" and node.get("fn") == "relu":
                total += prod(node["input_shape"])
            total += walk(node.get("children", []))
        return total

    return walk(data["layers"])


def _torchvision_differences(preset: str) -> dict[str, int]:
    """What torchvision's own model reads in each tool beyond (or short of) what
    convcalc predicts for the preset, where its code is not written with a module
    for every layer, by hand. torchscan counts a Dropout (1 per element, even in eval
    mode), which no preset writes, as it changes no figure."""
    pooled = {  # the last feature map, before the classifier
        "mobilenet_v2": 1280 * 7 * 7,
        "shufflenet_v2_x0_5": 1024 * 7 * 7,
        "shufflenet_v2_x1_0": 1024 * 7 * 7,
        "densenet121": 1024 * 7 * 7,
    }
    window = 7 * 7
    if preset == "mobilenet_v2":
        # nn.functional.adaptive_avg_pool2d in forward, not a module: ptflops counts
        # only the patched call, thop and torchscan nothing; Dropout(0.2) on 1280.
        x = pooled[preset]
        return {
            "ptflops": -x,
            "thop": -(window + 1) * 1280,
            "torchscan": -(window + 1) * 1280 + 1280,
        }
    if preset.startswith("shufflenet"):
        # x.mean([2, 3]) where the preset pools globally: no tool counts a mean.
        x = pooled[preset]
        return {
            "ptflops": -2 * x,
            "fvcore": -x,
            "thop": -(window + 1) * 1024,
            "calflops": -x,
            "torchscan": -(window - 1 + 2) * 1024,
        }
    if preset == "densenet121":
        # F.relu and F.adaptive_avg_pool2d on the last 1024×7×7 map: each counted
        # once by ptflops (the patched call), not at all by thop's and torchscan's hooks.
        x = pooled[preset]
        return {
            "ptflops": -x - x,
            "thop": -(window + 1) * 1024,
            "torchscan": -x - (window + 1) * 1024,
        }
    if preset == "googlenet":
        # BasicConv2d calls F.relu: ptflops counts it once, torchscan not; Dropout(0.2)
        relu = _relu_elements(preset)
        return {"ptflops": -relu, "torchscan": -relu + 1024}
    dropout = {
        "mobilenet_v3_small": 1024,
        "mobilenet_v3_large": 1280,
        "efficientnet_b0": 1280,
        "squeezenet1_0": 512 * 13 * 13,
        "squeezenet1_1": 512 * 13 * 13,
        "vgg16": 4096 + 4096,
    }
    return {"torchscan": dropout[preset]} if preset in dropout else {}


@pytest.mark.parametrize("case", TORCHVISION["cases"], ids=_label)
def test_torchvision_models_differ_only_where_their_code_does(case: dict[str, Any]) -> None:
    preset = case["args"][0]
    data = as_json("model", preset, "--reported-by", "all")
    assert data["params"] == case["torch_params"]
    differences = _torchvision_differences(preset)
    for tool, figures in case["tools"].items():
        ours = data["reported_by"][tool]
        assert ours["params"] == figures["params"], tool
        assert figures["compute"] - ours["compute"] == differences.get(tool, 0), tool


def test_torchvision_resnets_read_exactly_as_predicted() -> None:
    resnets = [c for c in TORCHVISION["cases"] if c["args"][0].startswith("resnet")]
    assert len(resnets) == 3
    assert all(not _torchvision_differences(c["args"][0]) for c in resnets)


def test_torchscan_says_its_total_is_partial_where_it_lacks_a_formula() -> None:
    # EfficientNet's SiLU: torchscan warns "Module type not supported" and prints its
    # total as "known …"; ResNet has only ReLU, which it supports.
    efficientnet = as_json("model", "efficientnet_b0", "--reported-by", "torchscan")
    note = efficientnet["reported_by"]["torchscan"]["note"]
    assert "“known”" in note and "nn.SiLU" in note
    resnet = as_json("model", "resnet18", "--reported-by", "torchscan")
    assert "known" not in resnet["reported_by"]["torchscan"]["note"]


def test_a_network_without_activations_says_so() -> None:
    # osnet's preset writes no ReLU; mobilenet_v1's writes one after each BatchNorm.
    bare = ok("model", "osnet_x1_0", "--reported-by", "ptflops").stdout
    assert "This network writes no activations" in bare
    relu = ok("model", "mobilenet_v1", "--reported-by", "ptflops").stdout
    assert "This network writes no activations" not in relu


def test_mobilenet_v1_reads_in_ptflops_what_the_issue_measured_in_pytorch() -> None:
    # Issue #12: MobileNetV1 built in PyTorch (ReLU after every BatchNorm) reads
    # 589,012,456 in ptflops against convcalc's 568,740,352 MACs. The preset writes
    # the same ReLUs, and the written-apart spec agrees with it.
    preset = as_json("model", "mobilenet_v1", "--reported-by", "ptflops")
    assert preset["macs"] == 568_740_352
    assert preset["reported_by"]["ptflops"]["compute"] == 589_012_456
    apart = as_json("model", str(SPECS / "mobilenet_v1_relu.toml"), "--reported-by", "ptflops")
    assert apart["reported_by"]["ptflops"]["compute"] == 589_012_456
