"""Counting conventions, other tools' figures, framework conventions, training cost,
arithmetic intensity and budgets, against independent figures: the numbers the issue
quotes from each profiler, PyTorch's recorded cases, Keras' documented counts, and
arithmetic written out here."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from conftest import TORCH, as_json, run, torch_conv
from test_network import mobilenet_by_hand

import convcalc
from convcalc.cli import cli
from convcalc.model import names
from convcalc.model.cost import measure
from convcalc.model.profilers import TOOLS, reported_by

CONV = ["standard", "--cin", "64", "--cout", "128", "-k", "3", "--input", "56"]


# Conv2d(64 -> 128, k=3, bias) on 56×56, as the issue quotes each tool printing it.
MACS = 128 * 56 * 56 * 64 * 9  # 231,211,008
BIAS = 128 * 56 * 56  # 401,408


@pytest.mark.parametrize(
    ("convention", "figure"),
    [
        ("macs", 231_211_008),  # fvcore, thop
        ("macs+bias", 231_612_416),  # torchinfo, ptflops
        ("flops", 462_422_016),  # FlopCounterMode
        ("flops+bias", 462_823_424),  # calflops
    ],
)
def test_conventions(convention: str, figure: int) -> None:
    data = as_json(*CONV, "--convention", convention)
    assert data["convention"] == convention
    assert data["compute"] == figure
    assert data["macs"] == MACS  # the MACs themselves do not change
    table = run(*CONV, "--convention", convention).stdout
    heading = {"macs": "MACs", "macs+bias": "MACs+bias", "flops": "FLOPs"}
    assert heading.get(convention, "FLOPs+bias") in table


def test_reported_by_matches_what_the_issue_quotes() -> None:
    reports = as_json(*CONV, "--reported-by", "all")["reported_by"]
    quoted = {
        "torchinfo": 231_612_416,
        "ptflops": 231_612_416,
        "fvcore": 231_211_008,
        "thop": 231_211_008,
        "calflops": 462_823_424,
        "flopcountermode": 462_422_016,
    }
    for tool, figure in quoted.items():
        assert reports[tool]["compute"] == figure, tool
        assert reports[tool]["params"] == 73_856
        assert reports[tool]["note"]
    assert reports["keras"]["compute"] is None
    assert set(reports) == set(TOOLS)


def test_reported_by_table_has_a_reason_per_tool() -> None:
    out = run(*CONV, "--reported-by", "torchinfo", "--reported-by", "thop").stdout
    assert "As other tools report it" in out
    assert "torchinfo" in out and "thop" in out and "calflops" not in out


def test_every_named_tool_has_its_rules() -> None:
    assert list(TOOLS) == list(names.TOOLS)


@pytest.mark.parametrize("case", TORCH["cases"], ids=lambda c: c["op"])
def test_reported_by_on_the_recorded_cases(case: dict) -> None:
    """The recorded figures are the rules' inputs: true MACs, MACs over the output
    (what weight × output-position counters give) and the bias additions."""
    conv, shape, batch = torch_conv(case)
    block = convcalc.Block(variant="standard", layers=(conv,))
    cost = measure(block, input=shape[1:], batch=batch)
    reports = reported_by(cost, TOOLS)
    output_based = case.get("macs_output_based", case["macs"])
    bias = case.get("macs_plus_bias", output_based) - output_based
    assert reports["torchinfo"].compute == output_based + bias
    assert reports["thop"].compute == output_based
    assert reports["ptflops-aten"].compute == case["macs"] + bias
    assert reports["ptflops"].compute == (case["macs"] + bias) // batch  # per sample
    assert reports["flopcountermode"].compute == 2 * case["macs"]
    # fvcore skips convolutions traced with padding="same"/"valid".
    fvcore = 0 if isinstance(case["padding"], str) else case["macs"]
    assert reports["fvcore"].compute == fvcore
    if conv.transposed and any(s > 1 for s in conv.stride):
        assert "transposed" in reports["torchinfo"].note
    assert all(r.params == case["params"] for r in reports.values())


# --- frameworks ---------------------------------------------------------------------


def test_keras_separable_has_one_bias() -> None:
    """The issue: 8,896 for Keras' SeparableConv2D against 8,960 for two PyTorch layers."""
    args = ["separable", "--cin", "64", "--cout", "128", "-k", "3"]
    assert as_json(*args)["params"] == 8_960
    keras = as_json(*args, "--framework", "keras")
    assert keras["params"] == 3 * 3 * 64 + 64 * 128 + 128 == 8_896
    assert keras["framework"] == "keras"
    assert as_json(*args, "--reported-by", "keras")["reported_by"]["keras"]["params"] == 8_896


