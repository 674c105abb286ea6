"""Check convcalc's --reported-by rules against the real profilers, side by side.

    pip install torch torchvision torchinfo ptflops fvcore thop calflops transformers \
        torchscan keras
    python benchmarks/profilers.py             # layers and blocks
    python benchmarks/profilers.py --networks  # whole networks (model --reported-by)
    python benchmarks/profilers.py --networks --record   # and write tests/data/
    python benchmarks/profilers.py --torchvision [--record]  # torchvision's own models

Builds every layer of tests/data/torch_conv_cases.json and the blog post's five
variants (with and without BatchNorm) in PyTorch (and Keras, for its parameter
counts), runs each installed tool on it, and compares what the tool reports with
what convcalc derives for it. Tools that are not installed are skipped. None of
this is a test dependency: convcalc itself never imports these packages.

With --networks it builds every preset in PyTorch from convcalc's own network, as
PyTorch code usually writes it (see ``torch_network``), runs every tool on it and
compares the whole network's figures with ``reported_by``; --record writes
them, with the command and the tools' versions, to tests/data/profilers_networks.json,
which tests/test_profilers_network.py checks convcalc against (calflops needs
transformers installed to import).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import warnings
from collections.abc import Callable
from math import prod
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
from convcalc.model.spec import PRESETS  # noqa: E402

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
    """(params, compute) as each installed tool reports them, each tool on its own copy
    of the model (thop leaves hooks behind on a module used in several places)."""
    import copy

    original, x = model, torch.zeros(shape)
    results: dict[str, tuple[int, int | None]] = {}
    params = sum(p.numel() for p in model.parameters())
    with contextlib.suppress(ImportError):
        from torchinfo import summary

        model = copy.deepcopy(original)

        stats = quiet(lambda: summary(model, input_size=shape, verbose=0))
        results["torchinfo"] = (stats.total_params, stats.total_mult_adds)
    with contextlib.suppress(ImportError):
        from ptflops import get_model_complexity_info

        model = copy.deepcopy(original)

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

        model = copy.deepcopy(original)

        analysis = FlopCountAnalysis(model.eval(), x)
        analysis.unsupported_ops_warnings(False)
        analysis.uncalled_modules_warnings(False)
        results["fvcore"] = (parameter_count(model)[""], int(quiet(analysis.total)))
    with contextlib.suppress(ImportError):
        from thop import profile

        model = copy.deepcopy(original)

        macs, count = quiet(lambda: profile(model, inputs=(x,), verbose=False))
        results["thop"] = (int(count), int(macs))
    with contextlib.suppress(ImportError):
        from calflops import calculate_flops

        model = copy.deepcopy(original)

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

        model = copy.deepcopy(original)

        report = quiet(lambda: crawl_module(model, tuple(shape[1:])))
        totals = report["totals"]
        # A "partial" total (a module it does not support, such as nn.SiLU) prints as
        # "known …": the sum over the modules it could count.
        flops = totals["module_flops"]["value"]
        if flops is None:
            flops = totals["module_flops"]["known_value"]
        results["torchscan"] = (int(totals["trainable_parameters"]["value"]), int(flops))
    from torch.utils.flop_counter import FlopCounterMode

    model = copy.deepcopy(original)

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


# --- whole networks ----------------------------------------------------------------

RECORD = Path(__file__).resolve().parent.parent / "tests" / "data" / "profilers_networks.json"


class _Use:
    """A shared module's use: called from here, registered where it is declared."""

    def __init__(self, module: nn.Module) -> None:
        self.module = module


class _Seq(nn.Module):
    """Runs its parts in order; a shared module is called here but registered once,
    in the parallel block that declares it (as torchreid's OSBlock holds its gate)."""

    def __init__(self, parts: list[Any]) -> None:
        super().__init__()
        for index, part in enumerate(parts):
            if isinstance(part, nn.Module):
                self.add_module(str(index), part)
        self.order = [part.module if isinstance(part, _Use) else part for part in parts]
        # functions (a flatten, a shuffle) are called in the forward as torchvision does

    def forward(self, x: Any) -> Any:
        for part in self.order:
            x = part(x)
        return x


class _Residual(nn.Module):
    def __init__(self, body: nn.Module, shortcut: nn.Module | None) -> None:
        super().__init__()
        self.body, self.shortcut = body, shortcut

    def forward(self, x: Any) -> Any:
        return self.body(x) + (x if self.shortcut is None else self.shortcut(x))


