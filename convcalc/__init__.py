"""convcalc: what convolution layers cost, exactly, from numbers alone.

>>> import convcalc
>>> convcalc.separable(cin=64, cout=128, k=3).params
8960
>>> convcalc.measure(convcalc.standard(cin=64, cout=128, k=3), input=56).macs
231211008
>>> convcalc.formula(convcalc.standard(cin=64, cout=128, k=3).layers[0])
'(64 × 3 × 3 + 1) × 128'
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .model.comparison import Comparison as Comparison
    from .model.comparison import compare as compare
    from .model.core import (
        ALIASES as ALIASES,
    )
    from .model.core import (
        VARIANTS as VARIANTS,
    )
    from .model.core import (
        BatchNorm as BatchNorm,
    )
    from .model.core import (
        Block as Block,
    )
    from .model.core import (
        Conv as Conv,
    )
    from .model.core import (
        ConvCalcError as ConvCalcError,
    )
    from .model.core import (
        depthwise as depthwise,
    )
    from .model.core import (
        lite as lite,
    )
    from .model.core import (
        make_block as make_block,
    )
    from .model.core import (
        pointwise as pointwise,
    )
    from .model.core import (
        separable as separable,
    )
    from .model.core import (
        standard as standard,
    )
    from .model.cost import DTYPES as DTYPES
    from .model.cost import Cost as Cost
    from .model.cost import measure as measure
    from .views.text import formula as formula

# The names of the library API and the modules that define them. They are loaded
# on first use, so that the command line starts without what it does not need.
_EXPORTS = {
    **dict.fromkeys(
        [
            "ALIASES",
            "VARIANTS",
            "BatchNorm",
            "Block",
            "Conv",
            "ConvCalcError",
            "depthwise",
            "lite",
            "make_block",
            "pointwise",
            "separable",
            "standard",
        ],
        "model.core",
    ),
    **dict.fromkeys(["DTYPES", "Cost", "measure"], "model.cost"),
    **dict.fromkeys(["Comparison", "compare"], "model.comparison"),
    "formula": "views.text",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'convcalc' has no attribute {name!r}")
    return getattr(import_module(f".{module}", __name__), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
