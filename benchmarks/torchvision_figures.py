"""Record torchvision's figures for the presets convcalc reproduces.

    ~/.cache/convcalc-ref/bin/python benchmarks/torchvision_figures.py \
        tests/data/torchvision.json tests/data/torchvision_layers.json

(the reference venv: torch 2.13 + torchvision 0.28, see
/work/shared/reference/RECORDING.md). Every model is built with ``weights=None`` in
eval mode; nothing is downloaded. For each model it records:

- ``meta``: the ``num_params`` and ``_ops`` (GFLOPS, that is GMACs) that
  torchvision's weights enum publishes, where the model has weights;
- ``params``: ``sum(p.numel() for p in model.parameters())``;
- ``macs``: exact multiply-accumulates by forward hooks at each of ``SIZES``, in
  convcalc's convention:
  Conv2d out elements × cin/groups × kh × kw, Linear in × out features, bias adds
  not counted, nothing else counted;
- ``output``: the output shape without the batch;
- ``bn``: the BatchNorm layers (count, Σ channels) and, of those, the ones that read
  a convolution's output directly (a folding exporter merges those), with the
  number of bias values folding adds (the channels of the bias-less convolutions
  they follow). ``folded_params`` = params − 2·ΣC(folded BN) + added biases.

PyTorch is never a dependency of convcalc; the JSON files are its only product.
"""

from __future__ import annotations

import json
import sys
import warnings
from typing import Any

import torch
import torchvision
from torch import nn
from torchvision import models

warnings.filterwarnings("ignore")

# 224 as published; 193, 47 and 33 are odd sizes at which ceil_mode pools keep a row,
# VGG's adaptive pool makes 6×6 (or 1×1) features 7×7, and strides round down.
SIZES = (224, 193, 47, 33)
LAYER_SIZES = (224, 193)

# name, builder, keyword arguments, the weights enum that carries the metadata
MODELS: list[tuple[str, str, dict[str, Any]]] = [
    ("resnet18", "resnet18", {}),
    ("resnet34", "resnet34", {}),
    ("resnet50", "resnet50", {}),
    ("mobilenet_v2", "mobilenet_v2", {}),
    ("mobilenet_v3_small", "mobilenet_v3_small", {}),
    ("mobilenet_v3_large", "mobilenet_v3_large", {}),
    ("shufflenet_v2_x0_5", "shufflenet_v2_x0_5", {}),
    ("shufflenet_v2_x1_0", "shufflenet_v2_x1_0", {}),
    ("efficientnet_b0", "efficientnet_b0", {}),
    ("squeezenet1_0", "squeezenet1_0", {}),
    ("squeezenet1_1", "squeezenet1_1", {}),
    ("vgg16", "vgg16", {}),
    ("googlenet", "googlenet", {"aux_logits": False, "init_weights": False}),
    ("densenet121", "densenet121", {}),
]

# torchvision's own width variants: (label, builder, keyword arguments)
WIDTHS: list[tuple[str, str, dict[str, Any]]] = [
    ("mobilenet_v2 width_mult=0.5", "mobilenet_v2", {"width_mult": 0.5}),
    ("mobilenet_v2 width_mult=0.75", "mobilenet_v2", {"width_mult": 0.75}),
    ("mobilenet_v2 width_mult=1.4", "mobilenet_v2", {"width_mult": 1.4}),
    ("mobilenet_v3_small width_mult=0.75", "mobilenet_v3_small", {"width_mult": 0.75}),
    ("mobilenet_v3_large width_mult=0.75", "mobilenet_v3_large", {"width_mult": 0.75}),
    ("shufflenet_v2_x1_5", "shufflenet_v2_x1_5", {}),
    ("shufflenet_v2_x2_0", "shufflenet_v2_x2_0", {}),
]

# the models whose per-layer figures go to the second file
LAYER_MODELS = ("resnet18", "mobilenet_v3_small", "googlenet")


def meta_of(builder: str) -> dict[str, Any] | None:
    try:
        weights = models.get_model_weights(builder)
    except (ValueError, KeyError):
        return None
    default = weights.DEFAULT  # type: ignore[attr-defined]
    return {
        "enum": f"{weights.__name__}.{default.name}",
        "num_params": default.meta["num_params"],
        "_ops": default.meta["_ops"],
    }