class _Parallel(nn.Module):
    def __init__(self, streams: list[nn.Module], merge: str, split: Any = None) -> None:
        super().__init__()
        self.streams, self.merge, self.split = nn.ModuleList(streams), merge, split

    def forward(self, x: Any) -> Any:
        if self.split is None:
            outs = [stream(x) for stream in self.streams]
        else:  # as ShuffleNetV2's x.chunk(2, dim=1): a view, nothing computed
            parts = torch.split(x, list(self.split), dim=1)
            outs = [stream(part) for stream, part in zip(self.streams, parts, strict=True)]
        if self.merge == "concat":
            return torch.cat(outs, 1)
        total = outs[0]
        for out in outs[1:]:
            total = total + out
        return total


class _Gate(nn.Module):
    """torchreid's ChannelGate and torchvision's SqueezeExcitation: pool, 1×1 conv,
    activation, 1×1 conv, sigmoid (or hard sigmoid), ``x * g``."""

    def __init__(self, gate: Any) -> None:
        super().__init__()
        fc1, fc2 = gate.convs
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1, self.act = torch_layer(fc1), _act(getattr(gate, "act", "relu"))
        self.fc2, self.gate = torch_layer(fc2), _act(getattr(gate, "gate", "sigmoid"))

    def forward(self, x: Any) -> Any:
        return x * self.gate(self.fc2(self.act(self.fc1(self.pool(x)))))


def _act(fn: str) -> nn.Module:
    return {
        "relu": lambda: nn.ReLU(inplace=True),
        "relu6": lambda: nn.ReLU6(inplace=True),
        "hardswish": nn.Hardswish,
        "silu": nn.SiLU,
        "sigmoid": nn.Sigmoid,
        "hardsigmoid": nn.Hardsigmoid,
        "gelu": nn.GELU,
        "tanh": nn.Tanh,
    }[fn]()


