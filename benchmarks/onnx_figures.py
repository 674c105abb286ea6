"""Record what PyTorch says about torchvision models and their ONNX exports, and check
``convcalc model FILE.onnx`` against it.

    ~/.cache/convcalc-ref/bin/python benchmarks/onnx_figures.py tests/data/onnx_exports.json

(the reference venv: torch 2.13 + torchvision 0.28 + onnx, see
/work/shared/reference/RECORDING.md). Each model is built with ``weights=None`` in eval
mode and exported with ``torch.onnx.export(model, torch.randn(1, 3, 224, 224), path,
dynamo=False)`` to a temporary directory; the .onnx files are not kept. For each it
records, without convcalc:

- ``params``: ``sum(p.numel() for p in model.parameters())``;
- ``folded_params``: the same with every BatchNorm that reads a convolution's output
  folded into it (its 2·C go; a convolution without a bias gains C), found by hooks;
- ``macs``: forward hooks on every Conv2d and Linear, convcalc's convention (output
  elements × cin/groups × kernel, in × out features; no bias adds, nothing else);
- ``output``: the output shape without the batch;
- ``onnx``: the exported graph's operator counts, its parameters counted per operator
  from the shapes of each Conv, Gemm and BatchNormalization's weights, and the sum of
  its unique initializers (which exporters deduplicate, so it falls short);
- ``graph`` (for :data:`SKELETONS`): the exported graph's skeleton (operators,
  attributes, weight shapes and the small constants; no weight values), as
  ``convcalc.model.onnx_graph`` reads it, so that the tests can convert the real export
  without the file.

Then it runs this checkout's ``convcalc model`` on each exported file and prints
whether its parameters and MACs are the folded parameters and the MACs PyTorch gave.
PyTorch is never a dependency of convcalc; the JSON file is this script's only product.
"""

from __future__ import annotations

import collections
import json
import math
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import onnx
import torch
from torch import nn
from torchvision import models

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from convcalc.model.onnx_graph import Const, read_graph  # noqa: E402

warnings.filterwarnings("ignore")
torch.set_num_threads(1)

MODELS: list[tuple[str, dict[str, Any]]] = [
    ("resnet18", {}),
    ("resnet34", {}),
    ("resnet50", {}),
    ("mobilenet_v2", {}),
    ("mobilenet_v3_small", {}),
    ("mobilenet_v3_large", {}),
    ("shufflenet_v2_x0_5", {}),
    ("shufflenet_v2_x1_0", {}),
    ("efficientnet_b0", {}),
    ("squeezenet1_0", {}),
    ("squeezenet1_1", {}),
    ("vgg16", {}),
    ("googlenet", {"aux_logits": False, "init_weights": True}),
    ("densenet121", {}),
]
"""The torchvision models convcalc has presets for (googlenet without its auxiliary
classifiers, which eval mode does not run and so the export does not hold)."""

SKELETONS = {
    "resnet18",
    "mobilenet_v2",
    "mobilenet_v3_small",
    "shufflenet_v2_x1_0",
    "efficientnet_b0",
    "squeezenet1_0",
    "googlenet",
    "densenet121",
}
"""The models whose graph skeleton is kept: one of each kind of block (the others'
figures are recorded and checked here, and against their presets in the tests)."""
COMMAND = "~/.cache/convcalc-ref/bin/python benchmarks/onnx_figures.py tests/data/onnx_exports.json"
EXPORT = "torch.onnx.export(model, torch.randn(1, 3, 224, 224), path, dynamo=False)"


