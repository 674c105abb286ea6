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

from ...model.core import ConvCalcError
from ...model.evaluate import build, evaluate
from ..errors import fail
from ..options import (
    Config,
    implied_dims,
    refuse_without_training,
)
from ..output import Gates, Output

__all__ = ["QUIET", "layer_implementation"]

QUIET = "Print only the total parameter count."


def layer_implementation(variant: str, config: Config, out: Output, gates: Gates) -> None:
    """Build the variant's layer from ``config``, measure it, write it as asked and
    check the gates: what every variant command does."""
    refuse_without_training(config["training"])
    if gates.max_macs is not None and config["input"] is None:
        raise click.BadParameter(
            "a MAC budget needs an input size: add --input", param_hint="'--max-macs'"
        )
    config = {**config, "variant": variant, "dims": implied_dims(config)}
    keras = config["framework"] == "keras"
    try:
        block = build(config)
        simple = not (config["reported_by"] or config["training"] or keras)
        if out.quiet and config["input"] is None and simple:
            # Only the parameter count is asked for, and it needs nothing measured.
            out.write(f"{block.params}\n")
            gates.check(block.params, None)
            return
        evaluation = evaluate(config, block)
    except ConvCalcError as error:
        fail(error)
    cost, reports, train = evaluation.cost, evaluation.reports, evaluation.training
    params = cost.params + cost.buffers if keras else cost.params
    if out.quiet:
        out.write(f"{params}\n")
        gates.check(params, cost.macs)
        return
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
