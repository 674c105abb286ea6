"""Budgets, the reverse question: the largest layer or network that fits.

Parameters and MACs never fall as a layer's output channels or a network's
width grow, so the largest value that fits is found by bisecting (after doubling,
for channels): a few dozen evaluations of the same core formulas.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .core import ConvCalcError, make_block
from .cost import Cost, measure

__all__ = ["Budget", "largest", "largest_cout", "largest_width"]


@dataclass(frozen=True, kw_only=True)
class Budget:
    """Upper bounds on parameters and MACs; None means no bound."""

    max_params: int | None = None
    max_macs: int | None = None

    def __post_init__(self) -> None:
        if self.max_params is None and self.max_macs is None:
            raise ConvCalcError("give a budget: max_params, max_macs or both", option="budget")

    def fits(self, params: int, macs: int | None) -> bool:
        """Whether figures are within every bound given."""
        if self.max_params is not None and params > self.max_params:
            return False
        if self.max_macs is not None:
            if macs is None:
                raise ConvCalcError("a MAC budget needs an input size", option="input")
            if macs > self.max_macs:
                return False
        return True


def largest(fits: Callable[[int], bool], *, limit: int | None = None) -> int | None:
    """The largest n >= 1 with fits(n), for a fits that is true up to a point and false
    after it; None if fits(1) is false. Without a limit, fits must turn false.

    >>> largest(lambda n: n * n <= 2000)
    44
    """

    def within(n: int) -> bool:
        return (limit is None or n <= limit) and fits(n)

    if not within(1):
        return None
    low, high = 1, 2
    while within(high):
        low, high = high, high * 2
    # within(low) holds and within(high) does not: bisect between them.
    while high - low > 1:
        middle = (low + high) // 2
        if within(middle):
            low = middle
        else:
            high = middle
    return low


def largest_cout(variant: str, budget: Budget, **options: Any) -> tuple[int, Cost] | None:
    """The largest output channel count of a variant within the budget, and its cost.

    ``options`` are those of :func:`convcalc.model.core.make_block` without ``cout``, plus
    ``input``, ``batch`` and ``dtype``. A depthwise layer grows by its multiplier, a
    grouped one by whole groups.

    >>> b = Budget(max_macs=10_000_000)
    >>> largest_cout("separable", b, cin=64, k=3, input=56)[0]
    40
    """
    size = options.pop("input", None)
    batch = options.pop("batch", 1)
    dtype = options.pop("dtype", "fp32")
    if budget.max_macs is not None and size is None:
        raise ConvCalcError("a MAC budget needs an input size", option="input")
    step = options["cin"] if variant == "depthwise" else options.get("groups", 1)

    def cost(n: int) -> Cost:
        if variant == "depthwise":
            block = make_block(variant, **{**options, "multiplier": n})
        else:
            block = make_block(variant, cout=n * step, **options)
        return measure(block, input=size, batch=batch, dtype=dtype)

    def fits(n: int) -> bool:
        found = cost(n)
        return budget.fits(found.params, found.macs)

    best = largest(fits)
    if best is None:
        return None
    found = cost(best)
    return found.block.cout, found


def largest_width(
    build: Callable[[Fraction], Any],
    budget: Budget,
    *,
    resolution: int = 1000,
    most: int = 4,
    key: Callable[[Fraction], Hashable] | None = None,
) -> tuple[Fraction, Any] | None:
    """The largest width multiplier α, in steps of 1/resolution up to ``most``, at which
    the network can be built and fits the budget, and that network's cost; None if there
    is none. ``build(α)`` returns the traced network (anything with ``params`` and
    ``macs``), or raises ConvCalcError where it cannot be built at α.

    Cost never falls as α grows, among the widths that can be built; but those need
    not be a range (a grouped layer's channels must divide by its groups, so a spec may
    build at α = 0.5 and 1.0 and not between). The search bisects, and where it lands on
    a width that cannot be built it steps down to the nearest one that can: every width
    stepped over lies outside the range still searched, so none is built twice, and a
    spec that builds everywhere costs a dozen builds. ``key(α)``, if given, names the
    network built at α (its channel counts): widths with the same key are built once,
    so stepping over a long run of widths that cannot be built costs a build for each
    distinct network in it, not for each width.

    >>> from types import SimpleNamespace as Cost
    >>> largest_width(lambda a: Cost(params=int(1000 * a), macs=0), Budget(max_params=500))[0]
    Fraction(1, 2)
    """
    # Only each width's figures are kept, not the networks (a large one is many MB):
    # the answer's network is built once more at the end.
    costs: dict[Hashable, tuple[int, int | None] | None] = {}

    def cost(n: int) -> tuple[int, int | None] | None:
        alpha = Fraction(n, resolution)
        name = n if key is None else key(alpha)
        if name not in costs:
            try:
                built = build(alpha)
            except ConvCalcError:
                costs[name] = None
            else:
                costs[name] = (built.params, built.macs)
        return costs[name]

    # The answer is `best`, or a width that can be built and fits in (low, high): none
    # does at or below `low` except `best`, and none at or above `high`.
    best, low, high = 0, 0, most * resolution + 1
    while high - low > 1:
        middle = (low + high) // 2
        n, figures = middle, cost(middle)
        while n > low and figures is None:
            n -= 1  # (n, middle] cannot be built
            figures = cost(n) if n > low else None
        if figures is None:
            low = middle
        elif budget.fits(*figures):
            best, low = n, middle
        else:
            high = n  # nor can anything wider fit
    if best == 0:
        return None
    return Fraction(best, resolution), build(Fraction(best, resolution))