def test_keras_counts_batchnorm_statistics_as_parameters() -> None:
    data = as_json("standard", "--cin", "64", "--cout", "128", "--bn", "--framework", "keras")
    assert data["params"] == 73_856 + 4 * 128
    assert (data["trainable_params"], data["non_trainable_params"]) == (73_856 + 256, 256)
    quiet = run("standard", "--cin", "64", "--cout", "128", "--bn", "--framework", "keras", "-q")
    assert quiet.stdout.strip() == str(73_856 + 4 * 128)


def test_fold_bn() -> None:
    # Conv without bias + BatchNorm folds into a conv with a bias: 64·9·128 + 128.
    data = as_json("standard", "--cin", "64", "--cout", "128", "--no-bias", "--bn", "--fold-bn")
    assert data["params"] == 64 * 9 * 128 + 128 and data["buffers"] == 0
    assert data["fold_bn"] is True
    assert [layer["type"] for layer in data["layers"]] == ["conv"]
    # A lite block's single BatchNorm folds into its depthwise convolution.
    lite = as_json("lite", "--cin", "64", "--cout", "128", "--no-bias", "--bn", "--fold-bn")
    assert lite["params"] == 64 * 128 + 9 * 128 + 128


# --- training and intensity ------------------------------------------------------------


def test_training_step() -> None:
    data = as_json(*CONV, "--training", "--optimizer", "adam", "--batch", "2")["training"]
    assert data["step_macs"] == 3 * 2 * MACS
    assert data["weight_bytes"] == 73_856 * 4
    assert data["gradient_bytes"] == 73_856 * 4
    assert data["optimizer_bytes"] == 2 * 73_856 * 4
    # Kept for backward: the input and the output, for both samples.
    assert data["activation_bytes"] == 2 * (64 + 128) * 56 * 56 * 4
    assert data["total_bytes"] == 4 * 73_856 * 4 + 2 * (64 + 128) * 56 * 56 * 4
    frozen = as_json(*CONV, "--training", "--frozen", "--optimizer", "momentum")["training"]
    assert frozen["step_macs"] == 2 * MACS
    assert frozen["gradient_bytes"] == frozen["optimizer_bytes"] == 0
    assert "Training step" in run(*CONV, "--training").stdout


TINY_NET = {
    "name": "tiny",
    "input": [3, 8, 8],
    "layers": [
        {"type": "standard", "cout": 4},
        {"type": "pool", "kind": "avg", "global": True},
        {"type": "linear", "cout": 2},
    ],
}