def _shuffle(groups: int) -> Callable[[Any], Any]:
    """torchvision's channel_shuffle, a function called in the forward."""

    def shuffle(x: Any) -> Any:
        n, c, *size = x.shape
        x = x.view(n, groups, c // groups, *size)
        return torch.transpose(x, 1, 2).contiguous().view(n, c, *size)

    return shuffle


def _bn(channels: int, dims: int) -> nn.Module:
    return (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)[max(dims, 1) - 1](channels)


def _window(sizes: tuple[int, ...] | None) -> Any:
    """A size as torchvision writes it: one number for a square window."""
    if sizes is None:
        return None
    return sizes[0] if len(set(sizes)) == 1 else tuple(sizes)


def torch_network(network: Any) -> nn.Module:
    """The network as PyTorch code usually writes it: each layer an nn module (a
    global pool nn.AdaptiveAvgPool2d(1), a square window one number), residual sums
    and gate products as ``+`` and ``*``, a flatten before a linear layer, and each
    shared module registered once and called from each place it is used."""
    from convcalc.model import network as net

    shared: dict[str, nn.Module] = {}

    def build(node: Any, shape: tuple[int, ...]) -> tuple[Any, tuple[int, ...]]:
        dims = len(shape) - 1
        if isinstance(node, Block):
            parts = []
            for layer in node.layers:
                if isinstance(layer, Conv):
                    parts.append(torch_layer(layer))
                    shape = layer.cost(shape)[0]
                else:
                    parts.append(_bn(layer.channels, dims))
            return nn.Sequential(*parts), shape
        if isinstance(node, BatchNorm):
            return _bn(node.channels, dims), shape
        if isinstance(node, net.Norm):
            return _bn(shape[0], dims), shape
        if isinstance(node, net.Act):
            return _act(node.fn), shape
        if isinstance(node, net.Activated):
            # The activation follows each BatchNorm (both halves of a separable
            # block), or the block's end if it has none.
            block, out = build(node.block, shape)
            parts = []
            for part in block:
                parts.append(part)
                if isinstance(part, nn.modules.batchnorm._BatchNorm):
                    parts.append(_act(node.act.fn))
            if not node.block.bn:
                parts.append(_act(node.act.fn))
            return nn.Sequential(*parts), out
        if isinstance(node, net.Flatten):
            return (lambda x: torch.flatten(x, 1)), node.output_shape(shape)
        if isinstance(node, net.Identity):
            return (lambda x: x), shape
        if isinstance(node, net.Shuffle):
            return _shuffle(node.groups), shape
        if isinstance(node, net.Pool):
            out = node.output_shape(shape)
            if node.kernel is None:
                pool = (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d)
                if node.kind == "max":
                    pool = (nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d)
                return pool[dims - 1](_window(node.output) or 1), out
            if node.kind == "avg":
                return (nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)[dims - 1](
                    _window(node.kernel),
                    stride=_window(node.stride or node.kernel),
                    padding=_window(node.padding) or 0,
                    ceil_mode=node.ceil_mode,
                ), out
            return (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)[dims - 1](
                _window(node.kernel),
                stride=_window(node.stride or node.kernel),
                padding=_window(node.padding) or 0,
                dilation=_window(node.dilation) or 1,
                ceil_mode=node.ceil_mode,
            ), out
        if isinstance(node, net.Linear):
            cin = node.cin or prod(shape)
            layer = nn.Linear(cin, node.cout, bias=node.bias)
            if len(shape) > 1:  # a (C, 1, 1) input: flattened first, as torchvision does
                return _Seq([lambda x: torch.flatten(x, 1), layer]), (node.cout,)
            return layer, (node.cout,)
        if isinstance(node, net.Gate):
            return _Gate(node), shape
        if isinstance(node, net.Seq):
            parts = []
            for child in node.children:
                part, shape = build(child, shape)
                parts.append(part)
            return _Seq(parts), shape
        if isinstance(node, net.Residual):
            body, out = build(node.body, shape)
            shortcut = build(node.shortcut, shape)[0] if node.shortcut else None
            return _Residual(body, shortcut), out
        if isinstance(node, net.Parallel):
            before = set(shared)
            inputs = (
                [shape] * len(node.streams)
                if node.split is None
                else [(part, *shape[1:]) for part in node.split]
            )
            built = [build(stream, x) for stream, x in zip(node.streams, inputs, strict=True)]
            if node.merge == "concat":
                out = (sum(o[0] for _, o in built), *built[0][1][1:])
            else:
                out = built[0][1]
            module = _Parallel([m for m, _ in built], node.merge, node.split)
            for key in shared:
                if key not in before:  # declared here: registered here
                    module.add_module(f"shared{len(module._modules)}", shared[key])
            return module, out
        if isinstance(node, net.Shared):
            if node.key in shared:
                out = build(node.node, shape)[1]  # the shape only; the module is reused
            else:
                shared[node.key], out = build(node.node, shape)
            return _Use(shared[node.key]), out
        raise TypeError(f"no PyTorch module for {type(node).__name__}")

    module, _ = build(network.body, network.input_shape)
    return module.eval()


SPECS = "tests/data/profilers"


class Unsupported(Exception):
    """A network the Keras builder below cannot write."""


def keras_network_params(network: Any) -> int | None:
    """The network's parameter count as Keras' ``model.count_params()`` gives it, for
    2D networks the builder can write (None otherwise): BatchNorm's moving statistics
    are weights, a separable block without BatchNorm between its halves is a
    SeparableConv2D, a shared module is one set of layers called twice."""
    try:
        import keras
    except ImportError:
        return None
    from convcalc.model import network as net

    layers = keras.layers
    acts = {"relu6": "relu6", "hardswish": "hard_swish", "hardsigmoid": "hard_sigmoid"}
    shared: dict[str, Any] = {}

    def padded(x: Any, pads: Any) -> Any:
        return layers.ZeroPadding2D(tuple(tuple(p) for p in pads))(x) if any(map(any, pads)) else x

    def conv(x: Any, layer: Conv, shape: tuple[int, ...]) -> Any:
        if layer.transposed or layer.dims != 2:
            raise Unsupported("transposed or not 2D")
        x = padded(x, layer.pads(shape[1:]))
        common = dict(strides=layer.stride, dilation_rate=layer.dilation, use_bias=layer.bias)
        if layer.groups == layer.cin and layer.groups > 1:
            multiplier = layer.cout // layer.cin
            return layers.DepthwiseConv2D(layer.kernel, depth_multiplier=multiplier, **common)(x)
        return layers.Conv2D(layer.cout, layer.kernel, groups=layer.groups, **common)(x)

    def build(node: Any, x: Any, shape: tuple[int, ...]) -> tuple[Any, tuple[int, ...]]:
        if isinstance(node, Block):
            parts = node.layers
            if node.variant == "separable" and not node.bn:
                dw, pw = parts
                x = padded(x, dw.pads(shape[1:]))
                y = layers.SeparableConv2D(
                    pw.cout,
                    dw.kernel,
                    strides=dw.stride,
                    depth_multiplier=dw.cout // dw.cin,
                    use_bias=pw.bias,
                )(x)
                return y, pw.cost(dw.cost(shape)[0])[0]
            for layer in parts:
                if isinstance(layer, Conv):
                    x, shape = conv(x, layer, shape), layer.cost(shape)[0]
                else:
                    x = layers.BatchNormalization()(x)
            return x, shape
        if isinstance(node, BatchNorm | net.Norm):
            return layers.BatchNormalization()(x), shape
        if isinstance(node, net.Act):
            return layers.Activation(acts.get(node.fn, node.fn))(x), shape
        if isinstance(node, net.Activated):
            x, shape = build(node.block, x, shape)
            return build(node.act, x, shape)
        if isinstance(node, net.Identity):
            return x, shape
        if isinstance(node, net.Flatten):
            return layers.Flatten()(x), node.output_shape(shape)
        if isinstance(node, net.Pool):
            out = node.output_shape(shape)
            if out[1:] == shape[1:]:
                return x, shape
            if all(o == 1 for o in out[1:]):
                pool = (
                    layers.GlobalAveragePooling2D
                    if node.kind == "avg"
                    else layers.GlobalMaxPooling2D
                )
                return pool(keepdims=True)(x), out
            if node.kernel is None or any(d != 1 for d in node.dilation or (1,)):
                raise Unsupported("adaptive or dilated pooling")
            k = node.kernel * 2 if len(node.kernel) == 1 else node.kernel
            st = node.stride or k
            st = st * 2 if len(st) == 1 else st
            p = node.padding or (0,)
            p = p * 2 if len(p) == 1 else p
            # right padding that gives PyTorch's output size (ceil_mode included)
            pads = [
                (pi, max(0, (o - 1) * si + ki - n - pi))
                for n, o, ki, si, pi in zip(shape[1:], out[1:], k, st, p, strict=True)
            ]
            x = padded(x, pads)
            pool = layers.AveragePooling2D if node.kind == "avg" else layers.MaxPooling2D
            return pool(k, strides=st)(x), out
        if isinstance(node, net.Linear):
            if len(shape) > 1:
                x = layers.Flatten()(x)
            return layers.Dense(node.cout, use_bias=node.bias)(x), (node.cout,)
        if isinstance(node, net.Gate):
            fc1, fc2 = node.convs
            g = layers.GlobalAveragePooling2D(keepdims=True)(x)
            g = layers.Conv2D(fc1.cout, 1)(g)
            g = layers.Activation(acts.get(node.act, node.act))(g)
            g = layers.Conv2D(fc2.cout, 1)(g)
            g = layers.Activation(acts.get(node.gate, node.gate))(g)
            return layers.Multiply()([x, g]), shape
        if isinstance(node, net.Seq):
            for child in node.children:
                x, shape = build(child, x, shape)
            return x, shape
        if isinstance(node, net.Residual):
            y, out = build(node.body, x, shape)
            z = build(node.shortcut, x, shape)[0] if node.shortcut else x
            return layers.Add()([y, z]), out
        if isinstance(node, net.Parallel):
            if node.split is not None:
                raise Unsupported("split")
            built = [build(stream, x, shape) for stream in node.streams]
            outs = [y for y, _ in built]
            if node.merge == "sum":
                return layers.Add()(outs), built[0][1]
            return layers.Concatenate()(outs), (sum(o[0] for _, o in built), *built[0][1][1:])
        if isinstance(node, net.Shared):
            if node.key not in shared:
                inner = keras.Input(shape=(*shape[1:], shape[0]))
                y, out = build(node.node, inner, shape)
                shared[node.key] = (keras.Model(inner, y), out)
            model, out = shared[node.key]
            return model(x), out
        raise Unsupported(type(node).__name__)

    if len(network.input_shape) != 3:
        return None
    c, h, w = network.input_shape
    inputs = keras.Input(shape=(h, w, c))
    try:
        outputs, _ = build(network.body, inputs, network.input_shape)
    except Unsupported:
        return None
    return int(keras.Model(inputs, outputs).count_params())


NETWORK_CASES: list[dict[str, Any]] = [
    *({"preset": name} for name in PRESETS),
    {"preset": "mobilenet_v1", "batch": 2},
    {"preset": "mobilenet_v1", "width": "0.5", "resolution": 160},
    {"preset": "resnet18", "resolution": 193},
    # small odd sizes, where ceil_mode and adaptive pools with uneven bins matter
    *(
        {"preset": name, "resolution": size}
        for name, size in (
            ("vgg16", 47),
            ("squeezenet1_0", 47),
            ("googlenet", 47),
            ("shufflenet_v2_x0_5", 47),
            ("densenet121", 33),
            ("mobilenet_v3_small", 33),
            ("efficientnet_b0", 33),
            ("resnet50", 33),
        )
    ),
    {"preset": f"{SPECS}/mobilenet_v1_relu.toml"},
    {"preset": f"{SPECS}/mobilenet_v1_relu.toml", "batch": 3},
    {"preset": f"{SPECS}/zoo.toml"},
    {"preset": f"{SPECS}/zoo.toml", "batch": 2},
    {"preset": f"{SPECS}/zoo.toml", "resolution": 97},
]
"""The networks checked: every preset at its own size, a few variations, and the
spec files in tests/data/profilers (every layer kind a rule keys on)."""


def mobilenet_v1_pytorch() -> nn.Module:
    """MobileNetV1 as the popular PyTorch ports write it (conv_bn and conv_dw
    Sequentials, nn.ReLU, nn.AvgPool2d(7), x.view, nn.Linear): code written apart from
    convcalc's spec, against which tests/data/profilers/mobilenet_v1_relu.toml is checked."""

    def conv_bn(cin: int, cout: int, stride: int) -> nn.Module:
        return nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        )

    def conv_dw(cin: int, cout: int, stride: int) -> nn.Module:
        return nn.Sequential(
            nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False),
            nn.BatchNorm2d(cin),
            nn.ReLU(inplace=True),
            nn.Conv2d(cin, cout, 1, 1, 0, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        )

    class MobileNetV1(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            widths = [(32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1)]
            widths += [(256, 512, 2), *[(512, 512, 1)] * 5, (512, 1024, 2), (1024, 1024, 1)]
            self.model = nn.Sequential(
                conv_bn(3, 32, 2), *(conv_dw(*w) for w in widths), nn.AvgPool2d(7)
            )
            self.fc = nn.Linear(1024, 1000)

        def forward(self, x: Any) -> Any:
            return self.fc(self.model(x).view(-1, 1024))

    return MobileNetV1().eval()


REFERENCE_MODELS: dict[str, Callable[[], nn.Module]] = {
    f"{SPECS}/mobilenet_v1_relu.toml": mobilenet_v1_pytorch,
}
"""PyTorch models written apart from convcalc, which each tool must count as it counts
the model torch_network builds from the spec."""


def _case_args(case: dict[str, Any]) -> list[str]:
    args = [case["preset"]]
    for key in ("width", "resolution", "batch"):
        if key in case:
            args += [f"--{key}", str(case[key])]
    return args


def _versions() -> dict[str, str]:
    from importlib import metadata

    found = {}
    for package in ("torch", "torchvision", "torchinfo", "ptflops", "fvcore", "thop"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[package] = metadata.version(package)
    for package in ("calflops", "torchscan"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[package] = metadata.version(package)
    return found


TORCHVISION_RECORD = RECORD.with_name("profilers_torchvision.json")

TORCHVISION: dict[str, dict[str, Any]] = {
    "resnet18": {},
    "resnet34": {},
    "resnet50": {},
    "mobilenet_v2": {},
    "mobilenet_v3_small": {},
    "mobilenet_v3_large": {},
    "shufflenet_v2_x0_5": {},
    "shufflenet_v2_x1_0": {},
    "efficientnet_b0": {},
    "squeezenet1_0": {},
    "squeezenet1_1": {},
    "vgg16": {},
    "googlenet": {"aux_logits": False, "init_weights": False},
    "densenet121": {},
}
"""The presets that are torchvision's models, with the arguments that build them as
the preset states them (GoogLeNet without its auxiliary classifiers)."""


def check_torchvision(record: bool) -> int:
    """Each tool on torchvision's own models, beside convcalc's prediction for the
    preset: where torchvision's code calls a function (F.relu, F.adaptive_avg_pool2d,
    x.mean) instead of a module, or keeps a Dropout, the tools count otherwise, and
    tests/test_profilers_network.py states each such difference by hand."""
    import json

    import torchvision

    from convcalc.model.network import trace
    from convcalc.model.profilers import reported_by
    from convcalc.model.spec import build, load_preset

    recorded = []
    for name, kwargs in TORCHVISION.items():
        model = getattr(torchvision.models, name)(weights=None, **kwargs).eval()
        actual = run_tools(model, (1, 3, 224, 224))
        data, width = load_preset(name)
        predicted = reported_by(trace(build(data, name, width=width)), actual)
        for tool, (params, compute) in actual.items():
            ours = predicted[tool]
            if (ours.params, ours.compute) != (params, compute):
                print(
                    f"{name:<20} {tool:<16} torchvision: {params:,} {compute:,}  "
                    f"convcalc: {ours.params:,} {ours.compute:,}  "
                    f"difference {compute - (ours.compute or 0):+,}"
                )
        recorded.append(
            {
                "args": [name],
                "torchvision": f"torchvision.models.{name}(weights=None"
                + "".join(f", {k}={v!r}" for k, v in kwargs.items())
                + ")",
                "torch_params": sum(p.numel() for p in model.parameters()),
                "tools": {tool: {"params": p, "compute": c} for tool, (p, c) in actual.items()},
            }
        )
        print(f"{name}: {len(actual)} tools")
    if record:
        out = {
            "command": "python benchmarks/profilers.py --torchvision --record",
            "about": "What each profiler prints for torchvision's own models at 224×224 "
            "(each tool on a fresh copy; compute as the tool prints it)",
            "versions": _versions(),
            "cases": recorded,
        }
        TORCHVISION_RECORD.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {TORCHVISION_RECORD}")
    return 0


def check_networks(record: bool) -> int:
    import json

    from convcalc.model.network import trace
    from convcalc.model.profilers import reported_by
    from convcalc.model.spec import build, load_preset, parse

    root = Path(__file__).resolve().parent.parent
    checked = mismatched = 0
    recorded = []
    for case in NETWORK_CASES:
        name = case["preset"]
        if name in PRESETS:
            data, width = load_preset(name)
        else:
            data, width = parse((root / name).read_text(encoding="utf-8"), name), None
        network = build(
            data, name, width=case.get("width", width), resolution=case.get("resolution")
        )
        batch = case.get("batch", 1)
        model = torch_network(network)
        shape = (batch, *network.input_shape)
        actual = run_tools(model, shape)
        keras_count = keras_network_params(network)
        if keras_count is not None:
            actual["keras"] = (keras_count, None)
        cost = trace(network, batch=batch)
        predicted = reported_by(cost, actual)
        label = " ".join(_case_args(case))
        for tool, (params, compute) in actual.items():
            checked += 1
            ours = predicted[tool]
            if (ours.params, ours.compute) != (params, compute):
                mismatched += 1
                print(
                    f"MISMATCH {label:<40} {tool:<16} tool: {params}, {compute}   "
                    f"convcalc: {ours.params}, {ours.compute}"
                )
        if name in REFERENCE_MODELS:
            reference = run_tools(REFERENCE_MODELS[name](), shape)
            for tool, figures in reference.items():
                checked += 1
                if figures != actual[tool]:
                    mismatched += 1
                    print(f"MISMATCH {label:<40} {tool:<16} reference model: {figures}")
        print(f"{label}: {len(actual)} tools")
        recorded.append(
            {
                "args": _case_args(case),
                "torch_params": sum(p.numel() for p in model.parameters()),
                "tools": {tool: {"params": p, "compute": c} for tool, (p, c) in actual.items()},
            }
        )
    print(f"{checked} network figures checked, {mismatched} mismatched")
    if record:
        data = {
            "command": "python benchmarks/profilers.py --networks --record",
            "about": "What each profiler prints for convcalc's presets built in PyTorch "
            "by benchmarks/profilers.py's torch_network (each tool on a fresh copy; "
            "compute as the tool prints it: ptflops and torchscan per sample); "
            "mobilenet_v1_relu.toml's figures are also those of mobilenet_v1_pytorch(), "
            "MobileNetV1 as PyTorch ports write it",
            "versions": _versions(),
            "cases": recorded,
        }
        RECORD.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {RECORD}")
    return 1 if mismatched else 0


def main() -> int:
    if "--torchvision" in sys.argv[1:]:
        return check_torchvision(record="--record" in sys.argv[1:])
    if "--networks" in sys.argv[1:]:
        return check_networks(record="--record" in sys.argv[1:])
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
