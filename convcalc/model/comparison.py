"""The post's comparison: each variant against the standard convolution, with exact ratios."""

from __future__ import annotations

from math import prod
from typing import TYPE_CHECKING

from .core import make_block
from .cost import Cost, measure
from .evaluate import as_built, rank_of
from .names import ALIASES
from .records import Record, init
from .schema import options_for

if TYPE_CHECKING:
    from fractions import Fraction

    from .core import Block, PaddingArg, SizeArg

__all__ = ["COMPARE_ROWS", "Comparison", "compare", "variant_block"]


class Comparison(Record):
    """One row of a comparison: a block's cost against a baseline's."""

    __slots__ = (
        "label",
        "cost",
        "baseline",
        "framework",
    )

    def __init__(
        self, *, label: str, cost: Cost, baseline: Cost, framework: str = "pytorch"
    ) -> None:
        init(self, label=label, cost=cost, baseline=baseline, framework=framework)

    label: str
    """How the row is named in tables, e.g. "MobileNet: depthwise → pointwise"."""
    cost: Cost
    """The block's figures."""
    baseline: Cost
    """The standard convolution it is compared with."""
    framework: str
    """Whose parameter count the row states (Keras counts BatchNorm's statistics)."""

    def _params(self, cost: Cost) -> int:
        return cost.params + cost.buffers if self.framework == "keras" else cost.params

    @property
    def params(self) -> int:
        """The row's parameters, as its framework counts them."""
        return self._params(self.cost)

    @property
    def baseline_params(self) -> int:
        """The baseline's parameters, counted the same way."""
        return self._params(self.baseline)

    @property
    def paper_quotient(self) -> tuple[int, int] | None:
        """:attr:`paper_ratio` as an exact (numerator, denominator) pair of ints."""
        block = self.cost.block
        if block.variant != "separable":
            return None
        n, k2 = block.cout, prod(block.kernel)
        return k2 + n, n * k2

    @property
    def params_ratio(self) -> Fraction:
        """Exact ratio of parameters to the baseline's."""
        from fractions import Fraction  # only here: it imports decimal, slow to load

        return Fraction(self.params, self.baseline_params)

    @property
    def macs_ratio(self) -> Fraction | None:
        """Exact ratio of MACs to the baseline's, or None without an input."""
        if self.cost.macs is None or not self.baseline.macs:
            return None
        from fractions import Fraction

        return Fraction(self.cost.macs, self.baseline.macs)

    @property
    def paper_ratio(self) -> Fraction | None:
        """MobileNet's closed form 1/C_out + 1/K² for a separable block's MACs.

        It holds exactly when the block and the standard convolution produce
        maps of the same size, and the depthwise multiplier is 1.
        """
        quotient = self.paper_quotient
        if quotient is None:
            return None
        from fractions import Fraction

        return Fraction(*quotient)


COMPARE_ROWS: dict[str, str] = {
    "standard": "Standard",
    "separable": "MobileNet: depthwise → pointwise",
    "lite": "OSNet: 1×1 → depthwise",
    "depthwise": "Depthwise alone",
    "pointwise": "Pointwise alone",
}
"""Row labels of ``compare``, in the post's order; the last two come with ``--all``."""


def variant_block(
    variant: str,
    *,
    cin: int,
    cout: int,
    k: SizeArg = 3,
    bias: bool = True,
    bn: bool = False,
    stride: SizeArg = 1,
    padding: PaddingArg = None,
    dilation: SizeArg = 1,
    dims: int | None = None,
) -> Block:
    """One variant's block from the figures every variant of a comparison or a sweep
    shares, each given only what it takes: a depthwise block keeps cout = cin (its
    cout is not free), and a variant without a K×K convolution (pointwise) takes no
    kernel, padding or dilation (the schema says which).

    >>> [variant_block(name, cin=64, cout=128).cout for name in ("depthwise", "pointwise")]
    [64, 128]
    """
    name = ALIASES.get(variant, variant)
    # The kernel, padding and dilation go together: the options of a K×K convolution.
    windowed = any(option.name == "kernel" for option in options_for(name))
    return make_block(
        name,
        cin=cin,
        cout=None if name == "depthwise" else cout,
        k=k if windowed else None,
        bias=bias,
        bn=bn,
        stride=stride,
        padding=padding if windowed else None,
        dilation=dilation if windowed else 1,
        dims=dims,
    )


def compare(
    *,
    cin: int,
    cout: int,
    k: int | tuple[int, ...] | list[int] = 3,
    include_all: bool = False,
    bias: bool = True,
    bn: bool = False,
    stride: int | tuple[int, ...] | list[int] = 1,
    padding: int | tuple[int, ...] | list[int] | str | None = None,
    dilation: int | tuple[int, ...] | list[int] = 1,
    dims: int | None = None,
    input: int | tuple[int, ...] | list[int] | None = None,
    batch: int = 1,
    dtype: str = "fp32",
    fold_bn: bool = False,
    framework: str = "pytorch",
) -> list[Comparison]:
    """The post's comparison: standard, separable and lite (and with ``include_all``
    depthwise and pointwise alone), each against the standard convolution.

    >>> [row.cost.params for row in compare(cin=64, cout=128)]
    [73856, 8960, 9600]
    """
    sizes = {
        "kernel": k,
        "stride": stride,
        "dilation": dilation,
        "input": input,
        "padding": padding,
    }
    rank = (
        rank_of(
            {"dims": dims, **{n: tuple(v) if isinstance(v, list) else v for n, v in sizes.items()}}
        )
        or 2
    )
    names = list(COMPARE_ROWS) if include_all else list(COMPARE_ROWS)[:3]
    costs = []
    for name in names:
        block = variant_block(
            name,
            cin=cin,
            cout=cout,
            k=k,
            bias=bias,
            bn=bn,
            stride=stride,
            padding=padding,
            dilation=dilation,
            dims=rank,
        )
        block = as_built(block, fold_bn=fold_bn, framework=framework)
        costs.append(measure(block, input=input, batch=batch, dtype=dtype))
    return [
        Comparison(label=COMPARE_ROWS[name], cost=cost, baseline=costs[0], framework=framework)
        for name, cost in zip(names, costs, strict=True)
    ]
