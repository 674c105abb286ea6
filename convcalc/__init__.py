"""convcalc: what convolution layers cost, exactly, from numbers alone.

>>> import convcalc
>>> convcalc.separable(cin=64, cout=128, k=3).params
8960
>>> convcalc.measure(convcalc.standard(cin=64, cout=128, k=3), input=56).macs
231211008
"""

from .core import (
    ALIASES,
    VARIANTS,
    BatchNorm,
    Block,
    Conv,
    ConvCalcError,
    depthwise,
    lite,
    make_block,
    pointwise,
    separable,
    standard,
)
from .cost import DTYPES, BlockCost, Comparison, LayerCost, compare, measure

__all__ = [
    "ALIASES",
    "DTYPES",
    "VARIANTS",
    "BatchNorm",
    "Block",
    "BlockCost",
    "Comparison",
    "Conv",
    "ConvCalcError",
    "LayerCost",
    "compare",
    "depthwise",
    "lite",
    "make_block",
    "measure",
    "pointwise",
    "separable",
    "standard",
]
