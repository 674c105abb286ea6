"""One layer config, evaluated: what a variant command and a batch line both do.

The front ends read a config with the schema (:mod:`convcalc.model.schema`), each in its
own way (Click options, a JSON or CSV record); from there, one implementation builds the
block, measures it, and works out what other tools would report and what a training
step costs. The views write the result.

>>> config = {"variant": "separable", "cin": 64, "cout": 128, "input": 56}
>>> evaluation = evaluate(config)
>>> evaluation.cost.params, evaluation.cost.macs
(8960, 27496448)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .core import Block, make_block
from .errors import ConvCalcError
from .names import ALIASES, VARIANTS
from .records import Record
from .schema import OPTIONS, options_for

if TYPE_CHECKING:
    from .conventions import Training
    from .cost import Cost
    from .profilers import Report

_set = object.__setattr__

__all__ = ["Evaluation", "RankError", "as_built", "build", "evaluate", "rank_of"]

SIZED = ("kernel", "input", "stride", "padding", "dilation", "output_padding")
"""The options that may give one size per dimension, and so imply the rank."""


class RankError(ConvCalcError):
    """Sizes that disagree on the number of dimensions; ``ranks`` says which gave what,
    so that a front end can name them in its own spelling."""

    def __init__(self, ranks: dict[str, int]) -> None:
        named = ", ".join(f"{name} has {n}" for name, n in ranks.items())
        super().__init__(
            f"sizes disagree on the number of dimensions ({named}): "
            "give each one size, or the same number of sizes",
            option="dims",
        )
        self.ranks = ranks


def rank_of(config: Mapping[str, Any]) -> int | None:
    """The rank asked for (``dims``), or implied by the sizes given: one with three
    sizes means 3D; None if nothing says.

    >>> rank_of({"kernel": (3, 3, 3)}), rank_of({"kernel": 3, "input": 56})
    (3, None)
    """
    get = config.get
    if get("dims") is not None:
        return int(config["dims"])
    ranks: dict[str, int] = {}
    for name in SIZED:
        value = get(name)
        if isinstance(value, tuple):
            ranks[name] = len(value)
    if not ranks:
        return None  # the usual case: single sizes, or none
    if len(ranks) > 1 and len(set(ranks.values())) > 1:
        raise RankError(ranks)
    return next(iter(ranks.values()))


def _get(config: Mapping[str, Any], name: str) -> Any:
    value = config.get(name)
    return _DEFAULTS[name] if value is None else value


_DEFAULTS = {name: option.default for name, option in OPTIONS.items()}


_LAYER_NAMES: dict[str, frozenset[str]] = {}
"""The layer options each variant takes (``dims`` aside), by name, worked out once per
variant."""
_LAYER_NAMES_OF = frozenset([*VARIANTS, *ALIASES])
_SIZED = frozenset(SIZED)


def build(config: Mapping[str, Any]) -> Block:
    """The block a config describes, as its framework builds it and with BatchNorm
    folded if asked (``fold_bn``, ``framework``)."""
    variant = config["variant"]
    names = _LAYER_NAMES.get(variant)
    if names is None:
        names = frozenset(o.name for o in options_for(variant) if o.name != "dims")
        if variant in _LAYER_NAMES_OF:  # only known names are kept
            _LAYER_NAMES[variant] = names
    layer = {}
    # Whether anything says the rank: rank_of is asked only then (the usual line gives
    # single sizes and no dims, and its rank is None).
    sized = config.get("dims") is not None
    for name, value in config.items():  # a batch config holds only what its line gave
        if value is not None:
            if name in names:
                layer[name] = value
            if isinstance(value, tuple) and name in _SIZED:
                sized = True
    layer["dims"] = rank_of(config) if sized else None
    block = make_block(variant, k=layer.pop("kernel", None), **layer)  # make_block calls it k
    return as_built(block, fold_bn=_get(config, "fold_bn"), framework=_get(config, "framework"))


def as_built(block: Block, *, fold_bn: bool, framework: str) -> Block:
    """The block with each BatchNorm folded into its convolution (``fold_bn``), as
    ``framework`` builds it (Keras' separable convolution has one bias)."""
    if fold_bn:
        from .conventions import fold_bn as fold

        block = fold(block)
    if framework == "keras":
        from .conventions import keras_block

        block = keras_block(block)
    return block


class Evaluation(Record):
    """A config's block measured, with the extras its config asked for."""

    __slots__ = ("cost", "reports", "training")

    def __init__(
        self,
        *,
        cost: Cost,
        reports: dict[str, Report] | None = None,
        training: Training | None = None,
    ) -> None:
        _set(self, "cost", cost)  # one by one: batch makes one a line
        _set(self, "reports", reports)
        _set(self, "training", training)

    cost: Cost
    """The block's figures (shapes and compute with an input)."""
    reports: dict[str, Report] | None
    """What each tool in ``reported_by`` would print, if any were named."""
    training: Training | None
    """A training step's cost, with ``training``."""


_measure: Callable[..., Cost] | None = None
""":func:`convcalc.model.cost.measure`, imported on first use (once: batch evaluates one
config a line)."""


def evaluate(config: Mapping[str, Any], block: Block | None = None) -> Evaluation:
    """Build (unless ``block`` is given) and measure a config's block, with the
    reports and training step it asks for."""
    global _measure
    measure = _measure
    if measure is None:  # here: a parameter count alone (-q) needs no measuring
        from .cost import measure as loaded

        measure = _measure = loaded
    block = build(config) if block is None else block
    get = config.get
    batch, dtype = get("batch"), get("dtype")
    cost = measure(
        block,
        input=get("input"),
        batch=_DEFAULTS["batch"] if batch is None else batch,
        dtype=_DEFAULTS["dtype"] if dtype is None else dtype,
    )
    reports = training = None
    # Neither is asked for when left out (None) or at its default (none, False).
    if get("reported_by"):
        from .profilers import reported_by

        reports = reported_by(cost, _get(config, "reported_by"))
    if get("training"):
        from .conventions import training as training_step

        training = training_step(
            cost, optimizer=_get(config, "optimizer"), frozen=_get(config, "frozen")
        )
    return Evaluation(cost=cost, reports=reports, training=training)
