"""Names and closed sets, each written once: the front ends and help texts read them.

>>> VARIANTS[:3], canonical("mobilenet")
(('standard', 'depthwise', 'pointwise'), 'separable')
"""

from __future__ import annotations

__all__ = [
    "ACTIVATIONS",
    "ALIASES",
    "CONVENTIONS",
    "DTYPES",
    "FRAMEWORKS",
    "OPTIMIZERS",
    "SWAP_VARIANTS",
    "TOOLS",
    "VARIANTS",
    "canonical",
]

VARIANTS: tuple[str, ...] = ("standard", "depthwise", "pointwise", "separable", "lite")
"""The five variants of the blog post, by their canonical names."""

ALIASES: dict[str, str] = {"mobilenet": "separable", "osnet": "lite"}
"""Other names for variants: MobileNet's block is separable, OSNet's is lite."""

SWAP_VARIANTS: tuple[str, ...] = ("standard", "separable", "lite")
"""The K×K blocks that ``model --as`` swaps in (aliases allowed)."""

DTYPES: dict[str, int] = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1}
"""Bytes per element of each data type."""

DTYPE_ALIASES: dict[str, str] = {
    "float32": "fp32",
    "float": "fp32",
    "float16": "fp16",
    "half": "fp16",
    "bfloat16": "bf16",
}
"""Other names for the data types, as PyTorch and NumPy spell them."""

CONVENTIONS: dict[str, tuple[int, int, str]] = {
    "macs": (1, 0, "MACs"),
    "macs+bias": (1, 1, "MACs+bias"),
    "flops": (2, 0, "FLOPs"),
    "flops+bias": (2, 1, "FLOPs+bias"),
}
"""How compute is stated: (× the MACs, × the bias additions, its heading).

Profilers disagree mostly on these two choices: whether a multiply-add is one
operation or two, and whether a bias addition counts."""

ACTIVATIONS: tuple[str, ...] = (
    "relu",
    "relu6",
    "hardswish",
    "silu",
    "sigmoid",
    "hardsigmoid",
    "gelu",
    "tanh",
)
"""The activation functions a spec can name (``act`` layers, ``act =`` on a layer, a
gate's two activations): PyTorch's ReLU, ReLU6, Hardswish, SiLU, Sigmoid, Hardsigmoid,
GELU and Tanh."""

FRAMEWORKS: tuple[str, ...] = ("pytorch", "keras")
"""Whose parameter count to state."""

OPTIMIZERS: dict[str, int] = {"sgd": 0, "momentum": 1, "adam": 2}
"""Optimizer state kept per trainable parameter: none, a velocity, two moments."""

TOOLS: tuple[str, ...] = (
    "torchinfo",
    "ptflops",
    "ptflops-aten",
    "fvcore",
    "thop",
    "calflops",
    "torchscan",
    "flopcountermode",
    "keras",
)
"""The profilers whose figures ``--reported-by`` derives (their rules: profilers.py)."""


def canonical(variant: str) -> str:
    """A variant's canonical name (an alias resolved); unknown names are returned as given."""
    return ALIASES.get(variant, variant)
