"""The five variant commands: one layer, built from its options and measured.

Each command (``standard``, ``depthwise``, ``pointwise``, ``separable``, ``lite``) is
a module of this package, a short front door to :func:`layer_implementation` (after
sqlite-utils' ``insert_upsert_implementation``). Its options come from the schema
(:func:`convcalc.cli.options.layer_options`), so a variant shows exactly the options
its layer takes. One module each, so that running one variant builds only its own
options: building all five commands' 128 options costs 11 M instructions, 6% of
start-up.
"""

from __future__ import annotations

from typing import Any

import click

from ...model.core import ConvCalcError, make_block
from ...model.schema import options_for
from ..errors import fail
from ..options import (
    Config,
    implied_dims,
)
from ..output import Gates, Output

__all__ = ["QUIET", "layer_implementation"]

QUIET = "Print only the total parameter count."


def layer_implementation(variant: str, config: Config, out: Output, gates: Gates) -> None:
    """Build the variant's layer from ``config``, measure it, write it as asked and
    check the gates: what every variant command does."""
    if gates.max_macs is not None and config["input"] is None:
        raise click.BadParameter(
            "a MAC budget needs an input size: add --input", param_hint="'--max-macs'"
        )
    layer = {option.name: config[option.name] for option in options_for(variant)}
    layer["dims"] = implied_dims(config)
    try:
        # make_block calls the kernel k.
        block = make_block(variant, k=layer.pop("kernel", None), **layer)
        if config["fold_bn"]:
            from ...model.conventions import fold_bn

            block = fold_bn(block)
        keras = config["framework"] == "keras"
        if keras:
            from ...model.conventions import keras_block

            block = keras_block(block)
        simple = not (config["reported_by"] or config["training"] or keras)
        if out.quiet and config["input"] is None and simple:
            # Only the parameter count is asked for, and it needs nothing measured.
            out.write(f"{block.params}\n")
            gates.check(block.params, None)
            return
        from ...model.cost import measure

        cost = measure(block, input=config["input"], batch=config["batch"], dtype=config["dtype"])
    except ConvCalcError as error:
        fail(error)
    params = cost.params + cost.buffers if keras else cost.params
    if out.quiet:
        out.write(f"{params}\n")
        gates.check(params, cost.macs)
        return
    reports = train = None
    if config["reported_by"]:
        from ...model.profilers import reported_by

        reports = reported_by(cost, config["reported_by"])
    if config["training"]:
        from ...model.conventions import training

        train = training(cost, optimizer=config["optimizer"], frozen=config["frozen"])
    stated = {"convention": config["convention"], "framework": config["framework"]}

    def tables() -> list[Any]:
        from ...views.tables import block_tables

        return block_tables(cost, **stated, reports=reports, training=train)

    def data() -> dict[str, object]:
        from ...views.contract import block_result_json

        return block_result_json(
            cost, **stated, fold_bn=config["fold_bn"], reports=reports, training=train
        )

    out.emit(tables, data, csv=lambda: tables()[:1])
    gates.check(params, cost.macs)
