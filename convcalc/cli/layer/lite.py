"""``convcalc lite`` (alias ``osnet``): OSNet's lite block."""

from __future__ import annotations

import click

from ..options import (
    CONTEXT_SETTINGS,
    Config,
    NamedOptionsCommand,
    check_options,
    layer_options,
    output_options,
)
from ..output import Gates, Output
from . import QUIET, layer_implementation

__all__ = ["lite_cmd"]


@click.command(
    "lite",
    cls=NamedOptionsCommand,
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
