"""Check convcalc's --reported-by rules against the real profilers, side by side.

    pip install torch torchinfo ptflops fvcore thop calflops torchscan keras
    python benchmarks/profilers.py

Builds every layer of tests/data/torch_conv_cases.json and the blog post's five
variants (with and without BatchNorm) in PyTorch (and Keras, for its parameter
counts), runs each installed tool on it, and compares what the tool reports with
what convcalc derives for it. Tools that are not installed are skipped. None of
this is a test dependency: convcalc itself never imports these packages.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "torch")
warnings.filterwarnings("ignore")

try:
    import torch
    from torch import nn
except ImportError:
    print("torch is not installed: nothing to check")
    raise SystemExit(0) from None

import convcalc  # noqa: E402 - after the check that torch is there
from convcalc.model.core import BatchNorm, Block, Conv  # noqa: E402
from convcalc.model.cost import measure  # noqa: E402
from convcalc.model.profilers import TOOLS, reported_by  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from conftest import CASES, torch_conv  # noqa: E402


def torch_layer(conv: Conv) -> nn.Module:
    cls = {
        (1, False): nn.Conv1d,
        (2, False): nn.Conv2d,
        (3, False): nn.Conv3d,
        (1, True): nn.ConvTranspose1d,
        (2, True): nn.ConvTranspose2d,
        (3, True): nn.ConvTranspose3d,
    }[(conv.dims, conv.transposed)]
    kwargs: dict[str, Any] = dict(
        stride=conv.stride,
        dilation=conv.dilation,
        groups=conv.groups,
        bias=conv.bias,
        padding=conv.padding if isinstance(conv.padding, str) else conv.padding,
    )
    if conv.transposed:
        kwargs["output_padding"] = conv.output_padding
    return cls(conv.cin, conv.cout, conv.kernel, **kwargs)


def torch_block(block: Block) -> nn.Module:
    layers: list[nn.Module] = []
    for layer in block.layers:
        if isinstance(layer, Conv):
            layers.append(torch_layer(layer))
        else:
            dims = block.main.dims
            layers.append(
                (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)[dims - 1](layer.channels)
            )
    return nn.Sequential(*layers).eval()


def quiet(function: Callable[[], Any]) -> Any:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return function()


def run_tools(model: nn.Module, shape: tuple[int, ...]) -> dict[str, tuple[int, int | None]]:
    """(params, compute) as each installed tool reports them."""
    x = torch.zeros(shape)
    results: dict[str, tuple[int, int | None]] = {}
    params = sum(p.numel() for p in model.parameters())
    with contextlib.suppress(ImportError):
        from torchinfo import summary

        stats = quiet(lambda: summary(model, input_size=shape, verbose=0))
        results["torchinfo"] = (stats.total_params, stats.total_mult_adds)
    with contextlib.suppress(ImportError):
        from ptflops import get_model_complexity_info

        for backend, name in (("pytorch", "ptflops"), ("aten", "ptflops-aten")):
            macs, count = quiet(
                lambda backend=backend: get_model_complexity_info(
                    model,
                    tuple(shape[1:]),
                    as_strings=False,
                    print_per_layer_stat=False,
                    backend=backend,
                    input_constructor=lambda _: x,
                )
            )
            results[name] = (int(count), int(macs))
    with contextlib.suppress(ImportError):
        from fvcore.nn import FlopCountAnalysis, parameter_count

        analysis = FlopCountAnalysis(model.eval(), x)
        analysis.unsupported_ops_warnings(False)
        analysis.uncalled_modules_warnings(False)
        results["fvcore"] = (parameter_count(model)[""], int(quiet(analysis.total)))
    with contextlib.suppress(ImportError):
        from thop import profile

        macs, count = quiet(lambda: profile(model, inputs=(x,), verbose=False))
        results["thop"] = (int(count), int(macs))
        for module in model.modules():  # thop leaves its counters behind
            for attr in ("total_ops", "total_params"):
                if attr in module._buffers:
                    del module._buffers[attr]
    with contextlib.suppress(ImportError):
        from calflops import calculate_flops

        flops, _macs, count = quiet(
            lambda: calculate_flops(
                model=model,
                input_shape=tuple(shape),
                output_as_string=False,
                print_results=False,
                print_detailed=False,
            )
        )
        results["calflops"] = (int(count), int(flops))
    with contextlib.suppress(ImportError):
        from torchscan import crawl_module

        report = quiet(lambda: crawl_module(model, tuple(shape[1:])))
        totals = report["totals"]
        flops = totals["module_flops"]["value"]
        results["torchscan"] = (int(totals["trainable_parameters"]["value"]), int(flops))
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(x)
    results["flopcountermode"] = (params, int(counter.get_total_flops()))
    return results


def keras_params(block: Block, shape: tuple[int, ...]) -> int | None:
    try:
        import keras
    except ImportError:
        return None
    if block.main.dims != 2 or block.main.transposed:
        return None
    layers: list[Any] = []
    convs = list(block.layers)
    i = 0
    while i < len(convs):
        layer = convs[i]
        nxt = convs[i + 1] if i + 1 < len(convs) else None
        if isinstance(layer, BatchNorm):
            layers.append(keras.layers.BatchNormalization())
        elif layer.kind == "depthwise" and block.variant == "separable" and isinstance(nxt, Conv):
            layers.append(
                keras.layers.SeparableConv2D(
                    nxt.cout,
                    layer.kernel,
                    depth_multiplier=layer.cout // layer.cin,
                    use_bias=nxt.bias,
                    padding="same",
                )
            )
            i += 1
        elif layer.kind == "depthwise":
            layers.append(
                keras.layers.DepthwiseConv2D(
                    layer.kernel,
                    depth_multiplier=layer.cout // layer.cin,
                    use_bias=layer.bias,
                    padding="same",
                )
            )
        else:
            layers.append(
                keras.layers.Conv2D(
                    layer.cout,
                    layer.kernel,
                    groups=layer.groups,
                    use_bias=layer.bias,
                    padding="same",
                )
            )
        i += 1
    model = keras.Sequential([keras.Input(shape=(*shape[2:], shape[1])), *layers])
    return int(model.count_params())


def cases() -> list[tuple[str, Block, tuple[int, ...]]]:
    found = []
    for index, case in enumerate(CASES):
        conv, _, _ = torch_conv(case)
        block = Block(variant="standard", layers=(conv,))
        found.append((f"case {index} {case['op']}", block, tuple(case["input_shape"])))
    for variant in convcalc.VARIANTS:
        for bn in (False, True):
            cout = None if variant == "depthwise" else 128
            block = convcalc.make_block(variant, cin=64, cout=cout, bias=True, bn=bn)
            label = f"{variant}{' +bn' if bn else ''} 64->128 56x56"
            found.append((label, block, (1, 64, 56, 56)))
    return found


def main() -> int:
    checked = mismatched = 0
    tools_seen: set[str] = set()
    for label, block, shape in cases():
        model = torch_block(block)
        actual = run_tools(model, shape)
        keras_count = keras_params(block, shape)
        if keras_count is not None:
            actual["keras"] = (keras_count, None)
        cost = measure(block, input=shape[2:], batch=shape[0])
        predicted = reported_by(cost, actual)
        for tool, (params, compute) in actual.items():
            tools_seen.add(tool)
            ours = predicted[tool]
            checked += 1
            if (ours.params, ours.compute) != (params, compute):
                mismatched += 1
                print(
                    f"MISMATCH {label:<34} {tool:<16} tool: {params}, {compute}   "
                    f"convcalc: {ours.params}, {ours.compute}"
                )
    print(
        f"tools: {', '.join(sorted(tools_seen))} (rules from: "
        + ", ".join(f"{t.name} {t.version}" for t in TOOLS.values())
        + ")"
    )
    print(f"{checked} figures checked, {mismatched} mismatched")
    return 1 if mismatched else 0


if __name__ == "__main__":
    sys.exit(main())