def test_model_training_step(tmp_path: Path) -> None:
    spec = tmp_path / "tiny.json"
    spec.write_text(json.dumps(TINY_NET))
    args = ["model", str(spec), "--training", "--batch", "2"]
    data = as_json(*args, "--optimizer", "adam")["training"]
    # conv 3→4, 3×3 on 8×8: (3·9+1)·4 = 112 params, 4·64·27 = 6,912 MACs a sample;
    # global pool: no MACs; linear 4→2: 10 params, 8 MACs.
    params, macs = 112 + 10, 2 * (6_912 + 8)
    assert data["step_macs"] == 3 * macs
    assert data["weight_bytes"] == data["gradient_bytes"] == params * 4
    assert data["optimizer_bytes"] == 2 * params * 4
    # Kept for backward, both samples: the input (3·64), the conv's output (4·64),
    # the pool's (4) and the linear's (2).
    assert data["activation_bytes"] == 2 * (192 + 256 + 4 + 2) * 4
    assert data["total_bytes"] == 4 * params * 4 + 2 * 454 * 4
    frozen = as_json(*args, "--frozen", "--optimizer", "momentum")["training"]
    assert frozen["step_macs"] == 2 * macs
    assert frozen["gradient_bytes"] == frozen["optimizer_bytes"] == 0
    assert "Training step: tiny" in run(*args).stdout
    # --as: each network's own step. As separable, the conv becomes a depthwise 3×3
    # (3·64·9 = 1,728 MACs) and a pointwise 3→4 (4·64·3 = 768), with 3·64 more kept.
    both = as_json(*args, "--as", "separable")
    assert both["original"]["training"]["step_macs"] == 3 * macs
    assert both["swapped"]["training"]["step_macs"] == 3 * 2 * (1_728 + 768 + 8)
    assert both["swapped"]["training"]["activation_bytes"] == 2 * (454 + 192) * 4
    table = run(*args, "--as", "separable").stdout
    assert "Training step: tiny as separable" in table
    # Without --training the JSON has no training object.
    assert "training" not in as_json("model", str(spec))


def test_intensity() -> None:
    data = as_json(*CONV)
    moved = 73_856 * 4 + 64 * 56 * 56 * 4 + 128 * 56 * 56 * 4
    assert data["intensity"] == pytest.approx(MACS / moved)
    # A depthwise layer moves as much as it computes: far fewer MACs per byte.
    dw = as_json("depthwise", "--cin", "64", "--input", "56")
    assert dw["intensity"] == pytest.approx(64 * 56 * 56 * 9 / (640 * 4 + 2 * 64 * 56 * 56 * 4))
    assert dw["intensity"] < 2 < data["intensity"]
    out = run("compare", "--cin", "64", "--cout", "128", "--input", "56").stdout
    assert "MACs/byte" in out and "memory bandwidth" in out


# --- fit ----------------------------------------------------------------------------------


def test_fit_the_issues_example() -> None:
    """Largest cout for a separable 3×3 block from 64 channels on 56×56 under 10 M MACs:
    64·56·56·9 + 64·56·56·cout <= 10,000,000, so cout <= 40.8."""
    result = run(
        "fit", "separable", "--cin", "64", "-k", "3", "--input", "56", "--max-macs", "10M", "-q"
    )
    assert result.exit_code == 0 and result.stdout == "40\n"
    data = as_json("fit", "separable", "--cin", "64", "--input", "56", "--max-macs", "10M")
    assert data["fits"][0]["macs"] == 64 * 56 * 56 * 9 + 64 * 56 * 56 * 40


def test_fit_states_compute_in_the_convention_but_budgets_in_macs() -> None:
    args = ["fit", "separable", "--cin", "64", "--input", "56", "--max-macs", "10M"]
    fit = as_json(*args, "--convention", "flops+bias")["fits"][0]
    # The same answer as in MACs: cout = 40, 9,834,496 MACs.
    assert fit["cout"] == 40 and fit["macs"] == 64 * 56 * 56 * (9 + 40)
    # 2 per MAC, plus one add per output element of each biased convolution.
    assert fit["convention"] == "flops+bias"
    assert fit["compute"] == 2 * fit["macs"] + 64 * 56 * 56 + 40 * 56 * 56
    assert "FLOPs+bias" in run(*args, "--convention", "flops+bias").stdout
    assert "FLOPs" not in run(*args).stdout
    width = as_json("fit", "--model", "mobilenet_v1", "--max-macs", "300M", "--convention", "flops")
    assert width["convention"] == "flops" and width["compute"] == 2 * width["macs"]