def measure(model: nn.Module, size: int, layers: bool) -> dict[str, Any]:
    """Run one forward pass at ``size``×``size`` with hooks on every module."""
    macs = 0
    rows: list[dict[str, Any]] = []
    # the tensors are kept alive so that no other tensor can reuse their id
    conv_outputs: dict[int, tuple[torch.Tensor, nn.Conv2d]] = {}
    bn = {"count": 0, "channels": 0}
    folded = {"count": 0, "channels": 0, "added_biases": 0}
    names = {module: name for name, module in model.named_modules()}
    handles = []

    def conv_hook(module: nn.Module, inputs: Any, output: torch.Tensor) -> None:
        nonlocal macs
        assert isinstance(module, nn.Conv2d)
        kh, kw = module.kernel_size
        n = output[0].numel() * (module.in_channels // module.groups) * kh * kw
        macs += n
        conv_outputs[id(output)] = (output, module)
        if layers:
            rows.append(row(module, inputs[0], output, n))

    def linear_hook(module: nn.Module, inputs: Any, output: torch.Tensor) -> None:
        nonlocal macs
        assert isinstance(module, nn.Linear)
        n = module.in_features * module.out_features
        macs += n
        if layers:
            rows.append(row(module, inputs[0], output, n))

    def bn_hook(module: nn.Module, inputs: Any, output: torch.Tensor) -> None:
        assert isinstance(module, nn.BatchNorm2d)
        bn["count"] += 1
        bn["channels"] += module.num_features
        found = conv_outputs.get(id(inputs[0]))
        if found is not None and found[0] is inputs[0]:
            conv = found[1]
            folded["count"] += 1
            folded["channels"] += module.num_features
            if conv.bias is None:
                folded["added_biases"] += conv.out_channels
        if layers:
            rows.append(row(module, inputs[0], output, 0))

    def row(module: nn.Module, x: torch.Tensor, y: torch.Tensor, n: int) -> dict[str, Any]:
        return {
            "name": names[module],
            "type": type(module).__name__,
            "input": list(x.shape[1:]),
            "output": list(y.shape[1:]),
            "params": sum(p.numel() for p in module.parameters(recurse=False)),
            "macs": n,
        }

    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            handles.append(module.register_forward_hook(conv_hook))
        elif isinstance(module, nn.Linear):
            handles.append(module.register_forward_hook(linear_hook))
        elif isinstance(module, nn.BatchNorm2d):
            handles.append(module.register_forward_hook(bn_hook))
        elif isinstance(module, nn.modules.batchnorm._BatchNorm):
            raise AssertionError(f"unexpected {type(module).__name__}")
    with torch.no_grad():
        out = model(torch.zeros(1, 3, size, size))
    for handle in handles:
        handle.remove()
    params = sum(p.numel() for p in model.parameters())
    result: dict[str, Any] = {
        "macs": macs,
        "output": list(out.shape[1:]),
        "bn": {"count": bn["count"], "channels": bn["channels"]},
        "bn_after_conv": dict(folded),
        "folded_params": params - 2 * folded["channels"] + folded["added_biases"],
    }
    if layers:
        result["layers"] = rows
    return result


def record(label: str, builder: str, kwargs: dict[str, Any], layers: bool) -> dict[str, Any]:
    torch.manual_seed(0)
    model = models.get_model(builder, weights=None, **kwargs).eval()
    entry: dict[str, Any] = {
        "builder": f"torchvision.models.{builder}(weights=None"
        + "".join(f", {k}={v!r}" for k, v in kwargs.items())
        + ").eval()",
        "params": sum(p.numel() for p in model.parameters()),
        "meta": meta_of(builder) if not any(k == "width_mult" for k in kwargs) else None,
    }
    for size in SIZES:
        entry[str(size)] = measure(model, size, layers and size in LAYER_SIZES)
    print(label, entry["params"], entry["224"]["macs"], entry["meta"], file=sys.stderr)
    return entry


def main(path: str, layers_path: str | None) -> None:
    command = "~/.cache/convcalc-ref/bin/python benchmarks/torchvision_figures.py " + " ".join(
        sys.argv[1:]
    )
    about = {
        "command": command,
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "conventions": {
            "params": "sum(p.numel() for p in model.parameters())",
            "macs": "forward hooks: Conv2d out.numel() * (in_channels // groups) * kh * kw; "
            "Linear in_features * out_features; bias adds and everything else not counted",
            "meta": "torchvision weights enum DEFAULT .meta num_params and _ops "
            "(GFLOPS = GMACs, three decimals); null for width variants built by keyword",
            "bn": "BatchNorm2d layers: count and sum of num_features",
            "bn_after_conv": "BatchNorm2d whose input is a Conv2d's output tensor (a folding "
            "exporter merges them): count, sum of channels, and added_biases = out_channels "
            "of those convs that have no bias",
            "folded_params": "params - 2 * bn_after_conv.channels + bn_after_conv.added_biases",
        },
        "sizes": list(SIZES),
    }
    figures: dict[str, Any] = {"about": about, "models": {}, "widths": {}}
    layer_figures: dict[str, Any] = {
        "about": {**about, "sizes": list(LAYER_SIZES)},
        "models": {},
    }
    for label, builder, kwargs in MODELS:
        want_layers = layers_path is not None and label in LAYER_MODELS
        entry = record(label, builder, kwargs, want_layers)
        if want_layers:
            layer_figures["models"][label] = {
                size: entry[size].pop("layers") for size in map(str, LAYER_SIZES)
            }
        figures["models"][label] = entry
    for label, builder, kwargs in WIDTHS:
        figures["widths"][label] = record(label, builder, kwargs, False)
    with open(path, "w", encoding="utf-8") as out:
        json.dump(figures, out, indent=1)
        out.write("\n")
    if layers_path is not None:
        with open(layers_path, "w", encoding="utf-8") as out:
            json.dump(layer_figures, out, indent=None, separators=(",", ":"))
            out.write("\n")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2] if len(sys.argv) == 3 else None)