def torch_figures(model: nn.Module) -> dict[str, Any]:
    macs = 0
    # Each convolution's output, kept alive so that no other tensor takes its id.
    produced_by_conv: dict[int, tuple[torch.Tensor, nn.Conv2d]] = {}
    folded = []

    def conv_hook(module: nn.Module, inputs: Any, output: torch.Tensor) -> None:
        nonlocal macs
        assert isinstance(module, nn.Conv2d)
        window = module.in_channels // module.groups * math.prod(module.kernel_size)
        macs += output[0].numel() * window
        produced_by_conv[id(output)] = (output, module)

    def linear_hook(module: nn.Module, inputs: Any, output: torch.Tensor) -> None:
        nonlocal macs
        assert isinstance(module, nn.Linear)
        macs += module.in_features * module.out_features * (output.numel() // output.shape[-1])

    def bn_hook(module: nn.Module, inputs: Any) -> None:
        tensor, conv = produced_by_conv.get(id(inputs[0]), (None, None))
        if tensor is inputs[0] and conv is not None:
            assert isinstance(module, nn.BatchNorm2d)
            folded.append((module.num_features, conv.bias is None))

    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            module.register_forward_hook(conv_hook)
        elif isinstance(module, nn.Linear):
            module.register_forward_hook(linear_hook)
        elif isinstance(module, nn.BatchNorm2d):
            module.register_forward_pre_hook(bn_hook)
    with torch.no_grad():
        output = model(torch.randn(1, 3, 224, 224))
    params = sum(p.numel() for p in model.parameters())
    change = sum(-2 * c + (c if no_bias else 0) for c, no_bias in folded)
    return {
        "params": params,
        "folded_params": params + change,
        "folded_batchnorms": len(folded),
        "macs": macs,
        "output": list(output.shape[1:]),
    }


def onnx_figures(path: Path) -> dict[str, Any]:
    """What the exported file holds, counted with the onnx package alone."""
    model = onnx.load(str(path), load_external_data=False)
    shapes = {t.name: list(t.dims) for t in model.graph.initializer}
    alias = {n.output[0]: n.input[0] for n in model.graph.node if n.op_type == "Identity"}

    def size(name: str) -> int:
        while name in alias:
            name = alias[name]
        return math.prod(shapes[name]) if name in shapes else 0

    per_operator = 0
    for node in model.graph.node:
        if node.op_type in ("Conv", "ConvTranspose", "Gemm"):
            per_operator += sum(size(i) for i in node.input[1:3] if i)
        elif node.op_type == "MatMul":
            per_operator += size(node.input[1])
        elif node.op_type == "BatchNormalization":
            per_operator += size(node.input[1]) + size(node.input[2])  # scale and bias
    return {
        "ops": dict(sorted(collections.Counter(n.op_type for n in model.graph.node).items())),
        "opset": next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
        "params_per_operator": per_operator,
        "unique_initializers": sum(math.prod(t.dims) for t in model.graph.initializer),
        "file_bytes": path.stat().st_size,
    }


def skeleton(path: Path) -> dict[str, Any]:
    """The graph as convcalc reads it, weights' values left out (their shapes kept)."""
    graph = read_graph(str(path))

    def const(c: Const) -> dict[str, Any]:
        small = c.values is not None and len(c.values) <= 64
        return {"dims": list(c.dims), **({"values": list(c.values)} if small else {})}

    def attrs(values: dict[str, Any]) -> dict[str, Any]:
        return {k: const(v) if isinstance(v, Const) else v for k, v in values.items()}

    return {
        "name": graph.name,
        "producer": graph.producer,
        "opset": graph.opset,
        "inputs": [[name, list(dims) if dims else None] for name, dims in graph.inputs],
        "outputs": list(graph.outputs),
        "consts": {name: const(c) for name, c in graph.consts.items()},
        "ops": [
            [op.op, op.name, list(op.inputs), list(op.outputs), attrs(op.attrs)] for op in graph.ops
        ],
    }


def convcalc_python() -> str:
    """A Python that has convcalc's dependencies: this one, else the project's venv."""
    try:
        import click  # noqa: F401
        import rich  # noqa: F401
    except ImportError:
        return "/work/venv/bin/python"
    return sys.executable


def convcalc_figures(path: Path) -> dict[str, Any]:
    done = subprocess.run(
        [convcalc_python(), "-m", "convcalc", "model", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    if done.returncode:
        return {"error": done.stderr.strip()}
    data = json.loads(done.stdout)
    return {"params": data["params"], "macs": data["macs"], "output": data["output_shape"]}


def main(target: str) -> None:
    records: dict[str, Any] = {}
    failures = 0
    with tempfile.TemporaryDirectory() as folder:
        for name, kwargs in MODELS:
            model = getattr(models, name)(weights=None, **kwargs).eval()
            path = Path(folder) / f"{name}.onnx"
            path.unlink(missing_ok=True)
            torch.onnx.export(model, torch.randn(1, 3, 224, 224), str(path), dynamo=False)
            record = {"builder": f"torchvision.models.{name}(weights=None, **{kwargs!r})"}
            record |= torch_figures(model)
            record["onnx"] = onnx_figures(path)
            if name in SKELETONS:
                record["graph"] = skeleton(path)
            records[name] = record
            got = convcalc_figures(path)
            wanted = (record["folded_params"], record["macs"], record["output"])
            same = "error" not in got and (got["params"], got["macs"], got["output"]) == wanted
            failures += not same
            print(
                f"{name:20} torch {record['params']:>11,} folded {record['folded_params']:>11,}"
                f" macs {record['macs']:>14,} | onnx per operator "
                f"{record['onnx']['params_per_operator']:>11,} | convcalc "
                + ("matches" if same else f"DIFFERS: {got}"),
                flush=True,
            )
    data = {
        "about": "torchvision models (weights=None, eval) exported to ONNX: PyTorch's "
        "figures, the exported graph's operators and skeleton",
        "command": COMMAND,
        "export": EXPORT,
        "versions": {
            "torch": torch.__version__,
            "torchvision": __import__("torchvision").__version__,
            "onnx": onnx.__version__,
        },
        "models": records,
    }
    # One model a line: readable diffs, and the skeletons stay compact.
    lines = [json.dumps({k: v for k, v in data.items() if k != "models"}, indent=2)[:-2] + ","]
    lines.append('  "models": {')
    for index, (name, record) in enumerate(records.items()):
        comma = "," if index < len(records) - 1 else ""
        lines.append(f"    {json.dumps(name)}: {json.dumps(record, separators=(',', ':'))}{comma}")
    lines += ["  }", "}"]
    Path(target).write_text("\n".join(lines) + "\n")
    print(f"wrote {target}; convcalc differs on {failures} of {len(records)}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/data/onnx_exports.json")