def test_fit_every_variant_by_params() -> None:
    data = as_json("fit", "--cin", "64", "-k", "3", "--max-params", "50k")
    fits = {row["variant"]: row["cout"] for row in data["fits"]}
    assert fits["standard"] == (50_000 // (64 * 9 + 1))  # (64·9 + 1)·cout <= 50,000
    assert fits["pointwise"] == 50_000 // 65
    assert fits["depthwise"] == 64 * (50_000 // (64 * 10))  # grows by whole multipliers
    assert fits["separable"] == (50_000 - 640) // 65


def test_fit_nothing_fits_exits_1() -> None:
    result = run("fit", "standard", "--cin", "64", "--max-params", "10")
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert run("fit", "--model", "osnet_x1_0", "--max-params", "10k").exit_code == 1


def test_fit_width_of_a_preset() -> None:
    from fractions import Fraction

    data = as_json("fit", "--model", "mobilenet_v1", "--max-macs", "300M")
    alpha = Fraction(data["width"])
    assert mobilenet_by_hand(alpha)[1] == data["macs"] <= 300_000_000
    assert mobilenet_by_hand(alpha + Fraction(1, 1000))[1] > 300_000_000


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["fit", "--cin", "64"], "budget"),
        (["fit", "--max-params", "1M"], "--cin"),
        (["fit", "separable", "--cin", "64", "--max-macs", "1M"], "--input"),
        (["fit", "lite", "--cin", "64", "-g", "2", "--max-params", "1M"], "groups"),
        (["fit", "--model", "nope", "--max-params", "1M"], "nope"),
        (["standard", "--cin", "8", "--cout", "8", "--convention", "gflops"], "--convention"),
        (
            ["standard", "--cin", "8", "--cout", "8", "--reported-by", "tensorboard"],
            "--reported-by",
        ),
    ],
)
def test_bad_input(args: list[str], named: str) -> None:
    result = run(*args)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and named in result.stderr


def test_help_lists_fit() -> None:
    assert "fit" in cli.list_commands(click.Context(cli))


def test_model_states_compute_in_the_convention() -> None:
    data = as_json("model", "mobilenet_v1", "--convention", "macs+bias")
    # Only the FC layer has a bias: 1,000 additions.
    assert data["compute"] == mobilenet_by_hand()[1] + 1000
    swapped = as_json("model", "mobilenet_v1", "--as", "standard", "--convention", "flops")
    for side in ("original", "swapped"):
        assert swapped[side]["compute"] == 2 * swapped[side]["macs"]
    assert "FLOPs" in run("model", "mobilenet_v1", "--convention", "flops").stdout


def test_sweep_states_compute_in_the_convention() -> None:
    rows = as_json(
        "sweep", "--cin", "64", "--cout", "128", "--input", "56", "--convention", "macs+bias"
    )
    standard = next(r for r in rows["sweep"] if r["variant"] == "standard")
    assert standard["compute"] == MACS + BIAS


def test_fold_bn_folds_a_standalone_batchnorm_that_follows_a_convolution() -> None:
    # A 3×3 conv 3 → 8 without bias (3·8·9 = 216), a standalone BatchNorm (2·8 = 16), a
    # ReLU and a second BatchNorm (16): 248. An exporter folds the first BatchNorm into
    # the conv, which gains a bias of 8: 224; the one after the ReLU stays: 240.
    spec = {
        "input": [3, 8, 8],
        "layers": [
            {"type": "standard", "cout": 8, "kernel": 3, "padding": 1, "bias": False},
            {"type": "bn"},
            {"type": "act", "fn": "relu"},
            {"type": "bn"},
        ],
    }
    plain = run("model", "-", "-q", stdin=json.dumps(spec))
    folded = run("model", "-", "-q", "--fold-bn", stdin=json.dumps(spec))
    assert (plain.stdout, folded.stdout) == ("248\n", "240\n")
