"""The five variant commands: one layer, built from its options and measured.

Each command is a short front door to :func:`layer_implementation` (after
sqlite-utils' ``insert_upsert_implementation``); its options come from the schema
(:func:`convcalc.cli.options.layer_options`), so a variant shows exactly the
options its layer takes.
"""

from __future__ import annotations

from typing import Any

import click

from ..model.core import ConvCalcError, make_block
from ..model.schema import options_for
from .errors import fail
from .options import (
    CONTEXT_SETTINGS,
    Config,
    check_options,
    implied_dims,
    layer_options,
    output_options,
)
from .output import Gates, Output

__all__ = [
    "depthwise_cmd",
    "layer_implementation",
    "lite_cmd",
    "pointwise_cmd",
    "separable_cmd",
    "standard_cmd",
]

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
            from ..model.conventions import fold_bn

            block = fold_bn(block)
        keras = config["framework"] == "keras"
        if keras:
            from ..model.conventions import keras_block

            block = keras_block(block)
        simple = not (config["reported_by"] or config["training"] or keras)
        if out.quiet and config["input"] is None and simple:
            # Only the parameter count is asked for, and it needs nothing measured.
            out.write(f"{block.params}\n")
            gates.check(block.params, None)
            return
        from ..model.cost import measure

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
        from ..model.profilers import reported_by

        reports = reported_by(cost, config["reported_by"])
    if config["training"]:
        from ..model.conventions import training

        train = training(cost, optimizer=config["optimizer"], frozen=config["frozen"])
    stated = {"convention": config["convention"], "framework": config["framework"]}

    def tables() -> list[Any]:
        from ..views.tables import block_tables

        return block_tables(cost, **stated, reports=reports, training=train)

    def data() -> dict[str, object]:
        from ..views.contract import block_result_json

        return block_result_json(
            cost, **stated, fold_bn=config["fold_bn"], reports=reports, training=train
        )

    out.emit(tables, data, csv=lambda: tables()[:1])
    gates.check(params, cost.macs)


@click.command(
    "standard",
    context_settings=CONTEXT_SETTINGS,
    epilog="""\b
Examples:
  convcalc standard --cin 64 --cout 128 -k 3
  convcalc standard --cin 64 --cout 128 -k 3 --input 56 --format json
  convcalc standard --cin 64 --cout 32 -k 4 -s 2 --transposed --input 16
""",
)
@layer_options("standard")
@output_options(QUIET)
@check_options
def standard_cmd(config: Config, out: Output, gates: Gates) -> None:
    """A standard K×K convolution: (C_in/g × K × K + 1) × C_out.

    MACs count multiply-accumulates only: bias additions, BatchNorm and activations
    are reported apart, and FLOPs = 2 × MACs.
    """
    layer_implementation("standard", config, out, gates)


@click.command(
    "depthwise",
    context_settings=CONTEXT_SETTINGS,
    epilog="""\b
Examples:
  convcalc depthwise --cin 64 -k 3
  convcalc depthwise --cin 32 -m 2 -k 5 --input 28
""",
)
@layer_options("depthwise")
@output_options(QUIET)
@check_options
def depthwise_cmd(config: Config, out: Output, gates: Gates) -> None:
    """A depthwise K×K convolution: (K × K + 1) × C_in × m.

    MACs count multiply-accumulates only: bias additions, BatchNorm and activations
    are reported apart, and FLOPs = 2 × MACs.
    """
    layer_implementation("depthwise", config, out, gates)


@click.command(
    "pointwise",
    context_settings=CONTEXT_SETTINGS,
    epilog="""\b
Examples:
  convcalc pointwise --cin 64 --cout 128
  convcalc pointwise --cin 64 --cout 128 -g 4 -q
""",
)
@layer_options("pointwise")
@output_options(QUIET)
@check_options
def pointwise_cmd(config: Config, out: Output, gates: Gates) -> None:
    """A pointwise (1×1) convolution: (C_in/g + 1) × C_out.

    MACs count multiply-accumulates only: bias additions, BatchNorm and activations
    are reported apart, and FLOPs = 2 × MACs.
    """
    layer_implementation("pointwise", config, out, gates)


@click.command(
    "separable",
    context_settings=CONTEXT_SETTINGS,
    # Given whole, so that the group's help does not cut it at a narrow terminal's width.
    short_help="MobileNet's block, depthwise K×K then pointwise 1×1 (alias: mobilenet).",
    epilog="""\b
Examples:
  convcalc separable --cin 64 --cout 128 -k 3
  convcalc mobilenet --cin 64 --cout 128 --no-bias --bn --input 56
""",
)
@layer_options("separable")
@output_options(QUIET)
@check_options
def separable_cmd(config: Config, out: Output, gates: Gates) -> None:
    """MobileNet's block, depthwise K×K then pointwise 1×1 (alias: mobilenet).

    MACs count multiply-accumulates only: bias additions, BatchNorm and activations
    are reported apart, and FLOPs = 2 × MACs.
    """
    layer_implementation("separable", config, out, gates)


@click.command(
    "lite",
    context_settings=CONTEXT_SETTINGS,
    short_help="OSNet's lite block, pointwise 1×1 then depthwise K×K (alias: osnet).",
    epilog="""\b
Examples:
  convcalc lite --cin 64 --cout 128 -k 3
  convcalc osnet --cin 64 --cout 128 --no-bias --bn --expect 9600
""",
)
@layer_options("lite")
@output_options(QUIET)
@check_options
def lite_cmd(config: Config, out: Output, gates: Gates) -> None:
    """OSNet's lite block, pointwise 1×1 then depthwise K×K (alias: osnet).

    MACs count multiply-accumulates only: bias additions, BatchNorm and activations
    are reported apart, and FLOPs = 2 × MACs.
    """
    layer_implementation("lite", config, out, gates)
