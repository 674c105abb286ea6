"""The torchvision presets against PyTorch's own figures (tests/data/torchvision.json).

The figures were recorded once from torch 2.13 + torchvision 0.28 by
benchmarks/torchvision_figures.py (the command is in the file): params by
``sum(p.numel())``, MACs by forward hooks on every Conv2d and Linear (convcalc's
convention), at 224×224 and at the odd sizes 193, 47 and 33, and the ``num_params``
and ``_ops`` (GMACs, to three decimals) that torchvision's weights metadata publishes.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import DATA, ROOT, as_json, run

from convcalc.model.conventions import fold_bn
from convcalc.model.core import Block
from convcalc.model.network import Network, breakdown, trace
from convcalc.model.spec import PRESETS, build, load_preset

TORCHVISION: dict[str, Any] = json.loads((DATA / "torchvision.json").read_text())
MODELS: dict[str, Any] = TORCHVISION["models"]
WIDTHS: dict[str, Any] = TORCHVISION["widths"]
SIZES = [str(size) for size in TORCHVISION["about"]["sizes"]]
PRESET_DIR = ROOT / "convcalc" / "model" / "presets"

# Each preset is named as torchvision names the model.
PRESET_NAMES = list(MODELS)

# (preset, --width, the torchvision model built at that width)
WIDTH_CASES = [
    ("mobilenet_v2", "0.5", "mobilenet_v2 width_mult=0.5"),
    ("mobilenet_v2", "0.75", "mobilenet_v2 width_mult=0.75"),
    ("mobilenet_v2", "1.4", "mobilenet_v2 width_mult=1.4"),
    ("mobilenet_v3_small", "0.75", "mobilenet_v3_small width_mult=0.75"),
    ("mobilenet_v3_large", "0.75", "mobilenet_v3_large width_mult=0.75"),
    ("shufflenet_v2_x1_0", "0.5", "shufflenet_v2_x0_5"),
    ("shufflenet_v2_x0_5", "1.0", "shufflenet_v2_x1_0"),
    ("shufflenet_v2_x1_0", "1.5", "shufflenet_v2_x1_5"),
    ("shufflenet_v2_x1_0", "2.0", "shufflenet_v2_x2_0"),
]


def figures(name: str, *args: str) -> dict[str, Any]:
    return as_json("model", name, *args)


def test_every_torchvision_model_recorded_is_a_preset() -> None:
    """...and every spec file shipped is some preset's."""
    assert set(PRESET_NAMES) <= set(PRESETS)
    shipped = {path.name for path in PRESET_DIR.iterdir() if path.suffix == ".toml"}
    assert shipped == {preset.file for preset in PRESETS.values()}


def test_the_recorded_figures_are_what_torchvision_publishes() -> None:
    """The hook MACs round to torchvision's published GFLOPS and the counted params
    are its num_params: the convention the presets are held to is torchvision's."""
    for name, entry in [*MODELS.items(), *WIDTHS.items()]:
        meta = entry["meta"]
        if meta is not None:
            assert entry["params"] == meta["num_params"], name
            assert round(entry["224"]["macs"] / 1e9, 3) == meta["_ops"], name


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_preset_reproduces_torchvision_published_figures(name: str) -> None:
    meta = MODELS[name]["meta"]
    data = figures(name)
    assert data["input_shape"] == [3, 224, 224]
    assert data["params"] == meta["num_params"]
    assert round(data["macs"] / 1e9, 3) == meta["_ops"]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", PRESET_NAMES)
def test_preset_equals_pytorch_exactly(name: str, size: str) -> None:
    recorded = MODELS[name]
    data = figures(name, "--resolution", size)
    assert data["input_shape"] == [3, int(size), int(size)]
    assert data["params"] == recorded["params"]
    assert data["macs"] == recorded[size]["macs"]
    assert data["output_shape"] == recorded[size]["output"]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("name", "width", "model"), WIDTH_CASES)
def test_width_follows_torchvision_width_rule(name: str, width: str, model: str, size: str) -> None:
    recorded = WIDTHS.get(model) or MODELS[model]
    data = figures(name, "--width", width, "--resolution", size)
    assert data["params"] == recorded["params"]
    assert data["macs"] == recorded[size]["macs"]


def blocks(node: Any) -> Iterator[Block]:
    """Every convolution block in a network's tree, whatever holds it."""
    if isinstance(node, Block):
        yield node
    elif dataclasses.is_dataclass(node) and not isinstance(node, type):
        for item in dataclasses.fields(node):
            value = getattr(node, item.name)
            for child in value if isinstance(value, tuple) else (value,):
                yield from blocks(child)


def network(name: str) -> Network:
    data, width = load_preset(name)
    return build(data, name, width=width)


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_folding_batchnorm_gives_what_an_exporter_keeps(name: str) -> None:
    """Folding each BatchNorm that follows a convolution removes its 2·C parameters and
    gives a bias-less convolution C biases: torchvision's params − 2·ΣC + the biases
    added, counted on the PyTorch module (a standalone BatchNorm, as DenseNet's
    pre-activation ones, stays)."""
    net = network(name)
    folded = sum(fold_bn(block).params - block.params for block in blocks(net.body))
    assert as_json("model", name)["params"] + folded == MODELS[name]["224"]["folded_params"]


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_batchnorm_is_what_pytorch_builds(name: str) -> None:
    """Every BatchNorm2d of the PyTorch model, standalone ones included, is 2·C
    parameters in the breakdown; a network without one has no BatchNorm row."""
    channels = MODELS[name]["224"]["bn"]["channels"]
    bn = breakdown(trace(network(name))).get("BatchNorm", (0, 0))
    assert bn == (2 * channels, 0)


def test_vgg16_classifier_is_fully_connected_after_a_flatten() -> None:
    """VGG's classifier by hand: 512·7·7 → 4096 → 4096 → 1000, each with a bias; at
    193 the features are 6×6 and the adaptive pool makes them 7×7 again."""
    weights = 512 * 7 * 7 * 4096 + 4096 * 4096 + 4096 * 1000
    for size in (224, 193):
        cost = trace(build(load_preset("vgg16")[0], "vgg16", resolution=size))
        assert breakdown(cost)["Fully connected"] == (weights + 4096 + 4096 + 1000, weights)


def test_shufflenet_widths_are_torchvisions_four() -> None:
    result = run("model", "shufflenet_v2_x1_0", "--width", "0.75")
    assert result.exit_code == 2
    assert "0.75" in result.stderr
    assert all(width in result.stderr for width in ("0.5", "1.5", "2"))
